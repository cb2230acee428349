"""The command line of municipalities and bodies: tenants create|list, bodies create|list, users create --tenant."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from engine.clock import FixedClock
from models import Body, Case, LexiconEntry, Tenant, User
from services.demo import load_messages
from services.setup import DATA
from tests.test_cli import run


def test_a_municipality_from_the_command_line(app: Flask, sessions: Any) -> None:
    code, out = run(app, "tenants", "create", "--code", "cli-town", "--name", "Городское поселение Тестовое")
    assert code == 0 and "cli-town" in out, out
    code, out = run(app, "tenants", "list")
    lines = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and lines[0][:2] == ["lenobl", "region"]
    assert ["cli-town", "municipality", "Городское поселение Тестовое"] in lines
    code, out = run(app, "bodies", "list", "--tenant", "cli-town")
    assert (code, out) == (0, "cli-town.press\tПресс-служба администрации: Городское поселение Тестовое (куратор)\n")
    code, out = run(app, "bodies", "create", "--tenant", "cli-town", "--code", "cli-town.zhkh", "--name",
                    "Отдел ЖКХ")
    assert code == 0 and "cli-town.zhkh" in out
    code, out = run(app, "users", "create", "--username", "clitown.exec", "--password", "secret-pass", "--role",
                    "executor", "--body", "cli-town.zhkh", "--tenant", "cli-town", "--email", "exec@town.example")
    assert code == 0, out
    code, out = run(app, "users", "create", "--username", "clitown.curator", "--password", "secret-pass", "--role",
                    "curator", "--tenant", "cli-town")
    assert code == 0, out
    assert run(app, "users", "create", "--username", "cli.oblast", "--password", "secret-pass", "--role",
               "leader")[0] == 0
    with sessions() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.code == "cli-town"))
        executor = session.scalar(select(User).where(User.username == "clitown.exec"))
        curator = session.scalar(select(User).where(User.username == "clitown.curator"))
        assert executor.tenant_id == curator.tenant_id == tenant.id and executor.email == "exec@town.example"
        assert curator.body.code == "cli-town.press" and executor.body.code == "cli-town.zhkh"
        assert session.scalar(select(LexiconEntry.id).where(LexiconEntry.tenant_id == tenant.id)) is not None
        oblast = session.scalar(select(User).where(User.username == "cli.oblast"))
        assert oblast.tenant.code == "lenobl"  # the oblast's by default
        oblast.active = False  # other tests count the oblast's leaders
        session.commit()
        assert session.scalar(select(Body.tenant_id).where(Body.code == "cli-town.zhkh")) == tenant.id


def test_the_command_line_refuses_duplicates_across_tenants(app: Flask) -> None:
    assert run(app, "tenants", "create", "--code", "cli-dup", "--name", "Поселение")[0] == 0
    code, out = run(app, "tenants", "create", "--code", "cli-dup", "--name", "Ещё одно")
    assert code == 2 and "уже занят" in out
    code, out = run(app, "bodies", "create", "--tenant", "cli-dup", "--code", "kgkh", "--name", "Копия комитета")
    assert code == 2 and "Код органа «kgkh» уже занят" in out
    code, out = run(app, "users", "create", "--username", "curator", "--password", "secret-pass", "--role",
                    "admin", "--tenant", "cli-dup")
    assert code == 2 and "«curator» уже есть" in out
    code, out = run(app, "users", "create", "--username", "cli.dup.exec", "--password", "secret-pass", "--role",
                    "executor", "--body", "kgkh", "--tenant", "cli-dup")
    assert code == 2 and "Органа с кодом kgkh в этой организации нет" in out
    code, out = run(app, "bodies", "create", "--tenant", "nowhere", "--code", "x1", "--name", "X")
    assert code == 2 and "Организации с кодом «nowhere» нет" in out
    code, out = run(app, "tenants", "create", "--code", "Bad Code", "--name", "X")
    assert code == 2 and "Код организации" in out


def test_demo_data_has_two_municipalities_with_people_and_work(app: Flask, sessions: Any, clock: FixedClock) -> None:
    with sessions() as session:
        load_messages(session=session, clock=clock, process_id=app.config["OTKLIK_PROCESS"])
        session.commit()
        counts = dict(session.execute(select(Tenant.code, func.count(Case.id))
                                      .join(Case, Case.tenant_id == Tenant.id).group_by(Tenant.code)).all())
        assert counts == {"lenobl": 12, "gatchina": 2, "vsevolozhsk": 2}
        usernames = [p["username"] for p in json.loads((DATA / "demo.json").read_text(encoding="utf-8"))["people"]]
        people = session.execute(select(Tenant.code, User.role, User.email).join(Tenant, Tenant.id == User.tenant_id)
                                 .where(User.username.in_(usernames))).all()
    assert len(people) == len(usernames) and all(email and "@" in email for _, _, email in people)
    for town in ("gatchina", "vsevolozhsk"):
        roles = {role for tenant, role, _ in people if tenant == town}
        assert roles == {"admin", "curator", "methodologist", "responsible", "executor"}, town
