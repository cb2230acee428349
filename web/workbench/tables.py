"""The workbench's decision tables (.dmn of a draft) edited with dmn-js: the page, the table's XML, its save."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from engine.texts import N_
from services.errors import Invalid
from services.library.drafts import draft_problems, draft_table, save_table
from web.common import clock, db, me, msk
from web.workbench.blueprints import bp, data
from web.workbench.problems import problem_json


@bp.get("/drafts/<int:draft_id>/tables/<name>")
def table_page(draft_id: int, name: str) -> ResponseReturnValue:
    """The decision-table editor on one .dmn file of the draft."""
    found, _ = draft_table(session=db(), user=me(), draft_id=draft_id, name=name)
    return render_template("workbench_table.html", draft=found, name=name, files=sorted(found.files),
                           problems=[problem_json(p) for p in draft_problems(found.files)])


@data.get("/drafts/<int:draft_id>/tables/<name>")
def table(draft_id: int, name: str) -> ResponseReturnValue:
    """The DMN XML of a draft's decision table; X-Draft-Revision names the revision it belongs to."""
    found, xml = draft_table(session=db(), user=me(), draft_id=draft_id, name=name)
    return xml, 200, {"Content-Type": "application/xml; charset=utf-8", "X-Draft-Revision": str(found.revision),
                      "Cache-Control": "no-store"}


@data.post("/drafts/<int:draft_id>/tables/<name>")
def save_table_view(draft_id: int, name: str) -> ResponseReturnValue:
    """Save a decision table into the draft: {xml, revision, comment}; answers the new revision and the problems."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str) or not isinstance(body.get("revision"), int):
        raise Invalid(N_("Ожидается JSON с полями xml и revision"))
    found, problems = save_table(session=db(), clock=clock(), user=me(), draft_id=draft_id, name=name,
                                 xml=body["xml"], revision=body["revision"], comment=str(body.get("comment") or ""))
    return {"revision": found.revision, "saved_at": msk(found.saved_at), "saved_by": found.saved_by.full_name,
            "problems": [problem_json(p) for p in problems]}
