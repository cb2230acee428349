"""Exports people open: the monthly summary as XLSX (XlsxWriter) and PDF (WeasyPrint, matplotlib SVG charts), and
the month's raw cases as CSV for Excel (UTF-8 with BOM, semicolons)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import MOSCOW, Clock
from models import Body, Case, CaseFact, Channel, Location, Theme, User
from services.reports.monthly import MonthlySummary, parse_month, report_scope
from services.reports.rating import Rating

# What each figure means: the «Методика» sheet of the XLSX and the block under the page.
DEFINITIONS = (
    ("Период", "Московский календарный месяц регистрации сообщения; шаги - месяц начала шага."),
    ("Поступило", "Сообщения, зарегистрированные в месяце."),
    ("Дан ответ", "Опубликован ответ или промежуточный ответ (просьба об уточнении ответом не считается)."),
    ("В срок (п. 8.3)", "Дан ответ, и срок ответа (9 р.ч., 4 р.ч. для высокой важности или сокращённый куратором) "
                        "не был нарушен."),
    ("Просрочено", "Срок ответа истёк без ответа; ещё открытые просроченные случаи тоже считаются."),
    ("Доля в срок", "В срок / (в срок + просрочено)."),
    ("Нарушения", "Все записанные нарушения сроков случая и шагов (реестр п. 12)."),
    ("Время до ответа", "Рабочие минуты от направления в орган до первого опубликованного ответа по календарю органа: "
                        "медиана, 90-й перцентиль, среднее."),
    ("Принято с первого раза", "Случаи с согласованным проектом без возвратов на доработку / случаи с согласованным "
                               "проектом."),
    ("Возвращено", "Случаи, проект ответа которых хотя бы раз возвращён на доработку (п. 8.6)."),
    ("С замечаниями (п. 9, 11)", "Первый опубликованный ответ не прошёл хотя бы одну проверку п. 9, 11."),
    ("Промежуточные", "Опубликован промежуточный ответ (п. 8.8)."),
    ("Повторные", "Случай связан куратором с более ранним как повторное сообщение (п. 8.10)."),
    ("Не подлежит обработке", "Случай закрыт по п. 10."),
    ("Шаги в срок", "Завершённые без нарушения шаги / (они + нарушенные); по пунктам 8.2, 8.4-8.9."),
)

_KPI = (("received", "Поступило"), ("answered", "Дан ответ"), ("on_time", "В срок (п. 8.3)"),
        ("overdue", "Просрочено"), ("breaches", "Нарушения сроков"), ("returned", "Возвращено на доработку"),
        ("first_pass", "Принято с первого раза"), ("defects", "Ответы с замечаниями (п. 9, 11)"),
        ("interim", "Промежуточные ответы"), ("repeat", "Повторные сообщения"),
        ("not_subject", "Не подлежит обработке"), ("socially_significant", "Социально значимые (п. 14)"))
_SHARES = (("on_time_share", "Доля в срок"), ("first_pass_share", "Доля принятых с первого раза"),
           ("defects_share", "Доля ответов с замечаниями"), ("repeat_share", "Доля повторных"))
_TIMES = (("median_reply_minutes", "Медиана времени до ответа, р. мин"),
          ("p90_reply_minutes", "90-й перцентиль, р. мин"), ("mean_reply_minutes", "Среднее, р. мин"))
BODY_COLUMNS = (("name", "Орган"), ("received", "Поступило"), ("answered", "Дан ответ"), ("on_time", "В срок"),
                ("overdue", "Просрочено"), ("on_time_share", "Доля в срок"), ("breaches", "Нарушения"),
                ("returned", "Возвращено"), ("first_pass_share", "С первого раза"), ("defects", "С замечаниями"),
                ("interim", "Промежуточные"), ("repeat", "Повторные"), ("median_reply_minutes", "Медиана, р. мин"),
                ("p90_reply_minutes", "P90, р. мин"), ("mean_reply_minutes", "Среднее, р. мин"))


def local(moment: datetime | None) -> datetime | None:
    """A moment as naive Moscow time, for spreadsheets."""
    return moment.astimezone(MOSCOW).replace(tzinfo=None) if moment else None


def summary_xlsx(summary: MonthlySummary) -> bytes:
    """The summary as an XLSX workbook: one sheet per table, native charts, the definitions."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    moment = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    sheet = book.add_worksheet("Сводка")
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 2, 16)
    sheet.write(0, 0, f"Ежемесячная сводка за {summary.month}: {summary.tenant}", bold)
    sheet.write(1, 0, "Данные на (МСК)")
    sheet.write_datetime(1, 1, local(summary.cut_off), moment)
    sheet.write(2, 0, "Версия методики")
    sheet.write(2, 1, summary.formula_version)
    sheet.write(3, 0, "Версия календаря")
    sheet.write_number(3, 1, summary.calendar_revision)
    sheet.write_row(5, 0, ["Показатель", "Месяц", "Прошлый месяц"], bold)
    row = 6
    for key, label in _KPI + _SHARES + _TIMES:
        sheet.write(row, 0, label)
        for column, figures in ((1, summary.totals), (2, summary.previous)):
            value = figures.get(key)
            if value is not None:
                sheet.write_number(row, column, value, percent if key.endswith("_share") else None)
        row += 1
    bodies = book.add_worksheet("Органы")
    bodies.set_column(0, 0, 30)
    bodies.write_row(0, 0, [label for _, label in BODY_COLUMNS], bold)
    for i, body in enumerate(summary.bodies, start=1):
        for j, (key, _) in enumerate(BODY_COLUMNS):
            _cell(bodies, i, j, body.get(key), percent if key.endswith("_share") else None)
    if summary.bodies:
        chart = book.add_chart({"type": "bar"})
        count = len(summary.bodies)
        chart.add_series({"name": "Доля в срок", "categories": ["Органы", 1, 0, count, 0],
                          "values": ["Органы", 1, 5, count, 5]})
        chart.set_title({"name": "Доля ответов в срок по органам"})
        chart.set_x_axis({"num_format": "0%", "min": 0, "max": 1})
        chart.set_legend({"none": True})
        bodies.insert_chart(count + 2, 0, chart, {"x_scale": 1.5, "y_scale": 1.2})
    steps = book.add_worksheet("Шаги")
    steps.set_column(0, 0, 12)
    steps.write_row(0, 0, ["Пункт", "Шагов", "В срок", "Нарушено", "Открыто", "Доля в срок"], bold)
    for i, step in enumerate(summary.steps, start=1):
        steps.write(i, 0, step["clause"])
        for j, key in enumerate(("steps", "on_time", "breached", "open"), start=1):
            steps.write_number(i, j, step[key])
        _cell(steps, i, 5, step["on_time_share"], percent)
    for name, title in (("theme", "Темы"), ("location", "Районы"), ("channel", "Каналы")):
        sheet = book.add_worksheet(title)
        sheet.set_column(0, 0, 40)
        sheet.write_row(0, 0, ["Название", "Месяц", "Прошлый месяц", "Изменение"], bold)
        for i, item in enumerate(summary.dynamics[name], start=1):
            sheet.write(i, 0, item["name"])
            sheet.write_number(i, 1, item["count"])
            sheet.write_number(i, 2, item["previous"])
            sheet.write_formula(i, 3, f"=B{i + 1}-C{i + 1}", None, item["delta"])
        if name == "channel" and summary.dynamics[name]:
            count = len(summary.dynamics[name])
            chart = book.add_chart({"type": "column"})
            for column, label in ((1, "Месяц"), (2, "Прошлый месяц")):
                chart.add_series({"name": label, "categories": [title, 1, 0, count, 0],
                                  "values": [title, 1, column, count, column]})
            chart.set_title({"name": "Сообщения по каналам"})
            sheet.insert_chart(1, 5, chart)
    matrix = book.add_worksheet("Тема × район")
    matrix.set_column(0, 0, 36)
    matrix.write_row(0, 0, ["Тема", *[p["name"] for p in summary.matrix["locations"]], "Всего"], bold)
    for i, theme in enumerate(summary.matrix["rows"], start=1):
        matrix.write(i, 0, theme["name"])
        for j, n in enumerate(theme["cells"], start=1):
            matrix.write_number(i, j, n)
        matrix.write_number(i, len(theme["cells"]) + 1, theme["total"])
    method = book.add_worksheet("Методика")
    method.set_column(0, 0, 28)
    method.set_column(1, 1, 110)
    for i, (term, meaning) in enumerate(DEFINITIONS):
        method.write(i, 0, term, bold)
        method.write(i, 1, meaning)
    book.close()
    return out.getvalue()


