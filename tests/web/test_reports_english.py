"""Issue 14, defect 10: the reports and the breach register in the reader's language. Figure and component names of
the JSON, the headings, sheet names, titles and notes of the XLSX, PDF and CSV exports, the what-if and heatmap titles
are in English for a reader who chose it (a page) or asks for it (the API's Accept-Language); Russian by default; the
names people gave (bodies, themes, deputies, people) stay as written."""

from __future__ import annotations

import html
import io
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from pypdf import PdfReader

from engine.clock import FixedClock
from tests.conftest import api_token, login
from tests.web.test_register import HOUSING, PERIOD, SOCIAL, scenario
from tests.web.test_reports import november  # noqa: F401  (the fixture)

EN = {"Accept-Language": "en-GB,en;q=0.9"}
HOUSING_BODY = "Комитет по ЖКХ"  # a body's name: data, never translated


def _sheets(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


def _row(sheet: Any, number: int) -> list[Any]:
    return [cell.value for cell in sheet[number]]


@pytest.mark.usefixtures("november")
def test_the_monthly_summary_over_the_api_follows_accept_language(app: Flask) -> None:
    client = app.test_client()
    bearer = api_token(client, "leader")
    english = client.get("/api/v1/reports/monthly?month=2026-11", headers={**bearer, **EN}).json
    russian = client.get("/api/v1/reports/monthly?month=2026-11", headers=bearer).json
    assert english["figures"]["received"] == "Received" and english["figures"]["on_time"] == "On time (8.3)"
    assert russian["figures"]["received"] == "Поступило" and russian["figures"]["on_time"] == "В срок (п. 8.3)"
    assert english["totals"] == russian["totals"] and english["bodies"][0]["name"] == HOUSING_BODY

    book = _sheets(client.get("/api/v1/reports/monthly?month=2026-11&format=xlsx", headers={**bearer, **EN}).data)
    assert book.sheetnames == ["Summary", "Bodies", "Steps", "Themes", "Districts", "Channels", "Theme × district",
                               "Method"]
    summary = book["Summary"]
    assert summary["A1"].value == "Monthly summary for 2026-11: Ленинградская область"
    assert _row(summary, 6) == ["Figure", "Month", "Previous month"]
    assert (summary["A7"].value, summary["B7"].value) == ("Received", 7)
    assert _row(book["Bodies"], 1)[:4] == ["Body", "Received", "Answered", "On time"]
    assert _row(book["Bodies"], 2)[0] == HOUSING_BODY
    assert _row(book["Method"], 2) == ["Received", "Messages registered in the month."]
    russian_book = _sheets(client.get("/api/v1/reports/monthly?month=2026-11&format=xlsx", headers=bearer).data)
    assert russian_book.sheetnames[0] == "Сводка" and russian_book["Сводка"]["A7"].value == "Поступило"

    pdf = client.get("/api/v1/reports/monthly?month=2026-11&format=pdf", headers={**bearer, **EN}).data
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")
    assert "Monthly summary for 2026-11" in words and "Received 7" in words and "Method" in words
    assert "Поступило" not in words and "Ежемесячная сводка" not in words

    csv = client.get("/api/v1/reports/monthly?month=2026-11&format=csv", headers={**bearer, **EN}).data
    lines = csv.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("Case;Registered (MSK);Channel;Theme;District;Body;Importance;")
    assert lines[0].endswith(";Remarks (9, 11);Outcome;Link")
    assert lines[1].split(";")[5:12] == [HOUSING_BODY, "normal", "24.11.2026 10:00", "25.11.2026 10:48",
                                         "24.11.2026 10:00", "0", "yes"]
    assert lines[1].split(";")[12] == "no"
    russian_csv = client.get("/api/v1/reports/monthly?month=2026-11&format=csv", headers=bearer).data
    assert russian_csv.decode("utf-8-sig").startswith("Случай;Зарегистрирован (МСК)")


@pytest.mark.usefixtures("november")
def test_the_monthly_page_and_its_downloads_follow_the_chosen_language(app: Flask) -> None:
    leader = login(app, "leader")
    assert leader.post("/lang/en").status_code == 302
    page = leader.get("/reports/monthly?month=2026-11").get_data(as_text=True)
    assert "Messages registered in the month." in page and "Сообщения, зарегистрированные в месяце." not in page
    book = _sheets(leader.get("/reports/monthly?month=2026-11&format=xlsx").data)
    assert book.sheetnames[0] == "Summary" and book["Summary"]["A7"].value == "Received"
    csv = leader.get("/reports/monthly?month=2026-11&format=csv").data.decode("utf-8-sig")
    assert csv.startswith("Case;Registered (MSK);")
    behind = leader.get("/reports/monthly/cases?month=2026-11&figure=overdue").get_data(as_text=True)
    assert "«Overdue»" in behind
    # A browser that prefers English still gets Russian pages until the person chooses English.
    russian = login(app, "curator")
    assert "Сообщения, зарегистрированные в месяце." in russian.get(
        "/reports/monthly?month=2026-11", headers=EN).get_data(as_text=True)
    assert _sheets(russian.get("/reports/monthly?month=2026-11&format=xlsx", headers=EN).data).sheetnames[0] \
        == "Сводка"


@pytest.mark.usefixtures("november")
def test_the_rating_names_its_components_in_the_readers_language(app: Flask) -> None:
    client = app.test_client()
    bearer = api_token(client, "leader")
    english = client.get("/api/v1/reports/rating?quarter=2026-Q4", headers={**bearer, **EN}).json
    russian = client.get("/api/v1/reports/rating?quarter=2026-Q4", headers=bearer).json
    titles = {c["key"]: c["title"] for c in english["formula"]["components"]}
    assert titles["case_on_time"] == "Reply on time (8.3)" and titles["no_repeat"] == "No repeat within 30 days (8.10)"
    assert english["formula"]["left_out"][0]["title"] == "Authors' rating"
    assert english["formula"]["text"].startswith("Score = 100")
    assert {c["key"]: c["title"] for c in russian["formula"]["components"]}["case_on_time"] == "Ответ в срок (п. 8.3)"
    # Codes stay codes: the keys and the tiers.
    assert english["formula"]["tiers"] == russian["formula"]["tiers"] and english["formula"]["tiers"][0]["tier"] == "А"

    book = _sheets(client.get("/api/v1/reports/rating?quarter=2026-Q4&format=xlsx", headers={**bearer, **EN}).data)
    assert book.sheetnames == ["Method", "Rating"]
    header = _row(book["Rating"], 1)
    assert header[:6] == ["Body", "Rank", "Tier", "Score", "Cases", "Reply on time (8.3): x"]
    assert _row(book["Rating"], 2)[0] == HOUSING_BODY and str(_row(book["Rating"], 2)[3]).startswith("=ROUND(")
    assert "Method!$B$3" in str(_row(book["Rating"], 2)[7])
    assert _row(book["Method"], 5)[:4] == ["Component", "Weight", "Weight applied", "Organisation average"]
    russian_book = _sheets(client.get("/api/v1/reports/rating?quarter=2026-Q4&format=xlsx", headers=bearer).data)
    assert _row(russian_book["Рейтинг"], 1)[5] == "Ответ в срок (п. 8.3): x"

    leader = login(app, "leader")
    assert leader.post("/lang/en").status_code == 302
    page = html.unescape(leader.get("/reports/rating?quarter=2026-Q4").get_data(as_text=True))
    assert "Reply on time (8.3)" in page and "Authors' rating" in page and "Ответ в срок" not in page


def test_the_register_and_its_export_in_english(app: Flask, clock: FixedClock, sessions: Any) -> None:
    ids = scenario(app, clock, sessions)
    client = app.test_client()
    bearer = api_token(client, "leader")
    english = client.get(f"/api/v1/breaches?{PERIOD}", headers={**bearer, **EN}).json
    health = next(b for b in english["breaches"] if b["case_id"] == ids["health_case"])
    assert (health["deputy"], health["person"], health["late"], health["step_title"]) == (
        SOCIAL, "Not assigned (the body's queue)", "3 h 42 min", "Preparation of the draft reply")
    russian = client.get(f"/api/v1/breaches?{PERIOD}", headers=bearer).json
    assert next(b for b in russian["breaches"] if b["case_id"] == ids["health_case"])["person"] \
        == "Не назначен (очередь органа)"

    curator = login(app, "curator")
    assert curator.post("/lang/en").status_code == 302
    book = _sheets(curator.get(f"/register/export.xlsx?{PERIOD}").data)
    assert book.sheetnames == ["Summary", "1. " + HOUSING[-28:].strip(), "2. " + SOCIAL[-28:].strip()]
    summary = book["Summary"]
    assert summary["A1"].value == "Missed deadlines (clause 12 of order No. 148-rg)"
    assert summary["A2"].value == "Summary by supervising deputy"
    assert summary["A3"].value.startswith("Period: 24.11.2026 — 25.11.2026; as of 25.11.2026 10:30 (MSK)")
    assert _row(summary, 5) == ["Supervising deputy", "Bodies", "Breaches", "Of them unjustified",
                                "Delay, working min"]
    assert _row(summary, 8)[0] == "Total"
    sheet = book[book.sheetnames[1]]
    assert sheet["A2"].value == f"Supervising deputy: {HOUSING}"
    assert _row(sheet, 5)[:6] == ["№", "Body", "Employee", "Case No.", "Step", "Clause"]
    first = _row(sheet, 6)
    assert first[1:3] == ["Комитет по ЖКХ", "Егоров Иван Александрович"]
    assert (first[4], first[9]) == ("Preparation of the draft reply", "3 h 42 min")
    nobody = _row(book[book.sheetnames[2]], 6)
    assert nobody[2] == "Not assigned (the body's queue)"
    # The API's export follows Accept-Language; a deputy's letter alone.
    letter = _sheets(client.get(f"/api/v1/breaches?{PERIOD}&format=xlsx&deputy={SOCIAL}",
                                headers={**bearer, **EN}).data)
    assert letter.sheetnames == ["1. " + SOCIAL[-28:].strip()] and letter.active["A2"].value.startswith(
        "Supervising deputy: ")
    russian_book = _sheets(client.get(f"/api/v1/breaches?{PERIOD}&format=xlsx", headers=bearer).data)
    assert russian_book.sheetnames[0] == "Сводка" and russian_book["Сводка"]["A8"].value == "Итого"


@pytest.mark.usefixtures("november")
def test_what_if_and_the_heatmap_in_english(app: Flask) -> None:
    query = "month=2026-11&parameter=draft&value=10&unit=hours&calendar=production"
    production = "The production calendar alone: the oblast's hours, without body schedules or override days"
    leader = login(app, "leader")
    russian = leader.get(f"/reports/whatif?{query}").get_data(as_text=True)
    assert "Только производственный календарь" in russian
    assert leader.post("/lang/en").status_code == 302
    page = html.unescape(leader.get(f"/reports/whatif?{query}").get_data(as_text=True))
    assert production in page and "Только производственный календарь" not in page
    assert "«Preparation of the draft reply» (8.4)" in page
    client = app.test_client()
    bearer = api_token(client, "leader")
    answer = client.get(f"/api/v1/reports/whatif?{query}", headers={**bearer, **EN}).json
    assert answer["calendar"]["title"] == production and answer["calendar"]["variant"] == "production"
    assert answer["changes"][0]["title"] == "Preparation of the draft reply"
    assert client.get(f"/api/v1/reports/whatif?{query}", headers=bearer).json["changes"][0]["title"] \
        == "Подготовка проекта ответа"
    refused = client.get("/api/v1/reports/whatif?month=2026-11&parameter=nope&calendar=nope", headers={**bearer, **EN})
    assert refused.status_code == 422 and "Выберите" not in refused.json["error"]["message"]

    heatmap = leader.get("/reports/heatmap?period=2026-11&format=json").json
    assert heatmap["diagrams"][0] == {"name": "case.bpmn", "title": "Main process"}
    assert {s["step"]: s["name"] for s in heatmap["steps"]}["draft"] == "Preparation of the draft reply"
