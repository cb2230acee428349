"""Issue 14, defect 10 in real Chromium: a person switches to English and reads their notifications in English (the
notice a triage sent them names the step as the English pages do) and edits diagrams in an English workbench."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from playwright.sync_api import Page, expect

from engine.clock import FixedClock
from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.browser.test_main_path_browser import classify, field
from tests.browser.test_triage_browser import registered
from tests.browser.test_workbench_browser import log_in as workbench_log_in
from tests.browser.test_workbench_browser import no_drafts, open_draft, select_element
from tests.conftest import login
from tests.web.test_language import CYRILLIC
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

__all__ = ["no_drafts"]  # the fixture, used by name


def test_notifications_read_in_english_after_the_switch(app: Flask, new_page: Callable[[], Page],
                                                         problems: PageProblems) -> None:
    curator = login(app, "curator")
    case_id = register(curator, url="https://vk.com/wall-1_1414")
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data=TRIAGE).status_code == 302  # the executors hear of the new task

    page = log_in(new_page(), "kgkh.exec1")
    page.get_by_role("link", name=re.compile("Уведомления")).click()
    notice = page.locator("tr.kind-new_task td.text").filter(has_text=f"№ {case_id}")
    expect(notice).to_have_text(re.compile(rf"Новая задача «Подготовка проекта ответа» по случаю № {case_id}, срок "))

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Notifications")
    notice = page.locator("tr.kind-new_task td.text").filter(has_text=f"No. {case_id}")
    expect(notice).to_have_text(
        f"New task «Preparation of the draft reply» for case No. {case_id}, due 24.11.2026 15:48")
    expect(page.locator("table.notifications")).not_to_contain_text("Новая задача")
    page.screenshot(path=str(RESULTS / "notifications-english.png"), full_page=True)
    assert problems.items == []


def test_the_workbench_speaks_english_after_the_switch(new_page: Callable[[], Page], problems: PageProblems,
                                                       no_drafts: None) -> None:
    """The modeler's palette, the properties panel, the save status and the decision table's editor follow the
    person's language: bpmn-js's and dmn-js's own English, our words in English."""
    page = workbench_log_in(new_page(), "methodologist")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    open_draft(page, start="Start a draft")
    end_event = page.locator('.djs-palette [data-action="create.end-event"]')
    expect(end_event).to_have_attribute("aria-label", "Create end event")
    select_element(page, "draft")
    expect(page.locator("#properties")).to_contain_text("Task for a person")
    expect(page.locator("#properties")).to_contain_text("Step deadline")
    expect(page.locator("select[name=task-role] option:checked")).to_have_text("Executor (body)")
    expect(page.locator("select[name=task-deadline] option:checked")).to_have_text(
        "Preparation of the draft reply (draft)")
    page.locator("select[name=task-deadline]").select_option("part")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#save-status")).to_contain_text("revision 2")
    expect(page.locator("#save-status")).to_contain_text(re.compile(r"^Saved "))
    select_element(page, "f_interim")
    condition = page.locator("textarea[name=flow-condition]")
    condition.fill(f'{condition.input_value()} and open("x")')
    expect(page.locator(".condition-error")).to_contain_text(re.compile(r"^The condition was not written: "))
    page.screenshot(path=str(RESULTS / "workbench-english.png"))
    assert not CYRILLIC.search(page.locator(".djs-palette").inner_html())

    page.locator("a.table-file", has_text="competent_body.dmn").click()
    expect(page.locator("#table-editor")).to_have_attribute("data-ready", "true")
    expect(page.locator(".hit-policy")).to_contain_text("Hit policy:Collect")
    page.screenshot(path=str(RESULTS / "decision-table-english.png"))
    # dmn-js's prebuilt modeler bundles Inferno's development build, which says so on the console at every load.
    assert [item for item in problems.items if "development build of Inferno" not in item] == []


def test_the_triage_widgets_speak_english_after_the_switch(app: Flask, clock: FixedClock,
                                                            new_page: Callable[[], Page],
                                                            problems: PageProblems) -> None:
    """Tom Select's buttons and empty search, and flatpickr's button and calendar, in the person's English."""
    case_id = registered(app, clock, "https://vk.com/wall-1_1415")
    curator = log_in(new_page(), "curator")
    curator.get_by_role("button", name="English").click()
    curator.goto("/inbox")
    row = curator.locator("table.list tbody tr").filter(has=curator.get_by_role("link", name=f"No. {case_id}"))
    row.locator("a.task-link").click()
    expect(curator.get_by_role("heading", level=1)).to_contain_text("Selection and classification of the message")
    curator.wait_for_load_state()  # the form's scripts have run
    bodies = classify(curator, "heating", "gatchinsky")
    expect(bodies.get_by_role("button", name="Комитет по ЖКХ: later")).to_be_visible()  # a body's name is data
    bodies.get_by_role("combobox").fill("zzz")
    expect(bodies.locator(".ts-dropdown .no-results")).to_have_text("Nothing found")
    curator.keyboard.press("Escape")  # the search's dropdown closes before the calendar opens below it
    expect(bodies.locator(".ts-dropdown")).to_be_hidden()
    due = field(curator, "shortened_due_at")
    due.locator("input[data-moment]").fill("25.11.2026 12:00")
    due.get_by_role("button", name="Calendar: choose the date and time").click()
    calendar = curator.locator(".flatpickr-calendar.open")
    expect(calendar.locator(".flatpickr-weekday").first).to_have_text("Mon")  # the week starts on Monday here too
    calendar.locator(".flatpickr-day[aria-label='November 24, 2026']").click()
    expect(due.locator("input[data-moment]")).to_have_value("24.11.2026 12:00")
    curator.screenshot(path=str(RESULTS / "triage-english.png"), full_page=True)
    assert not CYRILLIC.search(calendar.inner_text())
    assert problems.items == []
