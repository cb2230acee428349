"""Report facts written at event time, in the same transaction as the step that caused them.

The reading side (monthly summary, quarterly rating, heatmap, what-if) uses only these two tables:

- `CaseFact` (`case_fact`), one row per message case, keyed by `case_id`; the month is the Moscow month of
  registration (`local_month` = YYYYMM). Case on time (8.3) = `first_reply_at` set and not `overdue`;
  `reply_wh_min` = working minutes from sending (8.1) to the first published reply, on the holding body's calendar.
- `StepFact` (`step_fact`), one row per step that had a deadline: `step`, `clause` (8.2, 8.4-8.9, 7.3...),
  `body_id`, `started_at`, `due_at`, `done_at`, `state` (open / completed / cancelled), `wh_used_min` (working
  minutes to completion on the body's calendar), `breached`; the month is the Moscow month of the start.

Writers (called by services.workflow, services.tasks, services.breaches, services.repeats): `case_registered`,
`steps_changed`, `write_case_fact` (with the values of `task_completed`, read before the step writes: a completion
updates its case fact once), `breach_recorded`, `competence_checked`, `repeat_linked`.
Working minutes are computed here in Python with the engine calendar, never in SQL. `backfill` fills the facts of
cases that have none from case_event, human_task, breach and draft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Update, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from engine.clock import MOSCOW
from engine.timers import DeadlineParameters
from models import Breach, Case, CaseEvent, CaseFact, CaseLink, Draft, HumanTask, StepFact
from services.calendars import calendar_resolver
from services.library.versions import bundle_for

NOT_SUBJECT_END = "not_subject_end"  # the end event of clause 10 in bpmn/case.bpmn
REPLY_KINDS = ("reply", "interim")  # published drafts that answer the author (a clarification request does not)


def local_day(moment: datetime) -> int:
    """YYYYMMDD of a moment in Moscow time."""
    day = moment.astimezone(MOSCOW)
    return day.year * 10000 + day.month * 100 + day.day


def clause_of(parameters: DeadlineParameters, step: str, round_: str | None, importance: str | None) -> str:
    """The regulation clause whose deadline a step has (a draft after an interim reply is 8.8)."""
    if step in ("case", "draft") and round_ not in (None, "first"):
        name = f"after_{round_}"
    elif step == "case":
        name = "case_urgent" if importance == "high" else "case"
    else:
        name = step
    return parameters.durations[name].clause if name in parameters.durations else ""


def working_minutes(session: Session, tenant_id: int, body_code: str | None, start: datetime, end: datetime) -> int:
    """Working minutes from start to end on the body's calendar (the tenant's default for no body)."""
    calendar = calendar_resolver(session=session, tenant_id=tenant_id)(body_code)
    return max(0, int(calendar.working_time_between(start, end).total_seconds() // 60))


# How a step writes a case_fact column: counters add to it, first values stay once set (the first deadline, the first
# reply), every other column takes the new value.
_COUNTERS = frozenset({"approved", "returned", "reassigned"})
_FIRST_VALUES = frozenset({"due_at", "first_reply_at", "reply_wh_min", "final_reply_at", "defects"})


@cache
def _case_fact_update(columns: tuple[str, ...]) -> Update:
    """The UPDATE of these case_fact columns, built once per set of columns (a step runs one)."""
    def set_value(name: str) -> ColumnElement[Any]:
        column = CaseFact.__table__.c[name]
        new = bindparam(f"new_{name}", type_=column.type)
        if name in _COUNTERS:
            return column + new
        return func.coalesce(column, new) if name in _FIRST_VALUES else new

    return update(CaseFact).where(CaseFact.case_id == bindparam("fact_case_id")) \
        .values({name: set_value(name) for name in columns})


def _update_case_fact(session: Session, case_id: int, values: Mapping[str, Any]) -> None:
    """Write a step's changes to a case's fact (a counter's value is what it adds)."""
    if values:
        session.connection().execute(_case_fact_update(tuple(values)),
                                     {"fact_case_id": case_id, **{f"new_{k}": v for k, v in values.items()}})


_INSERT_CASE = insert(CaseFact)
_INSERT_STEPS = insert(StepFact)
_STEP = (StepFact.case_id == bindparam("fact_case_id")) & (StepFact.task_guid == bindparam("guid"))
_CLOSE_STEP = update(StepFact).where(_STEP).values(
    done_at=bindparam("new_done_at"), state=bindparam("new_state"), wh_used_min=bindparam("new_wh"))
_STEP_BREACHED = update(StepFact).where(_STEP).values(breached=True)
_CASE_BREACHED = update(CaseFact).where(CaseFact.case_id == bindparam("fact_case_id")).values(
    breaches=CaseFact.breaches + 1, overdue=CaseFact.overdue | bindparam("case_level"))


def case_registered(*, session: Session, case: Case) -> None:
    """A new message case: its fact row, with the month of registration."""
    if case.kind != "message":
        return
    day = local_day(case.registered_at)
    session.connection().execute(_INSERT_CASE, {
        "case_id": case.id, "tenant_id": case.tenant_id, "channel_id": case.channel_id,
        "registered_at": case.registered_at, "local_day": day, "local_month": day // 100, "interim": False,
        "overdue": False, "breaches": 0, "approved": 0, "returned": 0, "reassigned": 0, "repeat": False,
        "socially_significant": False, "not_subject": False})


def steps_changed(*, session: Session, case: Case, opened: Iterable[tuple[HumanTask, str]],
                  closed: Mapping[str, Mapping[str, Any]], completed: HumanTask | None, now: datetime) -> None:
    """Steps with a deadline that opened (each with its clause) and steps that ended in this transaction."""
    rows = [{"tenant_id": case.tenant_id, "case_id": case.id, "task_guid": task.task_guid, "step": task.step,
             "clause": clause, "body_id": task.body_id, "started_at": task.created_at, "due_at": task.due_at,
             "state": "open", "breached": False, "local_day": day, "local_month": day // 100}
            for task, clause in opened if task.due_at is not None for day in (local_day(task.created_at),)]
    if rows:
        session.connection().execute(_INSERT_STEPS, rows)
    ended = []
    for guid, values in closed.items():
        minutes = None
        if completed is not None and guid == completed.task_guid:
            if completed.due_at is None:
                continue  # a step without a deadline (triage) has no fact
            code = completed.body.code if completed.body else None
            minutes = working_minutes(session, case.tenant_id, code, completed.created_at, now)
        ended.append({"fact_case_id": case.id, "guid": guid, "new_done_at": values["completed_at"],
                      "new_state": values["state"], "new_wh": minutes})
    if ended:
        session.connection().execute(_CLOSE_STEP, ended)


def task_completed(*, session: Session, case: Case, data: Mapping[str, Any], changes: Mapping[str, object],
                   published: Draft | None) -> dict[str, Any]:
    """What a completed task means for the case's fact (triage, 8.2 answers, approval decisions, publication of the
    draft `published` at data's published_at), given the case's own `changes`; read before the step writes anything
    and written with the step's own changes of the fact (services.workflow.apply_snapshot)."""
    values: dict[str, Any] = {}
    if data.get("triage_decision") == "send":
        values.update({name: changes[name] for name in ("theme_id", "location_id", "importance", "sent_at")})
    if "body_id" in changes:
        values["body_id"] = changes["body_id"]
    if "not_competent" in (data.get("draft_outcome"), data.get("part_outcome")):
        values["reassigned"] = 1
    decision = data.get("approval_decision")
    if decision in ("approve", "return"):
        values["approved" if decision == "approve" else "returned"] = 1
    if data.get("socially_significant"):
        values["socially_significant"] = True
    if published is not None and published.kind in REPLY_KINDS:
        values.update(_publication(session, case, published, datetime.fromisoformat(data["published_at"])))
    return values


def write_case_fact(*, session: Session, case: Case, values: Mapping[str, Any], due_at: datetime | None) -> None:
    """A step's changes of the case's fact: `values` (those of task_completed), the case's first deadline once it is
    set (`due_at`: a new deadline), and its outcome when it has closed."""
    values = dict(values)
    if due_at is not None:
        values["due_at"] = due_at
    if case.status == "closed":
        values.update(outcome=case.outcome, closed_at=case.closed_at, not_subject=case.outcome == NOT_SUBJECT_END)
    _update_case_fact(session, case.id, values)


def _publication(session: Session, case: Case, draft: Draft, published_at: datetime) -> dict[str, Any]:
    """The fact's columns a published reply sets: the first reply's time, working minutes and defects stay."""
    from services.reply_checks import reply_checks  # here: services.reply_checks imports services.tasks

    values: dict[str, Any] = {"first_reply_at": published_at}
    if case.sent_at is not None:
        code = case.body.code if case.body else None
        values["reply_wh_min"] = working_minutes(session, case.tenant_id, code, case.sent_at, published_at)
    values["defects"] = any(not check.ok for check in reply_checks(session=session, case=case, text=draft.text))
    if draft.kind == "interim":
        values["interim"] = True
    else:
        values["final_reply_at"] = published_at
    return values


def breach_recorded(*, session: Session, case: Case, task_guid: str | None, step: str, clause: str) -> None:
    """A deadline passed: the step is breached; the case counts one more breach, and is overdue at 8.3."""
    if task_guid is not None:
        session.connection().execute(_STEP_BREACHED, {"fact_case_id": case.id, "guid": task_guid})
    session.connection().execute(_CASE_BREACHED,
                                 {"fact_case_id": case.id, "case_level": step == "case" and clause == "8.3"})


def competence_checked(*, session: Session, case: Case, task: HumanTask, clause: str, due: datetime,
                       now: datetime) -> None:
    """Clause 8.2: a "not our competence" answer is a step of its own, on time or not."""
    day = local_day(task.created_at)
    code = task.body.code if task.body else None
    session.connection().execute(_INSERT_STEPS, {
        "tenant_id": case.tenant_id, "case_id": case.id, "task_guid": f"{task.task_guid[:31]}:8.2",
        "step": "competence", "clause": clause, "body_id": task.body_id, "started_at": task.created_at,
        "due_at": due, "done_at": now, "state": "completed",
        "wh_used_min": working_minutes(session, case.tenant_id, code, task.created_at, now), "breached": now > due,
        "local_day": day, "local_month": day // 100})


def repeat_linked(*, session: Session, case: Case) -> None:
    """The curator linked the case as a repeat of an earlier one (8.10)."""
    _update_case_fact(session, case.id, {"repeat": True})


def backfill(*, session: Session) -> int:
    """Facts of the message cases that have none, computed from their stored history; returns how many."""
    missing = select(Case).where(Case.kind == "message", ~exists().where(CaseFact.case_id == Case.id)) \
        .order_by(Case.id)
    done = 0
    for case in session.scalars(missing).all():
        parameters = bundle_for(session=session, version_id=case.process_version_id).parameters
        _backfill_case(session, case, parameters)
        done += 1
    session.flush()
    return done


def _backfill_case(session: Session, case: Case, parameters: DeadlineParameters) -> None:
    """One case's facts from case_event, human_task, breach and draft."""
    case_registered(session=session, case=case)
    drafts = session.scalars(select(Draft).where(Draft.case_id == case.id).order_by(Draft.number)).all()
    breaches = session.scalars(select(Breach).where(Breach.case_id == case.id)).all()
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "task_completed")
                             .order_by(CaseEvent.at, CaseEvent.id)).all()
    tasks = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id).order_by(HumanTask.id)).all()
    sent = next((e.at for e in events if e.details.get("triage_decision") == "send"), None)
    values: dict[str, Any] = {
        "theme_id": case.theme_id, "location_id": case.location_id, "body_id": case.body_id,
        "importance": case.importance, "sent_at": sent or case.sent_at,
        "approved": sum(d.decision == "approve" for d in drafts),
        "returned": sum(d.decision == "return" for d in drafts),
        "reassigned": sum("not_competent" in (e.details.get("draft_outcome"), e.details.get("part_outcome"))
                          for e in events),
        "breaches": len(breaches), "overdue": any(b.step == "case" and b.clause == "8.3" for b in breaches),
        "socially_significant": case.socially_significant,
        "repeat": bool(session.scalar(select(exists().where(CaseLink.case_id == case.id)))),
        "outcome": case.outcome if case.status == "closed" else None, "closed_at": case.closed_at,
        "not_subject": case.outcome == NOT_SUBJECT_END}
    values["due_at"] = next((b.due_at for b in breaches if b.step == "case"), case.due_at)
    session.connection().execute(update(CaseFact).where(CaseFact.case_id == case.id).values(values))
    published = sorted((d for d in drafts if d.published_at is not None and d.kind in REPLY_KINDS),
                       key=lambda d: (d.published_at, d.number))
    for draft in published:
        assert draft.published_at is not None
        _update_case_fact(session, case.id, _publication(session, case, draft, draft.published_at))
    breached = {b.task_guid for b in breaches if b.task_guid}
    rows = []
    first_draft = next((t.id for t in tasks if t.step == "draft"), None)
    for task in tasks:
        if task.due_at is None:
            continue
        # A later draft answers after the last interim reply or clarification request published before it opened.
        round_ = next((d.kind for d in reversed(drafts) if task.step == "draft" and task.id != first_draft
                       and d.kind in ("interim", "clarification") and d.published_at
                       and d.published_at <= task.created_at), None)
        code = task.body.code if task.body else None
        minutes = working_minutes(session, case.tenant_id, code, task.created_at, task.completed_at) \
            if task.state == "completed" and task.completed_at else None
        clause = next((b.clause for b in breaches if b.task_guid == task.task_guid and b.step == task.step), None) \
            or clause_of(parameters, task.step, round_, case.importance)
        day = local_day(task.created_at)
        rows.append({"tenant_id": case.tenant_id, "case_id": case.id, "task_guid": task.task_guid, "step": task.step,
                     "clause": clause, "body_id": task.body_id, "started_at": task.created_at, "due_at": task.due_at,
                     "done_at": task.completed_at, "state": task.state, "wh_used_min": minutes,
                     "breached": task.task_guid in breached, "local_day": day, "local_month": day // 100})
    for breach in breaches:
        if breach.step == "competence" and breach.task_guid:
            answered = next((t for t in tasks if t.task_guid == breach.task_guid), None)
            if answered is not None:
                day = local_day(answered.created_at)
                rows.append({"tenant_id": case.tenant_id, "case_id": case.id,
                             "task_guid": f"{breach.task_guid[:31]}:8.2", "step": "competence",
                             "clause": breach.clause, "body_id": breach.body_id, "started_at": answered.created_at,
                             "due_at": breach.due_at, "done_at": breach.done_at, "state": "completed",
                             "wh_used_min": None, "breached": True, "local_day": day, "local_month": day // 100})
    if rows:
        session.connection().execute(_INSERT_STEPS, rows)

