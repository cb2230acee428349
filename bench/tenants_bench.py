"""Municipalities at scale (issue 13): a municipal executor's inbox and a step cost the same whether the
installation holds 20 municipalities with 20,000 open cases spread over them or one municipality with its own.

Three layouts of the same database schema, each on SQLite and (with --pg URL) on PostgreSQL:
- "20 municipalities": 20 towns with 3 departments each, 1,000 open cases per town (20,000 in all);
- "1 municipality, own share": one town with the same 1,000 open cases of its own and nothing else;
- "1 municipality, all 20,000": one town holding every open case (the tenant filter cannot help there).
Each open case is a triaged message waiting at the draft step: its case row (with a real workflow state), its open
inbox row (human_task) for one of the town's departments, its armed timers and its history, bulk-copied from a case
driven over the API. Measured in-process through Flask's test client as the executor of town 1's first department:
GET /api/v1/tasks, GET /inbox, and a draft completion POST /api/v1/tasks/{id}/complete on a fresh case (its
registration and triage are not measured).

    .venv/bin/python bench/tenants_bench.py [--open-cases 20000] [--samples 40] [--pg postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from flask import Flask
from flask.testing import FlaskClient
from http_bench import LINES, fill, header_lines, main_path_values, pct, say
from sqlalchemy import insert, select, text

from app import create_app
from engine.clock import SystemClock
from models import Case, CaseEvent, HumanTask, Timer
from services.auth import create_user
from services.db import empty_database
from services.setup import load_reference
from services.tenants import create_municipality
from web.cli import migrate

PASSWORD = "bench-password-148"
DEPARTMENTS = 3


def _reset(url: str) -> None:
    """An empty database at the url (a PostgreSQL schema is dropped; a SQLite file is new anyway)."""
    empty_database(url)


def build(url: str, towns: int) -> Flask:
    """The app on a fresh database with the reference lists and `towns` municipalities, each with a curator and
    one executor per department."""
    _reset(url)
    migrate(url)
    clock = SystemClock()
    app = create_app({"DATABASE_URL": url, "CLOCK": clock, "OTKLIK_SCHEDULER": False, "SESSION_COOKIE_SECURE": False,
                      "SECRET_KEY": "tenants-bench-secret-key-0123456789", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        session = app.extensions["otklik.sessions"]()
        load_reference(session=session, clock=clock)
        for n in range(1, towns + 1):
            code = f"m{n:02d}"
            create_municipality(session=session, clock=clock, code=code, name=f"Район {n}",
                                departments=[(f"{code}.d{j}", f"Отдел {j}") for j in range(1, DEPARTMENTS + 1)],
                                settlements=[f"Посёлок {n}"])
            create_user(session=session, username=f"{code}.curator", password=PASSWORD, role="curator",
                        full_name=f"Куратор {n}", tenant_code=code)
            for j in range(1, DEPARTMENTS + 1):
                create_user(session=session, username=f"{code}.d{j}.exec", password=PASSWORD, role="executor",
                            full_name=f"Исполнитель {n}.{j}", body_code=f"{code}.d{j}", tenant_code=code)
        session.commit()
        session.close()
    return app


def token(client: FlaskClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def drafting_case(client: FlaskClient, town: str, tag: str, curator: dict[str, str]) -> int:
    """A message registered and triaged over the API to the town's first department; returns the case id."""
    response = client.post("/api/v1/messages", headers=curator, json={
        "channel": "vk", "url": f"https://vk.com/wall-{town}_{tag}", "author": "Жительница района",
        "text": "Нет горячей воды третий день", "published_at": datetime.now(UTC).isoformat()})
    assert response.status_code == 201, response.json
    case_id = int(response.json["case_id"])
    (triage,) = [t for t in client.get(f"/api/v1/tasks?case_id={case_id}", headers=curator).json["tasks"]
                 if t["step"] == "triage"]
    values = {**main_path_values(0), "location": f"{town}-1", "body": f"{town}.d1", "bodies": [f"{town}.d1"]}
    form = client.get(f"/api/v1/tasks/{triage['id']}", headers=curator).json["form"]
    response = client.post(f"/api/v1/tasks/{triage['id']}/complete", headers=curator, json=fill(form, values))
    assert response.status_code == 200, response.json
    return case_id


def _rows(session: Any, model: Any, case_id: int) -> list[dict[str, Any]]:
    columns = [c.key for c in model.__table__.columns if c.key != "id"]
    return [{k: getattr(row, k) for k in columns} for row in session.scalars(
        select(model).where(model.case_id == case_id))]


