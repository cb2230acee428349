"""The regulation's main path (8.1-8.7) driven over HTTP the way curators and executors do it."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FixedClock
from tests.conftest import START, api_token, login, task_id_from

MESSAGE = {"channel": "vk", "url": "https://vk.com/wall-1_100", "author": "Ирина Петрова",
           "text": "Нет горячей воды третий день <script>alert(1)</script>", "published_at": "2026-11-24T09:30"}


def register(curator: FlaskClient, **overrides: str) -> int:
    """Register a message through the curator's form; returns the case id."""
    response = curator.post("/cases/new", data={**MESSAGE, **overrides})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def open_inbox_task(client: FlaskClient, name: str) -> int:
    page = client.get("/inbox")
    assert page.status_code == 200
    return task_id_from(page.get_data(as_text=True), name)


TRIAGE = {"triage_decision": "send", "theme": "heating", "location": "gatchinsky", "importance": "normal",
          "bodies": "kgkh", "triage_comment": "Срочно проверить"}


def test_main_path_from_intake_to_publication(app: Flask, clock: FixedClock) -> None:
    curator = login(app, "curator")
    executor = login(app, "kgkh.exec1")
    case_id = register(curator)

    page = curator.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page

    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data=TRIAGE).status_code == 302

    case = curator.get(f"/cases/{case_id}").get_data(as_text=True)
    # Sent Tue 10:00 + 9 working hours: 10:00-13:00 (3 h), 13:48-18:00 (4 h 12 min), Wed 09:00 + 1 h 48 min.
    assert "25.11.2026 10:48" in case

    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    form = executor.get(f"/tasks/{draft}").get_data(as_text=True)
    # Draft due 5 working hours after 10:00: 13:00 (3 h) + 2 h from 13:48 = 15:48.
    assert "24.11.2026 15:48" in form and "25.11.2026 10:48" in form

    clock.advance(timedelta(hours=1))
    response = executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                      "reply_text": "Здравствуйте, Ирина! Воду дадут сегодня."})
    assert response.status_code == 302

    approval = open_inbox_task(curator, "Согласование проекта ответа")
    response = curator.post(f"/tasks/{approval}", data={"approval_decision": "return",
                                                        "approval_comment": "Укажите время подачи воды"})
    assert response.status_code == 302

    rework = open_inbox_task(executor, "Доработка проекта ответа")
    assert "Здравствуйте, Ирина! Воду дадут сегодня." in executor.get(f"/tasks/{rework}").get_data(as_text=True)
    response = executor.post(f"/tasks/{rework}", data={"reply_kind": "reply",
                                                       "reply_text": "Здравствуйте, Ирина! Воду дадут в 16:00."})
    assert response.status_code == 302

    approval2 = open_inbox_task(curator, "Согласование проекта ответа")
    assert curator.post(f"/tasks/{approval2}", data={"approval_decision": "approve"}).status_code == 302

    publication = open_inbox_task(executor, "Публикация ответа")
    response = executor.post(f"/tasks/{publication}", data={"published_url": "https://vk.com/wall-1_100?reply=7",
                                                           "published_at": "2026-11-24T10:58"})
    assert response.status_code == 302

    page = curator.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "закрыт" in page
    assert "Версия 1" in page and "Версия 2" in page and "Укажите время подачи воды" in page
    assert "https://vk.com/wall-1_100?reply=7" in page

    headers = api_token(curator, "curator")
    data = curator.get(f"/api/v1/cases/{case_id}", headers=headers).json
    assert data["status"] == "closed" and data["outcome"] == "published_end"
    assert [d["decision"] for d in data["drafts"]] == ["return", "approve"]
    steps = [e["step"] for e in data["history"] if e["kind"] == "task_completed"]
    assert steps == ["triage", "draft", "approval", "rework", "approval", "publication"]
    assert data["open_tasks"] == []


def test_not_subject_to_processing_closes_the_case(app: Flask) -> None:
    curator = login(app, "curator")
    case_id = register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    response = curator.post(f"/tasks/{triage}", data={"triage_decision": "not_subject"})
    assert response.status_code == 422
    assert "Заполните это поле" in response.get_data(as_text=True)
    response = curator.post(f"/tasks/{triage}", data={"triage_decision": "not_subject",
                                                      "not_subject_ground": "obscene"})
    assert response.status_code == 302
    data = curator.get(f"/api/v1/cases/{case_id}", headers=api_token(curator, "curator")).json
    assert data["status"] == "closed" and data["outcome"] == "not_subject_end"


def test_not_our_competence_returns_the_case_to_the_curator(app: Flask, clock: FixedClock) -> None:
    curator = login(app, "curator")
    roads = login(app, "kdh.exec1")
    housing = login(app, "kgkh.exec2")
    case_id = register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    curator.post(f"/tasks/{triage}", data={**TRIAGE, "bodies": "kdh"})
    before = curator.get(f"/api/v1/cases/{case_id}", headers=api_token(curator, "curator")).json["due_at"]

    clock.advance(timedelta(minutes=30))
    draft = open_inbox_task(roads, "Подготовка проекта ответа")
    response = roads.post(f"/tasks/{draft}", data={"draft_outcome": "not_competent"})
    assert response.status_code == 422
    response = roads.post(f"/tasks/{draft}", data={"draft_outcome": "not_competent",
                                                   "not_competent_reason": "Горячая вода — это ЖКХ"})
    assert response.status_code == 302

    reassign = open_inbox_task(curator, "Назначение другого органа")
    assert curator.post(f"/tasks/{reassign}", data={"body": "kdh"}).status_code == 422
    assert curator.post(f"/tasks/{reassign}", data={"body": "kgkh"}).status_code == 302

    assert "task-link" not in roads.get("/inbox").get_data(as_text=True)
    open_inbox_task(housing, "Подготовка проекта ответа")
    data = curator.get(f"/api/v1/cases/{case_id}", headers=api_token(curator, "curator")).json
    assert data["body"] == "kgkh"
    assert data["due_at"] == before, "reassignment keeps the case's overall clock"


def test_duplicate_link_is_recognised(app: Flask) -> None:
    curator = login(app, "curator")
    case_id = register(curator)
    response = curator.post("/cases/new", data={**MESSAGE, "url": "https://m.vk.com/wall-1_100/?utm_source=x"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case_id}")
    headers = api_token(curator, "curator")
    response = curator.post("/api/v1/messages", json={**MESSAGE, "url": "http://www.vk.com/wall-1_100"},
                            headers=headers)
    assert response.status_code == 200 and response.json == {"case_id": case_id, "duplicate": True}


def test_intake_refuses_bad_input_with_reasons(app: Flask) -> None:
    curator = login(app, "curator")
    response = curator.post("/cases/new", data={"channel": "myspace", "url": "vk.com/x", "author": "",
                                                "text": "", "published_at": "завтра"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("Выберите источник из списка", "начинающуюся с http", "Укажите автора",
                    "Вставьте текст сообщения", "Укажите время публикации"):
        assert message in page
    headers = api_token(curator, "curator")
    response = curator.post("/api/v1/messages", json={"channel": "vk"}, headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"
    assert set(response.json["error"]["fields"]) == {"url", "author", "text", "published_at"}
    future = (START + timedelta(days=1)).isoformat()
    response = curator.post("/api/v1/messages", json={**MESSAGE, "published_at": future}, headers=headers)
    assert response.json["error"]["fields"] == {"published_at": "Время публикации не может быть в будущем"}
