"""Absences and substitutes (clause 6) over HTTP: who gets a body's task, what the history says, who may do it."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import FixedClock
from engine.texts import restored_note
from models import CaseEvent, User
from scheduler import _sweep
from services.absences import short_name
from tests.conftest import MSK, api_token, login, task_id_from
from tests.web.test_language import _text
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

EGOROV = "kgkh.exec1"  # Егоров Иван Александрович
KOZLOVA = "kgkh.exec2"  # Козлова Татьяна Юрьевна
RESPONSIBLE = "kgkh.resp"  # Фёдорова Марина Викторовна
DRAFT = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Воду дадут сегодня."}
REWORK = "Доработка проекта ответа"
INSTEAD = "Назначено Козловой Т. Ю. вместо Егорова И. А. (отпуск до 30.11.2026)"


def user_id(sessions: Callable[[], Session], username: str) -> int:
    """A demo person's id."""
    with sessions() as session:
        found = session.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found


def absence(sessions: Callable[[], Session], person: str = EGOROV, substitute: str = KOZLOVA,
            **fields: str) -> dict[str, Any]:
    """The add form as the responsible official fills it in: a leave from today to Monday 30.11."""
    return {"user": user_id(sessions, person), "kind": "leave", "starts_on": "2026-11-24", "ends_on": "2026-11-30",
            "substitute": user_id(sessions, substitute), "reason": "Приказ № 15-о", **fields}


def drafted(app: Flask) -> int:
    """A case sent to the housing committee whose draft Егоров wrote; returns the case id."""
    curator = login(app, "curator")
    case_id = register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data=TRIAGE).status_code == 302
    egorov = login(app, EGOROV)
    assert egorov.post(f"/tasks/{open_inbox_task(egorov, 'Подготовка проекта ответа')}", data=DRAFT).status_code == 302
    return case_id


def returned(app: Flask) -> int:
    """The curator returns the draft for rework; returns the rework task id, as the responsible official sees it."""
    curator = login(app, "curator")
    approval = open_inbox_task(curator, "Согласование проекта ответа")
    response = curator.post(f"/tasks/{approval}", data={"approval_decision": "return", "approval_comment": "Точнее"})
    assert response.status_code == 302
    return open_inbox_task(login(app, RESPONSIBLE), REWORK)


def in_inbox(client: FlaskClient, task_id: int) -> bool:
    """Whether the task is in the person's inbox."""
    return f'href="/tasks/{task_id}"' in client.get("/inbox").get_data(as_text=True)


def notes(sessions: Callable[[], Session], case_id: int) -> list[tuple[str, str]]:
    """(kind, text in Russian) of the case's assignment entries, oldest first."""
    with sessions() as session:
        rows = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                       CaseEvent.kind.in_(("assigned", "reassigned")))
                               .order_by(CaseEvent.id))
        return [(e.kind, str(restored_note(e.details["assignment"]))) for e in rows]


