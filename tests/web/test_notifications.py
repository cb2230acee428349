"""The notification centre over HTTP: who hears of a new task, a returned draft, deadlines and clause 14."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import FixedClock
from engine.texts import Text
from models import Body, Case, CaseEvent, Notification, User
from services.timers import fire_due_timers
from tests.conftest import login
from tests.test_scheduler import DRAFT_DUE, DRAFT_WARNING, SECOND
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

DRAFT = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Воду дадут сегодня."}
KGKH_EXECUTORS = ["kgkh.exec1", "kgkh.exec2"]
CURATORS = ["curator", "curator2"]


def told(sessions: Callable[[], Session], kind: str) -> list[str]:
    """Usernames notified of `kind`, sorted."""
    with sessions() as session:
        return sorted(session.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                                      .where(Notification.kind == kind)))


def texts(sessions: Callable[[], Session], username: str, kind: str) -> list[str]:
    """What one person was told of `kind` (in Russian, as the e-mail says it), oldest first."""
    with sessions() as session:
        rows = session.execute(select(Notification.text, Notification.params)
                               .join(User, Notification.user_id == User.id)
                               .where(User.username == username, Notification.kind == kind).order_by(Notification.id))
        return [str(Text.restored(text, params)) for text, params in rows]


def badge(page: str) -> str:
    """The unread counter in the header, empty when there is nothing unread."""
    match = re.search(r'<span id="unread-badge"[^>]*>(.*?)</span></a>', page, re.S)
    assert match, "no badge in the header"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_each_step_tells_the_people_who_do_the_next(app: Flask, sessions: Any) -> None:
    curator = login(app, "curator")
    case_id = register(curator)
    # The curator who registered the message needs no notice of the triage task; the other curator does.
    assert told(sessions, "new_task") == ["curator2"]
    assert texts(sessions, "curator2", "new_task") == [f"Новая задача «Отбор и классификация сообщения» по случаю "
                                                       f"№ {case_id}"]

    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data=TRIAGE).status_code == 302
    assert told(sessions, "new_task") == sorted(["curator2", *KGKH_EXECUTORS]), "the executors, not the official"
    assert texts(sessions, "kgkh.exec1", "new_task") == [
        f"Новая задача «Подготовка проекта ответа» по случаю № {case_id}, срок 24.11.2026 15:48"]

    executor = login(app, "kgkh.exec1")
    assert executor.post(f"/tasks/{open_inbox_task(executor, 'Подготовка проекта ответа')}",
                         data=DRAFT).status_code == 302
    assert texts(sessions, "curator", "new_task") == [f"Новая задача «Согласование проекта ответа» по случаю "
                                                      f"№ {case_id}, срок 24.11.2026 11:00"]

    approval = open_inbox_task(curator, "Согласование проекта ответа")
    response = curator.post(f"/tasks/{approval}", data={"approval_decision": "return",
                                                        "approval_comment": "Укажите время подачи воды"})
    assert response.status_code == 302
    # The rework goes back to the executor who wrote the draft: one notice, with the curator's comment.
    assert told(sessions, "draft_returned") == ["kgkh.exec1"]
    assert texts(sessions, "kgkh.exec1", "draft_returned") == [
        f"Проект ответа по случаю № {case_id} возвращён на доработку: Укажите время подачи воды"]
    assert not any("Доработка" in text for text in texts(sessions, "kgkh.exec1", "new_task"))


def test_several_bodies_at_once_tell_each_body_s_executors(app: Flask, sessions: Any) -> None:
    curator = login(app, "curator")
    register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    bodies = {"bodies": ["kdh", "kgkh", "kzdrav"], "order": "parallel"}
    assert curator.post(f"/tasks/{triage}", data={**TRIAGE, **bodies}).status_code == 302
    with sessions() as session:
        executors = list(session.scalars(select(User.username).join(Body, User.body_id == Body.id).where(
            Body.code.in_(bodies["bodies"]), User.role == "executor", User.active)))
    assert {f"{code}.exec{n}" for code in bodies["bodies"] for n in (1, 2)} <= set(executors)
    assert told(sessions, "new_task") == sorted(["curator2", *executors]), "each body's executors, nobody else"
    assert all(len(texts(sessions, username, "new_task")) == 1 for username in executors)


def test_deadline_warning_escalation_and_breach(app: Flask, clock: FixedClock, sessions: Any) -> None:
    curator = login(app, "curator")
    case_id = register(curator)
    assert curator.post(f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}",
                        data=TRIAGE).status_code == 302

    clock.set(DRAFT_WARNING + SECOND)
    assert fire_due_timers(sessions=sessions, clock=clock) == 1
    assert told(sessions, "deadline_warning") == KGKH_EXECUTORS
    assert told(sessions, "escalation") == ["kgkh.resp"], "the responsible official's copy has its own kind"
    assert texts(sessions, "kgkh.resp", "escalation") == [
        f"Подходит срок в органе «Комитет по ЖКХ»: случай № {case_id}, шаг «Подготовка проекта ответа», "
        f"срок 24.11.2026 15:48"]
    assert told(sessions, "overdue") == []

    clock.set(DRAFT_DUE + SECOND)
    assert fire_due_timers(sessions=sessions, clock=clock) == 1
    assert told(sessions, "overdue") == sorted([*KGKH_EXECUTORS, "kgkh.resp", *CURATORS])
    assert texts(sessions, "curator", "overdue") == [
        f"Срок нарушен (п. 8.4): случай № {case_id}, шаг «Подготовка проекта ответа», срок был 24.11.2026 15:48"]


def test_socially_significant_message_reaches_the_leadership_at_once(app: Flask, sessions: Any) -> None:
    curator = login(app, "curator")
    case_id = register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    form = curator.get(f"/tasks/{triage}").get_data(as_text=True)
    assert "Общественно значимое (п. 14): сообщить руководству немедленно" in form
    assert 'name="socially_significant" type="checkbox"' in form

    response = curator.post(f"/tasks/{triage}", data={**TRIAGE, "socially_significant": "on"})
    assert response.status_code == 302
    assert told(sessions, "socially_significant") == ["leader"]
    assert texts(sessions, "leader", "socially_significant")[0].startswith(
        f"Общественно значимое сообщение (п. 14), случай № {case_id}: Ирина Петрова, ВКонтакте, "
        "https://vk.com/wall-1_100 — «Нет горячей воды третий день")
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.socially_significant
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                         CaseEvent.kind == "leadership_notified")).all()
        assert [(e.actor_name, e.details) for e in events] == [
            ("Смирнова Анна Сергеевна", {"notified": "Лебедев Игорь Викторович"})]

    leader = login(app, "leader")
    page = leader.get("/notifications/").get_data(as_text=True)
    assert badge(page) == "1"
    assert "Общественно значимое" in page
    assert re.search(r'<a href="/notifications/\d+/open">Общественно значимое сообщение', page)


def test_an_ordinary_triage_tells_no_leader(app: Flask, sessions: Any) -> None:
    curator = login(app, "curator")
    case_id = register(curator)
    assert curator.post(f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}",
                        data=TRIAGE).status_code == 302
    assert told(sessions, "socially_significant") == []
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and not case.socially_significant


def test_the_centre_lists_marks_read_and_counts(app: Flask, sessions: Any) -> None:
    curator = login(app, "curator")
    case_id = register(curator)
    register(curator, url="https://vk.com/wall-1_101")
    other = login(app, "curator2")

    page = other.get("/notifications/").get_data(as_text=True)
    assert badge(page) == "2"
    rows = re.findall(r'<tr class="(unread|read) kind-(\w+)" data-id="(\d+)">', page)
    assert [(state, kind) for state, kind, _ in rows] == [("unread", "new_task")] * 2
    newest, oldest = (int(number) for _, _, number in rows)
    assert newest > oldest, "newest first"
    assert other.get("/notifications/badge").get_data(as_text=True) == '<span class="pill overdue">2</span>'

    # Following the link marks the notification read and leads to its case.
    response = other.get(f"/notifications/{oldest}/open")
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case_id}"
    assert badge(other.get("/inbox").get_data(as_text=True)) == "1"

    # Someone else's notification is not there for this person.
    assert curator.post(f"/notifications/{newest}/read").status_code == 404
    assert curator.get(f"/notifications/{newest}/open").status_code == 404

    assert other.post(f"/notifications/{newest}/read").status_code == 302
    assert other.get("/notifications/badge").get_data(as_text=True) == ""

    register(curator, url="https://vk.com/wall-1_102")
    register(curator, url="https://vk.com/wall-1_103")
    assert badge(other.get("/cases/").get_data(as_text=True)) == "2"
    response = other.post("/notifications/read", follow_redirects=True)
    assert "Отмечено прочитанными: 2" in response.get_data(as_text=True)
    page = other.get("/notifications/").get_data(as_text=True)
    assert badge(page) == "" and 'class="unread' not in page and page.count('class="read kind-new_task"') == 4


def test_badge_polling_stops_when_logged_out(app: Flask) -> None:
    response = app.test_client().get("/notifications/badge")
    assert response.status_code == 286 and response.get_data(as_text=True) == ""
    assert app.test_client().get("/notifications/").status_code == 302
