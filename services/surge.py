"""Surge detection (clause 14): many messages on one theme or location within a window alert the curators and the
leadership."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.texts import N_
from models import Case, SurgeAlert, Tenant, User
from services.db import lock_transaction
from services.errors import Forbidden, Invalid
from services.notifications import alert_leadership, alert_value_name, curators, notify, surge_text

log = logging.getLogger("otklik.surge")
# Defaults from research/reports-ratings.md 3.d: at least 5 messages within the last 3 hours, in calendar time.
DEFAULT_THRESHOLD = 5
DEFAULT_WINDOW_HOURS = 3.0
THRESHOLD_RANGE = (2, 1000)
WINDOW_RANGE = (0.5, 168.0)
SURGE_LOCK = 14  # the namespace of the per-tenant surge check lock: clause 14


@dataclass(frozen=True)
class SurgeSettings:
    """How many messages within how many hours make a surge."""

    threshold: int
    window_hours: float

    @property
    def window(self) -> timedelta:
        """The window as a duration."""
        return timedelta(hours=self.window_hours)


def surge_settings(tenant: Tenant) -> SurgeSettings:
    """The tenant's surge rule (Tenant.settings surge_threshold, surge_window_hours), defaults where unset."""
    settings = tenant.settings or {}
    try:
        threshold = int(settings.get("surge_threshold", DEFAULT_THRESHOLD))
        hours = float(settings.get("surge_window_hours", DEFAULT_WINDOW_HOURS))
    except (TypeError, ValueError):
        return SurgeSettings(DEFAULT_THRESHOLD, DEFAULT_WINDOW_HOURS)
    if not THRESHOLD_RANGE[0] <= threshold <= THRESHOLD_RANGE[1] or not WINDOW_RANGE[0] <= hours <= WINDOW_RANGE[1]:
        return SurgeSettings(DEFAULT_THRESHOLD, DEFAULT_WINDOW_HOURS)
    return SurgeSettings(threshold, hours)


def update_surge_settings(*, session: Session, user: User, threshold: Any, window_hours: Any) -> SurgeSettings:
    """The administrator sets the tenant's surge rule."""
    if user.role != "admin":
        raise Forbidden(N_("Правило всплеска настраивает администратор"))
    errors: dict[str, str] = {}
    number = hours = None
    try:
        number = int(str(threshold).strip())
        if not THRESHOLD_RANGE[0] <= number <= THRESHOLD_RANGE[1]:
            raise ValueError
    except ValueError:
        errors["surge_threshold"] = N_("Целое число от %(low)s до %(high)s", low=THRESHOLD_RANGE[0],
                                       high=THRESHOLD_RANGE[1])
    try:
        hours = float(str(window_hours).strip().replace(",", "."))
        if not WINDOW_RANGE[0] <= hours <= WINDOW_RANGE[1]:
            raise ValueError
    except ValueError:
        errors["surge_window_hours"] = N_("Число часов от %(low)s до %(high)s", low=f"{WINDOW_RANGE[0]:g}",
                                          high=f"{WINDOW_RANGE[1]:g}")
    if errors:
        raise Invalid(N_("Правило всплеска не сохранено: исправьте поля"), fields=errors)
    assert number is not None and hours is not None
    tenant = session.get(Tenant, user.tenant_id)
    assert tenant is not None
    # A new dict: the JSON column does not track changes made inside the old one.
    tenant.settings = {**(tenant.settings or {}), "surge_threshold": number, "surge_window_hours": hours}
    session.flush()
    log.info("tenant %s: surge rule set to %d messages in %g h by %s", tenant.code, number, hours, user.username)
    return SurgeSettings(number, hours)


# The cases of a theme or location sent within the window, and an earlier alert on the value overlapping it.
_COUNTS = {dimension: select(func.count(Case.id)).where(
    Case.tenant_id == bindparam("tenant_id"), column == bindparam("value_id"), Case.sent_at > bindparam("since"),
    Case.sent_at <= bindparam("now")) for dimension, column in (("theme", Case.theme_id),
                                                                ("location", Case.location_id))}
_OVERLAPPING = select(SurgeAlert.id).where(
    SurgeAlert.tenant_id == bindparam("tenant_id"), SurgeAlert.dimension == bindparam("dimension"),
    SurgeAlert.value == bindparam("value"), SurgeAlert.window_end > bindparam("since")).limit(1)


def check_surge(*, session: Session, case: Case, now: datetime, theme: str | None,
                location: str | None) -> list[SurgeAlert]:
    """After triage: alert the curators and the leadership when the case's theme or location (the codes triage
    chose, already written to the case) reached the threshold within the window."""
    if case.theme_id is None and case.location_id is None:
        return []
    # Serialise the check per tenant, so two triages at once neither miss each other's case nor both raise the same
    # alert. Not with a lock on the tenant row: this step already inserted inbox rows whose foreign keys hold a share
    # lock on it, so two triages would each wait for the other's (a deadlock).
    lock_transaction(session, SURGE_LOCK, case.tenant_id)
    tenant = session.get(Tenant, case.tenant_id)
    assert tenant is not None
    rule = surge_settings(tenant)
    since = now - rule.window
    raised = []
    for dimension, value_id, code in (("theme", case.theme_id, theme), ("location", case.location_id, location)):
        if value_id is None or code is None:
            continue
        params = {"tenant_id": case.tenant_id, "value_id": value_id, "since": since, "now": now,
                  "dimension": dimension, "value": code}
        count = int(session.connection().execute(_COUNTS[dimension], params).scalar() or 0)
        if count < rule.threshold:
            continue
        # One alert per episode: none while an earlier alert on the same value overlaps the window.
        if session.connection().execute(_OVERLAPPING, params).first() is not None:
            continue
        alert = SurgeAlert(tenant_id=case.tenant_id, dimension=dimension, value=code, window_start=since,
                           window_end=now, count=count, created_at=now)
        session.add(alert)
        session.flush()  # its id, for the notifications that link to it
        text = surge_text(alert, alert_value_name(session, alert), rule.window_hours)
        notify(session=session, people=curators(session, case.tenant_id), kind="surge", now=now, text=text,
               surge_alert_id=alert.id)
        # As a socially significant message does: the leaders at once, and on their dashboard until acknowledged.
        alert_leadership(session=session, tenant_id=case.tenant_id, kind="surge", text=text, now=now,
                         surge_alert_id=alert.id)
        raised.append(alert)
    return raised