def test_rework_goes_to_the_drafter_or_while_away_to_the_substitute(app: Flask, sessions: Any) -> None:
    responsible, egorov, kozlova = login(app, RESPONSIBLE), login(app, EGOROV), login(app, KOZLOVA)
    page = responsible.get("/absences")
    assert page.status_code == 200 and "Отсутствия" in page.get_data(as_text=True)
    assert "Егоров Иван Александрович" in page.get_data(as_text=True)

    # Present: the rework goes back to the one who drafted, and only to him.
    case_id = drafted(app)
    rework = returned(app)
    assert in_inbox(egorov, rework) and not in_inbox(kozlova, rework)
    assert notes(sessions, case_id) == []
    assert kozlova.post(f"/tasks/{rework}", data={"reply_kind": "reply"}).status_code == 403
    assert egorov.post(f"/tasks/{rework}", data={"reply_kind": "reply", "reply_text": "Воду дадут в 16:00."}) \
        .status_code == 302

    # Away from today: the responsible official records the leave; the next task goes to the substitute.
    response = responsible.post("/absences", data=absence(sessions), follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Отсутствие добавлено: Егоров Иван Александрович" in text
    assert "30.11.2026" in text and "Козлова Татьяна Юрьевна" in text
    rework2 = returned(app)
    assert in_inbox(kozlova, rework2) and not in_inbox(egorov, rework2)
    assert notes(sessions, case_id) == [("assigned", INSTEAD)]
    case_page = login(app, "curator").get(f"/cases/{case_id}").get_data(as_text=True)
    assert INSTEAD in case_page and "Козлова Татьяна Юрьевна" in case_page
    assert "Козлова Татьяна Юрьевна" in kozlova.get(f"/tasks/{rework2}").get_data(as_text=True)


def test_open_tasks_move_when_the_absence_starts(app: Flask, clock: FixedClock, sessions: Any) -> None:
    responsible, egorov, kozlova = login(app, RESPONSIBLE), login(app, EGOROV), login(app, KOZLOVA)
    case_id = drafted(app)
    rework = returned(app)
    assert in_inbox(egorov, rework)

    response = responsible.post("/absences", data=absence(sessions, starts_on="2026-11-25", kind="illness"),
                                follow_redirects=True)
    assert "Передано замещающему" not in response.get_data(as_text=True), "a future absence moves nothing yet"
    _sweep(app)
    assert in_inbox(egorov, rework) and notes(sessions, case_id) == []

    clock.set(datetime(2026, 11, 25, 0, 5, tzinfo=MSK))
    _sweep(app)
    assert in_inbox(kozlova, rework) and not in_inbox(egorov, rework)
    moved = "Назначено Козловой Т. Ю. вместо Егорова И. А. (болезнь до 30.11.2026)"
    assert notes(sessions, case_id) == [("assigned", moved)]
    _sweep(app)
    assert notes(sessions, case_id) == [("assigned", moved)], "a second sweep moves nothing again"


def test_an_absence_from_today_moves_open_tasks_at_once_and_ends_early(app: Flask, clock: FixedClock,
                                                                      sessions: Any) -> None:
    responsible, egorov, kozlova = login(app, RESPONSIBLE), login(app, EGOROV), login(app, KOZLOVA)
    case_id = drafted(app)
    rework = returned(app)
    response = responsible.post("/absences", data=absence(sessions), follow_redirects=True)
    assert "Передано замещающему открытых задач: 1" in response.get_data(as_text=True)
    assert in_inbox(kozlova, rework) and not in_inbox(egorov, rework)
    assert notes(sessions, case_id) == [("assigned", INSTEAD)]

    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=MSK))
    page = responsible.get("/absences").get_data(as_text=True)
    absence_id = int(page.split('action="/absences/', 1)[1].split("/end", 1)[0])
    response = responsible.post(f"/absences/{absence_id}/end", follow_redirects=True)
    assert "Отсутствие завершено: Егоров И. А. снова на месте" in response.get_data(as_text=True)
    assert 'action="/absences/' not in response.get_data(as_text=True)
    assert in_inbox(kozlova, rework), "tasks already passed on stay with the substitute"

    response = responsible.post("/absences", data=absence(sessions, starts_on="2026-12-01", ends_on="2026-12-04"),
                                follow_redirects=True)
    assert "Отменить" in response.get_data(as_text=True)
    future = int(response.get_data(as_text=True).split('action="/absences/', 1)[1].split("/end", 1)[0])
    response = responsible.post(f"/absences/{future}/end", follow_redirects=True)
    assert "Отсутствие отменено: Егоров И. А." in response.get_data(as_text=True)


def test_substitute_away_too_leaves_the_task_to_the_body_queue(app: Flask, sessions: Any) -> None:
    responsible, kozlova = login(app, RESPONSIBLE), login(app, KOZLOVA)
    case_id = drafted(app)
    assert responsible.post("/absences", data=absence(sessions)).status_code == 302
    assert responsible.post("/absences", data=absence(sessions, person=KOZLOVA, substitute=EGOROV,
                                                      kind="business_trip")).status_code == 302
    rework = returned(app)
    assert in_inbox(kozlova, rework) and in_inbox(login(app, "kgkh.exec1"), rework)
    assert notes(sessions, case_id) == [
        ("assigned", "Передано в очередь органа вместо Егорова И. А. (отпуск до 30.11.2026): "
                     "замещающие тоже отсутствуют")]


