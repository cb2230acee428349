"""Clause 9 and 11 reply checks: the rules, the live fragment on the executor's page, the curator's approval page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Channel
from services.reply_checks import BARE_REDIRECTION_MIN_WORDS, check_reply, substantive_words
from tests.conftest import login
from tests.web.test_lexicon import seeded
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

VK = Channel(code="vk", name="ВКонтакте", reply_max_length=4096)
GOOD = ("Здравствуйте, Ирина! Горячую воду в доме 5 на улице Ленина отключили из-за аварии на теплотрассе. "
        "Бригада работает на месте, подачу восстановят сегодня к 18:00.")
REDIRECT_ONLY = ("Здравствуйте, Ирина! Этот вопрос не входит в компетенцию комитета. "
                 "Обратитесь в администрацию Гатчинского района.")
REDIRECT_WITH_ANSWER = (GOOD + " Если после 18:00 воды не будет, обратитесь в аварийную службу района по телефону 112.")


def verdicts(text: str, author: str = "Ирина Петрова", channel: Channel = VK) -> dict[str, bool]:
    return {c.code: c.ok for c in check_reply(text=text, author=author, channel=channel, lexicon=seeded())}


def messages(text: str, author: str = "Ирина Петрова") -> dict[str, str]:
    return {c.code: c.message for c in check_reply(text=text, author=author, channel=VK, lexicon=seeded())}


ALL_OK = {"greeting": True, "polite_address": True, "template": True, "bureaucratese": True, "redirection": True,
          "length": True}


@pytest.mark.parametrize(("text", "author", "failing"), [
    (GOOD, "Ирина Петрова", set()),
    ("Добрый день! Благодарим Вас за сигнал: яму на дороге засыпали вчера.", "ivan_88", set()),
    ("Доброе утро, Ирина. Автобус № 5 с понедельника ходит каждые 15 минут.", "Ирина", set()),
    ("Горячую воду дадут сегодня к 18:00, Ирина.", "Ирина Петрова", {"greeting"}),
    ("Здравствуйте! Воду дадут сегодня к 18:00, ждите.", "Ирина Петрова", {"polite_address"}),
    ("Здравствуйте! Сообщаем вам, что воду дадут сегодня.", "Ирина Петрова", {"polite_address"}),
    ("Здравствуйте, Ирина! Вопрос будет решён в установленном порядке.", "Ирина Петрова", {"template"}),
    ("Здравствуйте, Ирина! Вышеуказанный дом подключат в настоящее время.", "Ирина Петрова", {"bureaucratese"}),
    (REDIRECT_ONLY, "Ирина Петрова", {"redirection"}),
    (REDIRECT_WITH_ANSWER, "Ирина Петрова", set()),
    ("Здравствуйте, Ирина! " + "Очень подробно. " * 400, "Ирина Петрова", {"length"}),
])
def test_checks_of_a_reply(text: str, author: str, failing: set[str]) -> None:
    assert verdicts(text, author) == {code: code not in failing for code in ALL_OK}


def test_a_found_phrase_is_named_and_the_redirection_rule_is_explained() -> None:
    found = messages("Здравствуйте, Ирина! Доводим до Вашего сведения, что в рамках компетенции всё сделано.")
    assert "«Доводим до Вашего сведения»" in found["template"] and "«в рамках компетенции»" in found["template"]
    bare = messages(REDIRECT_ONLY)["redirection"]
    assert "«Обратитесь в»" in bare and f"не меньше {BARE_REDIRECTION_MIN_WORDS}" in bare
    assert substantive_words(REDIRECT_ONLY, seeded()) < BARE_REDIRECTION_MIN_WORDS
    assert substantive_words(REDIRECT_WITH_ANSWER, seeded()) >= BARE_REDIRECTION_MIN_WORDS


def test_length_is_measured_against_the_channel() -> None:
    short = Channel(code="video", name="Видеохостинги", reply_max_length=100)
    text = GOOD
    assert verdicts(text, channel=short)["length"] is False
    assert f"{len(text)} из 100" in next(c.message for c in check_reply(text=text, author="Ирина", channel=short,
                                                                      lexicon=seeded()) if c.code == "length")


def draft_task(app: Flask, **message: str) -> tuple[FlaskClient, FlaskClient, int]:
    """A registered and triaged message; the curator, the housing executor and the open draft task."""
    curator = login(app, "curator")
    executor = login(app, "kgkh.exec1")
    register(curator, **message)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data=TRIAGE).status_code == 302
    return curator, executor, open_inbox_task(executor, "Подготовка проекта ответа")


def check_states(html: str) -> dict[str, bool]:
    return {code: ok == "true" for code, ok in re.findall(r'data-check="(\w+)" data-ok="(true|false)"', html)}


def test_the_executor_sees_the_checks_while_typing(app: Flask) -> None:
    _, executor, draft = draft_task(app)
    page = executor.get(f"/tasks/{draft}").get_data(as_text=True)
    assert f'hx-post="/tasks/{draft}/checks"' in page and 'hx-include="#task-form"' in page
    assert "Введите текст ответа" in page

    response = executor.post(f"/tasks/{draft}/checks", data={"reply_text": "Воду дадут в установленном <> порядке"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and "<section" not in fragment
    assert check_states(fragment) == {**ALL_OK, "greeting": False, "polite_address": False, "template": False}
    assert "«в установленном &lt;&gt; порядке»" in fragment

    fragment = executor.post(f"/tasks/{draft}/checks", data={"reply_text": GOOD}).get_data(as_text=True)
    assert check_states(fragment) == ALL_OK

    assert login(app, "kdh.exec1").post(f"/tasks/{draft}/checks", data={"reply_text": GOOD}).status_code == 404


def test_the_curator_sees_the_checks_of_the_draft_to_approve(app: Flask) -> None:
    curator, executor, draft = draft_task(app)
    text = "Здравствуйте, Ирина! Доводим до вашего сведения, что воду дадут сегодня."
    assert executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                  "reply_text": text}).status_code == 302
    approval = open_inbox_task(curator, "Согласование проекта ответа")
    page = curator.get(f"/tasks/{approval}").get_data(as_text=True)
    # The curator may edit the text while approving (issue 14): the checks follow the edit as it is typed.
    assert "Проверка версии 1" in page and "input from:#f-approval_text" in page.split('id="reply-checks"')[1][:200]
    assert check_states(page) == {**ALL_OK, "template": False}
    assert "«Доводим до вашего сведения»" in page

    assert curator.post(f"/tasks/{approval}", data={"approval_decision": "return",
                                                    "approval_comment": "Без шаблонов"}).status_code == 302
    rework = open_inbox_task(executor, "Доработка проекта ответа")
    page = executor.get(f"/tasks/{rework}").get_data(as_text=True)
    assert f'hx-post="/tasks/{rework}/checks"' in page
    assert check_states(page) == {**ALL_OK, "template": False}


def test_the_length_limit_is_shown_and_enforced(app: Flask) -> None:
    _, executor, draft = draft_task(app, channel="video", url="https://youtube.com/watch?v=abc")
    text = "Здравствуйте, Ирина! " + "Воду дадут сегодня. " * 60
    fragment = executor.post(f"/tasks/{draft}/checks", data={"reply_text": text}).get_data(as_text=True)
    assert check_states(fragment)["length"] is False and f"{len(text)} из 1000" in fragment
    response = executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                      "reply_text": text})
    assert response.status_code == 422
