"""The leaders' dashboard: open, due within the hour and overdue by body and person, each number listing its cases;
clause-14 events reach the leaders in-app and by e-mail and stay until a leader acknowledges them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from engine.clock import FixedClock
from models import Notification, OutboxMessage, Tenant, User
from tests.conftest import MSK, login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register
from tests.web.test_register import sent_to


def listed(client: Any, url: str) -> set[int]:
    """The case numbers a cases list links to."""
    return {int(n) for n in re.findall(r'<td><a href="/cases/(\d+)">', client.get(url).get_data(as_text=True))}


def number(page: str, tile: str) -> int:
    match = re.search(rf'data-tile="{tile}"[^>]*><span class="number">(\d+)', page)
    assert match, tile
    return int(match.group(1))


def test_numbers_and_the_cases_behind_them(app: Flask, clock: FixedClock) -> None:
    housing = sent_to(app, "kgkh", "https://vk.com/wall-1_601")  # draft due 15:48
    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=MSK))
    roads = sent_to(app, "kdh", "https://vk.com/wall-1_602")  # draft due Wed 9:48 (5 WH from 12:00)
    executor = login(app, "kdh.exec1")
    executor.get(f"/tasks/{open_inbox_task(executor, 'Подготовка проекта ответа')}")
    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=MSK))  # housing is due within the hour
    leader = login(app, "leader")
    assert leader.get("/").headers["Location"] == "/dashboard/"
    page = leader.get("/dashboard/").get_data(as_text=True)
    assert (number(page, "open"), number(page, "due_soon"), number(page, "overdue")) == (2, 1, 0)
    assert number(page, "received") == 2 and number(page, "answered") == 0
    assert listed(leader, "/cases/?lens=due_soon") == {housing}
    assert listed(leader, "/cases/?lens=open") == {housing, roads}
    assert listed(leader, "/cases/?lens=due_soon&body=kgkh&person=0") == {housing}, "the body's queue"
    assert listed(leader, "/cases/?lens=due_soon&body=kdh") == set()

    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=MSK))  # both overdue now
    page = leader.get("/dashboard/panel").get_data(as_text=True)
    assert (number(page, "open"), number(page, "due_soon"), number(page, "overdue")) == (2, 0, 2)
    assert listed(leader, "/cases/?lens=overdue&body=kgkh") == {housing}
    assert "Комитет по ЖКХ" in page and "не назначен (очередь)" in page
    assert login(app, "kgkh.exec1").get("/dashboard/").status_code == 403
    assert leader.get("/cases/?lens=nonsense").status_code == 422
    assert leader.get("/cases/?lens=open&person=x").status_code == 400


@pytest.fixture
def surge_of_two(app: Flask, sessions: Any) -> Iterator[None]:
    """Two messages on one theme within three hours make a surge (the demo leader has an e-mail address)."""
    with sessions() as session:
        saved = {t.id: t.settings for t in session.scalars(select(Tenant))}
        for tenant in session.scalars(select(Tenant)):
            tenant.settings = {**(tenant.settings or {}), "surge_threshold": 2}
        session.commit()
    yield
    with sessions() as session:
        for tenant in session.scalars(select(Tenant)):
            tenant.settings = saved[tenant.id]
        session.commit()


def surge_and_significant(app: Flask, clock: FixedClock) -> int:
    """A socially significant message at 10:00 and a surge on heating at 10:20; returns the significant case."""
    curator = login(app, "curator")
    significant = register(curator, url="https://vk.com/wall-1_701")
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data={**TRIAGE, "location": "vyborgsky",
                                                   "socially_significant": "on"}).status_code == 302
    clock.advance(timedelta(minutes=20))
    register(curator, url="https://vk.com/wall-1_702")
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data={**TRIAGE, "location": "luzhsky"}).status_code == 302
    return significant


def test_both_clause_14_events_reach_the_leader_and_wait_for_acknowledgement(
        app: Flask, clock: FixedClock, sessions: Any, surge_of_two: None) -> None:
    kept = ("DATABASE_URL", "SECRET_KEY", "TESTING", "SESSION_COOKIE_SECURE")
    mailing = create_app({**{k: app.config[k] for k in kept}, "CLOCK": clock, "WTF_CSRF_ENABLED": False,
                          "OTKLIK_SCHEDULER": False, "SMTP_HOST": "127.0.0.1", "SMTP_TLS": "none"})
    try:
        significant = surge_and_significant(mailing, clock)
    finally:
        mailing.extensions["otklik.engine"].dispose()
    with sessions() as session:
        told = session.execute(select(Notification.kind, User.username).join(User, User.id == Notification.user_id)
                               .where(Notification.kind.in_(("surge", "socially_significant")))
                               .order_by(Notification.id)).all()
        mail = session.scalars(select(OutboxMessage.subject).where(OutboxMessage.recipient == "leader@lenreg.example")
                               .order_by(OutboxMessage.id)).all()
    assert [tuple(t) for t in told] == [("socially_significant", "leader"), ("surge", "curator"),
                                        ("surge", "curator2"), ("surge", "leader")]
    assert mail == [f"Общественно значимое сообщение (п. 14): случай № {significant}", "Всплеск активности (п. 14)"]

    curator = login(app, "curator")
    page = curator.get("/dashboard/").get_data(as_text=True)
    assert page.count('class="alert-item pending"') == 2 and "ждёт руководителя" in page
    alert_ids = [int(n) for n in re.findall(r'data-alert="(\d+)"', page)]
    surge, social = alert_ids  # newest first
    assert curator.post(f"/dashboard/alerts/{surge}/acknowledge").status_code == 403
    leader = login(app, "leader")
    clock.advance(timedelta(minutes=5))
    assert leader.post(f"/dashboard/alerts/{surge}/acknowledge").status_code == 302
    assert leader.post(f"/dashboard/alerts/{surge}/acknowledge").status_code == 409
    assert leader.post("/dashboard/alerts/999999/acknowledge").status_code == 404
    page = leader.get("/dashboard/").get_data(as_text=True)
    assert "Принято к сведению: Лебедев Игорь Викторович, 24.11.2026 10:25" in page
    assert page.index(f'data-alert="{social}"') < page.index(f'data-alert="{surge}"'), "pending ones first"

    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=MSK))  # the next day: the acknowledged one is gone
    page = leader.get("/dashboard/").get_data(as_text=True)
    assert re.findall(r'data-alert="(\d+)"', page) == [str(social)]
