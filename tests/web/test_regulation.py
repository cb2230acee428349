"""Clauses 7.3, 8.8, 8.9 and 8.10 driven over HTTP the way curators and executors do it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import FixedClock
from models import Breach, Draft
from services.timers import fire_due_timers
from tests.conftest import MSK, api_token, login, task_id_from
from tests.web.test_main_path import MESSAGE, TRIAGE, open_inbox_task, register

PUBLISHED = {"published_url": "https://vk.com/wall-1_100?reply=9", "published_at": "2026-11-24T10:00"}


def case_json(client: FlaskClient, case_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/cases/{case_id}", headers=api_token(client, "curator"))
    assert response.status_code == 200
    return dict(response.json)


def reply(app: Flask, case_id: int, kind: str, executor: str = "kgkh.exec1") -> None:
    """Draft, approve and publish one reply of a kind."""
    executor_client, curator = login(app, executor), login(app, "curator")
    draft = open_inbox_task(executor_client, "Подготовка проекта ответа")
    assert executor_client.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": kind,
                                                         "reply_text": "Здравствуйте! Ответ."}).status_code == 302
    approval = open_inbox_task(curator, "Согласование проекта ответа")
    assert curator.post(f"/tasks/{approval}", data={"approval_decision": "approve"}).status_code == 302
    publication = open_inbox_task(executor_client, "Публикация ответа")
    assert executor_client.post(f"/tasks/{publication}", data=PUBLISHED).status_code == 302


def triaged(app: Flask, **triage: Any) -> int:
    curator = login(app, "curator")
    case_id = register(curator)
    task = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{task}", data={**TRIAGE, **triage}).status_code == 302
    return case_id


def test_interim_reply_then_final_within_seven_working_days(app: Flask) -> None:
    case_id = triaged(app)
    reply(app, case_id, "interim")
    data = case_json(login(app, "curator"), case_id)
    assert data["status"] == "open"
    # Interim published Tue 24 Nov 2026: 7 working days -> end of Thu 3 Dec, 18:00 MSK.
    assert data["due_at"] == "2026-12-03T15:00:00+00:00"
    assert data["open_tasks"][0]["step"] == "draft" and data["open_tasks"][0]["due_at"] == data["due_at"]
    reply(app, case_id, "reply")
    data = case_json(login(app, "curator"), case_id)
    assert data["status"] == "closed"
    assert [d["kind"] for d in data["drafts"]] == ["interim", "reply"]
    assert sum(1 for e in data["history"] if e["step"] == "publication") == 2


def test_clarification_waits_for_the_author_without_a_deadline(app: Flask, clock: FixedClock) -> None:
    case_id = triaged(app)
    reply(app, case_id, "clarification")
    curator = login(app, "curator")
    page = curator.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "ждёт уточнения от автора" in page
    data = case_json(curator, case_id)
    # No reply deadline runs; the wait itself ends after `clarification_wait` (5 WD: Tue 1 Dec, 18:00), then the
    # curator decides whether to close the case (issue 14).
    assert data["due_at"] is None and data["open_tasks"][0]["due_at"] == "2026-12-01T15:00:00+00:00"
    clock.advance(timedelta(days=3))  # Fri 27 Nov 2026, 10:00
    task = open_inbox_task(curator, "Ожидание уточнения от автора (п. 7.3)")
    response = curator.post(f"/tasks/{task}", data={"clarification_text": "Подъезд 2, кв. 15",
                                                    "clarification_at": "2026-11-27T09:50"})
    assert response.status_code == 302
    # 2 WH from Fri 10:00 -> 12:00.
    assert case_json(curator, case_id)["due_at"] == "2026-11-27T09:00:00+00:00"


def test_several_bodies_in_turn_and_one_reassigned(app: Flask, clock: FixedClock, sessions: Any) -> None:
    case_id = triaged(app, bodies=["kdh", "kgkh"], order="sequential")
    roads, housing, curator = login(app, "kdh.exec1"), login(app, "kgkh.exec1"), login(app, "curator")
    assert "task-link" not in housing.get("/inbox").get_data(as_text=True), "the second body waits its turn"
    part = open_inbox_task(roads, "Подготовка информации органа (п. 8.9)")
    response = roads.post(f"/tasks/{part}", data={"part_outcome": "not_competent", "not_competent_reason": "не наше"})
    assert response.status_code == 302
    reassign = open_inbox_task(curator, "Назначение другого органа для части ответа")
    assert curator.post(f"/tasks/{reassign}", data={"body": "ktrans"}).status_code == 302
    transport = login(app, "ktrans.exec1")
    part = open_inbox_task(transport, "Подготовка информации органа (п. 8.9)")
    response = transport.post(f"/tasks/{part}", data={"part_outcome": "part", "part_text": "Рейсы добавим"})
    assert response.status_code == 302
    part = open_inbox_task(housing, "Подготовка информации органа (п. 8.9)")
    response = housing.post(f"/tasks/{part}", data={"part_outcome": "part", "part_text": "Воду дадут"})
    assert response.status_code == 302
    decision = open_inbox_task(curator, "Решение об общем ответе (п. 8.9)")
    page = curator.get(f"/tasks/{decision}").get_data(as_text=True)
    assert "Рейсы добавим" in page and "Воду дадут" in page, "the curator sees every part"
    assert curator.post(f"/tasks/{decision}", data={"composer": "last_body"}).status_code == 302
    reply(app, case_id, "reply", executor="kgkh.exec1")
    data = case_json(curator, case_id)
    assert data["status"] == "closed"
    kinds = [(d["kind"], d["decision"]) for d in data["drafts"]]
    assert kinds == [("part", None), ("part", None), ("reply", "approve")]
    with sessions() as session:
        bodies = [d.body.code for d in session.scalars(select(Draft).where(Draft.case_id == case_id)
                                                      .order_by(Draft.number))]
    assert bodies == ["ktrans", "kgkh", "kgkh"]


def test_separate_replies_each_approved_and_published(app: Flask) -> None:
    case_id = triaged(app, bodies=["kdh", "kgkh"], order="parallel")
    clients = {"kdh": login(app, "kdh.exec1"), "kgkh": login(app, "kgkh.exec1")}
    for code, client in clients.items():
        part = open_inbox_task(client, "Подготовка информации органа (п. 8.9)")
        response = client.post(f"/tasks/{part}", data={"part_outcome": "part", "part_text": f"Ответ {code}"})
        assert response.status_code == 302
    curator = login(app, "curator")
    decision = open_inbox_task(curator, "Решение об общем ответе (п. 8.9)")
    assert curator.post(f"/tasks/{decision}", data={"composer": "separate"}).status_code == 302
    for code in ("kdh", "kgkh"):
        approval = open_inbox_task(curator, "Согласование проекта ответа")
        assert f"Ответ {code}" in curator.get(f"/tasks/{approval}").get_data(as_text=True)
        assert curator.post(f"/tasks/{approval}", data={"approval_decision": "approve"}).status_code == 302
        publication = open_inbox_task(clients[code], "Публикация ответа")
        assert clients[code].post(f"/tasks/{publication}", data=PUBLISHED).status_code == 302
    data = case_json(curator, case_id)
    assert data["status"] == "closed"
    assert [d["published_url"] is not None for d in data["drafts"]] == [True, True]


def test_repeat_message_is_linked_and_its_reply_states_measures(app: Flask) -> None:
    first = triaged(app)
    curator = login(app, "curator")
    second = register(curator, url="https://vk.com/wall-1_100?reply=55", text="Опять нет воды!")
    page = curator.get(f"/cases/{second}").get_data(as_text=True)
    assert f'name="earlier_id" value="{first}"' in page and "тот же автор" in page
    assert "та же публикация или ветка" in page
    assert curator.post(f"/cases/{second}/links", data={"earlier_id": str(first)}).status_code == 302
    assert f"/cases/{second}" in curator.get(f"/cases/{first}").get_data(as_text=True), "both cases show the link"
    assert curator.post(f"/cases/{second}/links", data={"earlier_id": str(second)}).status_code == 422
    task_id = task_id_from(curator.get("/inbox").get_data(as_text=True), "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{task_id}", data=TRIAGE).status_code == 302
    executor = login(app, "kgkh.exec1")
    html = executor.get("/inbox").get_data(as_text=True)
    draft = max(int(i) for i in re.findall(r'href="/tasks/(\d+)">Подготовка проекта ответа<', html))
    response = executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                      "reply_text": "Здравствуйте!"})
    assert response.status_code == 422 and "п. 8.10" in response.get_data(as_text=True)
    response = executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                      "reply_text": "Здравствуйте!",
                                                      "measures_taken": "Заменена задвижка, вода подаётся"})
    assert response.status_code == 302
    assert MESSAGE["author"] in page


def test_a_deadline_on_the_fan_out_keeps_the_parts_already_sent(app: Flask, clock: FixedClock,
                                                                  sessions: Any) -> None:
    case_id = triaged(app, bodies=["kdh", "kgkh"], order="parallel")
    roads, housing = login(app, "kdh.exec1"), login(app, "kgkh.exec1")
    part = open_inbox_task(roads, "Подготовка информации органа (п. 8.9)")
    response = roads.post(f"/tasks/{part}", data={"part_outcome": "part", "part_text": "Яму заделаем"})
    assert response.status_code == 302
    # Each part is due 5 WH after the body received it: Tue 10:00 -> 15:48. The housing committee is late.
    clock.set(datetime(2026, 11, 24, 15, 49, tzinfo=MSK))
    assert fire_due_timers(sessions=sessions, clock=clock) == 1
    with sessions() as session:
        breaches = session.scalars(select(Breach).where(Breach.case_id == case_id)).all()
        assert [(b.step, b.clause, b.body_id is not None) for b in breaches] == [("part", "8.9", True)]
    data = case_json(login(app, "curator"), case_id)
    assert [(d["kind"], d["text"]) for d in data["drafts"]] == [("part", "Яму заделаем")], "the sent part is kept"
    part = open_inbox_task(housing, "Подготовка информации органа (п. 8.9)")
    response = housing.post(f"/tasks/{part}", data={"part_outcome": "part", "part_text": "Воду дали"})
    assert response.status_code == 302
    assert open_inbox_task(login(app, "curator"), "Решение об общем ответе (п. 8.9)")


def test_a_late_final_reply_after_an_interim_one_breaks_clause_8_8(app: Flask, clock: FixedClock,
                                                                   sessions: Any) -> None:
    case_id = triaged(app)
    reply(app, case_id, "interim")
    # Interim published Tue 24 Nov: the final reply is due at the end of Thu 3 Dec (18:00 MSK).
    clock.set(datetime(2026, 12, 3, 18, 1, tzinfo=MSK))
    assert fire_due_timers(sessions=sessions, clock=clock) == 1
    with sessions() as session:
        breaches = {(b.step, b.clause) for b in session.scalars(select(Breach).where(Breach.case_id == case_id))}
    assert breaches == {("draft", "8.8"), ("case", "8.8")}


def test_the_completion_answer_names_the_callers_next_tasks(app: Flask) -> None:
    """Over the API, completing a task answers with what the caller's inbox then holds for the case."""
    case_id = triaged(app, bodies=["kdh", "kgkh"], order="parallel")
    people = {name: (login(app, name), api_token(login(app, name), name))
              for name in ("kdh.exec1", "kgkh.exec1", "curator")}

    def complete(name: str, task_name: str, form: dict[str, Any]) -> list[int]:
        client, headers = people[name]
        task = open_inbox_task(client, task_name)
        response = client.post(f"/api/v1/tasks/{task}/complete", json=form, headers=headers)
        assert response.status_code == 200, response.json
        following = [t["id"] for t in response.json["next_tasks"]]
        inbox = client.get(f"/api/v1/tasks?case_id={case_id}", headers=headers).json["tasks"]
        assert following == [t["id"] for t in inbox] and task not in following
        return following

    assert complete("kdh.exec1", "Подготовка информации органа (п. 8.9)",
                    {"part_outcome": "part", "part_text": "Ответ kdh"}) == []
    assert complete("kgkh.exec1", "Подготовка информации органа (п. 8.9)",
                    {"part_outcome": "part", "part_text": "Ответ kgkh"}) == []
    assert len(complete("curator", "Решение об общем ответе (п. 8.9)", {"composer": "separate"})) == 1, \
        "the curator's first approval follows the decision"
    assert complete("curator", "Согласование проекта ответа", {"approval_decision": "approve"}) == [], \
        "the publication is the body's"
