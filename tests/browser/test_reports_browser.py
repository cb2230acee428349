"""The process heatmap, the rating and what-if in Chromium: the diagram's steps coloured with their counts in badges,
the month replayed on another working day."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from engine.clock import FixedClock
from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.web.test_reports import november, waited_case  # noqa: F401 (november: a fixture)


@pytest.mark.usefixtures("november")
def test_heatmap_rating_and_what_if(new_page: Callable[[], Page], problems: PageProblems) -> None:
    leader = log_in(new_page(), "leader", lands=r"/dashboard/$")
    leader.goto("/reports/heatmap?period=2026-11")
    case = leader.locator("#heat-case")
    expect(case).to_have_attribute("data-ready", "true")
    # The draft: 3 of its 6 decided steps breached - red, with its counts. Every step here was done at once (a median
    # wait of 0): none is marked slow.
    expect(case.locator('g.djs-element.heat-3[data-element-id="draft"]')).to_have_count(1)
    expect(leader.locator("g.djs-element.heat-slow")).to_have_count(0)
    expect(case.locator('.heat-badge[data-step="draft"]')).to_contain_text("наруш. 3 из 7")
    publishing = leader.locator("#heat-reply_publication")
    expect(publishing).to_have_attribute("data-ready", "true")
    expect(publishing.locator('g.djs-element.heat-0[data-element-id="publication"]')).to_have_count(1)
    expect(publishing.locator('.heat-badge[data-step="approval"]')).to_contain_text("из")
    expect(leader.locator('#heat-table tr[data-step="draft"] td.heat-3')).to_have_text("50.0 %")
    leader.screenshot(path=str(RESULTS / "heatmap.png"), full_page=True)
    leader.goto("/reports/rating?quarter=2026-Q4")
    expect(leader.locator('#rating tr[data-body="kgkh"] td.rank')).to_have_text("1")
    leader.screenshot(path=str(RESULTS / "rating.png"), full_page=True)
    # What-if: the november month on a working day until 17:00; the form keeps the hours, the page says what changed.
    leader.goto("/reports/whatif?month=2026-11")
    leader.locator('select[name="calendar"]').select_option("hours")
    leader.locator('input[name="day_end"]').fill("17:00")
    leader.locator('input[name="day_end"]').press("Enter")
    expect(leader.locator("#whatif-changed")).to_contain_text(
        "Другой рабочий день для всех органов (09:00–17:00, обед 13:00–13:48, в пятницу до 17:00)")
    expect(leader.locator('#whatif-bodies tr[data-body="kgkh"]')).to_have_count(1)
    expect(leader.locator('#whatif-steps tr[data-clause="8.4"]')).to_have_count(1)
    leader.screenshot(path=str(RESULTS / "whatif.png"), full_page=True)
    leader.locator('input[name="day_start"]').fill("18:00")
    leader.locator('input[name="day_start"]').press("Enter")
    expect(leader.get_by_role("alert")).to_contain_text("окончание работы (17:00) должно быть позже начала (18:00)")
    expect(leader.locator("#whatif-bodies")).to_have_count(0)
    assert not problems.items, problems.items


def test_the_slowest_steps_are_outlined_and_marked(app: Flask, clock: FixedClock, new_page: Callable[[], Page],
                                                   problems: PageProblems) -> None:
    waited_case(app, clock)  # medians: rework 90, draft 60, approval 10, publication 5 working minutes
    leader = log_in(new_page(), "leader", lands=r"/dashboard/$")
    leader.goto("/reports/heatmap?period=2026-11")
    publishing = leader.locator("#heat-reply_publication")
    expect(publishing).to_have_attribute("data-ready", "true")
    for step, slow in (("approval", 1), ("rework", 1), ("publication", 0)):
        expect(publishing.locator(f'g.djs-element.heat-slow[data-element-id="{step}"]')).to_have_count(slow)
    expect(publishing.locator('.heat-badge[data-step="rework"]')).to_contain_text("долго · мед. 1.5 р.ч.")
    expect(leader.locator('#heat-table tr[data-step="draft"] .badge')).to_have_text("долго")
    expect(leader.locator('#heat-table tr[data-step="publication"] .badge')).to_have_count(0)
    leader.screenshot(path=str(RESULTS / "heatmap-slow.png"), full_page=True)
    assert not problems.items, problems.items
