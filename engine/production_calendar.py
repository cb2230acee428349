"""The official Russian production calendar: xmlcalendar.ru files and a workalendar calendar over them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType

from workalendar.core import SAT, SUN, Calendar

NON_WORKING = "non_working"
WORKING = "working"
SHORTENED = "shortened"

# xmlcalendar day type t= -> our day kind.
_DAY_TYPES = {"1": NON_WORKING, "2": SHORTENED, "3": WORKING}
# Non-working holidays of the Labour Code, art. 112 part 1, as (month, day).
_ART_112_HOLIDAYS = (*((1, day) for day in range(1, 9)), (2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4))
_MONTH_DAY = re.compile(r"(\d{2})\.(\d{2})")
_DATA_DIR = Path(__file__).with_name("calendar_data") / "ru"


class CalendarError(ValueError):
    """A calendar problem; str(error) is a Russian message fit to show to a person."""


class CalendarDataMissing(CalendarError):
    """No production calendar is loaded for the year a moment falls in."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"Нет данных производственного календаря на {year} год. Загрузите календарь на {year} год "
            f"(файл в формате xmlcalendar.ru) на странице «Рабочее время»."
        )


def format_day(day: date) -> str:
    """Format a date the Russian way, 09.03.2026."""
    return day.strftime("%d.%m.%Y")


@dataclass(frozen=True)
class ProductionDay:
    """One day listed in the production calendar (anything but an ordinary working weekday or weekend)."""

    kind: str  # NON_WORKING (t=1), SHORTENED (t=2, any day of the week) or WORKING (t=3, a weekend day)
    holiday: str = ""  # the holiday's title (h=)
    moved_from: date | None = None  # the weekend day whose day off was moved to this day (f=)


@dataclass(frozen=True)
class YearData:
    """The parsed contents of one production calendar file."""

    year: int
    days: Mapping[date, ProductionDay]
    source: str


