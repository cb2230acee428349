"""The methodologist's workbench: drafts of the process library edited in the browser's modeler."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.validation import Problem
from services.errors import Invalid, ServiceError
from services.library.drafts import (
    check_condition,
    draft_diagram,
    draft_page,
    require_editor,
    save_diagram,
    start_draft,
)
from web.common import clock, db, me, msk

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
    return {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}, exc.status


@bp.post("/processes/<process_id>/draft")
def start(process_id: str) -> ResponseReturnValue:
    """Open the process's draft, starting it from the current version if there is none."""
    draft = start_draft(session=db(), clock=clock(), user=me(), process_id=process_id)
    return redirect(url_for("workbench.draft", draft_id=draft.id))


@bp.get("/drafts/<int:draft_id>")
def draft(draft_id: int) -> ResponseReturnValue:
    """The modeler on one diagram of the draft (the process's own diagram unless ?file= names another)."""
    page = draft_page(session=db(), user=me(), draft_id=draft_id, name=request.args.get("file"))
    return render_template("workbench_draft.html", page=page, problems=[problem_json(p) for p in page.problems])


@data.get("/drafts/<int:draft_id>/files/<name>")
def diagram(draft_id: int, name: str) -> ResponseReturnValue:
    """The BPMN XML of a draft's diagram; X-Draft-Revision names the revision it belongs to."""
    found, xml = draft_diagram(session=db(), user=me(), draft_id=draft_id, name=name)
    return xml, 200, {"Content-Type": "application/xml; charset=utf-8", "X-Draft-Revision": str(found.revision),
                      "Cache-Control": "no-store"}


@data.post("/drafts/<int:draft_id>/files/<name>")
def save(draft_id: int, name: str) -> ResponseReturnValue:
    """Save a diagram into the draft: {xml, revision, comment}; answers the new revision and the problems."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str) or not isinstance(body.get("revision"), int):
        raise Invalid("Ожидается JSON с полями xml и revision")
    found, problems = save_diagram(session=db(), clock=clock(), user=me(), draft_id=draft_id, name=name,
                                   xml=body["xml"], revision=body["revision"], comment=str(body.get("comment") or ""))
    return {"revision": found.revision, "saved_at": msk(found.saved_at), "saved_by": found.saved_by.full_name,
            "problems": [problem_json(p) for p in problems]}


@data.post("/conditions/check")
def condition() -> ResponseReturnValue:
    """Check a gateway condition as the methodologist types it: {expression} -> {ok, message}."""
    body = request.get_json(silent=True) or {}
    message = check_condition(user=me(), source=str(body.get("expression") or ""))
    return {"ok": message is None, "message": message}


bp.register_blueprint(data)


def problem_json(problem: Problem) -> dict[str, str | None]:
    """A problem as the modeler page reads it."""
    return {"file": problem.file, "element_id": problem.element_id, "message": problem.message}

from web.workbench import migrate as _migrate  # noqa: E402, F401  (its routes join bp)
from web.workbench import sandbox as _sandbox  # noqa: E402, F401  (its routes join bp)
