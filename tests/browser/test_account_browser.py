"""A person's account in real Chromium: the API tokens page, changing the password, the throttled login page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import RESULTS, PageProblems
from tests.conftest import PASSWORD
from tests.web.test_security import own_person

NEW_PASSWORD = "another-long-password"


def _log_in(page: Page, username: str, password: str) -> Page:
    page.goto("/login")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()
    return page


def test_tokens_and_password_change_in_the_browser(new_page: Callable[[], Page], problems: PageProblems, app: Flask,
                                                   sessions: Any) -> None:
    username = own_person(sessions, "browser.changer", role="methodologist")
    client = app.test_client()
    for name in ("monitoring", "weekly report"):
        client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD, "name": name})
    elsewhere = _log_in(new_page(), username, PASSWORD)
    page = _log_in(new_page(), username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/cases/$"))

    page.locator(".account-menu").click()  # the header's account menu
    page.get_by_role("link", name="Токены API").click()
    rows = page.locator("table.tokens tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("weekly report")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "account-tokens.png", full_page=True)
    rows.filter(has_text="weekly report").get_by_role("button", name="Отозвать").click()
    expect(page.locator(".flash.success")).to_contain_text("Токен «weekly report»")
    expect(rows).to_have_count(1)

    page.locator(".account-menu").click()
    page.get_by_role("link", name="Смена пароля").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Смена пароля")
    page.get_by_label("Текущий пароль").fill("not-the-password")
    page.get_by_label("Новый пароль", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Новый пароль ещё раз").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.get_by_role("alert")).to_have_text("Текущий пароль введён неверно")
    page.screenshot(path=RESULTS / "account-password-refused.png", full_page=True)
    page.get_by_label("Текущий пароль").fill(PASSWORD)
    page.get_by_label("Новый пароль", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Новый пароль ещё раз").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.locator(".flash.success")).to_contain_text("Пароль изменён")
    page.screenshot(path=RESULTS / "account-password-changed.png", full_page=True)

    page.locator(".account-menu").click()  # the header's account menu
    page.get_by_role("link", name="Токены API").click()
    expect(page.locator("table.tokens tbody")).to_contain_text("Действующих токенов нет")
    elsewhere.goto("/cases")
    expect(elsewhere).to_have_url(re.compile(r"/login"))
    assert not problems.items, problems.items


def test_throttled_login_page_says_how_long_to_wait(new_page: Callable[[], Page], problems: PageProblems) -> None:
    page = new_page()
    for _ in range(5):
        _log_in(page, "kobr.exec2", "not-the-password")
        expect(page.get_by_role("alert")).to_have_text("Неверное имя пользователя или пароль")
    _log_in(page, "kobr.exec2", PASSWORD)
    expect(page.get_by_role("alert")).to_have_text("Слишком много неудачных попыток входа. Повторите через 1 с.")
    page.screenshot(path=RESULTS / "login-throttled.png", full_page=True)
    assert not problems.items, problems.items
