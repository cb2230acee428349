"""The tenant isolation matrix: every route the app registers, for the users of the oblast and of a municipality,
with the other tenant's ids, lists and references (routes classified in tests/web/tenant_routes.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, text
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from engine.clock import FixedClock
from models import (
    Absence,
    ApiToken,
    Attachment,
    Body,
    BodyAccount,
    Breach,
    Case,
    CaseTransfer,
    Channel,
    HumanTask,
    InboxView,
    LeadershipAlert,
    LexiconEntry,
    Location,
    Notification,
    OverrideDay,
    ProcessVersion,
    ReplyTemplate,
    ReportEdition,
    SurgeAlert,
    Tenant,
    User,
)
from tests.conftest import CASE_TABLES, START, api_token, login, task_id_from
from tests.web.tenant_routes import DRAFT, ROUTES, Ids, Refers, Scoped, Spec
from tests.web.test_attachments import JPEG
from tests.web.test_governor import FIRST
from tests.web.test_governor import POST as GOVERNOR_POST
from tests.web.test_main_path import MESSAGE, TRIAGE
from tests.web.test_tenants import GATCHINA_TRIAGE
from tests.web.test_workbench import diagram, save, start

# The people of each tenant by role; X is the oblast, Y a municipality (Gatchina). Y has no leader.
PEOPLE = {"X": {"curator": "curator", "executor": "kgkh.exec1", "responsible": "kgkh.resp", "admin": "admin",
                "methodologist": "methodologist", "leader": "leader", "substitute": "kgkh.exec2"},
          "Y": {"curator": "gtn.curator", "executor": "gtn.zhkh.exec1", "responsible": "gtn.zhkh.resp",
                "admin": "gtn.admin", "methodologist": "gtn.methodologist", "substitute": "gtn.zhkh.exec2"}}
BODY = {"X": "kgkh", "Y": "gtn.zhkh"}
TRIAGES = {"X": TRIAGE, "Y": {**GATCHINA_TRIAGE, "bodies": "gtn.zhkh"}}
OTHER = {"X": "Y", "Y": "X"}
# Rows that must not change when the other tenant's people act (table, columns; each has tenant_id or a case_id).
WATCHED = {"case_file": "id, status, version, body_id", "human_task": "id, state, assignee_id, body_id",
           "draft": "id, text, decision", "attachment": "id, draft_id", "notification": "id, read_at",
           "absence": "id, ends_on", "override_day": "id, day, kind, reason", "lexicon_entry": "id, pattern",
           "body": "id, code, name, active, schedule, deputy",
           "user_account": "id, full_name, role, active, password_hash",
           "api_token": "id, revoked_at", "case_link": "id, linked_case_id", "tenant": "id, settings",
           "breach": "id, reason, explanation, verdict, measures", "leadership_alert": "id, acknowledged_at",
           "report_edition": "id, number", "body_account": "id, body_id, channel_id, name, url",
           "deadline_change": "id, new", "case_transfer": "id, returned_at, return_reason",
           "process_draft": "id, revision, saved_at", "process_version": "id, is_current",
           "process_adoption": "id, version_id, auto_adopt", "inbox_view": "id, name, filters",
           "reply_template": "id, body_id, title, text"}
LIBRARY_TABLES = ("sandbox_run", "process_draft", "process_adoption", "process_version")  # emptied of the module's rows


@dataclass
class Side:
    """One tenant's seeded objects, logged-in clients and marker strings."""

    key: str
    code: str
    ids: dict[str, int | str] = field(default_factory=dict)
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    content: list[str] = field(default_factory=list)  # case contents: never shown to another tenant
    org: list[str] = field(default_factory=list)  # people and bodies: shown only to the oblast's overviews


