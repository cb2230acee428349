"""The monthly summary and the quarterly rating over many cases: facts seeded in bulk, the reports and exports timed.

Seeds --cases message cases spread evenly over 84 months (7 years: 1M cases is about 12,000 a month, LO's volume)
with a realistic mix (bodies by a Zipf share, 20 themes, 18 districts, 4 channels, 93 % answered, 6 % overdue,
8 % returned, 4 % interim, 10 % repeats linked to the case before them, 2 % not subject), with 3 step facts per
case, by multi-row INSERTs into the real schema (alembic head). Then times monthly_summary for the last month (warm,
best of 5), the XLSX of a month of --xlsx-cases cases, the quarterly rating of 2026-Q4 (with 2026-Q3 inside it,
for the movement) and of 2026-Q3, and what-if replays of 2026-11. --reuse times an already seeded database read-only
(no drop, no seeding).

    .venv/bin/python bench/reports_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/otklik_e --cases 1000000
    .venv/bin/python bench/reports_bench.py --cases 1000000          # SQLite in a temporary file
    .venv/bin/python bench/reports_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/otklik_e --reuse
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MONTHS = 84
BATCH = 5000


def seed(session, cases: int, last_month: int, xlsx_cases: int) -> None:  # type: ignore[no-untyped-def]
    """Cases, their facts and step facts in bulk, spread over MONTHS months ending at last_month."""
    from sqlalchemy import select, text

    from models import Body, Channel, Location, ProcessVersion, Tenant, Theme

    rng = random.Random(148)
    tenant = session.scalar(select(Tenant.id).order_by(Tenant.id))
    bodies = list(session.scalars(select(Body.id).where(Body.tenant_id == tenant, Body.is_curator.is_(False))))
    weights = [1 / (i + 1) for i in range(len(bodies))]
    themes = list(session.scalars(select(Theme.id)))[:20]
    places = list(session.scalars(select(Location.id).where(Location.tenant_id == tenant)))[:18]
    channels = list(session.scalars(select(Channel.id)))
    version = session.scalar(select(ProcessVersion.id))
    year, month = divmod(last_month, 100)
    end = datetime(year, month, 1, tzinfo=UTC) + timedelta(days=31)
    start = end - timedelta(days=30.44 * MONTHS)
    span = (end - start).total_seconds()
    # The last month also gets xlsx_cases extra cases so the export runs over a month of that size.
    total = cases + xlsx_cases
    steps = ("draft", "approval", "publication", "competence")
    clauses = {"draft": "8.4", "approval": "8.5", "publication": "8.7", "competence": "8.2"}
    case_rows, fact_rows, step_rows, link_rows = [], [], [], []
    next_id = (session.scalar(text("SELECT coalesce(max(id), 0) FROM case_file")) or 0) + 1
    begun = time.perf_counter()
    for n in range(total):
        case_id = next_id + n
        if n < cases:
            moment = start + timedelta(seconds=span * n / cases)
        else:
            moment = datetime(year, month, 1, 6, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 27 * 86400))
        msk = moment + timedelta(hours=3)
        day = msk.year * 10000 + msk.month * 100 + msk.day
        body = rng.choices(bodies, weights)[0]
        not_subject = rng.random() < 0.02
        answered = not not_subject and rng.random() < 0.93
        overdue = not not_subject and rng.random() < 0.06
        returned = int(rng.random() < 0.08)
        minutes = int(rng.lognormvariate(5.2, 0.6)) if answered else None
        case_rows.append({"id": case_id, "tenant_id": tenant, "kind": "message", "channel_id": rng.choice(channels),
                          "url": f"https://vk.com/wall-b_{case_id}", "url_key": f"vk.com/wall-b_{case_id}",
                          "author": "Бенчмарк", "text": "Текст", "published_at": moment, "attachments": [],
                          "flags": [], "socially_significant": False, "registered_at": moment, "source": "api",
                          "status": "closed", "process_version_id": version, "state": "", "path": [],
                          "active_steps": [], "version": 1})
        fact_rows.append({
            "case_id": case_id, "tenant_id": tenant, "channel_id": case_rows[-1]["channel_id"],
            "theme_id": None if not_subject else rng.choice(themes),
            "location_id": None if not_subject else rng.choice(places), "body_id": None if not_subject else body,
            "importance": "high" if rng.random() < 0.1 else "normal", "registered_at": moment, "local_day": day,
            "local_month": day // 100, "sent_at": moment, "due_at": moment + timedelta(hours=20),
            "first_reply_at": moment + timedelta(hours=5) if answered else None, "reply_wh_min": minutes,
            "final_reply_at": moment + timedelta(hours=5) if answered else None, "interim": rng.random() < 0.04,
            "overdue": overdue, "breaches": int(overdue) + int(rng.random() < 0.05), "approved": int(answered),
            "returned": returned, "reassigned": int(rng.random() < 0.03),
            "defects": (rng.random() < 0.12) if answered else None, "repeat": n > 0 and rng.random() < 0.1,
            "socially_significant": rng.random() < 0.005, "not_subject": not_subject,
            "outcome": "not_subject_end" if not_subject else "published_end", "closed_at": moment})
        if fact_rows[-1]["repeat"]:
            link_rows.append({"case_id": case_id, "linked_case_id": case_id - 1, "created_at": moment})
        for i, step in enumerate(steps[:3] if not not_subject else ()):
            breached = rng.random() < 0.05
            step_rows.append({"tenant_id": tenant, "case_id": case_id, "task_guid": f"b{case_id}-{i}", "step": step,
                              "clause": clauses[step], "body_id": body, "started_at": moment,
                              "due_at": moment + timedelta(hours=5), "done_at": moment + timedelta(hours=2),
                              "state": "completed", "wh_used_min": rng.randint(5, 400), "breached": breached,
                              "local_day": day, "local_month": day // 100})
        if len(case_rows) >= BATCH:
            _flush(session, case_rows, fact_rows, step_rows, link_rows)
            if n and n % 100000 < BATCH:
                print(f"  seeded {n + 1:,} cases in {time.perf_counter() - begun:.0f} s", flush=True)
    _flush(session, case_rows, fact_rows, step_rows, link_rows)
    session.commit()


def _flush(session, *batches) -> None:  # type: ignore[no-untyped-def]
    """Rows straight through the driver: COPY on PostgreSQL, executemany on SQLite (UTC text, JSON text)."""
    import json

    connection = session.connection().connection.driver_connection
    postgres = session.get_bind().dialect.name == "postgresql"
    for table, rows in zip(("case_file", "case_fact", "step_fact", "case_link"), batches, strict=True):
        if not rows:
            continue
        columns = list(rows[0])
        values = [[json.dumps(v) if isinstance(v, list) else v for v in row.values()] for row in rows]
        if postgres:
            with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            values = [[v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
                       for v in row] for row in values]
            connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                   f"({', '.join('?' * len(columns))})", values)
        rows.clear()


def whatif(session, user, clock, say) -> None:  # type: ignore[no-untyped-def]
    """What-if replays of 2026-11: another deadline value, another working day, round the clock with a shorter
    reply (every step then recomputed and capped by its case's replayed deadline); first run and best of 3."""
    from services.reports.whatif import calendar_asked, changes_asked, replay

    def changed(parameter: str, value: str):  # type: ignore[no-untyped-def]
        return changes_asked(session=session, user=user, clock=clock, parameter=parameter, value=value, unit="hours",
                             draft_id=None)

    variants = {
        "draft 4 WH": (changed("draft", "4"), None),
        "a working day 09:00-17:00": ({}, calendar_asked(variant="hours", start="09:00", end="17:00",
                                                         lunch_start="13:00", lunch_end="13:48")),
        "round the clock, reply 6 h": (changed("case", "6"), calendar_asked(variant="round_the_clock")),
    }
    for title, (changes, calendar) in variants.items():
        times = []
        for _ in range(3):
            start = time.perf_counter()
            result = replay(session=session, user=user, clock=clock, month="2026-11", changes=changes,
                            calendar=calendar)
            times.append(time.perf_counter() - start)
        totals = result.totals
        say(f"  what-if 2026-11, {title}: {totals['cases']['n']:,} cases, {totals['steps']['n']:,} steps "
            f"(breached {totals['steps']['breached']:,} -> {totals['steps']['breached_whatif']:,}); "
            f"first {times[0] * 1000:.0f} ms, best {min(times) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="database URL (emptied); default: SQLite in a temporary directory")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--xlsx-cases", type=int, default=20_000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--reuse", action="store_true", help="time an already seeded database (--url) read-only")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from engine.clock import FixedClock
    from services.db import empty_database
    from services.reports.exports import rating_xlsx, summary_xlsx
    from services.reports.monthly import monthly_summary
    from services.reports.rating import quarterly_rating
    from services.setup import load_reference
    from web.cli import migrate

    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/reports.db"
        engine = create_engine(url)
        clock = FixedClock(datetime(2026, 11, 30, 12, tzinfo=UTC))
        if args.reuse:
            from sqlalchemy import select

            from models import User

            with Session(engine) as session:
                leader_id = session.scalar(select(User.id).where(User.username == "bench.leader"))
                cases = session.scalar(text("SELECT count(*) FROM case_fact"))
            say(f"reports_bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {engine.dialect.name}; reusing {cases:,} "
                "seeded cases, read-only")
        else:
            empty_database(url)
            migrate(url)
            with Session(engine) as session:
                load_reference(session=session, clock=clock)
                from services.auth import create_user

                leader = create_user(session=session, username="bench.leader", password="bench-password-148",
                                     role="leader", full_name="Bench Leader")
                session.commit()
                leader_id = leader.id
            say(f"reports_bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {engine.dialect.name}; {args.cases:,} cases "
                f"over {MONTHS} months + {args.xlsx_cases:,} extra in 2026-11")
            begun = time.perf_counter()
            with Session(engine) as session:
                seed(session, args.cases, 202611, args.xlsx_cases)
            say(f"  seeding: {time.perf_counter() - begun:.0f} s")
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        with Session(engine) as session:
            from models import User

            user = session.get(User, leader_id)
            assert user is not None
            for month in ("2026-10", "2026-11"):
                times = []
                for _ in range(5):
                    start = time.perf_counter()
                    summary = monthly_summary(session=session, user=user, clock=clock, month=month)
                    times.append(time.perf_counter() - start)
                say(f"  monthly summary {month}: {summary.totals['received']:,} cases in the month, "
                    f"{len(summary.bodies)} bodies; first {times[0] * 1000:.0f} ms, best {min(times) * 1000:.0f} ms")
            start = time.perf_counter()
            content = summary_xlsx(monthly_summary(session=session, user=user, clock=clock, month="2026-11"))
            say(f"  XLSX of 2026-11 ({summary.totals['received']:,} cases), summary included: "
                f"{time.perf_counter() - start:.2f} s, "
                f"{len(content) / 1024:.0f} KiB")
            from services.reports.exports import cases_csv

            start = time.perf_counter()
            content = cases_csv(session=session, user=user, clock=clock, month="2026-11")
            say(f"  CSV of the raw cases of 2026-11: {time.perf_counter() - start:.2f} s, "
                f"{len(content) / 1024:.0f} KiB")
            for quarter in ("2026-Q4", "2026-Q3"):
                times = []
                for _ in range(5):
                    start = time.perf_counter()
                    rating = quarterly_rating(session=session, user=user, clock=clock, quarter=quarter)
                    times.append(time.perf_counter() - start)
                cases_in = sum(b["cases"] for b in rating.bodies)
                say(f"  quarterly rating {quarter} (and its previous quarter): {cases_in:,} cases with a decided "
                    f"deadline, {len(rating.bodies)} bodies; first {times[0] * 1000:.0f} ms, "
                    f"best {min(times) * 1000:.0f} ms")
            start = time.perf_counter()
            content = rating_xlsx(quarterly_rating(session=session, user=user, clock=clock, quarter="2026-Q4"))
            say(f"  XLSX of the rating 2026-Q4: {time.perf_counter() - start:.2f} s, {len(content) / 1024:.0f} KiB")
            whatif(session, user, clock, say)
        engine.dispose()
    out = args.out or ROOT / "bench" / "results" / f"reports_{'pg' if args.url else 'sqlite'}.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
