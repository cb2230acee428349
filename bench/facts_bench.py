"""What last session's additions cost a step: the main path in-process, before and after, interleaved, and the
report facts' own share.

Each round runs the regulation's main path (register, triage, draft, approval, publication) for --cases cases
through Flask's test client and the JSON API on a fresh SQLite file, three ways, alternating: in a `git archive` of
the commit before the additions (--before, default b000e04), in the working tree, and in the working tree with the
report facts' writers (services.reports.facts: case_registered, steps_changed, task_completed, write_case_fact...)
replaced by no-ops. The last is a bench-only monkeypatch in the child process, never a setting of the product: it
gives the facts' share of a step by A/B inside the same tree. It prints the median time of the step-recording
requests (the five POSTs) per case for each, the SQL statements of each step (counted with SQLAlchemy's
before_cursor_execute event; the same on every run), the differences and the load averages.

With --instructions it counts CPU instructions instead of timing (valgrind's callgrind, collecting only inside the
five POSTs of each measured case, through a 3-line client-request helper compiled with gcc): the same figures on a
busy machine, within a few tenths of a per cent. Instructions leave out the kernel's share (SQLite's file writes).

    .venv/bin/python bench/facts_bench.py [--cases 150] [--rounds 3] [--before b000e04]
    .venv/bin/python bench/facts_bench.py --instructions [--cases 22]     # -> results/facts_instructions.txt
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("register", "triage", "draft", "approval", "publication")
WARMUP = 10  # cases before the measured ones
FACT_WRITERS = ("case_registered", "steps_changed", "task_completed", "write_case_fact", "breach_recorded",
                "competence_checked", "repeat_linked")
LABELS = ("before", "after", "after without facts")
# Callgrind's client requests: collect only around a request, and dump its counts under the step's name.
TOGGLE_SOURCE = """#include <valgrind/callgrind.h>
void toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
void dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
"""


def run_tree(cases: int, without_facts: bool, toggle_library: str | None) -> dict[str, object]:
    """The main path `cases` times in this process's tree: milliseconds per request type, and statements per step
    (under callgrind with `toggle_library`, the measured requests' counts are dumped as they run)."""
    from sqlalchemy import event

    from app import create_app
    from engine.clock import SystemClock
    from services.auth import create_user
    from services.setup import load_reference
    from web.cli import migrate

    if without_facts:  # the bench's A/B of the facts' share: this child process records none
        from services.reports import facts

        for name in FACT_WRITERS:
            setattr(facts, name, lambda **_: None)
    measure = _callgrind(toggle_library) if toggle_library else None
    times: dict[str, list[float]] = {step: [] for step in STEPS}
    statements: dict[str, int] = {}
    executed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        app = create_app({"DATABASE_URL": url, "TESTING": True, "WTF_CSRF_ENABLED": False, "OTKLIK_SCHEDULER": False,
                          "SECRET_KEY": "bench-secret-key-of-sufficient-length-1234", "SESSION_COOKIE_SECURE": False})
        with app.app_context():
            session = app.extensions["otklik.sessions"]()
            load_reference(session=session, clock=SystemClock())
            for name, role, body in (("b.curator", "curator", None), ("b.exec", "executor", "kgkh")):
                create_user(session=session, username=name, password="bench-password-148", role=role,
                            full_name=name, body_code=body)
            session.commit()
            session.close()
        event.listen(app.extensions["otklik.engine"], "before_cursor_execute",
                     lambda conn, cursor, statement, *rest: executed.append(statement))
        client = app.test_client()
        heads = {}
        for name in ("b.curator", "b.exec"):
            token = client.post("/api/v1/auth/token", json={"username": name, "password": "bench-password-148"})
            heads[name] = {"Authorization": f"Bearer {token.json['token']}"}

        def timed(case: int, step: str, method: str, path: str, who: str, body: object = None) -> dict[str, object]:
            def send() -> object:
                return client.open(path, method=method, json=body, headers=heads[who])

            executed.clear()
            start = time.perf_counter()
            response = measure(step, send) if measure and case >= WARMUP else send()
            times[step].append((time.perf_counter() - start) * 1000)
            assert response.status_code < 300, response.get_data(as_text=True)  # type: ignore[attr-defined]
            statements[step] = len(executed)
            return dict(response.json)  # type: ignore[attr-defined]

        for i in range(cases):
            now = datetime.now(UTC).isoformat()
            case_id = timed(i, "register", "POST", "/api/v1/messages", "b.curator", {
                "channel": "vk", "url": f"https://vk.com/wall-148_{i}", "author": "Тест",
                "text": "Нет горячей воды третий день", "published_at": now})["case_id"]
            for step, who, data in (
                    ("triage", "b.curator", {"triage_decision": "send", "theme": "heating", "location": "gatchinsky",
                                             "importance": "normal", "bodies": ["kgkh"], "order": "parallel"}),
                    ("draft", "b.exec", {"draft_outcome": "draft", "reply_kind": "reply",
                                         "reply_text": "Здравствуйте! Горячую воду дадут сегодня к 18:00."}),
                    ("approval", "b.curator", {"approval_decision": "approve"}),
                    ("publication", "b.exec", {"published_url": f"https://vk.com/wall-148_{i}?reply=1",
                                               "published_at": now})):
                tasks = client.get(f"/api/v1/tasks?case_id={case_id}", headers=heads[who]).json["tasks"]
                timed(i, step, "POST", f"/api/v1/tasks/{tasks[0]['id']}/complete", who, data)
        app.extensions["otklik.engine"].dispose()
    for step in STEPS:
        times[step] = times[step][WARMUP:]
    return {"times": times, "statements": statements}


def _callgrind(library: str) -> Callable[[str, Callable[[], object]], object]:
    """Run a request with callgrind collecting, then dump its counts under the step's name."""
    import ctypes

    helper = ctypes.CDLL(library)

    def measure(step: str, send: Callable[[], object]) -> object:
        helper.toggle()
        try:
            return send()
        finally:
            helper.toggle()
            helper.dump(step.encode())

    return measure


def export(commit: str, target: Path) -> None:
    """A `git archive` of a commit into target."""
    data = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(target, filter="data")


def child(label: str, tree: Path, cases: int, callgrind_dir: Path | None = None) -> dict[str, object]:
    """One run of a variant in its own process; under callgrind (its dumps in callgrind_dir) when given."""
    command = [sys.executable, __file__, "--cases", str(cases), "--child", str(tree)]
    if label == "after without facts":
        command.append("--without-facts")
    env = dict(os.environ)
    if callgrind_dir is not None:
        command = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
                   f"--callgrind-out-file={callgrind_dir}/callgrind.%p", *command,
                   "--toggle-library", str(callgrind_dir / "toggle.so")]
        env["PYTHONHASHSEED"] = "0"
    out = subprocess.run(command, cwd=tree, check=True, capture_output=True, text=True, env=env).stdout
    return dict(json.loads(out.splitlines()[-1]))


