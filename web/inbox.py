"""The inbox of each role: filters, search, saved views, «Взять в работу»; the list refreshes itself (htmx)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from engine.calendar import duration_text
from models import HumanTask
from services.absences import short_name
from services.errors import Conflict
from services.inbox import MAX_INBOX_PAGE, inbox, parse_filters
from services.inbox.claims import release_task, take_task
from services.inbox.views import delete_view, save_view, saved_views
from web.common import clock, db, inbox_filters, me
from web.labels import translated

bp = Blueprint("inbox", __name__)
PAGE = 50  # the page shows the 50 due first, and 50 more at each «Показать ещё» (the API's default is 100)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """People who work from an inbox land on it, the leadership on its dashboard, the others on the case list."""
    if me().role in ("curator", "executor", "responsible"):
        return redirect(url_for("inbox.show"))
    if me().role == "leader":
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("cases.index"))


@bp.get("/inbox")
@login_required
def show() -> ResponseReturnValue:
    """Open tasks due first, with filters, search and counts; htmx asks for the list alone when it refreshes."""
    filters, limit = inbox_filters(PAGE)
    poll = current_app.config.get("OTKLIK_INBOX_POLL_SECONDS", 30)
    listed = request.headers.get("HX-Request") and request.headers.get("HX-Target") == "inbox-list"
    found = inbox(session=db(), user=me(), clock=clock(), filters=filters, limit=limit, counted=not listed)
    more = None  # «Показать ещё»: the same inbox with PAGE more tasks
    if found.total > len(found.rows) and limit < MAX_INBOX_PAGE:
        more = url_for("inbox.show", **{**request.args.to_dict(), "limit": min(limit + PAGE, MAX_INBOX_PAGE)})
    if listed:
        return render_template("_inbox_list.html", inbox=found, poll=poll, more=more)
    return render_template("inbox.html", inbox=found, poll=poll, more=more,
                           views=saved_views(session=db(), user=me()))


@bp.post("/inbox/tasks/<int:task_id>/take")
@login_required
def take(task_id: int) -> ResponseReturnValue:
    """«Взять в работу»: then open the task; if a colleague was first, open it read-only and say who."""
    try:
        take_task(session=db(), clock=clock(), user=me(), task_id=task_id)
    except Conflict as exc:
        flash(translated(exc.message), "warning")
        return redirect(url_for("tasks.show", task_id=task_id)), 303
    flash(gettext("Задача взята в работу"), "success")
    return redirect(url_for("tasks.show", task_id=task_id)), 303


@bp.post("/inbox/tasks/<int:task_id>/release")
@login_required
def release(task_id: int) -> ResponseReturnValue:
    """Return a taken task to the queue."""
    try:
        release_task(session=db(), clock=clock(), user=me(), task_id=task_id)
    except Conflict as exc:
        flash(translated(exc.message), "warning")
    else:
        flash(gettext("Задача возвращена в очередь"), "success")
    return redirect(url_for("tasks.show", task_id=task_id)), 303


@bp.post("/inbox/views")
@login_required
def save() -> ResponseReturnValue:
    """Save the inbox's current filters under a name."""
    filters = parse_filters(request.form)
    view = save_view(session=db(), clock=clock(), user=me(), name=request.form.get("name", ""), filters=filters)
    flash(gettext("Вид «%(name)s» сохранён", name=view.name), "success")
    return redirect(url_for("inbox.show", **view.filters)), 303


@bp.post("/inbox/views/<int:view_id>/delete")
@login_required
def delete(view_id: int) -> ResponseReturnValue:
    """Delete a saved view."""
    name = delete_view(session=db(), user=me(), view_id=view_id)
    flash(gettext("Вид «%(name)s» удалён", name=name), "success")
    return redirect(url_for("inbox.show")), 303


def _minutes(delta: timedelta | None) -> int:
    return abs(int(delta.total_seconds() // 60)) if delta is not None else 0


@bp.app_template_filter("worktime")
def worktime(delta: timedelta | None) -> str:
    """Working time as «26 ч 20 мин» (its absolute value: overdue time too), in the interface language."""
    return translated(duration_text(_minutes(delta)))


@bp.app_template_filter("age")
def age(delta: timedelta | None) -> str:
    """Calendar time as «2 дн 3 ч» or «3 ч 20 мин»."""
    hours = _minutes(delta) // 60
    if hours >= 24:
        return gettext("%(d)s дн %(h)s ч", d=hours // 24, h=hours % 24)
    return worktime(delta)


@bp.app_template_global("taken_by")
def taken_by(task: HumanTask) -> str:
    """Who took the task, as «в работе у» names them (the genitive; the nominative in English)."""
    return translated(short_name(task.assignee.full_name, "gen")) if task.assignee else ""