def _case(side: Side, curator: FlaskClient, n: int) -> int:
    data = {**MESSAGE, "url": f"https://vk.com/wall-{ord(side.key)}_{n}", "author": f"Автор MRK{side.key}author{n}",
            "text": f"Сообщение MRK{side.key}msg{n}"}
    response = curator.post("/cases/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    side.content += [data["author"], data["text"]]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _inbox_task(client: FlaskClient, name: str, case_id: int) -> int:
    return task_id_from(client.get(f"/inbox?case_id={case_id}").get_data(as_text=True), name)


def _seed(app: Flask, side: Side) -> None:
    """Cases at triage, draft and approval, a Governor's post with a check, files, links and settings rows."""
    people = PEOPLE[side.key]
    side.clients = {role: login(app, name) for role, name in people.items()}
    curator, executor = side.clients["curator"], side.clients["executor"]
    ids = side.ids
    ids["case"], ids["draft_case"], ids["triage_case"] = (_case(side, curator, n) for n in (1, 2, 3))
    for case_id in (ids["case"], ids["draft_case"]):
        triage = _inbox_task(curator, "Отбор и классификация сообщения", case_id)
        assert curator.post(f"/tasks/{triage}", data=TRIAGES[side.key]).status_code == 302
    ids["triage_task"] = _inbox_task(curator, "Отбор и классификация сообщения", ids["triage_case"])
    for key, case_id in (("drafted", ids["case"]), ("exec_task", ids["draft_case"])):
        ids[key] = task = _inbox_task(executor, "Подготовка проекта ответа", case_id)
        photo = f"MRK{side.key}photo{key}.jpg"
        response = executor.post(f"/tasks/{task}/attachments", data={"file": (BytesIO(JPEG), photo)})
        assert response.status_code == 302, response.get_data(as_text=True)
        side.content.append(photo)
    reply = f"Ответ MRK{side.key}draft"
    response = executor.post(f"/tasks/{ids['drafted']}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                                "reply_text": reply})
    assert response.status_code == 302, response.get_data(as_text=True)
    side.content.append(reply)
    ids["task"] = _inbox_task(curator, "Согласование проекта ответа", ids["case"])
    assert curator.post(f"/cases/{ids['draft_case']}/links", data={"earlier_id": ids["case"]}).status_code == 302
    post_text = f"Пост MRK{side.key}post"
    response = curator.post("/governor/new", data={**GOVERNOR_POST, "url": f"https://vk.com/wall-{ord(side.key)}_9",
                                                   "text": post_text, "bodies": [BODY[side.key]]})
    assert response.status_code == 302, response.get_data(as_text=True)
    ids["post"] = int(response.headers["Location"].rsplit("/", 1)[1])
    side.content.append(post_text)
    check = _inbox_task(executor, FIRST, int(ids["post"]))
    assert executor.post(f"/tasks/{check}", data={"nothing_new": "on"}).status_code == 302
    side.tokens = {role: api_token(app.test_client(), name) for role, name in people.items()}
    _seed_more(app, side)


def _seed_more(app: Flask, side: Side) -> None:
    """A case transferred to the municipality (the oblast's; the municipality drafts a reply to it), a deadline of
    the act changed, a report edition, a draft of the library (the municipality's: a variant, published once, and its
    next draft)."""
    ids, clients = side.ids, side.clients
    if side.key == "X":  # plain words: the municipality sees the transferred message on purpose
        curator = clients["curator"]
        response = curator.post("/cases/new", data={**MESSAGE, "url": "https://vk.com/wall-1_77",
                                                     "text": "Сообщение для передачи"})
        ids["transferred"] = int(response.headers["Location"].rsplit("/", 1)[1])
        triage = _inbox_task(curator, "Отбор и классификация сообщения", int(ids["transferred"]))
        response = curator.post(f"/tasks/{triage}", data={"triage_decision": "transfer", "municipality": "gatchina",
                                                          "triage_comment": "Вопрос округа"})
        assert response.status_code == 302, response.get_data(as_text=True)
    else:  # the municipality works on the transferred case: the oblast must not see its drafts
        with app.extensions["otklik.sessions"]() as session:
            municipal = int(session.scalar(select(CaseTransfer.municipal_case_id)))
        triage = _inbox_task(clients["curator"], "Отбор и классификация сообщения", municipal)
        assert clients["curator"].post(f"/tasks/{triage}", data=TRIAGES["Y"]).status_code == 302
        task = _inbox_task(clients["executor"], "Подготовка проекта ответа", municipal)
        response = clients["executor"].post(f"/tasks/{task}", data={**DRAFT, "reply_text": "Ответ MRKYtransfer"})
        assert response.status_code == 302, response.get_data(as_text=True)
        side.content.append("Ответ MRKYtransfer")
    ids.update(step="draft", process="case_148rg")
    response = clients["admin"].post("/admin/deadlines/draft", data={"value": "8", "unit": "hours"})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = clients["curator"].post("/reports/editions", data={"month": "2026-11"})
    assert response.status_code == 302, response.get_data(as_text=True)
    methodologist = clients["methodologist"]
    ids["draft"] = start(methodologist)
    if side.key == "Y":
        xml, revision = diagram(methodologist, int(ids["draft"]))
        status, answer = save(methodologist, int(ids["draft"]), xml.replace(
            'name="Отбор и классификация сообщения"', 'name="Отбор сообщения MRKYvariant"', 1), revision)
        assert status == 200, answer
        response = methodologist.post(f"/workbench/drafts/{ids['draft']}/publish",
                                      data={"revision": answer["revision"], "comment": "По акту MRKYvariant"})
        assert response.status_code == 302, response.get_data(as_text=True)
        ids["draft"] = start(methodologist)
        side.content.append("MRKYvariant")


def _seed_rows(app: Flask, side: Side) -> None:
    """Rows made directly: a breach, an absence, an override day, a word, a surge alert, notifications."""
    people, now = PEOPLE[side.key], START
    ids, mark = side.ids, f"MRK{side.key}"
    with app.extensions["otklik.sessions"]() as session:
        users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(people.values())))}
        assert set(users) == set(people.values())
        curator, executor = users[people["curator"]], users[people["executor"]]
        body = session.scalar(select(Body).where(Body.code == BODY[side.key]))
        assert body is not None
        location = session.scalar(select(Location).where(Location.tenant_id == body.tenant_id))
        assert location is not None
        vk = session.scalar(select(Channel.id).where(Channel.code == "vk"))
        body.deputy = f"{mark}deputy"
        rows: dict[str, Any] = {
            "absence": Absence(user_id=users[people["substitute"]].id, kind="leave", starts_on=date(2026, 12, 1),
                               ends_on=date(2026, 12, 4), substitute_id=executor.id, reason=f"{mark}absence",
                               created_at=now),
            "override": OverrideDay(tenant_id=body.tenant_id, body_id=body.id, day=date(2026, 12, 3),
                                    kind="non_working", reason=f"{mark}override"),
            "lexicon": LexiconEntry(tenant_id=body.tenant_id, list_name="obscene", pattern=f"mrk{side.key}word"),
            "surge": SurgeAlert(tenant_id=body.tenant_id, dimension="location", value=location.code,
                                window_start=now - timedelta(hours=3), window_end=now, count=9, created_at=now),
            "breach": Breach(case_id=ids["case"], step="draft", clause="8.4", body_id=body.id, person_id=executor.id,
                             due_at=now, recorded_at=now, reason="other", explanation=f"{mark}explanation",
                             explained_by_id=users[people["responsible"]].id, explained_at=now),
            "alert": LeadershipAlert(tenant_id=body.tenant_id, kind="socially_significant", case_id=ids["case"],
                                     text=f"{mark}alert", raised_at=now),
            "account": BodyAccount(tenant_id=body.tenant_id, body_id=body.id, channel_id=vk, name=f"{mark}account",
                                   url=f"https://vk.com/mrk{side.key}account"),
            "inbox_view": InboxView(user_id=executor.id, name=f"{mark}view", filters={"overdue": "1"}, created_at=now),
            "reply_template": ReplyTemplate(tenant_id=body.tenant_id, body_id=body.id, title=f"{mark}template",
                                            text="Здравствуйте! Вопрос решается.", updated_at=now)}
        session.add_all(rows.values())
        session.flush()
        note = Notification(user_id=curator.id, case_id=ids["case"], kind="surge", text=f"{mark}note",
                            created_at=now, surge_alert_id=rows["surge"].id)
        session.add(note)
        session.flush()
        ids.update({key: row.id for key, row in rows.items()}, notification=note.id)
        ids["pending_attachment"] = session.scalar(select(Attachment.id).where(
            Attachment.case_id == ids["draft_case"], Attachment.draft_id.is_(None)))
        ids["attachment"] = session.scalar(select(Attachment.id).where(Attachment.case_id == ids["case"],
                                                                       Attachment.draft_id.is_not(None)))
        ids["token"] = session.scalar(select(ApiToken.id).where(ApiToken.user_id == curator.id)
                                      .order_by(ApiToken.id.desc()).limit(1))
        ids.update(user=executor.id, substitute=users[people["substitute"]].id, username=executor.username,
                   body=body.id, body_code=body.code, location=location.code, deputy=body.deputy,
                   edition=session.scalar(select(ReportEdition.id).where(ReportEdition.tenant_id == body.tenant_id)))
        variant = session.scalar(select(ProcessVersion.id).where(ProcessVersion.tenant_id == body.tenant_id))
        if variant is not None:
            ids["variant_version"] = variant
        side.content += [f"{mark}absence", f"{mark}override", f"mrk{side.key}word", f"{mark}note",
                         f"{mark}explanation", f"{mark}alert", f"{mark}account",
                         f"{mark}view", f"{mark}template"]
        side.org += [executor.username, executor.full_name, users[people["responsible"]].full_name, body.name,
                     f"{mark}deputy"]
        if side.key == "Y":  # the oblast's methodologists and administrators sign the regional library: shared
            side.org += [users[people["methodologist"]].full_name, users[people["admin"]].full_name]
        session.commit()


