"""Issue 12's whole cycle in Chromium: the methodologist shortens the interim deadline, adds a legal review for high
importance, is stopped by the checker, fixes it, compares and publishes; new, old and moved cases each run right."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from tests.browser.conftest import RESULTS, PageProblems
from tests.browser.test_workbench_browser import log_in, open_draft
from tests.browser.test_workbench_publish_browser import no_drafts, regional_after
from tests.conftest import login
from tests.web.test_main_path import TRIAGE, register
from tests.web.test_regulation import PUBLISHED, case_json

__all__ = ["no_drafts", "regional_after"]

# Interim reply published on Tue 24 Nov 2026: the final one is due by the end of the 7th or the 5th working day.
SEVEN_DAYS, FIVE_DAYS = "2026-12-03T15:00:00+00:00", "2026-12-01T15:00:00+00:00"
LEGAL_REVIEW = "Правовая экспертиза"

# The methodologist's edit of reply_publication.bpmn with the modeler's own services: the start no longer leads
# straight to approval but to a gateway, whose one flow goes through a new user task; the rest is the panel's.
ADD_LEGAL_REVIEW = """() => {
  const modeler = window.workbenchModeler, registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling'), factory = modeler.get('elementFactory');
  const start = registry.get('reply_start'), approval = registry.get('approval');
  const root = modeler.get('canvas').getRootElement();
  modeling.removeConnection(registry.get('f_reply_start'));
  const gateway = modeling.createShape(factory.createShape({ type: 'bpmn:ExclusiveGateway' }), { x: 75, y: 240 }, root);
  const review = modeling.createShape(factory.createShape({ type: 'bpmn:UserTask' }), { x: 225, y: 340 }, root);
  modeling.updateProperties(gateway, { id: 'gw_importance', name: 'Высокая важность?' });
  modeling.updateProperties(review, { id: 'legal_review' });
  modeling.connect(start, gateway);
  const toReview = modeling.connect(gateway, review);
  const straight = modeling.connect(gateway, approval);
  modeling.connect(review, approval);
  modeling.updateProperties(toReview, { id: 'f_high' });
  modeling.updateProperties(straight, { id: 'f_not_high' });
  modeling.updateProperties(gateway, { default: straight.businessObject });
}"""


def click_element(page: Page, element_id: str) -> None:
    """Bring a point of the element to the canvas's middle at full size and click it, as a person would."""
    page.evaluate("""id => { const canvas = window.workbenchModeler.get('canvas');
        const el = window.workbenchModeler.get('elementRegistry').get(id);
        // Right of the middle: the top-left corner holds the lint marks, and flows may cross the middle.
        const point = { x: el.x + el.width * 0.8, y: el.y + el.height / 2 };
        const [a, b] = el.waypoints || [point, point];
        const { width, height } = canvas.viewbox().outer;
        canvas.viewbox({ x: (a.x + b.x - width) / 2, y: (a.y + b.y - height) / 2, width, height }); }""", element_id)
    box = page.locator("#canvas").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("id => window.workbenchModeler.get('selection').get()[0]?.id === id", arg=element_id)


