"""The administrator finds a stalled several-bodies case in the list and repairs it with one click."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.web.test_integrity import DECISION, stall


def test_the_administrator_repairs_a_stalled_case_in_the_browser(
        app: Flask, sessions: Any, new_page: Callable[[], Page], problems: PageProblems) -> None:
    case_id = stall(app, sessions)
    admin = log_in(new_page(), "admin", lands=r"/cases/$")
    admin.get_by_role("link", name="Остановившиеся случаи").click()
    row = admin.locator("tr", has_text=f"№ {case_id}")
    expect(row).to_contain_text("Информация органов одновременно")
    admin.screenshot(path=str(RESULTS / "stalled-list.png"), full_page=True)
    row.get_by_role("button", name="Восстановить").click()
    expect(admin.locator(".flash")).to_have_text(f"Случай № {case_id} продолжен. Открыты задачи: {DECISION}.")
    expect(admin.get_by_text("Остановившихся случаев нет.")).to_be_visible()
    admin.screenshot(path=str(RESULTS / "stalled-repaired.png"), full_page=True)
    curator = log_in(new_page(), "curator")
    expect(curator.get_by_role("link", name=DECISION)).to_be_visible()
    assert problems.items == []
