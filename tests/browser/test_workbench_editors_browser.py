"""The methodologist changes the interim deadline (8.8) in the draft's parameter table and adds a choice to a form,
sees it in the live preview, and finds both kept after a reload."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RESULTS, PageProblems
from tests.browser.test_workbench_browser import log_in, no_drafts, open_draft

__all__ = ["no_drafts"]


@pytest.mark.usefixtures("no_drafts")
def test_the_interim_deadline_and_a_new_choice_are_edited_previewed_and_kept(
        new_page: Callable[[], Page], problems: PageProblems) -> None:
    page = log_in(new_page(), "methodologist")
    open_draft(page)
    page.get_by_role("link", name="Параметры сроков").first.click()
    interim = page.locator('tr[data-deadline="after_interim"]')
    expect(interim.get_by_label("Значение")).to_have_value("7")
    expect(interim.get_by_label("Единица")).to_have_value("days")
    expect(interim.get_by_label("Пункт")).to_have_value("8.8")
    interim.get_by_label("Значение").fill("5")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.locator(".flash.success")).to_contain_text("Параметры сохранены: редакция 2")
    page.screenshot(path=str(RESULTS / "workbench-parameters.png"), full_page=True)

    page.get_by_role("link", name="Формы").first.click()
    page.get_by_role("link", name="approval.schema.json").click()
    decision = page.locator('li[data-field-row="approval_decision"]')
    decision.get_by_role("button", name="+ Вариант").click()
    expect(page.locator(".flash.warning")).to_contain_text("Изменения ещё не сохранены")
    decision = page.locator('li[data-field-row="approval_decision"]')
    decision.get_by_label("Значение").last.fill("legal")
    decision.get_by_label("Название варианта").last.fill("Направить на правовую экспертизу")
    preview = page.locator("#form-preview")
    expect(preview.get_by_label("Направить на правовую экспертизу")).to_be_visible()  # the task page's radio
    page.screenshot(path=str(RESULTS / "workbench-form-preview.png"), full_page=True)
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.locator(".flash.success")).to_contain_text("Форма approval.schema.json сохранена: редакция 3")

    page.reload()
    expect(preview.get_by_label("Направить на правовую экспертизу")).to_be_visible()
    expect(page.locator('li[data-field-row="approval_decision"]').get_by_label("Значение").last).to_have_value("legal")
    page.get_by_role("link", name="Параметры сроков").first.click()
    expect(page.locator('tr[data-deadline="after_interim"]').get_by_label("Значение")).to_have_value("5")
    assert problems.items == []
