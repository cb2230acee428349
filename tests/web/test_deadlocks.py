"""Simultaneous steps on PostgreSQL: no deadlock between triages; a deadlock that does happen is retried."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import text

from tests.conftest import api_token, login
from tests.web.test_main_path import TRIAGE, register

pytestmark = pytest.mark.skipif(not os.environ.get("OTKLIK_TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="needs OTKLIK_TEST_DATABASE_URL=postgresql...")
WAITING = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")


def triage_tasks(app: Flask, count: int) -> list[int]:
    """Register `count` messages; the id of each one's triage task."""
    curator = login(app, "curator")
    headers = api_token(curator, "curator")
    cases = [register(curator, url=f"https://vk.com/wall-1_{300 + n}") for n in range(count)]
    return [curator.get(f"/api/v1/tasks?case_id={case}", headers=headers).json["tasks"][0]["id"] for case in cases]


def test_simultaneous_triages_of_different_cases_do_not_deadlock(app: Flask) -> None:
    tasks = triage_tasks(app, 4)
    clients = [login(app, "curator") for _ in tasks]
    engine = app.extensions["otklik.engine"]
    # A reader holding a key-share lock on the tenant row (as any insert of a row referencing it does) makes every
    # triage that wants a stronger lock on that row wait here, after it inserted its own inbox rows: the moment the
    # holder lets go, each waits for the others' foreign-key locks.
    with engine.connect() as holder, engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher, ThreadPoolExecutor(len(tasks)) as pool:
        holder.execute(text("SELECT id FROM tenant FOR KEY SHARE"))
        answers = [pool.submit(client.post, f"/tasks/{task}", data=TRIAGE) for client, task in zip(clients, tasks)]
        deadline = time.monotonic() + 20
        while not all(a.done() for a in answers) and watcher.scalar(WAITING) < len(tasks):
            assert time.monotonic() < deadline, "the triages neither finished nor waited"
            time.sleep(0.05)
        holder.rollback()
        statuses = [a.result().status_code for a in answers]
    assert statuses == [302] * len(tasks)
