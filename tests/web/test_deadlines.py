"""«Сроки по акту»: a tenant's own deadline values over the regional ones, by page and CLI, and cases following them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.clock import FixedClock
from models import Body, Breach, Case, Location, Tenant, Theme, ThemeGroup
from services.auth import create_user
from services.timers import fire_due_timers
from tests.conftest import MSK, api_token, login
from tests.web.test_main_path import MESSAGE, TRIAGE, open_inbox_task, register

MUNICIPALITY = "test-g-mo"
# The municipality's people, bodies, theme and location: created through the models, not helper A's service.
MO_TRIAGE = {**TRIAGE, "theme": "mo-g-heating", "location": "mo-g-town", "bodies": "mo-g-gkh"}


def municipality(sessions: Any) -> int:
    """A municipality with a curator, one department, a theme, a location and people; created once per database."""
    with sessions() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.code == MUNICIPALITY))
        if tenant is not None:
            return int(tenant.id)
        tenant = Tenant(code=MUNICIPALITY, name="Тестовый муниципальный район", kind="municipality", settings={})
        session.add(tenant)
        session.flush()
        session.add_all([Body(tenant_id=tenant.id, code="mo-g-pr", name="Пресс-служба администрации района",
                              short_name="Пресс-служба", is_curator=True),
                         Body(tenant_id=tenant.id, code="mo-g-gkh", name="Отдел ЖКХ администрации района",
                              short_name="Отдел ЖКХ"),
                         Location(tenant_id=tenant.id, code="mo-g-town", name="Городское поселение")])
        group = ThemeGroup(tenant_id=tenant.id, code="mo-g-zhkh", name="ЖКХ района")
        session.add(group)
        session.flush()
        session.add(Theme(group_id=group.id, code="mo-g-heating", name="Отопление"))
        session.flush()
        for username, role, body in (("mo.curator", "curator", "mo-g-pr"), ("mo.exec", "executor", "mo-g-gkh"),
                                     ("mo.resp", "responsible", "mo-g-gkh"), ("mo.admin", "admin", None)):
            create_user(session=session, username=username, password="otklik-demo", role=role, body_code=body,
                        tenant_code=MUNICIPALITY, full_name=f"Тест {username}")
        session.commit()
        return int(tenant.id)


@pytest.fixture
def regional_values(app: Flask, sessions: Any) -> Iterator[int]:
    """Every tenant on the regional values before and after the test; yields the municipality's id."""
    tenant_id = municipality(sessions)
    yield tenant_id
    with sessions() as session:
        for tenant in session.scalars(select(Tenant)):
            tenant.settings = {k: v for k, v in tenant.settings.items() if k != "deadlines"}
        session.commit()


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def cli(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["tenants", "deadline", *args])
    return result.exit_code, result.output


