"""The Governor's posts (clause 7) over HTTP: the curator registers, bodies check, the overview shows who missed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.clock import FixedClock
from models import Breach, Case, HumanTask, MonitoringCheck
from services.timers import fire_due_timers
from tests.conftest import START, login, task_id_from

POST = {"account": "vk", "url": "https://vk.com/wall-12345_500", "published_at": "2026-11-24T09:30",
        "text": "Сегодня обсудили ремонт дорог и отопление в Гатчинском районе", "scope": "chosen",
        "bodies": ["kdh", "kgkh"]}
FIRST = "Мониторинг комментариев: первые 2 рабочих часа (п. 7.2)"
CHECK = "Проверка новых комментариев (п. 7.4)"


def register(curator: FlaskClient, **overrides: Any) -> int:
    """Register a post through the curator's form; returns the post's case id."""
    response = curator.post("/governor/new", data={**POST, **overrides})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def inbox_task(client: FlaskClient, name: str) -> int:
    page = client.get("/inbox")
    assert page.status_code == 200
    return task_id_from(page.get_data(as_text=True), name)


def pill(page: str, body: str) -> str:
    """The overview's status pill of one body."""
    match = re.search(r'<span class="pill[^"]*" data-body="' + body + r'" data-behind="(yes|no)">(.*?)</span>', page,
                      re.S)
    assert match, f"no pill for {body}"
    return match.group(1) + " " + re.sub(r"\s+", " ", match.group(2))


def count(sessions: Any, model: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)))


