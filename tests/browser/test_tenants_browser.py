"""A municipal administrator sets up a department and an executor in Chromium; the executor then drafts a reply."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.browser.test_main_path_browser import DRAFT, TRIAGE, field, open_task, submit
from tests.conftest import login
from tests.web.test_main_path import open_inbox_task, register

NEW_PASSWORD = "parks-2026-start"


def test_a_municipal_admin_sets_up_a_department_and_its_executor_works(
        app: Flask, new_page: Callable[[], Page], problems: PageProblems) -> None:
    admin = log_in(new_page(), "vsv.admin", lands=r"/(cases|inbox)")
    admin.get_by_role("link", name="Органы").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Органы · Всеволожский муниципальный район")
    expect(admin.locator("#bodies")).not_to_contain_text("kgkh")
    form = admin.locator("#body-form")
    form.get_by_label("Код").fill("vsv.parks")
    form.get_by_label("Название", exact=True).fill("Отдел парков и скверов")
    form.get_by_label("Краткое название").fill("Парки")
    form.get_by_role("button", name="Добавить").click()
    expect(admin.locator(".flash.success")).to_have_text("Орган «Отдел парков и скверов» добавлен")
    expect(admin.locator('tr[data-body="vsv.parks"]')).to_be_visible()
    admin.screenshot(path=str(RESULTS / "tenants-bodies.png"), full_page=True)

    admin.get_by_role("link", name="Пользователи").click()
    form = admin.locator("#person-form")
    form.get_by_label("ФИО").fill("Паркова Алёна Сергеевна")
    form.get_by_label("Имя пользователя").fill("vsv.parks.exec1")
    form.get_by_label("Роль", exact=True).select_option("executor")
    form.get_by_label("Орган").select_option(label="Парки")
    form.get_by_label("Электронная почта").fill("vsv.parks.exec1@lenreg.example")
    form.get_by_role("button", name="Добавить").click()
    expect(admin.locator(".flash.success").first).to_have_text("Сотрудник vsv.parks.exec1 добавлен")
    password = admin.locator("#new-password code").inner_text()
    row = admin.locator('tr[data-user="vsv.parks.exec1"]')
    expect(row).to_contain_text("Парки")
    expect(row).to_contain_text("vsv.parks.exec1@lenreg.example")
    admin.screenshot(path=str(RESULTS / "tenants-people.png"), full_page=True)

    # The municipality's curator sends a message to the new department (over HTTP: the browser part is the setup).
    curator = login(app, "vsv.curator")
    case_id = register(curator, url="https://vk.com/wall-70000002_77", text="В сквере у ДК сломаны скамейки")
    triage = open_inbox_task(curator, TRIAGE)
    assert curator.post(f"/tasks/{triage}", data={"triage_decision": "send", "theme": "lighting",
                                                  "location": "vsevolozhsk-1", "importance": "normal",
                                                  "bodies": "vsv.parks"}).status_code == 302

    executor = new_page()
    executor.goto("/login")
    executor.get_by_label("Имя пользователя").fill("vsv.parks.exec1")
    executor.get_by_label("Пароль").fill(password)
    executor.get_by_role("button", name="Войти").click()
    expect(executor).to_have_url(re.compile(r"/inbox$"))
    open_task(executor, case_id, DRAFT)
    field(executor, "draft_outcome").locator('input[value="draft"]').check()
    field(executor, "reply_kind").locator('input[value="reply"]').check()
    field(executor, "reply_text").locator("textarea").fill("Здравствуйте! Скамейки заменят до пятницы.")
    submit(executor, DRAFT)
    assert "Согласование проекта ответа" in curator.get("/inbox").get_data(as_text=True)
    assert problems.items == []
