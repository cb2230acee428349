"""What-if: a past month replayed under other deadline values or another working calendar, from the recorded step and
case times and the engine's own deadline arithmetic (working time on the calendar, a step never due after its case);
nothing is written."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import CalendarError, Schedule, WorkHours, WorkingCalendar
from engine.clock import Clock
from engine.texts import N_, from_library, joined, text_of
from engine.timers import UNITS, DeadlineParameters, Duration, ParameterError, cap_at_case, due_after
from models import Body, CaseFact, ProcessDraft, StepFact, User
from services.calendar_admin import parse_time
from services.calendars import calendar_resolver, variant_resolver
from services.errors import Invalid, NotFound
from services.library.versions import CASE_PROCESS, bundle_for, current_version_id, library_of
from services.reports.monthly import month_text, parse_month, report_scope
from services.workflow import engine_context

# The deadlines a replay can change: the steps with a deadline and the case's reply (8.3).
PARAMETERS = ("case", "case_urgent", "competence", "draft", "approval", "rework", "publication", "part",
              "after_interim", "after_clarification")
# The later rounds: their draft and the case's reply both run on these (8.8, 7.3), from the round's start.
ROUNDS = ("after_interim", "after_clarification")
# Checked by the service when the body answers, not armed in the diagram: the case's deadline does not cap it.
UNCAPPED = ("competence",)
# The curator's approval (8.5) is counted on the tenant's default calendar (deadline("approval") names no body),
# though its step is recorded under the case's body.
ON_DEFAULT_CALENDAR = ("approval",)
# The working calendars a month can be replayed on: the tenant's own and its variants.
CALENDARS = {
    "current": N_("Действующий календарь организации"),
    "hours": N_("Другой рабочий день для всех органов"),
    "round_the_clock": N_("Круглосуточно: сроки в календарном времени"),
    "no_overrides": N_("Без особых дней организации"),
    "production": N_("Только производственный календарь: часы области, без расписаний органов и особых дней"),
}


def current_parameters(*, session: Session, tenant_id: int, clock: Clock) -> DeadlineParameters:
    """The deadlines the tenant's new cases run on: the current version's, with the tenant's own values."""
    bundle = bundle_for(session=session, version_id=current_version_id(session=session, tenant_id=tenant_id))
    return bundle.parameters.with_overrides(engine_context(session=session, tenant_id=tenant_id,
                                                           clock=clock).deadline_overrides)


def case_drafts(*, session: Session, user: User) -> list[ProcessDraft]:
    """The workbench drafts of the case process in the person's library, whose deadlines can be replayed."""
    tenant_id = library_of(user)
    return list(session.scalars(select(ProcessDraft).where(
        ProcessDraft.process_id == CASE_PROCESS,
        ProcessDraft.tenant_id.is_(None) if tenant_id is None else ProcessDraft.tenant_id == tenant_id)))


def changes_asked(*, session: Session, user: User, clock: Clock, parameter: str | None, value: str | None,
                  unit: str | None, draft_id: int | None) -> dict[str, Duration]:
    """The deadlines to replay with: one value from the form, or every value a workbench draft changes."""
    current = current_parameters(session=session, tenant_id=user.tenant_id, clock=clock)
    if draft_id is not None:
        draft = next((d for d in case_drafts(session=session, user=user) if d.id == draft_id), None)
        if draft is None:
            raise NotFound(N_("Черновик не найден"))
        try:
            theirs = DeadlineParameters.from_dict(json.loads(draft.files.get("parameters.json", "{}")))
        except (ValueError, ParameterError) as exc:
            raise Invalid(N_("Сроки черновика не читаются: %(problem)s", problem=text_of(exc))) from exc
        return {name: d for name, d in theirs.durations.items()
                if name in PARAMETERS and name in current.durations and d != current.durations[name]}
    if parameter not in PARAMETERS or parameter not in current.durations:
        raise Invalid(N_("Выберите срок"), fields={"parameter": N_("Выберите срок из списка")})
    if unit not in UNITS:
        raise Invalid(N_("Единица: минуты, часы или дни"), fields={"unit": N_("Выберите единицу")})
    try:
        number = int(str(value).strip())
        if not 0 < number <= 10000:
            raise ValueError
    except ValueError:
        raise Invalid(N_("Значение срока - целое число от 1 до 10000"),
                      fields={"value": N_("Целое число от 1 до 10000")}) \
            from None
    base = current.durations[parameter]
    return {parameter: Duration(value=number, unit=unit, working=base.working, clause=base.clause, title=base.title)}


