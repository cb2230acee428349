"""Does a step cost more when many cases are stored (issue 14)? The five steps of the main path (register; triage,
with the clause-14 surge check; draft; approval; publication), timed server-side through Flask's test client and
the JSON API, over 1,000 and over 1,000,000 stored closed cases.

Each stored case comes with the rows its main path left behind, derived in the database by INSERT ... SELECT: four
completed inbox tasks, six history entries, its case fact and three step facts, a published draft and two
notifications. The cases themselves are bench/inbox_bench.py's `fill`. With --explain (PostgreSQL), every statement
the last measured run of each step sent at the largest size is explained with its own parameters, and the plans'
sequential scans of tables that grow with the cases are listed (none should be).

    .venv/bin/python bench/step_scale_bench.py                          # SQLite, 1,000 and 1,000,000
    .venv/bin/python bench/step_scale_bench.py --pg URL --explain      # databases <name>_1000, <name>_1000000
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inbox_bench import NOW, PASSWORD, ROOT, app_for, fill, percentile
from sqlalchemy import JSON, Integer, String, cast, event, insert, literal, select, text, union_all
from sqlalchemy import case as sql_case

from models import Body, Case, CaseEvent, CaseFact, Draft, HumanTask, Notification, StepFact, User
from services.db import make_engine

STEPS = ("register", "triage", "draft", "approval", "publication")
# The main path's tasks of a stored case: (number, step, role); numbers 2-4 had a deadline, hence a step fact.
PATH = ((1, "triage", "curator"), (2, "draft", "executor"), (3, "approval", "curator"), (4, "publication", "executor"))
CLAUSES = {2: "8.4", 3: "8.5", 4: "8.7"}
LARGE = 10_000  # rows of a table whose sequential scan would grow with the stored cases


def numbers(count: int) -> Any:
    """A one-column subquery of 1..count, to multiply each case into its rows."""
    return union_all(*(select(literal(n, Integer).label("n")) for n in range(1, count + 1))).subquery()


def add_history(url: str) -> None:
    """The rows each stored closed case's main path left: tasks, history, facts, a draft, notifications."""
    engine = make_engine(url)
    with engine.begin() as conn:
        curator_body = conn.execute(select(Body.id).where(Body.is_curator)).scalar_one()
        body = conn.execute(select(Body.id).where(Body.code == "kgkh")).scalar_one()
        curator = conn.execute(select(User.id).where(User.username == "bench.curator")).scalar_one()
        closed = select(Case).where(Case.status == "closed").subquery()
        tasks = numbers(4)

        def of_path(values: dict[int, Any]) -> Any:
            return sql_case(*((tasks.c.n == n, literal(value)) for n, value in values.items()))

        step = of_path({n: name for n, name, _ in PATH})
        guid = literal("h") + cast(closed.c.id, String) + literal("-") + cast(tasks.c.n, String)
        started, done = closed.c.sent_at, closed.c.closed_at  # no date arithmetic: SQLite has none
        month = literal(202601) + closed.c.id % 12  # the months of 2026
        timed = tasks.c.n > 1
        conn.execute(insert(HumanTask).from_select(
            ["case_id", "tenant_id", "task_guid", "step", "name", "role", "body_id", "form", "state", "due_at",
             "created_at", "completed_at", "channel_id", "theme_id", "location_id", "importance", "significant",
             "posted_at"],
            select(closed.c.id, closed.c.tenant_id, guid, step, step, of_path({n: role for n, _, role in PATH}),
                   of_path({1: curator_body, 2: body, 3: curator_body, 4: body}), step + literal(".schema.json"),
                   literal("completed"), sql_case((timed, done)), started, done, closed.c.channel_id,
                   closed.c.theme_id, closed.c.location_id, closed.c.importance, closed.c.socially_significant,
                   closed.c.published_at).select_from(closed.join(tasks, literal(True)))))
        conn.execute(insert(StepFact).from_select(
            ["tenant_id", "case_id", "task_guid", "step", "clause", "body_id", "started_at", "due_at", "done_at",
             "state", "wh_used_min", "breached", "local_day", "local_month"],
            select(closed.c.tenant_id, closed.c.id, guid, step, of_path(CLAUSES),
                   of_path({2: body, 3: curator_body, 4: body}), started, done, done,
                   literal("completed"), literal(60), literal(False), month * 100 + 1, month)
            .select_from(closed.join(tasks, literal(True))).where(timed)))
        events = numbers(6)
        conn.execute(insert(CaseEvent).from_select(
            ["case_id", "at", "actor_name", "kind", "details"],
            select(closed.c.id, closed.c.registered_at, literal("Куратор Бенч"),
                   sql_case((events.c.n == 1, literal("registered")), (events.c.n == 6, literal("closed")),
                            else_=literal("task_completed")), literal({}, JSON))
            .select_from(closed.join(events, literal(True)))))
        conn.execute(insert(CaseFact).from_select(
            ["case_id", "tenant_id", "channel_id", "theme_id", "location_id", "body_id", "importance", "registered_at",
             "local_day", "local_month", "sent_at", "due_at", "first_reply_at", "reply_wh_min", "final_reply_at",
             "interim", "overdue", "breaches", "approved", "returned", "reassigned", "defects", "repeat",
             "socially_significant", "not_subject", "outcome", "closed_at"],
            select(closed.c.id, closed.c.tenant_id, closed.c.channel_id, closed.c.theme_id, closed.c.location_id,
                   literal(body), closed.c.importance, closed.c.registered_at, month * 100 + 1, month,
                   closed.c.sent_at, closed.c.closed_at, closed.c.closed_at, literal(240),
                   closed.c.closed_at, literal(False), literal(False), literal(0), literal(1), literal(0), literal(0),
                   literal(False), literal(False), closed.c.socially_significant, literal(False),
                   literal("end_replied"), closed.c.closed_at)))
        conn.execute(insert(Draft).from_select(
            ["case_id", "number", "body_id", "kind", "text", "created_at", "decision", "decided_at", "published_url",
             "published_at"],
            select(closed.c.id, literal(1), literal(body), literal("reply"),
                   literal("Здравствуйте! Проверили и устранили."), closed.c.sent_at, literal("approve"),
                   closed.c.closed_at, closed.c.url + literal("?reply=1"), closed.c.closed_at)))
        notices = numbers(2)
        conn.execute(insert(Notification).from_select(
            ["user_id", "case_id", "kind", "text", "created_at", "read_at"],
            select(literal(curator), closed.c.id, literal("new_task"), literal("Новая задача по случаю"),
                   closed.c.registered_at, closed.c.closed_at)
            .select_from(closed.join(notices, literal(True)))))
        if engine.dialect.name == "postgresql":  # `fill` gave the cases their ids: new ones follow them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('case_file', 'id'), max(id)) FROM case_file"))
    if engine.dialect.name == "postgresql":  # settled as a database in use is: vacuumed, analysed, checkpointed
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
            conn.execute(text("CHECKPOINT"))
    engine.dispose()