def instructions(callgrind_dir: Path) -> dict[str, float]:
    """The median instructions of each step's dumped requests (and removes the dumps)."""
    counts: dict[str, list[int]] = {step: [] for step in STEPS}
    for dump in callgrind_dir.glob("callgrind.*"):
        text = dump.read_text(errors="replace")
        step = re.search(r"^desc: Trigger: Client Request: (\w+)", text, re.M)
        total = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
        if step and total and step.group(1) in counts:
            counts[step.group(1)].append(int(total.group(1)))
        dump.unlink()
    return {step: statistics.median(values) for step, values in counts.items()}


def table(title: str, unit: str, value: Callable[[float], str], p50: dict[str, dict[str, float]],
          statements: dict[str, dict[str, int]]) -> list[str]:
    """The per-step comparison of the three variants."""
    lines = [f"  {title}", f"  {'step':12} {'before':>11} {'after':>11} {'change':>8}   {'statements':>10}   "
                           f"{'without facts':>13} {'facts share':>11}"]
    for step in STEPS:
        b, a, n = p50["before"][step], p50["after"][step], p50["after without facts"][step]
        lines.append(f"  {step:12} {value(b):>8} {unit} {value(a):>8} {unit} {100 * (a - b) / b:+7.1f} %   "
                     f"{statements['before'][step]:>4} -> {statements['after'][step]:<3}   "
                     f"{value(n):>10} {unit} {100 * (a - n) / a:+10.1f} %")
    b, a, n = (sum(p50[label].values()) for label in LABELS)
    lines.append(f"  all five steps: before {value(b)} {unit}, after {value(a)} {unit} per case: "
                 f"{100 * (a - b) / b:+.1f} %; statements {sum(statements['before'].values())} -> "
                 f"{sum(statements['after'].values())}")
    lines.append(f"  the report facts' share of the five steps: after {value(a)} {unit}, the same tree without "
                 f"recording them {value(n)} {unit}: {100 * (a - n) / a:.1f} %")
    return lines


