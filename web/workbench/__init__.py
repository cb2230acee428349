"""The methodologist's workbench: drafts of the process library edited in the browser's modeler."""

from __future__ import annotations

from typing import Any, cast

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.texts import N_
from services.errors import Invalid
from services.library.drafts import (
    check_condition,
    draft_diagram,
    draft_page,
    save_diagram,
    start_draft,
)
from services.library.versions import comment_text
from web.common import clock, db, me, msk
from web.labels import translated, translated_all
from web.workbench import migrate, sandbox, tables  # noqa: F401  (their routes join bp and data)
from web.workbench.blueprints import bp, data
from web.workbench.editors import editors
from web.workbench.problems import problem_json
from web.workbench.variants import bp as variants
from web.workbench.versions import bp as versions


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


@bp.app_template_filter("panel_options")
def panel_options(options: dict[str, Any]) -> dict[str, Any]:
    """The properties panel's choices as its script reads them, in the reader's language (roles, deadline and process
    titles)."""
    return cast(dict[str, Any], translated_all(options))


@bp.app_template_filter("library_comment")
def library_comment(comment: str) -> str:
    """A version's or draft's comment: one the system wrote in the reader's language, a person's as written."""
    return translated(comment_text(comment))


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
        raise Invalid(N_("Ожидается JSON с полями xml и revision"))
    found, problems = save_diagram(session=db(), clock=clock(), user=me(), draft_id=draft_id, name=name,
                                   xml=body["xml"], revision=body["revision"], comment=str(body.get("comment") or ""))
    return {"revision": found.revision, "saved_at": msk(found.saved_at), "saved_by": found.saved_by.full_name,
            "problems": [problem_json(p) for p in problems]}


@data.post("/conditions/check")
def condition() -> ResponseReturnValue:
    """Check a gateway condition as the methodologist types it: {expression} -> {ok, message}."""
    body = request.get_json(silent=True) or {}
    message = check_condition(user=me(), source=str(body.get("expression") or ""))
    return {"ok": message is None, "message": translated(message) if message else None}


bp.register_blueprint(data)
bp.register_blueprint(editors)
bp.register_blueprint(versions)
bp.register_blueprint(variants)
