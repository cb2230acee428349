"""The notification centre, the unread badge in the header, and the surge rule the administrator sets."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from services.errors import Invalid
from services.notifications import (
    NotificationItem,
    mark_all_read,
    mark_read,
    notification_centre,
    open_notification,
    unread_count,
)
from services.surge import surge_settings, update_surge_settings
from web.common import clock, db, me

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
log = logging.getLogger("otklik.web")
# htmx stops polling on this status: the person logged out in another tab.
STOP_POLLING = 286


@bp.app_context_processor
def _badge() -> dict[str, Any]:
    """`unread_notifications()` for the header; counted only when a page shows the badge."""
    def unread() -> int:
        if not current_user.is_authenticated:
            return 0
        try:
            return unread_count(session=db(), user=me())
        except SQLAlchemyError:  # an error page after a database failure must still render
            log.exception("counting unread notifications failed")
            return 0
    return {"unread_notifications": unread}


def target(item: NotificationItem) -> str | None:
    """Where a notification leads: the cases of a surge's theme or location, or its case."""
    if item.surge is not None:
        return url_for("cases.index", **{item.surge.dimension: item.surge.value})
    if item.notification.case_id is not None:
        return url_for("cases.show", case_id=item.notification.case_id)
    return None


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The person's notifications, newest first, unread highlighted."""
    return _page()


def _page(errors: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> ResponseReturnValue:
    items = notification_centre(session=db(), user=me())
    return render_template("notifications.html", items=[(item, target(item)) for item in items],
                           unread=sum(1 for item in items if item.notification.read_at is None),
                           rule=surge_settings(me().tenant), errors=errors or {}, values=values or {}), \
        422 if errors else 200


@bp.post("/read")
@login_required
def read_all() -> ResponseReturnValue:
    """Mark every notification read."""
    count = mark_all_read(session=db(), user=me(), now=clock().now())
    flash(gettext("Отмечено прочитанными: %(count)s", count=count), "success")
    return redirect(url_for("notifications.index"))


@bp.post("/<int:notification_id>/read")
@login_required
def read_one(notification_id: int) -> ResponseReturnValue:
    """Mark one notification read."""
    mark_read(session=db(), user=me(), notification_id=notification_id, now=clock().now())
    return redirect(url_for("notifications.index"))


@bp.get("/<int:notification_id>/open")
@login_required
def open_one(notification_id: int) -> ResponseReturnValue:
    """Follow a notification's link, marking it read on the way."""
    item = open_notification(session=db(), user=me(), notification_id=notification_id, now=clock().now())
    return redirect(target(item) or url_for("notifications.index"))


@bp.get("/badge")
def badge() -> ResponseReturnValue:
    """The unread counter alone, for htmx to refresh the header."""
    if not current_user.is_authenticated:
        return "", STOP_POLLING
    count = unread_count(session=db(), user=me())
    return Markup('<span class="pill overdue">{}</span>').format(count) if count else ""


@bp.post("/surge-rule")
@login_required
def surge_rule() -> ResponseReturnValue:
    """The administrator sets how many messages within how many hours make a surge (clause 14)."""
    form = request.form
    try:
        rule = update_surge_settings(session=db(), user=me(), threshold=form.get("surge_threshold"),
                                     window_hours=form.get("surge_window_hours"))
    except Invalid as exc:
        return _page(errors=exc.fields, values=dict(form))
    flash(gettext("Правило всплеска: не меньше %(threshold)s сообщений за %(hours)s ч", threshold=rule.threshold,
                  hours=f"{rule.window_hours:g}"), "success")
    return redirect(url_for("notifications.index"))
