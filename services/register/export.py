"""The register as an XLSX workbook for the vice-governor's letters: a summary and one sheet per deputy."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import xlsxwriter

from engine.calendar import duration_text
from engine.clock import MOSCOW
from engine.texts import N_, from_library
from services.register import REASONS, VERDICTS, DeputyGroup, Register

# A Text in the reader's language (web.labels.translated where a request asks); str reads it as the Russian.
Say = Callable[[str], str]

TITLE = N_("Информация о нарушениях сроков (п. 12 распоряжения № 148-рг)")
COLUMNS = (("№", 5), (N_("Орган"), 28), (N_("Сотрудник"), 28), (N_("№ случая"), 9), (N_("Шаг"), 30),
           (N_("Пункт"), 7), (N_("Срок"), 16), (N_("Выполнено"), 16), (N_("Опоздание, раб. мин"), 11),
           (N_("Опоздание"), 13), (N_("Причина"), 22), (N_("Объяснение органа"), 40), (N_("Оценка куратора"), 15),
           (N_("Комментарий куратора"), 30), (N_("Меры заместителя"), 40))
SUMMARY_COLUMNS = ((N_("Курирующий заместитель"), 60), (N_("Органов"), 10), (N_("Нарушений"), 12),
                   (N_("Из них неуважительных"), 14), (N_("Опоздание, раб. мин"), 14))
HEADER_ROW = 4
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\']")


def filename(result: Register, deputy: str | None = None) -> str:
    """The download's file name."""
    part = "_deputy" if deputy else ""
    return f"breaches{part}_{result.period.start.isoformat()}_{result.period.end.isoformat()}.xlsx"


def workbook(result: Register, *, deputy: str | None = None, say: Say = str) -> bytes:
    """The workbook: with `deputy` (as written, or as `say` gives a system's «not given»), that deputy's sheet alone;
    otherwise a summary and a sheet per deputy. Its headings and notes as `say` gives them, what people wrote as
    they wrote it."""
    groups = [g for g in result.deputies if deputy is None or deputy in (g.deputy, say(g.deputy))]
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "remove_timezone": True})
    formats = {"title": book.add_format({"bold": True, "font_size": 13}),
               "head": book.add_format({"bold": True, "text_wrap": True, "valign": "top", "border": 1,
                                        "bg_color": "#E8EEF4"}),
               "text": book.add_format({"text_wrap": True, "valign": "top", "border": 1}),
               "number": book.add_format({"valign": "top", "border": 1}),
               "moment": book.add_format({"num_format": "dd.mm.yyyy hh:mm", "valign": "top", "border": 1}),
               "total": book.add_format({"bold": True, "border": 1})}
    if deputy is None:
        _summary(book, formats, result, groups, say)
    for number, group in enumerate(groups, start=1):
        _deputy_sheet(book, formats, result, group, _sheet_name(number, say(group.deputy)), say)
    if not groups:
        book.add_worksheet(say(N_("Нарушений нет"))).write(0, 0, say(N_("За период нарушений сроков нет")),
                                                          formats["title"])
    book.close()
    return out.getvalue()


def _sheet_name(number: int, deputy: str) -> str:
    """A unique sheet name of at most 31 characters: the number and the end of the deputy's name (the surname)."""
    prefix = f"{number}. "
    clean = _NOT_IN_SHEET_NAME.sub("", deputy)
    return prefix + clean[-(31 - len(prefix)):].strip()


def _heading(sheet: Any, formats: dict[str, Any], result: Register, line: str, say: Say) -> None:
    sheet.write(0, 0, say(TITLE), formats["title"])
    sheet.write(1, 0, say(line))
    sheet.write(2, 0, say(N_("Период: %(start)s — %(end)s; по состоянию на %(moment)s (МСК)",
                             start=f"{result.period.start:%d.%m.%Y}", end=f"{result.period.end:%d.%m.%Y}",
                             moment=f"{result.as_of.astimezone(MOSCOW):%d.%m.%Y %H:%M}")))


