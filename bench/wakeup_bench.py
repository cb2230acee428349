"""Wake-up benchmark: how soon a due timer is acted on, and what a sweep costs as waiting timers pile up.

For each database (SQLite in a temporary file, and PostgreSQL):

  1. sweep cost with 1,000 / 10,000 / 100,000 timers not yet due (parked on 2,000 cases): an empty sweep (the
     claim finds nothing) and a sweep that wakes one real case whose draft deadline has just passed
     (claim + engine wake + projections + commit), driven with a fixed clock;
  2. the claim query's plan at 100,000 waiting timers (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE);
  3. latency with 100,000 waiting timers: the in-process scheduler (APScheduler, interval 1 s) runs on a clock that
     moves at real speed; real cases' draft deadlines come due one by one, and each one's latency is the time from
     its due moment to the moment the sweep recorded the breach (the history entry's time on that clock).

    .venv/bin/python bench/wakeup_bench.py [--sqlite-only] [--postgres URL]

The figures are printed and kept in bench/results/wakeup.txt.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.orm import Session

from app import create_app
from engine.clock import FixedClock
from models import Case, CaseEvent, HumanTask, Timer, User
from services.auth import create_user
from services.cases import register_message
from services.db import empty_database, make_engine, make_sessionmaker
from services.setup import load_reference
from services.tasks import complete_task
from services.timers import fire_due_timers
from web.cli import migrate

MSK = ZoneInfo("Europe/Moscow")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/otklik_wakeup"
PASSWORD = "bench-password-148"
LEVELS = (1_000, 10_000, 100_000)
PARKED_CASES = 2_000
SWEEP_SAMPLES = 20  # real cases woken per level
EMPTY_SAMPLES = 100  # empty sweeps per level
LATENCY_SAMPLES = 20
SPACING = timedelta(seconds=1.37)  # between two latency deadlines: not a multiple of the 1 s interval
TARGET_S = 2.0
TRIAGE = {"triage_decision": "send", "theme": "heating", "location": "gatchinsky", "importance": "normal",
          "bodies": "kgkh"}
# Sweep-cost cases: sent Tue 24 Nov 2026 09:00 + i * 30 s; draft warning at 13:48 + i * 30 s (4 WH), deadline at
# 14:48 + i * 30 s (5 WH: 4 h to 13:00, 1 h from 13:48). Their warnings are fired beforehand at 14:30.
SWEEP_SPACING = timedelta(seconds=30)
SWEEP_SENT = datetime(2026, 11, 24, 9, 0, tzinfo=MSK)
SWEEP_WARNINGS_DONE = datetime(2026, 11, 24, 14, 30, tzinfo=MSK)
SWEEP_DUE = datetime(2026, 11, 24, 14, 48, tzinfo=MSK)
# Latency cases: sent Thu 26 Nov 10:00 + k * 1.37 s; draft deadline 15:48 + k * 1.37 s (5 WH). Everything due
# before 15:47 Thursday (their warnings, the sweep-cost cases' later timers) is fired before the clock starts.
LATENCY_SENT = datetime(2026, 11, 26, 10, 0, tzinfo=MSK)
LATENCY_DUE = datetime(2026, 11, 26, 15, 48, tzinfo=MSK)
# Parked timers come due from Friday 27 Nov on, spread over 60 days: never due during the benchmark.
PARKED_FROM = datetime(2026, 11, 27, 9, 0, tzinfo=MSK)

LINES: list[str] = []


def say(line: str = "") -> None:
    """Print a line and keep it for the results file."""
    print(line, flush=True)
    LINES.append(line)


class RunningClock:
    """A clock that moves at real speed from a chosen moment; thread-safe to read."""

    def __init__(self, start: datetime) -> None:
        self.start(start)

    def start(self, moment: datetime) -> None:
        """Restart the clock from `moment`."""
        self._anchor, self._mono = moment, time.monotonic()

    def now(self) -> datetime:
        return self._anchor + timedelta(seconds=time.monotonic() - self._mono)


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for the table."""
    return f"{seconds * 1000:8.1f}"


# -------------------------------------------------------------------------------------------------- set-up


