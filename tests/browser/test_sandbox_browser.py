"""The methodologist tries a draft in the sandbox in Chromium: starts it from the draft page, completes triage with
the executor's form, sees the deadlines on the real calendar, moves the clock to the next timer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import text

from tests.browser.conftest import RESULTS, PageProblems
from tests.browser.test_workbench_browser import log_in, open_draft


@pytest.fixture
def no_drafts(app: Flask) -> Iterator[None]:
    """The test ends with no drafts and no trial runs."""
    yield
    with app.extensions["otklik.engine"].begin() as conn:
        conn.execute(text("DELETE FROM sandbox_run"))
        conn.execute(text("DELETE FROM process_draft"))


def test_a_draft_is_tried_step_by_step(new_page: Callable[[], Page], problems: PageProblems, no_drafts: None) -> None:
    page = log_in(new_page(), "methodologist")
    open_draft(page)
    page.get_by_role("link", name="Проверить на примере").click()
    page.get_by_label("Момент начала (московское время)").fill("2026-11-24T10:00")
    page.get_by_label("Источник сообщения").select_option("vk")
    page.get_by_role("button", name="Запустить").click()

    triage = page.locator("article.sandbox-task[data-step=triage]")
    expect(triage.locator(".task-role")).to_have_text("Куратор")  # the form's defaults: send, normal importance
    triage.locator("select[name=theme]").select_option("heating")
    triage.locator("select[name=location]").select_option("gatchinsky")
    triage.locator("select[name=bodies]").first.select_option("kgkh")
    triage.get_by_role("button", name="Выполнить в проверке").click()

    draft = page.locator("article.sandbox-task[data-step=draft]")
    expect(draft.locator(".task-role")).to_have_text("Исполнитель (орган)")
    expect(draft.locator(".task-due")).to_have_text("24.11.2026 15:48")
    expect(draft.locator(".task-warning")).to_have_text("24.11.2026 14:48")
    expect(page.locator("table.sandbox-timers")).to_contain_text("25.11.2026 10:48")
    page.screenshot(path=str(RESULTS / "sandbox-deadlines.png"), full_page=True)

    page.get_by_role("button", name="Перевести часы к следующему таймеру").click()
    expect(page.locator("#sandbox-now")).to_have_text("24.11.2026 14:48")
    expect(page.locator(".sandbox-log")).to_contain_text("Было бы отправлено предупреждение о сроке")
    page.screenshot(path=str(RESULTS / "sandbox-timer.png"), full_page=True)
    assert problems.items == []
