"""Issue 14, defect 10 in real Chromium: a person switches to English and reads their notifications in English; the
notice a triage sent them names the step as the English pages do."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.conftest import login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register


def test_notifications_read_in_english_after_the_switch(app: Flask, new_page: Callable[[], Page],
                                                         problems: PageProblems) -> None:
    curator = login(app, "curator")
    case_id = register(curator, url="https://vk.com/wall-1_1414")
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data=TRIAGE).status_code == 302  # the executors hear of the new task

    page = log_in(new_page(), "kgkh.exec1")
    page.get_by_role("link", name=re.compile("Уведомления")).click()
    notice = page.locator("tr.kind-new_task td.text").filter(has_text=f"№ {case_id}")
    expect(notice).to_have_text(re.compile(rf"Новая задача «Подготовка проекта ответа» по случаю № {case_id}, срок "))

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Notifications")
    notice = page.locator("tr.kind-new_task td.text").filter(has_text=f"No. {case_id}")
    expect(notice).to_have_text(
        f"New task «Preparation of the draft reply» for case No. {case_id}, due 24.11.2026 15:48")
    expect(page.locator("table.notifications")).not_to_contain_text("Новая задача")
    page.screenshot(path=str(RESULTS / "notifications-english.png"), full_page=True)
    assert problems.items == []
