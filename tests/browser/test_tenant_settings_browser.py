"""The administrator in real Chromium: a deadline value of the tenant's own act, and a body's account (clause 5)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import Tenant
from tests.browser.conftest import RESULTS, PageProblems, log_in


@pytest.fixture
def _regional(sessions: Any) -> Iterator[None]:
    yield
    with sessions() as session:
        for tenant in session.scalars(select(Tenant)):
            tenant.settings = {k: v for k, v in tenant.settings.items() if k != "deadlines"}
        session.commit()


@pytest.mark.usefixtures("_regional")
def test_admin_sets_a_deadline_and_keeps_the_accounts(new_page: Callable[[], Page], problems: PageProblems) -> None:
    page = log_in(new_page(), "admin", lands=r"/cases/$")
    page.get_by_role("link", name="Сроки по акту").click()
    row = page.locator("#deadline-draft")
    expect(row).to_contain_text("8.4")
    row.get_by_label("Значение").fill("0")
    row.get_by_role("button", name="Сохранить").click()
    row = page.locator("#deadline-draft")
    expect(row.locator(".error")).to_have_text("Срок должен быть больше нуля")
    expect(row.get_by_label("Значение")).to_have_value("0")
    row.get_by_label("Значение").fill("4")
    row.get_by_role("button", name="Сохранить").click()
    row = page.locator("#deadline-draft")
    expect(row.locator("td.own")).to_have_text("4 раб. ч")
    expect(page.locator("table.deadline-history tbody tr")).to_have_count(1)
    page.screenshot(path=str(RESULTS / "deadlines.png"), full_page=True)

    page.get_by_role("link", name="Аккаунты органов").click()
    form = page.locator("form[action='/accounts']")
    form.get_by_label("Орган").select_option(label="Комитет по ЖКХ")
    form.get_by_label("Канал").select_option(label="ВКонтакте")
    form.get_by_label("Название").fill("Комитет по ЖКХ ЛО")
    form.get_by_label("Ссылка").fill("https://vk.com/kgkh_lenobl")
    form.get_by_role("button", name="Добавить").click()
    expect(page.locator("table.accounts")).to_contain_text("https://vk.com/kgkh_lenobl")
    page.screenshot(path=str(RESULTS / "accounts.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Выгрузить ссылки (CSV для Excel)").click()
    assert download.value.suggested_filename == "accounts.csv"
    assert problems.items == []