def seed(app: Flask, template_id: int, towns: int, per_town: int, batch: int = 1000) -> float:
    """Copy the template case (waiting at the draft step) `per_town` times into every town, its open inbox row
    spread over the town's departments, with its timers and history; returns the seconds spent."""
    began = time.perf_counter()
    with app.extensions["otklik.sessions"]() as session:
        case = session.get(Case, template_id)
        assert case is not None
        case_row = {c.key: getattr(case, c.key) for c in Case.__table__.columns if c.key != "id"}
        tasks = [t for t in _rows(session, HumanTask, template_id) if t["state"] == "open"]
        timers, events = _rows(session, Timer, template_id), _rows(session, CaseEvent, template_id)
        bodies = dict(session.execute(text("SELECT code, id FROM body")).all())
        tenants = dict(session.execute(text("SELECT code, id FROM tenant")).all())
        for n in range(1, towns + 1):
            town = f"m{n:02d}"
            for offset in range(0, per_town, batch):
                count = min(batch, per_town - offset)
                body_ids = [bodies[f"{town}.d{1 + (offset + k) % DEPARTMENTS}"] for k in range(count)]
                url = [f"https://vk.com/wall-{town}_seeded_{offset + k}" for k in range(count)]
                ids = session.scalars(insert(Case).returning(Case.id, sort_by_parameter_order=True), [
                    {**case_row, "tenant_id": tenants[town], "url": url[k], "url_key": url[k].removeprefix("https://"),
                     "body_id": body_ids[k]} for k in range(count)]).all()
                guids: list[dict[str, str]] = [{t["task_guid"]: str(uuid.uuid4()) for t in tasks + timers}
                                               for _ in ids]
                session.execute(insert(HumanTask), [
                    {**t, "case_id": i, "tenant_id": tenants[town], "body_id": body_ids[k],
                     "task_guid": guids[k][t["task_guid"]]} for k, i in enumerate(ids) for t in tasks])
                session.execute(insert(Timer), [{**t, "case_id": i, "task_guid": guids[k][t["task_guid"]]}
                                                for k, i in enumerate(ids) for t in timers])
                session.execute(insert(CaseEvent), [{**e, "case_id": i} for i in ids for e in events])
                session.commit()
        if app.config["DATABASE_URL"].startswith("sqlite"):
            session.execute(text("ANALYZE"))
        else:
            session.execute(text("COMMIT"))
            session.execute(text("ANALYZE"))
        session.commit()
    return time.perf_counter() - began


def timed(samples: int, act: Callable[[int], None]) -> list[float]:
    out = []
    for i in range(samples):
        began = time.perf_counter()
        act(i)
        out.append(time.perf_counter() - began)
    return out


def measure(url: str, label: str, towns: int, per_town: int, samples: int) -> dict[str, list[float]]:
    """Build the layout, seed it and time the executor's inbox (API and page) and a draft completion."""
    app = build(url, towns)
    client = app.test_client()
    curator = token(client, "m01.curator")
    executor = token(client, "m01.d1.exec")
    template = drafting_case(client, "m01", "template", curator)
    spent = seed(app, template, towns, per_town)
    with app.extensions["otklik.engine"].connect() as conn:
        counts = conn.execute(text("SELECT (SELECT count(*) FROM case_file WHERE status = 'open'), "
                                   "(SELECT count(*) FROM human_task WHERE state = 'open'), "
                                   "(SELECT count(*) FROM timer), (SELECT count(*) FROM case_event)")).one()
    say(f"{label}: {towns} town(s) x {per_town} open cases seeded in {spent:.1f} s; open cases {counts[0]}, "
        f"open inbox rows {counts[1]}, timers {counts[2]}, history entries {counts[3]}")
    page = app.test_client()
    assert page.post("/login", data={"username": "m01.d1.exec", "password": PASSWORD}).status_code == 302
    mine = len(client.get("/api/v1/tasks", headers=executor).json["tasks"])
    for _ in range(3):  # warm-up: caches of the process bundle, the calendar, the templates
        client.get("/api/v1/tasks", headers=executor)
        page.get("/inbox")
    results = {
        "inbox API GET /api/v1/tasks": timed(samples, lambda i: client.get("/api/v1/tasks", headers=executor)),
        "inbox page GET /inbox": timed(samples, lambda i: page.get("/inbox")),
    }
    drafts: list[int] = []
    for i in range(samples + 3):
        case_id = drafting_case(client, "m01", f"step{i}", curator)
        (task,) = [t["id"] for t in client.get(f"/api/v1/tasks?case_id={case_id}", headers=executor).json["tasks"]]
        drafts.append(task)
    body = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Воду дадут сегодня."}

    def complete(i: int) -> None:
        response = client.post(f"/api/v1/tasks/{drafts[i]}/complete", headers=executor, json=body)
        assert response.status_code == 200, response.json

    timed(3, complete)
    drafts[:] = drafts[3:]
    results["step POST /api/v1/tasks/{id}/complete (draft)"] = timed(samples, complete)
    say(f"  the executor's inbox holds {mine} open tasks")
    for name, values in results.items():
        say(f"  {name:48} p50 {pct(values, .5):7.2f} ms  p95 {pct(values, .95):7.2f} ms")
    app.extensions["otklik.engine"].dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open-cases", type=int, default=20_000)
    parser.add_argument("--towns", type=int, default=20)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--pg", default="", help="also PostgreSQL at this SQLAlchemy URL (its schema is dropped)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tenants.txt")
    args = parser.parse_args()
    for line in header_lines("Otklik municipalities benchmark"):
        say(line)
    say(f"in-process (Flask test client), {args.samples} samples per figure after 3 warm-up requests")
    share = args.open_cases // args.towns
    layouts = [(f"{args.towns} municipalities", args.towns, share), ("1 municipality, own share", 1, share),
               (f"1 municipality, all {args.open_cases}", 1, args.open_cases)]
    with tempfile.TemporaryDirectory(prefix="otklik-tenants-") as tmp:
        databases = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}")] + ([("PostgreSQL", args.pg)] if args.pg
                                                                            else [])
        for name, url in databases:
            say()
            say(f"== {name}")
            found = {}
            for label, towns, per_town in layouts:
                if url.startswith("sqlite"):
                    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
                found[label] = measure(url, label, towns, per_town, args.samples)
            many, alone = found[layouts[0][0]], found[layouts[1][0]]
            say(f"  {name}: p50 of {layouts[0][0]} / {layouts[1][0]}: " + ", ".join(
                f"{key.split(' ')[0]} {key.split(' ')[1]} {pct(many[key], .5) / pct(alone[key], .5):.2f}x"
                for key in many))
    args.out.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
