"""Publishing a draft from its modeler page, and comparing two versions of a process (or its draft with one)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from services.db import parse_id
from services.errors import Conflict, Invalid
from services.library.compare import compare
from services.library.drafts import draft_page
from services.library.publish_draft import StaleDraft, publish_draft
from web.common import clock, db, me
from web.workbench.problems import problem_json

bp = Blueprint("versions", __name__)


@bp.post("/drafts/<int:draft_id>/publish")
def publish(draft_id: int) -> ResponseReturnValue:
    """Publish the draft with a comment; refused with the problems, or when a version published meanwhile would be
    replaced without the methodologist's confirmation: the draft page again, the draft kept."""
    form = request.form
    replacing = [number for value in form.getlist("replacing") if (number := parse_id(value)) is not None]
    try:
        published = publish_draft(session=db(), clock=clock(), user=me(), draft_id=draft_id,
                                  revision=parse_id(form.get("revision", "")) or 0, comment=form.get("comment", ""),
                                  replacing=replacing)
    except (Invalid, Conflict) as exc:
        db().rollback()
        page = draft_page(session=db(), user=me(), draft_id=draft_id, name=None)
        return render_template("workbench_draft.html", page=page, problems=[problem_json(p) for p in page.problems],
                               refusal=exc, refused_problems=getattr(exc, "problems", []),
                               stale=getattr(exc, "versions", []) if isinstance(exc, StaleDraft) else [],
                               publish_comment=form.get("comment", "")), exc.status
    flash(gettext("Опубликовано: %(versions)s. Новые случаи начнутся на новой версии, начатые продолжат свою.",
                  versions=", ".join(f"{p.process_id} v{p.number}" for p in published if p.created)), "success")
    return redirect(url_for("processes.index"))


@bp.get("/processes/<process_id>/compare")
def comparison(process_id: str) -> ResponseReturnValue:
    """Two versions of a process (?old=vN&new=vM|draft, &file= the diagram) side by side with the list of changes."""
    args = request.args
    found = compare(session=db(), user=me(), process_id=process_id, old=args.get("old"), new=args.get("new"),
                    name=args.get("file"))
    marks = [{"element_id": change.element_id, "kind": change.kind} for change in found.changes
             if change.file == found.name and change.element_id]
    return render_template("workbench_compare.html", c=found, marks=marks)
