"""Surge detection (clause 14) over HTTP: many messages on one theme or place within a window alert the curators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import FixedClock
from engine.texts import Text
from models import Notification, SurgeAlert, Tenant, User
from tests.conftest import MSK, login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

POSTS = count(500)


def send(curator: FlaskClient, theme: str = "heating", location: str = "gatchinsky") -> int:
    """Register a message and send it to a body with this theme and location; returns the case id."""
    case_id = register(curator, url=f"https://vk.com/wall-1_{next(POSTS)}")
    task = open_inbox_task(curator, "Отбор и классификация сообщения")
    response = curator.post(f"/tasks/{task}", data={**TRIAGE, "theme": theme, "location": location})
    assert response.status_code == 302, response.get_data(as_text=True)
    return case_id


def alerts(sessions: Callable[[], Session]) -> list[tuple[str, str, int]]:
    """(dimension, value, count) of every alert, in the order they were raised."""
    with sessions() as session:
        return [(a.dimension, a.value, a.count) for a in session.scalars(select(SurgeAlert).order_by(SurgeAlert.id))]


def surge_notices(sessions: Callable[[], Session]) -> list[tuple[str, str]]:
    """(username, text) of every surge notification."""
    with sessions() as session:
        rows = session.execute(select(User.username, Notification.text, Notification.params)
                               .join(User, Notification.user_id == User.id)
                               .where(Notification.kind == "surge").order_by(Notification.id, User.username))
        return [(username, str(Text.restored(text, params))) for username, text, params in rows]


@pytest.fixture
def rule(app: Flask, sessions: Any) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Set the tenant's settings for one test; the tenant row outlives the test, so the old ones come back."""
    with sessions() as session:
        saved = {t.id: dict(t.settings or {}) for t in session.scalars(select(Tenant))}

    def set_rule(settings: dict[str, Any]) -> None:
        with sessions() as session:
            for tenant in session.scalars(select(Tenant)):
                tenant.settings = {**saved[tenant.id], **settings}
            session.commit()

    yield set_rule
    with sessions() as session:
        for tenant in session.scalars(select(Tenant)):
            tenant.settings = saved[tenant.id]
        session.commit()