@dataclass(frozen=True)
class CalendarAsked:
    """The working calendar a replay counts deadlines on: the tenant's own or a variant of CALENDARS; never saved."""

    variant: str = "current"
    schedule: Schedule | None = None  # "hours": every body's weekly hours

    def resolver(self, *, session: Session, tenant_id: int) -> Callable[[str | None], WorkingCalendar]:
        """Each body's calendar (the tenant's default for None) under this variant."""
        if self.variant in ("hours", "no_overrides", "production"):
            schedule = Schedule.oblast_default() if self.variant == "production" else self.schedule
            return variant_resolver(session=session, tenant_id=tenant_id, schedule=schedule,
                                    overrides=self.variant == "hours")
        return calendar_resolver(session=session, tenant_id=tenant_id)

    def counted(self, duration: Duration) -> Duration:
        """A deadline as this calendar counts it: round the clock, in calendar time."""
        return replace(duration, working=False) if self.variant == "round_the_clock" else duration

    def as_json(self) -> dict[str, Any]:
        """The variant, its title and, for other hours, Monday's hours and Friday's end."""
        hours: dict[str, Any] = {}
        if self.schedule is not None:
            week = self.schedule.to_dict()
            hours = {**week["mon"], "friday_end": week["fri"]["end"]}
        return {"variant": self.variant, "title": CALENDARS[self.variant], **hours}


def oblast_hours() -> dict[str, Any]:
    """The oblast's working day, to start the form's other hours from."""
    return CalendarAsked("hours", Schedule.oblast_default()).as_json()


def calendar_asked(*, variant: str | None, start: str | None = None, end: str | None = None,
                   lunch_start: str | None = None, lunch_end: str | None = None,
                   friday_end: str | None = None) -> CalendarAsked:
    """The calendar the form asks for; for other hours, the administrator's knobs (start, end, lunch) for every
    weekday, Friday's end apart (empty: as the other days). Invalid, with a Russian message per field, when wrong."""
    variant = variant or "current"
    if variant not in CALENDARS:
        raise Invalid(N_("Выберите календарь из списка"), fields={"calendar": N_("Выберите календарь из списка")})
    if variant != "hours":
        return CalendarAsked(variant)
    errors: dict[str, str] = {}
    begins, ends = parse_time(start, "day_start", errors), parse_time(end, "day_end", errors)
    lunch = parse_time(lunch_start, "lunch_start", errors), parse_time(lunch_end, "lunch_end", errors)
    friday = parse_time(friday_end, "friday_end", errors)
    if begins is None and "day_start" not in errors:
        errors["day_start"] = N_("Укажите начало рабочего дня")
    if ends is None and "day_end" not in errors:
        errors["day_end"] = N_("Укажите окончание рабочего дня")
    if errors or begins is None or ends is None:
        raise Invalid(N_("Часы рабочего дня не подходят: %(problems)s", problems=joined(errors.values())),
                      fields=errors)
    try:
        day = WorkHours(begins, ends, *lunch)
    except CalendarError as exc:
        raise Invalid(text_of(exc), fields={"hours": text_of(exc)}) from None
    try:
        last = WorkHours(begins, friday or ends, *lunch)
    except CalendarError as exc:
        raise Invalid(N_("Пятница: %(problem)s", problem=text_of(exc)),
                      fields={"friday_end": text_of(exc)}) from None
    return CalendarAsked(variant, Schedule((day,) * 4 + (last,)))


@dataclass
class WhatIf:
    """A month now and under other deadlines or another calendar: per body and per step, on-time shares and
    breaches."""

    month: str
    changes: list[dict[str, Any]]
    calendar: dict[str, Any]
    bodies: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    totals: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"month": self.month, "changes": self.changes, "calendar": self.calendar, "bodies": self.bodies,
                "steps": self.steps, "totals": self.totals}


def _tally() -> dict[str, int]:
    return {"n": 0, "on_time": 0, "breached": 0, "on_time_whatif": 0, "breached_whatif": 0}


def _finish(entry: dict[str, int]) -> dict[str, Any]:
    """Shares on time of the decided ones (on time or breached), now and what-if."""
    out: dict[str, Any] = dict(entry)
    for suffix in ("", "_whatif"):
        decided = entry[f"on_time{suffix}"] + entry[f"breached{suffix}"]
        out[f"on_time_share{suffix}"] = round(entry[f"on_time{suffix}"] / decided, 4) if decided else None
    return out