def test_executor_sees_own_and_queue_tasks_only(app: Flask, sessions: Any) -> None:
    egorov, kozlova, responsible = login(app, EGOROV), login(app, KOZLOVA), login(app, RESPONSIBLE)
    case_id = drafted(app)
    rework = returned(app)
    assert in_inbox(egorov, rework) and not in_inbox(kozlova, rework) and in_inbox(responsible, rework)
    page = kozlova.get(f"/tasks/{rework}").get_data(as_text=True)
    assert "Задача назначена другому исполнителю" in page and "Егоров Иван Александрович" in page
    assert "Передать задачу" not in page and "Передать задачу" not in kozlova.get(f"/cases/{case_id}").get_data(
        as_text=True)
    response = kozlova.post(f"/tasks/{rework}", data={"reply_kind": "reply", "reply_text": "Мой вариант"})
    assert response.status_code == 403
    assert "Задача назначена Егорову И. А.: выполнить её может он или ответственное лицо органа" in \
        response.get_data(as_text=True)
    assert kozlova.get("/absences").status_code == 403
    assert login(app, "curator").get("/absences").status_code == 403
    # The body's responsible official may do any open task of the body.
    response = responsible.post(f"/tasks/{rework}", data={"reply_kind": "reply", "reply_text": "Воду дадут в 16:00."})
    assert response.status_code == 302


def test_responsible_passes_a_task_on_and_back_to_the_queue(app: Flask, sessions: Any) -> None:
    egorov, kozlova, responsible = login(app, EGOROV), login(app, KOZLOVA), login(app, RESPONSIBLE)
    case_id = drafted(app)
    rework = returned(app)
    page = responsible.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Передать задачу" in page and f'action="/tasks/{rework}/assignee"' in page
    assert "Передать задачу" in responsible.get(f"/tasks/{rework}").get_data(as_text=True)

    kozlova_id = user_id(sessions, KOZLOVA)
    response = responsible.post(f"/tasks/{rework}/assignee", data={"assignee": kozlova_id, "case": case_id})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case_id}")
    assert in_inbox(kozlova, rework) and not in_inbox(egorov, rework)
    response = responsible.post(f"/tasks/{rework}/assignee", data={"assignee": ""}, follow_redirects=True)
    assert "Задача «Доработка проекта ответа» передана: очередь органа" in response.get_data(as_text=True)
    assert in_inbox(kozlova, rework) and in_inbox(egorov, rework)
    with sessions() as session:
        event = session.scalar(select(CaseEvent).where(CaseEvent.kind == "reassigned").order_by(CaseEvent.id))
        assert event is not None and event.actor_name == "Фёдорова Марина Викторовна"
    assert notes(sessions, case_id) == [("reassigned", "Передано Козловой Т. Ю. вместо Егорова И. А."),
                                        ("reassigned", "Возвращено в очередь органа от Козловой Т. Ю.")]

    # Refused: the same again, someone of another body, an absent executor; executors and other bodies may not.
    response = responsible.post(f"/tasks/{rework}/assignee", data={"assignee": ""}, follow_redirects=True)
    assert "Задача уже в очереди органа" in response.get_data(as_text=True)
    response = responsible.post(f"/tasks/{rework}/assignee", data={"assignee": user_id(sessions, "kdh.exec1")},
                                follow_redirects=True)
    assert "Выберите исполнителя органа из списка" in response.get_data(as_text=True)
    assert responsible.post("/absences", data=absence(sessions)).status_code == 302
    response = responsible.post(f"/tasks/{rework}/assignee", data={"assignee": user_id(sessions, EGOROV)},
                                follow_redirects=True)
    assert "Егоров И. А. отсутствует (отпуск до 30.11.2026)" in response.get_data(as_text=True)
    assert egorov.post(f"/tasks/{rework}/assignee", data={"assignee": kozlova_id}).status_code == 403
    assert login(app, "kdh.resp").post(f"/tasks/{rework}/assignee", data={"assignee": ""}).status_code == 404
    assert len(notes(sessions, case_id)) == 2


