"""The clause-12 breach register: missed deadlines by supervising deputy, body and person, with the body's
explanation, the curator's verdict, the deputy's measures and the history of each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from engine.clock import MOSCOW, Clock
from engine.texts import N_
from models import Body, Breach, BreachEvent, Case, HumanTask, User
from services.breaches import working_minutes
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.library.versions import bundle_for

# The body's reason for a breach (research/reports-ratings.md 3.c).
REASONS = {"absence": N_("Отсутствие сотрудника без замены"), "waiting_body": N_("Ожидание другого органа"),
           "waiting_curator": N_("Ожидание куратора"), "technical": N_("Технический сбой"),
           "complexity": N_("Сложность вопроса"), "other": N_("Другое")}
VERDICTS = {"justified": N_("уважительная"), "unjustified": N_("неуважительная")}
NO_DEPUTY = N_("Курирующий заместитель не указан")
NO_PERSON = N_("Не назначен (очередь органа)")
TENANT_WIDE = ("leader", "curator", "admin")
MEASURE_ROLES = ("curator", "admin", "leader")  # the deputy's measures, recorded on the deputy's behalf
MAX_TEXT = 4000
MAX_DEPUTY = 200
MAX_DAYS = 366
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end` inclusive, in Moscow time; a breach belongs to the day its deadline passed."""

    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """The first moment of the period and the first moment after it."""
        return (datetime.combine(self.start, time(), MOSCOW),
                datetime.combine(self.end + timedelta(days=1), time(), MOSCOW))


def parse_period(*, start: Any, end: Any, today: date) -> Period:
    """A period from two ISO dates, neither in the future, start not after end, at most MAX_DAYS long."""
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name, value, missing in (("from", start, N_("Укажите начало периода")),
                                 ("to", end, N_("Укажите конец периода"))):
        text = str(value or "").strip()
        if not text:
            errors[name] = missing
            continue
        try:
            if not _DATE.fullmatch(text):
                raise ValueError
            days[name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = N_("Дата в формате ГГГГ-ММ-ДД, например 2026-11-01")
            continue
        if days[name] > today:
            errors[name] = N_("Дата не может быть в будущем")
    if not errors and days["from"] > days["to"]:
        errors["from"] = N_("Начало периода позже его конца")
    if not errors and (days["to"] - days["from"]).days >= MAX_DAYS:
        errors["from"] = N_("Период не длиннее %(count)s дней", count=MAX_DAYS)
    if errors:
        raise Invalid(N_("Период реестра указан неверно"), fields=errors)
    return Period(days["from"], days["to"])


@dataclass
class Entry:
    """One breach as the register shows it."""

    breach: Breach
    step_title: str
    body_code: str
    body_name: str
    deputy: str
    person: str
    late_minutes: int
    settled: bool  # the late step is finished: its lateness is final
    names: dict[int, str]
    history: list[BreachEvent] = field(default_factory=list)

    def by(self, user_id: int | None) -> str:
        """The name of the person who made an entry."""
        return self.names.get(user_id, "") if user_id else ""


@dataclass
class PersonGroup:
    """One person's breaches (or the body queue's, for a task nobody had taken)."""

    person: str
    entries: list[Entry]


@dataclass
class BodyGroup:
    """One body's breaches by person."""

    code: str
    name: str
    people: list[PersonGroup]

    @property
    def count(self) -> int:
        """How many breaches."""
        return sum(len(p.entries) for p in self.people)


@dataclass
class DeputyGroup:
    """Breaches of the bodies one deputy supervises."""

    deputy: str
    bodies: list[BodyGroup]

    @property
    def entries(self) -> list[Entry]:
        """Every breach of the group, in register order."""
        return [e for b in self.bodies for p in b.people for e in p.entries]

    @property
    def unjustified(self) -> int:
        """How many the curator found unjustified."""
        return sum(1 for e in self.entries if e.breach.verdict == "unjustified")

    @property
    def late_minutes(self) -> int:
        """The working minutes late, summed."""
        return sum(e.late_minutes for e in self.entries)


@dataclass
class Register:
    """The register for a period as of a moment."""

    period: Period
    as_of: datetime
    body: str | None
    deputies: list[DeputyGroup]

    @property
    def entries(self) -> list[Entry]:
        """Every breach, in register order."""
        return [e for d in self.deputies for e in d.entries]


def may_view(user: User) -> bool:
    """Leaders, curators and administrators see the tenant's register; a responsible official their body's."""
    return user.role in TENANT_WIDE or (user.role == "responsible" and user.body_id is not None)


def register(*, session: Session, clock: Clock, user: User, period: Period, body: str | None = None) -> Register:
    """The breaches whose deadline passed within the period, grouped by deputy, body and person."""
    if not may_view(user):
        raise Forbidden(N_("Реестр нарушений видят руководство, куратор, администратор и ответственные лица "
                           "органов"))
    start, end = period.bounds()
    holder = aliased(User)
    query = (select(Breach, Case.process_version_id, Body, holder.full_name)
             .join(Case, Case.id == Breach.case_id)
             .outerjoin(HumanTask, HumanTask.task_guid == Breach.task_guid)
             .outerjoin(Body, Body.id == Breach.body_id)
             .outerjoin(holder, holder.id == func.coalesce(Breach.person_id, HumanTask.assignee_id))
             .where(Case.tenant_id == user.tenant_id, Breach.due_at >= start, Breach.due_at < end))
    if user.role == "responsible":
        query = query.where(Breach.body_id == user.body_id)
    if body:
        allowed = session.scalar(select(Body.id).where(Body.tenant_id == user.tenant_id, Body.code == body))
        if allowed is None or (user.role == "responsible" and allowed != user.body_id):
            raise Invalid(N_("Нет такого органа"), fields={"body": N_("Неизвестный код органа")})
        query = query.where(Breach.body_id == allowed)
    rows = session.execute(query).all()
    curator_body = session.scalar(select(Body).where(Body.tenant_id == user.tenant_id, Body.is_curator))
    names = _names(session, [b for b, *_ in rows])
    now = clock.now()
    entries = []
    for breach, version_id, body_row, person in rows:
        owner: Body | None = body_row or curator_body  # the curator's own steps belong to no executive body
        settled = breach.late_minutes is not None
        late = breach.late_minutes if settled else working_minutes(
            session=session, tenant_id=user.tenant_id, body=owner, start=breach.due_at, end=now)
        entries.append(Entry(breach=breach, step_title=_step_title(session, version_id, breach.step),
                             body_code=owner.code if owner else "", body_name=owner.short_name if owner else "",
                             deputy=(owner.deputy if owner else None) or NO_DEPUTY, person=person or NO_PERSON,
                             late_minutes=int(late or 0), settled=settled, names=names))
    return Register(period=period, as_of=now, body=body, deputies=_group(entries))


def _names(session: Session, breaches: list[Breach]) -> dict[int, str]:
    ids = {i for b in breaches for i in (b.explained_by_id, b.verdict_by_id, b.measures_by_id) if i}
    if not ids:
        return {}
    return {i: name for i, name in session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))}


