"""Two scheduler processes sweeping one PostgreSQL database at the same moment fire each due timer once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from select import select as wait_readable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.clock import FixedClock
from models import Breach, CaseEvent, HumanTask, Notification, Timer, User
from services.cases import register_message
from services.tasks import complete_task
from tests.conftest import MSK
from tests.test_scheduler import KGKH_NOTIFIED, WARNING_KINDS
from tests.web.test_main_path import TRIAGE

URL = os.environ.get("OTKLIK_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not URL.startswith("postgresql"), reason="needs OTKLIK_TEST_DATABASE_URL=postgresql...")
ROOT = Path(__file__).resolve().parents[1]
# Tuesday 16:00: every case sent at 10:00 has passed its draft warning (14:48) and draft deadline (15:48); its case
# warning (18:00) and case deadline (Wed 10:48) are not due yet and must stay armed.
MOMENT = datetime(2026, 11, 24, 16, 0, tzinfo=MSK)
MESSAGE = {"author": "Ирина Петрова", "text": "Нет горячей воды третий день", "published_at": "2026-11-24T09:30"}
# One scheduler process: warm up (connection, parsed diagrams) and say "ready"; then for every "go" on stdin, sweep
# until a sweep finds nothing it can claim, and print how many cases it woke.
WORKER = """
import json, sys
from datetime import datetime
from sqlalchemy import select
from engine.clock import FixedClock
from models import ProcessVersion
from services.db import make_engine, make_sessionmaker
from services.library.versions import bundle_of
from services.timers import fire_due_timers

engine = make_engine(sys.argv[1])
sessions = make_sessionmaker(engine)
clock = FixedClock(datetime.fromisoformat(sys.argv[2]))
with sessions() as session:
    for version in session.scalars(select(ProcessVersion)):
        bundle_of(version)
print("ready", flush=True)
for _ in sys.stdin:
    woken = 0
    while swept := fire_due_timers(sessions=sessions, clock=clock):
        woken += swept
    print(json.dumps(woken), flush=True)
"""


def send_cases(sessions: Callable[[], Session], clock: FixedClock, count: int) -> None:
    """Register `count` messages and send each to kgkh, through the services the curator's pages call."""
    with sessions() as session:
        curator = session.scalar(select(User).where(User.username == "curator"))
        assert curator is not None
        for number in range(count):
            case = register_message(session=session, clock=clock, actor=curator, source="api", channel="vk",
                                    url=f"https://vk.com/wall-1_{1000 + number}", **MESSAGE)
            triage = session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id))
            assert triage is not None
            complete_task(session=session, user=curator, task_id=triage, form_data=dict(TRIAGE), clock=clock)
        session.commit()


def line_from(worker: subprocess.Popen[str], timeout: float = 60) -> str:
    """The next line a worker prints, or a failure if it prints none in time."""
    assert worker.stdout is not None
    ready, _, _ = wait_readable([worker.stdout], [], [], timeout)
    assert ready, "a scheduler process went silent"
    return worker.stdout.readline().strip()


@pytest.fixture(scope="module")
def schedulers(app: Flask) -> Iterator[list[subprocess.Popen[str]]]:
    """Two scheduler processes on the test database, warmed up and waiting for the start signal."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, app.config["DATABASE_URL"], MOMENT.isoformat()],
                                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        assert [line_from(worker) for worker in workers] == ["ready", "ready"]
        yield workers
    finally:
        for worker in workers:
            if worker.stdin is not None:
                worker.stdin.close()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()


def run_two_schedulers(workers: list[subprocess.Popen[str]]) -> list[int]:
    """Release both scheduler processes together; returns how many cases each woke."""
    for worker in workers:  # the start signal: both are blocked reading stdin until now
        assert worker.stdin is not None and worker.poll() is None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    return [json.loads(line_from(worker)) for worker in workers]


def ledger(sessions: Callable[[], Session]) -> dict[str, int]:
    """What the sweeps left behind, counted without relying on any unique constraint."""
    with sessions() as session:
        def count(query: Select[Any]) -> int:
            return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

        warning = select(CaseEvent.case_id, CaseEvent.step).where(CaseEvent.kind == "warning")
        overdue = select(CaseEvent.case_id, CaseEvent.step).where(CaseEvent.kind == "overdue")
        breach = select(Breach.case_id, Breach.step)
        return {
            "warnings": count(warning), "distinct warnings": count(warning.distinct()),
            "overdue": count(overdue), "distinct overdue": count(overdue.distinct()),
            "breaches": count(breach), "distinct breaches": count(breach.distinct()),
            "notifications": count(select(Notification.id).where(Notification.kind.in_(WARNING_KINDS))),
            "due": count(select(Timer.id).where(Timer.due_at < MOMENT)),
            "not yet due": count(select(Timer.id).where(Timer.due_at >= MOMENT)),
        }


@pytest.mark.parametrize("cases", [1, 50])
def test_two_processes_fire_each_due_timer_exactly_once(schedulers: list[subprocess.Popen[str]], clock: FixedClock,
                                                        sessions: Any, cases: int) -> None:
    send_cases(sessions, clock, cases)
    assert ledger(sessions)["due"] == 2 * cases

    woken = run_two_schedulers(schedulers)

    assert sum(woken) == cases, f"each case is woken once in all, got {woken}"
    if cases > 1:
        assert min(woken) > 0, f"both processes took part, got {woken}"
    # Two due timers per case: one warning (to kgkh's executors and responsible official) and one breach.
    assert ledger(sessions) == {
        "warnings": cases, "distinct warnings": cases, "overdue": cases, "distinct overdue": cases,
        "breaches": cases, "distinct breaches": cases, "notifications": cases * len(KGKH_NOTIFIED),
        "due": 0, "not yet due": 2 * cases,
    }
