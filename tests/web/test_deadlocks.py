"""Simultaneous steps on PostgreSQL: no deadlock between triages; a deadlock that does happen is retried."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import Connection, select, text

from models import Case, Tenant
from services.surge import SURGE_LOCK
from tests.conftest import api_token, login
from tests.web.test_main_path import TRIAGE, register

pytestmark = pytest.mark.skipif(not os.environ.get("OTKLIK_TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="needs OTKLIK_TEST_DATABASE_URL=postgresql...")
WAITING = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")


def triage_tasks(app: Flask, count: int) -> list[tuple[int, int]]:
    """Register `count` messages: each case's id and the id of its triage task."""
    curator = login(app, "curator")
    headers = api_token(curator, "curator")
    cases = [register(curator, url=f"https://vk.com/wall-1_{300 + n}") for n in range(count)]
    return [(case, curator.get(f"/api/v1/tasks?case_id={case}", headers=headers).json["tasks"][0]["id"])
            for case in cases]


@contextmanager
def triages_against(app: Flask, count: int) -> Iterator[tuple[Connection, list[int], Callable[[], list[Future]]]]:
    """A connection of the test's own, the cases, and a way to send their triages at once from as many curators."""
    cases = triage_tasks(app, count)
    clients = [login(app, "curator") for _ in cases]
    engine = app.extensions["otklik.engine"]
    with engine.connect() as holder, ThreadPoolExecutor(count) as pool:
        yield holder, [case for case, _ in cases], lambda: [
            pool.submit(client.post, f"/tasks/{task}", data=TRIAGE) for client, (_, task) in zip(clients, cases)]


def wait_until_waiting(app: Flask, answers: list[Future], count: int) -> None:
    """Until `count` sessions wait for a lock, or every answer came."""
    deadline = time.monotonic() + 20
    with app.extensions["otklik.engine"].connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
        while not all(a.done() for a in answers) and watcher.scalar(WAITING) < count:
            assert time.monotonic() < deadline, "the triages neither finished nor waited"
            time.sleep(0.05)


def test_simultaneous_triages_of_different_cases_do_not_deadlock(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with triages_against(app, 4) as (holder, _, send):
        # A reader holding a key-share lock on the tenant row (as any insert of a row referencing it does) makes
        # every triage that wants a stronger lock on that row wait here, after it inserted its own inbox rows: the
        # moment the holder lets go, each would wait for the others' foreign-key locks.
        holder.execute(select(Tenant.id).with_for_update(read=True, key_share=True))
        answers = send()
        wait_until_waiting(app, answers, 4)
        holder.rollback()
        statuses = [a.result().status_code for a in answers]
    assert statuses == [302] * 4
    assert not [r for r in caplog.records if r.name == "otklik.db"], "no step had to be run again"


def deadlock_one_triage(app: Flask) -> tuple[Future, list[int]]:
    """Send a triage and make PostgreSQL sacrifice it to a deadlock once: the test holds the surge check's lock, the
    triage waits for it holding its case row, then the test asks for that row. The triage waited first, so its
    deadlock check runs first and aborts it; the test then lets go of both."""
    with triages_against(app, 1) as (holder, cases, send):
        tenant_id = holder.scalar(select(Tenant.id).where(Tenant.kind == "region"))  # the curator's: the oblast
        holder.execute(text("SELECT pg_advisory_xact_lock(:namespace, :key)"), {"namespace": SURGE_LOCK,
                                                                               "key": tenant_id})
        answers = send()
        wait_until_waiting(app, answers, 1)
        holder.execute(select(Case.id).where(Case.id == cases[0]).with_for_update())
        holder.rollback()
        answers[0].result()
    return answers[0], cases


def test_a_step_sacrificed_to_a_deadlock_runs_again_and_succeeds(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "otklik.db")
    answer, cases = deadlock_one_triage(app)
    assert answer.result().status_code == 302
    assert [r.getMessage() for r in caplog.records if "40P01" in r.getMessage()], "the deadlock happened"
    curator = login(app, "curator")
    data = curator.get(f"/api/v1/cases/{cases[0]}", headers=api_token(curator, "curator")).json
    assert [e["step"] for e in data["history"] if e["kind"] == "task_completed"] == ["triage"], "recorded once"
    assert [t["step"] for t in data["open_tasks"]] == ["draft"]


def test_a_step_that_keeps_failing_answers_busy_and_saves_nothing(app: Flask) -> None:
    app.config["OTKLIK_DB_ATTEMPTS"] = 1
    try:
        answer, cases = deadlock_one_triage(app)
    finally:
        del app.config["OTKLIK_DB_ATTEMPTS"]
    response = answer.result()
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert "Сервер занят" in response.get_data(as_text=True)
    curator = login(app, "curator")
    data = curator.get(f"/api/v1/cases/{cases[0]}", headers=api_token(curator, "curator")).json
    assert [t["step"] for t in data["open_tasks"]] == ["triage"]
