"""The process library: every current diagram, read-only, in the bpmn-js viewer."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from services.library.catalog import current_versions, diagram, process_title
from services.library.drafts import EDITORS, library_drafts
from web.common import db, me

bp = Blueprint("processes", __name__, url_prefix="/processes")


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The current version of each process, with its diagrams."""
    versions = current_versions(session=db())
    return render_template("processes.html", versions=[(v, process_title(v)) for v in versions],
                           drafts=library_drafts(session=db(), user=me()), editor=me().role in EDITORS)


@bp.get("/<int:version_id>/view")
@login_required
def view(version_id: int) -> ResponseReturnValue:
    """One diagram of a version in the viewer."""
    name = request.args.get("file", "")
    version, _ = diagram(session=db(), version_id=version_id, name=name)
    return render_template("process_view.html", version=version, name=name)


@bp.get("/<int:version_id>/files/<name>")
@login_required
def file(version_id: int, name: str) -> ResponseReturnValue:
    """The BPMN XML of one diagram."""
    _, xml = diagram(session=db(), version_id=version_id, name=name)
    return Response(xml, mimetype="application/xml")
