"""The methodologist edits a draft of the case process in the modeler: a deadline chosen in the properties panel is
saved and survives a reload; a second browser saving a stale revision gets the conflict message."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import text

from tests.browser import conftest
from tests.browser.conftest import RESULTS, PageProblems


@pytest.fixture
def no_drafts(app: Flask) -> Iterator[None]:
    """The test starts and ends with no drafts."""
    yield
    with app.extensions["otklik.engine"].begin() as conn:
        conn.execute(text("DELETE FROM process_draft"))


def log_in(page: Page, username: str) -> Page:
    """Log in as a methodologist or an administrator, who land on the cases list."""
    return conftest.log_in(page, username, lands=r"/cases/$")


def open_draft(page: Page, start: str = "Создать черновик") -> None:
    """From the library page to the draft's modeler (its button named `start` in the page's language), the diagram
    imported."""
    page.goto("/processes/")
    row = page.locator("section#process-case_148rg")
    if row.locator("a.draft-link").count():
        row.locator("a.draft-link").click()
    else:
        row.get_by_role("button", name=start).click()
    expect(page.locator("#workbench")).to_have_attribute("data-ready", "true")


def select_element(page: Page, element_id: str) -> None:
    """Zoom in on an element as a person would, then click its outline (its centre may be its label)."""
    page.evaluate("""id => { const modeler = window.workbenchModeler, canvas = modeler.get('canvas');
        canvas.zoom(1); canvas.scrollToElement(modeler.get('elementRegistry').get(id)); }""", element_id)
    box = page.locator(f'g.djs-element[data-element-id="{element_id}"] .djs-hit').first.bounding_box()
    assert box is not None
    if box["width"] > 60 and box["height"] > 60:  # a task: its corner, not the label in the middle
        page.mouse.click(box["x"] + 8, box["y"] + 8)
    else:  # an event's circle or the middle of a flow
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".bio-properties-panel-header-label")).to_contain_text(re.compile(r"\S"))


def test_a_deadline_chosen_in_the_panel_is_saved_and_a_stale_save_is_refused(
        new_page: Callable[[], Page], problems: PageProblems, no_drafts: None) -> None:
    page = log_in(new_page(), "methodologist")
    open_draft(page)
    expect(page.locator(".bjs-powered-by")).to_be_visible()  # the bpmn.io watermark stays
    assert page.locator("#workbench").get_attribute("data-revision") == "1"
    other = log_in(new_page(), "admin")  # a second editor opens the same revision
    open_draft(other)

    select_element(page, "draft")
    form = page.locator("select[name=task-form]")
    expect(form).to_have_value("draft.schema.json")
    expect(page.locator("select[name=task-role]")).to_have_value("executor")
    deadline = page.locator("select[name=task-deadline]")
    expect(deadline).to_have_value("draft")
    assert "script" not in page.locator("#properties").inner_text().lower()
    page.screenshot(path=str(RESULTS / "workbench-user-task.png"))
    deadline.select_option("part")

    select_element(page, "draft_overdue")
    expect(page.locator("select[name=timer-kind]")).to_have_value("deadline")
    page.locator("select[name=timer-parameter]").select_option("after_interim")
    page.get_by_placeholder("Комментарий к сохранению (необязательно)").fill("Сроки проекта ответа")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    expect(page.locator("#save-status")).to_contain_text("редакция 2")
    expect(page.locator("#no-problems")).to_be_visible()

    page.reload()
    expect(page.locator("#workbench")).to_have_attribute("data-ready", "true")
    select_element(page, "draft")
    expect(page.locator("select[name=task-deadline]")).to_have_value("part")
    select_element(page, "draft_overdue")
    expect(page.locator("select[name=timer-parameter]")).to_have_value("after_interim")
    page.screenshot(path=str(RESULTS / "workbench-timer.png"))

    select_element(other, "reassign")
    other.locator("select[name=task-deadline]").select_option("approval")
    other.get_by_role("button", name="Сохранить").click()
    conflict = other.get_by_role("alert")
    expect(conflict).to_contain_text("Черновик уже изменил(а) Волкова Елена Игоревна")
    expect(conflict.get_by_role("button", name="Обновить страницу")).to_be_visible()
    other.screenshot(path=str(RESULTS / "workbench-conflict.png"))
    conflict.get_by_role("button", name="Обновить страницу").click()
    expect(other.locator("#workbench")).to_have_attribute("data-ready", "true")
    assert other.locator("#workbench").get_attribute("data-revision") == "2"
    assert [p for p in problems.items if "HTTP 409 for POST" not in p] == []  # the conflict is the answer wanted


def test_a_condition_is_checked_as_typed_and_problems_are_shown_on_the_diagram(
        new_page: Callable[[], Page], problems: PageProblems, no_drafts: None) -> None:
    page = log_in(new_page(), "methodologist")
    open_draft(page)
    select_element(page, "f_interim")
    condition = page.locator("textarea[name=flow-condition]")
    expect(condition).to_have_value(re.compile(r'reply_kind == "interim"'))
    original = condition.input_value()  # it bounds the interim loop (limit), which the checker insists on
    condition.fill(f'{original} and open("x")')
    expect(page.locator(".condition-error")).to_contain_text("функция «open» неизвестна")
    page.screenshot(path=str(RESULTS / "workbench-condition.png"))
    condition.fill(original)
    expect(page.locator(".condition-error")).to_have_count(0)

    select_element(page, "reassign")  # a user task without a form: the server's problem is marked
    page.locator("select[name=task-form]").select_option("")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    listed = page.locator("#problem-list button.problem")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("formJsonSchemaFilename")

    # A diagram saved elsewhere with a Python pre-script: the page marks the element and the list selects it.
    workbench = page.locator("#workbench")
    xml = page.request.get(str(workbench.get_attribute("data-xml-url"))).text()
    scripted = re.sub(r'(clarification\.schema\.json"\s*/>\s*</spiffworkflow:properties>)',
                      r"\1<spiffworkflow:preScript>x = 1</spiffworkflow:preScript>", xml, count=1)
    assert scripted != xml
    saved = page.request.post(str(workbench.get_attribute("data-save-url")),
                              headers={"X-CSRFToken": str(workbench.get_attribute("data-csrf"))},
                              data={"xml": scripted, "revision": int(str(workbench.get_attribute("data-revision")))})
    assert saved.status == 200, saved.text()
    page.reload()
    expect(workbench).to_have_attribute("data-ready", "true")
    marked = page.locator('g.djs-element.has-problem[data-element-id="clarification"]')
    expect(marked).to_have_count(1)
    expect(page.locator(".problem-badge", has_text="сценарии на Python в диаграммах запрещены")).to_have_count(1)
    expect(page.locator(".problem-badge", has_text="нет формы")).to_have_count(1)  # the task left without a form
    page.locator("#problem-list button.problem[data-element-id=clarification]").click()
    expect(page.locator(".bio-properties-panel-header-label")).to_have_text("Ожидание уточнения от автора (п. 7.3)")
    page.screenshot(path=str(RESULTS / "workbench-problems.png"))
    assert problems.items == []
