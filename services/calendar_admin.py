"""Working-time administration: the year calendar, override days, body schedules and production calendar files."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, NoReturn

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.calendar import (
    KIND_NAMES,
    KINDS,
    NON_WORKING,
    SHORTENED,
    WORKING,
    CalendarError,
    DayInfo,
    Schedule,
    WorkingCalendar,
    parse_xmlcalendar,
)
from engine.calendar import OverrideDay as CalendarOverride
from engine.clock import MOSCOW, Clock
from engine.texts import N_, joined, stored_note, text_of
from models import Body, CalendarYear, Case, OverrideDay, Tenant, Timer, User
from services.calendars import bump_revision, calendar_resolver
from services.db import parse_id
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.reference import bodies
from services.workflow import add_event, apply_snapshot, run_step, runner_for

KIND_TITLES = {kind: KIND_NAMES[kind] for kind in (NON_WORKING, SHORTENED, WORKING)}
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_FILE_BYTES = 256 * 1024  # a year of xmlcalendar.ru is about 5 KB
MAX_REASON = 300
# armed_at is written a moment after the engine evaluated the timer on the real clock, so a recomputation
# from it may differ by milliseconds: only a second or more counts as a changed deadline.
_SAME_DEADLINE = timedelta(seconds=1)


@dataclass(frozen=True)
class CalendarDay:
    """One date on the year page: its colour category, working hours and description."""

    day: date
    category: str  # working, non_working, shortened, working_weekend or override
    hours: str  # "09:00–18:00", empty on a non-working day
    title: str


@dataclass(frozen=True)
class YearView:
    """The administrator's calendar page for one year, for the region or one body."""

    year: int
    body: Body | None
    bodies: list[Body]
    years: list[CalendarYear]
    months: list[list[CalendarDay]]
    overrides: list[OverrideDay]
    schedule: dict[str, dict[str, str | None]]
    missing: str | None  # why the year cannot be shown, e.g. no production calendar data


class _Fields(NamedTuple):
    """A validated override day."""

    day: date
    kind: str
    start: time | None
    end: time | None
    reason: str


@dataclass(frozen=True)
class Change:
    """What an administrator changed (a Text, also the reason in the moved deadlines' history) and in how many open
    cases deadlines moved."""

    description: str
    recalculated: int


def require_admin(actor: User) -> None:
    """Refuse anyone but an administrator."""
    if actor.role != "admin":
        raise Forbidden(N_("Рабочее время и производственный календарь настраивает администратор"))


def year_view(*, session: Session, clock: Clock, actor: User, year: object, body_code: str | None) -> YearView:
    """Every date of a year with its kind on the region's or a body's calendar, and what the forms need."""
    require_admin(actor)
    number = clock.now().astimezone(MOSCOW).year if year in (None, "") else _year(year)
    body = _body(session, actor.tenant_id, body_code) if body_code else None
    calendar = calendar_resolver(session=session, tenant_id=actor.tenant_id)(body.code if body else None)
    months: list[list[CalendarDay]] = []
    missing = None
    try:
        months = _months(calendar, number)
    except CalendarError as exc:
        missing = text_of(exc)
    scope = OverrideDay.body_id.is_(None) if body is None else or_(OverrideDay.body_id.is_(None),
                                                                   OverrideDay.body_id == body.id)
    overrides = session.scalars(select(OverrideDay).where(
        OverrideDay.tenant_id == actor.tenant_id, scope,
        OverrideDay.day >= date(number, 1, 1), OverrideDay.day <= date(number, 12, 31),
    ).order_by(OverrideDay.day, OverrideDay.id)).all()
    schedule = Schedule.from_dict(body.schedule) if body and body.schedule else Schedule.oblast_default()
    return YearView(year=number, body=body,
                    bodies=[b for b in bodies(session=session, tenant_id=actor.tenant_id)
                            if not b.is_curator and b.active],
                    years=list(session.scalars(select(CalendarYear).order_by(CalendarYear.year))),
                    months=months, overrides=list(overrides), schedule=schedule.to_dict(), missing=missing)


def _months(calendar: WorkingCalendar, year: int) -> list[list[CalendarDay]]:
    """The year's dates month by month; raises CalendarError for a year without data."""
    special = {info.day: info for info in calendar.year_overview(year)}
    months: list[list[CalendarDay]] = [[] for _ in range(12)]
    day = date(year, 1, 1)
    while day.year == year:
        months[day.month - 1].append(_calendar_day(calendar, day, special.get(day)))
        day += timedelta(days=1)
    return months