def _summary(book: Any, formats: dict[str, Any], result: Register, groups: list[DeputyGroup], say: Say) -> None:
    sheet = book.add_worksheet(say(N_("Сводка")))
    _heading(sheet, formats, result, N_("Сводка по курирующим заместителям"), say)
    for col, (title, width) in enumerate(SUMMARY_COLUMNS):
        sheet.write(HEADER_ROW, col, say(title), formats["head"])
        sheet.set_column(col, col, width)
    row = HEADER_ROW
    for row, group in enumerate(groups, start=HEADER_ROW + 1):
        sheet.write_string(row, 0, say(group.deputy), formats["text"])
        for col, value in enumerate((len(group.bodies), len(group.entries), group.unjustified, group.late_minutes),
                                    start=1):
            sheet.write_number(row, col, value, formats["number"])
    if groups:
        _totals(sheet, formats, row + 1, HEADER_ROW + 1, row, (2, 3, 4),
                {2: len(result.entries), 3: sum(g.unjustified for g in groups),
                 4: sum(g.late_minutes for g in groups)}, say)


def _deputy_sheet(book: Any, formats: dict[str, Any], result: Register, group: DeputyGroup, name: str,
                  say: Say) -> None:
    sheet = book.add_worksheet(name)
    _heading(sheet, formats, result, N_("Курирующий заместитель: %(deputy)s", deputy=group.deputy), say)
    for col, (title, width) in enumerate(COLUMNS):
        sheet.write(HEADER_ROW, col, say(title), formats["head"])
        sheet.set_column(col, col, width)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    row = HEADER_ROW
    for row, entry in enumerate(group.entries, start=HEADER_ROW + 1):
        breach = entry.breach
        sheet.write_number(row, 0, row - HEADER_ROW, formats["number"])
        sheet.write_string(row, 1, entry.body_name, formats["text"])
        sheet.write_string(row, 2, say(entry.person), formats["text"])
        sheet.write_number(row, 3, breach.case_id, formats["number"])
        sheet.write_string(row, 4, say(from_library(entry.step_title)), formats["text"])
        sheet.write_string(row, 5, breach.clause, formats["text"])
        _moment(sheet, row, 6, breach.due_at, formats)
        _moment(sheet, row, 7, breach.done_at, formats)
        sheet.write_number(row, 8, entry.late_minutes, formats["number"])
        sheet.write_string(row, 9, say(duration_text(entry.late_minutes)), formats["text"])
        for col, text in enumerate((say(REASONS.get(breach.reason or "", "")), breach.explanation or "",
                                    say(VERDICTS.get(breach.verdict or "", "")), breach.verdict_comment or "",
                                    breach.measures or ""), start=10):
            sheet.write_string(row, col, text, formats["text"])
    if group.entries:
        _totals(sheet, formats, row + 1, HEADER_ROW + 1, row, (8,), {8: group.late_minutes}, say)


def _moment(sheet: Any, row: int, col: int, moment: datetime | None, formats: dict[str, Any]) -> None:
    """A date and time as an Excel date, in Moscow time."""
    if moment is None:
        sheet.write_blank(row, col, None, formats["moment"])
    else:
        sheet.write_datetime(row, col, moment.astimezone(MOSCOW).replace(tzinfo=None), formats["moment"])


def _totals(sheet: Any, formats: dict[str, Any], row: int, first: int, last: int, columns: tuple[int, ...],
            values: dict[int, int], say: Say) -> None:
    """A totals row of SUM formulas, with their values cached for readers that do not calculate."""
    sheet.write_string(row, 0, say(N_("Итого")), formats["total"])
    for col in columns:
        letter = xlsxwriter.utility.xl_col_to_name(col)
        sheet.write_formula(row, col, f"=SUM({letter}{first + 1}:{letter}{last + 1})", formats["total"], values[col])
