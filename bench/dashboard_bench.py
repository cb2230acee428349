"""Benchmark of the leaders' dashboard and the breach register over 100,000 open tasks: warm median and max of the
whole dashboard (urgency, holders, clause-14 events, month tiles), the overdue list, and a month's register.

    .venv/bin/python bench/dashboard_bench.py [DATABASE_URL]   (default: a fresh SQLite file)
The database is emptied and filled; never point it at one with data you keep."""

from __future__ import annotations

import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text

from engine.clock import FixedClock
from models import Body, Breach, Case, Channel, HumanTask, ProcessVersion, User
from services.auth import create_user
from services.cases import list_cases
from services.dashboard import board, lens
from services.db import empty_database, make_engine, make_sessionmaker
from services.register import Period, register
from services.setup import load_reference
from web.cli import migrate

OPEN_TASKS = 100_000
BREACHES = 2_000
RUNS = 15
MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=MSK)


def fill(url: str) -> None:
    """A fresh schema with 100,000 open cases, each with one open task, and a month's breaches."""
    empty_database(url)
    migrate(url)
    sessions = make_sessionmaker(make_engine(url))
    clock = FixedClock(NOW)
    with sessions() as session:
        load_reference(session=session, clock=clock)
        bodies = [b for b in session.scalars(select(Body).where(~Body.is_curator))]
        for body in bodies:
            for n in range(3):
                create_user(session=session, username=f"{body.code}.bench{n}", password="bench-password-1",
                            role="executor", full_name=f"Исполнитель {n} {body.short_name}", body_code=body.code)
        create_user(session=session, username="bench.leader", password="bench-password-1", role="leader",
                    full_name="Руководитель", body_code=None)
        session.commit()
        tenant_id = bodies[0].tenant_id
        channel = session.scalar(select(Channel.id))
        version = session.scalar(select(ProcessVersion.id))
        people = {b.id: list(session.scalars(select(User.id).where(User.body_id == b.id))) for b in bodies}
        rng = random.Random(148)
        for first in range(0, OPEN_TASKS, 10_000):
            cases = []
            tasks = []
            for n in range(first, first + 10_000):
                body = rng.choice(bodies)
                registered = NOW - timedelta(minutes=rng.randrange(60, 60 * 24 * 20))
                due = NOW + timedelta(minutes=rng.randrange(-60 * 24 * 3, 60 * 24 * 3))
                cases.append({"id": n + 1, "tenant_id": tenant_id, "kind": "message", "channel_id": channel,
                              "url": f"https://vk.com/wall-1_{n}", "url_key": f"vk.com/wall-1_{n}", "author": "A",
                              "text": "Текст", "published_at": registered, "attachments": [], "flags": [],
                              "socially_significant": False, "registered_at": registered, "source": "api",
                              "status": "open", "body_id": body.id, "sent_at": registered, "due_at": due,
                              "process_version_id": version, "state": "", "path": [], "active_steps": [],
                              "version": 1})
                tasks.append({"case_id": n + 1, "tenant_id": tenant_id, "task_guid": f"{n:036d}", "step": "draft",
                              "name": "Подготовка проекта ответа", "role": "executor", "body_id": body.id,
                              "assignee_id": rng.choice(people[body.id] + [None]), "form": "draft.json",
                              "state": "open", "due_at": due, "created_at": registered})
            session.execute(insert(Case), cases)
            session.execute(insert(HumanTask), tasks)
            session.commit()
        breaches = [{"case_id": rng.randrange(1, OPEN_TASKS), "task_guid": None, "step": f"draft{n}", "clause": "8.4",
                     "body_id": rng.choice(bodies).id, "person_id": None,
                     "due_at": NOW - timedelta(minutes=rng.randrange(10, 60 * 24 * 20)), "recorded_at": NOW,
                     "done_at": NOW, "late_minutes": rng.randrange(1, 600)} for n in range(BREACHES)]
        session.execute(insert(Breach), breaches)
        session.commit()
        if url.startswith("postgresql"):
            session.execute(text("ANALYZE"))
            session.commit()


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """Median and max milliseconds of RUNS calls after one warm-up."""
    call()
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    """Fill, measure, print and keep the figures in bench/results/dashboard[_pg].txt."""
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tmp}/bench.db"
        began = time.perf_counter()
        fill(url)
        filled = time.perf_counter() - began
        sessions = make_sessionmaker(make_engine(url))
        clock = FixedClock(NOW)
        lines = [f"Dashboard and breach register over {OPEN_TASKS:,} open tasks and {BREACHES:,} breaches",
                 f"{platform.python_version()} on {platform.machine()}, {url.split(':')[0]}, "
                 f"filled in {filled:.0f} s; warm median / max of {RUNS} runs"]
        with sessions() as session:
            leader = session.scalars(select(User).where(User.username == "bench.leader")).one()
            result = board(session=session, clock=clock, user=leader)
            lines.append(f"  (open {result.urgency.open}, due within the hour {result.urgency.due_soon}, "
                         f"overdue {result.urgency.overdue}, holders listed {len(result.holders)})")
            cases = [
                ("whole dashboard (board)", lambda: board(session=session, clock=clock, user=leader)),
                ("overdue cases list (first 200)", lambda: list_cases(
                    session=session, user=leader, where=lens(user=leader, now=NOW, name="overdue"))),
                ("register, November (2,000 breaches)", lambda: register(
                    session=session, clock=clock, user=leader, period=Period(date(2026, 11, 1), date(2026, 11, 24)))),
            ]
            for name, call in cases:
                median, most = timed(call)
                lines.append(f"{name:<40} {median:8.1f} ms {most:8.1f} ms")
            if url.startswith("postgresql"):
                plan = session.execute(text(
                    "EXPLAIN ANALYZE SELECT count(*), count(*) FILTER (WHERE due_at <= :now), count(*) FILTER "
                    "(WHERE due_at > :now AND due_at <= :soon) FROM human_task WHERE tenant_id = :tenant AND "
                    "state = 'open'"),
                    {"now": NOW, "soon": NOW + timedelta(hours=1), "tenant": leader.tenant_id}).scalars().all()
                lines += ["", "PostgreSQL plan of the urgency counts:", *("  " + line for line in plan)]
        print("\n".join(lines))
        name = "dashboard_pg.txt" if url.startswith("postgresql") else "dashboard.txt"
        (ROOT / "bench" / "results" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
