"""The draft's sandbox over HTTP: start, the first deadlines on the real calendar as a real case gets them, complete
triage, fire a timer; nothing reaches the case tables or notifications."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from engine.clock import MOSCOW
from tests.conftest import CASE_TABLES, login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register
from tests.web.test_regulation import case_json
from tests.web.test_workbench import diagram, save, start


@pytest.fixture
def methodologist(app: Flask) -> Iterator[FlaskClient]:
    """A methodologist's client; drafts and their trial runs are removed after the test."""
    yield login(app, "methodologist")
    with app.extensions["otklik.engine"].begin() as conn:
        conn.execute(text("DELETE FROM sandbox_run"))
        conn.execute(text("DELETE FROM process_draft"))


def page(client: FlaskClient, draft_id: int) -> str:
    response = client.get(f"/workbench/drafts/{draft_id}/sandbox")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def begin(client: FlaskClient, draft_id: int, moment: str = "2026-11-24T10:00") -> str:
    response = client.post(f"/workbench/drafts/{draft_id}/sandbox/start", data={"start_at": moment, "channel": "vk"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return page(client, draft_id)


def task_of(html_page: str, step: str) -> tuple[str, str]:
    """(the trial task's id, its card) of an open step."""
    card = re.search(r'<article class="sandbox-task" data-step="' + step + '">.*?</article>', html_page, re.S)
    assert card, f"no open step {step}"
    task_id = re.search(r"/sandbox/tasks/([0-9a-f-]+)", card.group(0))
    assert task_id
    return task_id.group(1), card.group(0)


def complete(client: FlaskClient, draft_id: int, html_page: str, step: str, form: dict[str, str]) -> str:
    task_id, _ = task_of(html_page, step)
    response = client.post(f"/workbench/drafts/{draft_id}/sandbox/tasks/{task_id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return page(client, draft_id)


def counts(app: Flask) -> dict[str, int]:
    with app.extensions["otklik.engine"].connect() as conn:
        return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in CASE_TABLES}


def test_only_editors_open_the_sandbox(app: Flask, methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    for username in ("curator", "kgkh.exec1", "leader"):
        client = login(app, username)
        assert client.get(f"/workbench/drafts/{draft_id}/sandbox").status_code == 403, username
        assert client.post(f"/workbench/drafts/{draft_id}/sandbox/start", data={"channel": "vk"}).status_code == 403
    assert "Проверить на примере" in methodologist.get(f"/workbench/drafts/{draft_id}").get_data(as_text=True)


def test_a_trial_run_steps_through_the_draft_and_writes_no_case(app: Flask, methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    before = counts(app)
    first = begin(methodologist, draft_id)
    _, card = task_of(first, "triage")
    assert '<dd class="task-role">Куратор</dd>' in card and '<dd class="task-due">—</dd>' in card
    assert 'name="triage_decision"' in card and 'name="theme"' in card, "the executor's own form"
    assert "Открыта задача: Отбор и классификация сообщения" in first

    bad = methodologist.post(f"/workbench/drafts/{draft_id}/sandbox/tasks/{task_of(first, 'triage')[0]}",
                             data={"triage_decision": "send"})
    assert bad.status_code == 422 and 'class="error" role="alert"' in bad.get_data(as_text=True)

    second = complete(methodologist, draft_id, first, "triage", TRIAGE)
    _, card = task_of(second, "draft")
    assert '<dd class="task-role">Исполнитель (орган)</dd>' in card
    assert '<dd class="task-due">24.11.2026 15:48</dd>' in card
    assert '<dd class="task-warning">24.11.2026 14:48</dd>' in card
    assert "25.11.2026 10:48" in second, "the case deadline: 9 working hours"

    fired = methodologist.post(f"/workbench/drafts/{draft_id}/sandbox/advance")
    assert fired.status_code == 302
    third = page(methodologist, draft_id)
    assert '<span id="sandbox-now">24.11.2026 14:48</span>' in third
    assert "Было бы отправлено предупреждение о сроке: Подготовка проекта ответа" in third
    methodologist.post(f"/workbench/drafts/{draft_id}/sandbox/advance")
    assert "Было бы записано нарушение срока: Подготовка проекта ответа" in page(methodologist, draft_id)
    assert counts(app) == before, "no case, task, timer, history entry, breach or notification"


def test_the_first_deadlines_equal_those_of_a_real_case(app: Flask, methodologist: FlaskClient) -> None:
    curator = login(app, "curator")
    case_id = register(curator)
    assert curator.post(f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}",
                        data=TRIAGE).status_code == 302
    real = case_json(curator, case_id)
    draft_id = start(methodologist)
    trial = complete(methodologist, draft_id, begin(methodologist, draft_id), "triage", TRIAGE)
    _, card = task_of(trial, "draft")
    [task] = real["open_tasks"]
    assert task["name"] == "Подготовка проекта ответа"
    assert f'<dd class="task-due">{msk(task["due_at"])}</dd>' in card
    assert f"{msk(task['case_due_at'])}</td><td>общий срок ответа" in trial


def msk(moment: str) -> str:
    """An API moment as the pages show it."""
    return datetime.fromisoformat(moment).astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M")


def test_a_draft_with_problems_is_refused_with_them(app: Flask, methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    xml, revision = diagram(methodologist, draft_id)
    broken = xml.replace('<spiffworkflow:property name="formJsonSchemaFilename" value="triage.schema.json"/>', "")
    assert save(methodologist, draft_id, broken, revision)[0] == 200
    shown = page(methodologist, draft_id)
    assert "Черновик нельзя запустить" in shown and 'data-element="triage"' in shown
    refused = methodologist.post(f"/workbench/drafts/{draft_id}/sandbox/start", data={"channel": "vk"})
    assert refused.status_code == 422
    assert "Библиотека процессов не прошла проверку" in html.unescape(refused.get_data(as_text=True))
