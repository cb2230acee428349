"""The register as an XLSX workbook for the vice-governor's letters: a summary and one sheet per deputy."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

import xlsxwriter

from engine.clock import MOSCOW
from services.register import REASONS, VERDICTS, DeputyGroup, Register, late_text

TITLE = "Информация о нарушениях сроков (п. 12 распоряжения № 148-рг)"
COLUMNS = (("№", 5), ("Орган", 28), ("Сотрудник", 28), ("№ случая", 9), ("Шаг", 30), ("Пункт", 7),
           ("Срок", 16), ("Выполнено", 16), ("Опоздание, раб. мин", 11), ("Опоздание", 13), ("Причина", 22),
           ("Объяснение органа", 40), ("Оценка куратора", 15), ("Комментарий куратора", 30),
           ("Меры заместителя", 40))
HEADER_ROW = 4
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\']")


def filename(result: Register, deputy: str | None = None) -> str:
    """The download's file name."""
    part = "_deputy" if deputy else ""
    return f"breaches{part}_{result.period.start.isoformat()}_{result.period.end.isoformat()}.xlsx"


def workbook(result: Register, *, deputy: str | None = None) -> bytes:
    """The workbook: with `deputy`, that deputy's sheet alone; otherwise a summary and a sheet per deputy."""
    groups = [g for g in result.deputies if deputy is None or g.deputy == deputy]
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
        _summary(book, formats, result, groups)
    for number, group in enumerate(groups, start=1):
        _deputy_sheet(book, formats, result, group, _sheet_name(number, group.deputy))
    if not groups:
        book.add_worksheet("Нарушений нет").write(0, 0, "За период нарушений сроков нет", formats["title"])
    book.close()
    return out.getvalue()


def _sheet_name(number: int, deputy: str) -> str:
    """A unique sheet name of at most 31 characters: the number and the end of the deputy's name (the surname)."""
    prefix = f"{number}. "
    clean = _NOT_IN_SHEET_NAME.sub("", deputy)
    return prefix + clean[-(31 - len(prefix)):].strip()


def _heading(sheet: Any, formats: dict[str, Any], result: Register, line: str) -> None:
    sheet.write(0, 0, TITLE, formats["title"])
    sheet.write(1, 0, line)
    sheet.write(2, 0, f"Период: {result.period.start:%d.%m.%Y} — {result.period.end:%d.%m.%Y}; по состоянию на "
                      f"{result.as_of.astimezone(MOSCOW):%d.%m.%Y %H:%M} (МСК)")


def _summary(book: Any, formats: dict[str, Any], result: Register, groups: list[DeputyGroup]) -> None:
    sheet = book.add_worksheet("Сводка")
    _heading(sheet, formats, result, "Сводка по курирующим заместителям")
    for col, (title, width) in enumerate((("Курирующий заместитель", 60), ("Органов", 10), ("Нарушений", 12),
                                          ("Из них неуважительных", 14), ("Опоздание, раб. мин", 14))):
        sheet.write(HEADER_ROW, col, title, formats["head"])
        sheet.set_column(col, col, width)
    row = HEADER_ROW
    for row, group in enumerate(groups, start=HEADER_ROW + 1):
        sheet.write_string(row, 0, group.deputy, formats["text"])
        for col, value in enumerate((len(group.bodies), len(group.entries), group.unjustified, group.late_minutes),
                                    start=1):
            sheet.write_number(row, col, value, formats["number"])
    if groups:
        _totals(sheet, formats, row + 1, HEADER_ROW + 1, row, (2, 3, 4),
                {2: len(result.entries), 3: sum(g.unjustified for g in groups),
                 4: sum(g.late_minutes for g in groups)})


def _deputy_sheet(book: Any, formats: dict[str, Any], result: Register, group: DeputyGroup, name: str) -> None:
    sheet = book.add_worksheet(name)
    _heading(sheet, formats, result, f"Курирующий заместитель: {group.deputy}")
    for col, (title, width) in enumerate(COLUMNS):
        sheet.write(HEADER_ROW, col, title, formats["head"])
        sheet.set_column(col, col, width)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    row = HEADER_ROW
    for row, entry in enumerate(group.entries, start=HEADER_ROW + 1):
        breach = entry.breach
        sheet.write_number(row, 0, row - HEADER_ROW, formats["number"])
        sheet.write_string(row, 1, entry.body_name, formats["text"])
        sheet.write_string(row, 2, entry.person, formats["text"])
        sheet.write_number(row, 3, breach.case_id, formats["number"])
        sheet.write_string(row, 4, entry.step_title, formats["text"])
        sheet.write_string(row, 5, breach.clause, formats["text"])
        _moment(sheet, row, 6, breach.due_at, formats)
        _moment(sheet, row, 7, breach.done_at, formats)
        sheet.write_number(row, 8, entry.late_minutes, formats["number"])
        sheet.write_string(row, 9, late_text(entry.late_minutes), formats["text"])
        for col, text in enumerate((REASONS.get(breach.reason or "", ""), breach.explanation or "",
                                    VERDICTS.get(breach.verdict or "", ""), breach.verdict_comment or "",
                                    breach.measures or ""), start=10):
            sheet.write_string(row, col, text, formats["text"])
    if group.entries:
        _totals(sheet, formats, row + 1, HEADER_ROW + 1, row, (8,), {8: group.late_minutes})


def _moment(sheet: Any, row: int, col: int, moment: datetime | None, formats: dict[str, Any]) -> None:
    """A date and time as an Excel date, in Moscow time."""
    if moment is None:
        sheet.write_blank(row, col, None, formats["moment"])
    else:
        sheet.write_datetime(row, col, moment.astimezone(MOSCOW).replace(tzinfo=None), formats["moment"])


def _totals(sheet: Any, formats: dict[str, Any], row: int, first: int, last: int, columns: tuple[int, ...],
            values: dict[int, int]) -> None:
    """A totals row of SUM formulas, with their values cached for readers that do not calculate."""
    sheet.write_string(row, 0, "Итого", formats["total"])
    for col in columns:
        letter = xlsxwriter.utility.xl_col_to_name(col)
        sheet.write_formula(row, col, f"=SUM({letter}{first + 1}:{letter}{last + 1})", formats["total"], values[col])
