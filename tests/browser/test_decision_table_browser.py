"""The methodologist edits the draft's decision table (competent_body.dmn) in dmn-js: a changed cell is saved and
survives a reload; a FEEL cell is listed and marked as a problem. The curator's triage form follows the table."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser import conftest
from tests.browser.conftest import RESULTS, PageProblems
from tests.browser.test_workbench_browser import log_in, no_drafts, open_draft
from tests.conftest import login
from tests.web.test_main_path import open_inbox_task, register

__all__ = ["no_drafts"]  # the fixture, used by name

CELL = 'td[data-element-id="rule_lighting_roads_body"]'


def open_table(page: Page) -> None:
    """From the draft's modeler to the decision table, opened in its editor."""
    open_draft(page)
    page.locator("a.table-file", has_text="competent_body.dmn").click()
    expect(page.locator("#table-editor")).to_have_attribute("data-ready", "true")


def type_into(page: Page, selector: str, text: str) -> None:
    """Replace a cell's text as a person does: click, select all, type."""
    page.locator(selector).click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_a_changed_cell_is_saved_survives_a_reload_and_feel_is_named(
        new_page: Callable[[], Page], problems: PageProblems, no_drafts: None) -> None:
    page = log_in(new_page(), "methodologist")
    open_table(page)
    expect(page.locator(".dmn-decision-table-container")).to_be_visible()
    expect(page.locator(".bjs-powered-by").first).to_be_visible()  # the bpmn.io watermark stays
    expect(page.locator(".simple-mode-button")).to_have_count(0)  # no FEEL simple mode
    expect(page.locator(".view-drd")).to_be_hidden()
    expect(page.locator(CELL)).to_have_text('"kdh"')
    expect(page.locator("#problem-count")).to_have_text("0")
    expect(page.locator(".hit-policy")).to_contain_text("Политика попаданий:Collect")  # in Russian where it can be

    type_into(page, CELL, '"ktrans"')
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#save-status")).to_contain_text("редакция 2")
    page.reload()
    expect(page.locator("#table-editor")).to_have_attribute("data-ready", "true")
    expect(page.locator(CELL)).to_have_text('"ktrans"')

    feel = 'td[data-element-id="rule_roads_theme"]'
    type_into(page, feel, '"road_repair","snow"')
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#save-status")).to_contain_text("редакция 3")
    expect(page.locator("#problem-count")).to_have_text("1")
    expect(page.locator("#problem-list li")).to_contain_text("правило 2 (rule_roads), «Тема»: перечисление через "
                                                             "запятую — запись FEEL")
    outline = page.locator(feel).evaluate("cell => getComputedStyle(cell).outlineStyle")
    assert outline == "solid"
    page.screenshot(path=str(RESULTS / "workbench-decision-table.png"), full_page=True)
    # dmn-js's prebuilt modeler bundles Inferno's development build, which says so on the console at every load.
    found = [item for item in problems.items if "development build of Inferno" not in item]
    assert found == [], "\n".join(found)


def test_the_triage_bodies_follow_the_table_until_the_curator_changes_them(
        app: Flask, new_page: Callable[[], Page], problems: PageProblems) -> None:
    curator = login(app, "curator")
    register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    page = conftest.log_in(new_page(), "curator")
    page.goto(f"/tasks/{triage}")
    chosen = page.locator('#task-form .field[data-field="bodies"] .ts-control .item .ts-title')
    page.get_by_label("Тема").select_option("lighting")
    expect(chosen).to_have_text(["Комитет по ЖКХ"])
    page.get_by_label("Локация").select_option("vsevolozhsky")
    expect(chosen).to_have_text(["Комитет по ЖКХ", "Комитет по дорожному хозяйству"])  # the table's second rule
    page.screenshot(path=str(RESULTS / "triage-bodies-from-table.png"), full_page=True)
    page.get_by_role("button", name="Комитет по ЖКХ: позже").click()  # the curator's own order
    page.get_by_label("Тема").select_option("snow")
    page.wait_for_load_state("networkidle")
    expect(chosen).to_have_text(["Комитет по дорожному хозяйству", "Комитет по ЖКХ"])
    assert problems.items == [], "\n".join(problems.items)


# A slow network: the table's answer for a theme without a location arrives 800 ms late.
SLOW_THEME_ANSWER = """(() => {
  const fetch = window.fetch;
  window.fetch = async (...args) => {
    const response = await fetch(...args);
    if (String(args[0]).endsWith('location=')) await new Promise((done) => setTimeout(done, 800));
    return response;
  };
})()"""


def triage_page(app: Flask, new_page: Callable[[], Page]) -> Page:
    """The curator's triage form of a new message, on a network where the theme's answer is slow."""
    curator = login(app, "curator")
    register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    page = conftest.log_in(new_page(), "curator")
    page.add_init_script(SLOW_THEME_ANSWER)
    page.goto(f"/tasks/{triage}")
    return page


def test_a_late_answer_of_the_table_does_not_undo_the_newer_one(
        app: Flask, new_page: Callable[[], Page], problems: PageProblems) -> None:
    """The theme's answer arrives after the theme-and-location one: the newer question wins."""
    page = triage_page(app, new_page)
    bodies = page.locator('#task-form .field[data-field="bodies"]')
    page.get_by_label("Тема").select_option("lighting")
    page.get_by_label("Локация").select_option("vsevolozhsky")
    expect(bodies).not_to_have_attribute("aria-busy", "true", timeout=3000)  # the newer question answered
    page.wait_for_timeout(1000)  # past the slow answer's arrival
    chosen = bodies.locator(".ts-control .item .ts-title")
    expect(chosen).to_have_text(["Комитет по ЖКХ", "Комитет по дорожному хозяйству"])
    assert problems.items == [], "\n".join(problems.items)

