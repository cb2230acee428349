"""The clause-12 breach register: grouping by deputy, body and person, late working minutes, the explanation,
verdict and measures with their history, the XLSX per deputy, the API and its refusals, and who sees what."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import openpyxl
from flask import Flask
from sqlalchemy import select

from engine.clock import FixedClock
from models import Body, Breach
from services.timers import fire_due_timers
from tests.conftest import MSK, api_token, login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

HOUSING = "Заместитель Председателя Правительства по ЖКХ и транспорту Кравцов Н. П."
SOCIAL = "Заместитель Председателя Правительства по социальным вопросам Жукова Е. В."
PERIOD = "from=2026-11-24&to=2026-11-25"
DRAFT = "Подготовка проекта ответа"


def sent_to(app: Flask, body: str, url: str) -> int:
    """A message triaged to one body at the current moment; returns the case id."""
    curator = login(app, "curator")
    case_id = register(curator, url=url)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data={**TRIAGE, "bodies": body}).status_code == 302
    return case_id


def scenario(app: Flask, clock: FixedClock, sessions: Any) -> dict[str, int]:
    """Three breaches at two deputies, three bodies and three holders, all drafts due Tue 24.11 15:48 (5 WH from
    10:00):
    - housing: kgkh.exec1 finishes the draft Wed 10:30: 15:48-18:00 (2 h 12 min) + 09:00-10:30 (1 h 30 min) = 222;
    - roads: kdh.exec1 says "not our competence" at 11:15, 75 min after the case reached the body: 8.2, 15 min late;
    - health: nobody takes the draft; at Wed 10:30 it is 222 working minutes late and still growing."""
    cases = {"housing": sent_to(app, "kgkh", "https://vk.com/wall-1_501"),
             "health": sent_to(app, "kzdrav", "https://vk.com/wall-1_502"),
             "roads": sent_to(app, "kdh", "https://vk.com/wall-1_503")}
    clock.set(datetime(2026, 11, 24, 11, 15, tzinfo=MSK))
    roads = login(app, "kdh.exec1")
    assert roads.post(f"/tasks/{open_inbox_task(roads, DRAFT)}",
                      data={"draft_outcome": "not_competent", "not_competent_reason": "Это вопрос ЖКХ"}).status_code \
        == 302
    clock.set(datetime(2026, 11, 24, 15, 49, tzinfo=MSK))
    fire_due_timers(sessions=sessions, clock=clock)
    clock.set(datetime(2026, 11, 25, 10, 30, tzinfo=MSK))
    housing = login(app, "kgkh.exec1")
    assert housing.post(f"/tasks/{open_inbox_task(housing, DRAFT)}",
                        data={"draft_outcome": "draft", "reply_kind": "reply",
                              "reply_text": "Здравствуйте!"}).status_code == 302
    with sessions() as session:
        ids = {name: session.scalar(select(Breach.id).where(Breach.case_id == case_id, Breach.step != "case"))
               for name, case_id in cases.items()}
    return {**{f"{name}_case": case_id for name, case_id in cases.items()}, **ids}


def rows(register_json: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(b["deputy"], b["body"], b["person"], b["case_id"], b["step"], b["clause"], b["late_minutes"], b["late"],
             b["settled"]) for b in register_json["breaches"]]


def test_register_groups_by_deputy_body_person_with_working_minutes(app: Flask, clock: FixedClock,
                                                                    sessions: Any) -> None:
    ids = scenario(app, clock, sessions)
    client = app.test_client()
    answer = client.get(f"/api/v1/breaches?{PERIOD}", headers=api_token(client, "leader"))
    assert answer.status_code == 200, answer.json
    assert rows(answer.json) == [
        (HOUSING, "kgkh", "Егоров Иван Александрович", ids["housing_case"], "draft", "8.4", 222, "3 ч 42 мин", True),
        (HOUSING, "kdh", "Павлова Ольга Дмитриевна", ids["roads_case"], "competence", "8.2", 15, "15 мин", True),
        (SOCIAL, "kzdrav", "Не назначен (очередь органа)", ids["health_case"], "draft", "8.4", 222, "3 ч 42 мин",
         False)]
    assert answer.json["deputies"] == [
        {"deputy": HOUSING, "breaches": 2, "unjustified": 0, "late_minutes": 237},
        {"deputy": SOCIAL, "breaches": 1, "unjustified": 0, "late_minutes": 222}]
    assert answer.json["breaches"][0]["due_at"] == "2026-11-24T12:48:00+00:00"
    # A period that ends before the deadlines passed has none; a body narrows the register.
    assert client.get("/api/v1/breaches?from=2026-11-01&to=2026-11-23",
                      headers=api_token(client, "curator")).json["total"] == 0
    only = client.get(f"/api/v1/breaches?{PERIOD}&body=kdh", headers=api_token(client, "curator")).json
    assert [b["id"] for b in only["breaches"]] == [ids["roads"]]

    page = login(app, "leader").get(f"/register/?{PERIOD}").get_data(as_text=True)
    page = page[page.index('<section class="card deputy"'):]  # after the filter's list of bodies
    assert page.index(HOUSING) < page.index("Комитет по ЖКХ") < page.index("Комитет по дорожному хозяйству") \
        < page.index(SOCIAL) < page.index("Комитет по здравоохранению")
    assert f'href="/cases/{ids["housing_case"]}"' in page and "и растёт" in page


def test_explanation_verdict_and_measures_with_history(app: Flask, clock: FixedClock, sessions: Any) -> None:
    ids = scenario(app, clock, sessions)
    breach = ids["roads"]
    url = f"/register/{breach}"
    # Another body's official neither sees nor explains it; an executor has no register at all.
    housing = login(app, "kgkh.resp")
    assert housing.post(f"{url}/explanation", data={"reason": "other", "explanation": "x"}).status_code == 404
    assert f"breach-{breach}" not in housing.get(f"/register/?{PERIOD}").get_data(as_text=True)
    assert login(app, "kdh.exec1").get("/register/").status_code == 403

    roads = login(app, "kdh.resp")
    refused = roads.post(f"{url}/explanation?{PERIOD}", data={"reason": "", "explanation": ""})
    assert refused.status_code == 422 and "Выберите причину из списка" in refused.get_data(as_text=True)
    assert roads.post(f"{url}/verdict", data={"verdict": "justified"}).status_code == 403
    done = roads.post(f"{url}/explanation?{PERIOD}", data={"reason": "waiting_body",
                                                           "explanation": "Ждали ответа Комитета по ЖКХ"})
    assert done.status_code == 302 and done.headers["Location"] == f"/register/?{PERIOD}#breach-{breach}"
    clock.advance(timedelta(minutes=5))
    curator = login(app, "curator")
    assert curator.post(f"{url}/verdict", data={"verdict": "maybe"}).status_code == 422
    assert curator.post(f"{url}/verdict", data={"verdict": "unjustified",
                                                "verdict_comment": "Не в компетенции — сразу куратору"}).status_code \
        == 302
    assert roads.post(f"{url}/explanation", data={"reason": "other", "explanation": "иначе"}).status_code == 409
    clock.advance(timedelta(minutes=5))
    leader = login(app, "leader")
    assert leader.post(f"{url}/verdict", data={"verdict": "justified"}).status_code == 403
    assert leader.post(f"{url}/measures", data={"measures": "  "}).status_code == 422
    assert leader.post(f"{url}/measures", data={"measures": "Замечание начальнику отдела"}).status_code == 302

    client = app.test_client()
    [entry] = [b for b in client.get(f"/api/v1/breaches?{PERIOD}", headers=api_token(client, "kdh.resp"))
               .json["breaches"]]
    assert {k: entry[k] for k in ("reason", "explanation", "explained_by", "verdict", "verdict_comment",
                                  "verdict_by", "measures", "measures_by", "measures_at")} == {
        "reason": "waiting_body", "explanation": "Ждали ответа Комитета по ЖКХ",
        "explained_by": "Морозов Алексей Николаевич", "verdict": "unjustified",
        "verdict_comment": "Не в компетенции — сразу куратору", "verdict_by": "Смирнова Анна Сергеевна",
        "measures": "Замечание начальнику отдела", "measures_by": "Лебедев Игорь Викторович",
        "measures_at": "2026-11-25T07:40:00+00:00"}
    page = leader.get(f"/register/?{PERIOD}").get_data(as_text=True)
    for line in ("25.11.2026 10:30 · Морозов Алексей Николаевич: Объяснение: Ожидание другого органа — Ждали ответа",
                 "25.11.2026 10:35 · Смирнова Анна Сергеевна: Оценка куратора: неуважительная — Не в компетенции",
                 "25.11.2026 10:40 · Лебедев Игорь Викторович: Меры: Замечание начальнику отдела"):
        assert line in page, line
    deputies = client.get(f"/api/v1/breaches?{PERIOD}", headers=api_token(client, "curator")).json["deputies"]
    assert deputies[0]["unjustified"] == 1


def test_xlsx_per_deputy_holds_numbers_and_dates(app: Flask, clock: FixedClock, sessions: Any) -> None:
    ids = scenario(app, clock, sessions)
    curator = login(app, "curator")
    assert curator.post(f"/register/{ids['housing']}/verdict", data={"verdict": "unjustified"}).status_code == 302
    answer = curator.get(f"/register/export.xlsx?{PERIOD}")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames == ["Сводка", "1. " + HOUSING[-28:].strip(), "2. " + SOCIAL[-28:].strip()]
    summary = [row for row in book["Сводка"].iter_rows(min_row=6, values_only=True)]
    assert summary[:2] == [(HOUSING, 2, 2, 1, 237), (SOCIAL, 1, 1, 0, 222)]
    assert summary[2][0] == "Итого" and summary[2][2:] == ("=SUM(C6:C7)", "=SUM(D6:D7)", "=SUM(E6:E7)")
    sheet = book[book.sheetnames[1]]
    assert sheet["A2"].value == f"Курирующий заместитель: {HOUSING}"
    first = [c.value for c in sheet[6]]
    assert first[:10] == [1, "Комитет по ЖКХ", "Егоров Иван Александрович", ids["housing_case"],
                          "Подготовка проекта ответа", "8.4", datetime(2026, 11, 24, 15, 48),
                          datetime(2026, 11, 25, 10, 30), 222, "3 ч 42 мин"]
    assert first[12] == "неуважительная" and sheet["G6"].number_format == "dd.mm.yyyy hh:mm"
    assert [c.value for c in sheet[7]][3:9] == [ids["roads_case"], "Сообщение «не в компетенции»", "8.2",
                                                datetime(2026, 11, 24, 11, 0), datetime(2026, 11, 24, 11, 15), 15]

    # The letter to one deputy: that deputy's sheet alone, through the API as well.
    client = app.test_client()
    letter = client.get(f"/api/v1/breaches?{PERIOD}&format=xlsx&deputy={SOCIAL}",
                        headers=api_token(client, "leader"))
    one = openpyxl.load_workbook(io.BytesIO(letter.data))
    assert one.sheetnames == ["1. " + SOCIAL[-28:].strip()]
    assert [c.value for c in one.active[6]][3] == ids["health_case"]


def test_bad_periods_are_refused_with_the_field_named(app: Flask, clock: FixedClock) -> None:
    client = app.test_client()
    headers = api_token(client, "curator")
    cases = {"from=2026-13-01&to=2026-11-20": ("from", "Дата в формате ГГГГ-ММ-ДД, например 2026-11-01"),
             "from=24.11.2026&to=2026-11-24": ("from", "Дата в формате ГГГГ-ММ-ДД, например 2026-11-01"),
             "from=2026-11-20&to=2026-11-10": ("from", "Начало периода позже его конца"),
             "from=2026-11-20&to=2026-11-25": ("to", "Дата не может быть в будущем"),
             "to=2026-11-20": ("from", "Укажите начало периода"),
             "from=2024-01-01&to=2026-11-20": ("from", "Период не длиннее 366 дней"),
             f"{PERIOD.replace('25', '24')}&body=nope": ("body", "Неизвестный код органа"),
             f"{PERIOD.replace('25', '24')}&format=pdf": ("format", "Допустимо json или xlsx")}
    for query, (field, message) in cases.items():
        answer = client.get(f"/api/v1/breaches?{query}", headers=headers)
        assert answer.status_code == 422, query
        assert answer.json["error"]["code"] == "invalid" and answer.json["error"]["fields"][field] == message, query
    executor = client.get("/api/v1/breaches?from=2026-11-01&to=2026-11-24", headers=api_token(client, "kgkh.exec1"))
    assert executor.status_code == 403
    page = login(app, "curator").get("/register/?from=2026-11-30&to=2026-11-01")
    assert page.status_code == 422 and "Дата не может быть в будущем" in page.get_data(as_text=True)


def test_the_administrator_names_a_bodys_deputy(app: Flask, sessions: Any) -> None:
    with sessions() as session:
        kept = session.scalar(select(Body.deputy).where(Body.code == "ksoc"))
    admin = login(app, "admin")
    try:
        assert login(app, "curator").post("/register/deputies", data={"body": "ksoc", "deputy": "X"}).status_code \
            == 403
        assert admin.post("/register/deputies", data={"body": "ksoc", "deputy": "Я" * 201}).status_code == 422
        assert admin.post("/register/deputies", data={"body": "ksoc", "deputy": "  Новый   заместитель "}) \
            .status_code == 302
        assert 'value="Новый заместитель"' in admin.get("/register/deputies").get_data(as_text=True)
    finally:
        with sessions() as session:
            session.scalars(select(Body).where(Body.code == "ksoc")).one().deputy = kept
            session.commit()


def test_labels_are_translated() -> None:
    """The reasons, verdicts and dashboard filters a page shows through gettext have English translations."""
    from babel.messages.pofile import read_po

    from services.dashboard import LENS_TITLES
    from services.register import REASONS, VERDICTS
    from tests.web.test_language import PO

    with PO.open("rb") as po:
        translated = {m.id for m in read_po(po, locale="en") if m.id and m.string}
    labels = [*REASONS.values(), *VERDICTS.values(), *LENS_TITLES.values()]
    assert [label for label in labels if label not in translated] == []
