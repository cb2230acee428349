"""Run a case's workflow one step and rewrite its projections in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache

from sqlalchemy import Update, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import Clock
from engine.runner import EngineContext, EngineFailure, LiveWorkflows, Runner, Snapshot, StepRefused
from engine.texts import N_, text_of
from engine.timers import Duration, ParameterError
from models import Body, Breach, Case, CaseEvent, HumanTask, Tenant, Timer, User
from services.absences import assign_opened_tasks
from services.calendars import calendar_resolver
from services.db import add_inserted
from services.errors import Conflict, Invalid
from services.inbox import CLASSIFICATION, classification, classify
from services.library.versions import bundle_for
from services.notifications import notify_deadline, notify_opened_tasks, notify_overdue, notify_stalled
from services.reports import facts

log = logging.getLogger("otklik.workflow")

# The workflows this process stepped last: the next step of the same case usually starts from them.
LIVE = LiveWorkflows()


def runner_for(*, session: Session, case: Case, clock: Clock) -> Runner:
    """A runner for the case's own frozen process version and its tenant's calendars."""
    context = engine_context(session=session, tenant_id=case.tenant_id, clock=clock)
    return Runner(bundle_for(session=session, version_id=case.process_version_id), context, LIVE)


def engine_context(*, session: Session, tenant_id: int, clock: Clock) -> EngineContext:
    """What the engine needs for a tenant's cases: the clock, its calendars and its own deadline values."""
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    try:
        overrides = {name: Duration(**spec) for name, spec in tenant.settings.get("deadlines", {}).items()}
    except (TypeError, ParameterError) as exc:
        raise Invalid(N_("Сроки организации «%(tenant)s» заданы неверно: %(problem)s", tenant=tenant.name,
                         problem=text_of(exc))) from exc
    return EngineContext(clock=clock, calendar_for=calendar_resolver(session=session, tenant_id=tenant_id),
                         deadline_overrides=overrides)


def run_step(step: Callable[[], Snapshot]) -> Snapshot:
    """Run an engine call, turning its refusals into errors a person can read."""
    try:
        return step()
    except StepRefused as exc:
        raise Conflict(text_of(exc)) from exc
    except EngineFailure as exc:
        raise Invalid(text_of(exc)) from exc


# Statements every step runs, built once.
_BODIES = select(Body.id, Body.code, Body.is_curator).where(Body.tenant_id == bindparam("tenant_id"))
_TIMERS = select(Timer.id, Timer.task_guid, Timer.kind, Timer.step, Timer.due_at) \
    .where(Timer.case_id == bindparam("case_id"))
_ARM_TIMER = insert(Timer)
_MOVE_TIMER = update(Timer).where(Timer.id == bindparam("timer_id")).values(due_at=bindparam("new_due_at"))
_DISARM_TIMERS = delete(Timer).where(Timer.id.in_(bindparam("timer_ids", expanding=True)))
_STILL_OPEN = select(HumanTask).where(HumanTask.task_guid.in_(bindparam("guids", expanding=True))) \
    .options(lazyload(HumanTask.case)).order_by(HumanTask.id)
_CLOSE_TASK = update(HumanTask).where(HumanTask.task_guid == bindparam("guid"), HumanTask.state == "open").values(
    {name: bindparam(f"new_{name}") for name in ("state", "completed_at", "completed_by_id")})
_ADD_EVENT = insert(CaseEvent)
# Who did, in a case's history, what no person did (the engine, a timer): pages show it in the reader's language.
SYSTEM_ACTOR = N_("Система")


