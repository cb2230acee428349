"""The deadline values of a tenant's own act (order 4.1) over the regional ones, without touching the diagrams.

The regional values are the deadline parameters of the case process's current version (bpmn/parameters.json as
published). A tenant's own values live in its settings under "deadlines" ({step: {value, unit, working}}), where
services.workflow.engine_context reads them at every step of every case of the tenant: a deadline counted after a
change (a new case, or a new step of a running one) follows the new value; deadlines already counted keep their
moment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_, joined
from engine.timers import UNIT_WORDS, UNITS, Duration
from models import DeadlineChange, Tenant, User
from services.errors import Forbidden, Invalid, NotFound
from services.library.versions import bundle_for, current_version_id

# The longest value a tenant may set: a month of working time (at most 23 working days of 8 hours in any month)
# or of calendar time (31 days).
MONTH = {True: {"days": 23, "hours": 23 * 8, "minutes": 23 * 8 * 60},
         False: {"days": 31, "hours": 31 * 24, "minutes": 31 * 24 * 60}}
EDITORS = ("admin",)
_INTEGER = re.compile(r"-?[0-9]{1,9}")


@dataclass(frozen=True)
class DeadlineStep:
    """One deadline of the regulation: its regional value and the tenant's own, if it set one."""

    name: str
    regional: Duration
    own: Duration | None

    @property
    def current(self) -> Duration:
        """The value new deadlines of the tenant follow."""
        return self.own or self.regional


def regional_deadlines(*, session: Session, tenant_id: int) -> Mapping[str, Duration]:
    """The deadlines written in the diagrams the tenant runs: the parameters of its case process version (the regional
    version it adopted, or its own variant)."""
    version_id = current_version_id(session=session, tenant_id=tenant_id)
    return bundle_for(session=session, version_id=version_id).parameters.durations


def deadline_steps(*, session: Session, tenant: Tenant) -> list[DeadlineStep]:
    """Every deadline of the regulation with the regional value and the tenant's own, in the parameters' order."""
    own = tenant.settings.get("deadlines", {})
    return [DeadlineStep(name, regional, _own(regional, own.get(name)))
            for name, regional in regional_deadlines(session=session, tenant_id=tenant.id).items()]


def deadline_history(*, session: Session, tenant: Tenant) -> list[DeadlineChange]:
    """Who changed which deadline value of the tenant, and when; the latest first."""
    return list(session.scalars(select(DeadlineChange).where(DeadlineChange.tenant_id == tenant.id)
                                .order_by(DeadlineChange.changed_at.desc(), DeadlineChange.id.desc())))


def set_deadline(*, session: Session, clock: Clock, actor: User | None, tenant: Tenant, step: str, value: Any,
                 unit: Any) -> DeadlineStep:
    """Set the tenant's own value of a deadline (actor None: the command line); refused when out of range."""
    check_editor(actor, tenant)
    regional = _regional(session, tenant, step)
    errors: dict[str, str] = {}
    text = str(value if value is not None else "").strip()
    number = int(text) if _INTEGER.fullmatch(text) else None
    if unit not in UNITS:
        errors["unit"] = N_("Единица срока: минуты, часы или дни")
    if number is None:
        errors["value"] = N_("Укажите срок целым числом")
    elif number <= 0:
        errors["value"] = N_("Срок должен быть больше нуля")
    elif unit in UNITS and number > MONTH[regional.working][unit]:
        most = MONTH[regional.working][unit]
        errors["value"] = N_("Срок не может быть больше месяца: не более %(count)s раб. %(unit)s", count=most,
                             unit=UNIT_WORDS[unit]) if regional.working else \
            N_("Срок не может быть больше месяца: не более %(count)s %(unit)s", count=most, unit=UNIT_WORDS[unit])
    if errors:
        raise Invalid(N_("Срок «%(step)s» не изменён: %(problems)s", step=regional.title,
                         problems=joined(errors.values())), fields=errors)
    assert number is not None
    return _store(session, clock, actor, tenant, step, {"value": number, "unit": str(unit),
                                                        "working": regional.working})


def reset_deadline(*, session: Session, clock: Clock, actor: User | None, tenant: Tenant, step: str) -> DeadlineStep:
    """Go back to the regional value of a deadline."""
    check_editor(actor, tenant)
    _regional(session, tenant, step)
    return _store(session, clock, actor, tenant, step, None)


def check_editor(actor: User | None, tenant: Tenant) -> None:
    """The tenant's administrator changes its values (the command line is an operator's)."""
    if actor is None:
        return
    if actor.tenant_id != tenant.id:
        raise NotFound(N_("Организация не найдена"))
    if actor.role not in EDITORS:
        raise Forbidden(N_("Сроки по акту организации меняет её администратор"))


def _regional(session: Session, tenant: Tenant, step: str) -> Duration:
    durations = regional_deadlines(session=session, tenant_id=tenant.id)
    if step not in durations:
        raise Invalid(N_("Неизвестный срок «%(name)s»: допустимы %(names)s", name=step, names=", ".join(durations)),
                      fields={"step": N_("Неизвестный срок")})
    return durations[step]


def _store(session: Session, clock: Clock, actor: User | None, tenant: Tenant, step: str,
           new: dict[str, Any] | None) -> DeadlineStep:
    """Write the value into the tenant's settings and its history; the tenant's row is locked first, so two
    administrators' changes do not overwrite each other's."""
    row = session.scalar(select(Tenant).where(Tenant.id == tenant.id).with_for_update()
                         .execution_options(populate_existing=True))
    assert row is not None
    deadlines = dict(row.settings.get("deadlines", {}))
    old = deadlines.get(step)
    if new is None:
        deadlines.pop(step, None)
    else:
        deadlines[step] = new
    if old != new:
        row.settings = {**row.settings, "deadlines": deadlines}  # a new dict: the JSON column sees the change
        session.add(DeadlineChange(tenant_id=row.id, step=step, old=old, new=new,
                                   changed_by_id=actor.id if actor else None, changed_at=clock.now()))
        session.flush()
    regional = _regional(session, tenant, step)
    return DeadlineStep(step, regional, _own(regional, new))


def _own(regional: Duration, spec: Mapping[str, Any] | None) -> Duration | None:
    """The tenant's value as a Duration named like the regional one."""
    if not spec:
        return None
    return Duration(value=spec["value"], unit=spec["unit"], working=spec.get("working", regional.working),
                    clause=regional.clause, title=regional.title)