def _step_title(session: Session, version_id: int, step: str) -> str:
    durations = bundle_for(session=session, version_id=version_id).parameters.durations
    return durations[step].title if step in durations and durations[step].title else step


def _group(entries: list[Entry]) -> list[DeputyGroup]:
    """Deputy (the unassigned last), then body, then person, then deadline."""
    entries.sort(key=lambda e: (e.deputy == NO_DEPUTY, e.deputy, e.body_name, e.person == NO_PERSON, e.person,
                                e.breach.due_at, e.breach.id))
    deputies: list[DeputyGroup] = []
    for entry in entries:
        if not deputies or deputies[-1].deputy != entry.deputy:
            deputies.append(DeputyGroup(entry.deputy, []))
        bodies = deputies[-1].bodies
        if not bodies or bodies[-1].code != entry.body_code:
            bodies.append(BodyGroup(entry.body_code, entry.body_name, []))
        people = bodies[-1].people
        if not people or people[-1].person != entry.person:
            people.append(PersonGroup(entry.person, []))
        people[-1].entries.append(entry)
    return deputies


def with_history(*, session: Session, result: Register) -> Register:
    """Attach each entry's history (explanations, verdicts, measures), oldest first."""
    by_id = {e.breach.id: e for e in result.entries}
    if by_id:
        for event in session.scalars(select(BreachEvent).where(BreachEvent.breach_id.in_(by_id))
                                     .order_by(BreachEvent.at, BreachEvent.id)):
            by_id[event.breach_id].history.append(event)
    return result


# Changes: each is checked, saved on the breach and appended to its history.

def _visible_breach(session: Session, user: User, breach_id: int) -> Breach:
    """A breach of the user's tenant (and, for a responsible official, of their body), else NotFound."""
    row = session.execute(select(Breach, Case.tenant_id).join(Case, Case.id == Breach.case_id)
                          .where(Breach.id == breach_id)).first()
    if row is None or row[1] != user.tenant_id or not may_view(user) \
            or (user.role == "responsible" and row[0].body_id != user.body_id):
        raise NotFound(N_("Нарушение не найдено"))
    return row[0]


