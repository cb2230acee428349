"""How much working time a task has left, and whether it is due soon or overdue (the inbox's colours)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from engine.calendar import WorkingCalendar
from models import HumanTask
from services.calendars import calendar_resolver

SOON = 0.8  # a task is due soon once 80 % of its working time (created..due) has passed


@dataclass(frozen=True)
class Timing:
    """A task's time: `left` working time to its deadline (negative: overdue), or the message's `age` if untimed."""

    state: str  # overdue | soon | ok | untimed
    left: timedelta | None = None
    age: timedelta | None = None


def timing_of(*, session: Session, tenant_id: int, tasks: list[HumanTask], now: datetime) -> dict[int, Timing]:
    """The timing of each task, on its body's working calendar (built once a request per body)."""
    resolve = calendar_resolver(session=session, tenant_id=tenant_id)
    calendars: dict[str | None, WorkingCalendar] = {}
    timing = {}
    for task in tasks:
        if task.due_at is None:
            timing[task.id] = Timing("untimed", age=now - (task.posted_at or task.case.published_at))
            continue
        code = task.body.code if task.body is not None else None
        if code not in calendars:
            calendars[code] = resolve(code)
        calendar = calendars[code]
        left = calendar.working_time_between(now, task.due_at)
        if task.due_at <= now:
            state = "overdue"
        else:
            whole = calendar.working_time_between(task.created_at, task.due_at)
            state = "soon" if whole <= timedelta(0) or left <= whole * (1 - SOON) else "ok"
        timing[task.id] = Timing(state, left=left)
    return timing
