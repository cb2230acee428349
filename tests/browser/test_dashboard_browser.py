"""The leader's dashboard in Chromium: a surge and a socially significant message wait on it, the panel refreshes by
itself when new work arrives, and «Принято к сведению» records who took an event into account."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from engine.clock import FixedClock
from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.web.test_dashboard import surge_and_significant, surge_of_two  # noqa: F401 (a fixture)
from tests.web.test_register import sent_to


@pytest.mark.usefixtures("surge_of_two")
def test_the_leader_sees_clause_14_events_and_acknowledges_one(
        app: Flask, clock: FixedClock, new_page: Callable[[], Page],
        problems: PageProblems) -> None:
    surge_and_significant(app, clock)
    page = new_page()
    page.clock.install()  # htmx polls on the page's timers: the test moves them on instead of waiting
    leader = log_in(page, "leader", lands=r"/dashboard/$")
    board = leader.locator("#board")
    expect(board.locator(".alert-item.pending")).to_have_count(2)
    expect(board.locator('.alert-item[data-kind="surge"]')).to_contain_text("Всплеск активности (п. 14): 2 сообщения")
    expect(board.locator('.alert-item[data-kind="socially_significant"]')).to_contain_text(
        "Общественно значимое сообщение (п. 14)")
    expect(board.locator('[data-tile="open"] .number')).to_have_text("2")

    sent_to(app, "kgkh", "https://vk.com/wall-1_801")  # new work arrives while the page is open
    leader.clock.run_for(31_000)
    expect(board.locator('[data-tile="open"] .number')).to_have_text("3")
    leader.screenshot(path=str(RESULTS / "dashboard.png"), full_page=True)

    surge = board.locator('.alert-item[data-kind="surge"]')
    surge.get_by_role("button", name="Принято к сведению").click()
    expect(board.locator('.alert-item[data-kind="surge"]')).to_contain_text(
        "Принято к сведению: Лебедев Игорь Викторович, 24.11.2026 10:20")
    expect(board.locator(".alert-item.pending")).to_have_count(1)
    leader.screenshot(path=str(RESULTS / "dashboard-acknowledged.png"), full_page=True)
    assert problems.items == []
