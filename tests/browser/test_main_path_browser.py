"""The regulation's main path (8.1-8.7) clicked through in real Chromium by a curator and an executor."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from engine.clock import FixedClock
from models import User
from services.cases import register_message
from tests.browser.conftest import RESULTS, PageProblems, log_in

TRIAGE = "Отбор и классификация сообщения"
DRAFT = "Подготовка проекта ответа"
APPROVAL = "Согласование проекта ответа"
REWORK = "Доработка проекта ответа"
PUBLICATION = "Публикация ответа"
FIRST_TEXT = "Здравствуйте, Ирина! Воду дадут сегодня."
SECOND_TEXT = "Здравствуйте, Ирина! Горячую воду дадут сегодня в 16:00."
RETURN_COMMENT = "Укажите время подачи воды"
PUBLISHED_URL = "https://vk.com/wall-1_100?reply=7"
MESSAGE_TEXT = "Нет горячей воды третий день, дом 14 по улице Ленина в Гатчине"


def task_row(page: Page, case_id: int, step: str) -> Locator:
    """The inbox row of the case's task named `step`."""
    return (page.locator("table.list tbody tr")
            .filter(has=page.get_by_role("link", name=f"№ {case_id}", exact=True))
            .filter(has=page.locator("a.task-link", has_text=step)))


def open_task(page: Page, case_id: int, step: str) -> None:
    """Go to the inbox, see the case's task there and open it."""
    page.goto("/inbox")
    row = task_row(page, case_id, step)
    expect(row).to_have_count(1)
    row.locator("a.task-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(step)
    page.wait_for_load_state()  # the heading shows before the form's scripts run: a choice made earlier goes unseen


def submit(page: Page, step: str) -> None:
    """Send the task form and see the success flash on the inbox."""
    page.get_by_role("button", name="Отправить").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.locator(".flash.success")).to_have_text(f"Готово: «{step}»")


def field(page: Page, name: str) -> Locator:
    """The form field block of the schema property `name`."""
    return page.locator(f'#task-form .field[data-field="{name}"]')


def classify(page: Page, theme: str, location: str) -> Locator:
    """Choose the theme and location on the triage form and wait for the decision table's bodies (the bodies field)."""
    field(page, "theme").locator("select").select_option(theme)
    field(page, "location").locator("select").select_option(location)
    bodies = field(page, "bodies")
    expect(bodies).not_to_have_attribute("aria-busy", "true")  # both answers in: a late one cannot redo the choice
    return bodies