def complete(app: Flask, username: str, case_id: int, step: str, data: dict[str, Any]) -> None:
    """The person completes the case's open task at the step through the task page's form."""
    tasks = [t for t in case_json(login(app, "curator"), case_id)["open_tasks"] if t["step"] == step]
    assert len(tasks) == 1, case_json(login(app, "curator"), case_id)["open_tasks"]
    response = login(app, username).post(f"/tasks/{tasks[0]['id']}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def at_draft(app: Flask, curator: FlaskClient, url: str, importance: str) -> int:
    """A case registered and triaged: the body's executor drafts the reply."""
    case_id = register(curator, url=url)
    complete(app, "curator", case_id, "triage", {**TRIAGE, "importance": importance})
    return case_id


def interim_published(app: Flask, case_id: int, legal_review: bool) -> dict[str, Any]:
    """Draft, (legally review,) approve and publish an interim reply; the case as the API gives it then."""
    complete(app, "kgkh.exec1", case_id, "draft", {"draft_outcome": "draft", "reply_kind": "interim",
                                                   "reply_text": "Здравствуйте! Проверяем."})
    steps = [t["step"] for t in case_json(login(app, "curator"), case_id)["open_tasks"]]
    assert steps == (["legal_review"] if legal_review else ["approval"]), steps
    if legal_review:
        complete(app, "curator", case_id, "legal_review", {"approval_decision": "approve"})
    complete(app, "curator", case_id, "approval", {"approval_decision": "approve"})
    complete(app, "kgkh.exec1", case_id, "publication", PUBLISHED)
    return case_json(login(app, "curator"), case_id)


def edit_and_publish(page: Page, version: int) -> None:
    """The methodologist's part, in the pages: parameters, modeler, checker, comparison, publication as `version`."""
    open_draft(page)
    page.get_by_role("link", name="Параметры сроков").first.click()
    interim = page.locator('tr[data-deadline="after_interim"]').get_by_label("Значение")
    expect(interim).to_have_value("7")
    interim.fill("5")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.locator(".flash.success")).to_contain_text("Параметры сохранены")

    page.get_by_role("link", name="Черновик").first.click()
    page.get_by_role("link", name="reply_publication.bpmn").click()
    expect(page.locator("#workbench")).to_have_attribute("data-ready", "true")
    page.evaluate(ADD_LEGAL_REVIEW)
    click_element(page, "legal_review")
    page.locator('[data-group-id="group-general"] .bio-properties-panel-group-header').click()  # folded at first
    page.get_by_label("Название").first.fill(LEGAL_REVIEW)
    page.locator("select[name=task-role]").select_option("curator")  # the form forgotten
    click_element(page, "f_high")
    page.get_by_label("Название").first.fill("Высокая")  # the schema check advises naming a conditional flow
    page.locator("textarea[name=flow-condition]").fill('importance == "high"')
    expect(page.locator(".condition-error")).to_have_count(0)
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    expect(page.locator('g.djs-element.has-problem[data-element-id="legal_review"]')).to_have_count(1)
    expect(page.locator(".problem-badge", has_text="нет формы")).to_have_count(1)
    expect(page.locator("#problem-list button.problem:not([class*=lint-])")).to_have_count(1)
    page.screenshot(path=str(RESULTS / "scenario-no-form.png"))

    page.locator("#problem-list button.problem[data-element-id=legal_review]").click()
    expect(page.locator(".bio-properties-panel-header-label")).to_have_text(LEGAL_REVIEW)
    page.locator("select[name=task-form]").select_option("approval.schema.json")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    expect(page.locator("#no-problems")).to_be_visible()
    expect(page.locator(".problem-badge")).to_have_count(0)
    page.screenshot(path=str(RESULTS / "scenario-fixed.png"))

    page.get_by_role("link", name="Сравнить черновик с текущей версией").click()
    page.get_by_role("link", name="reply_publication.bpmn").click()
    expect(page.locator("#compare")).to_have_attribute("data-ready", "true")
    expect(page.locator('#canvas-new g.djs-element.diff-added[data-element-id="legal_review"]')).to_have_count(1)
    expect(page.locator('tr.change[data-element="legal_review"]')).to_contain_text(LEGAL_REVIEW)
    expect(page.locator('tr.change[data-file="parameters.json"]')).to_contain_text("after_interim")
    page.screenshot(path=str(RESULTS / "scenario-compare.png"), full_page=True)

    page.get_by_role("link", name="Черновик").click()
    expect(page.locator("#workbench")).to_have_attribute("data-ready", "true")
    page.get_by_label("Комментарий к публикации: что изменилось и почему").fill("Правовая экспертиза, 5 дней")
    page.get_by_role("button", name="Опубликовать").click()
    expect(page).to_have_url(re.compile(r"/processes/$"))
    expect(page.locator(".flash.success")).to_contain_text(f"case_148rg v{version},")


@pytest.mark.usefixtures("regional_after")
def test_a_published_legal_review_and_deadline_reach_new_cases_and_moved_ones_only(
        app: Flask, new_page: Callable[[], Page], problems: PageProblems) -> None:
    curator = login(app, "curator")
    kept = at_draft(app, curator, "https://vk.com/wall-1_1", "high")
    moved = at_draft(app, curator, "https://vk.com/wall-1_2", "high")
    old = case_json(curator, kept)["process_version"]

    page = log_in(new_page(), "methodologist")
    edit_and_publish(page, old + 1)
    new = at_draft(app, curator, "https://vk.com/wall-1_3", "high")
    assert case_json(curator, new)["process_version"] == old + 1
    assert interim_published(app, new, legal_review=True)["due_at"] == FIVE_DAYS
    assert interim_published(app, kept, legal_review=False)["due_at"] == SEVEN_DAYS

    page.goto("/processes/")
    page.locator("section#process-case_148rg").get_by_role("link", name="перевести случаи на текущую").click()
    expect(page.locator(f'tr.case.movable[data-case="{moved}"]')).to_have_count(1)
    page.get_by_role("checkbox", name=f"Перевести случай {kept}").uncheck()
    page.get_by_role("button", name=f"Перевести выбранные на v{old + 1}").click()
    expect(page.locator(f'.moved li[data-case="{moved}"]')).to_contain_text(f"переведён с v{old} на v{old + 1}")
    page.screenshot(path=str(RESULTS / "scenario-moved.png"), full_page=True)
    assert interim_published(app, moved, legal_review=True)["due_at"] == FIVE_DAYS
    assert case_json(curator, moved)["process_version"] == old + 1

    page.goto(f"/cases/{new}")
    expect(page.get_by_text(f"Выполнено: {LEGAL_REVIEW}")).to_be_visible()  # in the case's history
    expect(page.get_by_role("row", name=re.compile("^Подготовка проекта ответа"))).to_contain_text("01.12.2026 18:00")
    page.screenshot(path=str(RESULTS / "scenario-new-case.png"), full_page=True)
    assert problems.items == []