def _calendar_day(calendar: WorkingCalendar, day: date, info: DayInfo | None) -> CalendarDay:
    """Classify one date for the page's colours."""
    intervals = calendar.day_intervals(day)
    hours = f"{intervals[0][0]:%H:%M}–{intervals[-1][1]:%H:%M}" if intervals else ""
    if info is None:
        when = f"{day:%d.%m.%Y}"
        return CalendarDay(day, "working" if intervals else "non_working", hours,
                           N_("%(day)s рабочий день", day=when) if intervals else N_("%(day)s выходной день", day=when))
    if info.source != "production":
        category = "override"
    else:
        category = "working_weekend" if info.kind == WORKING else info.kind
    return CalendarDay(day, category, hours, info.describe())


def add_override(*, session: Session, clock: Clock, actor: User, day: object, kind: object, start: object = None,
                 end: object = None, reason: object = "", body_code: str | None = None) -> Change:
    """Add an override day for the whole region or for one body, then recalculate open deadlines."""
    require_admin(actor)
    body = _body(session, actor.tenant_id, body_code) if body_code else None
    fields = _override_fields(session, body, day, kind, start, end, reason)
    _refuse_second(session, actor.tenant_id, body, fields.day, None)
    row = OverrideDay(tenant_id=actor.tenant_id, body_id=body.id if body else None, **fields._asdict())
    session.add(row)
    session.flush()
    return _changed(session, clock, actor, N_("Добавлен особый день: %(day)s", day=_describe(row, body)))


def edit_override(*, session: Session, clock: Clock, actor: User, override_id: object, day: object, kind: object,
                  start: object = None, end: object = None, reason: object = "") -> Change:
    """Change an override day (its scope stays), then recalculate open deadlines."""
    require_admin(actor)
    row = _override(session, actor.tenant_id, override_id)
    body = session.get(Body, row.body_id) if row.body_id else None
    fields = _override_fields(session, body, day, kind, start, end, reason)
    _refuse_second(session, actor.tenant_id, body, fields.day, row.id)
    before = _describe(row, body)
    for name, value in fields._asdict().items():
        setattr(row, name, value)
    session.flush()
    return _changed(session, clock, actor, N_("Изменён особый день: было %(before)s; стало %(after)s", before=before,
                                              after=_describe(row, body)))


def remove_override(*, session: Session, clock: Clock, actor: User, override_id: object) -> Change:
    """Remove an override day, then recalculate open deadlines."""
    require_admin(actor)
    row = _override(session, actor.tenant_id, override_id)
    description = N_("Удалён особый день: %(day)s",
                     day=_describe(row, session.get(Body, row.body_id) if row.body_id else None))
    session.delete(row)
    session.flush()
    return _changed(session, clock, actor, description)


def update_schedule(*, session: Session, clock: Clock, actor: User, body_code: str | None,
                    schedule: Mapping[str, object]) -> Change:
    """Replace a body's weekly hours ({"mon": {"start", "end", "lunch_start", "lunch_end"}, ...})."""
    require_admin(actor)
    if not body_code:
        raise Invalid(N_("Выберите орган: расписание задаётся для органа"), fields={"body": N_("Выберите орган")})
    body = _body(session, actor.tenant_id, body_code)
    try:
        parsed = Schedule.from_dict(schedule)
    except CalendarError as exc:
        raise Invalid(N_("Расписание не сохранено: %(problem)s", problem=text_of(exc)),
                      fields={"schedule": text_of(exc)}) from exc
    body.schedule = parsed.to_dict()
    session.flush()
    return _changed(session, clock, actor, N_("Изменено расписание органа «%(body)s»", body=body.short_name))


