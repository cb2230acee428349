"""axe-core (WCAG 2.1 A and AA) on every page type at desktop and phone width: no serious or critical violation,
and no sideways scroll of the page at 390 px."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page

from engine.clock import FixedClock
from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.conftest import login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

AXE = "/static/vendor/axe-core/axe.min.js"  # from the app itself: its policy allows no inline script
WIDTHS = (1280, 390)
# Who sees a page without parameters first; the first of them who gets it as a whole page checks it.
ROLES = ("curator", "kgkh.exec1", "admin", "methodologist", "leader", "kgkh.resp")
LANDS = {"admin": r"/cases/$", "methodologist": r"/cases/$", "leader": r"/dashboard/$"}
SKIPPED = ("/api/", "/static/", "/login", "/logout", "/lang/", "/badge", "/healthz")
RUN_AXE = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => (
    {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
}"""
WIDEST = """(width) => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > width)
  .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined
    ? '.' + e.className.trim().split(/\\s+/).join('.') : '')).slice(0, 5)"""


def _pages_by_role(app: Flask) -> dict[str, list[str]]:
    """Every parameterless GET page of the app, under the first role that gets it as a whole HTML page."""
    paths = sorted({rule.rule for rule in app.url_map.iter_rules()
                    if "GET" in (rule.methods or ()) and not rule.arguments and not rule.rule.startswith(SKIPPED)
                    and not rule.rule.endswith((".zip", ".xlsx", ".csv", ".json", ".bpmn"))})
    clients = {role: login(app, role) for role in ROLES}
    found: dict[str, list[str]] = {role: [] for role in ROLES}
    for path in paths:
        for role in ROLES:
            response = clients[role].get(path)
            if response.status_code == 200 and response.get_data(as_text=True).lstrip().lower().startswith(
                    "<!doctype html"):
                found[role].append(path)
                break
    return found


def _seed(app: Flask, clock: FixedClock) -> dict[str, list[str]]:
    """Three cases: one at triage, one at the draft, one (drafted late) at approval; their task and case pages."""
    curator, executor = login(app, "curator"), login(app, "kgkh.exec1")
    approved = register(curator, url="https://vk.com/wall-1_901")
    curator.post(f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}", data=TRIAGE)
    clock.advance(timedelta(hours=6))  # the draft is late: the timeline says by how much
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    reply = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Воду дадут сегодня."}
    assert executor.post(f"/tasks/{draft}", data=reply).status_code == 302
    drafting = register(curator, url="https://vk.com/wall-1_902")
    curator.post(f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}", data=TRIAGE)
    register(curator, url="https://vk.com/wall-1_903")
    diagram = re.search(r'class="diagram-link" href="([^"]+)"', curator.get("/processes/").get_data(as_text=True))
    assert diagram
    return {"curator": [html.unescape(diagram.group(1)),
                        f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}",
                        f"/tasks/{open_inbox_task(curator, 'Согласование проекта ответа')}",
                        f"/cases/{approved}", f"/cases/{drafting}"],
            "kgkh.exec1": [f"/tasks/{open_inbox_task(executor, 'Подготовка проекта ответа')}"]}


def _check(page: Page, path: str, width: int) -> list[str]:
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    if page.locator("#diagram").count():
        page.wait_for_selector('#diagram[data-ready="true"]')
    page.add_script_tag(url=AXE)
    problems = [f"{path} at {width}px: {json.dumps(v, ensure_ascii=False)}" for v in page.evaluate(RUN_AXE)]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"{path} at {width}px scrolls sideways: {scroll}px wide, {page.evaluate(WIDEST, width)}")
    name = re.sub(r"[^\w.-]+", "-", path.strip("/"))
    page.screenshot(path=str(RESULTS / "a11y" / f"{name}-{width}.png"), full_page=True)
    return problems


def test_every_page_passes_axe_and_fits_a_phone(app: Flask, clock: FixedClock, new_page: Callable[[], Page],
                                                problems: PageProblems) -> None:
    (RESULTS / "a11y").mkdir(parents=True, exist_ok=True)
    pages = _pages_by_role(app)
    for role, paths in _seed(app, clock).items():
        pages[role] += paths
    assert sum(map(len, pages.values())) >= 20, pages
    anonymous = new_page()
    found = [problem for width in WIDTHS for problem in _check(anonymous, "/login", width)]
    for role, paths in pages.items():
        if paths:
            page = log_in(new_page(), role, lands=LANDS.get(role, r"/inbox$"))
            found += [problem for path in paths for width in WIDTHS for problem in _check(page, path, width)]
    assert found == [], "\n".join(found)
    assert problems.items == []
