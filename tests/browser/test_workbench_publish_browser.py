"""The methodologist changes a draft, compares it with the current version (the element coloured in both viewers,
the change listed, the views moving together), then publishes it; the library shows the new current version."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import RESULTS, PageProblems
from tests.browser.test_workbench_browser import log_in, no_drafts, open_draft, select_element
from tests.test_processes_cli import current_numbers, restore_regional

__all__ = ["no_drafts"]  # the fixture, used by regional_after


@pytest.fixture
def regional_after(app: Flask, no_drafts: None) -> Iterator[None]:
    """The test ends with no drafts and the regional library current again."""
    yield
    restore_regional(app)


def test_a_draft_is_compared_with_the_current_version_and_published(
        app: Flask, new_page: Callable[[], Page], problems: PageProblems, regional_after: None) -> None:
    before = current_numbers(app)["case_148rg"]
    page = log_in(new_page(), "methodologist")
    open_draft(page)
    select_element(page, "draft")
    page.locator("select[name=task-deadline]").select_option("part")

    page.get_by_role("link", name="Сравнить черновик с текущей версией").click()  # saves first
    compare = page.locator("#compare")
    expect(compare).to_have_attribute("data-ready", "true")
    for side in ("old", "new"):
        expect(page.locator(f'#canvas-{side} g.djs-element.diff-changed[data-element-id="draft"]')).to_have_count(1)
    differ = json.loads(str(compare.get_attribute("data-differ")))
    assert differ == {"added": [], "removed": [], "changed": ["draft"]}  # the nested property, given to its task
    expect(page.locator("tr.change")).to_have_count(1)  # what the modeler rewrote on saving is no change
    row = page.locator('tr.change[data-element="draft"]')
    expect(row).to_contain_text("Задача «Подготовка проекта ответа»")
    expect(row.locator("td.value")).to_have_text(["draft", "part"])
    row.get_by_role("button").click()
    expect(compare).to_have_attribute("data-focused", "draft")
    viewboxes = page.evaluate("""() => ['old', 'new'].map((side) => {
        const box = window.compareViewers[side].get('canvas').viewbox();
        return [box.x, box.y, box.width, box.height].map(Math.round); })""")
    assert viewboxes[0] == viewboxes[1], viewboxes  # scrolled together
    page.screenshot(path=str(RESULTS / "workbench-compare.png"), full_page=True)

    page.get_by_role("link", name="Черновик").click()
    expect(page.locator("#workbench")).to_have_attribute("data-ready", "true")
    page.get_by_label("Комментарий к публикации: что изменилось и почему").fill("Срок проекта как у органа")
    page.locator("#publish-draft").screenshot(path=str(RESULTS / "workbench-publish-form.png"))
    page.get_by_role("button", name="Опубликовать").click()
    expect(page).to_have_url(re.compile(r"/processes/$"))
    expect(page.locator(".flash.success")).to_contain_text(f"Опубликовано: case_148rg v{before + 1}.")
    current = page.locator("section#process-case_148rg p.current-version")
    expect(current).to_contain_text(f"Текущая версия: v{before + 1}")
    expect(current).to_contain_text("«Срок проекта как у органа»")
    expect(page.locator("section#process-case_148rg").get_by_role("button", name="Создать черновик")).to_be_visible()
    page.screenshot(path=str(RESULTS / "workbench-published.png"), full_page=True)
    assert problems.items == []
