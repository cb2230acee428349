"""The clause-12 register: who finished a late step, and how late in working minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.timers import due_after
from models import Body, Breach, Case, HumanTask, User
from services.calendars import calendar_resolver
from services.library.versions import bundle_for
from services.reports import facts
from services.workflow import add_event


def working_minutes(*, session: Session, tenant_id: int, body: Body | None, start: datetime, end: datetime) -> int:
    """Whole working minutes from start to end on the body's calendar (0 if end is not later)."""
    if end <= start:
        return 0
    calendar = calendar_resolver(session=session, tenant_id=tenant_id)(body.code if body else None)
    return max(0, int(calendar.working_time_between(start, end).total_seconds() // 60))


def _late_minutes(session: Session, case: Case, body: Body | None, due: datetime, done: datetime) -> int:
    return working_minutes(session=session, tenant_id=case.tenant_id, body=body, start=due, end=done)


def settle(*, session: Session, case: Case, task: HumanTask, user: User, now: datetime) -> None:
    """When a late step (or the whole case) is finished, record who finished it and how late."""
    late_step = task.due_at is not None and now > task.due_at
    late_case = case.status == "closed" and case.due_at is not None and now > case.due_at
    if not (late_step or late_case):
        return  # no breach of this step or of the case can be open
    rows = session.scalars(select(Breach).where(Breach.case_id == case.id, Breach.done_at.is_(None))).all()
    for breach in rows:
        if breach.task_guid == task.task_guid or (breach.step == "case" and case.status == "closed"):
            breach.done_at = now
            breach.person_id = user.id
            breach.late_minutes = _late_minutes(session, case, task.body, breach.due_at, now)


def check_competence(*, session: Session, case: Case, task: HumanTask, user: User, now: datetime) -> None:
    """Clause 8.2: "not our competence" must reach the curator within 60 minutes of the case reaching the body."""
    duration = bundle_for(session=session, version_id=case.process_version_id).parameters.durations.get("competence")
    if duration is None:
        return
    calendar = calendar_resolver(session=session, tenant_id=case.tenant_id)(task.body.code if task.body else None)
    due = due_after(calendar, task.created_at, duration)
    facts.competence_checked(session=session, case=case, task=task, clause=duration.clause, due=due, now=now)
    if now <= due:
        return
    late = _late_minutes(session, case, task.body, due, now)
    session.add(Breach(case_id=case.id, task_guid=task.task_guid, step="competence", clause=duration.clause,
                       body_id=task.body_id, person_id=user.id, due_at=due, recorded_at=now, done_at=now,
                       late_minutes=late))
    facts.breach_recorded(session=session, case=case, task_guid=None, step="competence", clause=duration.clause)
    add_event(session=session, case=case, at=now, actor=user, kind="overdue", step="competence",
              body_id=task.body_id, due_at=due, details={"clause": duration.clause, "late_minutes": late})
