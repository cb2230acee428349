"""Cases that nothing moves on: found after every step and by a periodic sweep, listed, repaired; and a check that
every open case's stored workflow agrees with its inbox rows, timers and history."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, undefer

from engine.clock import Clock
from engine.texts import N_, from_library, joined, stored_note, text_of
from models import Body, Case, CaseEvent, HumanTask, Timer, User
from services.errors import Forbidden, NotFound
from services.inbox.tally import problems as tally_problems
from services.library.versions import bundle_for
from services.workflow import add_event, apply_snapshot, report_stall, run_step, runner_for

log = logging.getLogger("otklik.integrity")
_BATCH = 200


def _open_cases(session: Session, query_filter: ColumnElement[bool] | None = None, *,
                with_state: bool = True) -> Iterator[Case]:
    """Open cases in id order, a batch at a time (a database of 100,000 cases is not read at once)."""
    last = 0
    while True:
        query = select(Case).where(Case.status == "open", Case.id > last).order_by(Case.id).limit(_BATCH)
        if query_filter is not None:
            query = query.where(query_filter)
        if with_state:
            query = query.options(undefer(Case.state))
        batch = list(session.scalars(query))
        if not batch:
            return
        yield from batch
        last = batch[-1].id


def sweep_stalled(*, sessions: Callable[[], Session], clock: Clock) -> int:
    """Find open cases that wait for nothing and were not reported yet, and report each; returns how many.
    Only cases with no open task are restored (the others have someone to move them on)."""
    with sessions() as session:
        nobody_works = ~exists().where(HumanTask.case_id == Case.id, HumanTask.state == "open")
        candidates = [c.id for c in _open_cases(session, Case.stalled_at.is_(None) & nobody_works, with_state=False)]
    found = 0
    for case_id in candidates:
        with sessions() as session:
            case = session.scalar(select(Case).where(Case.id == case_id).options(undefer(Case.state)))
            if case is None or case.status != "open" or case.stalled_at is not None:
                continue
            try:
                snapshot = runner_for(session=session, case=case, clock=clock).snapshot(case.state)
            except Exception:
                log.exception("case %d: its stored workflow cannot be restored", case.id)
                continue
            if snapshot.stalled:
                now = clock.now()
                case.stalled_at = now
                report_stall(session=session, case=case, now=now)
                session.commit()
                found += 1
    return found


@dataclass(frozen=True)
class StalledCase:
    """An open case found stalled, for the administrators' list."""

    case: Case
    steps: list[str]


def stalled_cases(*, session: Session, user: User) -> list[StalledCase]:
    """The open stalled cases of the administrator's organisation, the longest stalled first."""
    if user.role != "admin":
        raise Forbidden(N_("Остановившиеся случаи видит администратор"))
    cases = session.scalars(select(Case).where(Case.tenant_id == user.tenant_id, Case.status == "open",
                                               Case.stalled_at.is_not(None)).order_by(Case.stalled_at, Case.id))
    listed = []
    for case in cases:
        names = bundle_for(session=session, version_id=case.process_version_id).step_names
        listed.append(StalledCase(case, [names.get(step, step) for step in case.active_steps]))
    return listed


@dataclass(frozen=True)
class Repair:
    """What a repair did: the tasks it opened, or why the case still waits for nothing."""

    case_id: int
    opened: list[str]
    still_stalled: bool


def repair_case(*, session: Session, case_id: int, clock: Clock, user: User | None = None) -> Repair:
    """Merge loop instances that finished unmerged, run the engine on, and rewrite the projections; the history
    records it. `user` None: the command line (an operator with the database)."""
    case = session.scalar(select(Case).where(Case.id == case_id).options(undefer(Case.state)))
    if case is None or (user is not None and case.tenant_id != user.tenant_id):
        raise NotFound(N_("Случай не найден"))
    if user is not None and user.role != "admin":
        raise Forbidden(N_("Случай восстанавливает администратор"))
    if case.status != "open":
        return Repair(case.id, [], False)
    runner = runner_for(session=session, case=case, clock=clock)
    snapshot = run_step(lambda: runner.repair(case.state))
    was = case.stalled_at
    opened = apply_snapshot(session=session, case=case, snapshot=snapshot, clock=clock, actor=user)
    names = [task.name for task in opened if task.state == "open"]
    if was is not None or names:
        add_event(session=session, case=case, at=clock.now(), actor=user, kind="repaired",
                  details={"opened": stored_note(joined(map(from_library, names), ", ")) if names else "—"})
    log.info("case %d repaired: %s", case.id,
             "still stalled" if snapshot.stalled else ", ".join(names) or "nothing to move on")
    return Repair(case.id, names, snapshot.stalled)