@pytest.fixture(scope="module")
def world(app: Flask, clock: FixedClock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Side]]:
    """Both tenants seeded once for the module; emptied again at its end."""
    clock.set(START)
    app.config["OTKLIK_UPLOADS"] = str(tmp_path_factory.mktemp("uploads"))
    with app.extensions["otklik.sessions"]() as session:
        region = session.scalar(select(Tenant.code).where(Tenant.kind == "region"))
        settings = {t.id: t.settings for t in session.scalars(select(Tenant))}
        deputies = {b.id: b.deputy for b in session.scalars(select(Body))}
    with app.extensions["otklik.engine"].connect() as conn:
        before = {table: conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()
                  for table in LIBRARY_TABLES}
    sides = {"X": Side("X", region), "Y": Side("Y", "gatchina")}
    for side in sides.values():
        _seed(app, side)
        _seed_rows(app, side)
    for side in sides.values():
        assert not [m for m in side.content + side.org if any(m in o for o in sides[OTHER[side.key]].org)]
    yield sides
    app.config.pop("OTKLIK_UPLOADS")
    with app.extensions["otklik.engine"].begin() as conn:
        for table in (*CASE_TABLES, "case_link", "lexicon_entry"):
            conn.execute(text(f"DELETE FROM {table}" + (" WHERE pattern LIKE 'mrk%' OR pattern = 'своёслово'"
                                                        if table == "lexicon_entry" else "")))
        for table in LIBRARY_TABLES:  # the drafts, variants and adoptions the module made
            conn.execute(text(f"DELETE FROM {table} WHERE id > :id"), {"id": before[table]})
        conn.execute(text("UPDATE tenant SET calendar_revision = calendar_revision + 1"))
    with app.extensions["otklik.sessions"]() as session:  # the surge rules the matrix set
        for tenant in session.scalars(select(Tenant)):
            tenant.settings = settings.get(tenant.id, tenant.settings)
        for body in session.scalars(select(Body)):
            body.deputy = deputies.get(body.id)
        session.commit()


