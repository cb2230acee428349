"""The case's steps as a timeline that reads without BPMN: who did each, when, against which deadline, how late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, lazyload

from models import Body, Breach, Case, HumanTask, User
from services.breaches import working_minutes


@dataclass(frozen=True)
class TimelineStep:
    """One step of the case: opened, finished (or still open or cancelled), its deadline and lateness."""

    task_id: int
    name: str
    state: str  # open | completed | cancelled
    body: Body | None
    person: User | None  # who finished it, or who holds it while open
    opened_at: datetime
    done_at: datetime | None
    due_at: datetime | None
    late_minutes: int  # working minutes past the deadline (so far, if still open); 0 when on time


def case_timeline(*, session: Session, case: Case, now: datetime) -> list[TimelineStep]:
    """Every user task of the case in the order it opened, with the breach register's lateness where it has one."""
    tasks = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id)
                            .order_by(HumanTask.created_at, HumanTask.id)
                            .options(lazyload(HumanTask.case),
                                     *(joinedload(person).options(lazyload(User.body), lazyload(User.tenant))
                                       for person in (HumanTask.completed_by, HumanTask.assignee)))).all()
    settled = {b.task_guid: b.late_minutes for b in session.scalars(
        select(Breach).where(Breach.case_id == case.id, Breach.task_guid.is_not(None),
                             Breach.late_minutes.is_not(None)))}
    steps = []
    for task in tasks:
        end = task.completed_at if task.state != "open" else now
        late = 0
        if task.due_at is not None and end is not None and end > task.due_at and task.state != "cancelled":
            late = settled.get(task.task_guid) or working_minutes(
                session=session, tenant_id=case.tenant_id, body=task.body, start=task.due_at, end=end)
        steps.append(TimelineStep(task_id=task.id, name=task.name, state=task.state, body=task.body,
                                  person=task.completed_by if task.state != "open" else task.assignee,
                                  opened_at=task.created_at, done_at=task.completed_at, due_at=task.due_at,
                                  late_minutes=late))
    return steps
