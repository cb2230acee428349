"""The workbench's blueprints: its pages (methodologists and administrators only) and the JSON its pages read."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from flask_login import login_required

from services.errors import ServiceError
from services.library.drafts import require_editor
from web.common import error_json, me

bp = Blueprint("workbench", __name__, url_prefix="/workbench")
# JSON for the modeler page: errors come back as the API's {"error": {...}}, never as an HTML page.
data = Blueprint("data", __name__, url_prefix="/data")


@bp.before_request
@login_required
def _editors_only() -> None:
    """Every page and endpoint here is the methodologist's (and the administrator's)."""
    require_editor(me())


@data.errorhandler(ServiceError)
def _json_error(exc: ServiceError) -> ResponseReturnValue:
    return error_json(exc.code, exc.message, exc.fields), exc.status
