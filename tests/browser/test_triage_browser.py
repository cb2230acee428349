"""Issue 14, «Triage and approval» in real Chromium: the bodies' multi-select with its order, fields shown for the
decision chosen, the Russian date and time input, and the curator's edit of a draft seen by the executor."""

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
from tests.browser.test_main_path_browser import (
    APPROVAL,
    DRAFT,
    PUBLICATION,
    TRIAGE,
    classify,
    field,
    open_task,
    submit,
)
from tests.conftest import login
from tests.web.test_main_path import TRIAGE as HTTP_TRIAGE
from tests.web.test_main_path import open_inbox_task


def registered(app: Flask, clock: FixedClock, url: str) -> int:
    """A message registered by the curator, as the monitoring would."""
    with app.app_context():
        session = app.extensions["otklik.sessions"]()
        actor = session.scalar(select(User).where(User.username == "curator"))
        case_id = register_message(session=session, clock=clock, actor=actor, source="form", channel="vk", url=url,
                                   author="Ирина Петрова", text="Нет воды и яма у дома 14",
                                   published_at="2026-11-24T09:30").id
        session.commit()
        session.close()
    return case_id


def test_triage_with_two_bodies_in_the_order_set_by_the_curator(
        app: Flask, clock: FixedClock, new_page: Callable[[], Page], problems: PageProblems) -> None:
    case_id = registered(app, clock, "https://vk.com/wall-1_300")
    curator = log_in(new_page(), "curator")
    open_task(curator, case_id, TRIAGE)
    # Fields of «не подлежит обработке» stay hidden until it is chosen, and those of sending then hide.
    ground = field(curator, "not_subject_ground")
    expect(ground).to_be_hidden()
    field(curator, "triage_decision").get_by_label("Не подлежит обработке").check()
    expect(ground).to_be_visible()
    expect(ground.locator("legend, label").first).to_contain_text("*")
    expect(field(curator, "bodies")).to_be_hidden()
    field(curator, "triage_decision").get_by_label("Направить в компетентный орган").check()
    expect(ground).to_be_hidden()

    bodies = classify(curator, "heating", "gatchinsky")
    items = bodies.locator(".ts-control .item")
    expect(items).to_have_text(["←Комитет по ЖКХ→×"])  # the decision table's answer
    search = bodies.get_by_role("combobox", name="Компетентные органы")
    search.fill("дорож")
    bodies.locator(".ts-dropdown .option", has_text="Комитет по дорожному хозяйству").click()
    expect(items).to_have_count(2)
    items.nth(1).get_by_role("button", name="Комитет по дорожному хозяйству: раньше").click()
    expect(items.locator(".ts-title")).to_have_text(["Комитет по дорожному хозяйству", "Комитет по ЖКХ"])
    # Dragging puts the housing committee first again, and the arrows back.
    items.nth(1).drag_to(items.nth(0))
    expect(items.locator(".ts-title")).to_have_text(["Комитет по ЖКХ", "Комитет по дорожному хозяйству"])
    items.nth(0).get_by_role("button", name="Комитет по ЖКХ: позже").click()
    expect(items.locator(".ts-title")).to_have_text(["Комитет по дорожному хозяйству", "Комитет по ЖКХ"])
    field(curator, "order").get_by_label("По очереди").check()

    # The shortened deadline: typed in Russian, then the day changed in flatpickr's calendar (time kept).
    due = field(curator, "shortened_due_at")
    due.locator("input[data-moment]").fill("25.11.2026 12:00")
    due.get_by_role("button", name="Календарь: выбрать дату и время").click()
    calendar = curator.locator(".flatpickr-calendar.open")
    calendar.locator('.flatpickr-day[aria-label="Ноябрь 24, 2026"]').click()
    expect(due.locator("input[data-moment]")).to_have_value("24.11.2026 12:00")
    curator.get_by_role("heading", level=1).click()  # a click elsewhere closes the calendar
    expect(calendar).to_be_hidden()
    RESULTS.mkdir(exist_ok=True)
    curator.screenshot(path=str(RESULTS / "triage-multiselect.png"), full_page=True)
    submit(curator, TRIAGE)

    # The bodies get the message in the curator's order: the roads committee first.
    roads, housing = log_in(new_page(), "kdh.exec1"), log_in(new_page(), "kgkh.exec1")
    open_task(roads, case_id, "Подготовка информации органа (п. 8.9)")
    housing.goto("/inbox")
    expect(housing.locator("a.task-link")).to_have_count(0)
    curator.goto(f"/cases/{case_id}")
    expect(curator.locator("dd.case-due")).to_contain_text("24.11.2026 12:00")  # the shortened deadline
    expect(curator.locator("dd.case-bodies li")).to_have_text([
        re.compile("^Комитет по дорожному хозяйству"), re.compile("^Комитет по ЖКХ")])
    assert problems.items == []



