"""The inputs of working time: a body's weekly hours and administrators' override days, validated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .production_calendar import NON_WORKING, SHORTENED, WORKING, CalendarError, format_day
from .texts import N_

KINDS = (NON_WORKING, WORKING, SHORTENED)
KIND_NAMES = {NON_WORKING: N_("нерабочий"), WORKING: N_("рабочий"), SHORTENED: N_("сокращённый")}
SCOPES = ("region", "body")
WEEKDAYS = {"mon": N_("Понедельник"), "tue": N_("Вторник"), "wed": N_("Среда"), "thu": N_("Четверг"),
            "fri": N_("Пятница")}
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
SHORTENING = timedelta(hours=1)  # Labour Code art. 95: a pre-holiday working day is one hour shorter


def shift_time(moment: time, delta: timedelta) -> time:
    """Move a wall-clock time within one day."""
    return (datetime.combine(date.min, moment) + delta).time()


def _hours_problem(start: time, end: time, lunch_start: time | None, lunch_end: time | None) -> str | None:
    """Say what is wrong with a day's hours, None when they are valid."""
    if end <= start:
        return N_("окончание работы (%(end)s) должно быть позже начала (%(start)s)", end=f"{end:%H:%M}",
                  start=f"{start:%H:%M}")
    if datetime.combine(date.min, end) - datetime.combine(date.min, start) <= SHORTENING:
        return N_("рабочий день должен быть длиннее часа: в предпраздничный день он сокращается на час")
    if (lunch_start is None) != (lunch_end is None):
        return N_("укажите и начало, и окончание обеда (или не указывайте обед совсем)")
    if lunch_start is not None and lunch_end is not None and not start < lunch_start < lunch_end < end:
        return N_("обед (%(lunch)s) должен быть внутри рабочего дня (%(day)s) и заканчиваться позже, чем начинается",
                  lunch=f"{lunch_start:%H:%M}–{lunch_end:%H:%M}", day=f"{start:%H:%M}–{end:%H:%M}")
    return None


@dataclass(frozen=True)
class WorkHours:
    """One weekday's working hours with an optional lunch break."""

    start: time
    end: time
    lunch_start: time | None = None
    lunch_end: time | None = None

    def __post_init__(self) -> None:
        problem = _hours_problem(self.start, self.end, self.lunch_start, self.lunch_end)
        if problem:
            raise CalendarError(N_("Неверное рабочее время: %(problem)s.", problem=problem))

    def intervals(self, start: time, end: time) -> list[tuple[time, time]]:
        """Return the working intervals of the window start-end with this lunch break cut out."""
        if self.lunch_start is None or self.lunch_end is None or self.lunch_end <= start or end <= self.lunch_start:
            return [(start, end)]
        parts = [(start, self.lunch_start), (self.lunch_end, end)]
        return [(a, b) for a, b in parts if a < b]


def _parse_time(value: object, where: str) -> time:
    """Parse an administrator's HH:MM time; `where` names the weekday in errors."""
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise CalendarError(N_("%(weekday)s: неверное время «%(value)s», нужен формат ЧЧ:ММ, например 09:00.",
                               weekday=where, value=str(value)))
    return time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class Schedule:
    """A body's weekly working hours, Monday to Friday (weekends follow the production calendar)."""

    weekdays: tuple[WorkHours, ...]

    def __post_init__(self) -> None:
        if len(self.weekdays) != len(WEEKDAYS):
            raise CalendarError(N_("Расписание должно задавать рабочее время на каждый день с понедельника по "
                                   "пятницу."))

    @classmethod
    def oblast_default(cls) -> Schedule:
        """Leningrad Oblast: Mon-Thu 09:00-18:00, Fri 09:00-17:00, lunch 13:00-13:48 (40 hours a week)."""
        lunch = (time(13), time(13, 48))
        long_day, friday = WorkHours(time(9), time(18), *lunch), WorkHours(time(9), time(17), *lunch)
        return cls((long_day,) * 4 + (friday,))

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Schedule:
        """Build a schedule from its JSON form, {"mon": {"start": "09:00", "end": "18:00", "lunch_start": ...}, ...}."""
        if not isinstance(data, Mapping):
            raise CalendarError(N_("Расписание должно быть словарём с ключами mon, tue, wed, thu, fri."))
        unknown = sorted(set(data) - set(WEEKDAYS))
        if unknown:
            raise CalendarError(N_("Неизвестные дни в расписании: %(days)s (допустимы mon, tue, wed, thu, fri).",
                                   days=", ".join(map(str, unknown))))
        return cls(tuple(_hours_from_dict(data.get(key), name) for key, name in WEEKDAYS.items()))

    def to_dict(self) -> dict[str, dict[str, str | None]]:
        """Return the JSON form read by from_dict."""
        return {
            key: {
                "start": f"{hours.start:%H:%M}",
                "end": f"{hours.end:%H:%M}",
                "lunch_start": None if hours.lunch_start is None else f"{hours.lunch_start:%H:%M}",
                "lunch_end": None if hours.lunch_end is None else f"{hours.lunch_end:%H:%M}",
            }
            for key, hours in zip(WEEKDAYS, self.weekdays)
        }


def _hours_from_dict(value: object, where: str) -> WorkHours:
    """Build one weekday's hours from its JSON form, naming the weekday in errors."""
    if not isinstance(value, Mapping):
        raise CalendarError(N_("%(weekday)s: не задано рабочее время (нужны start и end).", weekday=where))
    unknown = sorted(set(value) - {"start", "end", "lunch_start", "lunch_end"})
    if unknown:
        raise CalendarError(N_("%(weekday)s: неизвестные поля %(fields)s.", weekday=where,
                               fields=", ".join(map(str, unknown))))
    start, end = _parse_time(value.get("start"), where), _parse_time(value.get("end"), where)
    lunch = [
        None if value.get(key) is None else _parse_time(value.get(key), where) for key in ("lunch_start", "lunch_end")
    ]
    problem = _hours_problem(start, end, *lunch)
    if problem:
        raise CalendarError(N_("%(weekday)s: %(problem)s.", weekday=where, problem=problem))
    return WorkHours(start, end, *lunch)


@dataclass(frozen=True)
class OverrideDay:
    """An administrator's override of one day for the whole region or for one body."""

    day: date
    kind: str  # NON_WORKING, WORKING (optionally with own hours) or SHORTENED
    start: time | None = None
    end: time | None = None
    reason: str = ""
    scope: str = "region"  # "region" or "body"; a body's override beats the region's

    def __post_init__(self) -> None:
        when = format_day(self.day)
        if self.kind not in KINDS:
            raise CalendarError(N_("Неизвестный вид дня «%(kind)s» для %(day)s: допустимы %(kinds)s.",
                                   kind=self.kind, day=when, kinds=", ".join(KINDS)))
        if self.scope not in SCOPES:
            raise CalendarError(N_("Неизвестная область действия «%(scope)s» для %(day)s: допустимы region, body.",
                                   scope=self.scope, day=when))
        if (self.start is None) != (self.end is None):
            raise CalendarError(N_("Для %(day)s укажите и начало, и окончание работы (или не указывайте часы).",
                                   day=when))
        if self.start is not None and self.kind != WORKING:
            raise CalendarError(N_("Свои часы работы можно задать только рабочему дню, а %(day)s — «%(kind)s».",
                                   day=when, kind=KIND_NAMES.get(self.kind, self.kind)))
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise CalendarError(N_("Для %(day)s окончание работы должно быть позже начала.", day=when))
