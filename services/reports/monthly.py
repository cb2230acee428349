"""The monthly summary of clause 13, computed on the fly from the report facts of one tenant and month."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from engine.clock import MOSCOW, Clock
from engine.texts import N_
from models import Body, Case, CaseFact, Channel, Location, StepFact, SurgeAlert, Tenant, Theme, User
from services.errors import Forbidden, Invalid, NotFound

FORMULA_VERSION = "1"  # bump when a definition below changes: published editions keep the one they used
REPORT_ROLES = ("leader", "curator", "admin", "responsible")  # the responsible official sees their own body
STEP_CLAUSES = ("8.2", "8.4", "8.5", "8.6", "8.7", "8.8", "8.9")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class InvalidMonth(Invalid):
    """A month in a wrong format or in the future."""

    code = "invalid_month"


def parse_month(value: str | None, *, clock: Clock) -> int:
    """YYYY-MM to YYYYMM; a wrong format or a month after the current one (Moscow time) is InvalidMonth."""
    match = _MONTH.match((value or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise InvalidMonth(N_("Укажите месяц в виде ГГГГ-ММ, например 2026-11"),
                           fields={"month": N_("Формат: ГГГГ-ММ")})
    month = int(match.group(1)) * 100 + int(match.group(2))
    now = clock.now().astimezone(MOSCOW)
    if month > now.year * 100 + now.month:
        raise InvalidMonth(N_("Месяц %(month)s ещё не наступил: сводка строится за прошедшие и текущий месяцы",
                              month=value),
                           fields={"month": N_("Месяц в будущем")})
    return month


def month_text(month: int) -> str:
    """YYYYMM as YYYY-MM."""
    return f"{month // 100:04d}-{month % 100:02d}"


def previous_month(month: int) -> int:
    """The month before YYYYMM."""
    return month - 1 if month % 100 > 1 else (month // 100 - 1) * 100 + 12


def month_bounds(month: int) -> tuple[datetime, datetime]:
    """The first moment of a month and of the next one, Moscow time."""
    year, number = divmod(month, 100)
    following = (year + 1, 1) if number == 12 else (year, number + 1)
    return datetime(year, number, 1, tzinfo=MOSCOW), datetime(*following, 1, tzinfo=MOSCOW)


# The case-level figures: name -> the condition a case meets to be counted in it (also the "cases behind" filter).
ANSWERED = CaseFact.first_reply_at.is_not(None)
CASE_FILTERS: dict[str, ColumnElement[bool]] = {
    "received": CaseFact.case_id.is_not(None),
    "answered": ANSWERED,
    "on_time": and_(ANSWERED, CaseFact.overdue.is_(False)),
    "overdue": CaseFact.overdue.is_(True),
    "breaches": CaseFact.breaches > 0,
    "returned": CaseFact.returned > 0,
    "first_pass": and_(CaseFact.approved > 0, CaseFact.returned == 0),
    "approved": CaseFact.approved > 0,
    "defects": CaseFact.defects.is_(True),
    "interim": CaseFact.interim.is_(True),
    "repeat": CaseFact.repeat.is_(True),
    "not_subject": CaseFact.not_subject.is_(True),
    "reassigned": CaseFact.reassigned > 0,
    "socially_significant": CaseFact.socially_significant.is_(True),
}
# The names of the summary's figures, in the order the exports list them: counts, shares, reply times.
FIGURES = {"received": N_("Поступило"), "answered": N_("Дан ответ"), "on_time": N_("В срок (п. 8.3)"),
           "overdue": N_("Просрочено"), "breaches": N_("Нарушения сроков"), "returned": N_("Возвращено на доработку"),
           "first_pass": N_("Принято с первого раза"), "defects": N_("Ответы с замечаниями (п. 9, 11)"),
           "interim": N_("Промежуточные ответы"), "repeat": N_("Повторные сообщения"),
           "not_subject": N_("Не подлежит обработке"), "socially_significant": N_("Социально значимые (п. 14)"),
           "on_time_share": N_("Доля в срок"), "first_pass_share": N_("Доля принятых с первого раза"),
           "defects_share": N_("Доля ответов с замечаниями"), "repeat_share": N_("Доля повторных"),
           "median_reply_minutes": N_("Медиана времени до ответа, р. мин"),
           "p90_reply_minutes": N_("90-й перцентиль, р. мин"), "mean_reply_minutes": N_("Среднее, р. мин")}
NO_BODY = N_("Без органа")
NOT_GIVEN = N_("Не указано")


@dataclass
class MonthlySummary:
    """The clause-13 summary of a month: totals, bodies, steps, dynamics, theme x district, clause-14 events."""

    month: str
    tenant: str
    body: str | None  # the body the summary is limited to, if any
    cut_off: datetime
    calendar_revision: int
    formula_version: str
    totals: dict[str, Any]
    previous: dict[str, Any]
    bodies: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    dynamics: dict[str, list[dict[str, Any]]]
    matrix: dict[str, Any]
    events: dict[str, Any]
    has_data: bool = field(default=False)

    def as_json(self) -> dict[str, Any]:
        """The API's answer; `figures` names each figure of `totals` (Texts, translated where it is shown)."""
        return {"month": self.month, "tenant": self.tenant, "body": self.body, "cut_off": self.cut_off.isoformat(),
                "calendar_revision": self.calendar_revision, "formula_version": self.formula_version,
                "has_data": self.has_data, "figures": dict(FIGURES), "totals": self.totals, "previous": self.previous,
                "bodies": self.bodies, "steps": self.steps, "dynamics": self.dynamics, "matrix": self.matrix,
                "events": self.events}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MonthlySummary:
        """A summary back from its JSON (a published edition); the names the system gave (no body, not given) are
        Texts again, so each reader sees them in their language."""
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        bodies = [{**b, "name": NO_BODY} if b.get("body") is None else b for b in data["bodies"]]
        dynamics = {name: [{**item, "name": NOT_GIVEN} if item.get("code") is None else item for item in items]
                    for name, items in data["dynamics"].items()}
        return cls(**{**fields, "cut_off": datetime.fromisoformat(data["cut_off"]), "bodies": bodies,
                      "dynamics": dynamics})