def test_five_messages_on_one_theme_within_three_hours_alert_curators_and_leaders(app: Flask, clock: FixedClock,
                                                                                   sessions: Any) -> None:
    curator = login(app, "curator")
    places = ["gatchinsky", "vyborgsky", "kirovsky", "tosnensky", "luzhsky", "priozersky"]
    heating = []
    for place in places[:4]:
        heating.append(send(curator, location=place))
        clock.advance(timedelta(minutes=40))
    assert alerts(sessions) == [] and surge_notices(sessions) == []

    heating.append(send(curator, location=places[4]))  # the fifth at 12:40, 2 h 40 min after the first
    assert alerts(sessions) == [("theme", "heating", 5)]
    text = ("Всплеск активности (п. 14): 5 сообщений за 3 ч на тему «Отопление и горячая вода», "
            "с 24.11.2026 09:40 по 24.11.2026 12:40")
    assert surge_notices(sessions) == [("curator", text), ("curator2", text), ("leader", text)]  # clause 14

    clock.advance(timedelta(minutes=10))
    heating.append(send(curator, location=places[5]))  # the sixth belongs to the same episode: no second alert
    assert alerts(sessions) == [("theme", "heating", 5)]

    # The curator follows the notice to the cases of that theme.
    page = curator.get("/notifications/").get_data(as_text=True)
    assert text in page
    with sessions() as session:
        notice = session.scalar(select(Notification.id).join(User, Notification.user_id == User.id)
                                .where(User.username == "curator", Notification.kind == "surge"))
    response = curator.get(f"/notifications/{notice}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/cases/?theme=heating"
    snow = send(curator, theme="snow")
    listed = curator.get("/cases/?theme=heating").get_data(as_text=True)
    assert all(f'href="/cases/{case_id}"' in listed for case_id in heating)
    assert f'href="/cases/{snow}"' not in listed
    assert f'href="/cases/{snow}"' in curator.get("/cases/").get_data(as_text=True)


def test_one_location_surges_across_themes(app: Flask, clock: FixedClock, sessions: Any) -> None:
    curator = login(app, "curator")
    for theme in ("heating", "water", "waste", "repair", "snow"):
        send(curator, theme=theme, location="vyborgsky")
        clock.advance(timedelta(minutes=5))
    assert alerts(sessions) == [("location", "vyborgsky", 5)]
    assert surge_notices(sessions)[0][1].startswith(
        "Всплеск активности (п. 14): 5 сообщений за 3 ч в локации «Выборгский район»")
    with sessions() as session:
        notice = session.scalar(select(Notification.id).join(User, Notification.user_id == User.id)
                                .where(User.username == "curator2", Notification.kind == "surge"))
    response = login(app, "curator2").get(f"/notifications/{notice}/open")
    assert response.headers["Location"] == "/cases/?location=vyborgsky"


def test_messages_spread_beyond_the_window_do_not_surge(app: Flask, clock: FixedClock, sessions: Any) -> None:
    curator = login(app, "curator")
    places = ["gatchinsky", "vyborgsky", "kirovsky", "tosnensky", "luzhsky", "priozersky", "tikhvinsky"]
    for place in places[:6]:
        send(curator, location=place)
        clock.advance(timedelta(minutes=50))  # at most four fall within any three hours
    assert alerts(sessions) == []


def test_a_new_episode_after_the_window_alerts_again(app: Flask, clock: FixedClock, sessions: Any) -> None:
    curator = login(app, "curator")
    places = ["gatchinsky", "vyborgsky", "kirovsky", "tosnensky", "luzhsky"]
    for place in places:
        send(curator, location=place)
    assert alerts(sessions) == [("theme", "heating", 5)]
    clock.set(datetime(2026, 11, 24, 16, 0, tzinfo=MSK))  # 3 h after the first alert's window ended at 10:00
    for place in places:
        send(curator, location=place)
    assert alerts(sessions) == [("theme", "heating", 5), ("theme", "heating", 5)]


def test_the_tenant_rule_sets_threshold_and_window(app: Flask, clock: FixedClock, sessions: Any,
                                                   rule: Callable[[dict[str, Any]], None]) -> None:
    rule({"surge_threshold": 3, "surge_window_hours": 1})
    curator = login(app, "curator")
    send(curator, location="gatchinsky")
    clock.advance(timedelta(minutes=61))
    send(curator, location="vyborgsky")
    send(curator, location="kirovsky")
    assert alerts(sessions) == []
    clock.advance(timedelta(minutes=1))
    send(curator, location="luzhsky")
    assert alerts(sessions) == [("theme", "heating", 3)]
    assert "3 сообщения за 1 ч" in surge_notices(sessions)[0][1]


def test_the_administrator_changes_the_rule_on_the_notifications_page(
        app: Flask, sessions: Any, rule: Callable[[dict[str, Any]], None]) -> None:
    admin = login(app, "admin")
    page = admin.get("/notifications/").get_data(as_text=True)
    assert "за последние 3 ч" in page and "не меньше 5 сообщений" in page
    assert 'name="surge_threshold"' in page

    response = admin.post("/notifications/surge-rule", data={"surge_threshold": "1", "surge_window_hours": "abc"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Целое число от 2 до 1000" in page and "Число часов от 0.5 до 168" in page

    response = admin.post("/notifications/surge-rule", data={"surge_threshold": "8", "surge_window_hours": "6,5"},
                          follow_redirects=True)
    assert "Правило всплеска: не меньше 8 сообщений за 6.5 ч" in response.get_data(as_text=True)
    with sessions() as session:
        admin_user = session.scalar(select(User).where(User.username == "admin"))
        assert admin_user is not None
        settings = admin_user.tenant.settings
        assert (settings["surge_threshold"], settings["surge_window_hours"]) == (8, 6.5)

    curator = login(app, "curator")
    page = curator.get("/notifications/").get_data(as_text=True)
    assert "за последние 6.5 ч" in page and 'name="surge_threshold"' not in page, "curators read the rule only"
    response = curator.post("/notifications/surge-rule", data={"surge_threshold": "3", "surge_window_hours": "1"})
    assert response.status_code == 403