TRIAGE = {"triage_decision": "send", "theme": "heating", "location": "gatchinsky", "importance": "normal",
          "bodies": ["kgkh"], "order": "parallel", "triage_comment": "Проверить"}
DRAFT = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Проверим и ответим."}


def steps(url: str, runs: int) -> tuple[dict[str, list[float]], dict[str, list[tuple[str, Any]]]]:
    """Milliseconds of `runs` main paths (after two unmeasured), and the statements of the last one's steps."""
    tag = f"{time.time_ns():x}"  # the messages' links are new on a database reused from an earlier run
    app = app_for(url)
    client = app.test_client()
    heads = {}
    for who in ("bench.curator", "kgkh.bench0"):
        token = client.post("/api/v1/auth/token", json={"username": who, "password": PASSWORD}).json["token"]
        heads[who] = {"Authorization": f"Bearer {token}"}
    executed: list[tuple[str, Any]] = []
    event.listen(app.extensions["otklik.engine"], "before_cursor_execute",
                 lambda conn, cursor, statement, parameters, *rest: executed.append((statement, parameters)))
    times: dict[str, list[float]] = {step: [] for step in STEPS}
    statements: dict[str, list[tuple[str, Any]]] = {}

    def timed(n: int, step: str, path: str, who: str, body: dict[str, Any]) -> dict[str, Any]:
        executed.clear()
        began = time.perf_counter()
        response = client.post(path, json=body, headers=heads[who])
        spent = (time.perf_counter() - began) * 1000
        assert response.status_code < 300, (step, response.get_data(as_text=True)[:300])
        if n >= 2:
            times[step].append(spent)
        statements[step] = list(executed)
        return dict(response.json)

    for n in range(runs + 2):
        moment = NOW + timedelta(minutes=n)
        app.config["CLOCK"].set(moment)
        case_id = timed(n, "register", "/api/v1/messages", "bench.curator", {
            "channel": "vk", "url": f"https://vk.com/wall-9_{tag}{n}", "author": "Ирина Петрова",
            "text": "Нет горячей воды", "published_at": (moment - timedelta(minutes=30)).isoformat()})["case_id"]
        for step, who, data in (("triage", "bench.curator", TRIAGE), ("draft", "kgkh.bench0", DRAFT),
                                ("approval", "bench.curator", {"approval_decision": "approve"}),
                                ("publication", "kgkh.bench0", {"published_url": f"https://vk.com/wall-9_{tag}{n}?r",
                                                                "published_at": moment.isoformat()})):
            task = client.get(f"/api/v1/tasks?case_id={case_id}", headers=heads[who]).json["tasks"][0]["id"]
            timed(n, step, f"/api/v1/tasks/{task}/complete", who, data)
    app.extensions["otklik.engine"].dispose()
    return times, statements


