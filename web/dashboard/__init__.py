"""The leaders' dashboard («Панель руководителя»): a page whose panel htmx refreshes by itself, and the
acknowledgement of clause-14 events."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required

from services.dashboard import UNASSIGNED, acknowledge, board
from web.common import clock, db, me

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
REFRESH_SECONDS = 30
STOP_POLLING = 286  # htmx stops polling on this status: the person logged out in another tab


def _panel(template: str) -> str:
    return render_template(template, board=board(session=db(), clock=clock(), user=me()), unassigned=UNASSIGNED,
                           refresh=current_app.config.get("OTKLIK_DASHBOARD_SECONDS", REFRESH_SECONDS))


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The dashboard of the tenant."""
    return _panel("dashboard.html")


@bp.get("/panel")
def panel() -> ResponseReturnValue:
    """The panel alone, for htmx to refresh."""
    if not current_user.is_authenticated:
        return "", STOP_POLLING
    return _panel("_dashboard_panel.html")


@bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required
def acknowledged(alert_id: int) -> ResponseReturnValue:
    """A leader takes a clause-14 event into account; htmx gets the panel back, a plain form the page."""
    acknowledge(session=db(), clock=clock(), user=me(), alert_id=alert_id)
    if request.headers.get("HX-Request"):
        return _panel("_dashboard_panel.html")
    flash(gettext("Принято к сведению"), "success")
    return redirect(url_for("dashboard.index"))
