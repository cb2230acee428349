"""Clause 8.9 fan-out with 10 bodies: server-side time of each step, in-process through the JSON API.

Run: .venv/bin/python bench/fanout_bench.py [--cases 40] [--database-url URL]
Prints p50/p95 per step and writes bench/results/fanout.txt. Target: every step <= 50 ms p95.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from flask.testing import FlaskClient
from http_bench import machine_speed

from app import create_app
from engine.clock import SystemClock
from models import Body, Tenant
from services.auth import create_user
from services.setup import load_reference
from web.cli import migrate

EXTRA_BODIES = [("kstroy", "Комитет по строительству"), ("kpriroda", "Комитет по природным ресурсам"),
                ("kcult", "Комитет по культуре"), ("ksport", "Комитет по физической культуре и спорту")]
PASSWORD = "bench-password-1"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def setup(url: str) -> tuple[FlaskClient, list[str]]:
    """An app with ten bodies, a curator and one executor per body."""
    migrate(url)
    app = create_app({"DATABASE_URL": url, "CLOCK": SystemClock(), "OTKLIK_SCHEDULER": False,
                      "SECRET_KEY": "fan-out-bench-secret-key-0123456789"})
    with app.app_context():
        session = app.extensions["otklik.sessions"]()
        tenant = load_reference(session=session, clock=SystemClock())
        for code, name in EXTRA_BODIES:
            session.add(Body(tenant_id=tenant.id, code=code, name=name, short_name=name))
        session.flush()
        codes = [b.code for b in session.query(Body).filter(Body.tenant_id == tenant.id, ~Body.is_curator)]
        create_user(session=session, username="curator", password=PASSWORD, role="curator")
        for code in codes:
            create_user(session=session, username=f"{code}.exec", password=PASSWORD, role="executor", body_code=code)
        assert session.query(Tenant).count() == 1
        session.commit()
        session.close()
    return app.test_client(), codes


def token(client: FlaskClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/fanout.db"
        client, codes = setup(url)
        assert len(codes) == 10
        curator = token(client, "curator")
        executors = {code: token(client, f"{code}.exec") for code in codes}
        timings: dict[str, list[float]] = defaultdict(list)

        def timed(step: str, method: str, path: str, headers: dict[str, str], body: object = None) -> object:
            started = time.perf_counter()
            response = client.open(path, method=method, json=body, headers=headers)
            timings[step].append((time.perf_counter() - started) * 1000)
            assert response.status_code in (200, 201), (step, response.status_code, response.get_data(as_text=True))
            return response.json

        for n in range(args.cases + 2):
            case = timed("register", "POST", "/api/v1/messages", curator, {
                "channel": "vk", "url": f"https://vk.com/wall-1_{n}", "author": "Автор", "text": "Вопрос",
                "published_at": datetime.now(UTC).isoformat()})
            case_id = case["case_id"]  # type: ignore[index]
            triage = next(t for t in client.get("/api/v1/tasks", headers=curator).json["tasks"]
                          if t["case_id"] == case_id)
            timed("triage: fan out to 10 bodies", "POST", f"/api/v1/tasks/{triage['id']}/complete", curator, {
                "triage_decision": "send", "theme": "heating", "location": "gatchinsky", "importance": "normal",
                "bodies": codes, "order": "parallel"})
            for code in codes:
                part = next(t for t in client.get("/api/v1/tasks", headers=executors[code]).json["tasks"]
                            if t["case_id"] == case_id)
                timed("part of one body (10 open)", "POST", f"/api/v1/tasks/{part['id']}/complete", executors[code],
                      {"part_outcome": "part", "part_text": f"Информация {code}"})
            decision = next(t for t in client.get("/api/v1/tasks", headers=curator).json["tasks"]
                            if t["case_id"] == case_id)
            timed("composer decision", "POST", f"/api/v1/tasks/{decision['id']}/complete", curator,
                  {"composer": "last_body"})
            timed("read the case", "GET", f"/api/v1/cases/{case_id}", curator)
            if n == 1:  # two warm-up cases
                timings.clear()
        lines = [f"fan-out bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {args.cases} cases x 10 bodies; "
                 f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}; Python {platform.python_version()}; "
                 f"{os.cpu_count()} CPUs; in-process Flask test client (server-side time incl. request handling); "
                 f"{machine_speed()}",
                 f"{'step':<32}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}"]
        for step, values in timings.items():
            lines.append(f"{step:<32}{len(values):>6}{statistics.median(values):>10.1f}"
                         f"{percentile(values, 0.95):>10.1f}{max(values):>10.1f}")
        worst = max(percentile(v, 0.95) for k, v in timings.items() if k != "register")
        verdict = "OK" if worst <= 50 else "MISSED"
        lines.append(f"worst p95 of a fan-out step: {worst:.1f} ms (target <= 50 ms): {verdict}")
        text = "\n".join(lines)
        print(text)
        out = ROOT / "bench" / "results" / ("fanout_pg.txt" if url.startswith("postgresql") else "fanout.txt")
        out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
