"""A municipal methodologist opens its variant's page from the library: the difference from the regional template is
listed and, on the diagrams, the changed task is coloured in both viewers."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.conftest import login
from tests.web.test_municipal_library import TRIAGE, municipality, published_variant

__all__ = ["municipality"]  # the fixture


def test_the_variant_page_shows_its_difference_from_the_template(
        app: Flask, new_page: Callable[[], Page], problems: PageProblems, municipality: Callable[[], str]) -> None:
    code = municipality()
    published_variant(login(app, f"{code}.methodologist"), TRIAGE, 'name="Отбор сообщения (МО)"',
                      comment="По акту муниципалитета")

    page = log_in(new_page(), f"{code}.methodologist", lands=r"/cases/$")
    page.goto("/processes/")
    expect(page.locator("#process-case_148rg .in-use")).to_contain_text("своём варианте m1")
    page.locator("#process-case_148rg a.variant-link").click()
    row = page.locator('#local-changes tr[data-element="triage"]')
    expect(row).to_contain_text("Отбор сообщения (МО)")
    page.screenshot(path=str(RESULTS / "variant-page.png"), full_page=True)
    page.locator("a.compare-template-link").click()
    expect(page.locator("#compare")).to_have_attribute("data-ready", "true")
    for side in ("old", "new"):
        expect(page.locator(f'#canvas-{side} g.djs-element.diff-changed[data-element-id="triage"]')).to_have_count(1)
    page.screenshot(path=str(RESULTS / "variant-compare.png"))
    assert problems.items == []
