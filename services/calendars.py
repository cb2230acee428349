"""Working calendars per body, built from the production calendar, schedules and override days."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.calendar import OverrideDay as CalendarOverride
from engine.calendar import ProductionCalendar, Schedule, WorkingCalendar, parse_xmlcalendar
from engine.texts import N_
from models import Body, CalendarYear, OverrideDay, Tenant
from services.errors import NotFound

_cache: dict[tuple[int, int, str | None], WorkingCalendar] = {}
_CHANGED = "otklik.calendar_changed"


def calendar_resolver(*, session: Session, tenant_id: int) -> Callable[[str | None], WorkingCalendar]:
    """A function from a body code (or None for the tenant's default) to that body's working calendar."""
    tenant = session.get(Tenant, tenant_id)  # usually already loaded with the person
    revision = tenant.calendar_revision if tenant else 0
    # Calendars built inside a transaction that changed them are not shared: it may still roll back.
    private = session.info.get(_CHANGED, False)

    def calendar_for(body_code: str | None) -> WorkingCalendar:
        key = (tenant_id, revision, body_code)
        if private:
            return _build(session, tenant_id, body_code)
        if key not in _cache:
            for stale in [k for k in _cache if k[0] == tenant_id and k[1] < revision]:
                del _cache[stale]  # calendars of earlier revisions are never asked for again
            _cache[key] = _build(session, tenant_id, body_code)
        return _cache[key]

    return calendar_for


def variant_resolver(*, session: Session, tenant_id: int, schedule: Schedule | None,
                     overrides: bool) -> Callable[[str | None], WorkingCalendar]:
    """Like calendar_resolver, for calendars that are not the tenant's (what-if): `schedule` for every body instead
    of their own, and the override days left out unless `overrides`; built afresh, never cached."""
    production = _production(session)
    built: dict[str | None, WorkingCalendar] = {}

    def calendar_for(body_code: str | None) -> WorkingCalendar:
        if body_code not in built:
            built[body_code] = _build(session, tenant_id, body_code, production=production, schedule=schedule,
                                      overrides=overrides)
        return built[body_code]

    return calendar_for


def _production(session: Session) -> ProductionCalendar:
    return ProductionCalendar({row.year: parse_xmlcalendar(row.xml) for row in session.scalars(select(CalendarYear))})


def _build(session: Session, tenant_id: int, body_code: str | None, *, production: ProductionCalendar | None = None,
           schedule: Schedule | None = None, overrides: bool = True) -> WorkingCalendar:
    body = session.scalar(select(Body).where(Body.code == body_code)) if body_code else None
    if schedule is None:
        schedule = Schedule.from_dict(body.schedule) if body and body.schedule else Schedule.oblast_default()
    days: list[CalendarOverride] = []
    if overrides:
        rows = session.scalars(select(OverrideDay).where(OverrideDay.tenant_id == tenant_id)).all()
        days = [CalendarOverride(r.day, r.kind, r.start, r.end, r.reason, "region") for r in rows if r.body_id is None]
        days += [CalendarOverride(r.day, r.kind, r.start, r.end, r.reason, "body")
                 for r in rows if body is not None and r.body_id == body.id]
    return WorkingCalendar(production or _production(session), schedule, days)


def bump_revision(*, session: Session, tenant_id: int | None = None) -> None:
    """Invalidate cached calendars after a change to schedules, overrides or production years."""
    change = update(Tenant).values(calendar_revision=Tenant.calendar_revision + 1)
    session.execute(change if tenant_id is None else change.where(Tenant.id == tenant_id))
    session.info[_CHANGED] = True


def resolve_body(*, session: Session, body_code: str | None) -> tuple[int, str | None]:
    """The tenant and code of a body given by code, or the first tenant's default calendar."""
    if body_code is None:
        tenant_id = session.scalar(select(Tenant.id).order_by(Tenant.id))
        if tenant_id is None:
            raise NotFound(N_("Нет ни одной организации: выполните flask --app app init-db"))
        return tenant_id, None
    body = session.scalar(select(Body).where(Body.code == body_code))
    if body is None:
        raise NotFound(N_("Органа с кодом «%(code)s» нет; список: flask --app app bodies list", code=body_code))
    return body.tenant_id, body.code
