"""Word lists (clauses 10 and 11): the editing page, dismissing an intake flag, and the live reply checks."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from models import Case, HumanTask
from services.db import parse_id
from services.errors import Invalid
from services.lexicon import LIST_TITLES, MAX_PATTERN, add_entry, dismiss_flags, lists, remove_entry
from services.reply_checks import ReplyCheck, checks_for_decision, checks_for_task, reply_checks
from web.common import clock, db, me

bp = Blueprint("lexicon", __name__)

# The history table labels detail fields through web.common's table; a dismissed flag's details join it here.


@bp.get("/lexicon")
@login_required
def index() -> ResponseReturnValue:
    """The tenant's word lists with forms to add and remove entries."""
    return _page({}, None)


@bp.post("/lexicon/entries")
@login_required
def add() -> ResponseReturnValue:
    """Add an entry to one list."""
    list_name = request.form.get("list_name", "")
    try:
        entry = add_entry(session=db(), user=me(), list_name=list_name, pattern=request.form.get("pattern"))
    except Invalid as exc:
        return _page(exc.fields, list_name, request.form.get("pattern", ""))
    # The list titles are msgids too: lexicon.html wraps the same Russian titles.
    flash(gettext("Добавлено в словарь «%(list)s»: %(entry)s", list=gettext(LIST_TITLES[entry.list_name]),
                  entry=entry.pattern), "success")
    return redirect(url_for("lexicon.index", _anchor=f"list-{entry.list_name}"))


@bp.post("/lexicon/entries/<int:entry_id>/delete")
@login_required
def remove(entry_id: int) -> ResponseReturnValue:
    """Remove an entry."""
    entry = remove_entry(session=db(), user=me(), entry_id=entry_id)
    flash(gettext("Удалено из словаря «%(list)s»: %(entry)s",
                  list=gettext(LIST_TITLES.get(entry.list_name, entry.list_name)), entry=entry.pattern), "success")
    return redirect(url_for("lexicon.index", _anchor=f"list-{entry.list_name}"))


def _page(errors: dict[str, str], list_name: str | None, pattern: str = "") -> ResponseReturnValue:
    entries = lists(session=db(), user=me())
    return render_template("lexicon.html", entries=entries, titles=LIST_TITLES, errors=errors,
                           failed_list=list_name, pattern=pattern, max_pattern=MAX_PATTERN), 422 if errors else 200


@bp.post("/cases/<int:case_id>/flags/dismiss")
@login_required
def dismiss(case_id: int) -> ResponseReturnValue:
    """The curator dismisses the clause-10 flag and goes back to the triage task."""
    dismiss_flags(session=db(), clock=clock(), user=me(), case_id=case_id)
    flash(gettext("Отметка отклонена; это записано в историю случая"), "success")
    task_id = parse_id(request.form.get("task_id"))
    if task_id is not None:
        return redirect(url_for("tasks.show", task_id=task_id))
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/tasks/<int:task_id>/checks")
@login_required
def checks(task_id: int) -> ResponseReturnValue:
    """The reply checks of the text in the task's form, as a fragment for htmx."""
    text = request.form.get("reply_text") or request.form.get("approval_text", "")  # a draft, or the curator's edit
    result = checks_for_task(session=db(), clock=clock(), user=me(), task_id=task_id, text=text)
    return render_template("_reply_checks.html", checks=result, text=text, fragment=True)


@bp.app_template_global("reply_checks")
def _reply_checks(case: Case, text: str) -> list[ReplyCheck]:
    """The checks of a reply text, for pages that show them at once."""
    return reply_checks(session=db(), case=case, text=text or "")


@bp.app_template_global("decision_checks")
def _decision_checks(task: HumanTask) -> tuple[object, list[ReplyCheck]]:
    """The draft a curator's task decides on and its checks."""
    return checks_for_decision(session=db(), task=task)
