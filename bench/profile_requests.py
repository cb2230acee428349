"""Where a request's time goes: the two-task flow of http_bench.py in-process, through Flask's test client.

No HTTP server and no sockets: each API request runs in this process, so per-request times here are the app's
own cost (routing, auth, services, SQLAlchemy, SQLite, engine, JSON). For every request type it prints the
p50 in-process time and the top functions of a cProfile aggregated over all requests of that type; with
pyinstrument installed (pip install pyinstrument into the venv) and --pyinstrument, also a call tree of one
request of each type.

    .venv/bin/python bench/profile_requests.py [--instances 100] [--open-cases 0] [--top 25] [--pyinstrument]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import http_bench
from http_bench import (
    CURATOR,
    PASSWORD,
    TWO_TASKS_DIR,
    TWO_TASKS_PROCESS,
    message,
    prepare_database,
    seed_open_cases,
    task_of,
)

LINES: list[str] = []


def say(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


class Profiled:
    """The Flask test client with a bearer token; times and profiles each labelled request."""

    def __init__(self, app: Any, token: str | None = None) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.profiles: dict[str, cProfile.Profile] = defaultdict(cProfile.Profile)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.record = False
        self.tree_only = False
        self.tree_for: set[str] = set()
        self.trees: dict[str, str] = {}
        self.statements: dict[str, list[int]] = defaultdict(list)
        self.sql_log: dict[str, list[str]] = {}
        self._executed: list[str] = []
        from sqlalchemy import event

        event.listen(app.extensions["otklik.engine"], "before_cursor_execute",
                     lambda conn, cursor, statement, *rest: self._executed.append(statement))

    def call(self, label: str, method: str, path: str, body: Any = None) -> Any:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["json"] = body
        send = getattr(self.client, method.lower())
        self._executed.clear()
        if self.record and label in self.tree_for and label not in self.trees:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0001)
            profiler.start()
            response = send(path, **kwargs)
            profiler.stop()
            self.trees[label] = profiler.output_text(unicode=True, color=False, show_all=False)
        elif self.record and not self.tree_only:
            profile = self.profiles[label]
            began = time.perf_counter()
            profile.enable()
            response = send(path, **kwargs)
            profile.disable()
            self.times[label].append(time.perf_counter() - began)
            self.statements[label].append(len(self._executed))
            self.sql_log.setdefault(label, [" ".join(q.split())[:160] for q in self._executed])
        else:
            response = send(path, **kwargs)
        assert response.status_code in (200, 201), (path, response.status_code, response.get_data(as_text=True))
        return response.get_json()


def flow(c: Profiled, tag: str, locate: str) -> None:
    def find(case_id: int, step: str, label: str) -> int:
        if locate == "inbox":
            return task_of(c.call(label, "GET", "/api/v1/tasks")["tasks"], case_id, step)
        case = c.call(label, "GET", f"/api/v1/cases/{case_id}")
        return next(int(t["id"]) for t in case["open_tasks"] if t["step"] == step)

    case_id = c.call("start (POST /messages)", "POST", "/api/v1/messages", message(tag))["case_id"]
    task_a = find(case_id, "task_a", f"{locate} -> task A")
    c.call("open form A", "GET", f"/api/v1/tasks/{task_a}")
    c.call("submit A", "POST", f"/api/v1/tasks/{task_a}/complete", {"amount": 7, "comment": "профиль"})
    task_b = find(case_id, "task_b", f"{locate} -> task B")
    c.call("open form B", "GET", f"/api/v1/tasks/{task_b}")
    c.call("submit B", "POST", f"/api/v1/tasks/{task_b}/complete", {"approved": True})
    c.call("read instance", "GET", f"/api/v1/cases/{case_id}")


def top(profile: cProfile.Profile, count: int, calls: int, key: str) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats(key).print_stats(count)
    text = out.getvalue()
    body = text[text.index("   ncalls"):] if "   ncalls" in text else text
    return f"(aggregated over {calls} requests; times are totals, divide by {calls} for one request)\n" + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--open-cases", type=int, default=0, help="seed this many open cases first")
    parser.add_argument("--locate", choices=("inbox", "case"), default="inbox",
                        help="find the next task via the inbox or via GET /cases/{id}")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key: cumulative or tottime")
    parser.add_argument("--pyinstrument", action="store_true", help="also print one call tree per request type")
    parser.add_argument("--snapshot", action="store_true", help="profile a `git archive HEAD` export")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "profile_requests.txt")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="otklik-profile-") as tmp:
        if args.snapshot:
            http_bench.use_snapshot(Path(tmp))
        db = Path(tmp) / "profile.db"
        env = prepare_database(db, [TWO_TASKS_DIR], TWO_TASKS_PROCESS, executor=False)
        if args.open_cases:
            seed_open_cases(db, args.open_cases)
        from app import create_app

        app = create_app({"DATABASE_URL": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"],
                          "OTKLIK_PROCESS": env["OTKLIK_PROCESS"],
                          "OTKLIK_SCHEDULER": False})
        token = app.test_client().post("/api/v1/auth/token",
                                       json={"username": CURATOR, "password": PASSWORD}).get_json()["token"]
        c = Profiled(app, token)
        for i in range(10):
            flow(c, f"warm_{i}", args.locate)
        c.record = True
        if args.pyinstrument:
            c.tree_for = {"start (POST /messages)", f"{args.locate} -> task A", "open form A", "submit A",
                          "read instance"}
            c.tree_only = True
            flow(c, "tree", args.locate)
            c.tree_only = False
        began = time.perf_counter()
        for i in range(args.instances):
            flow(c, f"p_{i}", args.locate)
        wall = time.perf_counter() - began
        app.extensions["otklik.engine"].dispose()

    say(f"commit {http_bench.SNAPSHOT or 'working tree'}; python {sys.version.split()[0]}")
    say(f"in-process profile of the two-task flow: {args.instances} instances, {args.open_cases} extra open "
        f"cases, next task via {args.locate}; cProfile on (adds overhead; compare ratios, not absolutes)")
    say(f"  {args.instances / wall:.1f} instances/s in-process with the profiler on")
    say(f"  {'request type':28} {'p50 ms':>8} {'mean ms':>8} {'SQL statements':>15} {'Python calls':>13}")
    calls = {label: pstats.Stats(profile).total_calls / len(c.times[label]) for label, profile in c.profiles.items()}
    for label, values in c.times.items():
        say(f"  {label:28} {statistics.median(values) * 1000:8.2f} {statistics.fmean(values) * 1000:8.2f} "
            f"{statistics.median(c.statements[label]):15.0f} {calls[label]:13,.0f}")
    say(f"  per instance ({len(calls)} request types above): {sum(calls.values()):,.0f} Python calls, Flask's test "
        f"client included; the count is the same on any machine, unlike the times")
    for label, statements in c.sql_log.items():
        say()
        say(f"==== SQL of one request: {label} ({len(statements)} statements)")
        for statement in statements:
            say(f"  {statement}")
    for label, profile in c.profiles.items():
        say()
        say(f"==== {label}: top {args.top} by {args.sort}")
        say(top(profile, args.top, len(c.times[label]), args.sort))
    for label, tree in c.trees.items():
        say()
        say(f"==== pyinstrument, one request: {label}")
        say(tree)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
