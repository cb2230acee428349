"""Working-time arithmetic for deadlines: body schedules, the production calendar and administrators' override days."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .production_calendar import (
    NON_WORKING,
    SHORTENED,
    WORKING,
    CalendarDataMissing,
    CalendarError,
    ProductionCalendar,
    ProductionDay,
    YearData,
    format_day,
    parse_xmlcalendar,
    shipped_year_files,
    shipped_years,
)
from .schedule import (
    KIND_NAMES,
    KINDS,
    SCOPES,
    SHORTENING,
    WEEKDAYS,
    OverrideDay,
    Schedule,
    WorkHours,
    shift_time,
)
from .texts import N_

__all__ = [
    "KINDS",
    "KIND_NAMES",
    "NON_WORKING",
    "SCOPES",
    "SHORTENED",
    "WEEKDAYS",
    "WORKING",
    "CalendarDataMissing",
    "CalendarError",
    "DayInfo",
    "InvalidDuration",
    "OverrideDay",
    "ProductionCalendar",
    "ProductionDay",
    "Schedule",
    "WorkHours",
    "WorkingCalendar",
    "YearData",
    "parse_xmlcalendar",
    "shipped_year_files",
    "shipped_years",
]

_MAX_WORKING_HOURS = 10_000
_MAX_WORKING_TIME = timedelta(hours=_MAX_WORKING_HOURS)
_MAX_WORKING_DAYS = 366
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SOURCE_NAMES = {"production": N_("производственный календарь"), "region": N_("решение региона"),
                 "body": N_("решение органа")}
_DEFAULT_TITLES = {NON_WORKING: N_("Нерабочий день"), WORKING: N_("Рабочий день"),
                   SHORTENED: N_("Сокращённый рабочий день")}


class InvalidDuration(CalendarError):
    """A negative or absurdly long working-time duration."""


@dataclass(frozen=True)
class DayInfo:
    """A day that is not ordinary, as shown on the year overview."""

    day: date
    kind: str  # NON_WORKING, WORKING or SHORTENED
    start: time | None  # working hours, None on a non-working day
    end: time | None
    title: str
    source: str  # "production", "region" or "body"

    def describe(self) -> str:
        """One line, e.g. «30.04.2026 сокращённый 09:00–17:00 — Предпраздничный день, сокращён на 1 час
        (производственный календарь)»."""
        day, kind, source = format_day(self.day), KIND_NAMES[self.kind], _SOURCE_NAMES[self.source]
        if self.start is None or self.end is None:
            return N_("%(day)s %(kind)s — %(title)s (%(source)s)", day=day, kind=kind, title=self.title,
                      source=source)
        return N_("%(day)s %(kind)s %(hours)s — %(title)s (%(source)s)", day=day, kind=kind,
                  hours=f"{self.start:%H:%M}–{self.end:%H:%M}", title=self.title, source=source)


class _YearTable(NamedTuple):
    """One year's working intervals in epoch microseconds, with cumulative working time."""

    starts: list[int]
    ends: list[int]
    done_before: list[int]  # working time of the year before each interval starts
    done_after: list[int]  # working time of the year when each interval ends
    day_index: list[int]  # index in day_ends of each interval's working day
    day_ends: list[int]  # end of each working day of the year
    total: int


def _us(moment: datetime) -> int:
    """Return exact epoch microseconds of an aware datetime."""
    return (moment - _EPOCH) // _MICROSECOND


def _offset(table: _YearTable, moment: int) -> int:
    """Return the working time of the year elapsed before a moment."""
    k = bisect_right(table.starts, moment) - 1
    if k < 0:
        return 0
    if moment >= table.ends[k]:
        return table.done_after[k]
    return table.done_before[k] + moment - table.starts[k]


def duration_text(minutes: int) -> str:
    """Minutes of working or calendar time in words, without a sign: «1 ч 20 мин», «45 мин», «3 ч»."""
    hours, rest = divmod(abs(minutes), 60)
    if not hours:
        return N_("%(minutes)s мин", minutes=rest)
    return N_("%(hours)s ч %(minutes)s мин", hours=hours, minutes=rest) if rest else N_("%(hours)s ч", hours=hours)


