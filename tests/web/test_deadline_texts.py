"""Issue 14, defect 10: the deadline parameters' errors and durations and the working hours' errors read in the
reader's language; Russian stays the default."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import Tenant
from tests.conftest import api_token, login
from tests.web.test_main_path import MESSAGE, register

EN = {"Accept-Language": "en"}
WEEKS = {"draft": {"value": 5, "unit": "weeks"}}  # a unit the regulation does not know


@pytest.fixture
def weeks(sessions: Any) -> Iterator[None]:
    """The oblast's own deadline values hold a broken one; afterwards they are back as they were."""
    with sessions() as session:
        oblast = session.scalar(select(Tenant).where(Tenant.kind == "region"))
        assert oblast is not None
        before = dict(oblast.settings)
        oblast.settings = {**before, "deadlines": WEEKS}
        session.commit()
    yield
    with sessions() as session:
        oblast = session.scalar(select(Tenant).where(Tenant.kind == "region"))
        assert oblast is not None
        oblast.settings = before
        session.commit()


def test_a_broken_deadline_parameter_is_explained_in_the_readers_language(app: Flask, weeks: None) -> None:
    client = app.test_client()
    bearer = api_token(client, "curator")
    answer = client.post("/api/v1/messages", json=MESSAGE, headers={**bearer, **EN})
    assert answer.status_code == 422
    assert answer.json["error"]["message"].endswith(": Unknown deadline unit «weeks»: allowed are minutes, hours, days")
    answer = client.post("/api/v1/messages", json=MESSAGE, headers=bearer)
    assert answer.status_code == 422
    assert answer.json["error"]["message"].endswith(
        ": Неизвестная единица срока «weeks»: допустимы minutes, hours, days")


def test_the_registration_form_says_why_it_refused_when_no_field_is_to_blame(app: Flask, weeks: None) -> None:
    """A refusal that names no field (the organisation's deadline values are broken) is shown on the form, 422."""
    english, russian = login(app, "curator"), login(app, "curator")
    assert english.post("/lang/en").status_code == 302
    answer = english.post("/cases/new", data=MESSAGE)
    assert answer.status_code == 422
    page = html.unescape(answer.get_data(as_text=True))
    assert "Unknown deadline unit «weeks»: allowed are minutes, hours, days" in page
    answer = russian.post("/cases/new", data=MESSAGE)
    assert answer.status_code == 422
    assert "Неизвестная единица срока «weeks»" in html.unescape(answer.get_data(as_text=True))


def test_durations_and_working_hours_errors_of_the_what_if_report_in_english(app: Flask) -> None:
    english, russian = login(app, "leader"), login(app, "leader")
    assert english.post("/lang/en").status_code == 302
    register(login(app, "curator"))
    page = html.unescape(english.get("/reports/whatif").get_data(as_text=True))
    assert "now 9 working h)" in page and "раб." not in page
    assert "сейчас 9 раб. ч)" in html.unescape(russian.get("/reports/whatif").get_data(as_text=True))

    query = "/reports/whatif?month=2026-11&calendar=hours&day_start=18:00&day_end=09:00"
    refused = html.unescape(english.get(query).get_data(as_text=True))
    assert "Wrong working hours: the end of work (09:00) must be later than its start (18:00)." in refused
    refused = html.unescape(russian.get(query).get_data(as_text=True))
    assert "Неверное рабочее время: окончание работы (09:00) должно быть позже начала (18:00)." in refused
