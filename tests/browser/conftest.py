"""Browser fixtures: a live server with real CSRF, one Chromium per session, fresh pages that collect JS errors."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, expect, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
TIMEOUT_MS = 5_000


@dataclass
class PageProblems:
    """What went wrong in the pages of one test: JS errors, console errors, failed subresources, server errors."""

    items: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        """Record the page's uncaught JS errors, console errors and failed requests."""
        page.on("pageerror", lambda exc: self.items.append(f"pageerror on {page.url}: {exc}"))
        page.on("console", lambda msg: self._console(page, msg))
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _console(self, page: Page, msg: ConsoleMessage) -> None:
        # Chromium logs every 4xx/5xx as "Failed to load resource"; _response judges those (a 422 page is a
        # deliberate answer to a bad form, and the browser's own /favicon.ico probe is not the page's doing).
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.items.append(f"console error on {page.url}: {msg.text} ({msg.location.get('url')})")

    def _failed(self, request: Request) -> None:
        # ERR_ABORTED: the person navigated away while a fetch was still in flight.
        if request.failure != "net::ERR_ABORTED":
            self.items.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        request = response.request
        if response.status >= 500 or (response.status >= 400 and not request.is_navigation_request()):
            self.items.append(f"HTTP {response.status} for {request.method} {response.url}")


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The app served over HTTP on a free port, on the session database and clock, with CSRF switched on."""
    served = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "CLOCK": app.config["CLOCK"],
                         "WTF_CSRF_ENABLED": True, "SECRET_KEY": "browser-test-secret-key-of-sufficient-length",
                         "OTKLIK_SCHEDULER": False, "SESSION_COOKIE_SECURE": False})
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    served.extensions["otklik.engine"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the whole session."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def problems() -> PageProblems:
    """The JS and server errors seen by this test's pages."""
    return PageProblems()


@pytest.fixture
def new_page(browser: Browser, live_server: str, problems: PageProblems) -> Iterator[Callable[[], Page]]:
    """A factory of pages, each in its own context (its own cookies), as if each person had their own browser."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(base_url=live_server, locale="ru-RU", timezone_id="Europe/Moscow",
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()


def log_in(page: Page, username: str, lands: str = r"/inbox$") -> Page:
    """Log in through the login form and land on the inbox (methodologists and administrators: the cases list)."""
    page.goto("/login")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(re.compile(lands))
    return page


__all__ = ["RESULTS", "PageProblems", "log_in"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Real browsers run after the rest, one at a time (test.sh): beside another worker's load their waits time out."""
    browser_tests = Path(__file__).parent
    for item in items:
        if browser_tests in item.path.parents:
            item.add_marker(pytest.mark.alone)
