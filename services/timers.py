"""Waking cases whose timers are due: each due timer is claimed so it fires exactly once."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from models import Case, Timer
from services.errors import ServiceError
from services.workflow import apply_snapshot, run_step, runner_for


def claim_due_case(*, session: Session, clock: Clock) -> Case | None:
    """Lock one case with a due timer, skipping cases another worker holds (SKIP LOCKED on PostgreSQL)."""
    query = select(Timer.case_id).where(Timer.due_at <= clock.now()).order_by(Timer.due_at, Timer.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    case_id = session.scalar(query)
    if case_id is None:
        return None
    lock = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        lock = lock.with_for_update(skip_locked=True)
    return session.scalar(lock)


def wake_case(*, session: Session, case: Case, clock: Clock) -> None:
    """Fire the case's due timers and rewrite its projections."""
    runner = runner_for(session=session, case=case, clock=clock)
    snapshot = run_step(lambda: runner.wake(case.state))
    apply_snapshot(session=session, case=case, snapshot=snapshot, clock=clock, actor=None)


def fire_due_timers(*, sessions: Callable[[], Session], clock: Clock, limit: int = 100) -> int:
    """One sweep: wake up to `limit` cases with due timers, each in its own short transaction."""
    woken = 0
    failed: set[int] = set()
    while woken < limit:
        with sessions() as session:
            case = claim_due_case(session=session, clock=clock)
            if case is None or case.id in failed:
                session.rollback()
                return woken
            try:
                wake_case(session=session, case=case, clock=clock)
                session.commit()
            except ServiceError:
                session.rollback()
                failed.add(case.id)
                continue
        woken += 1
    return woken
