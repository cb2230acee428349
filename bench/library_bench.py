"""Process library benchmark: validating and publishing the regional library, and opening cases on 20 versions.

    .venv/bin/python bench/library_bench.py [--versions 20] [--repeats 30]

In-process (Flask's test client) on a temporary SQLite database, after init-db's work. It prints and keeps in
bench/results/library.txt:
  - check_library of bpmn/ + forms/ (what `flask processes validate` and publishing run), targets < 1 s;
  - publishing it as a new version of each process (one transaction, each new version parsed once), target < 1 s;
    each publication changes one deadline value, so every process gets a new version: this seeds the versions;
  - a case registered on each of the versions, then GET /cases/<id> (page) and GET /api/v1/cases/<id> of every
    case: the median per version against the current version's (first opening of a version parses it once per
    process and is shown apart).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app
from engine.clock import MOSCOW, FixedClock
from engine.parser import read_library
from engine.validation import check_library
from services.auth import create_user
from services.library.versions import LIBRARY_DIRS, publish
from services.setup import load_reference
from web.cli import migrate

PASSWORD = "bench-password-148"
INTERIM = '"after_interim": {"value": 7,'
LINES: list[str] = []


def say(line: str = "") -> None:
    """Print a line and keep it for the results file."""
    print(line, flush=True)
    LINES.append(line)


def timed(act: Callable[[], object]) -> float:
    began = time.perf_counter()
    act()
    return (time.perf_counter() - began) * 1000


def figures(values: list[float]) -> str:
    return f"median {statistics.median(values):7.1f} ms  max {max(values):7.1f} ms  (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=30, help="openings of each case measured")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "library.txt")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    clock = FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=MOSCOW))
    moment = clock.now().astimezone(MOSCOW)
    say(f"process library benchmark, commit {commit.strip()}, cases registered at {moment:%d.%m.%Y %H:%M} MSK")
    say(f"python {sys.version.split()[0]}, {platform.machine()}, {os.cpu_count()} CPUs, SpiffWorkflow "
        f"{metadata.version('SpiffWorkflow')}, SQLAlchemy {metadata.version('SQLAlchemy')}")

    files = read_library(LIBRARY_DIRS)
    checks = [timed(lambda: check_library(files)) for _ in range(10)]
    say(f"validate the regional library ({len(files)} files): {figures(checks)}  target < 1000 ms")

    with tempfile.TemporaryDirectory(prefix="otklik-library-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'library.db'}"
        migrate(url)
        app = create_app({"DATABASE_URL": url, "CLOCK": clock, "SECRET_KEY": "bench-secret-key-of-enough-length-1",
                          "OTKLIK_SCHEDULER": False, "WTF_CSRF_ENABLED": False})
        sessions = app.extensions["otklik.sessions"]
        with app.app_context():
            session = sessions()
            load_reference(session=session, clock=clock)  # v1 of each process
            create_user(session=session, username="bench.curator", password=PASSWORD, role="curator")
            session.commit()
            session.close()
        client = app.test_client()
        assert client.post("/login", data={"username": "bench.curator", "password": PASSWORD}).status_code == 302
        token = client.post("/api/v1/auth/token", json={"username": "bench.curator", "password": PASSWORD}
                            ).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def register(number: int) -> int:
            response = client.post("/api/v1/messages", headers=headers, json={
                "channel": "vk", "url": f"https://vk.com/wall-1_{number}", "author": "Бенчмарк",
                "text": "Нет горячей воды", "published_at": "2026-11-24T09:30:00+03:00"})
            assert response.status_code == 201, response.get_data(as_text=True)
            return int(response.get_json()["case_id"])

        cases = {1: register(1)}
        publications = []
        for number in range(2, args.versions + 1):
            changed = {**files, "parameters.json": files["parameters.json"].replace(
                INTERIM, f'"after_interim": {{"value": {number + 10},')}

            def publish_once(changed: dict[str, str] = changed, number: int = number) -> None:
                session = sessions()
                published = publish(session=session, clock=clock, files=changed, comment=f"бенчмарк v{number}",
                                    author=None)
                session.commit()
                session.close()
                assert all(p.created and p.number == number for p in published), published

            publications.append(timed(publish_once))
            cases[number] = register(number)
        say(f"publish it as new versions of its 4 processes: {figures(publications)}  target < 1000 ms")

        def open_case(case_id: int) -> None:
            assert client.get(f"/cases/{case_id}").status_code == 200
            assert client.get(f"/api/v1/cases/{case_id}", headers=headers).get_json()["process_version"] > 0

        first = {number: timed(lambda case_id=case_id: open_case(case_id)) for number, case_id in cases.items()}
        page: dict[int, list[float]] = {number: [] for number in cases}
        api: dict[int, list[float]] = {number: [] for number in cases}
        for _ in range(args.repeats):  # interleaved, so that a busy minute of the machine hits every version alike
            for number, case_id in cases.items():
                page[number].append(timed(lambda case_id=case_id: client.get(f"/cases/{case_id}")))
                api[number].append(timed(lambda case_id=case_id: client.get(f"/api/v1/cases/{case_id}",
                                                                             headers=headers)))
        app.extensions["otklik.engine"].dispose()

    current = args.versions
    say(f"open a case on each of {args.versions} versions (v{current} current), {args.repeats} times each, medians:")
    say(f"  {'version':>7} {'GET /cases/<id>':>16} {'GET /api/v1/cases/<id>':>23} {'first opening':>14}")
    for number in cases:
        say(f"  {'v' + str(number):>7} {statistics.median(page[number]):13.2f} ms "
            f"{statistics.median(api[number]):20.2f} ms {first[number]:11.1f} ms")
    older_page = [statistics.median(page[n]) for n in cases if n != current]
    older_api = [statistics.median(api[n]) for n in cases if n != current]
    say(f"  older versions vs current: page {statistics.median(older_page) / statistics.median(page[current]):.2f}x "
        f"(range {min(older_page):.2f}-{max(older_page):.2f} ms), API "
        f"{statistics.median(older_api) / statistics.median(api[current]):.2f}x "
        f"(range {min(older_api):.2f}-{max(older_api):.2f} ms)")
    say("  the first opening of a version's case parses that version once per worker process (cached after)")
    args.out.write_text("\n".join(LINES) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
