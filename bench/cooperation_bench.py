"""Benchmark of the Directorate's overview of the municipalities (order 4.3): 20 municipalities with thousands of
cases each (open with tasks, answered this and last month, breaches, transfers), the overview's median and p95.
The cases span 60 days, so this month holds 40 % of them (a real database with years of history holds far fewer).

Run: .venv/bin/python bench/cooperation_bench.py [--cases-per-municipality 5000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from app import create_app
from engine.clock import FixedClock
from models import Breach, Case, CaseTransfer, Channel, HumanTask, ProcessVersion, User
from services.auth import create_user
from services.cooperation.overview import overview
from services.setup import load_reference
from services.tenants import create_municipality
from web.cli import migrate

MUNICIPALITIES = 20
RUNS = 30
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
OUTCOMES = ["published_end", "published_end", "not_subject_end"]


def seed(session: Session, per_municipality: int, rng: random.Random) -> int:
    """Municipalities and their cases written with Core inserts; returns the number of cases."""
    oblast = load_reference(session=session, clock=FixedClock(NOW))
    create_user(session=session, username="bench.curator", password="bench-password-1",
                role="curator")
    channel = session.scalar(select(Channel.id))
    version = session.scalar(select(ProcessVersion.id))
    oblast_case = {"tenant_id": oblast.id, "kind": "message", "channel_id": channel, "url": "https://vk.com/o",
                   "url_key": "vk.com/o", "author": "А", "text": "Т", "published_at": NOW, "attachments": [],
                   "flags": [], "registered_at": NOW, "source": "form", "status": "closed",
                   "outcome": "transferred_end",
                   "process_version_id": version, "state": "", "path": [], "active_steps": []}
    oblast_id = session.execute(insert(Case).returning(Case.id), [oblast_case]).scalar()
    total = 0
    for m in range(MUNICIPALITIES):
        tenant = create_municipality(session=session, clock=FixedClock(NOW), code=f"mun{m:02d}",
                                     name=f"Муниципальное образование {m:02d}")
        cases = []
        for n in range(per_municipality):
            registered = NOW - timedelta(days=rng.randrange(60), minutes=rng.randrange(600))
            open_ = rng.random() < 0.4
            closed = None if open_ else registered + timedelta(hours=rng.randrange(1, 30))
            cases.append({**oblast_case, "tenant_id": tenant.id, "url": f"https://vk.com/m{m}_{n}",
                          "url_key": f"vk.com/m{m}_{n}", "registered_at": registered,
                          "status": "open" if open_ else "closed",
                          "outcome": None if open_ else rng.choice(OUTCOMES),
                          "closed_at": closed, "due_at": registered + timedelta(hours=rng.randrange(4, 40)),
                          "source": "oblast" if n % 25 == 0 else "form", "active_steps": ["work", "draft"]})
        ids = session.execute(insert(Case).returning(Case.id, Case.status, Case.registered_at, Case.due_at),
                              cases).all()
        tasks, breaches, transfers = [], [], []
        for case_id, status, registered, due in ids:
            if status == "open":
                tasks.append({"case_id": case_id, "tenant_id": tenant.id, "task_guid": f"{case_id}-draft",
                              "step": "draft", "name": "Подготовка проекта ответа", "role": "executor",
                              "form": "draft.schema.json", "state": "open", "created_at": registered,
                              "due_at": registered + timedelta(hours=rng.randrange(1, 20))})
            if rng.random() < 0.15:
                breaches.append({"case_id": case_id, "step": rng.choice(["case", "draft"]), "clause": "8.3",
                                 "due_at": due, "recorded_at": due})
            if len(transfers) < per_municipality // 25:
                transfers.append({"case_id": oblast_id, "municipality_id": tenant.id, "municipal_case_id": case_id,
                                  "sent_at": registered})
        for table, rows in ((HumanTask, tasks), (Breach, breaches), (CaseTransfer, transfers)):
            if rows:
                session.execute(insert(table), rows)
        total += len(ids)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases-per-municipality", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/cooperation.db"
        migrate(url)
        app = create_app({"DATABASE_URL": url, "CLOCK": FixedClock(NOW), "OTKLIK_SCHEDULER": False,
                          "SECRET_KEY": "cooperation-bench-secret-key-0123456789"})
        sessions = app.extensions["otklik.sessions"]
        with sessions() as session:
            total = seed(session, args.cases_per_municipality, random.Random(43))
            session.commit()
            session.execute(text("ANALYZE"))  # as autovacuum would after a bulk load
            session.commit()
        samples = []
        with sessions() as session:
            curator = session.scalar(select(User).where(User.username == "bench.curator"))
            assert curator is not None and curator.tenant.kind == "region"
            for run in range(RUNS + 3):
                began = time.perf_counter()
                result = overview(session=session, user=curator, clock=FixedClock(NOW))
                if run >= 3:  # warm-up
                    samples.append((time.perf_counter() - began) * 1000)
                session.expunge_all()
                curator = session.scalar(select(User).where(User.username == "bench.curator"))
            assert len(result.rows) == MUNICIPALITIES and sum(r.open for r in result.rows) > 0
            n_open = sum(r.open for r in result.rows)
        samples.sort()
        lines = [f"cooperation overview bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
                 f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}; Python {platform.python_version()}; "
                 f"{os.cpu_count()} CPUs; {MUNICIPALITIES} municipalities, {total} cases ({n_open} open), {RUNS} runs",
                 f"overview: p50 {statistics.median(samples):.1f} ms, p95 {samples[int(len(samples) * 0.95)]:.1f} ms, "
                 f"max {samples[-1]:.1f} ms"]
        print("\n".join(lines))
        name = "cooperation_pg.txt" if url.startswith("postgresql") else "cooperation.txt"
        (ROOT / "bench" / "results" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        app.extensions["otklik.engine"].dispose()


if __name__ == "__main__":
    main()
