"""Municipalities, bodies and people in the administrators' pages: each administrator in their own tenant only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Body, Case, LexiconEntry, Location, Tenant, User
from services.reference import form_options
from tests.conftest import PASSWORD, login
from tests.web.test_main_path import open_inbox_task, register

GATCHINA_TRIAGE = {"triage_decision": "send", "theme": "heating", "location": "gatchina-2", "importance": "normal",
                   "triage_comment": "Проверить сети"}


def _id(sessions: Any, model: Any, **key: str) -> int:
    with sessions() as session:
        return int(session.scalar(select(model.id).filter_by(**key)))


def _password_shown(html: str) -> str:
    match = re.search(r'id="new-password".*?<code>([^<]+)</code>', html, re.S)
    assert match, "no password shown"
    return match.group(1)


def test_the_oblast_admin_creates_a_municipality(app: Flask, sessions: Any) -> None:
    admin = login(app, "admin")
    form = {"name": "Лужский муниципальный район", "code": "luga", "curator_name": "Пресс-служба администрации Луги",
            "department_code": ["lug.zhkh", "lug.obr", "", ""],
            "department_name": ["Комитет ЖКХ", "Комитет образования", "", ""],
            "settlements": "Луга\nТолмачёво\n\nЛуга", "admin_username": "lug.admin",
            "admin_full_name": "Иванов Иван Иванович", "admin_email": "lug.admin@lenreg.example"}
    response = admin.post("/admin/municipalities", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Создано муниципальное образование «Лужский муниципальный район»" in html
    password = _password_shown(html)
    assert "<code>luga</code>" in admin.get("/admin/municipalities").get_data(as_text=True)
    with sessions() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.code == "luga"))
        assert tenant.kind == "municipality"
        rows = session.scalars(select(Body).where(Body.tenant_id == tenant.id))
        bodies = {b.code: (b.name, b.is_curator) for b in rows}
        assert bodies == {"luga.press": ("Пресс-служба администрации Луги", True), "lug.zhkh": ("Комитет ЖКХ", False),
                          "lug.obr": ("Комитет образования", False)}
        assert [loc.name for loc in session.scalars(select(Location).where(Location.tenant_id == tenant.id)
                                                    .order_by(Location.code))] == ["Луга", "Толмачёво"]
        assert session.scalar(select(LexiconEntry.id).where(LexiconEntry.tenant_id == tenant.id)) is not None
        options = form_options(session=session, tenant_id=tenant.id, lists=["bodies", "themes", "locations"])
        assert [code for code, _ in options["bodies"]] == ["lug.zhkh", "lug.obr"]
        assert "heating" in dict(options["themes"])  # the oblast's classifier
        first = session.scalar(select(User).where(User.username == "lug.admin"))
        assert (first.role, first.tenant_id, first.email) == ("admin", tenant.id, "lug.admin@lenreg.example")
    luga = app.test_client()
    assert luga.post("/login", data={"username": "lug.admin", "password": password}).status_code == 302
    assert "Лужский муниципальный район" in luga.get("/admin/bodies").get_data(as_text=True)
    assert luga.get("/admin/municipalities").status_code == 403


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"code": "gatchina"}, "code", "Код «gatchina» уже занят"),
    ({"code": "Не латиница"}, "code", "Код организации"),
    ({"department_code": ["kgkh", ""], "department_name": ["Копия", ""]}, "departments", "Код органа «kgkh» уже занят"),
    ({"department_code": ["x.a", "x.a"], "department_name": ["А", "Б"]}, "departments", "«x.a» повторяется"),
    ({"curator_code": "gtn.press"}, "curator", "Код органа «gtn.press» уже занят"),
    ({"admin_username": "gtn.curator"}, "admin_username", "«gtn.curator» уже есть"),
    ({"admin_password": "short"}, "admin_password", "Пароль не короче 8 символов"),
    ({"admin_email": "not-an-address"}, "admin_email", "Адрес электронной почты"),
    ({"name": ""}, "name", "Укажите название"),
])
def test_a_municipality_with_bad_input_is_refused_whole(app: Flask, sessions: Any, changes: dict[str, Any],
                                                        field: str, message: str) -> None:
    form = {"name": "Тосненский район", "code": "tosno", "department_code": ["tsn.zhkh", ""],
            "department_name": ["Комитет ЖКХ", ""], "admin_username": "tsn.admin", **changes}
    response = login(app, "admin").post("/admin/municipalities", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html, html
    assert 'value="Тосненский район"' in html or not form["name"]  # the form keeps what was typed
    with sessions() as session:
        assert session.scalar(select(Tenant.id).where(Tenant.code == "tosno")) is None
        assert session.scalar(select(Body.id).where(Body.code == "tsn.zhkh")) is None
        assert session.scalar(select(User.id).where(User.username == "tsn.admin")) is None


def test_only_administrators_reach_these_pages(app: Flask) -> None:
    assert login(app, "gtn.admin").post("/admin/municipalities", data={"code": "x"}).status_code == 403
    for username in ("curator", "gtn.curator", "gtn.zhkh.exec1"):
        client = login(app, username)
        for url in ("/admin/bodies", "/admin/people", "/admin/municipalities"):
            assert client.get(url).status_code == 403, (username, url)
    nav = login(app, "gtn.admin").get("/admin/people").get_data(as_text=True)
    assert 'href="/admin/bodies"' in nav and 'href="/admin/municipalities"' not in nav
    assert 'href="/admin/municipalities"' in login(app, "admin").get("/admin/bodies").get_data(as_text=True)


def test_a_municipal_admin_sees_and_touches_only_their_own(app: Flask, sessions: Any) -> None:
    gatchina = login(app, "gtn.admin")
    bodies, people = gatchina.get("/admin/bodies").get_data(as_text=True), gatchina.get("/admin/people").get_data(
        as_text=True)
    assert "gtn.zhkh" in bodies and "kgkh" not in bodies and "vsv.zhkh" not in bodies
    assert "gtn.zhkh.exec1" in people and "kgkh.exec1" not in people and "vsv." not in people
    for body in ("kgkh", "vsv.zhkh"):
        body_id = _id(sessions, Body, code=body)
        assert gatchina.post(f"/admin/bodies/{body_id}", data={"name": "Чужой"}).status_code == 404
        assert gatchina.post(f"/admin/bodies/{body_id}/delete").status_code == 404
        assert gatchina.post(f"/admin/bodies/{body_id}/restore").status_code == 404
    for username in ("kgkh.exec1", "vsv.admin"):
        user_id = _id(sessions, User, username=username)
        assert gatchina.get(f"/admin/people/{user_id}").status_code == 404
        assert gatchina.post(f"/admin/people/{user_id}", data={"full_name": "X", "role": "admin"}).status_code == 404
        assert gatchina.post(f"/admin/people/{user_id}/active", data={"active": "0"}).status_code == 404
        assert gatchina.post(f"/admin/people/{user_id}/password", data={}).status_code == 404
    # another tenant's body for a new person is refused next to the field
    response = gatchina.post("/admin/people", data={"full_name": "Чужой Орган", "username": "gtn.x", "role": "executor",
                                                    "body": str(_id(sessions, Body, code="kgkh"))})
    assert response.status_code == 422 and "Такого органа нет" in response.get_data(as_text=True)
    with sessions() as session:
        assert session.scalar(select(Body.name).where(Body.code == "kgkh")) != "Чужой"
        assert session.scalar(select(User.active).where(User.username == "vsv.admin")) is True


def test_bodies_created_renamed_deleted_and_abolished(app: Flask, sessions: Any) -> None:
    gatchina = login(app, "gtn.admin")
    response = gatchina.post("/admin/bodies", data={"code": "gtn.sport", "name": "Комитет по спорту"})
    assert response.status_code == 302
    response = gatchina.post("/admin/bodies", data={"code": "kobr", "name": "Копия"})
    assert response.status_code == 422 and "Код органа «kobr» уже занят" in response.get_data(as_text=True)
    sport = _id(sessions, Body, code="gtn.sport")
    assert gatchina.post(f"/admin/bodies/{sport}", data={"name": "Комитет по физкультуре и спорту",
                                                         "short_name": "Спорт"}).status_code == 302
    assert gatchina.post(f"/admin/bodies/{sport}", data={"name": ""}).status_code == 422
    curator = _id(sessions, Body, code="gtn.press")
    assert gatchina.post(f"/admin/bodies/{curator}/delete").status_code == 403
    # a person in it: refused with the count; a former person (history): abolished, offered nowhere
    response = gatchina.post("/admin/people", data={"full_name": "Спортивный Исполнитель", "username": "gtn.sport.ex",
                                                    "role": "executor", "body": str(sport), "password": PASSWORD})
    assert response.status_code == 200
    response = gatchina.post(f"/admin/bodies/{sport}/delete")
    assert response.status_code == 422 and "в нём работают сотрудники — 1" in response.get_data(as_text=True)
    person = _id(sessions, User, username="gtn.sport.ex")
    assert gatchina.post(f"/admin/people/{person}/active", data={"active": "0"}).status_code == 302
    assert gatchina.post(f"/admin/bodies/{sport}/delete").status_code == 302
    with sessions() as session:
        assert session.get(Body, sport).active is False
        tenant_id = session.get(Body, sport).tenant_id
        assert "gtn.sport" not in dict(form_options(session=session, tenant_id=tenant_id, lists=["bodies"])["bodies"])
    assert "упразднён" in gatchina.get("/admin/bodies").get_data(as_text=True)
    response = gatchina.post(f"/admin/people/{person}/active", data={"active": "1"})
    assert response.status_code == 422 and "орган упразднён" in response.get_data(as_text=True)
    assert gatchina.post(f"/admin/bodies/{sport}/restore").status_code == 302
    # a body nobody ever worked in is deleted outright
    assert gatchina.post("/admin/bodies", data={"code": "gtn.tmp", "name": "Временный"}).status_code == 302
    assert gatchina.post(f"/admin/bodies/{_id(sessions, Body, code='gtn.tmp')}/delete").status_code == 302
    with sessions() as session:
        assert session.scalar(select(Body.id).where(Body.code == "gtn.tmp")) is None


def test_a_body_with_open_tasks_is_not_deleted(app: Flask, sessions: Any) -> None:
    admin, curator = login(app, "gtn.admin"), login(app, "gtn.curator")
    assert admin.post("/admin/bodies", data={"code": "gtn.roads", "name": "Отдел дорог"}).status_code == 302
    register(curator, url="https://vk.com/wall-70000001_900")
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data={**GATCHINA_TRIAGE, "bodies": "gtn.roads"}).status_code == 302
    roads = _id(sessions, Body, code="gtn.roads")
    response = admin.post(f"/admin/bodies/{roads}/delete")
    assert response.status_code == 422 and "открытых задач — 1" in response.get_data(as_text=True)
    with sessions() as session:
        assert session.get(Body, roads).active is True


def test_people_created_edited_deactivated_and_reset(app: Flask, sessions: Any) -> None:
    admin = login(app, "vsv.admin")
    dor = _id(sessions, Body, code="vsv.dor")
    response = admin.post("/admin/people", data={"full_name": "Новый Исполнитель", "username": "vsv.dor.exec9",
                                                 "role": "executor", "body": str(dor), "email": "n@lenreg.example"})
    assert response.status_code == 200
    password = _password_shown(response.get_data(as_text=True))
    person = _id(sessions, User, username="vsv.dor.exec9")
    executor = app.test_client()
    assert executor.post("/login", data={"username": "vsv.dor.exec9", "password": password}).status_code == 302
    # refusals next to their fields
    for data, message in (({"username": "kgkh.exec1"}, "«kgkh.exec1» уже есть"),
                          ({"body": ""}, "выберите орган"), ({"email": "x@"}, "Адрес электронной почты"),
                          ({"password": "short"}, "не короче 8")):
        form = {"full_name": "Ещё Один", "username": "vsv.dor.exec10", "role": "executor", "body": str(dor), **data}
        response = admin.post("/admin/people", data=form)
        assert response.status_code == 422 and message in response.get_data(as_text=True), data
    # edit: e-mail and role; the oblast's people stay untouched
    response = admin.post(f"/admin/people/{person}", data={"full_name": "Новый Ответственный", "role": "responsible",
                                                           "body": str(dor), "email": "resp@lenreg.example"})
    assert response.status_code == 302
    page = admin.get(f"/admin/people/{person}").get_data(as_text=True)
    assert 'value="resp@lenreg.example"' in page and 'value="responsible" selected' in page
    # reset: the old login ends, the new password works
    response = admin.post(f"/admin/people/{person}/password", data={"password": "temporary-123"})
    assert response.status_code == 200 and "Пароль изменён" in response.get_data(as_text=True)
    assert executor.get("/inbox").status_code == 302
    assert app.test_client().post("/login", data={"username": "vsv.dor.exec9",
                                                  "password": "temporary-123"}).status_code == 302
    generated = admin.post(f"/admin/people/{person}/password", data={})
    assert len(_password_shown(generated.get_data(as_text=True))) >= 8
    # deactivate: no login; oneself: refused
    assert admin.post(f"/admin/people/{person}/active", data={"active": "0"}).status_code == 302
    assert app.test_client().post("/login", data={"username": "vsv.dor.exec9",
                                                  "password": "temporary-123"}).status_code != 302
    myself = _id(sessions, User, username="vsv.admin")
    assert admin.post(f"/admin/people/{myself}/active", data={"active": "0"}).status_code == 403
    response = admin.post(f"/admin/people/{myself}", data={"full_name": "Я", "role": "leader"})
    assert response.status_code == 422 and "Свою роль администратора снять нельзя" in response.get_data(as_text=True)


def test_a_person_with_open_tasks_keeps_role_and_stays_active(app: Flask, sessions: Any) -> None:
    curator = login(app, "gtn.curator")
    register(curator, url="https://vk.com/wall-70000001_901")
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data={**GATCHINA_TRIAGE, "bodies": "gtn.blag"}).status_code == 302
    draft = open_inbox_task(login(app, "gtn.blag.exec1"), "Подготовка проекта ответа")
    executor = _id(sessions, User, username="gtn.blag.exec1")
    assert login(app, "gtn.blag.resp").post(f"/tasks/{draft}/assignee",
                                            data={"assignee": str(executor)}).status_code == 302
    admin = login(app, "gtn.admin")
    response = admin.post(f"/admin/people/{executor}/active", data={"active": "0"})
    assert response.status_code == 422 and "открытых задач — 1" in response.get_data(as_text=True)
    response = admin.post(f"/admin/people/{executor}", data={"full_name": "Крылова Евгения Олеговна",
                                                             "role": "executor",
                                                             "body": str(_id(sessions, Body, code="gtn.obr"))})
    assert response.status_code == 422 and "открытых задач — 1" in response.get_data(as_text=True)
    response = admin.post(f"/admin/people/{executor}", data={"full_name": "Крылова Евгения Олеговна",
                                                             "role": "executor", "email": "k@lenreg.example",
                                                             "body": str(_id(sessions, Body, code="gtn.blag"))})
    assert response.status_code == 302  # the e-mail address changes all the same


def _form_of(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_municipal_case_follows_the_regional_diagram_over_http(app: Flask, sessions: Any) -> None:
    curator, executor = login(app, "gtn.curator"), login(app, "gtn.zhkh.exec1")
    case_id = register(curator, url="https://vk.com/wall-70000001_902")
    assert login(app, "curator").get(f"/cases/{case_id}").status_code == 404  # the oblast does not see it
    assert login(app, "vsv.curator").get(f"/cases/{case_id}").status_code == 404
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    form = _form_of(curator, f"/tasks/{triage}")
    assert "gtn.zhkh" in form and "kgkh" not in form and "Коммунар" in form and "Выборгский район" not in form
    response = curator.post(f"/tasks/{triage}", data={**GATCHINA_TRIAGE, "bodies": "kgkh"})
    assert response.status_code == 422  # the oblast's body is no choice here
    assert curator.post(f"/tasks/{triage}", data={**GATCHINA_TRIAGE, "bodies": "gtn.zhkh"}).status_code == 302
    assert "task-link" not in login(app, "kgkh.exec1").get("/inbox").get_data(as_text=True)
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    assert executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                  "reply_text": "Здравствуйте! Течь устранят сегодня."}
                         ).status_code == 302
    approval = open_inbox_task(curator, "Согласование проекта ответа")
    assert curator.post(f"/tasks/{approval}", data={"approval_decision": "approve"}).status_code == 302
    publication = open_inbox_task(executor, "Публикация ответа")
    assert executor.post(f"/tasks/{publication}", data={"published_url": "https://vk.com/wall-70000001_902?reply=1",
                                                        "published_at": "2026-11-24T10:00"}).status_code == 302
    gatchina = _id(sessions, Tenant, code="gatchina")
    with sessions() as session:
        case = session.get(Case, case_id)
        assert (case.status, case.outcome, case.tenant_id) == ("closed", "published_end", gatchina)
        assert case.body.code == "gtn.zhkh" and case.theme.code == "heating" and case.location.name == "Коммунар"