def _text(value: Any, name: str, message: str, *, required: bool = True) -> str | None:
    text = str(value or "").strip()
    if not text and required:
        raise Invalid(message, fields={name: message})
    if len(text) > MAX_TEXT:
        raise Invalid(message, fields={name: N_("Не длиннее %(count)s символов", count=MAX_TEXT)})
    return text or None


def _log(session: Session, breach: Breach, user: User, now: datetime, kind: str, details: dict[str, Any]) -> None:
    session.add(BreachEvent(breach_id=breach.id, at=now, actor_id=user.id, actor_name=user.full_name, kind=kind,
                            details=details))
    session.flush()


def explain(*, session: Session, clock: Clock, user: User, breach_id: int, reason: Any, text: Any) -> Breach:
    """The body's responsible official explains a breach of the body; not after the curator's verdict."""
    breach = _visible_breach(session, user, breach_id)
    if user.role != "responsible":
        raise Forbidden(N_("Объяснение даёт ответственное лицо органа"))
    if breach.verdict is not None:
        raise Conflict(N_("Куратор уже оценил объяснение: изменить его нельзя"))
    if reason not in REASONS:
        raise Invalid(N_("Объяснение не сохранено"), fields={"reason": N_("Выберите причину из списка")})
    explanation = _text(text, "explanation", N_("Опишите, почему срок нарушен"))
    now = clock.now()
    breach.reason, breach.explanation, breach.explained_by_id, breach.explained_at = reason, explanation, user.id, now
    _log(session, breach, user, now, "explanation", {"reason": reason, "text": explanation})
    return breach


def judge(*, session: Session, clock: Clock, user: User, breach_id: int, verdict: Any, comment: Any) -> Breach:
    """The curator marks the reason justified or not."""
    breach = _visible_breach(session, user, breach_id)
    if user.role != "curator":
        raise Forbidden(N_("Оценку причины даёт куратор"))
    if verdict not in VERDICTS:
        raise Invalid(N_("Оценка не сохранена"),
                      fields={"verdict": N_("Выберите: уважительная или неуважительная")})
    note = _text(comment, "verdict_comment", N_("Комментарий слишком длинный"), required=False)
    now = clock.now()
    breach.verdict, breach.verdict_comment, breach.verdict_by_id, breach.verdict_at = verdict, note, user.id, now
    _log(session, breach, user, now, "verdict", {"verdict": verdict, "text": note})
    return breach


def record_measures(*, session: Session, clock: Clock, user: User, breach_id: int, text: Any) -> Breach:
    """The supervising deputy's measures, recorded by a curator, an administrator or a leader."""
    breach = _visible_breach(session, user, breach_id)
    if user.role not in MEASURE_ROLES:
        raise Forbidden(N_("Меры заместителя записывают куратор, администратор или руководство"))
    measures = _text(text, "measures", N_("Опишите принятые меры"))
    now = clock.now()
    breach.measures, breach.measures_by_id, breach.measures_at = measures, user.id, now
    _log(session, breach, user, now, "measures", {"text": measures})
    return breach


def bodies_with_deputies(*, session: Session, user: User) -> list[Body]:
    """The tenant's bodies with the deputy who supervises each."""
    if user.role not in TENANT_WIDE:
        raise Forbidden(N_("Список курирующих заместителей видят руководство, куратор и администратор"))
    return list(session.scalars(select(Body).where(Body.tenant_id == user.tenant_id)
                                .order_by(Body.is_curator.desc(), Body.short_name)))


def set_deputy(*, session: Session, user: User, body: Any, deputy: Any) -> Body:
    """The administrator names the deputy who supervises a body (empty: none)."""
    if user.role != "admin":
        raise Forbidden(N_("Курирующего заместителя указывает администратор"))
    row = session.scalar(select(Body).where(Body.tenant_id == user.tenant_id, Body.code == str(body or "")))
    if row is None:
        raise NotFound(N_("Орган не найден"))
    name = " ".join(str(deputy or "").split())
    if len(name) > MAX_DEPUTY:
        raise Invalid(N_("Заместитель не сохранён"),
                      fields={"deputy": N_("Не длиннее %(count)s символов", count=MAX_DEPUTY)})
    row.deputy = name or None
    session.flush()
    return row
