"""The regulation's paths driven by 8 clients at once against gunicorn (several workers on PostgreSQL, one on SQLite),
with a worker killed mid-step; then every case is checked in a fresh process: none lost, doubled, stalled or 5xx."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from flask import Flask

from tests.soak import PATHS, Tally, check_in_fresh_process, drive, gunicorn, ledger_problems, workers_of

CLIENTS = 8


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
        clients = threading.Thread(target=drive, args=(port, tally),
                                   kwargs={"clients": CLIENTS, "cases": 2 * len(PATHS), "tag": "killed-"})
        clients.start()
        killed = 0
        while clients.is_alive() and killed < 3:
            time.sleep(1.5)
            if tally.steps:
                os.kill(workers_of(server.pid)[0], signal.SIGKILL)  # gunicorn forks a new worker in its place
                killed += 1
        clients.join()
    assert killed and tally.retried, "a worker died with requests in flight"
    assert_whole(url, tally)