def stalled_ids(*, session: Session) -> list[int]:
    """Every open case flagged as stalled, in all organisations (for the command line)."""
    return list(session.scalars(select(Case.id).where(Case.status == "open", Case.stalled_at.is_not(None))
                                .order_by(Case.id)))


def check_cases(*, session: Session, clock: Clock) -> Iterator[str]:
    """Restore every open case's workflow and compare it with what the pages and the scheduler read: its open
    inbox rows, its timers, its completed tasks and their history; then the inbox's kept counts against the open
    tasks; one problem a line. Changes nothing."""
    body_codes: dict[int, dict[int, str]] = {}  # each tenant's bodies, read once
    for case in _open_cases(session):
        try:
            snapshot = runner_for(session=session, case=case, clock=clock).snapshot(case.state)
        except Exception as exc:
            yield N_("случай %(case)s: сохранённый процесс не восстанавливается: %(error)s", case=case.id,
                     error=text_of(exc))
            continue
        if snapshot.stalled:
            yield N_("случай %(case)s: остановился (шаги: %(steps)s): нет ни задачи, ни срока, ни события; "
                     "flask --app app cases repair %(case)s", case=case.id, steps=", ".join(case.active_steps) or "—")
        if case.tenant_id not in body_codes:
            body_codes[case.tenant_id] = dict(session.execute(
                select(Body.id, Body.code).where(Body.tenant_id == case.tenant_id)).all())
        codes = body_codes[case.tenant_id]
        # A case the municipality sent back runs its workflow again from triage (order 4.3): the tasks and history
        # of the earlier run are not in the workflow now.
        since = session.scalar(select(func.max(CaseEvent.at)).where(CaseEvent.case_id == case.id,
                                                                    CaseEvent.kind == "returned"))
        rows = {t.task_guid: t for t in session.scalars(select(HumanTask).where(HumanTask.case_id == case.id))
                if since is None or t.created_at >= since}
        inbox = {guid: (t.step, codes.get(t.body_id) if t.body_id else None)
                 for guid, t in rows.items() if t.state == "open"}
        engine = {t.id: (t.step, t.body) for t in snapshot.open_tasks}
        for guid in engine.keys() - inbox.keys():
            yield N_("случай %(case)s: задача «%(element)s» (%(task)s) открыта в процессе, но её нет во входящих",
                     case=case.id, element=engine[guid][0], task=guid)
        for guid in inbox.keys() - engine.keys():
            yield N_("случай %(case)s: задача «%(element)s» (%(task)s) во входящих, но в процессе не ждёт",
                     case=case.id, element=inbox[guid][0], task=guid)
        for guid in engine.keys() & inbox.keys():
            step, body = engine[guid]
            if inbox[guid][0] != step or (body is not None and inbox[guid][1] not in (body, None)):
                yield N_("случай %(case)s: задача %(task)s: во входящих %(inbox)s, в процессе %(engine)s",
                         case=case.id, task=guid, inbox=repr(inbox[guid]), engine=repr(engine[guid]))
        timers = {t.task_guid: t.due_at for t in session.scalars(select(Timer).where(Timer.case_id == case.id))}
        armed = {t.id: t.due_at for t in snapshot.timers}
        for guid in armed.keys() ^ timers.keys():
            yield (N_("случай %(case)s: срок %(timer)s в процессе, но не в таблице сроков", case=case.id, timer=guid)
                   if guid in armed else
                   N_("случай %(case)s: срок %(timer)s в таблице сроков, но не в процессе", case=case.id, timer=guid))
        for guid in armed.keys() & timers.keys():
            if armed[guid] != timers[guid]:
                yield N_("случай %(case)s: срок %(timer)s: в процессе %(engine)s, в таблице %(table)s", case=case.id,
                         timer=guid, engine=_iso(armed[guid]), table=_iso(timers[guid]))
        finished = {guid for guid, _ in snapshot.completed_tasks}
        done = [guid for guid, t in rows.items() if t.state == "completed"]
        for guid in done:
            if guid not in finished:
                yield N_("случай %(case)s: задача %(task)s выполнена во входящих, но не в процессе", case=case.id,
                         task=guid)
        recorded = session.scalar(select(func.count()).where(CaseEvent.case_id == case.id,
                                                             CaseEvent.kind == "task_completed",
                                                             CaseEvent.at >= (since or case.registered_at))) or 0
        if recorded != len(done):
            yield N_("случай %(case)s: в истории %(recorded)s выполненных задач, во входящих %(done)s", case=case.id,
                     recorded=recorded, done=len(done))
        session.expunge_all()  # a case at a time: a large database is not held in memory
    yield from tally_problems(session)


def _iso(moment: datetime) -> str:
    return moment.isoformat()