def fresh_database(url: str) -> None:
    """Empty the database and migrate it to the latest schema."""
    empty_database(url)
    migrate(url)


def prepare_people(sessions: Callable[[], Session], clock: FixedClock) -> None:
    """Reference lists, the process library, a curator and the housing body's executor and responsible official."""
    with sessions() as session:
        load_reference(session=session, clock=clock)
        session.commit()
        for username, role, body in (("bench.curator", "curator", None), ("bench.kgkh", "executor", "kgkh"),
                                     ("bench.kgkh.resp", "responsible", "kgkh")):
            create_user(session=session, username=username, password=PASSWORD, role=role, full_name=username,
                        body_code=body)
        session.commit()


def send_case(session: Session, clock: FixedClock, curator: User, tag: str) -> int:
    """Register a message and send it to kgkh at the clock's moment; returns the case id."""
    case = register_message(session=session, clock=clock, actor=curator, source="api", channel="vk",
                            url=f"https://vk.com/wall-1_{tag}", author="Ирина Петрова",
                            text="Нет горячей воды третий день", published_at="2026-11-24T08:30")
    triage = session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id))
    assert triage is not None
    complete_task(session=session, user=curator, task_id=triage, form_data=dict(TRIAGE), clock=clock)
    return case.id


def send_cases(sessions: Callable[[], Session], clock: FixedClock) -> tuple[list[int], list[int]]:
    """The real cases: one per sweep sample per level, and one per latency sample."""
    sweep_cases, latency_cases = [], []
    with sessions() as session:
        curator = session.scalar(select(User).where(User.username == "bench.curator"))
        assert curator is not None
        for i in range(SWEEP_SAMPLES * len(LEVELS)):
            clock.set(SWEEP_SENT + i * SWEEP_SPACING)
            sweep_cases.append(send_case(session, clock, curator, f"sweep{i}"))
        for k in range(LATENCY_SAMPLES):
            clock.set(LATENCY_SENT + k * SPACING)
            latency_cases.append(send_case(session, clock, curator, f"latency{k}"))
        session.commit()
    return sweep_cases, latency_cases


def park_cases(sessions: Callable[[], Session], template_id: int) -> list[int]:
    """Copies of a real case that only hold waiting timers (the claim must never reach them)."""
    with sessions() as session:
        case = session.get(Case, template_id)
        assert case is not None
        columns = {c.key: getattr(case, c.key) for c in Case.__table__.columns if c.key != "id"}
        rows = [{**columns, "url": f"https://vk.com/parked_{n}", "url_key": f"vk.com/parked_{n}"}
                for n in range(PARKED_CASES)]
        session.execute(insert(Case), rows)
        session.commit()
        return list(session.scalars(select(Case.id).where(Case.url_key.like("vk.com/parked_%")).order_by(Case.id)))


def park_timers(sessions: Callable[[], Session], parked: list[int], start: int, stop: int) -> None:
    """Add waiting timers number `start` to `stop`, due at spread moments over the 60 days from PARKED_FROM."""
    span = 60 * 24 * 3600
    with sessions() as session:
        for first in range(start, stop, 10_000):
            rows = []
            for n in range(first, min(stop, first + 10_000)):
                due = PARKED_FROM + timedelta(seconds=(n * 7919) % span)
                rows.append({"case_id": parked[n % len(parked)], "task_guid": str(uuid.uuid4()), "kind": "deadline",
                             "parameter": "draft", "step": "draft", "due_at": due, "armed_at": SWEEP_SENT})
            session.execute(insert(Timer), rows)
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE timer"))  # what autovacuum does after a bulk load
            session.commit()


def drain(sessions: Callable[[], Session], clock: Any) -> int:
    """Sweep until nothing is due; returns how many cases woke."""
    woken = 0
    while swept := fire_due_timers(sessions=sessions, clock=clock):
        woken += swept
    return woken


# ------------------------------------------------------------------------------------------- measurements


