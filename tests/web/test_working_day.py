"""Issue 14, «Wrong or lost today»: each defect a person met in a working day, reproduced over HTTP."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask

from engine.clock import FixedClock
from tests.conftest import MSK, api_token, login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register
from tests.web.test_regulation import case_json, reply


def triaged(app: Flask, published_at: str = "2026-11-24T08:30", **triage: Any) -> int:
    """A message posted at `published_at`, registered and sent to a body by the curator now."""
    curator = login(app, "curator")
    case_id = register(curator, published_at=published_at)
    task = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{task}", data={**TRIAGE, **triage}).status_code == 302
    return case_id


def test_an_urgent_case_bounds_the_step_deadline_and_the_history_says_so(app: Flask, clock: FixedClock) -> None:
    """Defect 1: sent at 09:00 with high importance, the case is due 13:00 (4 WH) and so is the draft (not 14:48)."""
    clock.set(clock.now().replace(hour=9, tzinfo=MSK))
    case_id = triaged(app, importance="high")
    executor = login(app, "kgkh.exec1")
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    page = executor.get(f"/tasks/{draft}").get_data(as_text=True)
    assert "24.11.2026 14:48" not in page and page.count("24.11.2026 13:00") == 3
    assert "общий срок ответа (п. 8.3): он наступает раньше срока шага" in page
    response = executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                      "reply_text": "Здравствуйте! Ответ."})
    assert response.status_code == 302
    history: list[dict[str, Any]] = case_json(login(app, "curator"), case_id)["history"]
    done = next(e for e in history if e["step"] == "draft")
    assert done["due_at"] == "2026-11-24T10:00:00+00:00" and done["details"]["due_by"] == "case_deadline"
    assert "Срок шага:</span> общий срок ответа" in login(app, "curator").get(f"/cases/{case_id}").get_data(
        as_text=True)


PART = "Подготовка информации органа (п. 8.9)"
DECISION = "Решение об общем ответе (п. 8.9)"


def _part_states(page: str) -> list[str]:
    match = re.search(r'<dd class="case-bodies">(.*?)</dd>', page, re.S)
    assert match, "the summary names no bodies"
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def test_a_common_reply_shows_every_part_the_decision_and_its_comment(app: Flask) -> None:
    """Defects 2, 3, 4: the curator's 8.9 comment reaches the composing body and the history; the composing task
    shows every part; parts stop waiting for the curator once decided; the summary names every body."""
    case_id = triaged(app, bodies=["kdh", "kgkh"], order="sequential")
    roads, housing, curator = login(app, "kdh.exec1"), login(app, "kgkh.exec1"), login(app, "curator")
    assert _part_states(curator.get(f"/cases/{case_id}").get_data(as_text=True)) == [
        "Комитет по дорожному хозяйству · готовит информацию", "Комитет по ЖКХ · ждёт своей очереди"]
    part = open_inbox_task(roads, PART)
    assert roads.post(f"/tasks/{part}", data={"part_outcome": "part", "part_text": "Яму заделаем в пятницу"}) \
        .status_code == 302
    part = open_inbox_task(housing, PART)
    assert housing.post(f"/tasks/{part}", data={"part_outcome": "part", "part_text": "Воду дадут к 16:00"}) \
        .status_code == 302
    decision = open_inbox_task(curator, DECISION)
    page = curator.get(f"/tasks/{decision}").get_data(as_text=True)
    assert 'Общий ответ готовит последний орган: <strong class="choice-note">Комитет по ЖКХ</strong>' in page
    assert "Ждёт решения куратора об общем ответе" in page
    assert curator.post(f"/tasks/{decision}", data={"composer": "last_body",
                                                    "compose_comment": "Начните со сроков подачи воды"}) \
        .status_code == 302

    draft = open_inbox_task(housing, "Подготовка проекта ответа")
    page = housing.get(f"/tasks/{draft}").get_data(as_text=True)
    parts = page[page.index("Информация органов для общего ответа"):page.index('id="task-form"')]
    for text in ("Начните со сроков подачи воды", "Яму заделаем в пятницу", "Воду дадут к 16:00",
                 "Павлова Ольга Дмитриевна", "Егоров Иван Александрович", "Комитет по дорожному хозяйству",
                 "последний орган"):
        assert text in parts, text
    assert "Ждёт решения куратора" not in page and "Куратор решил: последний орган" in page

    case_page = curator.get(f"/cases/{case_id}").get_data(as_text=True)
    assert _part_states(case_page) == ["Комитет по дорожному хозяйству · информация направлена куратору",
                                       "Комитет по ЖКХ · информация направлена куратору"]
    history = case_json(curator, case_id)["history"]
    assert next(e for e in history if e["step"] == "compose_decision")["details"]["compose_comment"] \
        == "Начните со сроков подачи воды"
    assert "Начните со сроков подачи воды" in case_page[case_page.index("История"):]


def test_the_history_names_the_actors_own_body(app: Flask) -> None:
    """Defect 5: the curator approving the housing committee's draft is not shown as «… · Комитет по ЖКХ»."""
    case_id = triaged(app)
    executor, curator = login(app, "kgkh.exec1"), login(app, "curator")
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    assert executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                  "reply_text": "Здравствуйте! Ответ."}).status_code == 302
    approval = open_inbox_task(curator, "Согласование проекта ответа")
    assert curator.post(f"/tasks/{approval}", data={"approval_decision": "approve"}).status_code == 302
    page = curator.get(f"/cases/{case_id}").get_data(as_text=True)
    actors = {re.sub(r"<[^>]+>", "", re.sub(r"<br>\s*", " · ", cell)).strip()
              for cell in re.findall(r'<td class="event-actor">(.*?)</td>', page, re.S)}
    assert actors == {"Смирнова Анна Сергеевна · Управление информационной политики",
                      "Егоров Иван Александрович · Комитет по ЖКХ"}
    history = case_json(curator, case_id)["history"]
    approved = next(e for e in history if e["step"] == "approval")
    assert approved["body"] == "kgkh" and approved["actor_body"] != "kgkh"


