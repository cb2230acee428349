"""Issue 14, «Triage and approval» over HTTP: the bodies' order without JavaScript, Russian date and time input,
fields of one decision, the curator's edit while approving and what the executor sees of it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.clock import FixedClock
from models import Tenant
from services.timers import fire_due_timers
from tests.conftest import MSK, api_token, login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register
from tests.web.test_regulation import case_json, reply

TRIAGE_STEP = "Отбор и классификация сообщения"


def test_the_bodies_go_in_the_order_submitted_without_javascript(app: Flask) -> None:
    """A plain multiple select: the options come in the submitted order, and so do the bodies' turns (8.9)."""
    curator = login(app, "curator")
    case_id = register(curator)
    triage = open_inbox_task(curator, TRIAGE_STEP)
    page = curator.get(f"/tasks/{triage}").get_data(as_text=True)
    assert page.count('name="bodies"') == 1 and 'multiple data-ordered' in page
    # Fields of one decision say so, for the script to hide the others; without it all are there.
    assert re.search(r'data-field="not_subject_ground"\s+data-show-if="triage_decision" data-show-values="not_subject"',
                     page)
    assert re.search(r'data-field="bodies"\s+data-show-if="triage_decision" data-show-values="send"', page)
    assert 'placeholder="дд.мм.гггг чч:мм"' in page and "Формат: дд.мм.гггг чч:мм, время московское (МСК)" in page

    chosen = {**TRIAGE, "bodies": ["ksoc", "kdh"], "order": "sequential"}
    refused = curator.post(f"/tasks/{triage}", data={**chosen, "shortened_due_at": "31.11.2026 12:00"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Такой даты или времени нет: 31.11.2026 12:00; формат дд.мм.гггг чч:мм" in html
    assert re.findall(r'<option value="(\w+)" selected>', html) == ["heating", "gatchinsky", "ksoc", "kdh"]
    assert curator.post(f"/tasks/{triage}", data={**chosen, "shortened_due_at": "24.11.2026 16:00"}) \
        .status_code == 302
    case = case_json(curator, case_id)
    assert case["due_at"] == "2026-11-24T13:00:00+00:00"  # 16:00 Moscow time
    assert [t["body"] for t in case["open_tasks"]] == ["ksoc"], "the first body in the curator's order"


def test_dates_in_russian_or_iso_and_clear_errors(app: Flask) -> None:
    """The API takes ISO, the forms dd.mm.yyyy HH:MM; an impossible or partial moment is refused with the reason."""
    curator = login(app, "curator")
    headers = api_token(curator, "curator")
    register(curator)
    triage = open_inbox_task(curator, TRIAGE_STEP)
    for typed, message in (("24.11.2026", "Укажите и время: дд.мм.гггг чч:мм"),
                           ("завтра", "Введите дату и время в формате дд.мм.гггг чч:мм"),
                           ("24.11.1926 10:00", "Укажите дату и время между 2000 и 2100 годами")):
        response = curator.post(f"/api/v1/tasks/{triage}/complete", headers=headers,
                                json={**TRIAGE, "bodies": ["kgkh"], "shortened_due_at": typed})
        assert response.status_code == 422, typed
        assert response.json["error"]["fields"]["shortened_due_at"].startswith(message), typed
    response = curator.post(f"/api/v1/tasks/{triage}/complete", headers=headers,
                            json={**TRIAGE, "bodies": ["kgkh"], "shortened_due_at": "2026-11-24T15:00:00+03:00"})
    assert response.status_code == 200, response.json


def _to_approval(app: Flask) -> tuple[int, int]:
    curator, executor = login(app, "curator"), login(app, "kgkh.exec1")
    case_id = register(curator)
    assert curator.post(f"/tasks/{open_inbox_task(curator, TRIAGE_STEP)}", data=TRIAGE).status_code == 302
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    assert executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                  "reply_text": "Здравствуйте, Ирина! Воду дадут завтра."}) \
        .status_code == 302
    return case_id, open_inbox_task(curator, "Согласование проекта ответа")


