"""Where the gunicorn worker spends its time: py-spy sampling of the real server during the HTTP flows.

Needs py-spy in the venv (`.venv/bin/pip install py-spy`; it attaches with ptrace, so run as the same user or
root). Starts gunicorn like http_bench.py, samples the worker with `py-spy record --format raw --nonblocking`
while the client drives a flow, and prints, per flow and per API view: the share of worker samples by layer
(gunicorn, Flask/Werkzeug, SQLAlchemy Python, SQLite C, engine, JSON, jsonschema, project code) and the
inclusive share of the functions worth optimising. Results in bench/results/pyspy_profile.txt; with
--raw-dir DIR the raw collapsed stacks are kept as DIR/pyspy_<flow>.txt (for flamegraph.pl or speedscope).

    .venv/bin/python bench/spy_bench.py [--instances 200] [--cases 50] [--open-cases 0] [--rate 500]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import http_bench as hb

RESULTS = ROOT / "bench" / "results"
PY_SPY = Path(sys.executable).parent / "py-spy"
LINES: list[str] = []

# Layers, first match wins, looked up over the whole stack.
LAYERS: list[tuple[str, re.Pattern[str]]] = [
    ("engine: Runner (SpiffWorkflow step, state JSON load/dump)", re.compile(r"\(engine/runner\.py")),
    ("SQLite C (execute, fetch, commit)", re.compile(r"DefaultDialect\.do_(execute|commit|begin|rollback)|"
                                                      r"exec_driver_sql|CursorFetchStrategy\.fetch|"
                                                      r"_connect \(services/db\.py")),
    ("SQLAlchemy (ORM/Core Python)", re.compile(r"\(sqlalchemy/")),
    ("jsonschema (form validation)", re.compile(r"\(jsonschema/|\(referencing/")),
    ("JSON encode/decode", re.compile(r"\(json/")),
    # The WSGI wrapper adding security headers is under every request; it does not make a sample project code.
    ("project code (services, web, engine, models)",
     re.compile(r"(?<!_with_security_headers\.<locals>\.app )\((services|web|engine|models)/")),
    ("Flask/Werkzeug", re.compile(r"\((flask|werkzeug|flask_login|flask_wtf|flask_babel)/")),
    ("gunicorn (accept, parse, write, close)", re.compile(r"\(gunicorn/")),
]
# Functions whose inclusive share is reported.
FUNCTIONS = re.compile(
    r"^(user_by_token|complete_task|open_task|inbox|case_view|register_message|apply_snapshot|runner_for|"
    r"run_step|_form_of|_visible_task|visible_case|_record_domain|_rule_errors|add_event|_apply_effects|bundle_of|"
    r"load_bundle|calendar_resolver|current_version_id|form_options|FormSchema\.validate|FormSchema\.with_options|"
    r"Runner\.(start|complete)|load_state|dump_state|Runner\._snapshot|Session\.commit|Session\.flush|"
    r"Session\.get|Session\.scalars?|Session\.execute|_task_json|_event_json|_draft_json|Flask\.make_response|"
    r"_finish|SyncWorker\.handle_request|Response\.write|close_graceful|Request\.parse_request_line|"
    r"BpmnWorkflow\.do_engine_steps|calendar_for|deadline_functions|pending_timers) \(")
VIEW = re.compile(r"^(messages|tasks|task|complete|case|token) \(web/api\.py")
IDLE = re.compile(r"SyncWorker\.(wait|accept)|select \(selectors|PollSelector|EpollSelector\.select")


def say(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def strip(frame: str) -> str:
    return re.sub(r":\d+\)$", ")", frame)


def scope_of(frames: list[str]) -> str:
    """The API view a sample belongs to, or the part of request handling around the views."""
    view = next((f.split(" ")[0] for f in frames if VIEW.match(f)), None)
    if view:
        return f"view {view}"
    if any(f.startswith("user_by_token (") for f in frames):
        return "bearer token check (token_required)"
    if any(f.startswith("_finish (web/common.py") for f in frames):
        return "commit after the view (after_request)"
    return "HTTP and Flask around the view"


def analyse(raw: Path, title: str, instances: int, cpu_ms: float) -> None:
    """Print the layer and function breakdown of one collapsed-stack file."""
    layers: dict[str, Counter[str]] = defaultdict(Counter)
    functions: dict[str, Counter[str]] = defaultdict(Counter)
    busy: Counter[str] = Counter()
    idle = 0
    for line in raw.read_text().split("\n"):  # not splitlines: frames may hold \x1c..\x1e or \u2028
        stack, _, text = line.rpartition(" ")
        if not stack:
            continue
        n = int(text)
        frames = [strip(f) for f in stack.split(";")]
        if IDLE.search(frames[-1]):
            idle += n
            continue
        for scope in (scope_of(frames), "all"):
            busy[scope] += n
            joined = ";".join(frames)
            layer = next((name for name, pattern in LAYERS if pattern.search(joined)), "other")
            layers[scope][layer] += n
            for name in {f.split(" (")[0] for f in frames if FUNCTIONS.match(f)}:
                functions[scope][name] += n
    total = busy["all"]
    say(f"== {title}")
    say(f"  {total} busy samples ({idle} idle samples waiting for the next request left out); ms = share of "
        f"samples x the worker's CPU per instance measured from /proc ({cpu_ms:.1f} ms)")
    for scope in ["all", *sorted((s for s in busy if s != "all"), key=lambda s: -busy[s])]:
        n = busy[scope]
        if not n:
            continue
        say(f"  -- {'whole worker' if scope == 'all' else scope}: {100 * n / total:.1f} % of samples, "
            f"~{cpu_ms * n / total:.1f} ms CPU per instance")
        for layer, hits in layers[scope].most_common():
            say(f"     {100 * hits / n:5.1f} %  {layer}")
        top = [(name, count) for name, count in functions[scope].most_common(16)]
        say("     inclusive: " + "; ".join(f"{name} {100 * count / n:.0f} %" for name, count in top))
    say()


def record(worker: int, out: Path, rate: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([str(PY_SPY), "record", "--pid", str(worker), "--rate", str(rate), "--format", "raw",
                             "--nonblocking", "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # py-spy attaches
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(2)  # SIGINT: py-spy writes the file and exits
    _, err = proc.communicate(timeout=60)
    if proc.returncode not in (0, None) and err:
        print(err.decode()[-500:], file=sys.stderr)


def worker_of(master: int) -> int:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            return int(stat.parent.name)
    raise RuntimeError("no gunicorn worker found")


RAW_DIR: list[Path] = []


def spied(client: hb.Client, master: int, name: str, title: str, count: int, warmup: int, flow: object,
          rate: int, unit: str = "instances", clients: list[hb.Client] | None = None) -> None:
    raw = RAW_DIR[0] / f"pyspy_{name}.txt"
    for i in range(warmup):
        flow(-1 - i)  # type: ignore[operator]
    spy = record(worker_of(master), raw, rate)
    run = hb.measure(clients or client, title, count, 0, flow, unit=unit)  # type: ignore[arg-type]
    stop(spy)
    LINES.extend(hb.LINES)
    hb.LINES.clear()
    analyse(raw, title, len(run.instances), (run.server_cpu or 0.0) / len(run.instances) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--open-cases", type=int, default=0, help="seed open cases before the two-task flows")
    parser.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    parser.add_argument("--snapshot", action="store_true", help="profile a `git archive HEAD` export")
    parser.add_argument("--raw-dir", type=Path, default=None, help="keep py-spy's raw collapsed stacks here")
    parser.add_argument("--out", type=Path, default=RESULTS / "pyspy_profile.txt")
    args = parser.parse_args()
    if not PY_SPY.exists():
        raise SystemExit(f"py-spy not found at {PY_SPY}: .venv/bin/pip install py-spy")
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="otklik-spy-"))
    if args.snapshot:
        hb.use_snapshot(tmp)
    RAW_DIR.append(args.raw_dir or tmp)
    RAW_DIR[0].mkdir(parents=True, exist_ok=True)
    try:
        hb.header()
        LINES.extend(hb.LINES)
        hb.LINES.clear()
        db_a = tmp / "two_tasks.db"
        env_a = hb.prepare_database(db_a, [hb.TWO_TASKS_DIR], hb.TWO_TASKS_PROCESS, executor=False)
        if args.open_cases:
            hb.seed_open_cases(db_a, args.open_cases)
        with hb.gunicorn(env_a, tmp / "gunicorn.log") as (port, master):
            client = hb.Client(port, master)
            client.login(hb.CURATOR)
            suffix = f", {args.open_cases} open cases" if args.open_cases else ""
            spied(client, master, "two_tasks_case", f"(a') two tasks, next task via case read{suffix}",
                  args.instances, 10, hb.two_tasks_flow(client, "spy_case", "case"), args.rate)
            inbox_count = args.instances if not args.open_cases else max(3, args.instances // 50)
            spied(client, master, "two_tasks_inbox", f"(a) two tasks, next task via inbox{suffix}",
                  inbox_count, 2, hb.two_tasks_flow(client, "spy_inbox", "inbox"), args.rate)
        db_b = tmp / "main_path.db"
        env_b = hb.prepare_database(db_b, [hb.APP / "bpmn", hb.APP / "forms"], hb.MAIN_PROCESS, executor=True)
        with hb.gunicorn(env_b, tmp / "gunicorn.log") as (port, master):
            curator, executor = hb.Client(port, master), hb.Client(port, master)
            curator.login(hb.CURATOR)
            executor.login(hb.EXECUTOR)
            spied(curator, master, "main_path", "(b) main path", args.cases, 5,
                  hb.main_path_flow(curator, executor), args.rate, unit="cases", clients=[curator, executor])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        args.out.write_text("\n".join(LINES) + "\n", encoding="utf-8")
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