def test_the_draft_after_a_clarification_shows_it(app: Flask, clock: FixedClock) -> None:
    """Defect 6: the executor drafting the reply after the author's clarification (7.3) sees what the author said."""
    case_id = triaged(app)
    reply(app, case_id, "clarification")
    curator, executor = login(app, "curator"), login(app, "kgkh.exec1")
    clock.advance(timedelta(hours=2))
    task = open_inbox_task(curator, "Ожидание уточнения от автора (п. 7.3)")
    assert curator.post(f"/tasks/{task}", data={"clarification_text": "Подъезд 2, кв. 15, с понедельника",
                                                "clarification_url": "https://vk.com/wall-1_100?reply=12",
                                                "clarification_at": "2026-11-24T11:50"}).status_code == 302
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    page = executor.get(f"/tasks/{draft}").get_data(as_text=True)
    for text in ("Уточнение автора (п. 7.3)", "Подъезд 2, кв. 15, с понедельника", "Автор ответил 24.11.2026 11:50",
                 'href="https://vk.com/wall-1_100?reply=12"'):
        assert text in page, text


def test_moments_before_the_event_they_follow_are_refused(app: Flask, clock: FixedClock) -> None:
    """Defect 7: a publication before the message was posted, a clarification before the request was published."""
    case_id = triaged(app)  # the message was posted at 08:30
    executor, curator = login(app, "kgkh.exec1"), login(app, "curator")
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    assert executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "clarification",
                                                  "reply_text": "Уточните адрес"}).status_code == 302
    approval = open_inbox_task(curator, "Согласование проекта ответа")
    assert curator.post(f"/tasks/{approval}", data={"approval_decision": "approve"}).status_code == 302
    publication = open_inbox_task(executor, "Публикация ответа")
    early = {"published_url": "https://vk.com/wall-1_100?reply=5", "published_at": "2026-11-24T08:00"}
    page = executor.post(f"/tasks/{publication}", data=early)
    assert page.status_code == 422
    assert re.search(r'data-field="published_at".*?Ответ не может быть опубликован раньше сообщения: оно '
                     r"опубликовано 24.11.2026 08:30", page.get_data(as_text=True), re.S)
    refused = executor.post(f"/api/v1/tasks/{publication}/complete", json=early,
                            headers=api_token(executor, "kgkh.exec1"))
    assert refused.status_code == 422 and "published_at" in refused.json["error"]["fields"]
    assert executor.post(f"/tasks/{publication}", data={**early, "published_at": "2026-11-24T10:05"}) \
        .status_code == 302

    clock.advance(timedelta(hours=1))
    task = open_inbox_task(curator, "Ожидание уточнения от автора (п. 7.3)")
    answer = {"clarification_text": "Подъезд 2", "clarification_at": "2026-11-24T10:00"}
    page = curator.post(f"/tasks/{task}", data=answer)
    assert page.status_code == 422 and "Автор не мог ответить раньше, чем был опубликован запрос уточнения: " \
        "24.11.2026 10:05" in page.get_data(as_text=True)
    page = curator.post(f"/tasks/{task}", data={**answer, "clarification_at": "2026-11-24T12:00"})
    assert page.status_code == 422 and "Время ответа автора не может быть в будущем" in page.get_data(as_text=True)
    assert curator.post(f"/tasks/{task}", data={**answer, "clarification_at": "2026-11-24T10:30"}).status_code == 302
    assert case_json(curator, case_id)["status"] == "open"
