"""What-if: a past month replayed under other deadline values, from the recorded step and case times and the engine
calendar's working-time arithmetic; nothing is written."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_, text_of
from engine.timers import UNITS, DeadlineParameters, Duration, ParameterError, due_after
from models import Body, CaseFact, ProcessDraft, StepFact, User
from services.calendars import calendar_resolver
from services.errors import Invalid, NotFound
from services.library.versions import CASE_PROCESS, bundle_for, current_version_id, library_of
from services.reports.monthly import month_text, parse_month, report_scope
from services.workflow import engine_context

CASE_CLAUSE = "8.3"
# The deadlines a replay can change: the steps with a deadline and the case's reply (8.3).
PARAMETERS = ("case", "case_urgent", "competence", "draft", "approval", "rework", "publication", "part",
              "after_interim", "after_clarification")


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


@dataclass
class WhatIf:
    """A month now and under other deadlines: per body and per step, on-time shares and breaches."""

    month: str
    changes: list[dict[str, Any]]
    bodies: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    totals: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"month": self.month, "changes": self.changes, "bodies": self.bodies, "steps": self.steps,
                "totals": self.totals}


def _tally() -> dict[str, int]:
    return {"n": 0, "on_time": 0, "breached": 0, "on_time_whatif": 0, "breached_whatif": 0}


def _finish(entry: dict[str, int]) -> dict[str, Any]:
    """Shares on time of the decided ones (on time or breached), now and what-if."""
    out: dict[str, Any] = dict(entry)
    for suffix in ("", "_whatif"):
        decided = entry[f"on_time{suffix}"] + entry[f"breached{suffix}"]
        out[f"on_time_share{suffix}"] = round(entry[f"on_time{suffix}"] / decided, 4) if decided else None
    return out


def replay(*, session: Session, user: User, clock: Clock, month: str | None,
           changes: dict[str, Duration]) -> WhatIf:
    """Replay a month's recorded steps and replies under the changed deadlines; the unchanged keep their outcome."""
    when = parse_month(month, clock=clock)
    if not changes:
        raise Invalid(N_("Нет изменённых сроков: выберите срок и значение или черновик с другими сроками"))
    body_id = report_scope(session=session, user=user, body=None)
    now = clock.now()
    calendar_for = calendar_resolver(session=session, tenant_id=user.tenant_id)
    codes: dict[int | None, str] = {b.id: b.code for b in session.scalars(
        select(Body).where(Body.tenant_id == user.tenant_id))}
    by_clause = {d.clause: d for name, d in changes.items() if d.clause != CASE_CLAUSE}

    def outcome(due: datetime, done: datetime | None, completed: bool) -> tuple[bool, bool]:
        breached = (done or now) > due
        return completed and not breached, breached

    steps: dict[tuple[int | None, str], dict[str, int]] = defaultdict(_tally)
    step_query = select(StepFact.body_id, StepFact.clause, StepFact.state, StepFact.breached, StepFact.started_at,
                        StepFact.done_at).where(StepFact.tenant_id == user.tenant_id, StepFact.local_month == when)
    if body_id is not None:
        step_query = step_query.where(StepFact.body_id == body_id)
    for owner, clause, state, breached, started, done in session.execute(step_query):
        completed = state == "completed"
        entry = steps[(owner, clause)]
        entry["n"] += 1
        entry["on_time"] += completed and not breached
        entry["breached"] += bool(breached)
        if clause in by_clause:
            good, late = outcome(due_after(calendar_for(codes.get(owner)), started, by_clause[clause]), done,
                                 completed)
        else:
            good, late = completed and not breached, bool(breached)
        entry["on_time_whatif"] += good
        entry["breached_whatif"] += late
    cases: dict[int | None, dict[str, int]] = defaultdict(_tally)
    query = select(CaseFact.body_id, CaseFact.importance, CaseFact.sent_at, CaseFact.first_reply_at,
                   CaseFact.overdue).where(CaseFact.tenant_id == user.tenant_id, CaseFact.local_month == when,
                                           CaseFact.not_subject.is_(False))
    if body_id is not None:
        query = query.where(CaseFact.body_id == body_id)
    for owner, importance, sent, replied, overdue in session.execute(query):
        entry = cases[owner]
        entry["n"] += 1
        entry["on_time"] += replied is not None and not overdue
        entry["breached"] += bool(overdue)
        changed = changes.get("case_urgent" if importance == "high" else "case")
        if changed is not None and sent is not None:
            late = (replied or now) > due_after(calendar_for(codes.get(owner)), sent, changed)
            entry["on_time_whatif"] += replied is not None and not late
            entry["breached_whatif"] += late
        else:
            entry["on_time_whatif"] += replied is not None and not overdue
            entry["breached_whatif"] += bool(overdue)
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
    return WhatIf(month=month_text(when),
                  changes=[{"parameter": name, "clause": d.clause, "title": d.title, "value": d.value,
                            "unit": d.unit, "text": d.describe()} for name, d in changes.items()],
                  bodies=bodies,
                  steps=[{"clause": clause, **_finish(per_clause[clause])} for clause in sorted(per_clause)],
                  totals={"cases": _finish(all_cases), "steps": _finish(all_steps)})
