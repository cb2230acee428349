"""Waking cases whose timers are due: each due timer is claimed so it fires exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock, FixedClock
from engine.runner import Effect, Snapshot
from models import Case, Timer
from services.db import run_retrying
from services.workflow import apply_snapshot, run_step, runner_for

log = logging.getLogger("otklik.timers")
# SpiffWorkflow fires a timer only once its due moment has strictly passed.
_TICK = timedelta(microseconds=1)


def claim_due_case(*, session: Session, clock: Clock, skip: Collection[int] = ()) -> Case | None:
    """Lock one case with a timer past due, skipping `skip` and cases another worker holds (SKIP LOCKED on PG)."""
    # Strictly past due: SpiffWorkflow fires a timer only when due < now, so `<=` would wake a case for nothing.
    query = select(Timer.case_id).where(Timer.due_at < clock.now())
    if skip:
        query = query.where(Timer.case_id.not_in(skip))
    query = query.order_by(Timer.due_at, Timer.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        # The claim is the case row (one worker per case, Camunda's "exclusive" jobs). SKIP LOCKED inside the
        # same statement moves on to the next due case, so a case another worker holds never ends the sweep.
        query = query.join(Case, Case.id == Timer.case_id).with_for_update(of=Case, skip_locked=True)
    # On SQLite the sweep's transaction began with BEGIN IMMEDIATE: it is the only writer until it commits.
    case_id = session.scalar(query)
    if case_id is None:
        return None
    # Read after the lock: READ COMMITTED gives the state another worker may have committed a moment ago.
    return session.scalar(select(Case).where(Case.id == case_id).execution_options(populate_existing=True))


def wake_case(*, session: Session, case: Case, clock: Clock) -> bool:
    """Fire the case's past-due timers, oldest first, and rewrite its projections; False if none was due."""
    now = clock.now()
    # After a downtime several timers may be past due. One engine wake would fire them all at once in the
    # diagram's order (an urgent case's deadline after its draft's), so step the engine's clock through the
    # due moments instead and keep the effects in the order the deadlines fell. The history and the register
    # still record the moment the scheduler acted (`now`); each entry keeps its own due moment.
    pending = {t.task_guid: t.due_at for t in session.scalars(select(Timer).where(Timer.case_id == case.id))}
    engine_clock = FixedClock(now)
    runner = runner_for(session=session, case=case, clock=engine_clock)
    snapshot: Snapshot | None = None
    effects: list[Effect] = []
    previous: datetime | None = None
    while due := [at for at in pending.values() if at < now]:
        moment = min(due)
        if previous is not None and moment <= previous:
            log.error("case %d: the timer due at %s did not fire", case.id, moment.isoformat())
            break
        engine_clock.set(min(moment + _TICK, now))
        snapshot = run_step(partial(runner.wake, snapshot.state if snapshot else case.state))
        effects.extend(snapshot.effects)
        pending, previous = {t.id: t.due_at for t in snapshot.timers}, moment
    if snapshot is None:
        # Claimed from a timer row another worker fired and rewrote a moment ago: nothing to do.
        return False
    apply_snapshot(session=session, case=case, snapshot=replace(snapshot, effects=effects), clock=clock,
                   actor=None)
    return True


def fire_due_timers(*, sessions: Callable[[], Session], clock: Clock, limit: int = 100) -> int:
    """One sweep: wake up to `limit` cases with due timers, each in its own transaction; returns how many woke."""
    woken = 0
    # One wake fires every due timer of a case, so a case is woken at most once per sweep; a case that fails
    # is skipped too, so one broken case cannot hold back the others (the next sweep retries it).
    seen: set[int] = set()
    while len(seen) < limit:
        claimed: list[int] = []
        with sessions() as session:
            try:
                woke = run_retrying(partial(_wake_next, session, clock, seen, claimed), rollback=session.rollback,
                                    what="waking a case")
            except Exception:
                session.rollback()
                if not claimed:
                    raise
                seen.add(claimed[-1])
                log.exception("waking case %d failed; the next sweep retries it", claimed[-1])
                continue
        if woke is None:
            break
        seen.add(claimed[-1])
        woken += woke
    return woken


def _wake_next(session: Session, clock: Clock, skip: Collection[int], claimed: list[int]) -> bool | None:
    """The unit of work of a sweep: claim the next due case (its id goes to `claimed`), wake it and commit; None when
    no case is due. A deadlock re-runs it whole, claim included."""
    case = claim_due_case(session=session, clock=clock, skip=skip)
    if case is None:
        session.rollback()
        return None
    claimed.append(case.id)
    woke = wake_case(session=session, case=case, clock=clock)
    session.commit()
    return woke