@pytest.fixture(autouse=True)
def _clean() -> None:
    """The world is seeded once per module (overrides the per-test cleaning of tests/conftest.py)."""


def _specs(endpoint: str) -> tuple[Spec, ...]:
    spec = ROUTES[endpoint]
    return spec if isinstance(spec, tuple) else (spec,)


def _rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint)


def _value(value: Any, other: Side, own: Side | None = None) -> Any:
    """A form or query value; "@kind" is the other side's object, "~kind" the caller's own."""
    if isinstance(value, str) and value[:1] in "@~" and value[1:]:
        return str((other if value[0] == "@" else own or other).ids[value[1:]])
    return value


def _call(side: Side, role: str, method: str, url: str, form: dict[str, Any]) -> TestResponse:
    """The API with the role's token, the workbench's data routes with JSON, pages with a form."""
    client, body = side.clients[role], form if method != "GET" else None
    if url.startswith("/api/"):
        return client.open(url, method=method, json=body, headers=side.tokens[role])
    if url.startswith("/workbench/data/"):
        return client.open(url, method=method, json=body)
    return client.open(url, method=method, data=body)


def _text(response: TestResponse) -> str:
    """What a person reads in the answer: an XLSX's cells, a PDF's text, or the text itself; lower case."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(BytesIO(response.data), read_only=True)
        return "\n".join(str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for value in row if value is not None).lower()
    if response.mimetype == "application/pdf":
        return "\n".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages).lower()
    return response.data.decode(errors="replace").lower()


def _url(app: Flask, rule: Rule, values: dict[str, Any], query: dict[str, str] | None = None) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **values, **(query or {}))


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def _digest(app: Flask, tenant_code: str) -> dict[str, list[Any]]:
    """The tenant's watched rows."""
    out: dict[str, list[Any]] = {}
    with app.extensions["otklik.engine"].connect() as conn:
        tenant_id, kind = conn.execute(select(Tenant.id, Tenant.kind).where(Tenant.code == tenant_code)).one()
        region = kind == "region"
        for table, columns in WATCHED.items():
            if table == "tenant":
                where = "id = :t"
            elif table in ("process_draft", "process_version"):  # the oblast's library has no tenant id
                where = "coalesce(tenant_id, 0) = :library"
            elif table in ("draft", "attachment", "case_link", "breach", "case_transfer"):
                where = "case_id IN (SELECT id FROM case_file WHERE tenant_id = :t)"
            elif table in ("notification", "absence", "api_token", "inbox_view"):
                where = "user_id IN (SELECT id FROM user_account WHERE tenant_id = :t)"
            else:
                where = "tenant_id = :t"
            rows = conn.execute(text(f"SELECT {columns} FROM {table} WHERE {where} ORDER BY id"),
                                {"t": tenant_id, "library": 0 if region else tenant_id})
            out[table] = [tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict) else v for v in row)
                          for row in rows]
    return out


