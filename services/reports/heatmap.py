"""The process heatmap: each step of the regulation with its median wait and breach share over a period, from
step facts, and the diagrams it is drawn on."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_, from_library
from models import Body, StepFact, User
from services.errors import Invalid, NotFound
from services.library.versions import bundle_for, current_version_id
from services.reports.monthly import month_text, parse_month, report_scope
from services.reports.rating import parse_quarter, quarter_months, quarter_text

# Breach share from which a step is yellow, orange, red; below the first it is green.
LEVELS = (0.05, 0.15, 0.30)
SLOWEST = 3  # the steps with the longest median wait are marked
_PERIOD = re.compile(r"^\d{4}-(\d{2}|Q[1-4])$")


def parse_period(value: str | None, *, clock: Clock) -> tuple[str, tuple[int, ...]]:
    """A month YYYY-MM or a quarter YYYY-Qn: its text and its YYYYMM months."""
    text = (value or "").strip().upper()
    if not _PERIOD.match(text):
        raise Invalid(N_("Укажите период: месяц ГГГГ-ММ или квартал ГГГГ-Qn"),
                      fields={"period": N_("Формат: ГГГГ-ММ или ГГГГ-Qn")})
    if "Q" in text:
        quarter = parse_quarter(text, clock=clock)
        return quarter_text(quarter), quarter_months(quarter)
    month = parse_month(text, clock=clock)
    return month_text(month), (month,)


def level(share: float | None) -> int | None:
    """0 green .. 3 red by the breach share; None while no step has ended or breached."""
    if share is None:
        return None
    return sum(share >= floor for floor in LEVELS)


@dataclass
class Heatmap:
    """Per step: counts, median wait in working minutes, breach share, colour level; and the diagrams to draw."""

    period: str
    body: str | None
    steps: list[dict[str, Any]]
    diagrams: list[dict[str, str]]

    def as_json(self) -> dict[str, Any]:
        return {"period": self.period, "body": self.body, "steps": self.steps, "diagrams": self.diagrams,
                "levels": list(LEVELS)}


def process_heatmap(*, session: Session, user: User, clock: Clock, period: str | None,
                    body: str | None = None) -> Heatmap:
    """The heatmap of the person's tenant (or one body) over a month or a quarter."""
    text, months = parse_period(period, clock=clock)
    body_id = report_scope(session=session, user=user, body=body)
    query = select(StepFact.step, StepFact.clause, StepFact.state, StepFact.breached, StepFact.wh_used_min).where(
        StepFact.tenant_id == user.tenant_id, StepFact.local_month.in_(months))
    if body_id is not None:
        query = query.where(StepFact.body_id == body_id)
    counts: dict[str, dict[str, Any]] = defaultdict(lambda: {"steps": 0, "completed": 0, "breached": 0, "open": 0,
                                                             "decided": 0, "clauses": set(), "waits": []})
    for step, clause, state, breached, minutes in session.execute(query):
        entry = counts[step]
        entry["steps"] += 1
        entry["clauses"].add(clause)
        entry["completed"] += state == "completed"
        entry["breached"] += bool(breached)
        entry["open"] += state == "open"
        entry["decided"] += state == "completed" or bool(breached)  # ended, or its deadline passed
        if state == "completed" and minutes is not None:
            entry["waits"].append(minutes)
    bundle = bundle_for(session=session, version_id=current_version_id(session=session, tenant_id=user.tenant_id))
    steps = []
    for step, entry in counts.items():
        waits = entry.pop("waits")
        decided = entry.pop("decided")
        share = entry["breached"] / decided if decided else None
        steps.append({"step": step, "name": from_library(bundle.step_names.get(step, step)), **entry,
                      "clauses": sorted(entry["clauses"]), "median_wait_minutes": statistics.median(waits)
                      if waits else None, "breach_share": round(share, 4) if share is not None else None})
    steps.sort(key=lambda s: (-(s["median_wait_minutes"] or -1), s["step"]))
    # The slowest: the SLOWEST longest median waits, steps tied with the last of them included (in any order); a step
    # done at once (a median of 0) is never among them, even when every step was.
    medians = [s["median_wait_minutes"] for s in steps if s["median_wait_minutes"]]
    bar = medians[min(SLOWEST, len(medians)) - 1] if medians else None
    for entry in steps:
        median = entry["median_wait_minutes"]
        entry["slow"] = bar is not None and bool(median) and median >= bar
        entry["level"] = level(entry["breach_share"])
    diagrams = [{"name": name, "title": title} for name, title in (
        ("case.bpmn", N_("Основной процесс")), ("reply_publication.bpmn", N_("Согласование и публикация")),
        ("body_part.bpmn", N_("Информация органа для общего ответа"))) if name in bundle.files]
    code = session.get(Body, body_id).code if body_id is not None else None  # type: ignore[union-attr]
    return Heatmap(period=text, body=code, steps=steps, diagrams=diagrams)


def heatmap_diagram(*, session: Session, user: User, name: str) -> str:
    """The BPMN of one diagram of the tenant's current process version."""
    report_scope(session=session, user=user, body=None)
    bundle = bundle_for(session=session, version_id=current_version_id(session=session, tenant_id=user.tenant_id))
    if not name.endswith(".bpmn") or name not in bundle.files:
        raise NotFound(N_("Схема не найдена"))
    return bundle.files[name]
