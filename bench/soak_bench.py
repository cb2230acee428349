"""Soak: 8 clients work every path of the regulation against gunicorn for 2 minutes, then every case is checked.

    .venv/bin/python bench/soak_bench.py [--seconds 120] [--clients 8]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/DB]   # ALSO on PostgreSQL: that database is emptied

SQLite runs with one gunicorn worker (one writer), PostgreSQL with --workers (4). The paths, the client and the
checks are tests/soak.py's (the same as tests/test_concurrency.py, there bounded to a few cases). Prints lost,
doubled, stalled and 5xx counts (all must be 0) and the throughput; keeps bench/results/soak_sqlite.txt and
bench/results/soak_pg.txt.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from services.db import empty_database
from tests.soak import PATHS, Tally, check_in_fresh_process, drive, environment, gunicorn, ledger_problems


def prepare(url: str) -> None:
    """An empty schema with the reference lists and the demo people, as an operator sets it up."""
    empty_database(url)
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "init-db", "--demo"], cwd=ROOT,
                   env=environment(url), check=True, capture_output=True)


def soak(url: str, workers: int, clients: int, seconds: float, log: Path) -> list[str]:
    """One run; the lines of its report."""
    prepare(url)
    tally = Tally()
    with gunicorn(url, workers, log) as (port, _):
        began = time.monotonic()
        drive(port, tally, clients=clients, seconds=seconds, tag=f"soak-{int(time.time())}-")
        wall = time.monotonic() - began
    ledger = ledger_problems(url, tally)
    check = check_in_fresh_process(url)
    lost = [p for p in ledger if "not stored" in p]
    stalled = [p for p in check if "stalled" in p.lower() or "останов" in p.lower()]
    requests = sum(tally.statuses.values())
    retried = log.read_text(errors="replace").count("running it again")
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    lines = [
        f"soak {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {_commit()}; {database}, gunicorn {workers} sync "
        f"worker(s), {clients} clients, {seconds:.0f} s; Python {platform.python_version()}, {os.cpu_count()} CPUs",
        f"  cases: {len(tally.cases)} started, {sum(tally.finished.values())} ended as their path says; "
        f"{tally.steps} steps; {requests} requests",
        f"  throughput: {sum(tally.finished.values()) / wall:.2f} cases/s, {tally.steps / wall:.1f} steps/s, "
        f"{requests / wall:.1f} requests/s over {wall:.1f} s",
        f"  answers: {dict(sorted(tally.statuses.items()))}; requests resent after no answer: {tally.retried}; "
        f"units of work re-run by the server after a deadlock or serialization failure: {retried}",
        f"  lost: {len(lost)}  doubled: {len(ledger) - len(lost)}  stalled: {len(stalled)}  5xx: {tally.errors}  "
        f"other inconsistencies: {len(check) - len(stalled)}  wrong ends: {len(tally.wrong_ends)}",
        "  per path (started/ended): " + ", ".join(f"{p} {tally.started[p]}/{tally.finished[p]}" for p in PATHS),
    ]
    lines += [f"  ! {problem}" for problem in (ledger + check + tally.wrong_ends)[:20]]
    return lines


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers on PostgreSQL")
    parser.add_argument("--pg", help="also run on this PostgreSQL database (it is emptied)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [("sqlite", f"sqlite:///{tmp}/soak.db", 1)]
        if args.pg:
            runs.append(("pg", args.pg, args.workers))
        for name, url, workers in runs:
            lines = soak(url, workers, args.clients, args.seconds, Path(tmp) / f"gunicorn-{name}.log")
            print("\n".join(lines), flush=True)
            (ROOT / "bench" / "results" / f"soak_{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