def test_every_route_is_classified(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - ROUTES.keys())
    assert not missing, ("routes not classified for tenant isolation; add each to ROUTES in "
                         f"tests/web/tenant_routes.py: {missing}")
    assert not sorted(ROUTES.keys() - endpoints), "ROUTES names endpoints the app no longer has"
    for rule in app.url_map.iter_rules():
        for spec in _specs(rule.endpoint):
            if isinstance(spec, Ids):
                names = set(spec.args) | set(spec.fixed)
                assert names == rule.arguments, f"{rule.endpoint}: Ids names {names}, the URL has {rule.arguments}"


def test_lists_show_nothing_of_the_other_tenant(app: Flask, world: dict[str, Side]) -> None:
    problems = []
    for rule in _rules(app):
        for spec in _specs(rule.endpoint):
            if not isinstance(spec, Scoped) or "GET" not in _methods(rule):
                continue
            for side in world.values():
                other = world[OTHER[side.key]]
                markers = other.content + ([] if spec.overview and side.key == "X" else other.org)
                for role in spec.roles:
                    if role not in side.clients:
                        continue
                    query = {k: _value(v, other) for k, v in spec.query.items()}
                    values = {k: side.ids[v] for k, v in spec.args.items()}
                    response = _call(side, role, "GET", _url(app, rule, values, query), {})
                    body = _text(response) if response.status_code == 200 else response.data.decode().lower()
                    refused = (spec.region_only and side.key == "Y") or (spec.municipal_only and side.key == "X")
                    expected = 403 if refused else 200
                    strict = not any(str(v).startswith("@") for v in spec.query.values())  # else 404/422 too
                    if response.status_code >= 500 or (response.status_code != expected and strict):
                        problems.append(f"{rule.endpoint} {query} as {side.key} {role}: {response.status_code}")
                    problems += [f"{rule.endpoint} {query} as {side.key} {role} shows {m!r}"
                                 for m in markers if m.lower() in body and m not in query.values()]
    assert not problems, "\n".join(problems)


def test_other_tenants_ids_and_references_are_refused(app: Flask, world: dict[str, Side]) -> None:
    problems: list[str] = []
    for side in world.values():
        other = world[OTHER[side.key]]
        before = _digest(app, other.code)
        for rule in _rules(app):
            for spec in _specs(rule.endpoint):
                problems += _cross_requests(app, rule, spec, side, other)
        if (after := _digest(app, other.code)) != before:
            problems.append(f"{side.key}'s people changed {other.key}'s rows: {_changes(before, after)}")
    assert not problems, "\n".join(problems)