def explain(url: str, statements: dict[str, list[tuple[str, Any]]]) -> list[str]:
    """Each step's statements explained with their parameters: the sequential scans, with the rows of the table
    scanned (the planner scans a table of a few rows rather than read its index; over a large one it is growth)."""
    lines = []
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = dict(conn.exec_driver_sql("SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r'").all())
        for step in STEPS:
            large, small = [], set()
            for statement, parameters in statements[step]:
                if not statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
                    continue  # savepoints, advisory locks
                params = parameters[0] if isinstance(parameters, list) else parameters
                plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params))
                for table in re.findall(r"Seq Scan on (\w+)", plan):
                    if rows.get(table, 0) >= LARGE:
                        large.append(f"{table} ({rows[table]:,} rows) in: {' '.join(statement.split())[:150]}")
                    else:
                        small.add(f"{table} ({max(rows.get(table, 0), 0):,})")
            lines.append(f"  {step:12} {len(statements[step]):3} statements; sequential scans of tables of "
                         f"{LARGE:,} rows or more: {'; '.join(large) or 'none'}; of smaller ones: "
                         f"{', '.join(sorted(small)) or 'none'}")
    engine.dispose()
    return lines


def databases(pg: str | None, sizes: list[int], tmp: str) -> dict[int, str]:
    """A database per size, so that the sizes' runs can alternate: SQLite files, or PostgreSQL databases named
    after the --pg one with the size appended (created here when missing)."""
    if not pg:
        return {size: f"sqlite:///{tmp}/scale_{size}.db" for size in sizes}
    server, name = pg.rsplit("/", 1)
    urls = {size: f"{server}/{name}_{size}" for size in sizes}
    engine = make_engine(f"{server}/postgres")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        existing = set(conn.exec_driver_sql("SELECT datname FROM pg_database").scalars())
        for size in sizes:
            if f"{name}_{size}" not in existing:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}_{size}"')
    engine.dispose()
    return urls


def drop(pg: str, urls: dict[int, str]) -> None:
    """Drop the PostgreSQL databases of the sizes."""
    engine = make_engine(pg.rsplit("/", 1)[0] + "/postgres")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for url in urls.values():
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", help="a PostgreSQL URL: each size gets a database named after it, <name>_<size>")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=10, help="main paths per round and size")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, the sizes alternating within each")
    parser.add_argument("--explain", action="store_true", help="PostgreSQL: explain the steps at the largest size")
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the sizes' databases for --reuse")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: time the databases --keep left, no seeding")
    args = parser.parse_args()
    load = "load average " + " ".join(f"{n:.2f}" for n in os.getloadavg())
    lines = [f"A step over many stored cases ({'postgresql' if args.pg else 'sqlite'}): server-side ms through the "
             f"JSON API; {args.rounds} rounds of {args.runs} main paths a size (after 2 unmeasured), the sizes "
             f"alternating; each stored case has its tasks, history, facts, draft and notifications; PostgreSQL "
             f"vacuumed and checkpointed after the seeding; python {platform.python_version()}, {os.cpu_count()} "
             f"CPUs, {load} at the start",
             f"{'stored cases':>14} {'fill s':>7} " + " ".join(f"{step + ' p50':>15} {'p95':>6}" for step in STEPS)
             + f" {'five p50':>9}"]
    with tempfile.TemporaryDirectory() as tmp:
        urls = databases(args.pg, args.sizes, tmp)
        filled = {}
        for size, url in urls.items():
            began = time.perf_counter()
            if not (args.reuse and args.pg):
                fill(url, open_tasks=0, closed_cases=size)
                add_history(url)
            filled[size] = time.perf_counter() - began
            print(f"{size:,} stored cases seeded in {filled[size]:.0f} s", flush=True)
        times: dict[int, dict[str, list[float]]] = {size: {step: [] for step in STEPS} for size in args.sizes}
        for _ in range(args.rounds):
            for size, url in urls.items():
                measured, statements = steps(url, args.runs)
                for step in STEPS:
                    times[size][step] += measured[step]
        for size in args.sizes:
            p50 = {step: statistics.median(times[size][step]) for step in STEPS}
            seeded = f"{filled[size]:7.0f}" if not args.reuse else f"{'reused':>7}"
            lines.append(f"{size:>14,} {seeded} " + " ".join(
                f"{p50[step]:15.1f} {percentile(times[size][step], 0.95):6.1f}" for step in STEPS)
                + f" {sum(p50.values()):9.1f}")
        if args.explain and args.pg:
            lines.append(f"Plans at {args.sizes[-1]:,} stored cases (EXPLAIN of each statement with its parameters):")
            lines += explain(urls[args.sizes[-1]], statements)
        lines.append("load average " + " ".join(f"{n:.2f}" for n in os.getloadavg()) + " at the end")
        print("\n".join(lines))
        name = f"step_scale_{'pg' if args.pg else 'sqlite'}.txt"
        (ROOT / "bench" / "results" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        if args.pg and not args.keep:
            drop(args.pg, urls)


if __name__ == "__main__":
    main()