def import_calendar(*, session: Session, clock: Clock, actor: User, year: object, filename: str,
                    content: bytes) -> Change:
    """Load or replace one year of the production calendar from an xmlcalendar.ru file; nothing changes on error."""
    require_admin(actor)
    if actor.tenant.kind != "region":
        raise Forbidden(N_("Производственный календарь загружает администратор области: он общий для всех "
                           "организаций"))
    number = _year(year)
    if not filename.lower().endswith(".xml"):
        _refuse_file(N_("«%(name)s» — не файл .xml; нужен файл в формате xmlcalendar.ru", name=filename or "—"))
    if not content:
        _refuse_file(N_("Файл пуст"))
    if len(content) > MAX_FILE_BYTES:
        _refuse_file(N_("Файл больше %(kb)s КБ: это не файл производственного календаря", kb=MAX_FILE_BYTES // 1024))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse_file(N_("Файл должен быть в кодировке UTF-8"))
    try:
        data = parse_xmlcalendar(text)
    except CalendarError as exc:
        _refuse_file(text_of(exc))
    if data.year != number:
        message = N_("В файле календарь на %(found)s год, а загружается %(year)s год", found=data.year, year=number)
        raise Invalid(N_("Календарь не загружен: %(problem)s", problem=message), fields={"year": message})
    row = session.get(CalendarYear, number)
    if row is None:
        description = N_("Загружен производственный календарь на %(year)s год (%(source)s)", year=number,
                         source=data.source)
        row = CalendarYear(year=number)
        session.add(row)
    else:
        description = N_("Заменён производственный календарь на %(year)s год (%(source)s)", year=number,
                         source=data.source)
    row.xml, row.source, row.loaded_at = text, data.source[:300], clock.now()
    session.flush()
    # The production calendar is the country's: every tenant's deadlines follow it.
    tenants = list(session.scalars(select(Tenant.id).order_by(Tenant.id)))
    return Change(description, sum(recalculate_deadlines(session=session, clock=clock, tenant_id=tenant_id,
                                                         reason=description, actor=actor) for tenant_id in tenants))


def recalculate_deadlines(*, session: Session, clock: Clock, tenant_id: int, reason: str,
                          actor: User | None = None) -> int:
    """Recompute the not yet passed timers of the tenant's open cases; returns how many cases' deadlines moved. The
    reason goes into each moved deadline's history."""
    bump_revision(session=session, tenant_id=tenant_id)
    timers = session.scalars(select(Timer).join(Case, Case.id == Timer.case_id).where(
        Case.tenant_id == tenant_id, Case.status != "closed", Timer.due_at > clock.now(),
    ).order_by(Timer.case_id, Timer.id)).all()
    by_case: dict[int, list[Timer]] = defaultdict(list)
    for timer in timers:
        by_case[timer.case_id].append(timer)
    moved = 0
    for case_id, case_timers in by_case.items():
        case = session.get(Case, case_id)
        assert case is not None
        moved += _reschedule(session, clock, case, case_timers, reason, actor)
    return moved


def _reschedule(session: Session, clock: Clock, case: Case, timers: list[Timer], reason: str,
                actor: User | None) -> bool:
    """Recompute one case's timers from when they were armed; store and record them if they moved."""
    before = {timer.task_guid: timer.due_at for timer in timers}
    runner = runner_for(session=session, case=case, clock=clock)
    try:
        snapshot = run_step(lambda: runner.reschedule(case.state, {t.task_guid: t.armed_at for t in timers}))
    except Invalid as exc:
        raise Invalid(N_("Сроки случая № %(case)s не пересчитать: %(problem)s Изменение не сохранено.", case=case.id,
                         problem=exc.message)) from exc
    moved = sorted((t for t in snapshot.timers if t.id in before and abs(t.due_at - before[t.id]) >= _SAME_DEADLINE),
                   key=lambda t: t.due_at)
    if not moved:
        return False
    try:
        apply_snapshot(session=session, case=case, snapshot=snapshot, clock=clock, actor=actor)
    except StaleDataError:
        raise Conflict(N_("Случай № %(case)s изменился во время пересчёта сроков; повторите действие",
                          case=case.id)) from None
    for timer in moved:
        add_event(session=session, case=case, at=clock.now(), actor=actor, kind="deadline_changed", step=timer.step,
                  body_id=case.body_id, due_at=timer.due_at,
                  details={"timer": timer.kind, "old": before[timer.id].isoformat(), "new": timer.due_at.isoformat(),
                           "reason": stored_note(reason)})
    return True


def _changed(session: Session, clock: Clock, actor: User, description: str) -> Change:
    """Recalculate the actor's tenant's deadlines after a change described by a Text."""
    return Change(description, recalculate_deadlines(session=session, clock=clock, tenant_id=actor.tenant_id,
                                                     reason=description, actor=actor))


def _year(value: object) -> int:
    """Parse a year an administrator typed."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        message = N_("Неверный год «%(text)s»: укажите год числом от %(first)s до %(last)s", text=text,
                     first=FIRST_YEAR, last=LAST_YEAR)
        raise Invalid(message, fields={"year": message})
    return int(text)


def _body(session: Session, tenant_id: int, code: str) -> Body:
    """A body of the tenant whose calendar may be changed."""
    body = session.scalar(select(Body).where(Body.tenant_id == tenant_id, Body.code == code))
    if body is None:
        raise NotFound(N_("Органа с кодом «%(code)s» нет", code=code))
    if body.is_curator:
        message = N_("«%(body)s» — куратор: его сроки считаются по календарю всего региона", body=body.short_name)
        raise Invalid(message, fields={"body": message})
    return body


def _override(session: Session, tenant_id: int, override_id: object) -> OverrideDay:
    """An override day of the tenant."""
    row_id = parse_id(override_id)
    row = session.get(OverrideDay, row_id) if row_id is not None else None
    if row is None or row.tenant_id != tenant_id:
        raise NotFound(N_("Особый день не найден: возможно, его уже удалили"))
    return row


def _override_fields(session: Session, body: Body | None, day: object, kind: object, start: object, end: object,
                     reason: object) -> _Fields:
    """Validate an override day's fields; raises Invalid with a Russian message per bad field."""
    errors: dict[str, str] = {}
    parsed_day = None
    try:
        parsed_day = date.fromisoformat(str(day or "").strip())
    except ValueError:
        errors["day"] = N_("Укажите дату, например 2026-11-25")
    if parsed_day is not None and session.get(CalendarYear, parsed_day.year) is None:
        errors["day"] = N_("Нет данных производственного календаря на %(year)s год: сначала загрузите календарь на "
                           "этот год", year=parsed_day.year)
    if kind not in KINDS:
        errors["kind"] = N_("Выберите вид дня: %(kinds)s", kinds=joined(KIND_TITLES.values(), ", "))
    hours = {name: parse_time(value, name, errors) for name, value in (("start", start), ("end", end))}
    text = str(reason or "").strip()
    if len(text) > MAX_REASON:
        errors["reason"] = N_("Основание — не длиннее %(count)s символов", count=MAX_REASON)
    if parsed_day is not None and not errors:
        fields = _Fields(parsed_day, str(kind), hours["start"], hours["end"], text)
        try:
            CalendarOverride(*fields, scope="region" if body is None else "body")
        except CalendarError as exc:
            errors["start"] = text_of(exc)
        else:
            return fields
    raise Invalid(N_("Особый день не сохранён: %(problems)s", problems=joined(errors.values())), fields=errors)


def parse_time(value: object, name: str, errors: dict[str, str]) -> time | None:
    """Parse an optional HH:MM, noting a bad one in errors."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%H:%M").time()
    except ValueError:
        errors[name] = N_("Неверное время «%(text)s»: нужен формат ЧЧ:ММ, например 09:00", text=text)
        return None


def _refuse_second(session: Session, tenant_id: int, body: Body | None, day: date, own_id: int | None) -> None:
    """One override per day and scope: a second one would silently shadow the first."""
    scope = OverrideDay.body_id.is_(None) if body is None else OverrideDay.body_id == body.id
    query = select(OverrideDay.id).where(OverrideDay.tenant_id == tenant_id, OverrideDay.day == day, scope)
    if own_id is not None:
        query = query.where(OverrideDay.id != own_id)
    if session.scalar(query) is not None:
        message = N_("На этот день уже задан особый день (%(scope)s): измените или удалите его", scope=_scope(body))
        raise Invalid(message, fields={"day": message})


def _refuse_file(problem: str) -> NoReturn:
    """Refuse a calendar file, naming the problem."""
    raise Invalid(N_("Календарь не загружен: %(problem)s", problem=problem), fields={"file": problem})


def _scope(body: Body | None) -> str:
    """Where an override day applies, in words."""
    return N_("весь регион") if body is None else N_("орган «%(body)s»", body=body.short_name)


def _describe(row: OverrideDay, body: Body | None) -> str:
    """An override day in one line, e.g. «25.11.2026 нерабочий (весь регион) — Решение губернатора»."""
    hours = f" {row.start:%H:%M}–{row.end:%H:%M}" if row.start and row.end else ""
    reason = f" — {row.reason}" if row.reason else ""  # what the administrator wrote, as written
    return N_("%(day)s %(kind)s%(hours)s (%(scope)s)%(reason)s", day=f"{row.day:%d.%m.%Y}",
              kind=KIND_TITLES.get(row.kind, row.kind), hours=hours, scope=_scope(body), reason=reason)
