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

from .texts import N_

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
    """A calendar problem; its message (engine.texts.text_of) is a Text fit to show to a person."""


class CalendarDataMissing(CalendarError):
    """No production calendar is loaded for the year a moment falls in."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(N_("Нет данных производственного календаря на %(year)s год. Загрузите календарь на "
                            "%(year)s год (файл в формате xmlcalendar.ru) на странице «Рабочее время».", year=year))


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
        raise CalendarError(N_("Файл календаря повреждён: это не корректный XML (строка %(line)s, позиция "
                               "%(column)s).", line=line, column=column)) from error
    if root.tag != "calendar":
        raise CalendarError(N_("Это не файл производственного календаря: корневой элемент <%(tag)s>, а нужен "
                               "<calendar>.", tag=root.tag))
    year_text = root.get("year", "")
    if not re.fullmatch(r"\d{4}", year_text):
        raise CalendarError(N_("В файле календаря не указан год или он неверный (year=«%(year)s»).", year=year_text))
    year = int(year_text)
    if root.get("country", "ru") != "ru":
        raise CalendarError(N_("Файл календаря составлен для страны «%(country)s», а нужен календарь России (ru).",
                               country=root.get("country")))
    titles = _holiday_titles(root.iterfind("holidays/holiday"))
    section = root.find("days")
    if section is None:
        raise CalendarError(N_("В файле календаря на %(year)s год нет раздела <days>.", year=year))
    days: dict[date, ProductionDay] = {}
    for element in section:
        day, entry = _parse_day(element, year, titles)
        if day in days:
            raise CalendarError(N_("День %(day)s указан в файле календаря дважды.", day=format_day(day)))
        days[day] = entry
    _check_transfers(days)
    _check_complete(year, days)
    # A file without its own source is named by its site and date: the words of no language, as it is stored.
    source = root.get("source") or ", ".join(("xmlcalendar.ru", *filter(None, [root.get("date")])))
    return YearData(year=year, days=MappingProxyType(days), source=source)


def _holiday_titles(elements: Iterable[ET.Element]) -> dict[str, str]:
    """Read the <holidays> list as id -> title."""
    titles: dict[str, str] = {}
    for element in elements:
        holiday_id, title = element.get("id", ""), element.get("title", "").strip()
        if not holiday_id or not title or holiday_id in titles:
            raise CalendarError(N_("Неверный праздник в разделе <holidays>: id=«%(id)s», title=«%(title)s».",
                                   id=holiday_id, title=title))
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
        raise CalendarError(N_("Неверная дата %(attribute)s=«%(text)s» в календаре на %(year)s год: нужен формат "
                               "ММ.ДД существующего дня.", attribute=attribute, text=text, year=year)) from None


def _parse_day(element: ET.Element, year: int, titles: Mapping[str, str]) -> tuple[date, ProductionDay]:
    """Parse and check one <day d= t= h= f=/> element."""
    if element.tag != "day":
        raise CalendarError(N_("Неизвестный элемент <%(tag)s> в разделе <days> (ожидается <day>).",
                               tag=element.tag))
    day = _month_day(element.get("d", ""), year, "d")
    kind = _DAY_TYPES.get(element.get("t", ""))
    if kind is None:
        raise CalendarError(N_("Неверный тип дня t=«%(type)s» у дня %(day)s: допустимы 1 (выходной), "
                               "2 (сокращённый рабочий), 3 (рабочий выходной).", type=element.get("t", ""),
                               day=format_day(day)))
    if kind == WORKING and day.weekday() < SAT:
        raise CalendarError(N_("День %(day)s отмечен как рабочий выходной (t=3), но это не суббота и не "
                               "воскресенье.", day=format_day(day)))
    holiday_id, moved = element.get("h"), element.get("f")
    if (holiday_id is not None or moved is not None) and kind != NON_WORKING:
        raise CalendarError(N_("У дня %(day)s атрибуты h и f допустимы только для выходного дня (t=1).",
                               day=format_day(day)))
    if holiday_id is not None and holiday_id not in titles:
        raise CalendarError(N_("У дня %(day)s указан неизвестный праздник h=«%(holiday)s».", day=format_day(day),
                               holiday=holiday_id))
    moved_from = None if moved is None else _month_day(moved, year, "f")
    if moved_from is not None and (moved_from.weekday() < SAT or day.weekday() >= SAT):
        raise CalendarError(N_("Перенос выходного дня с %(moved_from)s на %(day)s неверен: переносят субботу или "
                               "воскресенье на будний день.", moved_from=format_day(moved_from),
                               day=format_day(day)))
    return day, ProductionDay(kind, titles.get(holiday_id or "", ""), moved_from)


def _check_transfers(days: Mapping[date, ProductionDay]) -> None:
    """Refuse a file that moves the same weekend day off twice."""
    seen: set[date] = set()
    for entry in days.values():
        if entry.moved_from in seen:
            raise CalendarError(N_("Выходной день %(day)s перенесён в файле календаря дважды.",
                                   day=format_day(entry.moved_from)))
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
        raise CalendarError(N_("Календарь на %(year)s год неполный: не отмечены нерабочими праздничные дни "
                               "%(days)s (ТК РФ, ст. 112). Загрузите полный файл.", year=year,
                               days=", ".join(missing)))


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
        """Describe a listed day, e.g. «Рабочий день вместо 30.04.2024, сокращён на 1 час»; a holiday by the file's
        own title."""
        entry = self.year_data(day.year).days[day]
        if entry.kind == NON_WORKING:
            if entry.holiday:
                return entry.holiday
            if entry.moved_from is not None:
                return N_("Выходной день, перенесённый с %(day)s", day=format_day(entry.moved_from))
            return N_("Нерабочий день")
        if day.weekday() < SAT:
            return N_("Предпраздничный день, сокращён на 1 час")
        stand_in = self.stands_in_for(day)
        if entry.kind == SHORTENED:
            return (N_("Рабочий выходной день, сокращён на 1 час") if stand_in is None else
                    N_("Рабочий день вместо %(day)s, сокращён на 1 час", day=format_day(stand_in)))
        return N_("Рабочий выходной день") if stand_in is None else N_("Рабочий день вместо %(day)s",
                                                                        day=format_day(stand_in))

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