def apply_snapshot(*, session: Session, case: Case, snapshot: Snapshot, clock: Clock, actor: User | None,
                   completed_guid: str | None = None, changes: Mapping[str, object] | None = None,
                   fact: Mapping[str, object] | None = None) -> list[HumanTask]:
    """Store the new state and rewrite the inbox, timers, history, report facts and effects; returns the open tasks.
    `changes` are the step's own changes of case columns (a triage's classification), written with the state;
    `fact` the completed task's changes of the case's report fact (services.reports.facts.task_completed)."""
    now = clock.now()
    new_case = not case.state  # its first step: no tasks or timers stored yet
    # The engine tells which tasks were open before the step: the inbox rows of exactly those are open.
    open_ids = {t.id for t in snapshot.open_tasks}
    before = set(snapshot.open_before)
    still_open = [guid for guid in snapshot.open_before if guid in open_ids]
    with session.no_autoflush:  # everything is read first, so the case row's version check is the first write
        existing = {t.task_guid: t for t in session.scalars(_STILL_OPEN, {"guids": still_open})} if still_open else {}
        previous = [] if new_case else session.connection().execute(_TIMERS, {"case_id": case.id}).all()
        fresh = [t for t in snapshot.open_tasks if t.id not in before]
        body_ids: dict[str | None, int] = {}  # a task of no body is the curator's
        bodies = session.connection().execute(_BODIES, {"tenant_id": case.tenant_id}) if fresh else ()
        for body_id, code, is_curator in bodies:
            body_ids[code] = body_id
            if is_curator:
                body_ids[None] = body_id
    case_row: dict[str, object] = {**(changes or {}), "state": snapshot.state, "path": snapshot.completed_steps,
                                   "active_steps": snapshot.active_steps}
    for timer in snapshot.timers:
        if timer.kind == "case":
            case_row["due_at"] = timer.due_at
    guarded = {t.step for t in previous if t.kind == "case"}
    if not snapshot.completed and guarded and not any(t.kind == "case" for t in snapshot.timers) \
            and not guarded & set(snapshot.active_steps):
        case_row["due_at"] = None  # the guarded stretch ended: no clock runs while the case waits (clause 7.3)
    closing = snapshot.completed and case.status != "closed"
    if closing:
        case_row.update(status="closed", closed_at=now,
                        outcome=snapshot.end_events[-1] if snapshot.end_events else None)
    stalls = snapshot.stalled and case.stalled_at is None
    if snapshot.stalled != (case.stalled_at is not None):
        case_row["stalled_at"] = now if snapshot.stalled else None
    new_due = case_row.get("due_at") if case_row.get("due_at") != case.due_at else None
    write_case(session=session, case=case, changes=case_row)  # first write: a concurrent step fails here
    if existing and CLASSIFICATION.keys() & (changes or {}).keys():
        classify(session=session, case=case, tasks=existing.values())  # new tasks copy it as they are inserted
    if new_case:
        facts.case_registered(session=session, case=case)
    if stalls:
        report_stall(session=session, case=case, now=now)
    if closing:
        add_event(session=session, case=case, at=now, actor=actor, kind="closed", details={"outcome": case.outcome})
    if fact or closing or isinstance(new_due, datetime):
        facts.write_case_fact(session=session, case=case, values=fact or {},
                              due_at=new_due if isinstance(new_due, datetime) else None)
    closed = {guid: {"state": "completed" if guid == completed_guid else "cancelled", "completed_at": now,
                     "completed_by_id": actor.id if actor and guid == completed_guid else None}
              for guid in snapshot.open_before if guid not in open_ids}
    if closed:  # Core UPDATEs; rows of them already loaded (the completed task) take the values as stored
        updates = [{"guid": guid, **{f"new_{key}": value for key, value in values.items()}}
                   for guid, values in closed.items()]
        session.connection().execute(_CLOSE_TASK, updates)
        for row in list(session.identity_map.values()):
            if isinstance(row, HumanTask) and row.task_guid in closed:
                for key, value in closed[row.task_guid].items():
                    set_committed_value(row, key, value)
    deadline_of = {t.attached_task_id: t.due_at for t in snapshot.timers if t.kind == "deadline"}
    opened, clauses = [], []
    for task in snapshot.open_tasks:
        if task.id in before:
            if deadline_of.get(task.id) and task.id in existing:
                existing[task.id].due_at = deadline_of[task.id]
            continue
        opened.append(HumanTask(case_id=case.id, tenant_id=case.tenant_id, task_guid=task.id, step=task.step,
                                name=task.name, role=task.role, body_id=body_ids.get(task.body), form=task.form,
                                deadline=task.deadline, due_at=deadline_of.get(task.id), created_at=now,
                                **classification(case)))
        add_inserted(session, opened[-1])
        if task.id in deadline_of:
            round_ = str(task.data.get("round") or "first")
            clauses.append((opened[-1], _clause(session, case, task.step, round_)))
    completed = next((row for row in session.identity_map.values() if isinstance(row, HumanTask)
                      and row.task_guid == completed_guid), None) if completed_guid in closed else None
    facts.steps_changed(session=session, case=case, opened=clauses, closed=closed, completed=completed, now=now)
    kept = {t.task_guid: t for t in previous}
    pending = {t.id for t in snapshot.timers}
    gone = [t.id for t in previous if t.task_guid not in pending]
    # Timers are written with Core: nothing reads them back in this step.
    if gone:
        session.connection().execute(_DISARM_TIMERS, {"timer_ids": gone})
    armed, moved = [], []
    for timer in snapshot.timers:
        stored = kept.get(timer.id)
        if stored is None:
            armed.append({"case_id": case.id, "task_guid": timer.id, "kind": timer.kind, "parameter": timer.parameter,
                          "step": timer.step, "due_at": timer.due_at, "armed_at": now})
        elif stored.due_at != timer.due_at:
            moved.append({"timer_id": stored.id, "new_due_at": timer.due_at})
    if armed:
        session.connection().execute(_ARM_TIMER, armed)
    if moved:
        session.connection().execute(_MOVE_TIMER, moved)
    assign_opened_tasks(session=session, case=case, tasks=opened, clock=clock)
    _apply_effects(session=session, case=case, snapshot=snapshot, now=now)
    notify_opened_tasks(session=session, case=case, tasks=opened, actor=actor, now=now)
    return list(existing.values()) + opened


