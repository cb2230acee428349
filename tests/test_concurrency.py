"""The regulation's paths driven by 8 clients at once against gunicorn (several workers on PostgreSQL, one on SQLite),
with a worker killed mid-step, and a scheduler process killed mid-sweep; then every case is checked in a fresh
process: none lost, doubled, stalled or 5xx."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select

from engine.clock import FixedClock
from models import Timer
from tests.soak import (
    PATHS,
    ROOT,
    Tally,
    check_in_fresh_process,
    drive,
    environment,
    gunicorn,
    ledger_problems,
    workers_of,
)
from tests.test_scheduler_pg import KGKH_NOTIFIED, MOMENT, ledger, send_cases

CLIENTS = 8

pytestmark = pytest.mark.alone


def workers(app: Flask) -> int:
    """Several processes on PostgreSQL; SQLite has one writer, so one worker."""
    return 4 if app.config["DATABASE_URL"].startswith("postgresql") else 1


def assert_whole(url: str, tally: Tally) -> None:
    """No answer >= 500, every path ended as it should, nothing lost or doubled, every open case consistent."""
    assert tally.errors == 0, tally.statuses
    assert tally.wrong_ends == []
    assert tally.finished == tally.started, (tally.started, tally.finished)
    assert ledger_problems(url, tally) == []
    assert check_in_fresh_process(url) == []


def test_every_path_at_once(app: Flask, tmp_path: Path) -> None:
    url = app.config["DATABASE_URL"]
    tally = Tally()
    with gunicorn(url, workers(app), tmp_path / "gunicorn.log") as (port, _):
        drive(port, tally, clients=CLIENTS, cases=2 * len(PATHS), tag="at-once-")
    assert set(tally.started) == set(PATHS)
    assert_whole(url, tally)


def test_a_worker_killed_mid_step(app: Flask, tmp_path: Path) -> None:
    url = app.config["DATABASE_URL"]
    tally = Tally()
    with gunicorn(url, workers(app), tmp_path / "gunicorn.log") as (port, server):
        # Enough work that some kill finds a request in flight even on a busy machine (a kill may find it idle).
        clients = threading.Thread(target=drive, args=(port, tally),
                                   kwargs={"clients": CLIENTS, "cases": 4 * len(PATHS), "tag": "killed-"})
        clients.start()
        killed, served = 0, 0
        while clients.is_alive() and killed < 60 and (killed < 3 or not tally.retried):
            time.sleep(random.uniform(0.15, 0.45))  # at random moments, so some kill lands inside a request
            # Only once the worker that replaced the last one serves steps: a worker boots in about a second, and a
            # kill while it boots finds no request in flight (the requests wait in the listen queue).
            if tally.steps > served:
                os.kill(workers_of(server.pid)[0], signal.SIGKILL)  # gunicorn forks a new worker in its place
                killed, served = killed + 1, tally.steps
        clients.join()
    assert killed and tally.retried, "a worker died with requests in flight"
    assert_whole(url, tally)


# scheduler.py's own job on a clock set to MOMENT, when the cases' draft warnings and deadlines are past due.
SCHEDULER = """
import sys
from datetime import datetime
from apscheduler.schedulers.blocking import BlockingScheduler
from app import create_app
from engine.clock import FixedClock
from models import Timer
import scheduler

app = create_app({"OTKLIK_SCHEDULER": False, "CLOCK": FixedClock(datetime.fromisoformat(sys.argv[1]))})
jobs = BlockingScheduler(timezone="UTC")
scheduler._add_job(jobs, app)
jobs.start()
"""


def start_scheduler(url: str, log: Path) -> subprocess.Popen[bytes]:
    """The scheduler in a process of its own, what it says written to `log`."""
    with log.open("ab") as output:
        return subprocess.Popen([sys.executable, "-c", SCHEDULER, MOMENT.isoformat()], cwd=ROOT,
                                env={**environment(url), "OTKLIK_SCHEDULER_SECONDS": "0.2"},
                                stdout=output, stderr=subprocess.STDOUT)


def test_a_scheduler_killed_mid_sweep(app: Flask, clock: FixedClock, sessions: Any, tmp_path: Path) -> None:
    url = app.config["DATABASE_URL"]
    log = tmp_path / "scheduler.log"
    cases = 40
    send_cases(sessions, clock, cases)
    # Watched by plain reads: the app's SQLite transactions begin IMMEDIATE and would queue behind the sweep.
    watcher = create_engine(url)
    due = select(func.count(Timer.id)).where(Timer.due_at < MOMENT)
    first = start_scheduler(url, log)
    try:
        deadline = time.monotonic() + 60
        with watcher.connect() as conn:
            while conn.scalar(due) == 2 * cases:  # until the sweep is under way
                assert first.poll() is None and time.monotonic() < deadline, \
                    f"the scheduler woke no case:\n{log.read_text(errors='replace')[-3000:]}"
                conn.rollback()
                time.sleep(0.01)
    finally:
        first.kill()
        first.wait()
        watcher.dispose()
    assert ledger(sessions)["due"] > 0, "killed before the sweep ended"
    second = start_scheduler(url, log)
    try:
        while ledger(sessions)["due"]:
            assert second.poll() is None and time.monotonic() < deadline, \
                f"the second scheduler did not finish:\n{log.read_text(errors='replace')[-3000:]}"
            time.sleep(0.1)
    finally:
        second.terminate()
        second.wait()
    assert ledger(sessions) == {
        "warnings": cases, "distinct warnings": cases, "overdue": cases, "distinct overdue": cases,
        "breaches": cases, "distinct breaches": cases, "notifications": cases * len(KGKH_NOTIFIED),
        "due": 0, "not yet due": 2 * cases}
    assert check_in_fresh_process(url) == []
