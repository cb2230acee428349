"""The Directorate's curator transfers a message to a municipality from triage in real Chromium and follows the
municipal case's status on the oblast's case page."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.clock import FixedClock
from models import User
from services.cases import register_message
from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.browser.test_main_path_browser import TRIAGE, field, open_task, submit
from tests.conftest import login
from tests.web.test_main_path import open_inbox_task

COMMENT = "Вопрос благоустройства Гатчины: ответьте автору"


def test_the_curator_transfers_from_triage_and_sees_the_municipal_status(
        app: Flask, clock: FixedClock, new_page: Callable[[], Page], problems: PageProblems) -> None:
    with app.app_context():
        session = app.extensions["otklik.sessions"]()
        actor = session.scalar(select(User).where(User.username == "curator"))
        case_id = register_message(session=session, clock=clock, actor=actor, source="form", channel="vk",
                                   url="https://vk.com/wall-1_400", author="Пётр Смирнов",
                                   text="Во дворе на улице Карла Маркса в Гатчине третий месяц яма",
                                   published_at="2026-11-24T09:30").id
        session.commit()
        session.close()

    curator = log_in(new_page(), "curator")
    open_task(curator, case_id, TRIAGE)
    field(curator, "triage_decision").get_by_label("Передать в муниципальное образование (п. 4.3)").check()
    field(curator, "municipality").locator("select").select_option(label="Гатчинский муниципальный округ")
    field(curator, "triage_comment").locator("textarea").fill(COMMENT)
    submit(curator, TRIAGE)

    curator.goto(f"/cases/{case_id}")
    expect(curator.locator("dd.status")).to_have_text("закрыт · передано в муниципальное образование")
    transfer = curator.locator("section.transfer-outgoing")
    expect(transfer.locator("h2")).to_have_text("Передано в муниципальное образование: Гатчинский муниципальный округ")
    expect(transfer.locator("dd.municipal-status")).to_have_text("в работе")
    expect(transfer.locator("dd.municipal-step")).to_have_text(TRIAGE)
    expect(curator.locator("table.history tr.event-transferred")).to_contain_text("Гатчинский муниципальный округ")

    municipal = log_in(new_page(), "gtn.curator")
    mark = municipal.locator("table.list tbody tr").filter(has=municipal.locator("a.task-link", has_text=TRIAGE))
    expect(mark.locator(".transferred")).to_have_text("Передано из Дирекции")
    expect(mark.locator(".transfer-comment")).to_have_text(COMMENT)
    municipal.screenshot(path=str(RESULTS / "cooperation-inbox.png"), full_page=True)
    gatchina = login(app, "gtn.curator")  # the municipality triages it (over HTTP: not this test's subject)
    triage = open_inbox_task(gatchina, TRIAGE)
    assert gatchina.post(f"/tasks/{triage}", data={"triage_decision": "send", "theme": "heating",
                                                   "location": "gatchina-1", "importance": "normal",
                                                   "bodies": "gtn.blag"}).status_code == 302
    curator.reload()
    expect(transfer.locator("dd.municipal-step")).to_contain_text("Подготовка проекта ответа")
    expect(transfer.locator("dd.municipal-due")).to_have_text("25.11.2026 10:48")
    curator.screenshot(path=str(RESULTS / "cooperation-case.png"), full_page=True)

    curator.get_by_role("link", name="Муниципалитеты: обзор").click()
    row = curator.locator('tr[data-municipality="gatchina"]')
    expect(row.locator("td.open")).to_have_text("1")
    expect(row.locator("td.transferred")).to_contain_text("в работе: 1")
    curator.screenshot(path=str(RESULTS / "cooperation-overview.png"), full_page=True)
    assert problems.items == []
    assert re.search(r"/municipalities/overview$", curator.url)