class WorkingCalendar:
    """Working time of one body: its schedule, the production calendar and override days; immutable."""

    def __init__(
        self,
        production: ProductionCalendar,
        schedule: Schedule | None = None,
        overrides: Iterable[OverrideDay] = (),
        tz: str = "Europe/Moscow",
    ) -> None:
        self._production = production
        self._schedule = schedule or Schedule.oblast_default()
        self._tz = ZoneInfo(tz)
        # Region first, so that a body's override replaces the region's; within one scope the later one wins.
        ordered = sorted(overrides, key=lambda override: SCOPES.index(override.scope))
        self._overrides = {override.day: override for override in ordered}
        self._tables: dict[int, _YearTable] = {}

    def _local(self, moment: datetime) -> datetime:
        """Check that a moment is aware and convert it to the calendar's time zone."""
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise CalendarError(N_("Время «%(moment)s» указано без часового пояса; нужно время с часовым поясом, "
                                   "например +03:00.", moment=str(moment)))
        return moment.astimezone(self._tz)

    def _moment(self, us: int) -> datetime:
        """Turn epoch microseconds into a datetime in the calendar's time zone."""
        return (_EPOCH + timedelta(microseconds=us)).astimezone(self._tz)

    def _plan(self, day: date) -> tuple[DayInfo | None, list[tuple[time, time]]]:
        """Resolve a day (body override > regional override > production calendar) into its info and intervals."""
        entry = self._production.day(day)  # first, so that a year without data is an error even with overrides
        stand_in = day if day.weekday() < 5 else self._production.stands_in_for(day)
        # A working weekend day runs on the hours of the weekday it stands in for, else on Monday's.
        hours = self._schedule.weekdays[0 if stand_in is None else stand_in.weekday()]
        start, end = hours.start, hours.end
        override = self._overrides.get(day)
        if override is not None:
            kind, title, source = override.kind, override.reason or _DEFAULT_TITLES[override.kind], override.scope
            if override.start is not None and override.end is not None:
                start, end = override.start, override.end
        elif entry is not None:
            kind, title, source = entry.kind, self._production.title(day), "production"
        else:
            return None, hours.intervals(start, end) if self._production.is_working_day(day) else []
        if kind == NON_WORKING:
            return DayInfo(day, kind, None, None, title, source), []
        if kind == SHORTENED:
            end = shift_time(end, -SHORTENING)
        intervals = hours.intervals(start, end)
        first, last = (intervals[0][0], intervals[-1][1]) if intervals else (None, None)
        return DayInfo(day, kind, first, last, title, source), intervals

    def _table(self, year: int) -> _YearTable:
        """Return the year's interval table, building it on first use."""
        table = self._tables.get(year)
        if table is None:
            table = self._tables[year] = self._build(year)
        return table

    def _build(self, year: int) -> _YearTable:
        """Lay out every working interval of a year as epoch microseconds."""
        starts: list[int] = []
        ends: list[int] = []
        done_before: list[int] = []
        done_after: list[int] = []
        day_index: list[int] = []
        day_ends: list[int] = []
        done = 0
        day = date(year, 1, 1)
        while day.year == year:
            intervals = self._plan(day)[1]
            for start, end in intervals:
                starts.append(_us(datetime.combine(day, start, self._tz)))
                ends.append(_us(datetime.combine(day, end, self._tz)))
                done_before.append(done)
                done += ends[-1] - starts[-1]
                done_after.append(done)
                day_index.append(len(day_ends))
            if intervals:
                day_ends.append(ends[-1])
            day += timedelta(days=1)
        return _YearTable(starts, ends, done_before, done_after, day_index, day_ends, done)

    def _next_interval(self, moment: datetime) -> tuple[int, _YearTable, int, int]:
        """Find the interval holding a moment, or the next one: (year, table, index, moment in microseconds)."""
        local = self._local(moment)
        year, us = local.year, _us(local)
        table = self._table(year)
        k = bisect_right(table.ends, us)
        while k == len(table.ends):
            year, k = year + 1, 0
            table = self._table(year)
        return year, table, k, us

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """Return the moment when delta of working time has passed since start (zero returns start itself)."""
        if delta < timedelta(0) or delta > _MAX_WORKING_TIME:
            minutes = int(abs(delta) // timedelta(minutes=1))
            got = N_("минус %(duration)s", duration=duration_text(minutes)) if delta < timedelta(0) \
                else duration_text(minutes)
            raise InvalidDuration(N_("Срок в рабочем времени должен быть от 0 до %(limit)s ч, а получено "
                                     "%(duration)s. Проверьте параметры срока.", limit=_MAX_WORKING_HOURS,
                                     duration=got))
        local = self._local(start)
        if not delta:
            return local
        year = local.year
        table = self._table(year)
        target = _offset(table, _us(local)) + delta // _MICROSECOND
        while target > table.total:
            target -= table.total
            year += 1
            table = self._table(year)
        # bisect_left keeps a target that falls exactly on an interval's end at that end (13:00, not 13:48).
        j = bisect_left(table.done_after, target)
        return self._moment(table.ends[j] - (table.done_after[j] - target))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return the end of the days-th working day after start's date (0: the day of start's next working moment)."""
        if not 0 <= days <= _MAX_WORKING_DAYS:
            raise InvalidDuration(N_("Срок в рабочих днях должен быть от 0 до %(limit)s, а получено %(days)s. "
                                     "Проверьте параметры срока.", limit=_MAX_WORKING_DAYS, days=days))
        if days == 0:
            year, table, k, _ = self._next_interval(start)
            index = table.day_index[k]
        else:
            local = self._local(start)
            next_day = datetime.combine(local.date() + timedelta(days=1), time(0), local.tzinfo)
            year, table, k, _ = self._next_interval(next_day)
            index = table.day_index[k] + days - 1
        while index >= len(table.day_ends):
            index -= len(table.day_ends)
            year += 1
            table = self._table(year)
        return self._moment(table.day_ends[index])

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Return the working time from a to b, negative when b is earlier."""
        first, second = self._local(a), self._local(b)
        if first > second:
            return -self.working_time_between(second, first)
        years = range(first.year, second.year)
        done = _offset(self._table(second.year), _us(second)) - _offset(self._table(first.year), _us(first))
        return timedelta(microseconds=done + sum(self._table(year).total for year in years))

    def is_working_time(self, moment: datetime) -> bool:
        """Return whether a moment lies inside a working interval (an interval's end is not working time)."""
        local = self._local(moment)
        table, us = self._table(local.year), _us(local)
        k = bisect_right(table.ends, us)
        return k < len(table.ends) and table.starts[k] <= us

    def next_working_moment(self, moment: datetime) -> datetime:
        """Return the moment itself if it is working time, else the start of the next working interval."""
        _, table, k, us = self._next_interval(moment)
        return self._moment(max(us, table.starts[k]))

    def day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Return the working intervals of a day as aware datetimes."""
        intervals = self._plan(day)[1]
        return [(datetime.combine(day, a, self._tz), datetime.combine(day, b, self._tz)) for a, b in intervals]

    def year_overview(self, year: int) -> list[DayInfo]:
        """List every day of a year that is not ordinary: production entries and override days."""
        days = set(self._production.year_data(year).days) | {day for day in self._overrides if day.year == year}
        return [info for day in sorted(days) if (info := self._plan(day)[0]) is not None]