def test_main_path_follows_the_municipality_s_own_values(app: Flask, clock: FixedClock, sessions: Any,
                                                         regional_values: int) -> None:
    assert cli(app, "--tenant", MUNICIPALITY, "--step", "case", "--value", "8", "--unit", "hours")[0] == 0
    assert cli(app, "--tenant", MUNICIPALITY, "--step", "draft", "--value", "4", "--unit", "hours")[0] == 0
    curator, executor = login(app, "mo.curator"), login(app, "mo.exec")
    oblast_curator, oblast_executor = login(app, "curator"), login(app, "kgkh.exec1")
    case_id = register(curator)
    oblast_case = register(oblast_curator)
    for client, form in ((curator, MO_TRIAGE), (oblast_curator, TRIAGE)):
        triage = open_inbox_task(client, "Отбор и классификация сообщения")
        assert client.post(f"/tasks/{triage}", data=form).status_code == 302

    headers = api_token(executor, "mo.exec")
    [draft] = executor.get("/api/v1/tasks", headers=headers).json["tasks"]
    # Sent Tue 10:00. The municipality's act: reply in 8 working hours (3 h to lunch, 4 h 12 min after it, 48 min
    # on Wednesday), draft in 4 (3 h to lunch, 1 h after it).
    assert (draft["case_id"], draft["step"]) == (case_id, "draft")
    assert at(draft["due_at"]) == datetime(2026, 11, 24, 14, 48, tzinfo=MSK)
    assert at(draft["case_due_at"]) == datetime(2026, 11, 25, 9, 48, tzinfo=MSK)
    # The oblast's case, sent at the same moment, keeps the regional 9 and 5 working hours.
    oblast_headers = api_token(oblast_executor, "kgkh.exec1")
    [oblast_draft] = oblast_executor.get("/api/v1/tasks", headers=oblast_headers).json["tasks"]
    assert oblast_draft["case_id"] == oblast_case
    assert at(oblast_draft["due_at"]) == datetime(2026, 11, 24, 15, 48, tzinfo=MSK)
    assert at(oblast_draft["case_due_at"]) == datetime(2026, 11, 25, 10, 48, tzinfo=MSK)
    page = curator.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "25.11.2026 09:48" in page

    # At 14:49 the municipality's draft is overdue by its act; the oblast's is not (due 15:48).
    clock.set(datetime(2026, 11, 24, 14, 49, tzinfo=MSK))
    fire_due_timers(sessions=sessions, clock=clock)
    with sessions() as session:
        breaches = session.scalars(select(Breach).where(Breach.case_id.in_([case_id, oblast_case]))).all()
        assert [(b.case_id, b.step, b.clause, b.due_at) for b in breaches] == \
            [(case_id, "draft", "8.4", datetime(2026, 11, 24, 14, 48, tzinfo=MSK))]
    # Both drafts done at 15:00: 12 working minutes late by the municipality's act, in time by the oblast's.
    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=MSK))
    reply = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Тепло дадут сегодня."}
    assert executor.post(f"/tasks/{draft['id']}", data=reply).status_code == 302
    assert oblast_executor.post(f"/tasks/{oblast_draft['id']}", data=reply).status_code == 302
    with sessions() as session:
        breaches = session.scalars(select(Breach).where(Breach.case_id.in_([case_id, oblast_case]))).all()
        assert [(b.case_id, b.step, b.late_minutes) for b in breaches] == [(case_id, "draft", 12)]

    approval = open_inbox_task(curator, "Согласование проекта ответа")
    assert curator.post(f"/tasks/{approval}", data={"approval_decision": "approve"}).status_code == 302
    publication = open_inbox_task(executor, "Публикация ответа")
    response = executor.post(f"/tasks/{publication}", data={"published_url": f"{MESSAGE['url']}?reply=1",
                                                           "published_at": "2026-11-24T15:05"})
    assert response.status_code == 302
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and (case.status, case.outcome) == ("closed", "published_end")
    # The oblast's curator cannot open the municipality's case.
    assert oblast_curator.get(f"/cases/{case_id}").status_code == 404


def test_page_lists_every_step_with_its_clause_and_isolates_tenants(app: Flask, regional_values: int) -> None:
    admin = login(app, "admin")
    page = admin.get("/admin/deadlines").get_data(as_text=True)
    for text in ("8.4", "Подготовка проекта ответа", "8.3", "Ответ на сообщение", "9 раб. ч", "7 раб. дн",
                 "60 раб. мин", "применяется к срокам, отсчёт которых начинается после изменения"):
        assert text in page, text
    assert "Вернуть региональное значение" not in page

    mo_admin = login(app, "mo.admin")
    response = mo_admin.post("/admin/deadlines/draft", data={"value": "4", "unit": "hours"})
    assert response.status_code == 302
    row = _row(mo_admin.get("/admin/deadlines").get_data(as_text=True), "draft")
    assert "4 раб. ч" in row and "5 раб. ч" in row and "Вернуть региональное значение" in row
    history = mo_admin.get("/admin/deadlines").get_data(as_text=True).split("История изменений")[1]
    assert "24.11.2026 10:00" in history and "Тест mo.admin" in history and "8.4 Подготовка проекта ответа" in history
    # The oblast's page is untouched.
    oblast = admin.get("/admin/deadlines").get_data(as_text=True)
    assert "4 раб. ч" not in _row(oblast, "draft") and "Сроки не менялись" in oblast

    assert mo_admin.post("/admin/deadlines/draft/reset").status_code == 302
    page = mo_admin.get("/admin/deadlines").get_data(as_text=True)
    assert "Вернуть региональное значение" not in _row(page, "draft")
    assert page.split("История изменений")[1].count("Тест mo.admin") == 2