def _cell(sheet: Any, row: int, column: int, value: Any, style: Any = None) -> None:
    if value is None:
        sheet.write_blank(row, column, None)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, column, value, style)
    else:
        sheet.write_string(row, column, str(value))


CSV_COLUMNS = ("Случай", "Зарегистрирован (МСК)", "Канал", "Тема", "Район", "Орган", "Важность",
               "Направлен в орган (МСК)", "Срок ответа (МСК)", "Первый ответ (МСК)", "До ответа, р. мин",
               "Ответ в срок", "Просрочен", "Нарушений", "Промежуточный", "Повторное", "Не подлежит", "Возвратов",
               "Согласований", "Замечания п. 9, 11", "Итог", "Ссылка")


def cases_csv(*, session: Session, user: User, clock: Clock, month: str | None, body: str | None = None) -> bytes:
    """The month's raw cases, one line each: UTF-8 with BOM and semicolons, as Russian Excel opens it."""
    when = parse_month(month, clock=clock)
    body_id = report_scope(session=session, user=user, body=body)
    # Plain rows of just the written columns, not entities: tens of thousands of cases are written out. The link is
    # read case by case through case_file's key: as a join, PostgreSQL scanned all of case_file (every month, with the
    # texts) to hash it against one month's facts. Cases registered at one moment come by case number.
    url = select(Case.url).where(Case.id == CaseFact.case_id).scalar_subquery()
    query = select(CaseFact.case_id, CaseFact.registered_at, Channel.name, Theme.name, Location.name, Body.short_name,
                   CaseFact.importance, CaseFact.sent_at, CaseFact.due_at, CaseFact.first_reply_at,
                   CaseFact.reply_wh_min, CaseFact.overdue, CaseFact.breaches, CaseFact.interim, CaseFact.repeat,
                   CaseFact.not_subject, CaseFact.returned, CaseFact.approved, CaseFact.defects, CaseFact.outcome,
                   url) \
        .outerjoin(Channel, Channel.id == CaseFact.channel_id).outerjoin(Theme, Theme.id == CaseFact.theme_id) \
        .outerjoin(Location, Location.id == CaseFact.location_id).outerjoin(Body, Body.id == CaseFact.body_id) \
        .where(CaseFact.tenant_id == user.tenant_id, CaseFact.local_month == when) \
        .order_by(CaseFact.registered_at, CaseFact.case_id)
    if body_id is not None:
        query = query.where(CaseFact.body_id == body_id)
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    importance = {"high": "высокая", "normal": "обычная"}

    def when_(moment: datetime | None) -> str:
        if moment is None:
            return ""
        moment = moment.astimezone(MOSCOW)  # by hand: strftime takes half as long again
        return f"{moment.day:02}.{moment.month:02}.{moment.year} {moment.hour:02}:{moment.minute:02}"

    def yes(flag: bool | None) -> str:
        return "" if flag is None else ("да" if flag else "нет")

    writer.writerows(
        (case_id, when_(registered), channel or "", theme or "", place or "", owner or "",
         importance.get(level or "", ""), when_(sent), when_(due), when_(replied), "" if minutes is None else minutes,
         yes(replied is not None and not overdue) if replied is not None or overdue else "", yes(overdue), breaches,
         yes(interim), yes(repeat), yes(not_subject), returned, approved, yes(defects), outcome or "", link)
        for (case_id, registered, channel, theme, place, owner, level, sent, due, replied, minutes, overdue, breaches,
             interim, repeat, not_subject, returned, approved, defects, outcome, link) in session.execute(query))
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def chart_svgs(summary: MonthlySummary) -> dict[str, str]:
    """The page's charts as SVG for the PDF: on-time share by body, channels and top themes against last month."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9})
    out = {}
    if summary.bodies:
        names = [b["name"] for b in summary.bodies][::-1]
        values = [100 * (b["on_time_share"] or 0) for b in summary.bodies][::-1]
        figure, axes = plt.subplots(figsize=(7, 0.35 * len(names) + 1))
        axes.barh(names, values, color="#2f6db5")
        axes.set_xlim(0, 100)
        axes.set_xlabel("Доля ответов в срок, %")
        out["bodies"] = _svg(figure)
    for name, title in (("channel", "Сообщения по каналам"), ("theme", "Темы: месяц и прошлый месяц")):
        items = summary.dynamics[name][:10]
        if not items:
            continue
        figure, axes = plt.subplots(figsize=(7, 2.8))
        positions = range(len(items))
        axes.bar([p - 0.2 for p in positions], [i["count"] for i in items], 0.4, label="Месяц", color="#2f6db5")
        axes.bar([p + 0.2 for p in positions], [i["previous"] for i in items], 0.4, label="Прошлый месяц",
                 color="#b0c4de")
        axes.set_xticks(list(positions), [i["name"][:18] for i in items], rotation=30, ha="right")
        axes.set_title(title)
        axes.legend()
        out[name] = _svg(figure)
    return out


def _svg(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def pdf_of(html: str) -> bytes:
    """A PDF of an HTML page (A4 is set by the page's own CSS)."""
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())


