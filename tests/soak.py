"""The regulation's paths driven concurrently over HTTP against real server processes, and the checks that every
case came out whole: used by tests/test_concurrency.py (bounded) and bench/soak_bench.py (minutes)."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "otklik-demo"  # the demo people's
CURATOR = "curator"

# ------------------------------------------------------------------------------------------------ the paths

TRIAGE = {"triage_decision": "send", "theme": "heating", "location": "gatchinsky", "importance": "normal",
          "bodies": ["kgkh"]}
DRAFT = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Воду дадут сегодня.",
         "measures_taken": "Проверили подачу"}
APPROVE = {"approval_decision": "approve"}
PUBLISH = {"published_url": "https://vk.com/wall-1_1?reply=1"}  # published_at: the moment of the request
# Each path: what is entered at each step, by step and by how many times the step came before in this case (the
# last value repeats), and the outcome the case must end with.
PATHS: dict[str, tuple[dict[str, list[dict[str, Any]]], str]] = {
    "main": ({"triage": [TRIAGE], "draft": [DRAFT], "approval": [APPROVE], "publication": [PUBLISH]},
             "published_end"),
    "rework (8.6)": ({"triage": [TRIAGE], "draft": [DRAFT],
                      "approval": [{"approval_decision": "return", "approval_comment": "Уточните срок"}, APPROVE],
                      "rework": [{"reply_kind": "reply", "reply_text": "Воду дадут к 18:00."}],
                      "publication": [PUBLISH]}, "published_end"),
    "not competent (8.2)": ({"triage": [{**TRIAGE, "bodies": ["kdh"]}],
                             "draft": [{"draft_outcome": "not_competent", "not_competent_reason": "Это ЖКХ"}, DRAFT],
                             "reassign": [{"body": "kgkh"}], "approval": [APPROVE], "publication": [PUBLISH]},
                            "published_end"),
    "interim reply (8.8)": ({"triage": [TRIAGE], "draft": [{**DRAFT, "reply_kind": "interim"}, DRAFT],
                             "approval": [APPROVE], "publication": [PUBLISH]}, "published_end"),
    "clarification (7.3)": ({"triage": [TRIAGE], "draft": [{**DRAFT, "reply_kind": "clarification"}, DRAFT],
                             "clarification": [{"clarification_text": "Подъезд 2, кв. 15"}], "approval": [APPROVE],
                             "publication": [PUBLISH]}, "published_end"),
    "several bodies (8.9)": ({"triage": [{**TRIAGE, "bodies": ["kdh", "kgkh", "ktrans"], "order": "parallel"}],
                              "part": [{"part_outcome": "part", "part_text": "Информация органа"}],
                              "compose_decision": [{"composer": "last_body"}], "draft": [DRAFT],
                              "approval": [APPROVE], "publication": [PUBLISH]}, "published_end"),
    "not subject (10)": ({"triage": [{"triage_decision": "not_subject", "not_subject_ground": "obscene"}]},
                         "not_subject_end"),
}
EXECUTOR_STEPS = ("draft", "rework", "publication", "part")  # the others are the curator's
MOMENTS = {"publication": "published_at", "clarification": "clarification_at"}  # fields that take "now"


@dataclass
class Tally:
    """What the clients saw: answers by status, cases by path and how each ended, requests retried."""

    statuses: Counter[int] = field(default_factory=Counter)
    started: Counter[str] = field(default_factory=Counter)
    finished: Counter[str] = field(default_factory=Counter)
    wrong_ends: list[str] = field(default_factory=list)
    retried: int = 0
    steps: int = 0
    cases: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def errors(self) -> int:
        """Answers of 500 and above."""
        return sum(n for status, n in self.statuses.items() if status >= 500)


class Unanswered(Exception):
    """The request got no answer (the server process died or restarted)."""


class Client:
    """A JSON client over plain sockets, one request per connection; counts every status into the tally."""

    def __init__(self, port: int, tally: Tally, token: str = "") -> None:
        self.port, self.tally, self.token = port, tally, token

    def call(self, method: str, path: str, body: Any = None, *, retries: int = 20) -> tuple[int, Any]:
        """The status and JSON answer; a request that got no answer is sent again (every request here is idempotent:
        a message by its link, a completion by the task's id)."""
        for attempt in itertools.count():
            try:
                status, answer = self._once(method, path, body)
            except Unanswered:
                if attempt >= retries:
                    raise
                with self.tally.lock:
                    self.tally.retried += 1
                time.sleep(0.1 * (attempt + 1))
                continue
            with self.tally.lock:
                self.tally.statuses[status] += 1
            return status, answer
        raise AssertionError("unreachable")

    def _once(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            headers = {"Accept": "application/json", "Connection": "close"}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            data = None if body is None else json.dumps(body).encode()
            if data is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, data, headers)
            response = conn.getresponse()
            raw = response.read()
        except (ConnectionError, http.client.HTTPException, TimeoutError) as exc:
            raise Unanswered(str(exc)) from exc
        finally:
            conn.close()
        return response.status, json.loads(raw) if raw else None


def tokens(port: int, tally: Tally, usernames: list[str]) -> dict[str, str]:
    """A bearer token for each person."""
    found = {}
    for username in usernames:
        status, answer = Client(port, tally).call("POST", "/api/v1/auth/token",
                                                  {"username": username, "password": PASSWORD})
        assert status == 201, (username, status, answer)
        found[username] = answer["token"]
    return found


def people() -> list[str]:
    """Everyone the paths need: the curator and the first executor of every body they send to."""
    return [CURATOR, "kdh.exec1", "kgkh.exec1", "ktrans.exec1"]


def now_iso() -> str:
    return (datetime.now(UTC) - timedelta(seconds=30)).isoformat()


def drive_case(port: int, tally: Tally, keys: dict[str, str], path: str, tag: str, max_steps: int = 40) -> None:
    """Register a message and work its case along one path until it closes; the outcome is checked."""
    steps, outcome = PATHS[path]
    curator = Client(port, tally, keys[CURATOR])
    status, answer = curator.call("POST", "/api/v1/messages", {
        "channel": "vk", "url": f"https://vk.com/wall-148_{tag}", "author": f"Автор {tag}",
        "text": "Нет горячей воды третий день", "published_at": now_iso()})
    if status not in (200, 201):
        tally.wrong_ends.append(f"{path}: registering answered {status} {answer}")
        return
    case_id = answer["case_id"]
    with tally.lock:
        tally.started[path] += 1
        tally.cases.append(case_id)
    seen: Counter[str] = Counter()
    for _ in range(max_steps):
        status, case = curator.call("GET", f"/api/v1/cases/{case_id}")
        if status != 200:
            tally.wrong_ends.append(f"case {case_id} ({path}): reading it answered {status} {case}")
            return
        if case["status"] == "closed":
            with tally.lock:
                if case["outcome"] == outcome:
                    tally.finished[path] += 1
                else:
                    tally.wrong_ends.append(f"case {case_id} ({path}) ended {case['outcome']}, not {outcome}")
            return
        if not case["open_tasks"]:
            time.sleep(0.2)  # nothing to do now: a stalled case shows up in the checks
            continue
        task = case["open_tasks"][0]
        values = steps[task["step"]][min(seen[task["step"]], len(steps[task["step"]]) - 1)]
        if task["step"] in MOMENTS:
            values = {**values, MOMENTS[task["step"]]: now_iso()}
        user = task["assignee"] or (f"{task['body']}.exec1" if task["step"] in EXECUTOR_STEPS else CURATOR)
        status, answer = Client(port, tally, keys[user]).call("POST", f"/api/v1/tasks/{task['id']}/complete", values)
        # 409: this completion was retried after its first answer was lost and had already been done, or the case
        # moved meanwhile (another task of it, a timer); either way the case is read again.
        if status == 200:
            seen[task["step"]] += 1
            with tally.lock:
                tally.steps += 1
        elif status == 409:
            seen[task["step"]] += curator.call("GET", f"/api/v1/tasks/{task['id']}")[1].get("state") == "completed"
        else:
            tally.wrong_ends.append(f"case {case_id} ({path}): {task['step']} answered {status} {answer}")
            return
    tally.wrong_ends.append(f"case {case_id} ({path}) still open after {max_steps} steps")


def drive(port: int, tally: Tally, *, clients: int, cases: int | None = None, seconds: float | None = None,
          tag: str = "") -> None:
    """`clients` threads working cases round-robin over the paths until `cases` were started or `seconds` passed."""
    keys = tokens(port, tally, people())
    names = list(PATHS)
    counter = itertools.count()
    deadline = time.monotonic() + seconds if seconds else None

    def worker() -> None:
        while True:
            n = next(counter)
            if (cases is not None and n >= cases) or (deadline is not None and time.monotonic() > deadline):
                return
            try:
                drive_case(port, tally, keys, names[n % len(names)], f"{tag}{n}")
            except Exception as exc:  # a client that gives up is a finding, not a silent end of the run
                with tally.lock:
                    tally.wrong_ends.append(f"{names[n % len(names)]}: {exc!r}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# ------------------------------------------------------------------------------------------------ processes


def environment(url: str) -> dict[str, str]:
    """The app's settings for the server processes."""
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "soak-secret-key-0123456789abcdef0123456789",
            "OTKLIK_SCHEDULER": "0", "PYTHONDONTWRITEBYTECODE": "1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(url: str, workers: int, log: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """gunicorn with `workers` sync workers on a free port, up and answering; stopped by its own pid afterwards."""
    port = free_port()
    with log.open("ab") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", str(workers), "-b", f"127.0.0.1:{port}",
             "--timeout", "120", "app:create_app()"], cwd=ROOT, env=environment(url), stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Client(port, Tally())._once("GET", "/api/v1/openapi.json", None)[0] == 200:
                    break
            except Unanswered:
                pass
            assert server.poll() is None and time.monotonic() < deadline, f"gunicorn did not start; see {log}"
            time.sleep(0.1)
        yield port, server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def workers_of(master: int) -> list[int]:
    """The pids of the gunicorn master's workers."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            found.append(int(stat.parent.name))
    return found


# ------------------------------------------------------------------------------------------------ checks

def check_in_fresh_process(url: str) -> list[str]:
    """`flask --app app cases check` in a process of its own: every open case's stored workflow, restored with a
    freshly parsed spec, agrees with its inbox rows and timers, and none is stalled; one problem a line."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "cases", "check"], cwd=ROOT,
                            env=environment(url), capture_output=True, text=True, timeout=300)
    if result.returncode == 0:
        return []
    return result.stdout.splitlines() or [f"the check failed: {result.stderr[-2000:]}"]


def ledger_problems(url: str, tally: Tally) -> list[str]:
    """No case lost (every registered message has its case), no step doubled (a task completed at most once)."""
    from sqlalchemy import func, select

    from models import Case, CaseEvent, HumanTask
    from services.db import make_engine

    engine = make_engine(url)
    problems = []
    try:
        with engine.connect() as conn:
            stored = set(conn.scalars(select(Case.id).where(Case.id.in_(tally.cases))))
            problems += [f"case {case} registered but not stored" for case in sorted(set(tally.cases) - stored)]
            completed = conn.execute(select(HumanTask.case_id, func.count()).where(HumanTask.state == "completed")
                                     .group_by(HumanTask.case_id)).all()
            events = dict(conn.execute(select(CaseEvent.case_id, func.count())
                                       .where(CaseEvent.kind == "task_completed").group_by(CaseEvent.case_id)).all())
            problems += [f"case {case}: {n} completed tasks but {events.get(case, 0)} completions in its history"
                         for case, n in completed if events.get(case, 0) != n]
    finally:
        engine.dispose()
    return problems
