"""Exports people open: the monthly summary as XLSX (XlsxWriter) and PDF (WeasyPrint, matplotlib SVG charts), and
the month's raw cases as CSV for Excel (UTF-8 with BOM, semicolons)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import MOSCOW, Clock
from engine.texts import N_
from models import Body, Case, CaseFact, Channel, Location, Theme, User
from services.reports.monthly import FIGURES, MonthlySummary, parse_month, report_scope
from services.reports.rating import TIER_NAMES, Rating

# A Text in the reader's language (web.labels.translated where a request asks); str reads it as the Russian.
Say = Callable[[str], str]

# What each figure means: the «Методика» sheet of the XLSX and the block under the page.
DEFINITIONS = (
    (N_("Период"), N_("Московский календарный месяц регистрации сообщения; шаги - месяц начала шага.")),
    (N_("Поступило"), N_("Сообщения, зарегистрированные в месяце.")),
    (N_("Дан ответ"), N_("Опубликован ответ или промежуточный ответ (просьба об уточнении ответом не считается).")),
    (N_("В срок (п. 8.3)"), N_("Дан ответ, и срок ответа (9 р.ч., 4 р.ч. для высокой важности или сокращённый "
                               "куратором) не был нарушен.")),
    (N_("Просрочено"), N_("Срок ответа истёк без ответа; ещё открытые просроченные случаи тоже считаются.")),
    (N_("Доля в срок"), N_("В срок / (в срок + просрочено).")),
    (N_("Нарушения"), N_("Все записанные нарушения сроков случая и шагов (реестр п. 12).")),
    (N_("Время до ответа"), N_("Рабочие минуты от направления в орган до первого опубликованного ответа по календарю "
                               "органа: медиана, 90-й перцентиль, среднее.")),
    (N_("Принято с первого раза"), N_("Случаи с согласованным проектом без возвратов на доработку / случаи с "
                                      "согласованным проектом.")),
    (N_("Возвращено"), N_("Случаи, проект ответа которых хотя бы раз возвращён на доработку (п. 8.6).")),
    (N_("С замечаниями (п. 9, 11)"), N_("Первый опубликованный ответ не прошёл хотя бы одну проверку п. 9, 11.")),
    (N_("Промежуточные"), N_("Опубликован промежуточный ответ (п. 8.8).")),
    (N_("Повторные"), N_("Случай связан куратором с более ранним как повторное сообщение (п. 8.10).")),
    (N_("Не подлежит обработке"), N_("Случай закрыт по п. 10.")),
    (N_("Шаги в срок"), N_("Завершённые без нарушения шаги / (они + нарушенные); по пунктам 8.2, 8.4-8.9.")),
)

BODY_COLUMNS = (("name", N_("Орган")), ("received", N_("Поступило")), ("answered", N_("Дан ответ")),
                ("on_time", N_("В срок")), ("overdue", N_("Просрочено")), ("on_time_share", N_("Доля в срок")),
                ("breaches", N_("Нарушения")), ("returned", N_("Возвращено")),
                ("first_pass_share", N_("С первого раза")), ("defects", N_("С замечаниями")),
                ("interim", N_("Промежуточные")), ("repeat", N_("Повторные")),
                ("median_reply_minutes", N_("Медиана, р. мин")), ("p90_reply_minutes", N_("P90, р. мин")),
                ("mean_reply_minutes", N_("Среднее, р. мин")))
MONTH, PREVIOUS = N_("Месяц"), N_("Прошлый месяц")


def local(moment: datetime | None) -> datetime | None:
    """A moment as naive Moscow time, for spreadsheets."""
    return moment.astimezone(MOSCOW).replace(tzinfo=None) if moment else None


def summary_xlsx(summary: MonthlySummary, say: Say = str) -> bytes:
    """The summary as an XLSX workbook: one sheet per table, native charts, the definitions; its words as `say`
    gives them (the names in the data as they are)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    moment = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    month, previous = say(MONTH), say(PREVIOUS)
    sheet = book.add_worksheet(say(N_("Сводка")))
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 2, 16)
    sheet.write(0, 0, say(N_("Ежемесячная сводка за %(month)s: %(tenant)s", month=summary.month,
                             tenant=summary.tenant)), bold)
    sheet.write(1, 0, say(N_("Данные на (МСК)")))
    sheet.write_datetime(1, 1, local(summary.cut_off), moment)
    sheet.write(2, 0, say(N_("Версия методики")))
    sheet.write(2, 1, summary.formula_version)
    sheet.write(3, 0, say(N_("Версия календаря")))
    sheet.write_number(3, 1, summary.calendar_revision)
    sheet.write_row(5, 0, [say(N_("Показатель")), month, previous], bold)
    row = 6
    for key, label in FIGURES.items():
        sheet.write(row, 0, say(label))
        for column, figures in ((1, summary.totals), (2, summary.previous)):
            value = figures.get(key)
            if value is not None:
                sheet.write_number(row, column, value, percent if key.endswith("_share") else None)
        row += 1
    bodies_sheet = say(N_("Органы"))
    bodies = book.add_worksheet(bodies_sheet)
    bodies.set_column(0, 0, 30)
    bodies.write_row(0, 0, [say(label) for _, label in BODY_COLUMNS], bold)
    for i, body in enumerate(summary.bodies, start=1):
        for j, (key, _) in enumerate(BODY_COLUMNS):
            _cell(bodies, i, j, say(body[key]) if key == "name" else body.get(key),
                  percent if key.endswith("_share") else None)
    if summary.bodies:
        chart = book.add_chart({"type": "bar"})
        count = len(summary.bodies)
        chart.add_series({"name": say(N_("Доля в срок")), "categories": [bodies_sheet, 1, 0, count, 0],
                          "values": [bodies_sheet, 1, 5, count, 5]})
        chart.set_title({"name": say(N_("Доля ответов в срок по органам"))})
        chart.set_x_axis({"num_format": "0%", "min": 0, "max": 1})
        chart.set_legend({"none": True})
        bodies.insert_chart(count + 2, 0, chart, {"x_scale": 1.5, "y_scale": 1.2})
    steps = book.add_worksheet(say(N_("Шаги")))
    steps.set_column(0, 0, 12)
    steps.write_row(0, 0, [say(N_("Пункт")), say(N_("Шагов")), say(N_("В срок")), say(N_("Нарушено")),
                           say(N_("Открыто")), say(N_("Доля в срок"))], bold)
    for i, step in enumerate(summary.steps, start=1):
        steps.write(i, 0, step["clause"])
        for j, key in enumerate(("steps", "on_time", "breached", "open"), start=1):
            steps.write_number(i, j, step[key])
        _cell(steps, i, 5, step["on_time_share"], percent)
    for name, title in (("theme", say(N_("Темы"))), ("location", say(N_("Районы"))),
                        ("channel", say(N_("Каналы")))):
        sheet = book.add_worksheet(title)
        sheet.set_column(0, 0, 40)
        sheet.write_row(0, 0, [say(N_("Название")), month, previous, say(N_("Изменение"))], bold)
        for i, item in enumerate(summary.dynamics[name], start=1):
            sheet.write(i, 0, say(item["name"]))
            sheet.write_number(i, 1, item["count"])
            sheet.write_number(i, 2, item["previous"])
            sheet.write_formula(i, 3, f"=B{i + 1}-C{i + 1}", None, item["delta"])
        if name == "channel" and summary.dynamics[name]:
            count = len(summary.dynamics[name])
            chart = book.add_chart({"type": "column"})
            for column, label in ((1, month), (2, previous)):
                chart.add_series({"name": label, "categories": [title, 1, 0, count, 0],
                                  "values": [title, 1, column, count, column]})
            chart.set_title({"name": say(N_("Сообщения по каналам"))})
            sheet.insert_chart(1, 5, chart)
    matrix = book.add_worksheet(say(N_("Тема × район")))
    matrix.set_column(0, 0, 36)
    matrix.write_row(0, 0, [say(N_("Тема")), *[p["name"] for p in summary.matrix["locations"]], say(N_("Всего"))],
                     bold)
    for i, theme in enumerate(summary.matrix["rows"], start=1):
        matrix.write(i, 0, theme["name"])
        for j, n in enumerate(theme["cells"], start=1):
            matrix.write_number(i, j, n)
        matrix.write_number(i, len(theme["cells"]) + 1, theme["total"])
    method = book.add_worksheet(say(N_("Методика")))
    method.set_column(0, 0, 28)
    method.set_column(1, 1, 110)
    for i, (term, meaning) in enumerate(DEFINITIONS):
        method.write(i, 0, say(term), bold)
        method.write(i, 1, say(meaning))
    book.close()
    return out.getvalue()


