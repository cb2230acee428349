"""The inbox in Chromium: due first, filter, search with «/», j/k and Enter, «Взять в работу», and the list refreshing
itself while the page is open."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.web.test_inbox import person, send


def test_an_executor_works_from_the_inbox_with_the_keyboard(app: Flask, new_page: Callable[[], Page],
                                                            problems: PageProblems) -> None:
    curator = person(app, "curator")
    normal = send(curator, 1, author="Ирина Петрова", text="Нет горячей воды в доме")
    urgent = send(curator, 2, theme="water", importance="high", author="Анна Иванова", text="Затопило подвал")
    page = new_page()
    page.clock.install()  # htmx polls on the page's timers: the test moves them on instead of waiting
    executor = log_in(page, "kgkh.exec1")
    rows = executor.locator("#inbox-list tr.inbox-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Затопило подвал")  # urgent: due first
    expect(rows.nth(0)).to_contain_text("Срочно")
    expect(rows.nth(1)).to_contain_text(re.compile(r"осталось 5 ч(?! 0)"))  # whole hours without «0 мин»

    executor.select_option("#filter-theme", "water")
    executor.get_by_role("button", name="Показать").click()
    executor.wait_for_url(re.compile(r"/inbox\?.*theme=water"))
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Затопило подвал")
    executor.get_by_role("link", name="Сбросить").click()
    executor.wait_for_url(re.compile(r"/inbox$"))  # the new page, its keys bound, before typing
    expect(rows).to_have_count(2)

    executor.keyboard.press("/")
    expect(executor.locator("#inbox-q")).to_be_focused()
    executor.keyboard.type("петрова")
    executor.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Нет горячей воды")
    executor.get_by_role("link", name="Сбросить").click()
    executor.wait_for_url(re.compile(r"/inbox$"))  # the new page, its keys bound, before typing
    expect(rows).to_have_count(2)

    send(curator, 3, author="Олег Сидоров", text="Течёт труба")  # new work while the page is open
    executor.keyboard.press("j")
    executor.keyboard.press("j")  # the second row (the normal case) has the focus
    expect(rows.nth(1)).to_be_focused()
    executor.clock.run_for(31_000)
    expect(rows).to_have_count(3)
    focused = executor.locator("#inbox-list tr.inbox-row:focus")
    expect(focused).to_contain_text("Нет горячей воды")  # the refresh kept the focused task
    executor.screenshot(path=str(RESULTS / "inbox.png"), full_page=True)
    executor.keyboard.press("Enter")
    expect(executor).to_have_url(re.compile(r"/tasks/\d+$"))
    expect(executor.locator(".take-box")).to_be_visible()

    executor.goto("/inbox")
    row = executor.locator(f"#inbox-list tr.inbox-row:has(a[href='/cases/{urgent}'])")
    row.get_by_role("button", name="Взять в работу").click()
    expect(executor.locator(".flash.success")).to_contain_text("Задача взята в работу")
    expect(executor.locator("#task-form")).to_be_visible()

    colleague = log_in(new_page(), "kgkh.exec2")
    colleague.goto("/inbox?scope=body")
    taken = colleague.locator(f"#inbox-list tr.inbox-row:has(a[href='/cases/{urgent}'])")
    expect(taken).to_contain_text("в работе у Егорова И. А.")
    expect(taken.get_by_role("button", name="Взять в работу")).to_have_count(0)
    assert normal != urgent and problems.items == []
