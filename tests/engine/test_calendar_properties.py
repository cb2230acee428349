"""Properties of the working-time arithmetic, over 2024-2027, with the oblast schedule and random valid ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from engine.calendar import (
    NON_WORKING,
    SHORTENED,
    WORKING,
    CalendarDataMissing,
    OverrideDay,
    ProductionCalendar,
    Schedule,
    WorkHours,
    WorkingCalendar,
    shipped_years,
)

MSK = ZoneInfo("Europe/Moscow")
PRODUCTION = ProductionCalendar(shipped_years())
OBLAST = WorkingCalendar(PRODUCTION)
# Starts end a month before the data does, so that 20 working days always fit.
starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 11, 30), timezones=st.just(MSK))
# Up to ten working days of 8 h 12 min, to the microsecond.
durations = st.integers(min_value=0, max_value=82 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us))


def _clock(minutes: int) -> time:
    """Turn minutes since midnight into a time."""
    return time(minutes // 60, minutes % 60)


@st.composite
def work_hours(draw: st.DrawFn) -> WorkHours:
    """Draw one valid weekday: 06:00-12:00 start, 2-12 hours long, maybe a lunch inside."""
    start = draw(st.integers(6 * 60, 12 * 60))
    end = start + draw(st.integers(2 * 60, 11 * 60))
    if not draw(st.booleans()):
        return WorkHours(_clock(start), _clock(end))
    lunch_start = draw(st.integers(start + 1, end - 2))
    lunch_end = draw(st.integers(lunch_start + 1, end - 1))
    return WorkHours(_clock(start), _clock(end), _clock(lunch_start), _clock(lunch_end))


schedules = st.builds(Schedule, st.tuples(*[work_hours()] * 5))


@st.composite
def override_days(draw: st.DrawFn) -> OverrideDay:
    """Draw an override day, a working one sometimes with its own hours (which may even fall inside lunch)."""
    day = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)))
    kind = draw(st.sampled_from([NON_WORKING, WORKING, SHORTENED]))
    scope = draw(st.sampled_from(["region", "body"]))
    if kind != WORKING or draw(st.booleans()):
        return OverrideDay(day, kind, scope=scope)
    start = draw(st.integers(0, 23 * 60 + 58))
    end = draw(st.integers(start + 1, 23 * 60 + 59))
    return OverrideDay(day, kind, _clock(start), _clock(end), scope=scope)


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    """Draw the oblast calendar or one with a random schedule and random override days."""
    if draw(st.booleans()):
        return OBLAST
    return WorkingCalendar(PRODUCTION, draw(schedules), draw(st.lists(override_days(), max_size=30)))


@contextmanager
def within_data() -> Iterator[None]:
    """Drop an example whose result would fall after 2027: a schedule of a few minutes a day can push ten working
    days years ahead, and the calendar rightly refuses a year without data."""
    try:
        yield
    except CalendarDataMissing:
        reject()


def _on_interval_end(calendar: WorkingCalendar, moment: datetime) -> bool:
    """Return whether a moment is exactly the end of one of its day's working intervals."""
    return any(end == moment for _, end in calendar.day_intervals(moment.date()))


@settings(max_examples=300, deadline=None)
@given(calendars(), starts, durations, durations)
def test_adding_in_two_steps_equals_adding_the_sum(
    calendar: WorkingCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    with within_data():
        two_steps = calendar.add_working_time(calendar.add_working_time(start, a), b)
        assert two_steps == calendar.add_working_time(start, a + b)


@settings(max_examples=300, deadline=None)
@given(calendars(), starts, durations)
def test_between_undoes_add(calendar: WorkingCalendar, start: datetime, delta: timedelta) -> None:
    with within_data():
        due = calendar.add_working_time(start, delta)
    assert calendar.working_time_between(start, due) == delta
    assert calendar.working_time_between(calendar.next_working_moment(start), due) == delta
    assert calendar.working_time_between(due, start) == -delta


@settings(max_examples=300, deadline=None)
@given(calendars(), starts, durations.filter(bool))
def test_result_is_working_time_or_an_interval_end(
    calendar: WorkingCalendar, start: datetime, delta: timedelta
) -> None:
    with within_data():
        due = calendar.add_working_time(start, delta)
    assert due > start
    assert due.utcoffset() == timedelta(hours=3)
    assert calendar.is_working_time(due) or _on_interval_end(calendar, due)


@settings(max_examples=300, deadline=None)
@given(calendars(), starts, starts, durations, durations)
def test_add_is_monotonic(calendar: WorkingCalendar, s1: datetime, s2: datetime, d1: timedelta, d2: timedelta) -> None:
    (s1, s2), (d1, d2) = sorted((s1, s2)), sorted((d1, d2))
    with within_data():
        assert calendar.add_working_time(s1, d1) <= calendar.add_working_time(s1, d2)
        assert calendar.add_working_time(s1, d1) <= calendar.add_working_time(s2, d1)


@settings(max_examples=200, deadline=None)
@given(calendars(), starts)
def test_next_working_moment(calendar: WorkingCalendar, start: datetime) -> None:
    moment = calendar.next_working_moment(start)
    assert moment >= start
    assert calendar.is_working_time(moment)
    assert calendar.working_time_between(start, moment) == timedelta(0)
    assert (moment == start) == calendar.is_working_time(start)


@settings(max_examples=200, deadline=None)
@given(calendars(), starts, st.integers(min_value=0, max_value=20))
def test_working_days_end_a_working_day(calendar: WorkingCalendar, start: datetime, days: int) -> None:
    with within_data():
        due = calendar.add_working_days(start, days)
        later = calendar.add_working_days(start, days + 1) if days >= 1 else None
    intervals = calendar.day_intervals(due.date())
    assert intervals and intervals[-1][1] == due
    if later is not None:
        assert later > due
    # Day 0 is the day of the next working moment; day N >= 1 is the Nth working day after the start's date.
    first = calendar.next_working_moment(start)
    assert calendar.add_working_days(start, 0) == calendar.day_intervals(first.date())[-1][1]


@given(schedules)
def test_schedule_json_round_trip(schedule: Schedule) -> None:
    assert Schedule.from_dict(schedule.to_dict()) == schedule