def _cross_requests(app: Flask, rule: Rule, spec: Spec, side: Side, other: Side) -> list[str]:
    problems = []
    roles = [role for role in getattr(spec, "roles", ()) if role in side.clients]
    for method in _methods(rule):
        for role in roles:
            where = f"{method} {rule.endpoint} as {side.key} {role}"
            if isinstance(spec, Ids):
                if not set(spec.args.values()) <= other.ids.keys():
                    continue  # a kind the other tenant has none of
                values = {**{k: other.ids[v] for k, v in spec.args.items()}, **spec.fixed}
                response = _call(side, role, method, _url(app, rule, values, spec.query), spec.form)
                if response.status_code != 404:
                    problems.append(f"{where} with {other.key}'s ids {values}: {response.status_code}")
            elif isinstance(spec, Refers) and method != "GET":
                values = {k: side.ids[v] for k, v in spec.args.items()}
                form = {k: _value(v, other, side) for k, v in spec.form.items()}
                own = _digest(app, side.code) if spec.refused else None
                response = _call(side, role, method, _url(app, rule, values), form)
                if response.status_code >= 500:
                    problems.append(f"{where} naming {other.key}'s objects {form}: {response.status_code}")
                if own is not None and own != _digest(app, side.code):
                    problems.append(f"{where} naming {other.key}'s objects {form} was not refused "
                                    f"({response.status_code}): {_changes(own, _digest(app, side.code))}")
    return problems


def _changes(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, Any]:
    return {table: (sorted(set(before[table]) - set(after[table])), sorted(set(after[table]) - set(before[table])))
            for table in WATCHED if before[table] != after[table]}


def test_own_ids_work_for_the_same_people(app: Flask, world: dict[str, Side]) -> None:
    """The control: the ids the matrix substitutes are the right ones, each role opens its own tenant's objects,
    and those pages (forms, suggestions, histories) show nothing of the other tenant."""
    problems = []
    for rule in _rules(app):
        for spec in _specs(rule.endpoint):
            if not isinstance(spec, Ids) or "GET" not in _methods(rule):
                continue
            for side in (s for s in world.values() if set(spec.args.values()) <= s.ids.keys()):
                other = world[OTHER[side.key]]
                values = {**{k: side.ids[v] for k, v in spec.args.items()}, **spec.fixed}
                for role in (r for r in spec.roles if r in side.clients):
                    response = _call(side, role, "GET", _url(app, rule, values, spec.query), {})
                    where = f"GET {rule.endpoint} {values} as {side.key} {role}"
                    if response.status_code >= 400:
                        problems.append(f"{where}: {response.status_code}")
                    body = _text(response)
                    problems += [f"{where} shows {m!r}" for m in other.content + other.org if m.lower() in body]
    assert not problems, "\n".join(problems)


def test_municipal_people_log_in_without_choosing_a_tenant(app: Flask, world: dict[str, Side]) -> None:
    with app.extensions["otklik.sessions"]() as session:
        tenant = {u.username: u.tenant.code for u in session.scalars(select(User).where(User.username.in_(
            ["gtn.curator", "curator"])))}
        assert tenant["gtn.curator"] == "gatchina" and tenant["curator"] != "gatchina"
        assert session.scalar(select(HumanTask.tenant_id).where(HumanTask.id == world["Y"].ids["exec_task"])) == \
            session.scalar(select(Case.tenant_id).where(Case.id == world["Y"].ids["case"]))
    inbox = world["Y"].clients["executor"].get("/inbox").get_data(as_text=True)
    assert f'href="/tasks/{world["Y"].ids["exec_task"]}"' in inbox
    assert world["Y"].clients["executor"].get("/api/v1/tasks", headers=world["Y"].tokens["executor"]).json["tasks"]



def test_suggestions_name_only_the_tenants_own_bodies(app: Flask, world: dict[str, Side]) -> None:
    """The regional decision table names the oblast's bodies; a municipality's triage is offered only its own."""
    curator, triage = world["Y"].clients["curator"], world["Y"].ids["triage_task"]
    assert curator.get(f"/tasks/{triage}/competent-bodies?theme=heating").json == {"bodies": []}
    page = curator.get(f"/tasks/{triage}").get_data(as_text=True)
    assert 'value="kgkh"' not in page and 'value="gtn.zhkh"' in page
    oblast = world["X"].clients["curator"].get(f"/tasks/{world['X'].ids['triage_task']}/competent-bodies?theme=heating")
    assert oblast.json == {"bodies": ["kgkh"]}