def test_escape_closes_the_bodies_list_right_after_typing(
        app: Flask, clock: FixedClock, new_page: Callable[[], Page], problems: PageProblems) -> None:
    """A quick typist's Escape keeps the list closed: no search refreshed after it opens the list again (and takes
    the focus from the field the curator went on to)."""
    case_id = registered(app, clock, "https://vk.com/wall-1_302")
    curator = log_in(new_page(), "curator")
    open_task(curator, case_id, TRIAGE)
    bodies = classify(curator, "heating", "gatchinsky")
    search = bodies.get_by_role("combobox", name="Компетентные органы")
    search.press_sequentially("дорож")
    search.press("Escape")
    curator.wait_for_timeout(500)
    expect(bodies.locator(".ts-dropdown")).to_be_hidden()
    expect(search).to_be_focused()
    assert problems.items == []

def test_the_curators_edit_during_approval_is_seen_by_the_executor(
        app: Flask, clock: FixedClock, new_page: Callable[[], Page], problems: PageProblems) -> None:
    curator_http, executor_http = login(app, "curator"), login(app, "kgkh.exec1")
    case_id = registered(app, clock, "https://vk.com/wall-1_301")
    assert curator_http.post(f"/tasks/{open_inbox_task(curator_http, TRIAGE)}", data=HTTP_TRIAGE).status_code == 302
    assert executor_http.post(f"/tasks/{open_inbox_task(executor_http, DRAFT)}", data={
        "draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте, Ирина! Воду дадут завтра."}) \
        .status_code == 302

    curator = log_in(new_page(), "curator")
    open_task(curator, case_id, APPROVAL)
    text = field(curator, "approval_text").locator("textarea")
    expect(text).to_have_value("Здравствуйте, Ирина! Воду дадут завтра.")
    text.fill("Здравствуйте, Ирина! Горячую воду дадут сегодня в 16:00.")
    field(curator, "approval_decision").get_by_label("Согласовать").check()
    submit(curator, APPROVAL)

    executor = log_in(new_page(), "kgkh.exec1")
    executor.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_task(executor, case_id, PUBLICATION)
    changes = executor.locator("article.draft details.draft-changes")
    expect(changes.locator("summary")).to_have_text("Что изменил куратор в версии 1")
    expect(changes.locator("del")).to_have_text(["Воду", "завтра."])
    expect(changes.locator("ins")).to_have_text(["Горячую воду", "сегодня в 16:00."])
    expect(executor.locator("article.draft").nth(1).locator(".meta")).to_contain_text("Смирнова Анна Сергеевна")
    expect(executor.locator("#publication-text")).to_have_text(
        "Здравствуйте, Ирина! Горячую воду дадут сегодня в 16:00.")
    expect(executor.get_by_role("link", name="Открыть сообщение в источнике")).to_have_attribute(
        "href", "https://vk.com/wall-1_301")
    executor.get_by_role("button", name="Скопировать текст").click()
    expect(executor.locator(".copy-status")).to_have_text("Текст скопирован")
    assert executor.evaluate("navigator.clipboard.readText()") == \
        "Здравствуйте, Ирина! Горячую воду дадут сегодня в 16:00."
    executor.screenshot(path=str(RESULTS / "approval-edit-seen-by-executor.png"), full_page=True)
    assert problems.items == []