def load() -> str:
    """The machine's load averages (it is shared)."""
    return "load average " + " ".join(f"{n:.2f}" for n in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default="b000e04")
    parser.add_argument("--instructions", action="store_true", help="count instructions under callgrind")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--without-facts", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--toggle-library", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, args.child)
        print(json.dumps(run_tree(args.cases, args.without_facts, args.toggle_library)))
        return
    cases = args.cases or (22 if args.instructions else 150)
    what = "CPU instructions under callgrind, 1 run each" if args.instructions else f"{args.rounds} rounds"
    lines = [f"facts_bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; before = {args.before}, after = working tree; "
             f"{cases} main-path cases per run ({WARMUP} unmeasured), {what}, SQLite, in-process (Flask test "
             f"client); {os.cpu_count()} CPUs, {load()} at the start"]
    results: dict[str, dict[str, list[float]]] = {label: {s: [] for s in STEPS} for label in LABELS}
    statements: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp) / "before"
        export(args.before, before)
        trees = dict(zip(LABELS, (before, ROOT, ROOT), strict=True))
        if args.instructions:
            callgrind_dir = Path(tmp)
            (callgrind_dir / "toggle.c").write_text(TOGGLE_SOURCE)
            subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(callgrind_dir / "toggle.so"),
                            str(callgrind_dir / "toggle.c")], check=True)
            counts = {}
            for label, tree in trees.items():
                statements[label] = child(label, tree, cases, callgrind_dir)["statements"]  # type: ignore[assignment]
                counts[label] = instructions(callgrind_dir)
            lines += table("CPU instructions per request, median", "M", lambda v: f"{v / 1e6:.2f}", counts,
                           statements)
        else:
            rounds = []  # per round, the five steps' p50 sum of each variant (the variants of a round run together)
            for _ in range(args.rounds):
                sums = {}
                for label, tree in trees.items():
                    run = child(label, tree, cases)
                    for step, values in run["times"].items():  # type: ignore[attr-defined]
                        results[label][step].extend(values)
                    statements[label] = run["statements"]  # type: ignore[assignment]
                    sums[label] = sum(statistics.median(v) for v in run["times"].values())  # type: ignore[attr-defined]
                rounds.append(sums)
            p50 = {label: {s: statistics.median(results[label][s]) for s in STEPS} for label in LABELS}
            lines += table("wall time per request, p50", "ms", lambda v: f"{v:.2f}", p50, statements)
            change = sorted(100 * (r["after"] - r["before"]) / r["before"] for r in rounds)
            share = sorted(100 * (r["after"] - r["after without facts"]) / r["after"] for r in rounds)
            lines.append(f"  round by round (a round's variants run one after another): after against before "
                         f"{statistics.median(change):+.1f} % (median; {change[0]:+.1f} to {change[-1]:+.1f}), "
                         f"the facts' share {statistics.median(share):.1f} % ({share[0]:.1f} to {share[-1]:.1f})")
    lines.append(f"  {load()} at the end")
    print("\n".join(lines))
    name = "facts_instructions.txt" if args.instructions else "facts.txt"
    (ROOT / "bench" / "results" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
