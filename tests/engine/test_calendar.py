"""Working-time calendar: deadlines worked out by hand from the official production calendar 2024-2027.

Default oblast schedule: Mon-Thu 09:00-13:00 + 13:48-18:00 (8 h 12 min), Fri 09:00-13:00 + 13:48-17:00
(7 h 12 min); a shortened day ends one hour earlier (Mon-Thu 17:00, Fri 16:00).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import holidays
import pytest

from engine.calendar import (
    NON_WORKING,
    SHORTENED,
    WORKING,
    CalendarDataMissing,
    CalendarError,
    DayInfo,
    InvalidDuration,
    OverrideDay,
    ProductionCalendar,
    Schedule,
    WorkHours,
    WorkingCalendar,
    duration_text,
    parse_xmlcalendar,
    shipped_year_files,
    shipped_years,
)

PRODUCTION = ProductionCalendar(shipped_years())
OBLAST = WorkingCalendar(PRODUCTION)
DATA_DIR = Path(__file__).parents[2] / "engine" / "calendar_data" / "ru"


def msk(text: str) -> datetime:
    """Parse a Moscow wall-clock time, '2026-03-06 12:00'."""
    return datetime.fromisoformat(f"{text}+03:00")


H, M = timedelta(hours=1), timedelta(minutes=1)

ADD_WORKING_TIME = [
    # Contract example. Fri 6 Mar 2026 (not shortened: Sat follows) 12:00-13:00 1 h + 13:48-17:00 3 h 12 = 4 h 12;
    # Sat 7, Sun 8 (holiday), Mon 9 (moved from Sun 8, art. 112) off; Tue 10: 09:00-13:00 4 h, 13:48 + 48 min.
    ("2026-03-06 12:00", 9 * H, "2026-03-10 14:36"),
    # Exactly at an interval end: 09:00 + 4 h is 13:00 (before lunch), not 13:48.
    ("2026-03-10 09:00", 4 * H, "2026-03-10 13:00"),
    # Start at lunch counts from 13:48.
    ("2026-03-10 13:20", 60 * M, "2026-03-10 14:48"),
    ("2026-03-10 13:00", 30 * M, "2026-03-10 14:18"),
    # Thu 12 Mar 2026: 13:48 + 4 h 12 ends exactly at 18:00, not Fri 09:00.
    ("2026-03-12 13:48", 4 * H + 12 * M, "2026-03-12 18:00"),
    # Thursday end plus one minute: Fri 09:01.
    ("2026-03-12 18:00", 1 * M, "2026-03-13 09:01"),
    # Friday evening: nothing left on Fri 13 Mar, so Mon 16 Mar 09:00 + 1 h.
    ("2026-03-13 17:30", 1 * H, "2026-03-16 10:00"),
    # Fri 16:30-17:00 is 30 min, the other 30 min on Monday.
    ("2026-03-13 16:30", 60 * M, "2026-03-16 09:30"),
    # Start on Sunday counts from Monday 09:00.
    ("2026-03-15 11:00", 30 * M, "2026-03-16 09:30"),
    # Seconds of the start are kept.
    ("2026-03-10 10:15:42", 1 * H, "2026-03-10 11:15:42"),
    # 30 s before lunch, the other 30 s after it.
    ("2026-03-10 12:59:30", 1 * M, "2026-03-10 13:48:30"),
    # New Year 2026: Tue 30 Dec 2025 17:00-18:00 1 h; 31 Dec (moved from Sun 5 Jan 2025), 1-8 Jan, Fri 9 Jan
    # (moved from Sat 3 Jan) and the weekend off; Mon 12 Jan 09:00 + 1 h.
    ("2025-12-30 17:00", 2 * H, "2026-01-12 10:00"),
    # 2024 year end: Fri 27 Dec 16:00-17:00 1 h; Sat 28 Dec works (for Mon 30 Dec, Monday hours) 09:00 + 2 h.
    ("2024-12-27 16:00", 3 * H, "2024-12-28 11:00"),
    # Sat 28 Dec 2024 17:00-18:00 1 h; 29 Dec-8 Jan 2025 off (30 Dec moved from 28 Dec, 31 Dec from Sun 7 Jan);
    # Thu 9 Jan 2025 09:00 + 1 h.
    ("2024-12-28 17:00", 2 * H, "2025-01-09 10:00"),
    # Working Sat 27 Apr 2024 (for Mon 29 Apr): Fri 26 Apr 16:00-17:00 1 h, Sat 09:00 + 2 h.
    ("2024-04-26 16:00", 3 * H, "2024-04-27 11:00"),
    # Sat 27 Apr 17:00-18:00 1 h; Sun 28, Mon 29 (moved), Tue 30 (moved from Sat 2 Nov), Wed 1 May off; Thu 2 May.
    ("2024-04-27 17:00", 2 * H, "2024-05-02 10:00"),
    # Wed 8 May 2024 is shortened (ends 17:00): Tue 7 May 17:00-18:00 1 h, Wed 09:00-13:00 4 h, 13:48 + 3 h.
    ("2024-05-07 17:00", 8 * H, "2024-05-08 16:48"),
    # Shortened working Sat 2 Nov 2024 (for Tue 30 Apr, Tuesday hours minus 1 h: ends 17:00).
    ("2024-11-01 16:00", 2 * H, "2024-11-02 10:00"),
    ("2024-11-02 16:00", 1 * H, "2024-11-02 17:00"),
    # 16:00-17:00 1 h; Sun 3, Mon 4 Nov (holiday) off; Tue 5 Nov 09:00 + 30 min.
    ("2024-11-02 16:00", 90 * M, "2024-11-05 09:30"),
    # 2024 holidays on weekdays: Thu 22 Feb shortened (17:00), Fri 23 Feb off; 16:00-17:00, then Mon 26 Feb.
    ("2024-02-22 16:00", 2 * H, "2024-02-26 10:00"),
    # Thu 7 Mar 2024 shortened, Fri 8 Mar off: 16:30-17:00 30 min, Mon 11 Mar 09:00 + 30 min.
    ("2024-03-07 16:30", 1 * H, "2024-03-11 09:30"),
    # Tue 11 Jun 2024 shortened, Wed 12 Jun off: 16:00-17:00 1 h, Thu 13 Jun 09:00 + 1 h.
    ("2024-06-11 16:00", 2 * H, "2024-06-13 10:00"),
    # 2025: Sun 23 Feb is moved to Thu 8 May, so Mon 24 Feb works; Fri 21 Feb not shortened (a weekend follows).
    ("2025-02-21 16:00", 2 * H, "2025-02-24 10:00"),
    # Fri 7 Mar 2025 shortened (ends 16:00), Sat 8 Mar holiday moved to 13 Jun, so Mon 10 Mar works.
    ("2025-03-07 15:00", 2 * H, "2025-03-10 10:00"),
    # Wed 30 Apr 2025 shortened; 1 May, 2 May (moved from Sat 4 Jan), weekend; Mon 5 May.
    ("2025-04-30 16:00", 2 * H, "2025-05-05 10:00"),
    # Wed 7 May 2025 is not shortened (8 May is a moved day off, not a holiday); 8-11 May off; Mon 12 May.
    ("2025-05-07 17:00", 2 * H, "2025-05-12 10:00"),
    # Wed 11 Jun 2025 shortened; Thu 12 (holiday), Fri 13 (moved from Sat 8 Mar) off; Mon 16 Jun.
    ("2025-06-11 16:00", 2 * H, "2025-06-16 10:00"),
    # Fri 31 Oct 2025 not shortened; shortened working Sat 1 Nov (for Mon 3 Nov) from 09:00.
    ("2025-10-31 16:30", 1 * H, "2025-11-01 09:30"),
    # Sat 1 Nov 2025 ends 17:00; Sun 2, Mon 3 (moved), Tue 4 Nov off; Wed 5 Nov.
    ("2025-11-01 16:00", 2 * H, "2025-11-05 10:00"),
    # Thu 30 Apr 2026 shortened: 16:30-17:00 30 min; Fri 1 May off, weekend; Mon 4 May 09:30.
    ("2026-04-30 16:30", 1 * H, "2026-05-04 09:30"),
    # Thu 7 May 2026 17:00-18:00 1 h; Fri 8 May shortened (6 h 12 min, ends 16:00) -> 7 h 12; Sat 9 (holiday),
    # Sun 10, Mon 11 (moved from Sat 9) off; Tue 12 May 09:00 + 48 min.
    ("2026-05-07 17:00", 8 * H, "2026-05-12 09:48"),
    # Thu 11 Jun 2026 shortened; Fri 12 Jun off; Mon 15 Jun.
    ("2026-06-11 16:00", 2 * H, "2026-06-15 10:00"),
    # Mon 2 Nov 2026 17:00-18:00 1 h; Tue 3 Nov shortened 7 h 12 -> 8 h 12; Wed 4 Nov off; Thu 5 Nov 09:18.
    ("2026-11-02 17:00", 8 * H + 30 * M, "2026-11-05 09:18"),
    # 2026 year end: Wed 30 Dec 16:00-18:00 2 h; 31 Dec (moved from Sun 4 Jan 2026), 1-8 Jan 2027, weekend off.
    ("2026-12-30 16:00", 3 * H, "2027-01-11 10:00"),
    # Shortened working Sat 20 Feb 2027 (for Mon 22 Feb): Fri 16:00-17:00 1 h + Sat 09:00-13:00 = 5 h at 13:00.
    ("2027-02-19 16:00", 5 * H, "2027-02-20 13:00"),
    ("2027-02-19 16:00", 6 * H, "2027-02-20 14:48"),
    # Sat 20 Feb 2027 ends 17:00; Sun 21, Mon 22 (moved), Tue 23 (holiday) off; Wed 24 Feb.
    ("2027-02-20 16:30", 1 * H, "2027-02-24 09:30"),
    # 2027 May: Fri 30 Apr shortened (16:00); Sat 1 May, Sun 2, Mon 3 May (moved, art. 112) off; Tue 4 May.
    ("2027-04-30 15:00", 2 * H, "2027-05-04 10:00"),
    # 2027 Nov: Wed 3 Nov shortened; Thu 4 (holiday), Fri 5 (moved from Sat 2 Jan) off; Mon 8 Nov.
    ("2027-11-03 16:00", 2 * H, "2027-11-08 10:00"),
    # 31 Dec 2027 (moved from Sun 3 Jan) is off: Thu 30 Dec 17:00 + 1 h ends at 18:00, the last minute of data.
    ("2027-12-30 17:00", 1 * H, "2027-12-30 18:00"),
    # Two full weeks of 40 h: Mon 16 Mar 2026 09:00 + 80 h = Fri 27 Mar 17:00; 82 h (10 x 8 h 12) = Mon 30 Mar 11:00.
    ("2026-03-16 09:00", 80 * H, "2026-03-27 17:00"),
    ("2026-03-16 09:00", 82 * H, "2026-03-30 11:00"),
]


@pytest.mark.parametrize(("start", "delta", "expected"), ADD_WORKING_TIME)
def test_add_working_time(start: str, delta: timedelta, expected: str) -> None:
    result = OBLAST.add_working_time(msk(start), delta)
    assert result.isoformat() == msk(expected).isoformat()
    assert OBLAST.working_time_between(msk(start), result) == delta


def test_contract_example_isoformat() -> None:
    start = datetime.fromisoformat("2026-03-06T12:00:00+03:00")
    assert OBLAST.add_working_time(start, timedelta(hours=9)).isoformat() == "2026-03-10T14:36:00+03:00"


def test_result_is_in_moscow_time_for_a_utc_start() -> None:
    # 09:00 UTC is 12:00 Moscow: the contract example again.
    start = datetime.fromisoformat("2026-03-06T09:00:00+00:00")
    assert OBLAST.add_working_time(start, 9 * H).isoformat() == "2026-03-10T14:36:00+03:00"


def test_zero_duration_returns_the_start() -> None:
    assert OBLAST.add_working_time(msk("2026-03-14 11:00"), timedelta(0)) == msk("2026-03-14 11:00")


ADD_WORKING_DAYS = [
    # Tue 10:00 + 1 working day = end of Wed.
    ("2026-03-10 10:00", 1, "2026-03-11 18:00"),
    # Interim reply, 7 working days from Thu 5 Mar 2026: Fri 6 (1), Tue 10 (2) ... Fri 13 (5), Mon 16 (6), Tue 17 (7).
    ("2026-03-05 10:00", 7, "2026-03-17 18:00"),
    # Over New Year: Mon 29 (1), Tue 30 Dec 2025 (2), then 31 Dec-11 Jan off, Mon 12 (3) ... Fri 16 Jan (7).
    ("2025-12-26 11:00", 7, "2026-01-16 17:00"),
    # Days count from the start's calendar day, whatever its hour: Sun + 1 is the end of Mon.
    ("2026-03-15 12:00", 1, "2026-03-16 18:00"),
    # Tue 19:00 (after hours) + 1 is still the end of Wed.
    ("2026-03-10 19:00", 1, "2026-03-11 18:00"),
    # Fri 6 Mar 2026 evening + 1: Sat, Sun and the Mon 9 Mar holiday are skipped, so the end of Tue 10.
    ("2026-03-06 20:00", 1, "2026-03-10 18:00"),
    # The end of a shortened day: Tue 7 May 2024 + 1 = Wed 8 May, ends 17:00.
    ("2024-05-07 10:00", 1, "2024-05-08 17:00"),
    # Fri 26 Apr 2024 + 1 = the working Sat 27 Apr, Monday hours.
    ("2024-04-26 10:00", 1, "2024-04-27 18:00"),
    # Year end: Wed 30 Dec 2026 (1), 31 Dec-10 Jan off, Mon 11 Jan 2027 (2).
    ("2026-12-29 10:00", 2, "2027-01-11 18:00"),
    # Zero days: the end of the start's own working day.
    ("2026-03-10 10:00", 0, "2026-03-10 18:00"),
    # Ten working days from Fri 6 Mar 2026: Tue 10 ... Fri 13 (4), 16-20 (9), Mon 23 (10).
    ("2026-03-06 12:00", 10, "2026-03-23 18:00"),
]


@pytest.mark.parametrize(("start", "days", "expected"), ADD_WORKING_DAYS)
def test_add_working_days(start: str, days: int, expected: str) -> None:
    assert OBLAST.add_working_days(msk(start), days) == msk(expected)


BETWEEN = [
    ("2026-03-06 12:00", "2026-03-10 14:36", 9 * H),
    # A weekend holds no working time.
    ("2026-03-14 10:00", "2026-03-15 10:00", timedelta(0)),
    # Fri 12:00-13:00 + 13:48-17:00 = 4 h 12; Mon 09:00-10:00 = 1 h.
    ("2026-03-13 12:00", "2026-03-16 10:00", 5 * H + 12 * M),
    # Across a year end.
    ("2025-12-30 17:00", "2026-01-12 10:00", 2 * H),
    # Both inside lunch.
    ("2026-03-10 13:10", "2026-03-10 13:40", timedelta(0)),
    # A full 40-hour week, Mon 16 Mar 2026 00:00 to Sat 21 Mar 00:00.
    ("2026-03-16 00:00", "2026-03-21 00:00", 40 * H),
]


@pytest.mark.parametrize(("a", "b", "expected"), BETWEEN)
def test_working_time_between(a: str, b: str, expected: timedelta) -> None:
    assert OBLAST.working_time_between(msk(a), msk(b)) == expected
    assert OBLAST.working_time_between(msk(b), msk(a)) == -expected


WORKING_TIME = [
    ("2026-03-10 12:59", True),
    ("2026-03-10 13:00", False),  # lunch starts: the end of an interval is not working time
    ("2026-03-10 13:48", True),
    ("2026-03-12 17:30", True),  # Thursday
    ("2026-03-12 18:00", False),
    ("2026-03-13 17:30", False),  # Friday ends at 17:00
    ("2026-03-09 10:00", False),  # moved day off
    ("2024-04-27 10:00", True),  # working Saturday
    ("2024-11-02 17:30", False),  # shortened working Saturday
    ("2025-02-24 10:00", True),  # Mon after a Sunday holiday that was moved to 8 May
    ("2025-05-08 10:00", False),
]


@pytest.mark.parametrize(("moment", "expected"), WORKING_TIME)
def test_is_working_time(moment: str, expected: bool) -> None:
    assert OBLAST.is_working_time(msk(moment)) is expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-10 10:00:05", "2026-03-10 10:00:05"),
        ("2026-03-10 13:00", "2026-03-10 13:48"),
        ("2026-03-13 17:00", "2026-03-16 09:00"),
        ("2025-12-31 12:00", "2026-01-12 09:00"),
        ("2024-12-27 20:00", "2024-12-28 09:00"),
    ],
)
def test_next_working_moment(moment: str, expected: str) -> None:
    assert OBLAST.next_working_moment(msk(moment)) == msk(expected)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 6), [("09:00", "13:00"), ("13:48", "17:00")]),
        (date(2026, 3, 10), [("09:00", "13:00"), ("13:48", "18:00")]),
        (date(2024, 11, 2), [("09:00", "13:00"), ("13:48", "17:00")]),
        (date(2026, 5, 8), [("09:00", "13:00"), ("13:48", "16:00")]),  # shortened Friday
        (date(2026, 3, 9), []),
        (date(2026, 3, 14), []),
    ],
)
def test_day_intervals(day: date, expected: list[tuple[str, str]]) -> None:
    stamp = day.isoformat()
    assert OBLAST.day_intervals(day) == [(msk(f"{stamp} {a}"), msk(f"{stamp} {b}")) for a, b in expected]


# The official facts (research/production-calendar.md), typed by hand.
SHORTENED_DAYS = {
    2024: {date(2024, 2, 22), date(2024, 3, 7), date(2024, 5, 8), date(2024, 6, 11), date(2024, 11, 2)},
    2025: {date(2025, 3, 7), date(2025, 4, 30), date(2025, 6, 11), date(2025, 11, 1)},
    2026: {date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)},
    2027: {date(2027, 2, 20), date(2027, 4, 30), date(2027, 6, 11), date(2027, 11, 3)},
}
WORKING_WEEKENDS = {
    2024: {date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28)},
    2025: {date(2025, 11, 1)},
    2026: set(),
    2027: {date(2027, 2, 20)},
}
# Working days and the 40-hour-week norm (8 h a day, minus 1 h per shortened day).
NORMS = {2024: (248, 1979), 2025: (247, 1972), 2026: (247, 1972), 2027: (247, 1972)}


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_shipped_data_matches_python_holidays_day_by_day(year: int) -> None:
    official = holidays.country_holidays("RU", years=year)
    day = date(year, 1, 1)
    while day.year == year:
        assert PRODUCTION.is_working_day(day) == official.is_working_day(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_shipped_shortened_days_and_working_weekends(year: int) -> None:
    days = shipped_years()[year].days
    assert {day for day, entry in days.items() if entry.kind == SHORTENED} == SHORTENED_DAYS[year]
    assert {day for day in days if day.weekday() >= 5 and PRODUCTION.is_working_day(day)} == WORKING_WEEKENDS[year]


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_norms_with_an_eight_hour_day(year: int) -> None:
    eight = WorkHours(time(9), time(17))
    calendar = WorkingCalendar(PRODUCTION, Schedule((eight,) * 5))
    working_days, hours = NORMS[year]
    # workalendar's own API on the production calendar.
    assert PRODUCTION.get_working_days_delta(date(year, 1, 1), date(year, 12, 31), include_start=True) == working_days
    assert calendar.working_time_between(msk(f"{year}-01-01 00:00"), msk(f"{year}-12-31 23:59")) == hours * H


def test_each_shipped_file_names_its_decree() -> None:
    assert "№ 1314" in shipped_years()[2024].source
    assert "№ 1335" in shipped_years()[2025].source
    files = shipped_year_files()
    assert sorted(files) == [2024, 2025, 2026, 2027]
    for year, (xml, source) in files.items():
        assert parse_xmlcalendar(xml) == shipped_years()[year]
        assert source == shipped_years()[year].source
        assert len(source) <= 300  # the database column


def test_year_overview_2026() -> None:
    overview = WorkingCalendar(
        PRODUCTION, overrides=[OverrideDay(date(2026, 12, 30), SHORTENED, reason="Распоряжение губернатора")]
    ).year_overview(2026)
    assert len(overview) == 23  # 22 days of the 2026 file + one override
    by_day = {info.day: info for info in overview}
    assert by_day[date(2026, 1, 9)] == DayInfo(
        date(2026, 1, 9), NON_WORKING, None, None, "Выходной день, перенесённый с 03.01.2026", "production"
    )
    assert by_day[date(2026, 4, 30)] == DayInfo(
        date(2026, 4, 30), SHORTENED, time(9), time(17), "Предпраздничный день, сокращён на 1 час", "production"
    )
    assert by_day[date(2026, 12, 30)] == DayInfo(
        date(2026, 12, 30), SHORTENED, time(9), time(17), "Распоряжение губернатора", "region"
    )
    assert by_day[date(2026, 3, 8)].title == "Международный женский день"
    assert by_day[date(2026, 4, 30)].describe() == (
        "30.04.2026 сокращённый 09:00–17:00 — Предпраздничный день, сокращён на 1 час (производственный календарь)"
    )
    assert by_day[date(2026, 1, 9)].describe() == (
        "09.01.2026 нерабочий — Выходной день, перенесённый с 03.01.2026 (производственный календарь)"
    )


def test_year_overview_working_saturdays() -> None:
    by_day = {info.day: info for info in OBLAST.year_overview(2024)}
    assert by_day[date(2024, 4, 27)] == DayInfo(
        date(2024, 4, 27), WORKING, time(9), time(18), "Рабочий день вместо 29.04.2024", "production"
    )
    assert by_day[date(2024, 11, 2)].title == "Рабочий день вместо 30.04.2024, сокращён на 1 час"


# Overrides: the contract example Fri 6 Mar 2026 12:00 + 9 h normally ends Tue 10 Mar 14:36.
REGION_OFF = OverrideDay(date(2026, 3, 10), NON_WORKING, reason="Региональный нерабочий день")
BODY_ON = OverrideDay(date(2026, 3, 10), WORKING, reason="Дежурство", scope="body")
SATURDAY = OverrideDay(date(2026, 3, 14), WORKING, time(10), time(14), reason="Субботник")

OVERRIDES = [
    # Tue 10 Mar off: the 4 h 48 left after Friday move to Wed 11 Mar, 09:00-13:00 + 13:48-14:36.
    ([REGION_OFF], "2026-03-06 12:00", 9 * H, "2026-03-11 14:36"),
    # The body's override beats the region's, in either order.
    ([REGION_OFF, BODY_ON], "2026-03-06 12:00", 9 * H, "2026-03-10 14:36"),
    ([BODY_ON, REGION_OFF], "2026-03-06 12:00", 9 * H, "2026-03-10 14:36"),
    # A working override on the holiday Mon 9 Mar: 4 h 48 left at Mon 09:00 -> 14:36.
    ([OverrideDay(date(2026, 3, 9), WORKING, scope="body")], "2026-03-06 12:00", 9 * H, "2026-03-09 14:36"),
    # A working Saturday 10:00-14:00 with the lunch cut out (10:00-13:00 + 13:48-14:00 = 3 h 12):
    # Fri 13 Mar 16:00-17:00 1 h, Sat 10:00 + 1 h.
    ([SATURDAY], "2026-03-13 16:00", 2 * H, "2026-03-14 11:00"),
    # Fri 1 h + Sat 3 h 12 = 4 h 12; Mon 16 Mar 09:00 + 48 min.
    ([SATURDAY], "2026-03-13 16:00", 5 * H, "2026-03-16 09:48"),
    # A regional shortened Thu 12 Mar ends at 17:00: 16:00-17:00 1 h, Fri 13 Mar 09:00 + 1 h.
    ([OverrideDay(date(2026, 3, 12), SHORTENED)], "2026-03-12 16:00", 2 * H, "2026-03-13 10:00"),
    # A working override on a production shortened day restores the full day: Thu 30 Apr 2026 ends at 18:00.
    ([OverrideDay(date(2026, 4, 30), WORKING)], "2026-04-30 16:00", 2 * H, "2026-04-30 18:00"),
]


@pytest.mark.parametrize(("overrides", "start", "delta", "expected"), OVERRIDES)
def test_overrides(overrides: list[OverrideDay], start: str, delta: timedelta, expected: str) -> None:
    assert WorkingCalendar(PRODUCTION, overrides=overrides).add_working_time(msk(start), delta) == msk(expected)


def test_later_override_wins_within_one_scope() -> None:
    later = OverrideDay(date(2026, 3, 10), WORKING, reason="Отменено")
    calendar = WorkingCalendar(PRODUCTION, overrides=[REGION_OFF, later])
    assert calendar.add_working_time(msk("2026-03-06 12:00"), 9 * H) == msk("2026-03-10 14:36")


def test_body_override_shows_in_the_overview() -> None:
    calendar = WorkingCalendar(PRODUCTION, overrides=[REGION_OFF, BODY_ON, SATURDAY])
    by_day = {info.day: info for info in calendar.year_overview(2026)}
    assert by_day[date(2026, 3, 10)] == DayInfo(date(2026, 3, 10), WORKING, time(9), time(18), "Дежурство", "body")
    assert by_day[date(2026, 3, 14)] == DayInfo(date(2026, 3, 14), WORKING, time(10), time(14), "Субботник", "region")


def test_schedule_round_trips_through_json() -> None:
    schedule = Schedule.oblast_default()
    assert schedule.to_dict()["fri"] == {"start": "09:00", "end": "17:00", "lunch_start": "13:00", "lunch_end": "13:48"}
    assert Schedule.from_dict(schedule.to_dict()) == schedule


def test_custom_schedule() -> None:
    # 08:30-17:30 Mon-Thu, 08:30-16:15 Fri, no lunch: Fri 6 Mar 2026 12:00-16:15 = 4 h 15; Tue 10 Mar 08:30 + 4 h 45.
    data: dict[str, object] = {day: {"start": "8:30", "end": "17:30"} for day in ("mon", "tue", "wed", "thu")}
    data["fri"] = {"start": "08:30", "end": "16:15", "lunch_start": None, "lunch_end": None}
    calendar = WorkingCalendar(PRODUCTION, Schedule.from_dict(data))
    assert calendar.add_working_time(msk("2026-03-06 12:00"), 9 * H) == msk("2026-03-10 13:15")


# Bad input, each with the Russian message a person sees.
def test_naive_datetime_is_refused() -> None:
    with pytest.raises(CalendarError, match="без часового пояса"):
        OBLAST.add_working_time(datetime(2026, 3, 6, 12), H)
    with pytest.raises(ValueError, match="без часового пояса"):
        OBLAST.working_time_between(msk("2026-03-06 12:00"), datetime(2026, 3, 10))


@pytest.mark.parametrize(
    ("delta", "message"),
    [(-H, "от 0 до 10000 ч, а получено минус 1 ч"), (10_001 * H, "от 0 до 10000 ч, а получено 10001 ч")],
)
def test_bad_working_time(delta: timedelta, message: str) -> None:
    with pytest.raises(InvalidDuration, match=message):
        OBLAST.add_working_time(msk("2026-03-06 12:00"), delta)


@pytest.mark.parametrize("days", [-1, 367])
def test_bad_working_days(days: int) -> None:
    with pytest.raises(InvalidDuration, match=f"от 0 до 366, а получено {days}"):
        OBLAST.add_working_days(msk("2026-03-06 12:00"), days)


@pytest.mark.parametrize("moment", ["2023-12-29 10:00", "2030-01-10 10:00"])
def test_year_without_data(moment: str) -> None:
    year = int(moment[:4])
    with pytest.raises(CalendarDataMissing) as caught:
        OBLAST.add_working_time(msk(moment), H)
    assert caught.value.year == year
    assert str(caught.value) == (
        f"Нет данных производственного календаря на {year} год. Загрузите календарь на {year} год "
        f"(файл в формате xmlcalendar.ru) на странице «Рабочее время»."
    )


def test_running_past_the_last_year_with_data() -> None:
    with pytest.raises(CalendarDataMissing, match="на 2028 год") as caught:
        OBLAST.add_working_time(msk("2027-12-30 17:00"), 61 * M)
    assert caught.value.year == 2028
    with pytest.raises(CalendarDataMissing, match="на 2028 год"):
        OBLAST.add_working_days(msk("2027-12-30 17:00"), 1)
    with pytest.raises(CalendarDataMissing, match="на 2023 год"):
        OBLAST.year_overview(2023)


XML_2026 = (DATA_DIR / "2026.xml").read_text(encoding="utf-8")


def _without_lines(text: str, *needles: str) -> str:
    """Drop the lines that contain any of the needles."""
    return "\n".join(line for line in text.splitlines() if not any(needle in line for needle in needles))


BAD_XML = [
    ("<calendar year='2026'", "не корректный XML (строка 1"),
    ("<html><body/></html>", "корневой элемент <html>, а нужен <calendar>"),
    (XML_2026.replace('year="2026"', ""), "не указан год"),
    (XML_2026.replace('country="ru"', 'country="by"'), "для страны «by»"),
    (XML_2026.replace('d="04.30"', 'd="30.04"'), "Неверная дата d=«30.04» в календаре на 2026 год"),
    (XML_2026.replace('d="04.30"', 'd="02.30"'), "Неверная дата d=«02.30»"),
    (XML_2026.replace('d="04.30" t="2"', 'd="04.30" t="4"'), "Неверный тип дня t=«4» у дня 30.04.2026"),
    (XML_2026.replace('d="04.30"', 'd="05.01"'), "День 01.05.2026 указан в файле календаря дважды"),
    (XML_2026.replace('d="04.30" t="2"', 'd="04.30" t="3"'), "30.04.2026 отмечен как рабочий выходной"),
    (XML_2026.replace('h="7"', 'h="9"'), "неизвестный праздник h=«9»"),
    (XML_2026.replace('d="04.30" t="2"', 'd="04.30" t="2" f="01.03"'), "атрибуты h и f допустимы только"),
    (XML_2026.replace('f="05.09"', 'f="05.08"'), "Перенос выходного дня с 08.05.2026 на 11.05.2026 неверен"),
    (XML_2026.replace('f="05.09"', 'f="01.03"'), "Выходной день 03.01.2026 перенесён в файле календаря дважды"),
    (XML_2026.replace("<days>", "<days><week/>"), "Неизвестный элемент <week>"),
    (re.sub(r"<days>.*</days>", "", XML_2026, flags=re.DOTALL), "нет раздела <days>"),
    # Partial files: the January holidays removed; a holiday turned into a shortened day.
    (
        _without_lines(XML_2026, 'd="01.0'),
        (
            "Календарь на 2026 год неполный: не отмечены нерабочими праздничные дни 01.01, 02.01, 05.01, 06.01, "
            "07.01, 08.01 (ТК РФ, ст. 112)"
        ),
    ),
    (XML_2026.replace('d="06.12" t="1" h="7"', 'd="06.12" t="2"'), "праздничные дни 12.06 (ТК РФ, ст. 112)"),
]


@pytest.mark.parametrize(("xml", "message"), BAD_XML)
def test_bad_xml_is_refused(xml: str, message: str) -> None:
    with pytest.raises(CalendarError, match=re.escape(message)):
        parse_xmlcalendar(xml)


def test_xmlcalendar_file_without_extras_parses() -> None:
    # A plain xmlcalendar.ru file: no source attribute, no comment, the 2024 working Saturdays as t=3 without f=.
    xml = (DATA_DIR / "2024.xml").read_bytes()
    plain = re.sub(rb' source="[^"]*"| f="[^"]*"', b"", xml).replace(b'date="2023.08.10"', b'date="2023.09.02"')
    data = parse_xmlcalendar(plain)
    assert data.source == "xmlcalendar.ru, 2023.09.02"
    assert data.days.keys() == shipped_years()[2024].days.keys()
    # Without f= the working Saturdays fall back to Monday's hours; the shortened one still ends at 17:00.
    calendar = WorkingCalendar(ProductionCalendar({2024: data}))
    assert calendar.add_working_time(msk("2024-11-02 16:00"), H) == msk("2024-11-02 17:00")


BAD_SCHEDULES = [
    (
        {"mon": {"start": "18:00", "end": "09:00"}},
        "Понедельник: окончание работы (09:00) должно быть позже начала (18:00).",
    ),
    ({"tue": {"start": "09:00", "end": "09:30"}}, "Вторник: рабочий день должен быть длиннее часа"),
    ({"wed": {"start": "09:00", "end": "18:00", "lunch_start": "08:00", "lunch_end": "09:00"}}, "Среда: обед"),
    (
        {"thu": {"start": "09:00", "end": "18:00", "lunch_start": "13:00"}},
        "Четверг: укажите и начало, и окончание обеда",
    ),
    ({"fri": {"start": "25:00", "end": "18:00"}}, "Пятница: неверное время «25:00», нужен формат ЧЧ:ММ"),
    ({"fri": {"start": "9.00", "end": "18:00"}}, "Пятница: неверное время «9.00»"),
    ({"fri": None}, "Пятница: не задано рабочее время"),
    ({"fri": {"start": "09:00", "end": "17:00", "break": "1h"}}, "Пятница: неизвестные поля break"),
    ({"sat": {"start": "09:00", "end": "17:00"}}, "Неизвестные дни в расписании: sat"),
]


@pytest.mark.parametrize(("change", "message"), BAD_SCHEDULES)
def test_bad_schedule_dict(change: dict[str, object], message: str) -> None:
    data: dict[str, object] = {**Schedule.oblast_default().to_dict(), **change}
    with pytest.raises(CalendarError, match=re.escape(message)):
        Schedule.from_dict(data)


def test_bad_schedule_objects() -> None:
    with pytest.raises(CalendarError, match="Неверное рабочее время: окончание работы"):
        WorkHours(time(18), time(9))
    with pytest.raises(CalendarError, match="с понедельника по пятницу"):
        Schedule((WorkHours(time(9), time(18)),) * 4)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: OverrideDay(date(2026, 3, 10), "holiday"), "Неизвестный вид дня «holiday» для 10.03.2026"),
        (lambda: OverrideDay(date(2026, 3, 10), WORKING, scope="city"), "Неизвестная область действия «city»"),
        (lambda: OverrideDay(date(2026, 3, 10), WORKING, time(9)), "укажите и начало, и окончание работы"),
        (lambda: OverrideDay(date(2026, 3, 10), SHORTENED, time(9), time(12)), "только рабочему дню"),
        (lambda: OverrideDay(date(2026, 3, 10), WORKING, time(12), time(9)), "окончание работы должно быть позже"),
    ],
)
def test_bad_overrides(make: Callable[[], object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        make()


@pytest.mark.parametrize(("minutes", "words"), [(80, "1 ч 20 мин"), (45, "45 мин"), (0, "0 мин"), (180, "3 ч"),
                                                 (-80, "1 ч 20 мин"), (1_580, "26 ч 20 мин")])
def test_durations_in_words(minutes: int, words: str) -> None:
    """One wording of a duration for the inbox, the breach register and the calendar's errors."""
    assert duration_text(minutes) == words
