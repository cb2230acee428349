"""Every diagram of the process library opens in bpmn-js without errors."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Browser

from engine.parser import read_library
from services.library.versions import LIBRARY_DIRS
from tests.conftest import PASSWORD


def test_every_diagram_opens_in_bpmn_js(app: Flask, live_server: str, browser: Browser) -> None:
    names = sorted(name for name in read_library(LIBRARY_DIRS) if name.endswith(".bpmn"))
    assert {"case.bpmn", "body_part.bpmn", "reply_publication.bpmn"} <= set(names)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "methodologist")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server}/processes/")
    links = page.locator("a.diagram-link")
    # Linked by the process's own (Russian) name, the file name in the tooltip.
    titles = {links.nth(i).get_attribute("title"): links.nth(i).inner_text() for i in range(links.count())}
    hrefs = {links.nth(i).get_attribute("title"): links.nth(i).get_attribute("href") for i in range(links.count())}
    assert set(names) <= set(hrefs)
    assert titles["case.bpmn"] == "Ответ на сообщение из открытых источников (148-рг, п. 7.3, 8)"
    for name in names:
        page.goto(f"{live_server}{hrefs[name]}")
        assert page.title().startswith(titles[name]), page.title()
        page.wait_for_selector('#diagram[data-ready="true"]')
        assert page.locator("#diagram").get_attribute("data-warnings") == "", name
        shapes = page.locator("g.djs-shape").count()
        assert shapes > 5, f"{name}: {shapes} shapes rendered"
    assert errors == []
    page.close()