class Statements:
    """The SQL statements an engine ran, and the time spent in them (commits excluded)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.seconds = 0.0
        self._began = 0.0

    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self.seen.append((statement, parameters))
        self._began = time.perf_counter()

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self.seconds += time.perf_counter() - self._began


@contextmanager
def statements(engine: Engine) -> Iterator[Statements]:
    """Record the SQL statements the engine runs meanwhile."""
    record = Statements()
    event.listen(engine, "before_cursor_execute", record.before)
    event.listen(engine, "after_cursor_execute", record.after)
    try:
        yield record
    finally:
        event.remove(engine, "before_cursor_execute", record.before)
        event.remove(engine, "after_cursor_execute", record.after)


def sweep_costs(sessions: Callable[[], Session], engine: Engine, clock: FixedClock, parked: list[int],
                sweep_cases: list[int]) -> tuple[str, Any]:
    """The cost of an empty sweep and of a one-case sweep at each level; returns the claim statement."""
    clock.set(SWEEP_WARNINGS_DONE)
    warned = drain(sessions, clock)
    assert warned == len(sweep_cases), f"expected every sweep case's warning to fire, woke {warned}"
    say("waiting timers: parked ones plus the real cases' later timers; an empty sweep is one claim that finds")
    say("nothing (BEGIN, claim, ROLLBACK); a one-case sweep wakes one case whose deadline just passed and ends with")
    say("an empty claim; 'SQL' is the time inside its SQL statements (the rest is the engine in Python and commit);")
    say("'CPU' is this process's CPU time for it, which other work on the box disturbs less than wall time.")
    say(f"{'waiting timers':>15} | {'empty sweep median / p90 / max, ms':>36} | "
        f"{'one-case sweep median / max, ms':>32} | {'its SQL median / max, ms':>25} | its CPU median, ms")
    claim: tuple[str, Any] = ("", None)
    medians: list[tuple[float, float, float, float]] = []
    parked_so_far = 0
    for level_no, level in enumerate(LEVELS):
        park_timers(sessions, parked, parked_so_far, level)
        parked_so_far = level
        with sessions() as session:
            waiting = session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at > clock.now()))
        empty, one, sql, cpu = [], [], [], []
        for sample in range(SWEEP_SAMPLES):
            i = level_no * SWEEP_SAMPLES + sample
            clock.set(SWEEP_DUE + i * SWEEP_SPACING + timedelta(seconds=1))
            with statements(engine) as record:
                began, began_cpu = time.perf_counter(), time.process_time()
                woke = fire_due_timers(sessions=sessions, clock=clock)
                one.append(time.perf_counter() - began)
                cpu.append(time.process_time() - began_cpu)
            assert woke == 1, f"one case's deadline was due, {woke} woke"
            sql.append(record.seconds)
            claim = next(s for s in record.seen if "FROM timer" in s[0] and "ORDER BY" in s[0])
            for _ in range(EMPTY_SAMPLES // SWEEP_SAMPLES):
                began = time.perf_counter()
                assert fire_due_timers(sessions=sessions, clock=clock) == 0
                empty.append(time.perf_counter() - began)
        empty.sort()
        medians.append((statistics.median(empty), statistics.median(one), statistics.median(sql),
                        statistics.median(cpu)))
        say(f"{waiting:>15,} | {ms(statistics.median(empty))} / {ms(empty[int(len(empty) * 0.9)])} / "
            f"{ms(empty[-1])}      | {ms(statistics.median(one))} / {ms(max(one))}         | "
            f"{ms(statistics.median(sql))} / {ms(max(sql))}  | {ms(statistics.median(cpu))}")
    first, last = medians[0], medians[-1]
    say(f"100,000 vs 1,000 parked timers, ratio of medians: empty sweep x{last[0] / first[0]:.2f}, one-case sweep "
        f"x{last[1] / first[1]:.2f}, its SQL x{last[2] / first[2]:.2f}, its CPU x{last[3] / first[3]:.2f}")
    return claim


def explain(engine: Engine, claim: tuple[str, Any]) -> None:
    """The plan of the claim query as the scheduler runs it, with 100,000 waiting timers."""
    statement, parameters = claim
    say("claim query: " + " ".join(statement.split()))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            say("EXPLAIN QUERY PLAN:")
            for row in rows:
                say(f"  {row[-1]}")
        else:
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters).all()
            say("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF):")
            for row in rows:
                say(f"  {row[0]}")
        conn.rollback()


def latency(url: str, sessions: Callable[[], Session], latency_cases: list[int], secret: str) -> None:
    """Due moment to breach recorded, with the in-process scheduler sweeping every second."""
    warm = FixedClock(LATENCY_DUE - timedelta(minutes=1))
    drain(sessions, warm)  # what came due before: the sweep-cost cases' later timers, these cases' warnings
    clock = RunningClock(LATENCY_DUE - timedelta(seconds=2))
    app = create_app({"DATABASE_URL": url, "CLOCK": clock, "SECRET_KEY": secret, "OTKLIK_SCHEDULER": True,
                      "OTKLIK_SCHEDULER_SECONDS": 1.0})
    clock.start(LATENCY_DUE - timedelta(seconds=2))
    last_due = LATENCY_DUE + (LATENCY_SAMPLES - 1) * SPACING
    try:
        while clock.now() < last_due + timedelta(seconds=TARGET_S + 1):
            time.sleep(0.25)
    finally:
        app.extensions["otklik.scheduler"].shutdown(wait=True)
        app.extensions["otklik.engine"].dispose()
    with sessions() as session:
        acted = dict(session.execute(select(CaseEvent.case_id, func.min(CaseEvent.at)).where(
            CaseEvent.kind == "overdue", CaseEvent.step == "draft", CaseEvent.case_id.in_(latency_cases))
            .group_by(CaseEvent.case_id)).all())
        waiting = session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at > clock.now()))
    delays = [(acted[case_id] - (LATENCY_DUE + k * SPACING)).total_seconds()
              for k, case_id in enumerate(latency_cases) if case_id in acted]
    missed = LATENCY_SAMPLES - len(delays)
    delays.sort()
    say(f"latency, due -> breach recorded, {len(delays)} deadlines {SPACING.total_seconds()} s apart, "
        f"{waiting:,} timers waiting, APScheduler interval 1 s:")
    say(f"  min {delays[0]:.3f} s, median {statistics.median(delays):.3f} s, p90 "
        f"{delays[int(len(delays) * 0.9)]:.3f} s, max {delays[-1]:.3f} s; not acted on: {missed}; "
        f"target <= {TARGET_S:.0f} s: {'met' if not missed and delays[-1] <= TARGET_S else 'NOT met'}")


def run(url: str, label: str) -> None:
    """All measurements on one database."""
    say()
    say(f"== {label} ==")
    fresh_database(url)
    clock = FixedClock(SWEEP_SENT)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    began = time.perf_counter()
    prepare_people(sessions, clock)
    sweep_cases, latency_cases = send_cases(sessions, clock)
    parked = park_cases(sessions, sweep_cases[0])
    say(f"set-up: {len(sweep_cases) + len(latency_cases)} real cases, {len(parked):,} parked cases "
        f"({time.perf_counter() - began:.1f} s)")
    claim = sweep_costs(sessions, engine, clock, parked, sweep_cases)
    explain(engine, claim)
    latency(url, sessions, latency_cases, secret="bench-secret-key-of-sufficient-length-148")
    engine.dispose()


def main() -> None:
    """Run on SQLite and PostgreSQL, print the figures and keep them in bench/results/wakeup.txt."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("OTKLIK_BENCH_POSTGRES", POSTGRES))
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    say(f"wake-up benchmark, {datetime.now(MSK):%Y-%m-%d %H:%M %Z}")
    say(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at start (other work on the box)")
    say(f"sweep = services.timers.fire_due_timers: claim (SKIP LOCKED on PostgreSQL) + engine wake + projections + "
        f"commit, each case in its own transaction; {SWEEP_SAMPLES} one-case sweeps and {EMPTY_SAMPLES} empty "
        f"sweeps per level")
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'wakeup.db'}", "SQLite (WAL, BEGIN IMMEDIATE)")
    if not args.sqlite_only:
        run(args.postgres, f"PostgreSQL ({args.postgres.rsplit('@', 1)[-1]})")
    text_out = "\n".join(LINES) + "\n"
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "wakeup.txt").write_text(text_out, encoding="utf-8")


if __name__ == "__main__":
    main()
