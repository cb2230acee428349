"""What recording the report facts adds to a step: the main path in-process, before and after, interleaved.

Each round runs the regulation's main path (register, triage, draft, approval, publication) for --cases cases
through Flask's test client and the JSON API on a fresh SQLite file, once in a `git archive` of the commit before
the facts (--before, default b000e04) and once in the working tree, alternating; it prints the median time of the
step-recording requests (the five POSTs) per case for each and the difference.

    .venv/bin/python bench/facts_bench.py [--cases 150] [--rounds 3] [--before b000e04]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("register", "triage", "draft", "approval", "publication")


def run_tree(cases: int) -> dict[str, list[float]]:
    """The main path `cases` times in this process's tree; milliseconds per request type."""
    from app import create_app
    from engine.clock import SystemClock
    from services.auth import create_user
    from services.setup import load_reference
    from web.cli import migrate

    times: dict[str, list[float]] = {step: [] for step in STEPS}
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
        client = app.test_client()
        heads = {}
        for name in ("b.curator", "b.exec"):
            token = client.post("/api/v1/auth/token", json={"username": name, "password": "bench-password-148"})
            heads[name] = {"Authorization": f"Bearer {token.json['token']}"}

        def timed(step: str, method: str, path: str, who: str, body: object = None) -> dict[str, object]:
            start = time.perf_counter()
            response = client.open(path, method=method, json=body, headers=heads[who])
            times[step].append((time.perf_counter() - start) * 1000)
            assert response.status_code < 300, response.get_data(as_text=True)
            return dict(response.json)

        for i in range(cases):
            now = datetime.now(UTC).isoformat()
            case_id = timed("register", "POST", "/api/v1/messages", "b.curator", {
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
                timed(step, "POST", f"/api/v1/tasks/{tasks[0]['id']}/complete", who, data)
        app.extensions["otklik.engine"].dispose()
    for step in STEPS:
        times[step] = times[step][10:]  # warm-up
    return times


def export(commit: str, target: Path) -> None:
    """A `git archive` of a commit into target."""
    data = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(target, filter="data")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default="b000e04")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, args.child)
        print(json.dumps(run_tree(args.cases)))
        return
    lines = [f"facts_bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; before = {args.before}, after = working tree; "
             f"{args.cases} main-path cases per run, {args.rounds} rounds, SQLite, in-process (Flask test client)"]
    results: dict[str, dict[str, list[float]]] = {"before": {s: [] for s in STEPS}, "after": {s: [] for s in STEPS}}
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp) / "before"
        export(args.before, before)
        for _ in range(args.rounds):
            for label, tree in (("before", before), ("after", ROOT)):
                out = subprocess.run([sys.executable, __file__, "--cases", str(args.cases), "--child", str(tree)],
                                     cwd=tree, check=True, capture_output=True, text=True).stdout
                for step, values in json.loads(out.splitlines()[-1]).items():
                    results[label][step].extend(values)
    for step in STEPS:
        b, a = statistics.median(results["before"][step]), statistics.median(results["after"][step])
        lines.append(f"  {step:12} before p50 {b:6.2f} ms   after p50 {a:6.2f} ms   {100 * (a - b) / b:+5.1f} %")
    b = sum(statistics.median(results["before"][s]) for s in STEPS)
    a = sum(statistics.median(results["after"][s]) for s in STEPS)
    lines.append(f"  all five steps: before {b:.2f} ms, after {a:.2f} ms per case: {100 * (a - b) / b:+.1f} %")
    print("\n".join(lines))
    (ROOT / "bench" / "results" / "facts.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
