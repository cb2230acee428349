"""HTTP benchmark of Otklik under gunicorn (one sync worker, SQLite, sequential client).

One command runs everything and keeps the printout in bench/results/http_bench.txt:

  (a)  the two-user-task process shaped like the SpiffArena load test (bench/two_tasks), driven over the API;
  (a0) the same process driven in-process by the engine alone (engine.runner.Runner, JSON save+load every step);
  (b)  the regulation's main path (bpmn/ + forms/, case_148rg): register, triage, draft, approval, publication;
  (a@N) (a) again after N real open cases of the two-task process were added to the database.

    .venv/bin/python bench/http_bench.py [--instances 200] [--open-cases 20000] [--cases 100]

Only the standard library is used on the client side: plain sockets, one request per TCP connection, since
gunicorn's sync worker closes the connection after every response, as a browser talking to it would see.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The application measured: the working tree, or a `git archive HEAD` snapshot of it (--snapshot).
APP = ROOT
SNAPSHOT: str | None = None

TWO_TASKS_DIR = ROOT / "bench" / "two_tasks"
TWO_TASKS_PROCESS = "bench_two_tasks"
MAIN_PROCESS = "case_148rg"
PASSWORD = "bench-password-148"
CURATOR = "bench.curator"
EXECUTOR = "bench.kgkh"
SPIFFARENA = "SpiffArena (spiffworkflow-backend, uvicorn 1 worker, SQLite, same 2-vCPU box): 4.4-5.4 inst/s"
TARGET = 50.0

LINES: list[str] = []


def say(line: str = "") -> None:
    """Print a line and keep it for the results file."""
    print(line, flush=True)
    LINES.append(line)


# ----------------------------------------------------------------------------------------------- statistics


def pct(samples: list[float], share: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


class Run:
    """Timings of one measured run: per request type and per instance, and the CPU the server worker spent."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.instances: list[float] = []
        self.wall = 0.0
        self.requests = 0
        self.server_cpu: float | None = None
        self.client_cpu = 0.0
        self.load: tuple[float, float] = (0.0, 0.0)

    @property
    def rate(self) -> float:
        return len(self.instances) / self.wall if self.wall else 0.0

    def report(self, unit: str = "instances") -> None:
        n = len(self.instances)
        say(f"{self.title}")
        say(f"  {n} {unit} in {self.wall:.2f} s = {self.rate:.1f} {unit}/s "
            f"({self.requests / n:.0f} requests each, {self.requests / self.wall:.0f} req/s)")
        say(f"  per {unit[:-1]}: p50 {pct(self.instances, .5):.1f} ms  p95 {pct(self.instances, .95):.1f} ms")
        if self.server_cpu is not None:
            per = self.server_cpu / n * 1000
            say(f"  gunicorn worker CPU {per:.1f} ms per {unit[:-1]} (= {1000 / per:.1f} {unit}/s if the worker had a "
                f"core to itself); client CPU {self.client_cpu / n * 1000:.1f} ms per {unit[:-1]}; "
                f"load average {self.load[0]:.2f} before, {self.load[1]:.2f} after")
        say(f"  {'request type':34} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
        for label, values in self.samples.items():
            say(f"  {label:34} {len(values):5d} {pct(values, .5):8.2f} {pct(values, .95):8.2f} "
                f"{statistics.fmean(values) * 1000:8.2f}")


# ----------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(db: Path, library: list[Path], process: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": f"sqlite:///{db}", "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
                "OTKLIK_PROCESS": process, "OTKLIK_LIBRARY": ",".join(str(p) for p in library),
                "OTKLIK_SCHEDULER": "0", "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def flask_cli(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=APP, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def prepare_database(db: Path, library: list[Path], process: str, *, executor: bool) -> dict[str, str]:
    """init-db for the library, then the benchmark's people, with the CLI an operator uses."""
    env = environment(db, library, process)
    flask_cli(env, "init-db")
    flask_cli(env, "users", "create", "--username", CURATOR, "--password", PASSWORD, "--role", "curator",
              "--full-name", "Bench Curator")
    if executor:
        flask_cli(env, "users", "create", "--username", EXECUTOR, "--password", PASSWORD, "--role", "executor",
                  "--body", "kgkh", "--full-name", "Bench Executor")
    return env


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """gunicorn with one sync worker on a free port; stopped (by its own pid) when the block ends."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", "1", "-b", f"127.0.0.1:{port}",
             "--timeout", "300", "--log-level", "warning", "app:create_app()"],
            cwd=APP, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/openapi.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {log}")
            time.sleep(0.1)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ----------------------------------------------------------------------------------------------- client


def use_snapshot(tmp: Path) -> None:
    """Measure the committed HEAD, exported with `git archive` (read-only for the repository), not the working
    tree, which other people may be editing; bench/two_tasks still comes from this checkout."""
    global APP, SNAPSHOT
    target = tmp / "app"
    target.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    SNAPSHOT = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    APP = target
    sys.path.insert(0, str(target))
    for name in [m for m in sys.modules if m.split(".")[0] in ("app", "engine", "services", "models", "web")]:
        del sys.modules[name]


def worker_cpu(master: int) -> float:
    """User+system CPU seconds of the gunicorn worker(s) forked by the master, from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # field 4 of stat: the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick  # fields 14 and 15: utime, stime
    return total


class Client:
    """A sequential JSON client over plain sockets; records the latency of labelled requests into the current run.

    One HTTP/1.1 request per TCP connection, as gunicorn's sync worker closes every connection after its response;
    the answer is read to the end of the stream and its Content-Length checked. It writes the request in one send and
    parses only the status line, so the client's own CPU, which a sequential client adds to every request's wall
    time, stays a small part of the figure (http.client spent about 0.5 ms a request on a 2-5 ms request).
    """

    def __init__(self, port: int, master: int | None = None) -> None:
        self.address = ("127.0.0.1", port)
        self.host = f"Host: 127.0.0.1:{port}\r\n".encode()
        self.master = master
        self.run: Run | None = None
        self.token = ""

    def login(self, username: str) -> str:
        self.token = self.call(None, "POST", "/api/v1/auth/token",
                               {"username": username, "password": PASSWORD})["token"]
        return self.token

    def call(self, label: str | None, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        head = [f"{method} {path} HTTP/1.1\r\n".encode(), self.host, b"Accept: application/json\r\n"]
        if token or self.token:
            head.append(f"Authorization: Bearer {token or self.token}\r\n".encode())
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            head.append(f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n".encode())
        request = b"".join(head) + b"Connection: close\r\n\r\n" + data
        began = time.perf_counter()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(600)
            sock.connect(self.address)
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(262144):
                chunks.append(chunk)
        spent = time.perf_counter() - began
        status, raw = _response(b"".join(chunks), method, path)
        if status not in (200, 201):
            raise RuntimeError(f"{method} {path} -> {status}: {raw[:500]!r}")
        if self.run is not None and label is not None:
            self.run.samples[label].append(spent)
            self.run.requests += 1
        return json.loads(raw)


def _response(answer: bytes, method: str, path: str) -> tuple[int, bytes]:
    """The status and body of a whole HTTP/1.1 response read to the end of the stream."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next((int(line[15:]) for line in lines if line[:15].lower() == b"content-length:"), None)
    if not lines[0].startswith(b"HTTP/1.") or length != len(body):
        raise RuntimeError(f"{method} {path}: incomplete or unframed response {answer[:300]!r}")
    return int(lines[0][9:12]), body


def measure(clients: Client | list[Client], title: str, count: int, warmup: int, one: Callable[[int], None],
            unit: str = "instances") -> Run:
    """Warm up, then time `count` sequential runs of `one`; the clients record into the run."""
    clients = clients if isinstance(clients, list) else [clients]
    for i in range(warmup):
        one(-1 - i)
    run = Run(title)
    for client in clients:
        client.run = run
    master = clients[0].master
    cpu_before = worker_cpu(master) if master else 0.0
    load_before = os.getloadavg()[0]
    client_cpu = time.process_time()
    began = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        one(i)
        run.instances.append(time.perf_counter() - t0)
    run.wall = time.perf_counter() - began
    run.client_cpu = time.process_time() - client_cpu
    run.load = (load_before, os.getloadavg()[0])
    if master:
        run.server_cpu = worker_cpu(master) - cpu_before
    for client in clients:
        client.run = None
    run.report(unit)
    return run


def now_iso(minutes_ago: int = 5) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def message(tag: str) -> dict[str, Any]:
    return {"channel": "vk", "url": f"https://vk.com/wall-148_{tag}", "author": "Нагрузочный тест",
            "text": "Нет горячей воды третий день", "published_at": now_iso()}


def task_of(tasks: list[dict[str, Any]], case_id: int, step: str) -> int:
    for task in reversed(tasks):  # the newest task is at the end of a deadline-less inbox
        if task["case_id"] == case_id and task["step"] == step:
            return int(task["id"])
    raise RuntimeError(f"no open task {step} of case {case_id} in the inbox")


def two_tasks_flow(client: Client, run_tag: str, locate: str) -> Callable[[int], None]:
    """One instance of (a): 7 requests; `locate` is how task A is found (inbox or case read); task B comes back
    in submit A's answer (`next_tasks`), as a client of the form pages follows the redirect to its next task."""

    def find(case_id: int, step: str, label: str) -> int:
        if locate == "inbox":
            return task_of(client.call(label, "GET", f"/api/v1/tasks?case_id={case_id}")["tasks"], case_id, step)
        case = client.call(label.replace("inbox", "case read"), "GET", f"/api/v1/cases/{case_id}")
        return next(int(t["id"]) for t in case["open_tasks"] if t["step"] == step)

    def one(i: int) -> None:
        case_id = client.call("start (POST /messages)", "POST", "/api/v1/messages",
                              message(f"{run_tag}_{i}"))["case_id"]
        task_a = find(case_id, "task_a", "inbox -> task A")
        form = client.call("open form A", "GET", f"/api/v1/tasks/{task_a}")
        assert form["may_complete"] and "amount" in form["form"]["properties"], form
        done = client.call("submit A", "POST", f"/api/v1/tasks/{task_a}/complete",
                           {"amount": abs(i) + 1, "comment": "нагрузочный тест"})
        task_b = next(int(t["id"]) for t in done["next_tasks"] if t["step"] == "task_b")
        form = client.call("open form B", "GET", f"/api/v1/tasks/{task_b}")
        assert "approved" in form["form"]["properties"], form
        done = client.call("submit B", "POST", f"/api/v1/tasks/{task_b}/complete", {"approved": True})
        assert done["case_status"] == "closed", done
        case = client.call("read instance", "GET", f"/api/v1/cases/{case_id}")
        assert case["status"] == "closed" and case["open_tasks"] == [], case

    return one


def main_path_values(i: int) -> dict[str, Any]:
    """What the curator and the executor enter on the main path, by form field."""
    return {"triage_decision": "send", "theme": "heating", "location": "gatchinsky", "importance": "normal",
            "body": "kgkh", "bodies": ["kgkh"], "draft_outcome": "draft", "reply_kind": "reply",
            "reply_text": "Здравствуйте! Горячую воду дадут сегодня к 18:00.", "approval_decision": "approve",
            "published_url": f"https://vk.com/wall-148_main_{i}?reply=1", "published_at": now_iso(0)}


def fill(form: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The main-path value of every field the form has, else the field's default; other fields left empty."""
    data = {}
    for name, prop in form["properties"].items():
        if name in values:
            data[name] = values[name]
        elif "default" in prop:
            data[name] = prop["default"]
    return data


def main_path_flow(curator: Client, executor: Client, max_steps: int = 12) -> Callable[[int], None]:
    """One case of (b): register, then every task until the case closes: inbox, open form, submit.

    The case's next task is looked for in the inbox of the role that did not do the previous step (the
    regulation alternates curator and executor), then in the other's inbox (counted as "inbox miss").
    """
    steps_seen: list[str] = []

    def one(i: int) -> None:
        values = main_path_values(i)
        case_id = curator.call("register message", "POST", "/api/v1/messages", message(f"main_{i}"))["case_id"]
        order = [curator, executor]
        path = []
        for _ in range(max_steps):
            found = None
            for attempt, client in enumerate(order):
                tasks = client.call("inbox" if attempt == 0 else "inbox miss (other role)", "GET",
                                    "/api/v1/tasks")["tasks"]
                mine = [t for t in tasks if t["case_id"] == case_id]
                if mine:
                    found = client, mine[-1]
                    break
            if found is None:
                break
            client, task = found
            step = task["step"]
            form = client.call(f"{step}: open form", "GET", f"/api/v1/tasks/{task['id']}")
            assert form["may_complete"], form
            done = client.call(f"{step}: submit", "POST", f"/api/v1/tasks/{task['id']}/complete",
                               fill(form["form"], values))
            path.append(step)
            if done["case_status"] == "closed":
                break
            order = [executor, curator] if client is curator else [curator, executor]
        case = curator.call("read case", "GET", f"/api/v1/cases/{case_id}")
        assert case["status"] == "closed", (path, case["status"], case.get("open_tasks"))
        if not steps_seen:
            steps_seen.extend(path)
            say(f"  main path of case {case_id}: {' -> '.join(path)} -> closed ({case.get('outcome')})")

    return one


# ----------------------------------------------------------------------------------------------- engine only


def engine_only(count: int, warmup: int) -> Run:
    """The same process by the engine alone: start, complete A, complete B; JSON dump+load around every step."""
    from engine.calendar import ProductionCalendar, WorkingCalendar, shipped_years
    from engine.clock import SystemClock
    from engine.parser import load_bundle, read_library
    from engine.runner import EngineContext, Runner

    bundle = load_bundle(read_library([TWO_TASKS_DIR]), TWO_TASKS_PROCESS)
    calendar = WorkingCalendar(ProductionCalendar(shipped_years()))
    runner = Runner(bundle, EngineContext(clock=SystemClock(), calendar_for=lambda body: calendar))
    run = Run("(a0) engine only, in-process: Runner.start/complete, state JSON saved+loaded around every step")
    stamp = run.samples

    def one(i: int, record: bool) -> None:
        t0 = time.perf_counter()
        snap = runner.start({"case_id": i, "channel": "vk"})
        t1 = time.perf_counter()
        snap = runner.complete(snap.state, snap.open_tasks[0].id, {"amount": i, "comment": "x"})
        assert snap.open_tasks[0].data["doubled"] == 2 * i
        t2 = time.perf_counter()
        snap = runner.complete(snap.state, snap.open_tasks[0].id, {"approved": True})
        t3 = time.perf_counter()
        assert snap.completed
        if record:
            stamp["start (to task A, dump)"].append(t1 - t0)
            stamp["complete A (load, double, dump)"].append(t2 - t1)
            stamp["complete B (load, end, dump)"].append(t3 - t2)
            run.requests += 3

    for i in range(warmup):
        one(i, False)
    began = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        one(i, True)
        run.instances.append(time.perf_counter() - t0)
    run.wall = time.perf_counter() - began
    say(f"{run.title}")
    say(f"  {count} instances in {run.wall:.3f} s = {run.rate:.0f} instances/s; per instance p50 "
        f"{pct(run.instances, .5):.2f} ms  p95 {pct(run.instances, .95):.2f} ms")
    for label, values in run.samples.items():
        say(f"  {label:34} p50 {pct(values, .5):6.2f} ms  p95 {pct(values, .95):6.2f} ms")
    return run


# ----------------------------------------------------------------------------------------------- seeding


def seed_open_cases(db: Path, count: int, batch: int = 2000) -> float:
    """Add `count` real open cases of the two-task process, parked at task A.

    Each case gets its own workflow state from Runner.start (the engine call register_message makes), and the
    rows register_message + apply_snapshot would write are bulk-inserted: a case_file row, its open human_task
    row (the task's own guid) and its `registered` case_event. Returns the seconds spent.
    """
    from sqlalchemy import func, insert, select

    from engine.clock import SystemClock
    from engine.runner import EngineContext, Runner
    from models import Body, Case, CaseEvent, Channel, HumanTask, User
    from services.calendars import calendar_resolver
    from services.cases import normalize_link
    from services.db import make_engine, make_sessionmaker
    from services.library.versions import bundle_for, current_version_id

    began = time.perf_counter()
    engine = make_engine(f"sqlite:///{db}")
    sessions = make_sessionmaker(engine)
    clock = SystemClock()
    with sessions() as session:
        curator = session.scalar(select(User).where(User.username == CURATOR))
        assert curator is not None
        version_id = current_version_id(session=session, tenant_id=curator.tenant_id, process_id=TWO_TASKS_PROCESS)
        curator_body = session.scalar(select(Body).where(Body.is_curator))
        channel = session.scalar(select(Channel).where(Channel.code == "vk"))
        assert curator is not None and curator_body is not None and channel is not None
        runner = Runner(bundle_for(session=session, version_id=version_id), EngineContext(
            clock=clock, calendar_for=calendar_resolver(session=session, tenant_id=curator.tenant_id)))
        first = (session.scalar(select(func.max(Case.id))) or 0) + 1
        session.commit()
        for offset in range(0, count, batch):
            cases, tasks, events = [], [], []
            now = clock.now()
            for case_id in range(first + offset, first + min(offset + batch, count)):
                snap = runner.start({"case_id": case_id, "channel": channel.code})
                (task,) = snap.open_tasks
                url = f"https://vk.com/wall-148_seeded_{case_id}"
                cases.append(dict(id=case_id, tenant_id=curator.tenant_id, channel_id=channel.id, url=url,
                                  url_key=normalize_link(url), author="Нагрузочный тест",
                                  text="Открытый случай для проверки роста базы", published_at=now,
                                  attachments=[], registered_at=now, registered_by_id=curator.id, source="api",
                                  status="open", process_version_id=version_id, state=snap.state,
                                  path=snap.completed_steps, version=2))
                tasks.append(dict(case_id=case_id, tenant_id=curator.tenant_id, task_guid=task.id, step=task.step,
                                  name=task.name, role=task.role, body_id=curator_body.id, form=task.form,
                                  deadline=task.deadline, state="open", due_at=None, created_at=now))
                events.append(dict(case_id=case_id, at=now, actor_id=curator.id, actor_name=curator.full_name,
                                   kind="registered", details={"source": "api", "channel": channel.name}))
            session.execute(insert(Case), cases)
            session.execute(insert(HumanTask), tasks)
            session.execute(insert(CaseEvent), events)
            session.commit()
    engine.dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("ANALYZE")
    return time.perf_counter() - began


def table_counts(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        open_cases = conn.execute("SELECT count(*) FROM case_file WHERE status='open'").fetchone()[0]
        all_cases = conn.execute("SELECT count(*) FROM case_file").fetchone()[0]
        open_tasks = conn.execute("SELECT count(*) FROM human_task WHERE state='open'").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM case_event").fetchone()[0]
    size = db.stat().st_size / 1e6
    return (f"{all_cases} cases ({open_cases} open), {open_tasks} open human tasks, {events} case events, "
            f"database file {size:.1f} MB")


# ----------------------------------------------------------------------------------------------- report


def machine_speed() -> str:
    """A fixed pure-Python reference (no project code): ns per `sum(range(10))`, best of 5. The shared 2-vCPU VMs
    here differ by CPU model and change speed from minute to minute; this tells a slow phase from a slow change."""
    best = min(timeit.repeat("sum(range(10))", number=200_000, repeat=5)) / 200_000
    return f"reference loop {best * 1e9:.0f} ns (sum(range(10)); lower is faster)"


def header_lines(title: str) -> list[str]:
    """The date, commit, machine and library versions a results file starts with."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in
                         ("SpiffWorkflow", "Flask", "Werkzeug", "SQLAlchemy", "gunicorn", "jsonschema"))
    try:  # read-only git queries: which code was measured
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        changed = [line[3:] for line in subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                                                       capture_output=True, text=True).stdout.splitlines()
                   if not line[3:].startswith("bench/")]
    except OSError:
        commit, changed = "?", []
    dirty = f" + uncommitted changes in {len(changed)} file(s) outside bench/" if changed else ""
    if SNAPSHOT:
        dirty = " (clean snapshot: git archive HEAD; the working tree is not measured)"
    return [f"{title}, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, commit {SNAPSHOT or commit or '?'}{dirty}",
            f"{os.cpu_count()} CPUs ({cpu}), {platform.platform()}",
            f"python {platform.python_version()}, {versions}, SQLite {sqlite3.sqlite_version}",
            f"machine speed at the start: {machine_speed()}"]


def header() -> None:
    for line in header_lines("Otklik HTTP benchmark"):
        say(line)
    say("server: gunicorn --no-control-socket -w 1 (sync worker), SQLite file (WAL), scheduler off; "
        "client: sequential, same machine, plain sockets, a new TCP connection per request (sync worker closes each)")


def side_by_side(fresh: Run, loaded: Run, label: str) -> None:
    say(f"(a) fresh database vs {label}: p50 / p95 ms per request type")
    say(f"  {'request type':34} {'fresh p50':>10} {'fresh p95':>10} {'loaded p50':>11} {'loaded p95':>11} "
        f"{'p50 ratio':>10}")
    for name in fresh.samples:
        if name not in loaded.samples:
            continue
        a, b = fresh.samples[name], loaded.samples[name]
        say(f"  {name:34} {pct(a, .5):10.2f} {pct(a, .95):10.2f} {pct(b, .5):11.2f} {pct(b, .95):11.2f} "
            f"{pct(b, .5) / pct(a, .5):9.2f}x")
    say(f"  {'instances/s (wall)':34} {fresh.rate:10.1f} {'':10} {loaded.rate:11.1f} {'':11} "
        f"{fresh.rate / loaded.rate if loaded.rate else float('inf'):9.2f}x")
    if fresh.server_cpu is not None and loaded.server_cpu is not None:
        cpu_a = fresh.server_cpu / len(fresh.instances) * 1000
        cpu_b = loaded.server_cpu / len(loaded.instances) * 1000
        say(f"  {'worker CPU ms per instance':34} {cpu_a:10.1f} {'':10} {cpu_b:11.1f} {'':11} {cpu_b / cpu_a:9.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=200, help="measured instances of (a), fresh database")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured instances before each run")
    parser.add_argument("--cases", type=int, default=100, help="measured cases of the main path (b)")
    parser.add_argument("--open-cases", type=int, default=20_000, help="open cases seeded before (a) is repeated")
    parser.add_argument("--open-instances", type=int, default=None,
                        help="measured instances of (a') (case-read flow) with the open cases (default: --instances)")
    parser.add_argument("--open-inbox-instances", type=int, default=10,
                        help="measured instances of (a) (inbox flow) with the open cases; each inbox request "
                             "returns every open task, seconds each at 20,000")
    parser.add_argument("--engine-instances", type=int, default=2000, help="instances of the engine-only loop")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, logs)")
    parser.add_argument("--snapshot", action="store_true",
                        help="measure a `git archive HEAD` export instead of the working tree")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "http_bench.txt")
    args = parser.parse_args()
    open_instances = args.open_instances or args.instances

    tmp = Path(tempfile.mkdtemp(prefix="otklik-bench-"))
    if args.snapshot:
        use_snapshot(tmp)
    header()
    log = tmp / "gunicorn.log"
    say(f"temporary directory {tmp}")
    say()
    started = time.perf_counter()
    try:
        # (a) on a fresh database
        db_a = tmp / "two_tasks.db"
        env_a = prepare_database(db_a, [TWO_TASKS_DIR], TWO_TASKS_PROCESS, executor=False)
        with gunicorn(env_a, log) as (port, pid):
            client = Client(port, pid)
            client.login(CURATOR)
            fresh = measure(client, "(a) two user tasks over HTTP, fresh database, inbox used to find each task",
                            args.instances, args.warmup, two_tasks_flow(client, "fresh", "inbox"))
            say(f"  {SPIFFARENA} with 8 requests (create and run separate; the submit answer names the next task); "
                f"here 7 requests (one start; the inbox finds task A, submit A names task B)")
            say(f"  target >= {TARGET:.0f} inst/s: {'MET' if fresh.rate >= TARGET else 'NOT MET'}")
            say()
            fresh_case = measure(client, "(a') the same, next task found by reading the case (GET /cases/{id})",
                                 args.instances, args.warmup, two_tasks_flow(client, "fresh_case", "case"))
            say()
        engine = engine_only(args.engine_instances, 50)
        say(f"  ratio HTTP (a) / engine only: {engine.rate / fresh.rate:.0f}x in instances/s "
            f"({fresh.rate:.1f} vs {engine.rate:.0f}); per instance p50 {pct(fresh.instances, .5):.1f} ms vs "
            f"{pct(engine.instances, .5):.2f} ms: the engine with its JSON save+load is "
            f"{100 * pct(engine.instances, .5) / pct(fresh.instances, .5):.1f} % of an instance's HTTP time")
        if fresh.server_cpu:
            cpu = fresh.server_cpu / len(fresh.instances) * 1000
            say(f"  and {100 * pct(engine.instances, .5) / cpu:.1f} % of the gunicorn worker's CPU per instance "
                f"({cpu:.1f} ms)")
        say()

        # (b) the regulation's main path
        db_b = tmp / "main_path.db"
        env_b = prepare_database(db_b, [APP / "bpmn", APP / "forms"], MAIN_PROCESS, executor=True)
        with gunicorn(env_b, log) as (port, pid):
            curator, executor = Client(port, pid), Client(port, pid)
            curator.login(CURATOR)
            executor.login(EXECUTOR)
            measure([curator, executor], "(b) main path over HTTP (case_148rg): register, triage, draft, approval, "
                    "publication, read; curator + kgkh executor", args.cases, args.warmup,
                    main_path_flow(curator, executor), unit="cases")
            say()

        # (a) again with many open cases
        seconds = seed_open_cases(db_a, args.open_cases + 1)
        say(f"seeded {args.open_cases + 1} open two-task cases in {seconds:.1f} s "
            "(Runner.start per case + bulk insert of case_file, human_task, case_event rows)")
        with gunicorn(env_a, log) as (port, pid):
            client = Client(port, pid)
            client.login(CURATOR)
            check_seeded_case(client, db_a)
            say(f"database: {table_counts(db_a)}")
            say()
            loaded_case = measure(client, f"(a') with {args.open_cases} open cases, next task found by "
                                          "reading the case", open_instances, args.warmup,
                                  two_tasks_flow(client, "loaded_case", "case"))
            say()
            loaded = measure(client, f"(a) with {args.open_cases} open cases, inbox used to find each task",
                             args.open_inbox_instances, 1, two_tasks_flow(client, "loaded", "inbox"))
            say()
        side_by_side(fresh, loaded, f"{args.open_cases} open cases (inbox flow)")
        say()
        side_by_side(fresh_case, loaded_case, f"{args.open_cases} open cases (case-read flow)")
        say()
        say(f"machine speed at the end: {machine_speed()}")
        say(f"total benchmark time {time.perf_counter() - started:.0f} s")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(LINES) + "\n", encoding="utf-8")
        print(f"written to {args.out}")


def check_seeded_case(client: Client, db: Path) -> None:
    """Finish the newest seeded case over the API: proves seeded cases are real and leaves --open-cases open."""
    with sqlite3.connect(db) as conn:
        case_id = conn.execute("SELECT max(id) FROM case_file").fetchone()[0]
    case = client.call(None, "GET", f"/api/v1/cases/{case_id}")
    (task,) = case["open_tasks"]
    client.call(None, "POST", f"/api/v1/tasks/{task['id']}/complete", {"amount": 1, "comment": "seeded"})
    case = client.call(None, "GET", f"/api/v1/cases/{case_id}")
    (task,) = case["open_tasks"]
    client.call(None, "POST", f"/api/v1/tasks/{task['id']}/complete", {"approved": False})
    assert client.call(None, "GET", f"/api/v1/cases/{case_id}")["status"] == "closed"


if __name__ == "__main__":
    main()
