"""Who may see and do what, double completion, and the API's error answers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

import services.tasks
from models import CaseEvent, Draft
from tests.conftest import api_token, login
from tests.web.test_main_path import MESSAGE, TRIAGE, open_inbox_task, register
from web.common import SECURITY_HEADERS


def triaged_case(app: Flask) -> tuple[int, int]:
    """A case sent to the housing committee; returns (case id, draft task id)."""
    curator = login(app, "curator")
    case_id = register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data=TRIAGE).status_code == 302
    return case_id, open_inbox_task(login(app, "kgkh.exec1"), "Подготовка проекта ответа")


def test_another_body_can_neither_see_nor_complete(app: Flask) -> None:
    case_id, draft = triaged_case(app)
    roads = login(app, "kdh.exec1")
    assert "task-link" not in roads.get("/inbox").get_data(as_text=True)
    assert roads.get(f"/tasks/{draft}").status_code == 404
    assert roads.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                               "reply_text": "чужой ответ"}).status_code == 404
    assert roads.get(f"/cases/{case_id}").status_code == 404
    headers = api_token(roads, "kdh.exec1")
    assert roads.get("/api/v1/tasks", headers=headers).json["tasks"] == []
    response = roads.post(f"/api/v1/tasks/{draft}/complete", json={"draft_outcome": "draft"}, headers=headers)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert roads.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 404


def test_inbox_per_role(app: Flask) -> None:
    _, draft = triaged_case(app)
    assert "task-link" not in login(app, "curator").get("/inbox").get_data(as_text=True)
    responsible = login(app, "kgkh.resp").get("/inbox").get_data(as_text=True)
    assert f'href="/tasks/{draft}"' in responsible
    executor2 = login(app, "kgkh.exec2")
    assert f'href="/tasks/{draft}"' in executor2.get("/inbox").get_data(as_text=True)
    curator = login(app, "curator")
    assert curator.post(f"/tasks/{draft}", data={"draft_outcome": "draft"}).status_code == 403
    leader = login(app, "leader")
    assert leader.get("/inbox").status_code == 200
    assert leader.post("/cases/new", data={}).status_code == 403


def test_completing_twice_says_who_did_it(app: Flask, sessions: Any) -> None:
    case_id, draft = triaged_case(app)
    first, second = login(app, "kgkh.exec1"), login(app, "kgkh.exec2")
    form = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте!"}
    assert first.post(f"/tasks/{draft}", data=form).status_code == 302
    response = second.post(f"/tasks/{draft}", data=form, follow_redirects=True)
    assert "уже выполнена: Егоров Иван Александрович" in response.get_data(as_text=True)
    headers = api_token(second, "kgkh.exec2")
    response = second.post(f"/api/v1/tasks/{draft}/complete", json=form, headers=headers)
    assert response.status_code == 409 and response.json["error"]["code"] == "conflict"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Draft).where(Draft.case_id == case_id)) == 1


def test_simultaneous_completion_has_one_winner(app: Flask, sessions: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    case_id, draft = triaged_case(app)
    barrier = threading.Barrier(2)
    real_run_step = services.tasks.run_step

    def run_step_then_wait(step: Any) -> Any:
        snapshot = real_run_step(step)
        try:  # both requests have read the case and run the engine before either writes
            barrier.wait(timeout=2)
        except threading.BrokenBarrierError:  # SQLite serialises writers: the second could not read yet
            pass
        return snapshot

    monkeypatch.setattr(services.tasks, "run_step", run_step_then_wait)
    results: list[int] = []

    def submit(username: str) -> None:
        client = app.test_client()
        headers = api_token(client, username)
        form = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": f"Ответ от {username}"}
        results.append(client.post(f"/api/v1/tasks/{draft}/complete", json=form, headers=headers).status_code)

    threads = [threading.Thread(target=submit, args=(name,)) for name in ("kgkh.exec1", "kgkh.exec2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 409]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Draft).where(Draft.case_id == case_id)) == 1
        completed = select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "task_completed", CaseEvent.step == "draft")
        assert session.scalar(completed) == 1


def test_api_errors_are_json_with_codes(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/v1/tasks").json["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"}).status_code == 401
    response = client.post("/api/v1/auth/token", json={"username": "curator", "password": "wrong"})
    assert response.status_code == 401 and response.json["error"]["message"]
    headers = api_token(client, "curator")
    assert client.get("/api/v1/tasks/999999", headers=headers).json["error"]["code"] == "not_found"
    response = client.post("/api/v1/messages", data="not json", headers=headers)
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid"
    assert client.get("/api/v1/nothing-here").json["error"]["code"] == "not_found"
    assert client.get("/api/v1/openapi.json").json["openapi"].startswith("3.")


def test_task_form_over_api_validates_like_the_page(app: Flask) -> None:
    _, draft = triaged_case(app)
    client = app.test_client()
    headers = api_token(client, "kgkh.exec1")
    task = client.get(f"/api/v1/tasks/{draft}", headers=headers).json
    assert task["step"] == "draft" and task["form"]["properties"]["reply_kind"]["enum"]
    assert task["due_at"] == "2026-11-24T12:48:00+00:00"
    response = client.post(f"/api/v1/tasks/{draft}/complete", json={"draft_outcome": "draft", "reply_kind": "x"},
                           headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"reply_kind": "Выберите значение из списка",
                                                "reply_text": "Заполните это поле"}


def test_only_the_curator_registers_messages_over_the_api(app: Flask) -> None:
    client = app.test_client()
    for username in ("kdh.exec1", "leader"):
        response = client.post("/api/v1/messages", json=MESSAGE, headers=api_token(client, username))
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_redirects_stay_on_this_site(app: Flask) -> None:
    curator = login(app, "curator")
    earlier = register(curator, url="https://vk.com/wall-1_7")
    for n, back in enumerate(("//evil.example/x", "/\\evil.example", "https://evil.example/")):
        case_id = register(curator, url=f"https://vk.com/wall-1_{100 + n}")
        response = curator.post(f"/cases/{case_id}/links", data={"earlier_id": str(earlier), "back": back})
        assert response.headers["Location"] == f"/cases/{case_id}", back
    client = app.test_client()
    response = client.post("/login?next=//evil.example", data={"username": "curator", "password": "otklik-demo"})
    assert response.headers["Location"] == "/"


def test_every_response_carries_the_security_headers(app: Flask) -> None:
    curator = login(app, "curator")
    client = app.test_client()
    headers = api_token(client, "curator")
    responses = {"page": curator.get("/"), "login page": client.get("/login"),
                 "missing page": curator.get("/nowhere"), "static file": client.get("/static/css/otklik.css"),
                 "api": client.get("/api/v1/tasks", headers=headers), "api error": client.get("/api/v1/tasks")}
    for what, response in responses.items():
        for name, value in SECURITY_HEADERS:
            assert response.headers.get_all(name) == [value], (what, name)