@dataclass(frozen=True)
class _Deadlines:
    """One world's deadline arithmetic: each deadline's value, on each body's calendar."""

    durations: Mapping[str, Duration]
    calendar_for: Callable[[str | None], WorkingCalendar]

    def due(self, code: str | None, start: datetime, name: str) -> datetime:
        return due_after(self.calendar_for(code), start, self.durations[name])


@dataclass
class _Cases:
    """The replayed reply deadline (8.3, 8.8, 7.3) of the cases whose steps a month holds, for the steps' cap."""

    real: _Deadlines
    whatif: _Deadlines
    codes: Mapping[int | None, str]
    recount: set[str]  # the deadlines that may move
    facts: dict[int, Any]
    later: dict[int, list[tuple[datetime, str]]]  # each case's later rounds: start and deadline name
    firsts: dict[int, datetime | None] = field(default_factory=dict)

    @staticmethod
    def name(importance: str | None) -> str:
        return "case_urgent" if importance == "high" else "case"

    def first(self, fact: Any) -> datetime | None:
        """The first reply deadline in the replay: the recorded one unless it may move, else counted from sending,
        a curator's shorter one (the recorded deadline earlier than the regulation's) kept."""
        if fact.case_id not in self.firsts:
            due, name = fact.due_at, self.name(fact.importance)
            if fact.sent_at is not None and (due is None or name in self.recount):
                code = self.codes.get(fact.body_id)
                due = self.whatif.due(code, fact.sent_at, name)
                recorded = fact.due_at
                if recorded is not None and recorded < due and recorded < self.real.due(code, fact.sent_at, name):
                    due = recorded
            self.firsts[fact.case_id] = due
        return self.firsts[fact.case_id]

    def in_force(self, case_id: int, started: datetime) -> tuple[str, datetime | None]:
        """The case deadline running when a step started, its name and moment in the replay (none: "", None)."""
        fact = self.facts.get(case_id)
        rounds = [(begun, name) for begun, name in self.later.get(case_id, ()) if begun <= started]
        if rounds:
            begun, name = rounds[-1]
            return name, self.whatif.due(self.codes.get(fact.body_id) if fact else None, begun, name)
        if fact is not None and fact.sent_at is not None and fact.sent_at <= started:
            return self.name(fact.importance), self.first(fact)
        return "", None


