"""The quarterly rating of the bodies by the quality of their work with messages (clause 13), from the report facts.

Score = 100 x sum(w_k * p~_k) over the components k, where p~ = (x + m * p_avg) / (n + m) is a body's share of good
outcomes x out of n opportunities smoothed towards the tenant's share p_avg (m = 10 pseudo-cases). A body is ranked
only with at least MIN_CASES cases with a decided reply deadline; tiers: А >= 90, Б >= 80, В below.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from engine.clock import MOSCOW, Clock
from engine.texts import N_
from models import Body, Case, CaseFact, CaseLink, StepFact, Tenant, User
from services.errors import Invalid
from services.reports.monthly import ANSWERED, report_scope

RATING_VERSION = "1"
SMOOTHING = 10  # m: pseudo-cases at the tenant's average
MIN_CASES = 5  # ranked only with this many cases with a decided reply deadline in the quarter
REPEAT_DAYS = 30
BODY_CLAUSES = ("8.2", "8.4", "8.6", "8.7", "8.8", "8.9")  # the body's own steps; the curator's 8.1 and 8.5 are not
TIERS = (("А", 90.0), ("Б", 80.0), ("В", 0.0))  # not translated: the tier's code in the API; TIER_NAMES names it
TIER_NAMES = {"А": N_("А"), "Б": N_("Б"), "В": N_("В")}  # not translated: the keys are the codes of TIERS
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Component:
    """One share of good outcomes in the score."""

    key: str
    title: str
    weight: float
    good: str  # what a good outcome is, out of what
    bad: str  # the name of the other outcomes, for the cases behind


COMPONENTS = (
    Component("case_on_time", N_("Ответ в срок (п. 8.3)"), 0.30, N_("ответы в срок из случаев с наступившим сроком"),
              N_("просрочено")),
    Component("steps_on_time", N_("Шаги органа в срок (пп. 8.2, 8.4, 8.6-8.9)"), 0.15,
              N_("шаги органа, завершённые в срок, из завершённых или просроченных"), N_("просрочено")),
    Component("first_pass", N_("Принято с первого раза (п. 8.5)"), 0.20,
              N_("проекты, согласованные без доработки, из согласованных"), N_("с доработкой")),
    Component("no_defects", N_("Без замечаний (пп. 9, 11)"), 0.10,
              N_("опубликованные ответы без замечаний проверки из проверенных"), N_("с замечаниями")),
    Component("no_repeat", N_("Без повторного обращения за 30 дней (п. 8.10)"), 0.15,
              N_("ответы, после которых за 30 дней не было повторного сообщения, из ответов старше 30 дней"),
              N_("с повторным")),
)
LEFT_OUT = {"key": "author_feedback", "title": N_("Оценка авторов"), "weight": 0.10,
            "reason": N_("Отзывы авторов в системе не собираются: компонент не учитывается, веса остальных "
                         "пропорционально увеличены (их сумма - 1).")}
BY_KEY = {c.key: c for c in COMPONENTS}
COMPONENT_KEYS = tuple(BY_KEY)


class InvalidQuarter(Invalid):
    """A quarter in a wrong format or in the future."""

    code = "invalid_quarter"


def parse_quarter(value: str | None, *, clock: Clock) -> tuple[int, int]:
    """YYYY-Qn to (year, n); a wrong format or a quarter after the current one (Moscow time) is InvalidQuarter."""
    match = _QUARTER.match((value or "").strip().upper())
    if not match or int(match.group(1)) < 2000:
        raise InvalidQuarter(N_("Укажите квартал в виде ГГГГ-Qn, например 2026-Q4"),
                             fields={"quarter": N_("Формат: ГГГГ-Qn")})
    year, number = int(match.group(1)), int(match.group(2))
    now = clock.now().astimezone(MOSCOW)
    if (year, number) > (now.year, (now.month - 1) // 3 + 1):
        raise InvalidQuarter(N_("Квартал %(quarter)s ещё не наступил: рейтинг строится за прошедшие и текущий "
                                "кварталы", quarter=value),
                             fields={"quarter": N_("Квартал в будущем")})
    return year, number


def quarter_text(quarter: tuple[int, int]) -> str:
    return f"{quarter[0]}-Q{quarter[1]}"


def current_quarter(clock: Clock) -> str:
    now = clock.now().astimezone(MOSCOW)
    return quarter_text((now.year, (now.month - 1) // 3 + 1))


def previous_quarter(quarter: tuple[int, int]) -> tuple[int, int]:
    year, number = quarter
    return (year, number - 1) if number > 1 else (year - 1, 4)


def quarter_months(quarter: tuple[int, int]) -> tuple[int, ...]:
    """The three YYYYMM months of a quarter."""
    year, number = quarter
    return tuple(year * 100 + 3 * (number - 1) + i for i in (1, 2, 3))


def _case_conditions(cut_off: datetime) -> dict[str, tuple[ColumnElement[bool], ColumnElement[bool]]]:
    """Case-level components: name -> (opportunity, good outcome); no_repeat's good outcome is settled in Python."""
    on_time = and_(ANSWERED, CaseFact.overdue.is_(False))
    settled = and_(ANSWERED, CaseFact.first_reply_at <= cut_off - timedelta(days=REPEAT_DAYS))
    return {"case_on_time": (or_(on_time, CaseFact.overdue.is_(True)), on_time),
            "first_pass": (CaseFact.approved > 0, and_(CaseFact.approved > 0, CaseFact.returned == 0)),
            "no_defects": (CaseFact.defects.is_not(None), CaseFact.defects.is_(False)),
            "no_repeat": (settled, settled)}


