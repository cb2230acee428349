"""bpmnlint in the modeler: the shipped diagrams open lint-clean; a task dropped unconnected and a split whose
conditions are removed are marked on the canvas and listed as «проверка схемы», and the list selects the element."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import RESULTS, PageProblems
from tests.browser.test_workbench_browser import log_in, no_drafts, open_draft  # noqa: F401  (no_drafts: a fixture)

BUTTON = ".bjsl-button"


def lint_clean(page: Page) -> None:
    """The open diagram has no lint issue: the button says so, no overlay, no advice in the problems list."""
    expect(page.locator(BUTTON)).to_have_text("Проверка схемы: замечаний нет")
    expect(page.locator(".bjsl-overlay")).to_have_count(0)
    expect(page.locator("#lint-note")).to_be_hidden()


def test_shipped_diagrams_are_lint_clean_and_drawn_problems_are_marked_and_listed(
        new_page: Callable[[], Page], problems: PageProblems, no_drafts: None) -> None:  # noqa: F811
    page = log_in(new_page(), "methodologist")
    workbench = page.locator("#workbench")
    page.goto("/processes/")
    page.locator("section#process-governor_post").get_by_role("button", name="Создать черновик").click()
    expect(workbench).to_have_attribute("data-ready", "true")
    lint_clean(page)
    open_draft(page)
    names = page.locator("nav.diagram-files a.diagram-file:not(.table-file)").all_inner_texts()
    assert names == ["body_part.bpmn", "reply_publication.bpmn"]  # case.bpmn is open
    lint_clean(page)
    for name in names:
        page.goto(page.url.split("?")[0] + f"?file={name}")
        expect(workbench).to_have_attribute("data-ready", "true")
        lint_clean(page)
    page.goto(page.url.split("?")[0])
    expect(workbench).to_have_attribute("data-ready", "true")
    expect(page.locator("#no-problems")).to_be_visible()

    # A task taken from the palette and dropped on an empty spot, connected to nothing.
    page.evaluate("() => window.workbenchModeler.get('canvas').zoom(0.5, { x: 0, y: 0 })")
    page.locator('.djs-palette [data-action="create.task"]').click()
    canvas = page.locator("#canvas").bounding_box()
    assert canvas is not None
    spot = (canvas["x"] + canvas["width"] - 120, canvas["y"] + canvas["height"] - 80)
    page.mouse.move(*spot)
    page.mouse.move(spot[0] + 2, spot[1] + 2)
    page.mouse.click(spot[0] + 2, spot[1] + 2)
    loose = page.evaluate("() => window.workbenchModeler.get('selection').get()[0].id")
    expect(page.locator(f'.djs-overlays[data-container-id="{loose}"] .bjsl-overlay')).to_have_count(1)
    listed = page.locator(f'#problem-list button.problem.lint-error[data-element-id="{loose}"]')
    expect(listed.first).to_contain_text("проверка схемы: ")
    expect(listed.filter(has_text="Элемент ни с чем не соединён")).to_have_count(1)
    expect(page.locator("#lint-note")).to_be_visible()
    expect(page.locator("#no-problems")).to_be_hidden()
    expect(page.locator(BUTTON)).to_contain_text("ошибок 3")  # not connected, no way in, no way out

    # The split «gw_turn» loses its conditions and its default: the gap bpmnlint's own conditional-flows misses.
    page.evaluate("""() => { const modeler = window.workbenchModeler, modeling = modeler.get('modeling');
        const gateway = modeler.get('elementRegistry').get('gw_turn');
        modeling.updateProperties(gateway, { default: undefined });
        gateway.outgoing.forEach((flow) => modeling.updateProperties(flow, { conditionExpression: undefined })); }""")
    split = page.locator('#problem-list button.problem[data-element-id="gw_turn"]')
    expect(split).to_contain_text("ни у одного перехода нет условия и нет перехода по умолчанию")
    expect(page.locator('.djs-overlays[data-container-id="gw_turn"] .bjsl-overlay')).to_have_count(1)
    page.locator("#problem-list").scroll_into_view_if_needed()
    page.screenshot(path=str(RESULTS / "workbench-lint.png"), full_page=True)
    split.click()
    assert page.evaluate("() => window.workbenchModeler.get('selection').get().map((e) => e.id)") == ["gw_turn"]
    expect(page.locator(".bjsl-overlay .bjsl-icon-error, .bjsl-overlay .bjsl-icon").first).to_be_visible()
    assert problems.items == []