def test_bodies_check_comments_and_the_curator_sees_who_missed(app: Flask, clock: FixedClock, sessions: Any) -> None:
    curator = login(app, "curator")
    roads = login(app, "kdh.exec1")
    housing = login(app, "kgkh.exec1")
    health = login(app, "kzdrav.exec1")
    form = curator.get("/governor/new").get_data(as_text=True)
    assert 'name="bodies" value="kdh"' in form and 'value="uip"' not in form, "the curator does not monitor itself"
    post_id = register(curator)

    first = inbox_task(roads, FIRST)
    page = roads.get(f"/tasks/{first}").get_data(as_text=True)
    # 2 working hours from the post's publication (09:30), not from its registration (10:00).
    assert "24.11.2026 11:30" in page and "Новых комментариев нет" in page
    assert "task-link" not in health.get("/inbox").get_data(as_text=True), "only the chosen bodies monitor"

    clock.advance(timedelta(minutes=40))
    response = roads.post(f"/tasks/{first}", data={
        "found_links": "https://vk.com/wall-12345_500?reply=11\r\nhttps://vk.com/wall-12345_500?reply=12",
        "answered_links": "https://vk.com/wall-12345_500?reply=13"})
    assert response.status_code == 302
    response = housing.post(f"/tasks/{inbox_task(housing, FIRST)}", data={"nothing_new": "on"})
    assert response.status_code == 302

    # The first interval starts when the first window ends (11:30); the scheduler opens it.
    clock.set(START.replace(hour=11, minute=31))
    assert fire_due_timers(sessions=sessions, clock=clock) == 1
    roads_check = inbox_task(roads, CHECK)
    housing_check = inbox_task(housing, CHECK)
    # 11:30 + 2 WH = 14:18 (lunch 13:00-13:48 does not count).
    assert "24.11.2026 14:18" in roads.get(f"/tasks/{roads_check}").get_data(as_text=True)
    clock.advance(timedelta(minutes=30))
    assert roads.post(f"/tasks/{roads_check}", data={"nothing_new": "on"}).status_code == 302

    # Housing misses the interval: when it ends, the task closes and the breach is recorded.
    clock.set(START.replace(hour=14, minute=19))
    assert fire_due_timers(sessions=sessions, clock=clock) == 1
    response = housing.post(f"/tasks/{housing_check}", data={"nothing_new": "on"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{housing_check}")
    with sessions() as session:
        breaches = session.scalars(select(Breach).where(Breach.case_id == post_id)).all()
        assert [(b.step, b.clause, b.body_id is not None) for b in breaches] == [("governor_check", "7.4", True)]
        checks = session.scalars(select(MonitoringCheck).order_by(MonitoringCheck.id)).all()
        assert [len(c.found_links) for c in checks] == [2, 0, 0]
        assert checks[0].answered_links == ["https://vk.com/wall-12345_500?reply=13"]
        assert [c.nothing_new for c in checks] == [False, True, True]

    overview = curator.get("/governor")
    assert overview.status_code == 200
    page = overview.get_data(as_text=True)
    assert pill(page, "kdh").startswith("no ") and "в срок 2" in pill(page, "kdh")
    assert pill(page, "kgkh").startswith("yes ") and "не проведено 1" in pill(page, "kgkh")
    assert "Не проверили вовремя: Комитет по ЖКХ" in page
    detail = curator.get(f"/governor/{post_id}").get_data(as_text=True)
    assert "https://vk.com/wall-12345_500?reply=11" in detail and "Новых комментариев нет" in detail
    housing_part = detail.split('data-body="kgkh"')[1]
    assert 'data-status="missing"' in housing_part.split("</section>")[0]
    assert detail.count('data-step="governor_check"') == 4, "each body's first and current interval"

    # Executors see the post, but the overview is the curator's.
    assert roads.get("/governor").status_code == 403
    assert roads.get(f"/governor/{post_id}").status_code == 200
    assert health.get(f"/governor/{post_id}").status_code == 404


def test_all_bodies_by_default_and_the_same_link_twice_is_recognised(app: Flask) -> None:
    curator = login(app, "curator")
    post_id = register(curator, scope="all", bodies=[])
    with login(app, "ksoc.exec1") as social:
        inbox_task(social, FIRST)
    with app.extensions["otklik.sessions"]() as session:
        bodies = session.scalars(select(HumanTask.body_id).where(HumanTask.case_id == post_id)).all()
        assert len(set(bodies)) == 6
        assert session.get(Case, post_id).author == "Губернатор Ленинградской области"
    response = curator.post("/governor/new", data={**POST, "url": "https://m.vk.com/wall-12345_500/?utm_source=tg"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/governor/{post_id}")
    assert "уже зарегистрирован" in curator.get(f"/governor/{post_id}").get_data(as_text=True)
    message = curator.post("/cases/new", data={"channel": "vk", "url": "https://vk.com/wall-1_77", "author": "Ирина",
                                                "text": "Когда починят дорогу?", "published_at": "2026-11-24T09:00"})
    assert message.status_code == 302
    response = curator.post("/governor/new", data={**POST, "url": "https://vk.com/wall-1_77"})
    assert response.status_code == 302 and "/cases/" in response.headers["Location"]


def test_bad_registration_is_refused_in_russian_and_changes_nothing(app: Flask, sessions: Any) -> None:
    curator = login(app, "curator")
    response = curator.post("/governor/new", data={"account": "ok", "url": "vk.com/wall-1", "text": "",
                                                   "published_at": "завтра", "scope": "chosen"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("Выберите аккаунт Губернатора", "начинающуюся с http:// или https://",
                    "Вставьте начало текста поста", "Укажите время выхода поста", "Отметьте хотя бы один орган"):
        assert message in page
    response = curator.post("/governor/new", data={**POST, "account": "telegram", "published_at": "2026-11-24T12:00",
                                                   "bodies": ["kdh", "mvd"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ссылка должна вести на пост в аккаунте Telegram" in page and "Время выхода поста не может быть в будущем" \
        in page and "Выберите органы из списка" in page
    response = curator.post("/governor/new", data={**POST, "published_at": "2026-11-17T09:30"})
    assert response.status_code == 422 and "Пост вышел слишком давно" in response.get_data(as_text=True)
    assert count(sessions, Case) == 0 and count(sessions, HumanTask) == 0
    assert login(app, "kdh.exec1").get("/governor/new").status_code == 403


def test_bad_check_is_refused_and_the_task_stays_open(app: Flask, sessions: Any) -> None:
    curator = login(app, "curator")
    register(curator)
    roads = login(app, "kdh.exec1")
    first = inbox_task(roads, FIRST)
    cases = [
        ({}, "Заполните это поле"),
        ({"found_links": "vk.com/wall-1?reply=1"}, "каждая начинается с http:// или https://"),
        ({"found_links": "https://vk.com/wall-1?reply=1", "nothing_new": "on"}, "оставьте поле пустым"),
    ]
    for data, message in cases:
        response = roads.post(f"/tasks/{first}", data=data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert count(sessions, MonitoringCheck) == 0
    assert inbox_task(roads, FIRST) == first