BAD_INPUT = [
    ({"ends_on": "2026-11-20", "starts_on": "2026-11-25"}, "Дата окончания не может быть раньше даты начала"),
    ({"ends_on": "2026-11-23", "starts_on": "2026-11-16"}, "Отсутствие уже закончилось"),
    ({"starts_on": "завтра"}, "Укажите дату начала"),
    ({"substitute": EGOROV}, "Сотрудник не может замещать сам себя"),
    ({"substitute": "kdh.exec1"}, "Замещающий должен быть действующим сотрудником того же органа"),
    ({"person": "kdh.exec1", "substitute": "kdh.exec2"}, "Выберите сотрудника из списка"),
    ({"kind": "vacation"}, "Выберите причину отсутствия"),
    ({"reason": "x" * 301}, "Основание: не более 300 символов"),
]


@pytest.mark.parametrize(("change", "message"), BAD_INPUT)
def test_bad_absences_are_refused_with_reasons(app: Flask, sessions: Any, change: dict[str, str],
                                               message: str) -> None:
    response = login(app, RESPONSIBLE).post("/absences", data=absence(sessions, **change))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Отсутствие не добавлено: исправьте поля" in text and message in text


def test_overlapping_absence_is_refused_and_admin_sees_every_body(app: Flask, sessions: Any) -> None:
    responsible = login(app, RESPONSIBLE)
    assert responsible.post("/absences", data=absence(sessions)).status_code == 302
    response = responsible.post("/absences", data=absence(sessions, starts_on="2026-11-30", ends_on="2026-12-02"))
    assert response.status_code == 422
    assert "У Егорова И. А. уже есть отсутствие в эти дни: отпуск с 24.11.2026 по 30.11.2026" in \
        response.get_data(as_text=True)
    assert "Павлова Ольга Дмитриевна" not in responsible.get("/absences").get_data(as_text=True)
    admin = login(app, "admin")
    page = admin.get("/absences").get_data(as_text=True)
    assert "Павлова Ольга Дмитриевна" in page and "Егоров Иван Александрович" in page and "Приказ № 15-о" in page
    response = admin.post("/absences", data=absence(sessions, person="kdh.exec1", substitute="kdh.exec2"))
    assert response.status_code == 302
    assert "Новиков Сергей Петрович" in admin.get("/absences").get_data(as_text=True)


@pytest.mark.parametrize(("full_name", "genitive", "dative"), [
    ("Егоров Иван Александрович", "Егорова И. А.", "Егорову И. А."),
    ("Козлова Татьяна Юрьевна", "Козловой Т. Ю.", "Козловой Т. Ю."),
    ("Соловьёва Ирина Олеговна", "Соловьёвой И. О.", "Соловьёвой И. О."),
    ("Достоевский Фёдор Михайлович", "Достоевского Ф. М.", "Достоевскому Ф. М."),
    ("Толстая Татьяна Никитична", "Толстой Т. Н.", "Толстой Т. Н."),
    ("Гоголь Николай Васильевич", "Гоголя Н. В.", "Гоголю Н. В."),
    ("Черных Анна Павловна", "Черных А. П.", "Черных А. П."),
    ("Шевченко Тарас Григорьевич", "Шевченко Т. Г.", "Шевченко Т. Г."),
    ("Цой Виктор Робертович", "Цоя В. Р.", "Цою В. Р."),
])
def test_names_in_the_history_are_declined(full_name: str, genitive: str, dative: str) -> None:
    assert (short_name(full_name, "gen"), short_name(full_name, "dat")) == (genitive, dative)