def _row(page: str, step: str) -> str:
    start = page.index(f'id="deadline-{step}"')
    return page[start:page.index("</tr>", start)]


@pytest.mark.parametrize(("value", "unit", "message"), [
    ("0", "hours", "Срок должен быть больше нуля"),
    ("-3", "hours", "Срок должен быть больше нуля"),
    ("185", "hours", "Срок не может быть больше месяца: не более 184 раб. ч"),
    ("24", "days", "не более 23 раб. дн"),
    ("11041", "minutes", "не более 11040 раб. мин"),
    ("пять", "hours", "Укажите срок целым числом"),
    ("", "hours", "Укажите срок целым числом"),
    ("5", "weeks", "Единица срока: минуты, часы или дни"),
])
def test_out_of_range_values_are_refused_on_the_page(app: Flask, sessions: Any, regional_values: int, value: str,
                                                     unit: str, message: str) -> None:
    admin = login(app, "admin")
    response = admin.post("/admin/deadlines/draft", data={"value": value, "unit": unit})
    assert response.status_code == 422
    row = _row(response.get_data(as_text=True), "draft")
    assert message in row and f'value="{value}"' in row  # next to the field, with what was typed
    with sessions() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.code == "lenobl"))
        assert tenant is not None and "deadlines" not in tenant.settings


def test_unknown_step_and_other_roles_are_refused(app: Flask, regional_values: int) -> None:
    admin = login(app, "admin")
    response = admin.post("/admin/deadlines/reply", data={"value": "5", "unit": "hours"})
    assert response.status_code == 422 and "Неизвестный срок «reply»" in response.get_data(as_text=True)
    assert admin.post("/admin/deadlines/reply/reset").status_code == 422
    for username in ("curator", "methodologist", "kgkh.resp"):
        client = login(app, username)
        assert client.get("/admin/deadlines").status_code == 403
        assert client.post("/admin/deadlines/draft", data={"value": "4", "unit": "hours"}).status_code == 403


def test_cli_contract(app: Flask, sessions: Any, regional_values: int) -> None:
    code, out = cli(app, "--tenant", MUNICIPALITY, "--step", "case", "--value", "8", "--unit", "hours")
    assert code == 0 and out.split("\t")[:2] == [MUNICIPALITY, "case"] and "8 раб. ч" in out and "9 раб. ч" in out
    for args, message in ((["--value", "0", "--unit", "hours"], "больше нуля"),
                          (["--value", "-1", "--unit", "hours"], "больше нуля"),
                          (["--value", "32", "--unit", "days"], "больше месяца"),
                          (["--value", "5", "--unit", "weeks"], "минуты, часы или дни")):
        code, out = cli(app, "--tenant", MUNICIPALITY, "--step", "draft", *args)
        assert code == 2 and message in out, out
    code, out = cli(app, "--tenant", MUNICIPALITY, "--step", "nope", "--value", "5", "--unit", "hours")
    assert code == 2 and "Неизвестный срок «nope»" in out
    code, out = cli(app, "--tenant", "nowhere", "--step", "case", "--value", "5", "--unit", "hours")
    assert code == 2 and "Организации с кодом «nowhere» нет" in out
    with sessions() as session:
        tenant = session.get(Tenant, regional_values)
        assert tenant is not None
        assert tenant.settings["deadlines"] == {"case": {"value": 8, "unit": "hours", "working": True}}
    page = login(app, "mo.admin").get("/admin/deadlines").get_data(as_text=True)
    assert "командная строка" in page.split("История изменений")[1]