def _cell(sheet: Any, row: int, column: int, value: Any, style: Any = None) -> None:
    if value is None:
        sheet.write_blank(row, column, None)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, column, value, style)
    else:
        sheet.write_string(row, column, str(value))


CSV_COLUMNS = (N_("Случай"), N_("Зарегистрирован (МСК)"), N_("Канал"), N_("Тема"), N_("Район"), N_("Орган"),
               N_("Важность"), N_("Направлен в орган (МСК)"), N_("Срок ответа (МСК)"), N_("Первый ответ (МСК)"),
               N_("До ответа, р. мин"), N_("Ответ в срок"), N_("Просрочен"), N_("Нарушений"), N_("Промежуточный"),
               N_("Повторное"), N_("Не подлежит"), N_("Возвратов"), N_("Согласований"), N_("Замечания п. 9, 11"),
               N_("Итог"), N_("Ссылка"))
IMPORTANCE = {"high": N_("высокая"), "normal": N_("обычная")}
# The flags' yes and no as one message ("нет" alone already reads "none" elsewhere): split after translating.
YES_NO = N_("да;нет")


def cases_csv(*, session: Session, user: User, clock: Clock, month: str | None, body: str | None = None,
              say: Say = str) -> bytes:
    """The month's raw cases, one line each: UTF-8 with BOM and semicolons, as Russian Excel opens it; the headings
    and words as `say` gives them, translated once for all the lines."""
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
    writer.writerow([say(column) for column in CSV_COLUMNS])
    importance = {level: say(word) for level, word in IMPORTANCE.items()}
    yes_word, no_word = say(YES_NO).split(";")

    def when_(moment: datetime | None) -> str:
        if moment is None:
            return ""
        moment = moment.astimezone(MOSCOW)  # by hand: strftime takes half as long again
        return f"{moment.day:02}.{moment.month:02}.{moment.year} {moment.hour:02}:{moment.minute:02}"

    def yes(flag: bool | None) -> str:
        return "" if flag is None else (yes_word if flag else no_word)

    writer.writerows(
        (case_id, when_(registered), channel or "", theme or "", place or "", owner or "",
         importance.get(level or "", ""), when_(sent), when_(due), when_(replied), "" if minutes is None else minutes,
         yes(replied is not None and not overdue) if replied is not None or overdue else "", yes(overdue), breaches,
         yes(interim), yes(repeat), yes(not_subject), returned, approved, yes(defects), outcome or "", link)
        for (case_id, registered, channel, theme, place, owner, level, sent, due, replied, minutes, overdue, breaches,
             interim, repeat, not_subject, returned, approved, defects, outcome, link) in session.execute(query))
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def chart_svgs(summary: MonthlySummary, say: Say = str) -> dict[str, str]:
    """The page's charts as SVG for the PDF: on-time share by body, channels and top themes against last month."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9})
    out = {}
    if summary.bodies:
        names = [say(b["name"]) for b in summary.bodies][::-1]
        values = [100 * (b["on_time_share"] or 0) for b in summary.bodies][::-1]
        figure, axes = plt.subplots(figsize=(7, 0.35 * len(names) + 1))
        axes.barh(names, values, color="#2f6db5")
        axes.set_xlim(0, 100)
        axes.set_xlabel(say(N_("Доля ответов в срок, %")))
        out["bodies"] = _svg(figure)
    for name, title in (("channel", N_("Сообщения по каналам")), ("theme", N_("Темы: месяц и прошлый месяц"))):
        items = summary.dynamics[name][:10]
        if not items:
            continue
        figure, axes = plt.subplots(figsize=(7, 2.8))
        positions = range(len(items))
        axes.bar([p - 0.2 for p in positions], [i["count"] for i in items], 0.4, label=say(MONTH), color="#2f6db5")
        axes.bar([p + 0.2 for p in positions], [i["previous"] for i in items], 0.4, label=say(PREVIOUS),
                 color="#b0c4de")
        axes.set_xticks(list(positions), [say(i["name"])[:18] for i in items], rotation=30, ha="right")
        axes.set_title(say(title))
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


def rating_xlsx(rating: Rating, say: Say = str) -> bytes:
    """The quarterly rating as XLSX: the bodies with live formulas for each smoothed share and the score, and the
    method (weights, tenant averages, m) they refer to; its words as `say` gives them."""
    import xlsxwriter
    from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    method_sheet = say(N_("Методика"))
    method = book.add_worksheet(method_sheet)
    method.set_column(0, 0, 48)
    method.write(0, 0, say(N_("Рейтинг органов за %(quarter)s: %(tenant)s", quarter=rating.quarter,
                              tenant=rating.tenant)), bold)
    method.write(1, 0, say(rating.formula["text"]))
    method.write(2, 0, say(N_("m (псевдослучаев)")))
    method.write_number(2, 1, rating.formula["m"])
    method.write_row(4, 0, [say(N_("Компонент")), say(N_("Вес")), say(N_("Вес применённый")),
                            say(N_("Среднее по организации"))], bold)
    components = rating.formula["components"]
    for i, c in enumerate(components, start=5):
        method.write_row(i, 0, [say(c["title"]), c["weight"], c["weight_applied"]])
        if c["average"] is not None:
            method.write_number(i, 3, c["average"], percent)
    method.write(len(components) + 6, 0, say(rating.formula["left_out"][0]["reason"]))
    sheet = book.add_worksheet(say(N_("Рейтинг")))
    sheet.set_column(0, 0, 30)
    header = [say(N_("Орган")), say(N_("Место в рейтинге")), say(N_("Уровень")), say(N_("Балл")),
              say(N_("Случаев"))]
    for c in components:
        header += [say(N_("%(component)s: x", component=c["title"])), "n", "p̃"]
    sheet.write_row(0, 0, header, bold)
    reference = quote_sheetname(method_sheet)
    m = f"{reference}!$B$3"
    not_ranked = say(N_("не ранжируется"))
    for r, body in enumerate(rating.bodies, start=1):
        sheet.write_row(r, 0, [body["name"], body["rank"] if body["rank"] is not None else not_ranked,
                               say(TIER_NAMES[body["tier"]]) if body["tier"] else "—"])
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
            average, weight = f"{reference}!$D${6 + k}", f"{reference}!$C${6 + k}"
            cell = xl_rowcol_to_cell(r, column + 2)
            sheet.write_formula(r, column + 2, f"=({x}+{m}*{average})/({n}+{m})", percent, part["smoothed"])
            terms.append(f"{weight}*{cell}")
        sheet.write_formula(r, 3, f"=ROUND(100*({'+'.join(terms) or 0}),1)", None, body["score"])
    sheet.freeze_panes(1, 1)
    book.close()
    return out.getvalue()