def report_stall(*, session: Session, case: Case, now: datetime) -> None:
    """An open case that nothing can move on is never silent: the log, its history and its administrators hear."""
    log.error("case %d stalled at %s: no open task, timer or event; repair it at /admin/stalled or with "
              "`flask --app app cases repair %d`", case.id, ", ".join(case.active_steps) or "-", case.id)
    add_event(session=session, case=case, at=now, actor=None, kind="stalled",
              details={"steps": ", ".join(case.active_steps)})
    notify_stalled(session=session, case=case, now=now)


def write_case(*, session: Session, case: Case, changes: dict[str, object]) -> None:
    """Write a step's changes to the case row as one UPDATE checking the version the step started from (a
    concurrent step of the same case raises StaleDataError, as a flush would); the loaded case takes them as stored."""
    seen = case.version
    params = {f"new_{key}": value for key, value in changes.items()}
    result = session.connection().execute(_case_update(tuple(changes)),
                                          {**params, "case_id": case.id, "seen": seen, "new_version": seen + 1})
    if result.rowcount != 1:
        raise StaleDataError(f"case {case.id} changed since version {seen}")
    for key, value in {**changes, "version": seen + 1}.items():
        set_committed_value(case, key, value)


@cache
def _case_update(columns: tuple[str, ...]) -> Update:
    """The UPDATE of these columns with the version check, built once per set of columns."""
    return update(Case).where(Case.id == bindparam("case_id"), Case.version == bindparam("seen")) \
        .values({name: bindparam(f"new_{name}") for name in (*columns, "version")})


def add_event(*, session: Session, case: Case, at: datetime, actor: User | None, kind: str,
              step: str | None = None, body_id: int | None = None, due_at: datetime | None = None,
              details: dict[str, object] | None = None) -> None:
    """Append one entry to the case's history: a Core INSERT on the step's connection, since nothing reads the
    entry back in the same step (a unit-of-work flush of it would cost several times as much)."""
    session.connection().execute(_ADD_EVENT, {
        "case_id": case.id, "at": at, "actor_id": actor.id if actor else None,
        "actor_name": actor.full_name if actor else SYSTEM_ACTOR, "kind": kind, "step": step, "body_id": body_id,
        "due_at": due_at, "details": details or {}})


def _apply_effects(*, session: Session, case: Case, snapshot: Snapshot, now: datetime) -> None:
    """Record breaches and notifications the diagram's service tasks asked for."""
    for effect in snapshot.effects:
        step = str(effect.params.get("step", ""))
        if step == "case":
            task = None
            body_id = case.body_id
            due = case.due_at
        else:
            task = session.scalar(select(HumanTask).where(HumanTask.task_guid == effect.task_id))
            body_id = task.body_id if task else None
            due = task.due_at if task else None
        if effect.action == "record_breach":
            clause = _clause(session, case, step, str(effect.data.get("round", "first")))
            session.add(Breach(case_id=case.id, task_guid=task.task_guid if task else None, step=step,
                               clause=clause, body_id=body_id, person_id=None, due_at=due or now,
                               recorded_at=now))
            add_event(session=session, case=case, at=now, actor=None, kind="overdue", step=step, body_id=body_id,
                      due_at=due, details={"clause": clause})
            facts.breach_recorded(session=session, case=case, task_guid=task.task_guid if task else None, step=step,
                                  clause=clause)
            notify_overdue(session=session, case=case, task=task, body_id=body_id, due=due, clause=clause, now=now)
        elif effect.action == "notify":
            notify_deadline(session=session, case=case, task=task, body_id=body_id, due=due, now=now)
            add_event(session=session, case=case, at=now, actor=None, kind="warning", step=step, body_id=body_id,
                      due_at=due)


def _clause(session: Session, case: Case, step: str, round_: str) -> str:
    """The regulation clause whose deadline a step breaks (a late final reply after an interim one breaks 8.8)."""
    params = bundle_for(session=session, version_id=case.process_version_id).parameters
    return facts.clause_of(params, step, round_, case.importance)
