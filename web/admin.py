"""The administrator's pages: working time, override days, body schedules and production calendar files."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from engine.calendar import WEEKDAYS
from services.calendar_admin import (
    KIND_TITLES,
    MAX_FILE_BYTES,
    Change,
    add_override,
    edit_override,
    import_calendar,
    remove_override,
    require_admin,
    update_schedule,
    year_view,
)
from services.errors import Invalid
from web.common import N_, clock, db, me
from web.labels import translated

bp = Blueprint("admin", __name__, url_prefix="/admin")
# admin_calendar.html translates these, services.calendar_admin's KIND_TITLES and engine.calendar's WEEKDAYS with
# _(title) (tests/web/test_language.py checks that each has a translation).
MONTHS = (N_("Январь"), N_("Февраль"), N_("Март"), N_("Апрель"), N_("Май"), N_("Июнь"), N_("Июль"), N_("Август"),
          N_("Сентябрь"), N_("Октябрь"), N_("Ноябрь"), N_("Декабрь"))


@bp.before_request
@login_required
def _admins_only() -> None:
    """Every page here is the administrator's."""
    require_admin(me())


@bp.get("/calendar")
def calendar() -> ResponseReturnValue:
    """A year as twelve month grids for the region or one body, with the forms that change it."""
    return _page(request.args.get("year"), request.args.get("body") or None)


@bp.post("/calendar/overrides")
def add() -> ResponseReturnValue:
    """Add an override day."""
    form = request.form
    try:
        change = add_override(session=db(), clock=clock(), actor=me(), day=form.get("day"), kind=form.get("kind"),
                              start=form.get("start"), end=form.get("end"), reason=form.get("reason"),
                              body_code=form.get("body") or None)
    except Invalid as exc:
        return _refused(exc, "add")
    return _done(change)


@bp.post("/calendar/overrides/<int:override_id>")
def edit(override_id: int) -> ResponseReturnValue:
    """Change an override day."""
    form = request.form
    try:
        change = edit_override(session=db(), clock=clock(), actor=me(), override_id=override_id,
                               day=form.get("day"), kind=form.get("kind"), start=form.get("start"),
                               end=form.get("end"), reason=form.get("reason"))
    except Invalid as exc:
        return _refused(exc, f"edit-{override_id}")
    return _done(change)


@bp.post("/calendar/overrides/<int:override_id>/delete")
def remove(override_id: int) -> ResponseReturnValue:
    """Remove an override day."""
    return _done(remove_override(session=db(), clock=clock(), actor=me(), override_id=override_id))


@bp.post("/calendar/schedule")
def schedule() -> ResponseReturnValue:
    """Replace the selected body's weekly hours."""
    form = request.form
    hours = {key: {"start": form.get(f"{key}_start", ""), "end": form.get(f"{key}_end", ""),
                   "lunch_start": form.get(f"{key}_lunch_start") or None,
                   "lunch_end": form.get(f"{key}_lunch_end") or None} for key in WEEKDAYS}
    try:
        change = update_schedule(session=db(), clock=clock(), actor=me(), body_code=form.get("body") or None,
                                 schedule=hours)
    except Invalid as exc:
        return _refused(exc, "schedule")
    return _done(change)


@bp.post("/calendar/import")
def import_year() -> ResponseReturnValue:
    """Load a year of the production calendar from an xmlcalendar.ru file."""
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid(gettext("Календарь не загружен: выберите файл"),
                          fields={"file": gettext("Выберите файл .xml")})
        change = import_calendar(session=db(), clock=clock(), actor=me(), year=request.form.get("year"),
                                 filename=upload.filename, content=upload.read(MAX_FILE_BYTES + 1))
    except Invalid as exc:
        return _refused(exc, "import")
    return _done(change, year=request.form.get("year"))


def _page(year: str | None, body: str | None, *, error: Invalid | None = None, failed: str = "",
          status: int = 200) -> ResponseReturnValue:
    """Render the calendar page, with a refused form's errors and values when there are some."""
    view = year_view(session=db(), clock=clock(), actor=me(), year=year, body_code=body)
    return render_template("admin_calendar.html", view=view, kinds=KIND_TITLES, weekdays=WEEKDAYS, months=MONTHS,
                           error=error, failed=failed, values=request.form if error else {}), status


def _refused(error: Invalid, failed: str) -> ResponseReturnValue:
    """Show the page again with what was wrong, as it was before the refused change."""
    db().rollback()
    return _page(request.form.get("back_year"), request.form.get("back_body") or None, error=error, failed=failed,
                 status=422)


def _done(change: Change, year: str | None = None) -> ResponseReturnValue:
    """Say what changed and how many open cases' deadlines moved, and go back to the page."""
    flash(gettext("%(change)s. Открытых случаев с пересчитанными сроками: %(count)s.",
                  change=translated(change.description), count=change.recalculated), "success")
    return redirect(url_for("admin.calendar", year=year or request.form.get("back_year") or None,
                            body=request.form.get("back_body") or None))