_STEP_DONE = or_(StepFact.state == "completed", StepFact.breached.is_(True))
_STEP_GOOD = and_(StepFact.state == "completed", StepFact.breached.is_(False))


def _case_scope(tenant_id: int, months: tuple[int, ...]) -> list[ColumnElement[bool]]:
    return [CaseFact.tenant_id == tenant_id, CaseFact.local_month.in_(months), CaseFact.body_id.is_not(None),
            CaseFact.not_subject.is_(False)]


def _repeated(session: Session, scope: list[ColumnElement[bool]], settled: ColumnElement[bool]) -> dict[int, int]:
    """Answered cases followed by a repeat (8.10) within REPEAT_DAYS of the reply: case id -> body id."""
    later = aliased(Case)
    rows = session.execute(select(CaseFact.case_id, CaseFact.body_id, CaseFact.first_reply_at, later.registered_at)
                           .join(CaseLink, CaseLink.linked_case_id == CaseFact.case_id)
                           .join(later, later.id == CaseLink.case_id).where(*scope, settled))
    return {int(case_id): int(body_id) for case_id, body_id, replied, repeat_at in rows
            if replied is not None and body_id is not None and repeat_at <= replied + timedelta(days=REPEAT_DAYS)}


def _counts(session: Session, tenant_id: int, quarter: tuple[int, int],
            cut_off: datetime) -> dict[int, dict[str, list[int]]]:
    """Per body and component: [good outcomes, opportunities]."""
    months = quarter_months(quarter)
    scope = _case_scope(tenant_id, months)
    conditions = _case_conditions(cut_off)
    columns = []
    for key, (opportunity, good) in conditions.items():
        columns += [func.count(sql_case((good, 1))).label(f"{key}_x"),
                    func.count(sql_case((opportunity, 1))).label(f"{key}_n")]
    out: dict[int, dict[str, list[int]]] = defaultdict(lambda: {k: [0, 0] for k in COMPONENT_KEYS})
    for row in session.execute(select(CaseFact.body_id, *columns).where(*scope).group_by(CaseFact.body_id)):
        for key in conditions:
            out[row.body_id][key] = [int(row._mapping[f"{key}_x"]), int(row._mapping[f"{key}_n"])]
    for body_id in _repeated(session, scope, conditions["no_repeat"][0]).values():
        out[body_id]["no_repeat"][0] -= 1
    steps = select(StepFact.body_id, func.count(sql_case((_STEP_GOOD, 1))), func.count(sql_case((_STEP_DONE, 1)))) \
        .where(StepFact.tenant_id == tenant_id, StepFact.local_month.in_(months), StepFact.body_id.is_not(None),
               StepFact.clause.in_(BODY_CLAUSES)).group_by(StepFact.body_id)
    for owner, good_steps, done_steps in session.execute(steps):
        out[int(owner or 0)]["steps_on_time"] = [int(good_steps), int(done_steps)]
    return out


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _tier(score: float) -> str:
    return next(name for name, floor in TIERS if score >= floor)


def _score(counts: dict[int, dict[str, list[int]]]) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """The components with their averages and applied weights, and each body's score, components and rank."""
    averages: dict[str, float | None] = {}
    totals = {}
    for key in COMPONENT_KEYS:
        x = sum(c[key][0] for c in counts.values())
        n = sum(c[key][1] for c in counts.values())
        totals[key] = (x, n)
        averages[key] = x / n if n else None
    used = [c for c in COMPONENTS if averages[c.key] is not None]  # a component with no data anywhere is left out
    weight_sum = sum(c.weight for c in used)
    components = [{"key": c.key, "title": c.title, "weight": c.weight, "good": c.good,
                   "weight_applied": round(c.weight / weight_sum, 4) if c in used else 0.0,
                   "average": _rounded(averages[c.key]),
                   "x": totals[c.key][0], "n": totals[c.key][1]} for c in COMPONENTS]
    bodies: dict[int, dict[str, Any]] = {}
    for body_id, own in counts.items():
        parts, score = {}, 0.0
        for c in COMPONENTS:
            x, n = own[c.key]
            average = averages[c.key]
            smoothed = (x + SMOOTHING * average) / (n + SMOOTHING) if average is not None else None
            points = 100 * c.weight / weight_sum * smoothed if smoothed is not None else 0.0
            score += points
            parts[c.key] = {"x": x, "n": n, "share": round(x / n, 4) if n else None,
                            "smoothed": round(smoothed, 4) if smoothed is not None else None,
                            "points": round(points, 2)}
        cases = own["case_on_time"][1]
        bodies[body_id] = {"score": round(score, 1) if used else None, "cases": cases,
                           "ranked": bool(used) and cases >= MIN_CASES, "components": parts}
    ranked = sorted((b["score"] for b in bodies.values() if b["ranked"]), reverse=True)
    for entry in bodies.values():
        entry["rank"] = ranked.index(entry["score"]) + 1 if entry["ranked"] else None
        entry["tier"] = _tier(entry["score"]) if entry["ranked"] else None
    return {"components": components, "weight_sum": weight_sum}, bodies