def test_task_page_shows_the_queue_before_anyone_drafts(app: Flask) -> None:
    curator = login(app, "curator")
    register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data=TRIAGE).status_code == 302
    kozlova = login(app, KOZLOVA)
    draft = task_id_from(kozlova.get("/inbox").get_data(as_text=True), "Подготовка проекта ответа")
    assert "очередь органа" in kozlova.get(f"/tasks/{draft}").get_data(as_text=True)
    assert in_inbox(login(app, EGOROV), draft)


def test_assignment_notes_read_in_each_readers_language(app: Flask, sessions: Any) -> None:
    """Issue 14, defect 10: the history keeps each assignment note's msgid and parameters, so the curator reads it in
    English and the body's people in Russian; the API answers in the language it is asked for."""
    responsible, english, russian = login(app, RESPONSIBLE), login(app, "curator"), login(app, KOZLOVA)
    case_id = drafted(app)
    assert responsible.post("/absences", data=absence(sessions)).status_code == 302
    rework = returned(app)
    assert english.post("/lang/en").status_code == 302  # after the steps: the curator's next login reads English
    kozlova_id = user_id(sessions, KOZLOVA)
    assert responsible.post(f"/tasks/{rework}/assignee", data={"assignee": ""}).status_code == 302
    assert responsible.post(f"/tasks/{rework}/assignee", data={"assignee": kozlova_id}).status_code == 302

    page = html.unescape(_text(english.get(f"/cases/{case_id}").get_data(as_text=True)))
    # Names keep their Russian spelling; English does not decline them: the nominative.
    for note in ("Assignment: Assigned to Козлова Т. Ю. instead of Егоров И. А. (leave until 30.11.2026)",
                 "Assignment: Returned to the body's queue from Козлова Т. Ю.",
                 "Assignment: Passed to Козлова Т. Ю. from the body's queue"):
        assert note in page, note
    assert "Назначено" not in page and "Передано" not in page
    page = html.unescape(_text(russian.get(f"/cases/{case_id}").get_data(as_text=True)))
    for note in (f"Назначение: {INSTEAD}", "Назначение: Возвращено в очередь органа от Козловой Т. Ю.",
                 "Назначение: Передано Козловой Т. Ю. из очереди органа"):
        assert note in page, note
    assert notes(sessions, case_id)[0] == ("assigned", INSTEAD)

    client = app.test_client()
    bearer = api_token(client, "curator")
    for headers, instead in (({**bearer, "Accept-Language": "en"}, "Assigned to Козлова Т. Ю. instead of Егоров "
                                                                   "И. А. (leave until 30.11.2026)"),
                             (bearer, INSTEAD)):
        history = client.get(f"/api/v1/cases/{case_id}", headers=headers).json["history"]
        assert next(e["details"]["assignment"] for e in history if e["kind"] == "assigned") == instead


def test_absence_pages_and_messages_in_english(app: Flask, sessions: Any) -> None:
    case_id = drafted(app)
    rework = returned(app)
    responsible, egorov = login(app, RESPONSIBLE), login(app, EGOROV)
    assert responsible.post("/lang/en").status_code == 302  # after the steps: their next login reads English
    page = responsible.get("/absences").get_data(as_text=True)
    assert ">Leave<" in page and ">Business trip<" in page and "Командировка" not in page
    refused = responsible.post("/absences", data=absence(sessions, substitute=EGOROV)).get_data(as_text=True)
    assert "An employee cannot substitute for themselves" in html.unescape(refused)

    response = responsible.post(f"/tasks/{rework}/assignee", data={"assignee": "", "case": case_id},
                                follow_redirects=True)
    assert "Task “Rework of the draft reply” passed to: body's queue" in html.unescape(response.get_data(as_text=True))
    assert egorov.post(f"/tasks/{rework}/assignee", data={"assignee": ""}).status_code == 403

    response = responsible.post("/absences", data=absence(sessions), follow_redirects=True)
    absence_id = int(response.get_data(as_text=True).split('action="/absences/', 1)[1].split("/end", 1)[0])
    response = responsible.post(f"/absences/{absence_id}/end", follow_redirects=True)
    assert "Absence cancelled: Егоров И. А." in response.get_data(as_text=True)