def replay(*, session: Session, user: User, clock: Clock, month: str | None, changes: dict[str, Duration],
           calendar: CalendarAsked | None = None) -> WhatIf:
    """Replay a month's recorded steps and replies under the changed deadlines and calendar, each step capped by its
    case's replayed deadline as the engine caps it; what nothing changed for keeps its recorded outcome."""
    when = parse_month(month, clock=clock)
    calendar = calendar or CalendarAsked()
    if not changes and calendar.variant == "current":
        raise Invalid(N_("Ничего не изменено: выберите срок и значение, черновик с другими сроками или другой "
                         "календарь"))
    body_id = report_scope(session=session, user=user, body=None)
    now = clock.now()
    current = current_parameters(session=session, tenant_id=user.tenant_id, clock=clock).durations
    real = _Deadlines(current, calendar_resolver(session=session, tenant_id=user.tenant_id))
    whatif = _Deadlines({name: calendar.counted(changes.get(name, d)) for name, d in current.items()},
                        calendar.resolver(session=session, tenant_id=user.tenant_id))
    recount = set(current) if calendar.variant != "current" else set(changes)  # the deadlines that may move
    cases_move = bool(recount & {"case", "case_urgent", *ROUNDS})  # and with them the steps' cap
    codes: dict[int | None, str] = {b.id: b.code for b in session.execute(
        select(Body.id, Body.code).where(Body.tenant_id == user.tenant_id))}

    def outcome(due: datetime, done: datetime | None, completed: bool) -> tuple[bool, bool]:
        breached = (done or now) > due
        return completed and not breached, breached

    month_steps = select(StepFact.case_id).where(StepFact.tenant_id == user.tenant_id, StepFact.local_month == when)
    if body_id is not None:
        month_steps = month_steps.where(StepFact.body_id == body_id)
    rounds = {current[name].clause: name for name in ROUNDS if name in current}
    later: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for case_id, begun, clause in session.execute(
            select(StepFact.case_id, StepFact.started_at, StepFact.clause)
            .where(StepFact.step == "draft", StepFact.clause.in_(list(rounds)), StepFact.case_id.in_(month_steps))
            .order_by(StepFact.started_at)):
        later[case_id].append((begun, rounds[clause]))
    case_columns = (CaseFact.case_id, CaseFact.body_id, CaseFact.importance, CaseFact.sent_at, CaseFact.due_at)
    deadlines = _Cases(real, whatif, codes, recount, {row.case_id: row for row in session.execute(
        select(*case_columns).where(CaseFact.case_id.in_(month_steps)))}, later)
    drafts = {**({current["draft"].clause: "draft"} if "draft" in current else {}), **rounds}

    def parameter_of(step: str, clause: str) -> str | None:
        """The deadline a recorded step ran on: a draft's by its round's clause, another's by its own name."""
        if step == "draft":
            return drafts.get(clause)
        return step if step in PARAMETERS and step in current and current[step].clause == clause else None

    steps: dict[tuple[int | None, str], dict[str, int]] = defaultdict(_tally)
    step_query = month_steps.with_only_columns(StepFact.case_id, StepFact.body_id, StepFact.step, StepFact.clause,
                                               StepFact.state, StepFact.breached, StepFact.started_at,
                                               StepFact.done_at)
    for case_id, owner, step, clause, state, breached, started, done in session.execute(step_query):
        completed = state == "completed"
        entry = steps[(owner, clause)]
        entry["n"] += 1
        entry["on_time"] += completed and not breached
        entry["breached"] += bool(breached)
        good, late = completed and not breached, bool(breached)
        name = parameter_of(step, clause)
        if name is not None and (name in recount or cases_move):
            case_name, case_due = ("", None) if name in UNCAPPED else deadlines.in_force(case_id, started)
            if name in recount or case_name in recount:
                own = whatif.due(None if name in ON_DEFAULT_CALENDAR else codes.get(owner), started, name)
                good, late = outcome(cap_at_case(started, own, case_due), done, completed)
        entry["on_time_whatif"] += good
        entry["breached_whatif"] += late
    cases: dict[int | None, dict[str, int]] = defaultdict(_tally)
    query = select(*case_columns, CaseFact.first_reply_at, CaseFact.overdue).where(
        CaseFact.tenant_id == user.tenant_id, CaseFact.local_month == when, CaseFact.not_subject.is_(False))
    if body_id is not None:
        query = query.where(CaseFact.body_id == body_id)
    for fact in session.execute(query):
        entry = cases[fact.body_id]
        entry["n"] += 1
        entry["on_time"] += fact.first_reply_at is not None and not fact.overdue
        entry["breached"] += bool(fact.overdue)
        good, late = fact.first_reply_at is not None and not fact.overdue, bool(fact.overdue)
        due = deadlines.first(fact) if _Cases.name(fact.importance) in recount else None
        if due is not None:
            late = (fact.first_reply_at or now) > due
            good = fact.first_reply_at is not None and not late
        entry["on_time_whatif"] += good
        entry["breached_whatif"] += late
    return WhatIf(month=month_text(when),
                  changes=[{"parameter": name, "clause": d.clause, "title": from_library(d.title), "value": d.value,
                            "unit": d.unit, "text": d.describe()} for name, d in changes.items()],
                  calendar=calendar.as_json(), **_summed(steps, cases, codes))


def _summed(steps: dict[tuple[int | None, str], dict[str, int]], cases: dict[int | None, dict[str, int]],
            codes: Mapping[int | None, str]) -> dict[str, Any]:
    """Per body, per clause and in total."""
    bodies = []
    for owner in sorted({o for o, _ in steps} | set(cases), key=lambda o: codes.get(o) or "~"):
        own_steps = _tally()
        for (step_owner, _), entry in steps.items():
            if step_owner == owner:
                for key in own_steps:
                    own_steps[key] += entry[key]
        bodies.append({"body": codes.get(owner) if owner else None, "cases": _finish(cases.get(owner, _tally())),
                       "steps": _finish(own_steps)})
    per_clause: dict[str, dict[str, int]] = defaultdict(_tally)
    for (_, clause), entry in steps.items():
        for key in entry:
            per_clause[clause][key] += entry[key]
    all_cases = _tally()
    for entry in cases.values():
        for key in entry:
            all_cases[key] += entry[key]
    all_steps = _tally()
    for entry in per_clause.values():
        for key in entry:
            all_steps[key] += entry[key]
    return {"bodies": bodies,
            "steps": [{"clause": clause, **_finish(per_clause[clause])} for clause in sorted(per_clause)],
            "totals": {"cases": _finish(all_cases), "steps": _finish(all_steps)}}