@dataclass
class Rating:
    """A quarter's rating: the formula with its averages and weights, and each body's score, rank and components."""

    quarter: str
    previous_quarter: str
    tenant: str
    cut_off: datetime
    formula: dict[str, Any]
    bodies: list[dict[str, Any]]
    has_data: bool

    def as_json(self) -> dict[str, Any]:
        return {"quarter": self.quarter, "previous_quarter": self.previous_quarter, "tenant": self.tenant,
                "cut_off": self.cut_off.isoformat(), "has_data": self.has_data, "formula": self.formula,
                "bodies": self.bodies}


def quarterly_rating(*, session: Session, user: User, clock: Clock, quarter: str | None) -> Rating:
    """The rating of the person's tenant for a quarter (a responsible official sees their own body's row)."""
    when = parse_quarter(quarter, clock=clock)
    own_body = report_scope(session=session, user=user, body=None)
    tenant = session.get(Tenant, user.tenant_id)
    assert tenant is not None
    cut_off = clock.now()
    formula, scored = _score(_counts(session, user.tenant_id, when, cut_off))
    _, before = _score(_counts(session, user.tenant_id, previous_quarter(when), cut_off))
    names = {b.id: b for b in session.scalars(select(Body).where(Body.tenant_id == user.tenant_id))}
    bodies = []
    for body_id, entry in scored.items():
        if own_body is not None and body_id != own_body:
            continue
        earlier = before.get(body_id)
        movement = earlier["rank"] - entry["rank"] if earlier and earlier["rank"] and entry["rank"] else None
        bodies.append({"body": names[body_id].code, "name": names[body_id].short_name, **entry,
                       "previous": {"score": earlier["score"], "rank": earlier["rank"]} if earlier else None,
                       "movement": movement,
                       "score_delta": round(entry["score"] - earlier["score"], 1)
                       if earlier and earlier["score"] is not None and entry["score"] is not None else None})
    bodies.sort(key=lambda b: (b["rank"] is None, b["rank"] or 0, -(b["score"] or 0), b["name"]))
    formula.update(version=RATING_VERSION, m=SMOOTHING, min_cases=MIN_CASES, left_out=[LEFT_OUT],
                   text=N_("Балл = 100 × Σ wₖ·p̃ₖ;  p̃ₖ = (xₖ + m·p̄ₖ) / (nₖ + m)"),
                   tiers=[{"tier": name, "from": floor} for name, floor in TIERS])
    return Rating(quarter=quarter_text(when), previous_quarter=quarter_text(previous_quarter(when)),
                  tenant=tenant.name, cut_off=cut_off, formula=formula, bodies=bodies, has_data=bool(scored))


def rating_cases(*, session: Session, user: User, clock: Clock, quarter: str | None, component: str,
                 body: str | None, outcome: str = "bad", limit: int = 500) -> list[Case]:
    """The cases behind one component of a body's score: the good outcomes, the others, or all opportunities."""
    when = parse_quarter(quarter, clock=clock)
    body_id = report_scope(session=session, user=user, body=body)
    if component not in BY_KEY:
        raise Invalid(N_("Неизвестный компонент рейтинга «%(component)s»", component=component))
    if outcome not in ("good", "bad", "all"):
        raise Invalid(N_("Исход: good, bad или all"))
    scope = _case_scope(user.tenant_id, quarter_months(when))
    if body_id is not None:
        scope.append(CaseFact.body_id == body_id)
    query = select(Case).join(CaseFact, CaseFact.case_id == Case.id).where(*scope)
    if component == "steps_on_time":
        steps = select(StepFact.case_id).where(StepFact.tenant_id == user.tenant_id,
                                               StepFact.local_month.in_(quarter_months(when)),
                                               StepFact.clause.in_(BODY_CLAUSES), _STEP_DONE)
        if body_id is not None:
            steps = steps.where(StepFact.body_id == body_id)
        picked = {"good": steps.where(_STEP_GOOD), "bad": steps.where(~_STEP_GOOD), "all": steps}[outcome]
        query = select(Case).where(Case.id.in_(picked), Case.tenant_id == user.tenant_id)
    else:
        opportunity, good = _case_conditions(clock.now())[component]
        if component == "no_repeat":
            repeated = list(_repeated(session, scope, opportunity))
            good = and_(opportunity, CaseFact.case_id.not_in(repeated))
        query = query.where({"good": good, "bad": and_(opportunity, ~good), "all": opportunity}[outcome])
    return list(session.scalars(query.order_by(Case.registered_at).limit(limit)))
