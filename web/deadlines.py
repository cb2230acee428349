"""«Сроки по акту»: the administrator sets the deadline values of the tenant's own act over the regional ones."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from services.errors import Invalid
from services.tenants.deadlines import check_editor, deadline_history, deadline_steps, reset_deadline, set_deadline
from web.common import clock, db, me

bp = Blueprint("deadlines", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only() -> None:
    """The page is the tenant administrator's."""
    check_editor(me(), me().tenant)


@bp.get("/deadlines")
def index() -> ResponseReturnValue:
    """Every deadline of the regulation: the regional value, the tenant's own, and the history of changes."""
    return _page()


@bp.post("/deadlines/<step>")
def change(step: str) -> ResponseReturnValue:
    """Set the tenant's own value of one deadline."""
    try:
        row = set_deadline(session=db(), clock=clock(), actor=me(), tenant=me().tenant, step=step,
                           value=request.form.get("value"), unit=request.form.get("unit"))
    except Invalid as exc:
        db().rollback()
        return _page(error=exc, failed=step)
    flash(gettext("Срок «%(title)s» изменён", title=row.regional.title), "success")
    return redirect(url_for("deadlines.index", _anchor=f"deadline-{step}"))


@bp.post("/deadlines/<step>/reset")
def reset(step: str) -> ResponseReturnValue:
    """Go back to the regional value of one deadline."""
    row = reset_deadline(session=db(), clock=clock(), actor=me(), tenant=me().tenant, step=step)
    flash(gettext("Срок «%(title)s»: снова действует региональное значение", title=row.regional.title), "success")
    return redirect(url_for("deadlines.index", _anchor=f"deadline-{step}"))


def _page(*, error: Invalid | None = None, failed: str = "") -> ResponseReturnValue:
    tenant = me().tenant
    return render_template("deadlines.html", steps=deadline_steps(session=db(), tenant=tenant),
                           history=deadline_history(session=db(), tenant=tenant), error=error, failed=failed,
                           values=request.form if error else {}), 422 if error else 200