def test_the_curators_edit_is_a_new_version_the_executor_sees(app: Flask) -> None:
    case_id, approval = _to_approval(app)
    curator, executor = login(app, "curator"), login(app, "kgkh.exec1")
    page = curator.get(f"/tasks/{approval}").get_data(as_text=True)
    assert re.search(r'<textarea class="form-control" id="f-approval_text" name="approval_text"[^>]*>'
                     r"Здравствуйте, Ирина! Воду дадут завтра.</textarea>", page)
    too_long = curator.post(f"/tasks/{approval}", data={"approval_decision": "approve", "approval_text": "Ы" * 4097})
    assert too_long.status_code == 422 and len(case_json(curator, case_id)["drafts"]) == 1
    edited = "Здравствуйте, Ирина! Горячую воду дадут сегодня в 16:00."
    assert curator.post(f"/tasks/{approval}", data={"approval_decision": "approve", "approval_text": edited}) \
        .status_code == 302

    drafts = case_json(curator, case_id)["drafts"]
    assert [(d["number"], d["author"], d["decision"]) for d in drafts] == [
        (1, "Егоров Иван Александрович", "edited"), (2, "Смирнова Анна Сергеевна", "approve")]
    assert drafts[1]["text"] == edited

    publication = open_inbox_task(executor, "Публикация ответа")
    page = executor.get(f"/tasks/{publication}").get_data(as_text=True)
    shown = page[page.index('id="publication-text"'):]
    assert shown.startswith(f'id="publication-text">{edited}<') and "Скопировать текст" in page
    assert 'href="https://vk.com/wall-1_100"' in page and "Открыть сообщение в источнике" in page
    changes = page[page.index("Что изменил куратор в версии 1"):]
    # Word by word: what stayed is plain, what went is struck out, what came is marked.
    words = re.findall(r"<(del|ins)[^>]*>([^<]*)</", changes[:changes.index("</p>")])
    assert words == [("del", "Воду"), ("ins", "Горячую воду"), ("del", "завтра."), ("ins", "сегодня в 16:00.")]
    assert "Исправлен куратором при согласовании" in page
    history = case_json(curator, case_id)["history"]
    assert any(e["kind"] == "draft_edited" and e["details"] == {"version": 2} for e in history)


def test_an_unchanged_text_or_an_api_decision_makes_no_new_version(app: Flask) -> None:
    case_id, approval = _to_approval(app)
    curator = login(app, "curator")
    same = "Здравствуйте, Ирина! Воду дадут завтра.\r\n"
    assert curator.post(f"/tasks/{approval}", data={"approval_decision": "return", "approval_comment": "Время?",
                                                    "approval_text": same}).status_code == 302
    assert [d["decision"] for d in case_json(curator, case_id)["drafts"]] == ["return"]


SILENT = "Автор не ответил на запрос уточнения (п. 7.3)"


def test_a_clarification_nobody_answers_ends_with_the_curators_decision(app: Flask, clock: FixedClock,
                                                                        sessions: Any) -> None:
    """7.3: the wait for the author is bounded by `clarification_wait` (here the oblast's own 2 working days); then the
    curator closes the case with «автор не ответил» or waits one more period."""
    admin, curator = login(app, "admin"), login(app, "curator")
    assert admin.post("/admin/deadlines/clarification_wait", data={"value": "2", "unit": "days"}).status_code == 302
    try:
        case_id = register(curator)
        assert curator.post(f"/tasks/{open_inbox_task(curator, TRIAGE_STEP)}", data=TRIAGE).status_code == 302
        reply(app, case_id, "clarification")
        waiting = open_inbox_task(curator, "Ожидание уточнения от автора (п. 7.3)")
        # Published Tue 24 Nov: 2 working days -> Thu 26 Nov, 18:00; the reply's own deadline does not run.
        page = curator.get(f"/tasks/{waiting}").get_data(as_text=True)
        assert "26.11.2026 18:00" in page and case_json(curator, case_id)["due_at"] is None

        clock.set(datetime(2026, 11, 26, 18, 1, tzinfo=MSK))
        assert fire_due_timers(sessions=sessions, clock=clock) == 1
        silent = open_inbox_task(curator, SILENT)
        assert curator.post(f"/tasks/{silent}", data={"silent_decision": "wait"}).status_code == 302
        waiting = open_inbox_task(curator, "Ожидание уточнения от автора (п. 7.3)")
        assert "30.11.2026 18:00" in curator.get(f"/tasks/{waiting}").get_data(as_text=True)  # Fri 27, Mon 30

        clock.set(datetime(2026, 11, 30, 18, 1, tzinfo=MSK))
        assert fire_due_timers(sessions=sessions, clock=clock) == 1
        silent = open_inbox_task(curator, SILENT)
        assert curator.post(f"/tasks/{silent}", data={"silent_decision": "close",
                                                      "silent_comment": "Автор молчит неделю"}).status_code == 302
        case = case_json(curator, case_id)
        assert (case["status"], case["outcome"], case["open_tasks"]) == ("closed", "author_silent_end", [])
        page = curator.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "автор не ответил" in page and "Автор молчит неделю" in page
    finally:
        with sessions() as session:
            for tenant in session.scalars(select(Tenant)):
                tenant.settings = {k: v for k, v in tenant.settings.items() if k != "deadlines"}
            session.commit()
