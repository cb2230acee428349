"""Issue 14, defect 10: the reply checks, the history's notes, the integrity check and the command line read in
English in English mode (the pages after /lang/en, the API with Accept-Language: en, the CLI with OTKLIK_LANG=en);
Russian stays the default everywhere."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

from flask import Flask
from sqlalchemy import update

from models import Case, HumanTask
from services.workflow import add_event
from tests.conftest import api_token, login
from tests.test_cli import run
from tests.web.test_english_texts import EN
from tests.web.test_inbox import person, send, tasks
from tests.web.test_main_path import open_inbox_task, register
from tests.web.test_regulation import triaged
from tests.web.test_reply_checks import draft_task

NO_GREETING = "Воду дадут сегодня к 18:00, Ирина."
GREETING_EN = "Start the reply with a greeting: «Здравствуйте», «Добрый день»… (cl. 11)"
GREETING_RU = "Начните ответ с приветствия: «Здравствуйте», «Добрый день»… (п. 11)"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def english(app: Flask, username: str) -> Any:
    client = login(app, username)
    assert client.post("/lang/en").status_code == 302
    return client


def test_the_reply_checks_of_a_draft_read_in_english(app: Flask) -> None:
    curator, executor, draft = draft_task(app)
    fragment = _text(executor.post(f"/tasks/{draft}/checks", data={"reply_text": NO_GREETING}).get_data(as_text=True))
    assert GREETING_RU in fragment and "Есть обращение к автору по имени: «Ирина»" in fragment

    assert executor.post("/lang/en").status_code == 302
    fragment = _text(executor.post(f"/tasks/{draft}/checks", data={"reply_text": NO_GREETING}).get_data(as_text=True))
    assert GREETING_EN in fragment and "Addresses the author by name: «Ирина»" in fragment
    assert "No redirection to another body" in fragment and "The length suits ВКонтакте: 34 of 4096" in fragment
    assert "п. 11" not in fragment and "Нет " not in fragment

    text = "Здравствуйте, Ирина! Доводим до вашего сведения, что воду дадут сегодня."
    assert executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                  "reply_text": text}).status_code == 302
    task = open_inbox_task(curator, "Согласование проекта ответа")
    assert "Шаблонные фразы: «Доводим до вашего сведения» — скажите проще и по существу (п. 11)" \
        in _text(curator.get(f"/tasks/{task}").get_data(as_text=True))
    assert curator.post("/lang/en").status_code == 302
    page = _text(curator.get(f"/tasks/{task}").get_data(as_text=True))
    assert "Boilerplate phrases: «Доводим до вашего сведения» — say it more simply and to the point (cl. 11)" in page
    assert "Has a greeting" in page and "Шаблонные фразы" not in page


def test_a_templates_failed_checks_read_in_english(app: Flask) -> None:
    form = {"theme": "heating", "title": "Вода", "text": "воду дадут"}
    russian = _text(login(app, "kgkh.resp").post("/reply-templates", data=form).get_data(as_text=True))
    assert f"Шаблон не проходит проверки пп. 9 и 11: {GREETING_RU}; Обратитесь к автору" in russian
    page = _text(english(app, "kgkh.resp").post("/reply-templates", data=form).get_data(as_text=True))
    assert (f"The template fails the checks of clauses 9 and 11: {GREETING_EN}; Address the author by name or "
            "with a capitalised «Вы» (cl. 11)") in page
    assert "воду дадут" in page  # what was typed stays


def test_who_took_a_task_is_named_in_the_nominative_in_english(app: Flask) -> None:
    """Russian declines the name in «в работе у Егорова И. А.»; English reads it as written: «Егоров И. А.»."""
    case_id = send(person(app, "curator"), 1)
    egorov = person(app, "kgkh.exec1")
    task = tasks(egorov, f"case_id={case_id}")[0]["id"]
    assert egorov.post(f"/inbox/tasks/{task}/take").status_code == 303
    kozlova = english(app, "kgkh.exec2")
    assert "in work with Егоров И. А." in html.unescape(kozlova.get("/inbox?scope=body").get_data(as_text=True))
    page = html.unescape(kozlova.get(f"/tasks/{task}").get_data(as_text=True))
    assert "The task is in work with Егоров И. А.: you see it for information." in page
    russian = person(app, "kgkh.resp")  # not Козлова: her language is English now, at any login
    assert "в работе у Егорова И. А." in russian.get("/inbox?scope=body").get_data(as_text=True)


def test_the_history_notes_and_the_system_read_in_the_readers_language(app: Flask, sessions: Any) -> None:
    curator = person(app, "curator")
    case_id = send(curator, 1)
    egorov = person(app, "kgkh.exec1")
    task = tasks(egorov, f"case_id={case_id}")[0]["id"]
    assert egorov.post(f"/inbox/tasks/{task}/take").status_code == 303
    assert egorov.post(f"/inbox/tasks/{task}/release").status_code == 303
    with sessions() as session:
        add_event(session=session, case=session.get(Case, case_id), at=app.config["CLOCK"].now(), actor=None,
                  kind="deadline_changed")
        session.commit()

    client = app.test_client()
    bearer = api_token(client, "curator")
    history = client.get(f"/api/v1/cases/{case_id}", headers={**bearer, **EN}).json["history"]
    assert [e["details"]["assignment"] for e in history if e["kind"] == "assigned"] == [
        "Taken into work: Егоров И. А.", "Returned to the queue from Егоров И. А."]
    assert history[-1]["actor"] == "System"
    history = client.get(f"/api/v1/cases/{case_id}", headers=bearer).json["history"]
    assert [e["details"]["assignment"] for e in history if e["kind"] == "assigned"] == [
        "Взято в работу: Егоров И. А.", "Возвращено в очередь от Егорова И. А."]
    assert history[-1]["actor"] == "Система"

    page = _text(english(app, "curator").get(f"/cases/{case_id}").get_data(as_text=True))
    assert "Assignment: Taken into work: Егоров И. А." in page and "Взято в работу" not in page
    assert re.search(r"System Deadline recalculated", page), page[page.find("History"):][:600]
    russian = login(app, "curator")  # the curator's English follows them to a new login: they switch back
    assert russian.post("/lang/ru").status_code == 302
    page = _text(russian.get(f"/cases/{case_id}").get_data(as_text=True))
    assert "Назначение: Взято в работу: Егоров И. А." in page and "Система Срок пересчитан" in page


def test_a_case_page_says_why_an_earlier_case_may_be_a_repeat_in_english(app: Flask) -> None:
    triaged(app)
    curator = english(app, "curator")
    second = register(login(app, "curator"), url="https://vk.com/wall-1_100?reply=55", text="Опять нет воды!")
    page = _text(curator.get(f"/cases/{second}").get_data(as_text=True))
    assert "same author, same post or thread" in page and "тот же автор" not in page


def test_the_accounts_csv_has_english_column_titles_in_english(app: Flask) -> None:
    rows = list(csv.reader(io.StringIO(english(app, "admin").get("/accounts/export.csv").get_data()
                                       .decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Body", "Channel", "Name", "Link"]


def test_the_command_line_speaks_english_with_otklik_lang_en(app: Flask, sessions: Any) -> None:
    case_id = triaged(app)
    cli = app.test_cli_runner()
    english_check = cli.invoke(args=["cases", "check"], env={"OTKLIK_LANG": "en"})
    assert english_check.exit_code == 0 and english_check.output == "Open cases agree with their workflows\n"
    assert run(app, "cases", "check") == (0, "Открытые случаи согласованы со своими процессами\n")

    with sessions() as session:
        session.execute(update(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "open")
                        .values(task_guid="lost"))
        session.commit()
    check = cli.invoke(args=["cases", "check"], env={"OTKLIK_LANG": "en"})
    assert check.exit_code == 1
    assert f"case {case_id}: task «draft» (lost) is in the inbox but the workflow does not wait for it" in check.output
    assert "задача" not in check.output
    assert f"случай {case_id}: задача «draft» (lost) во входящих, но в процессе не ждёт" \
        in run(app, "cases", "check")[1]

    bodies = cli.invoke(args=["bodies", "list"], env={"OTKLIK_LANG": "en"}).output
    assert " (curator)\n" in bodies and "куратор" not in bodies
    assert "(куратор)" in run(app, "bodies", "list")[1]
    refused = cli.invoke(args=["calendar", "due", "--start", "2026-03-06T12:00"], env={"OTKLIK_LANG": "en"})
    assert refused.exit_code == 2 and "«2026-03-06T12:00»: give the time zone offset, e.g. +03:00" in refused.output
    created = cli.invoke(args=["users", "create", "--username", "cli.en", "--password", "secret-pass", "--role",
                               "executor", "--body", "kdh"], env={"OTKLIK_LANG": "en"})
    assert (created.exit_code, created.output) == (0, "Created user cli.en (executor)\n")
    refused = cli.invoke(args=["users", "create", "--username", "cli.en", "--password", "secret-pass", "--role",
                               "executor", "--body", "kdh"], env={"OTKLIK_LANG": "en"})
    assert refused.exit_code == 2 and refused.output.startswith("Error: ") and "Ошибка" not in refused.output
