"""The inbox with many open tasks: server-side time of GET /inbox (the page) and GET /api/v1/tasks, with filters and
search, for a curator, an executor and a responsible official (in-process through Flask's test client).

    .venv/bin/python bench/inbox_bench.py                      # SQLite, 20,000 open tasks
    .venv/bin/python bench/inbox_bench.py --pg URL --open 100000
Targets (issue 14): p95 under 50 ms with 100,000 open tasks on PostgreSQL and 20,000 on SQLite. The page shows 50
tasks (and 50 more at each «Показать ещё»), the API 100; two probes ask the page for 100.
`fill` is also the seeding of bench/step_scale_bench.py (closed cases in bulk).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask.testing import FlaskClient
from sqlalchemy import insert, select, text

from app import create_app
from engine.clock import FixedClock
from models import Body, Case, Channel, HumanTask, Location, ProcessVersion, Theme, User
from services.auth import create_user
from services.db import empty_database, make_engine, make_sessionmaker
from services.inbox.tally import merge
from services.setup import load_reference
from web.cli import migrate

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=MSK)
PASSWORD = "bench-password-1"
SURNAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков",
            "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов"]
NAMES = ["Анна", "Ирина", "Олег", "Сергей", "Мария", "Дмитрий", "Елена", "Павел", "Ольга", "Никита"]
WORDS = ["двор", "дорога", "яма", "снег", "свет", "вода", "отопление", "мусор", "поликлиника", "автобус", "школа",
         "крыша", "лифт", "подъезд", "газон", "остановка", "запись", "врач", "труба", "детская площадка"]
# (step, role, share of open tasks, timed)
STEPS = [("triage", "curator", 0.10, False), ("approval", "curator", 0.15, True), ("draft", "executor", 0.45, True),
         ("rework", "executor", 0.10, True), ("publication", "executor", 0.10, True), ("part", "executor", 0.10, True)]
STEP_NAMES = {"triage": "Отбор и классификация сообщения", "approval": "Согласование проекта ответа",
              "draft": "Подготовка проекта ответа", "rework": "Доработка проекта ответа",
              "publication": "Публикация ответа", "part": "Подготовка информации органа (п. 8.9)"}
BATCH = 10_000


def reset(url: str) -> None:
    """An empty schema at the latest revision."""
    empty_database(url)
    migrate(url)


def fill(url: str, *, open_tasks: int, closed_cases: int = 0, seed: int = 148) -> None:
    """A fresh schema with the regional reference, bench people, `open_tasks` open tasks on as many open cases
    (spread over steps, bodies, themes, locations, channels; a tenth urgent) and `closed_cases` closed cases sent
    over the past year."""
    reset(url)
    sessions = make_sessionmaker(make_engine(url))
    rng = random.Random(seed)
    with sessions() as session:
        load_reference(session=session, clock=FixedClock(NOW))
        bodies = list(session.scalars(select(Body).where(~Body.is_curator)))
        curator_body = session.scalars(select(Body).where(Body.is_curator)).one()
        create_user(session=session, username="bench.curator", password=PASSWORD, role="curator",
                    full_name="Куратор Бенч", body_code=None)
        for body in bodies:
            for n in range(3):
                create_user(session=session, username=f"{body.code}.bench{n}", password=PASSWORD, role="executor",
                            full_name=f"Исполнитель{n} {body.short_name}", body_code=body.code)
            create_user(session=session, username=f"{body.code}.benchresp", password=PASSWORD, role="responsible",
                        full_name=f"Ответственный {body.short_name}", body_code=body.code)
        session.commit()
        tenant_id = bodies[0].tenant_id
        channels = list(session.scalars(select(Channel.id)))
        themes = list(session.scalars(select(Theme.id)))
        locations = list(session.scalars(select(Location.id)))
        version = session.scalar(select(ProcessVersion.id))
        people = {b.id: list(session.scalars(select(User.id).where(User.body_id == b.id, User.role == "executor")))
                  for b in bodies}
        shares = [share for _, _, share, _ in STEPS]
        number = 0

        def case_row(status: str, sent: datetime | None, posted: datetime) -> dict[str, Any]:
            nonlocal number
            number += 1
            words = " ".join(rng.sample(WORDS, 4))
            return {"id": number, "tenant_id": tenant_id, "kind": "message", "channel_id": rng.choice(channels),
                    "url": f"https://vk.com/wall-1_{number}", "url_key": f"vk.com/wall-1_{number}",
                    "author": f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}{rng.randrange(300)}",
                    "text": f"Здравствуйте! Проблема: {words}. Прошу разобраться, обращаюсь не первый раз.",
                    "published_at": posted, "attachments": [], "flags": [],
                    "socially_significant": rng.random() < 0.02, "registered_at": posted + timedelta(minutes=5),
                    "source": "api", "status": status, "theme_id": rng.choice(themes) if sent else None,
                    "location_id": rng.choice(locations) if sent else None,
                    "importance": ("high" if rng.random() < 0.1 else "normal") if sent else None,
                    "body_id": None, "bodies": [], "sent_at": sent, "due_at": None, "process_version_id": version,
                    "state": "", "path": [], "active_steps": [], "version": 1,
                    "closed_at": NOW - timedelta(days=1) if status == "closed" else None}

        for first in range(0, closed_cases, BATCH):
            rows = []
            for _ in range(min(BATCH, closed_cases - first)):
                posted = NOW - timedelta(minutes=rng.randrange(60 * 24 * 2, 60 * 24 * 365))
                rows.append(case_row("closed", posted + timedelta(hours=1), posted))
            session.execute(insert(Case), rows)
            session.commit()
        for first in range(0, open_tasks, BATCH):
            cases, tasks = [], []
            for n in range(first, min(first + BATCH, open_tasks)):
                step, role, _, timed = rng.choices(STEPS, shares)[0]
                posted = NOW - timedelta(minutes=rng.randrange(30, 60 * 24 * 10))
                case = case_row("open", None if step == "triage" else posted + timedelta(minutes=30), posted)
                body = curator_body if role == "curator" else rng.choice(bodies)
                created = posted + timedelta(minutes=rng.randrange(30, 600))
                due = NOW + timedelta(minutes=rng.randrange(-60 * 24 * 2, 60 * 24 * 5)) if timed else None
                case["due_at"] = due and due + timedelta(hours=rng.randrange(0, 30))
                case["body_id"] = None if role == "curator" else body.id
                cases.append(case)
                tasks.append({"case_id": case["id"], "tenant_id": tenant_id, "task_guid": f"{n:036d}", "step": step,
                              "name": STEP_NAMES[step], "role": role, "body_id": body.id,
                              "assignee_id": rng.choice(people[body.id] + [None] * 3) if role == "executor" else None,
                              "form": f"{step}.schema.json", "state": "open", "due_at": due, "created_at": created,
                              "channel_id": case["channel_id"], "theme_id": case["theme_id"],
                              "location_id": case["location_id"], "importance": case["importance"],
                              "significant": case["socially_significant"], "posted_at": posted})
            session.execute(insert(Case), cases)
            session.execute(insert(HumanTask), tasks)
            session.commit()
        merge(session)  # the inbox's counts, as the scheduler folds them every minute
        session.commit()
    if url.startswith("postgresql"):  # at rest after the bulk load, as autovacuum leaves a database (hint bits, map)
        with make_engine(url).connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        with make_engine(url).begin() as conn:
            conn.execute(text("ANALYZE"))


def app_for(url: str) -> Any:
    """The app on the filled database, its clock at NOW."""
    return create_app({"DATABASE_URL": url, "CLOCK": FixedClock(NOW), "TESTING": True, "WTF_CSRF_ENABLED": False,
                       "SECRET_KEY": "bench-secret-key-of-sufficient-length-1", "OTKLIK_SCHEDULER": False,
                       "SESSION_COOKIE_SECURE": False})


def login(app: Any, username: str) -> FlaskClient:
    client: FlaskClient = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(client: FlaskClient, path: str, runs: int, headers: dict[str, str] | None = None) -> list[float]:
    """Milliseconds of `runs` requests after two unmeasured ones."""
    samples = []
    for n in range(runs + 2):
        began = time.perf_counter()
        response = client.get(path, headers=headers or {})
        spent = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
        if n >= 2:
            samples.append(spent)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", help="a PostgreSQL URL (its public schema is dropped)")
    parser.add_argument("--open", type=int, default=None, help="open tasks (20,000 on SQLite, 100,000 on PostgreSQL)")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.pg or f"sqlite:///{tmp}/inbox.db"
        open_tasks = args.open or (100_000 if args.pg else 20_000)
        began = time.perf_counter()
        fill(url, open_tasks=open_tasks)
        filled = time.perf_counter() - began
        app = app_for(url)
        sessions = app.extensions["otklik.sessions"]
        with sessions() as session:
            visible = {role: session.scalar(select(text("count(*)")).select_from(HumanTask).where(
                HumanTask.role == role, HumanTask.body_id == session.scalar(select(Body.id).where(
                    Body.code == "kgkh")) if role == "executor" else HumanTask.role == role)) for role in
                ("curator", "executor")}
            theme = session.scalar(select(Theme.code).order_by(Theme.id))
            location = session.scalar(select(Location.code).order_by(Location.id))
        curator, executor, responsible = (login(app, "bench.curator"), login(app, "kgkh.bench0"),
                                          login(app, "kgkh.benchresp"))
        token = curator.post("/api/v1/auth/token", json={"username": "bench.curator", "password": PASSWORD}).json
        api = {"Authorization": f"Bearer {token['token']}"}
        probes = [
            ("curator", curator, "/inbox", None),
            ("curator", curator, "/inbox?step=approval", None),
            ("curator", curator, f"/inbox?theme={theme}", None),
            ("curator", curator, f"/inbox?theme={theme}&location={location}&importance=high", None),
            ("curator", curator, "/inbox?overdue=1", None),
            ("curator", curator, "/inbox?q=Лебедев17", None),
            ("curator", curator, "/inbox?q=поликлиника", None),
            ("curator", curator, "/inbox?channel=telegram&q=крыша", None),
            ("curator", curator, "/inbox?limit=100", None),
            ("curator", curator, "/inbox?q=поликлиника&limit=100", None),
            ("curator", curator, "/api/v1/tasks", api),
            ("curator", curator, f"/api/v1/tasks?theme={theme}&overdue=1", api),
            ("executor", executor, "/inbox", None),
            ("executor", executor, "/inbox?scope=body&q=лифт", None),
            ("responsible", responsible, "/inbox?importance=high", None),
        ]
        lines = [f"Inbox over {open_tasks:,} open tasks ({url.split(':')[0]}): server-side ms per request, "
                 f"{args.runs} runs each after 2 unmeasured",
                 f"python {platform.python_version()} on {platform.machine()}; filled in {filled:.0f} s; "
                 f"the curator sees {visible['curator']:,} tasks, a kgkh executor's body has {visible['executor']:,}",
                 f"{'who':<12} {'request':<62} {'p50':>7} {'p95':>7}"]
        everything: list[float] = []
        for who, client, path, headers in probes:
            samples = measure(client, path, args.runs, headers)
            everything += samples
            lines.append(f"{who:<12} {path:<62} {statistics.median(samples):7.1f} {percentile(samples, 0.95):7.1f}")
            print(lines[-1], flush=True)
        lines.append(f"{'all':<12} {'(every request above)':<62} {statistics.median(everything):7.1f} "
                     f"{percentile(everything, 0.95):7.1f}   target p95 < 50 ms")
        print("\n".join(lines))
        name = f"inbox_{'pg' if args.pg else 'sqlite'}_{open_tasks // 1000}k.txt"
        (ROOT / "bench" / "results" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
