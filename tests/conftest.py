"""Fixtures: one app and database per test session, a movable clock, case tables emptied between tests."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from app import create_app
from engine.clock import FixedClock
from services.db import empty_database
from services.demo import load_demo, load_people
from services.inbox.tally import problems as tally_problems
from services.setup import load_reference
from web.cli import migrate

MSK = ZoneInfo("Europe/Moscow")
# Tuesday 24 November 2026, 10:00 Moscow time: an ordinary working day.
START = datetime(2026, 11, 24, 10, 0, tzinfo=MSK)
CASE_TABLES = ("reply_template", "inbox_view", "case_transfer", "case_fact", "step_fact", "report_edition",
               "deadline_change", "body_account", "leadership_alert", "breach_event", "notification", "breach",
               "attachment", "draft", "case_event", "timer", "human_task", "case_link", "monitoring_check",
               "case_file", "api_token", "override_day", "absence", "surge_alert", "outbox_message", "login_failure",
               "inbox_tally")  # after human_task, whose deletion the triggers count


def _database_url(tmp: Path) -> str:
    """SQLite in the session's own folder, or OTKLIK_TEST_DATABASE_URL; under pytest-xdist every worker gets its own
    PostgreSQL database beside the named one (created on first use, emptied like it)."""
    url = os.environ.get("OTKLIK_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgresql"):
        return url
    named = make_url(url)
    own = named.set(database=f"{named.database}_{worker}")
    server = create_engine(named.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}) is None:
            conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    server.dispose()
    return own.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def clock() -> FixedClock:
    """The one clock of the test session; reset to START before every test."""
    return FixedClock(START)


@pytest.fixture(scope="session")
def app(clock: FixedClock) -> Iterator[Flask]:
    """The app on a fresh database with reference lists and demo people."""
    with tempfile.TemporaryDirectory() as tmp:
        url = _database_url(Path(tmp))
        empty_database(url)
        migrate(url)
        flask_app = create_app({"DATABASE_URL": url, "CLOCK": clock, "TESTING": True, "WTF_CSRF_ENABLED": False,
                                "SECRET_KEY": "test-secret-key-of-sufficient-length-123", "OTKLIK_SCHEDULER": False,
                                "SESSION_COOKIE_SECURE": False})  # served over plain HTTP
        with flask_app.app_context():
            session = flask_app.extensions["otklik.sessions"]()
            load_reference(session=session, clock=clock)
            session.commit()
            demo_people(session)
            session.commit()
            session.close()
        yield flask_app
        flask_app.extensions["otklik.engine"].dispose()


def demo_people(session: Any) -> None:
    """The demo people (the municipalities' too) without the demo messages."""
    load_people(session=session, clock=FixedClock(START), password=PASSWORD)


PASSWORD = "otklik-demo"


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[None]:
    """Every test starts at START with no cases and nobody's language chosen."""
    clock.set(START)
    yield
    if "app" in request.fixturenames:
        flask_app: Flask = request.getfixturevalue("app")
        with flask_app.extensions["otklik.sessions"]() as session:  # whatever the test did, the inbox counted it
            assert list(tally_problems(session)) == []
        with flask_app.extensions["otklik.engine"].begin() as conn:
            for table in CASE_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("UPDATE tenant SET calendar_revision = calendar_revision + 1"))
            conn.execute(text("UPDATE user_account SET language = NULL WHERE language IS NOT NULL"))


@pytest.fixture
def sessions(app: Flask) -> Any:
    """The app's session factory, for tests that call services directly."""
    return app.extensions["otklik.sessions"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client without a login."""
    return app.test_client()


def login(app: Flask, username: str) -> FlaskClient:
    """A client logged in as a demo person."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def api_token(client: FlaskClient, username: str) -> dict[str, str]:
    """Bearer headers for a demo person."""
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json['token']}"}


def task_id_from(html: str, name: str) -> int:
    """The id of the inbox row whose task link reads `name`."""
    match = re.search(r'href="/tasks/(\d+)">' + re.escape(name) + "<", html)
    assert match, f"no task «{name}» in the page"
    return int(match.group(1))


__all__ = ["START", "api_token", "load_demo", "login", "task_id_from"]