def parse_xmlcalendar(xml: bytes | str) -> YearData:
    """Parse and validate one year of the production calendar in the xmlcalendar.ru format."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as error:
        line, column = error.position
        raise CalendarError(
            f"Файл календаря повреждён: это не корректный XML (строка {line}, позиция {column})."
        ) from error
    if root.tag != "calendar":
        raise CalendarError(
            f"Это не файл производственного календаря: корневой элемент <{root.tag}>, а нужен <calendar>."
        )
    year_text = root.get("year", "")
    if not re.fullmatch(r"\d{4}", year_text):
        raise CalendarError(f"В файле календаря не указан год или он неверный (year=«{year_text}»).")
    year = int(year_text)
    if root.get("country", "ru") != "ru":
        raise CalendarError(
            f"Файл календаря составлен для страны «{root.get('country')}», а нужен календарь России (ru)."
        )
    titles = _holiday_titles(root.iterfind("holidays/holiday"))
    section = root.find("days")
    if section is None:
        raise CalendarError(f"В файле календаря на {year} год нет раздела <days>.")
    days: dict[date, ProductionDay] = {}
    for element in section:
        day, entry = _parse_day(element, year, titles)
        if day in days:
            raise CalendarError(f"День {format_day(day)} указан в файле календаря дважды.")
        days[day] = entry
    _check_transfers(days)
    _check_complete(year, days)
    source = root.get("source") or f"xmlcalendar.ru, файл от {root.get('date', 'неизвестной даты')}"
    return YearData(year=year, days=MappingProxyType(days), source=source)


def _holiday_titles(elements: Iterable[ET.Element]) -> dict[str, str]:
    """Read the <holidays> list as id -> title."""
    titles: dict[str, str] = {}
    for element in elements:
        holiday_id, title = element.get("id", ""), element.get("title", "").strip()
        if not holiday_id or not title or holiday_id in titles:
            raise CalendarError(f"Неверный праздник в разделе <holidays>: id=«{holiday_id}», title=«{title}».")
        titles[holiday_id] = title
    return titles


def _month_day(text: str, year: int, attribute: str) -> date:
    """Parse an xmlcalendar MM.DD value as a date of the given year."""
    match = _MONTH_DAY.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return date(year, int(match[1]), int(match[2]))
    except ValueError:
        raise CalendarError(
            f"Неверная дата {attribute}=«{text}» в календаре на {year} год: нужен формат ММ.ДД существующего дня."
        ) from None


def _parse_day(element: ET.Element, year: int, titles: Mapping[str, str]) -> tuple[date, ProductionDay]:
    """Parse and check one <day d= t= h= f=/> element."""
    if element.tag != "day":
        raise CalendarError(f"Неизвестный элемент <{element.tag}> в разделе <days> (ожидается <day>).")
    day = _month_day(element.get("d", ""), year, "d")
    kind = _DAY_TYPES.get(element.get("t", ""))
    if kind is None:
        raise CalendarError(
            f"Неверный тип дня t=«{element.get('t', '')}» у дня {format_day(day)}: допустимы 1 (выходной), "
            f"2 (сокращённый рабочий), 3 (рабочий выходной)."
        )
    if kind == WORKING and day.weekday() < SAT:
        raise CalendarError(
            f"День {format_day(day)} отмечен как рабочий выходной (t=3), но это не суббота и не воскресенье."
        )
    holiday_id, moved = element.get("h"), element.get("f")
    if (holiday_id is not None or moved is not None) and kind != NON_WORKING:
        raise CalendarError(f"У дня {format_day(day)} атрибуты h и f допустимы только для выходного дня (t=1).")
    if holiday_id is not None and holiday_id not in titles:
        raise CalendarError(f"У дня {format_day(day)} указан неизвестный праздник h=«{holiday_id}».")
    moved_from = None if moved is None else _month_day(moved, year, "f")
    if moved_from is not None and (moved_from.weekday() < SAT or day.weekday() >= SAT):
        raise CalendarError(
            f"Перенос выходного дня с {format_day(moved_from)} на {format_day(day)} неверен: "
            f"переносят субботу или воскресенье на будний день."
        )
    return day, ProductionDay(kind, titles.get(holiday_id or "", ""), moved_from)


def _check_transfers(days: Mapping[date, ProductionDay]) -> None:
    """Refuse a file that moves the same weekend day off twice."""
    seen: set[date] = set()
    for entry in days.values():
        if entry.moved_from in seen:
            raise CalendarError(f"Выходной день {format_day(entry.moved_from)} перенесён в файле календаря дважды.")
        if entry.moved_from is not None:
            seen.add(entry.moved_from)


def _check_complete(year: int, days: Mapping[date, ProductionDay]) -> None:
    """Refuse a partial file: every art. 112 holiday on a weekday must be listed as non-working."""
    missing = []
    for month, day_of_month in _ART_112_HOLIDAYS:
        day = date(year, month, day_of_month)
        entry = days.get(day)
        if (entry is None and day.weekday() < SAT) or (entry is not None and entry.kind != NON_WORKING):
            missing.append(day.strftime("%d.%m"))
    if missing:
        raise CalendarError(
            f"Календарь на {year} год неполный: не отмечены нерабочими праздничные дни {', '.join(missing)} "
            f"(ТК РФ, ст. 112). Загрузите полный файл."
        )


@cache
def _shipped() -> Mapping[int, tuple[str, YearData]]:
    """Read and parse the calendar files shipped with the application, once."""
    files: dict[int, tuple[str, YearData]] = {}
    for path in sorted(_DATA_DIR.glob("*.xml")):
        text = path.read_text(encoding="utf-8")
        data = parse_xmlcalendar(text)
        files[data.year] = (text, data)
    return MappingProxyType(files)


def shipped_years() -> dict[int, YearData]:
    """Return the production calendar years shipped in engine/calendar_data/ru."""
    return {year: data for year, (_, data) in _shipped().items()}


def shipped_year_files() -> dict[int, tuple[str, str]]:
    """Return the shipped calendar files as year -> (XML text, source), for loading into the database."""
    return {year: (text, data.source) for year, (text, data) in _shipped().items()}


class ProductionCalendar(Calendar):  # type: ignore[misc]
    """The official production calendar for the loaded years, on workalendar's calendar API."""

    WEEKEND_DAYS = (SAT, SUN)

    def __init__(self, years: Mapping[int, YearData]) -> None:
        super().__init__()
        self._years = MappingProxyType(dict(years))
        # A working weekend day stands in for the weekday its day off was moved to (xmlcalendar f=).
        self._stand_in = {
            entry.moved_from: day
            for data in self._years.values()
            for day, entry in data.days.items()
            if entry.moved_from is not None
        }

    @property
    def years(self) -> Mapping[int, YearData]:
        """The loaded years."""
        return self._years

    def year_data(self, year: int) -> YearData:
        """Return one year's data or raise CalendarDataMissing."""
        data = self._years.get(year)
        if data is None:
            raise CalendarDataMissing(year)
        return data

    def day(self, day: date) -> ProductionDay | None:
        """Return the listed entry for a day, None for an ordinary day."""
        return self.year_data(day.year).days.get(day)

    def stands_in_for(self, day: date) -> date | None:
        """Return the weekday whose working hours a working weekend day takes over, if the data says."""
        return self._stand_in.get(day)

    def title(self, day: date) -> str:
        """Describe a listed day in Russian, e.g. «Рабочий день вместо 30.04.2024, сокращён на 1 час»."""
        entry = self.year_data(day.year).days[day]
        if entry.kind == NON_WORKING:
            if entry.holiday:
                return entry.holiday
            if entry.moved_from is not None:
                return f"Выходной день, перенесённый с {format_day(entry.moved_from)}"
            return "Нерабочий день"
        if day.weekday() < SAT:
            return "Предпраздничный день, сокращён на 1 час"
        stand_in = self.stands_in_for(day)
        title = "Рабочий выходной день" if stand_in is None else f"Рабочий день вместо {format_day(stand_in)}"
        return f"{title}, сокращён на 1 час" if entry.kind == SHORTENED else title

    def get_calendar_holidays(self, year: int) -> list[tuple[date, str]]:
        """List the non-working days of a year for workalendar (holidays and transferred days off)."""
        days = self.year_data(year).days.items()
        return [(day, self.title(day)) for day, entry in days if entry.kind == NON_WORKING]

    def is_working_day(
        self,
        day: date,
        extra_working_days: Iterable[date] | None = None,
        extra_holidays: Iterable[date] | None = None,
    ) -> bool:
        """Return whether a day is a working day, counting working weekend days (t=2, t=3)."""
        entry = self.day(day)
        if entry is not None and entry.kind != NON_WORKING:
            extra_working_days = (*(extra_working_days or ()), day)
        return bool(super().is_working_day(day, extra_working_days, extra_holidays))
