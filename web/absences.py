"""Absences and substitutes (clause 6), and passing a body's task to another executor."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required

from models import HumanTask
from services.absences import (
    KIND_TITLES,
    Candidate,
    absences_page,
    add_absence,
    end_absence,
    reassign_options,
    reassign_task,
)
from services.db import parse_id
from services.errors import Conflict, Invalid
from web.common import clock, db, me
from web.labels import translated
from web.library_text import plain_library_text

bp = Blueprint("absences", __name__)


@bp.app_template_global("reassign_options")
def _reassign_options(task: HumanTask) -> list[Candidate] | None:
    """The executors the logged-in responsible official may pass the task to; None hides the form."""
    if not current_user.is_authenticated:
        return None
    return reassign_options(session=db(), clock=clock(), actor=me(), task=task)


@bp.get("/absences")
@login_required
def index() -> ResponseReturnValue:
    """Current and future absences of the body's people (the tenant's, for an administrator), and the add form."""
    return _page()


@bp.post("/absences")
@login_required
def add() -> ResponseReturnValue:
    """Record an absence with its substitute."""
    form = request.form
    try:
        recorded = add_absence(session=db(), clock=clock(), actor=me(), user_id=form.get("user"),
                               kind=form.get("kind"), starts_on=form.get("starts_on"), ends_on=form.get("ends_on"),
                               substitute_id=form.get("substitute"), reason=form.get("reason"))
    except Invalid as exc:
        return _page(error=exc)
    absence = recorded.absence
    message = gettext("Отсутствие добавлено: %(person)s, %(starts)s–%(ends)s, замещает %(substitute)s",
                      person=absence.user.full_name, starts=f"{absence.starts_on:%d.%m.%Y}",
                      ends=f"{absence.ends_on:%d.%m.%Y}", substitute=absence.substitute.full_name)
    if recorded.moved:
        message += ". " + gettext("Передано замещающему открытых задач: %(count)s", count=recorded.moved)
    flash(message, "success")
    return redirect(url_for("absences.index"))


@bp.post("/absences/<int:absence_id>/end")
@login_required
def end(absence_id: int) -> ResponseReturnValue:
    """End an absence early, or cancel one that has not begun."""
    flash(translated(end_absence(session=db(), clock=clock(), actor=me(), absence_id=absence_id)), "success")
    return redirect(url_for("absences.index"))


@bp.post("/tasks/<int:task_id>/assignee")
@login_required
def reassign(task_id: int) -> ResponseReturnValue:
    """The responsible official passes an open task to another executor of the body, or back to the queue."""
    case_id = parse_id(request.form.get("case"))
    back = url_for("cases.show", case_id=case_id) if case_id is not None else url_for("tasks.show", task_id=task_id)
    try:
        task = reassign_task(session=db(), clock=clock(), actor=me(), task_id=task_id,
                             assignee_id=request.form.get("assignee"))
    except (Invalid, Conflict) as exc:
        flash(translated(exc.message), "warning")
        return redirect(back)
    who = task.assignee.full_name if task.assignee else gettext("очередь органа")
    flash(gettext("Задача «%(task)s» передана: %(who)s", task=plain_library_text(task.name), who=who), "success")
    return redirect(back)


def _page(*, error: Invalid | None = None) -> ResponseReturnValue:
    """The page, with a refused form's messages and values when there are some."""
    page = absences_page(session=db(), clock=clock(), actor=me())
    return render_template("absences.html", page=page, kinds=KIND_TITLES, error=error,
                           values=request.form if error else {}), 422 if error else 200