def rating_xlsx(rating: Rating) -> bytes:
    """The quarterly rating as XLSX: the bodies with live formulas for each smoothed share and the score, and the
    method (weights, tenant averages, m) they refer to."""
    import xlsxwriter
    from xlsxwriter.utility import xl_rowcol_to_cell

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    method = book.add_worksheet("Методика")
    method.set_column(0, 0, 48)
    method.write(0, 0, f"Рейтинг органов за {rating.quarter}: {rating.tenant}", bold)
    method.write(1, 0, rating.formula["text"])
    method.write(2, 0, "m (псевдослучаев)")
    method.write_number(2, 1, rating.formula["m"])
    method.write_row(4, 0, ["Компонент", "Вес", "Вес применённый", "Среднее по организации"], bold)
    components = rating.formula["components"]
    for i, c in enumerate(components, start=5):
        method.write_row(i, 0, [c["title"], c["weight"], c["weight_applied"]])
        if c["average"] is not None:
            method.write_number(i, 3, c["average"], percent)
    method.write(len(components) + 6, 0, rating.formula["left_out"][0]["reason"])
    sheet = book.add_worksheet("Рейтинг")
    sheet.set_column(0, 0, 30)
    header = ["Орган", "Место", "Уровень", "Балл", "Случаев"]
    for c in components:
        header += [f"{c['title']}: x", "n", "p̃"]
    sheet.write_row(0, 0, header, bold)
    m = "Методика!$B$3"
    for r, body in enumerate(rating.bodies, start=1):
        sheet.write_row(r, 0, [body["name"], body["rank"] if body["rank"] is not None else "не ранжируется",
                               body["tier"] or "—"])
        sheet.write_number(r, 4, body["cases"])
        terms = []
        for k, c in enumerate(components):
            part = body["components"][c["key"]]
            column = 5 + 3 * k
            sheet.write_number(r, column, part["x"])
            sheet.write_number(r, column + 1, part["n"])
            if c["average"] is None:
                continue
            x, n = xl_rowcol_to_cell(r, column), xl_rowcol_to_cell(r, column + 1)
            average, weight = f"Методика!$D${6 + k}", f"Методика!$C${6 + k}"
            cell = xl_rowcol_to_cell(r, column + 2)
            sheet.write_formula(r, column + 2, f"=({x}+{m}*{average})/({n}+{m})", percent, part["smoothed"])
            terms.append(f"{weight}*{cell}")
        sheet.write_formula(r, 3, f"=ROUND(100*({'+'.join(terms) or 0}),1)", None, body["score"])
    sheet.freeze_panes(1, 1)
    book.close()
    return out.getvalue()