def report_scope(*, session: Session, user: User, body: str | None) -> int | None:
    """The body a person's report is limited to (None: the whole tenant); a body of another tenant is NotFound."""
    if user.role not in REPORT_ROLES:
        raise Forbidden(N_("Отчёты доступны руководству, куратору, администратору и ответственным лицам "
                           "органов"))
    if user.role == "responsible":
        if body and body != (user.body.code if user.body else None):
            raise NotFound(N_("Орган не найден"))
        return user.body_id
    if not body:
        return None
    body_id = session.scalar(select(Body.id).where(Body.code == body, Body.tenant_id == user.tenant_id))
    if body_id is None:
        raise NotFound(N_("Орган не найден"))
    return body_id


def _counts() -> list[Any]:
    return [func.count(sql_case((condition, 1))).label(name) for name, condition in CASE_FILTERS.items()] + [
        func.coalesce(func.sum(CaseFact.breaches), 0).label("breach_count"),
        func.count(CaseFact.defects).label("checked")]


def _figures(row: Any, minutes: list[int]) -> dict[str, Any]:
    """A group's figures from its counts row and its reply times."""
    out: dict[str, Any] = {name: int(getattr(row, name) or 0) for name in CASE_FILTERS}
    out["breaches"] = int(row.breach_count or 0)
    out["breach_cases"] = int(row.breaches or 0)
    out["checked"] = int(row.checked or 0)
    out["on_time_share"] = _share(out["on_time"], out["on_time"] + out["overdue"])
    out["first_pass_share"] = _share(out["first_pass"], out["approved"])
    out["defects_share"] = _share(out["defects"], out["checked"])
    out["repeat_share"] = _share(out["repeat"], out["received"])
    ordered = sorted(minutes)
    out["median_reply_minutes"] = statistics.median(ordered) if ordered else None
    out["p90_reply_minutes"] = _percentile(ordered, 0.9)
    out["mean_reply_minutes"] = round(statistics.fmean(ordered), 1) if ordered else None
    return out


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _percentile(ordered: list[int], q: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def monthly_summary(*, session: Session, user: User, clock: Clock, month: str | None,
                    body: str | None = None) -> MonthlySummary:
    """The summary of a month for the person's tenant, or for one body (a responsible official: their own)."""
    when = parse_month(month, clock=clock)
    body_id = report_scope(session=session, user=user, body=body)
    tenant = session.get(Tenant, user.tenant_id)
    assert tenant is not None
    before = previous_month(when)
    scope = [CaseFact.tenant_id == user.tenant_id]
    if body_id is not None:
        scope.append(CaseFact.body_id == body_id)
    rows = session.execute(select(CaseFact.local_month, CaseFact.body_id, *_counts())
                           .where(*scope, CaseFact.local_month.in_((when, before)))
                           .group_by(CaseFact.local_month, CaseFact.body_id)).all()
    minutes: dict[int | None, list[int]] = defaultdict(list)
    for owner, value in session.execute(select(CaseFact.body_id, CaseFact.reply_wh_min).where(
            *scope, CaseFact.local_month == when, CaseFact.reply_wh_min.is_not(None))):
        minutes[owner].append(int(value or 0))
    bodies_of = {b.id: b for b in session.scalars(select(Body).where(Body.tenant_id == user.tenant_id))}
    this = [r for r in rows if r.local_month == when]
    bodies = []
    last = "я"  # not translated: sorts the cases of no body after every body's name
    for row in sorted(this, key=lambda r: bodies_of[r.body_id].short_name if r.body_id in bodies_of else last):
        figures = _figures(row, minutes[row.body_id])
        holder = bodies_of.get(row.body_id)
        bodies.append({"body": holder.code if holder else None, "name": holder.short_name if holder else NO_BODY,
                       **figures})
    totals = _figures(_sum_rows(this), [m for values in minutes.values() for m in values])
    previous = _figures(_sum_rows([r for r in rows if r.local_month == before]), [])
    for name in ("median_reply_minutes", "p90_reply_minutes", "mean_reply_minutes"):
        previous.pop(name)
    return MonthlySummary(
        month=month_text(when), tenant=tenant.name, body=bodies_of[body_id].code if body_id else None,
        cut_off=clock.now(), calendar_revision=tenant.calendar_revision, formula_version=FORMULA_VERSION,
        totals=totals, previous=previous, bodies=bodies,
        steps=_steps(session, user.tenant_id, body_id, when, bodies_of),
        dynamics=_dynamics(session, scope, when, before), matrix=_matrix(session, scope, when),
        events=_events(session, user.tenant_id, scope, when, totals), has_data=totals["received"] > 0)


class _Row:
    """The sum of several count rows."""

    def __init__(self, rows: list[Any]) -> None:
        for name in (*CASE_FILTERS, "breach_count", "checked"):
            setattr(self, name, sum(int(getattr(r, name) or 0) for r in rows))


def _sum_rows(rows: list[Any]) -> _Row:
    return _Row(rows)


def _steps(session: Session, tenant_id: int, body_id: int | None, when: int,
           bodies_of: dict[int, Body]) -> list[dict[str, Any]]:
    """Per clause (8.2, 8.4-8.9) and body: steps started in the month, on time, breached, still open."""
    scope = [StepFact.tenant_id == tenant_id, StepFact.local_month == when, StepFact.clause.in_(STEP_CLAUSES)]
    if body_id is not None:
        scope.append(StepFact.body_id == body_id)
    on_time = and_(StepFact.state == "completed", StepFact.breached.is_(False))
    rows = session.execute(select(StepFact.clause, StepFact.body_id, func.count().label("steps"),
                                  func.count(sql_case((on_time, 1))).label("on_time"),
                                  func.count(sql_case((StepFact.breached.is_(True), 1))).label("breached"),
                                  func.count(sql_case((and_(StepFact.state == "open",
                                                            StepFact.breached.is_(False)), 1))).label("open"))
                           .where(*scope).group_by(StepFact.clause, StepFact.body_id)).all()
    by_clause: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = by_clause.setdefault(row.clause, {"clause": row.clause, "steps": 0, "on_time": 0, "breached": 0,
                                                  "open": 0, "bodies": []})
        for name in ("steps", "on_time", "breached", "open"):
            entry[name] += row._mapping[name]
        owner = bodies_of.get(row.body_id)
        entry["bodies"].append({"body": owner.code if owner else None, "steps": row.steps, "on_time": row.on_time,
                                "breached": row.breached, "open": row.open})
    out = []
    for clause in STEP_CLAUSES:
        entry = by_clause.get(clause, {"clause": clause, "steps": 0, "on_time": 0, "breached": 0, "open": 0,
                                       "bodies": []})
        entry["on_time_share"] = _share(entry["on_time"], entry["on_time"] + entry["breached"])
        out.append(entry)
    return out


_DIMENSIONS: dict[str, tuple[Any, Any]] = {
    "theme": (CaseFact.theme_id, Theme), "location": (CaseFact.location_id, Location),
    "channel": (CaseFact.channel_id, Channel)}


def _dynamics(session: Session, scope: list[Any], when: int, before: int) -> dict[str, list[dict[str, Any]]]:
    """Counts by theme, location and channel in the month and the month before, largest first."""
    out = {}
    for name, (column, model) in _DIMENSIONS.items():
        counts: dict[Any, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for value, month, n in session.execute(select(column, CaseFact.local_month, func.count())
                                               .where(*scope, CaseFact.local_month.in_((when, before)))
                                               .group_by(column, CaseFact.local_month)):
            counts[value][month] = n
        names = {row.id: (row.code, row.name) for row in session.scalars(
            select(model).where(model.id.in_([k for k in counts if k is not None])))} if counts else {}
        rows = [{"code": names.get(k, (None, ""))[0], "name": names.get(k, (None, NOT_GIVEN))[1],
                 "count": v[when], "previous": v[before], "delta": v[when] - v[before]} for k, v in counts.items()]
        out[name] = sorted(rows, key=lambda r: (-r["count"], -r["previous"], r["name"]))
    return out


def _matrix(session: Session, scope: list[Any], when: int) -> dict[str, Any]:
    """Theme x district counts of the month."""
    cells = session.execute(select(CaseFact.theme_id, CaseFact.location_id, func.count())
                            .where(*scope, CaseFact.local_month == when, CaseFact.theme_id.is_not(None))
                            .group_by(CaseFact.theme_id, CaseFact.location_id)).all()
    themes = {t.id: t for t in session.scalars(select(Theme).where(Theme.id.in_({c[0] for c in cells})))}
    places = {p.id: p for p in session.scalars(select(Location).where(Location.id.in_({c[1] for c in cells})))}
    theme_order = sorted(themes.values(), key=lambda t: t.name)
    place_order = sorted(places.values(), key=lambda p: p.name)
    table = {(t, p): n for t, p, n in cells}
    return {"locations": [{"code": p.code, "name": p.name} for p in place_order],
            "rows": [{"code": t.code, "name": t.name,
                      "cells": [table.get((t.id, p.id), 0) for p in place_order],
                      "total": sum(n for (tid, _), n in table.items() if tid == t.id)} for t in theme_order]}


def _events(session: Session, tenant_id: int, scope: list[Any], when: int, totals: dict[str, Any]) -> dict[str, Any]:
    """Clause 14 in the month: socially significant messages and surges of activity."""
    start, end = month_bounds(when)
    surges = session.scalars(select(SurgeAlert).where(SurgeAlert.tenant_id == tenant_id,
                                                      SurgeAlert.created_at >= start, SurgeAlert.created_at < end)
                             .order_by(SurgeAlert.created_at)).all()
    significant = session.execute(select(Case.id, Case.registered_at).join(CaseFact, CaseFact.case_id == Case.id)
                                  .where(*scope, CaseFact.local_month == when,
                                         CaseFact.socially_significant.is_(True))
                                  .order_by(Case.registered_at).limit(50)).all()
    return {"socially_significant": totals["socially_significant"],
            "significant_cases": [{"case_id": c, "registered_at": at.isoformat()} for c, at in significant],
            "surges": [{"dimension": s.dimension, "value": s.value, "count": s.count,
                        "window_start": s.window_start.isoformat(), "window_end": s.window_end.isoformat()}
                       for s in surges]}


def cases_behind(*, session: Session, user: User, clock: Clock, month: str | None, figure: str,
                 body: str | None = None, dimension: str | None = None, code: str | None = None,
                 limit: int = 500) -> list[Case]:
    """The cases behind one figure of the summary (optionally of one body, theme, location or channel)."""
    when = parse_month(month, clock=clock)
    body_id = report_scope(session=session, user=user, body=body)
    if figure not in CASE_FILTERS:
        raise Invalid(N_("Неизвестный показатель «%(figure)s»", figure=figure))
    query = select(Case).join(CaseFact, CaseFact.case_id == Case.id).where(
        CaseFact.tenant_id == user.tenant_id, CaseFact.local_month == when, CASE_FILTERS[figure])
    if body_id is not None:
        query = query.where(CaseFact.body_id == body_id)
    if dimension in _DIMENSIONS and code:
        column, model = _DIMENSIONS[dimension]
        query = query.join(model, column == model.id).where(model.code == code)
    return list(session.scalars(query.order_by(Case.registered_at).limit(limit)))
