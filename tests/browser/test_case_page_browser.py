"""The case page in Chromium: the diagram zooms, fits, pans and goes full screen; the steps read as a timeline."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Locator, Page, expect

from engine.clock import FixedClock
from tests.browser.conftest import RESULTS, PageProblems, log_in
from tests.conftest import login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register


def _scale_and_shift(page: Page) -> tuple[float, float, float]:
    """The diagram's zoom and translation, from the viewport group's transform matrix."""
    matrix = page.locator("#diagram g.viewport").get_attribute("transform") or ""
    numbers = [float(n) for n in re.findall(r"-?[\d.]+(?:e-?\d+)?", matrix)]
    assert len(numbers) == 6, matrix
    return numbers[0], numbers[4], numbers[5]


def _button(page: Page, name: str) -> Locator:
    return page.get_by_role("toolbar", name="Управление схемой").get_by_role("button", name=name, exact=True)


def test_diagram_controls_and_timeline(app: Flask, clock: FixedClock, new_page: Callable[[], Page],
                                       problems: PageProblems) -> None:
    curator, executor = login(app, "curator"), login(app, "kgkh.exec1")
    case_id = register(curator)
    curator.post(f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}", data=TRIAGE)
    clock.advance(timedelta(hours=6))  # due 15:48, done 16:00: 12 working minutes late
    executor.post(f"/tasks/{open_inbox_task(executor, 'Подготовка проекта ответа')}",
                  data={"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Воду дадут."})

    page = log_in(new_page(), "curator")
    page.goto(f"/cases/{case_id}")
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    expect(page.get_by_role("region", name=f"Схема процесса «Случай № {case_id}»")).to_be_visible()

    scale = _scale_and_shift(page)[0]
    _button(page, "Крупнее").click()
    assert _scale_and_shift(page)[0] > scale
    _button(page, "Мельче").click()
    _button(page, "Мельче").click()
    assert _scale_and_shift(page)[0] < scale
    _button(page, "100 %").click()
    assert _scale_and_shift(page)[0] == 1
    _button(page, "Вписать целиком").click()
    frame = diagram.bounding_box()
    assert frame is not None
    left, right = frame["x"] - 4, frame["x"] + frame["width"] + 4  # labels may overhang their shape a little
    for shape in page.locator("#diagram g.djs-shape").all():
        box = shape.bounding_box()
        assert box is not None and left <= box["x"] and box["x"] + box["width"] <= right

    # Pan by dragging the canvas.
    _, x, y = _scale_and_shift(page)
    page.mouse.move(frame["x"] + 30, frame["y"] + 30)
    page.mouse.down()
    page.mouse.move(frame["x"] + 130, frame["y"] + 80, steps=5)
    page.mouse.up()
    _, moved_x, moved_y = _scale_and_shift(page)
    assert (round(moved_x - x), round(moved_y - y)) == (100, 50)
    # ... or with the arrow keys once the diagram has the focus.
    page.locator("#diagram svg[tabindex]").focus()
    page.keyboard.press("ArrowLeft")
    assert _scale_and_shift(page)[1] != moved_x

    # Full screen on a phone, and back with Escape.
    page.set_viewport_size({"width": 390, "height": 800})
    _button(page, "Во весь экран").click()
    expect(page.locator("#diagram-frame")).to_have_class(re.compile(r"\bis-fullscreen\b"))
    box = diagram.bounding_box()
    assert box is not None and box["width"] >= 370 and box["height"] >= 600
    page.screenshot(path=str(RESULTS / "case-diagram-fullscreen-390.png"))
    expect(_button(page, "Выйти из полноэкранного режима")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    expect(page.locator("#diagram-frame")).not_to_have_class(re.compile(r"\bis-fullscreen\b"))
    expect(_button(page, "Во весь экран")).to_be_focused()

    # The timeline reads without BPMN: who, when, against which deadline, how late.
    steps = page.locator("#timeline ol.timeline > li")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("Отбор и классификация сообщения")
    expect(steps.nth(0)).to_contain_text("Выполнено 24.11.2026 10:00, Смирнова Анна Сергеевна")
    expect(steps.nth(0)).to_contain_text("без срока")
    expect(steps.nth(1)).to_contain_text("Подготовка проекта ответа · Комитет по ЖКХ")
    expect(steps.nth(1)).to_contain_text("Срок 24.11.2026 15:48 · опоздание 12 мин рабочего времени")
    expect(steps.nth(1)).to_have_class(re.compile(r"\blate\b"))
    expect(steps.nth(2)).to_contain_text("Согласование проекта ответа")
    expect(steps.nth(2)).to_contain_text("В работе с 24.11.2026 16:00")
    expect(steps.nth(2)).to_have_class(re.compile(r"\bopen\b"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(RESULTS / "case-page-1280.png"), full_page=True)
    assert problems.items == []
