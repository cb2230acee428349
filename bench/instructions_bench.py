"""CPU instructions per instance of (a), counted by valgrind: the same figure on a quiet or a busy machine.

Wall time and CPU time on the shared 2-vCPU VMs change by up to 2x from minute to minute, so a change of a few
per cent cannot be seen in http_bench.py. This runs the two-task flow of http_bench.py (7 requests an instance,
inbox used to find task A) straight through the Flask app as gunicorn calls it (a WSGI environ per request, no
socket), under `valgrind --tool=callgrind`, twice: with `--base` and with `--base + --instances` measured
instances. The difference divided by `--instances` is the instructions one instance costs: set-up, imports and
warm-up cancel out. Python's hash seed is fixed, so a repeat differs by well under 1 %. gunicorn and the kernel
(about 0.3 ms of worker CPU a request) are not in it. Needs valgrind (`apt-get install valgrind`); about 3 min.

    .venv/bin/python bench/instructions_bench.py [--snapshot] [--instances 30] [--base 10]

Python call counts (profile_requests.py) do not stand in for this: trimming 10 % of the calls once saved 5 % of
the instructions, and loading a joined row costs many instructions in few calls.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import http_bench as hb

RESULTS = ROOT / "bench" / "results" / "instructions.txt"
WARMUP = 20


class WsgiClient:
    """http_bench's Client interface, calling the WSGI app directly with an environ like gunicorn's."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.token = ""

    def call(self, label: str | None, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else b""
        route, _, query = path.partition("?")
        environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": route, "QUERY_STRING": query,
                   "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
                   "HTTP_HOST": "127.0.0.1:8000", "HTTP_ACCEPT": "application/json", "REMOTE_ADDR": "127.0.0.1",
                   "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data),
                   "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": False,
                   "wsgi.run_once": False}
        if self.token:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        if body is not None:
            environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(data)))
        status: list[str] = []
        chunks = self.app(environ, lambda line, headers, exc_info=None: status.append(line))
        raw = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        if not status[0].startswith(("200", "201")):
            raise RuntimeError(f"{method} {path} -> {status[0]}: {raw[:500]!r}")
        return json.loads(raw)


def inner(instances: int) -> None:
    """Run inside valgrind: a fresh database, WARMUP + `instances` instances of (a)."""
    with tempfile.TemporaryDirectory(prefix="otklik-instr-") as tmp:
        env = hb.prepare_database(Path(tmp) / "instr.db", [hb.TWO_TASKS_DIR], hb.TWO_TASKS_PROCESS, executor=False)
        from app import create_app

        app = create_app({"DATABASE_URL": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"],
                          "OTKLIK_PROCESS": env["OTKLIK_PROCESS"], "OTKLIK_SCHEDULER": False})
        client = WsgiClient(app)
        client.token = client.call(None, "POST", "/api/v1/auth/token",
                                   {"username": hb.CURATOR, "password": hb.PASSWORD})["token"]
        one = hb.two_tasks_flow(client, "instr", "inbox")  # type: ignore[arg-type]
        for i in range(WARMUP + instances):
            one(i)
        app.extensions["otklik.engine"].dispose()


def counted(instances: int, app_dir: Path) -> int:
    """Instructions valgrind counts for one inner run (the flask CLI children are not traced)."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                           str(Path(__file__).resolve()), "--inner", str(instances), "--app", str(app_dir)],
                          cwd=app_dir, env=env, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"valgrind run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=30, help="instances measured beyond the base run")
    parser.add_argument("--base", type=int, default=10, help="instances of the base run")
    parser.add_argument("--snapshot", action="store_true", help="count a `git archive HEAD` export")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--inner", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--app", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner is not None:
        hb.APP = args.app
        sys.path.insert(0, str(args.app))
        inner(args.inner)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    with tempfile.TemporaryDirectory(prefix="otklik-instr-app-") as tmp:
        if args.snapshot:
            hb.use_snapshot(Path(tmp))
        base = counted(args.base, hb.APP)
        more = counted(args.base + args.instances, hb.APP)
    per = (more - base) / args.instances
    commit = hb.SNAPSHOT or subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                           text=True).stdout.strip() + " (working tree)"
    lines = [f"Otklik instruction count, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, commit {commit}",
             "(a) two user tasks, 7 requests an instance, straight through the WSGI app (no gunicorn, no socket), "
             "under valgrind --tool=callgrind",
             f"  {args.base} instances: {base:,} instructions; {args.base + args.instances} instances: {more:,}",
             f"  per instance: {per / 1e6:.2f} million instructions"]
    print("\n".join(lines))
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