def test_main_path_in_the_browser(new_page: Callable[[], Page], problems: PageProblems, clock: FixedClock) -> None:
    curator = log_in(new_page(), "curator")
    executor = log_in(new_page(), "kgkh.exec1")

    # 8.1: the curator registers a message found in VK.
    curator.get_by_role("link", name="Зарегистрировать сообщение").click()
    curator.get_by_label("Источник").select_option("vk")
    curator.get_by_label("Ссылка на сообщение").fill("https://vk.com/wall-1_100")
    curator.get_by_label("Автор").fill("Ирина Петрова")
    curator.get_by_label("Время публикации (МСК)").fill("2026-11-24T09:30")
    curator.get_by_label("Текст сообщения").fill(MESSAGE_TEXT)
    curator.get_by_role("button", name="Зарегистрировать").click()
    expect(curator.locator(".flash.success")).to_contain_text("Сообщение зарегистрировано: случай №")
    registered = re.search(r"/cases/(\d+)$", curator.url)
    assert registered, curator.url
    case_id = int(registered.group(1))
    expect(curator.locator("dd.status")).to_have_text("в работе")
    expect(curator.locator("#diagram")).to_have_attribute("data-ready", "true")
    expect(curator.locator('#diagram g.djs-element[data-element-id="triage"]')).to_have_class(
        re.compile(r"\bstep-current\b"))

    # Triage: send to the housing committee.
    open_task(curator, case_id, TRIAGE)
    expect(curator.locator("blockquote.text")).to_have_text(MESSAGE_TEXT)
    field(curator, "triage_decision").get_by_label("Направить в компетентный орган").check()
    classify(curator, "heating", "gatchinsky")
    field(curator, "importance").locator('input[value="normal"]').check()
    expect(field(curator, "bodies").locator(".ts-control .item .ts-title")).to_have_text(["Комитет по ЖКХ"])
    submit(curator, TRIAGE)
    expect(task_row(curator, case_id, TRIAGE)).to_have_count(0)

    # 8.4: the executor sees the task in the committee's inbox and drafts a reply.
    clock.advance(timedelta(minutes=40))
    open_task(executor, case_id, DRAFT)
    expect(executor.locator(".task-due")).to_contain_text("24.11.2026 15:48")
    field(executor, "draft_outcome").locator('input[value="draft"]').check()
    field(executor, "reply_kind").locator('input[value="reply"]').check()
    field(executor, "reply_text").locator("textarea").fill(FIRST_TEXT)
    submit(executor, DRAFT)
    expect(task_row(executor, case_id, DRAFT)).to_have_count(0)

    # 8.5: the curator reads the draft and returns it with a comment.
    clock.advance(timedelta(minutes=10))
    open_task(curator, case_id, APPROVAL)
    expect(curator.locator("article.draft.pending .text")).to_have_text(FIRST_TEXT)
    field(curator, "approval_decision").get_by_label("Вернуть на доработку").check()
    field(curator, "approval_comment").locator("textarea").fill(RETURN_COMMENT)
    submit(curator, APPROVAL)

    # 8.6: the executor sees the curator's comment on the returned draft and reworks it.
    clock.advance(timedelta(minutes=10))
    open_task(executor, case_id, REWORK)
    returned = executor.locator("article.draft.return")
    expect(returned.locator(".text")).to_have_text(FIRST_TEXT)
    expect(returned.locator(".comment")).to_have_text(f"Комментарий куратора: {RETURN_COMMENT}")
    reply_text = field(executor, "reply_text").locator("textarea")
    expect(reply_text).to_have_value(FIRST_TEXT)
    reply_text.fill(SECOND_TEXT)
    submit(executor, REWORK)

    # 8.5 again: the curator approves the second version.
    clock.advance(timedelta(minutes=10))
    open_task(curator, case_id, APPROVAL)
    expect(curator.locator("article.draft.pending .text")).to_have_text(SECOND_TEXT)
    field(curator, "approval_decision").get_by_label("Согласовать").check()
    submit(curator, APPROVAL)

    # 8.7: the executor publishes; the publication time is prefilled with now.
    clock.advance(timedelta(minutes=5))
    open_task(executor, case_id, PUBLICATION)
    expect(executor.locator("article.draft.approve .text")).to_have_text(SECOND_TEXT)
    expect(field(executor, "published_at").locator("input")).to_have_value("24.11.2026 11:15")
    field(executor, "published_url").locator("input").fill(PUBLISHED_URL)
    submit(executor, PUBLICATION)
    expect(executor.locator("a.task-link")).to_have_count(0)

    # The case page: closed, both versions side by side, history, and the diagram with the path taken.
    curator.goto(f"/cases/{case_id}")
    expect(curator.locator("dd.status")).to_contain_text("закрыт")
    expect(curator.get_by_role("heading", name="Текущие задачи")).to_have_count(0)
    drafts = curator.locator("article.draft")
    expect(drafts).to_have_count(2)
    expect(drafts.nth(0)).to_have_class(re.compile(r"\breturn\b"))
    expect(drafts.nth(0).locator("header")).to_contain_text("Версия 1")
    expect(drafts.nth(0).locator(".comment")).to_contain_text(RETURN_COMMENT)
    expect(drafts.nth(1)).to_have_class(re.compile(r"\bapprove\b"))
    expect(drafts.nth(1).locator("header")).to_contain_text("Версия 2")
    expect(drafts.nth(1).get_by_role("link", name=PUBLISHED_URL)).to_be_visible()
    first, second = drafts.nth(0).bounding_box(), drafts.nth(1).bounding_box()
    assert first and second and abs(first["y"] - second["y"]) < 1 and second["x"] > first["x"] + first["width"], \
        f"draft versions are not side by side: {first} {second}"
    done = [f"Выполнено: {step}" for step in (TRIAGE, DRAFT, APPROVAL, REWORK, APPROVAL, PUBLICATION)]
    expect(curator.locator("table.history tr.event-task_completed td:nth-child(3)")).to_have_text(done)

    diagram = curator.locator("#diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    for step in ("triage", "work", "draft", "approve_and_publish", "published_end"):
        shape = diagram.locator(f'g.djs-element[data-element-id="{step}"]')
        expect(shape).to_have_class(re.compile(r"\bstep-done\b"))
        expect(shape).to_be_visible()
    expect(diagram.locator(".step-current")).to_have_count(0)
    expect(diagram.locator('g.djs-element[data-element-id="not_subject_end"]')).not_to_have_class(
        re.compile(r"\bstep-done\b"))
    RESULTS.mkdir(exist_ok=True)
    curator.screenshot(path=str(RESULTS / "main-path-case.png"), full_page=True)
    diagram.screenshot(path=str(RESULTS / "main-path-diagram.png"))

    # The executor logs out through the header's account menu.
    executor.locator(".account-menu").click()
    executor.get_by_role("button", name="Выйти").click()
    expect(executor).to_have_url(re.compile(r"/login$"))
    assert problems.items == []


def test_missing_required_field_shows_the_error_and_saves_nothing(
        app: Flask, clock: FixedClock, new_page: Callable[[], Page], problems: PageProblems) -> None:
    with app.app_context():
        session = app.extensions["otklik.sessions"]()
        actor = session.scalar(select(User).where(User.username == "curator"))
        case_id = register_message(session=session, clock=clock, actor=actor, source="form", channel="vk",
                                   url="https://vk.com/wall-1_200", author="Ирина Петрова",
                                   text=MESSAGE_TEXT, published_at="2026-11-24T09:30").id
        session.commit()
        session.close()

    curator = log_in(new_page(), "curator")
    open_task(curator, case_id, TRIAGE)
    field(curator, "triage_decision").get_by_label("Направить в компетентный орган").check()
    classify(curator, "heating", "gatchinsky")
    first_body = field(curator, "bodies").locator(".ts-control .item")
    expect(first_body.locator(".ts-title")).to_have_text(["Комитет по ЖКХ"])  # the decision table's answer
    first_body.locator(".remove[title=\"Убрать\"]").click()  # the curator clears it
    curator.get_by_role("button", name="Отправить").click()

    expect(curator.locator("p.error[role=alert]")).to_have_text("Исправьте отмеченные поля: ничего не сохранено.")
    body = field(curator, "bodies")
    expect(body).to_have_class(re.compile(r"\bhas-error\b"))
    expect(body.locator(".error")).to_have_text("Заполните это поле")
    expect(field(curator, "theme").locator(".error")).to_have_count(0)
    expect(field(curator, "theme").locator("select")).to_have_value("heating")
    expect(curator.locator(".flash.success")).to_have_count(0)

    # The same form posted with the session cookie but without the CSRF token is refused too.
    forged = curator.request.post(curator.url, form={"triage_decision": "send", "theme": "heating",
                                                     "location": "gatchinsky", "importance": "normal",
                                                     "bodies": "kgkh"}, max_redirects=0)
    assert forged.status == 400, forged.status

    open_task(curator, case_id, TRIAGE)
    curator.goto(f"/cases/{case_id}")
    expect(curator.locator("dd.status")).to_have_text("в работе")
    expect(curator.locator("table.history tr.event-task_completed")).to_have_count(0)
    assert problems.items == []
