"""Moving open cases to the current process version over HTTP: roles, the preview, the move, the history entry."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.library.versions import publish
from tests.conftest import login
from tests.test_processes_cli import restore_regional
from tests.variants import interim_days, legal_review, renamed_triage, shipped
from tests.web.test_main_path import TRIAGE, open_inbox_task, register
from tests.web.test_regulation import case_json

PAGE = "/workbench/processes/case_148rg/migration"


@pytest.fixture(autouse=True)
def _regional_after(app: Flask) -> Iterator[None]:
    yield
    restore_regional(app)


def publish_v2(app: Flask) -> None:
    """A new version: triage under another id, a legal review after approval, 5 days after an interim reply."""
    session = app.extensions["otklik.sessions"]()
    publish(session=session, clock=app.config["CLOCK"], comment="Юридическая проверка",
            files=legal_review(interim_days(renamed_triage(shipped()), 5)), author=None)
    session.commit()
    session.close()


def at_approval(app: Flask, curator: FlaskClient) -> int:
    """A case whose reply waits for the curator's approval."""
    case_id = register(curator, url="https://vk.com/wall-1_100")
    assert curator.post(f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}",
                        data=TRIAGE).status_code == 302
    executor = login(app, "kgkh.exec1")
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    assert executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "interim",
                                                  "reply_text": "Здравствуйте! Проверяем."}).status_code == 302
    return case_id


def test_only_methodologists_and_admins_move_cases(app: Flask) -> None:
    for username in ("curator", "kgkh.exec1", "leader"):
        assert login(app, username).get(PAGE).status_code == 403, username
        assert login(app, username).post(PAGE, data={"case": "1"}).status_code == 403, username
    for username in ("methodologist", "admin"):
        page = login(app, username).get(PAGE)
        assert page.status_code == 200 and "Все открытые случаи уже на текущей версии" in page.get_data(as_text=True)


def test_preview_then_move_the_movable_case_with_a_history_entry(app: Flask) -> None:
    curator = login(app, "curator")
    moving = at_approval(app, curator)
    staying = register(curator, url="https://vk.com/wall-1_200")
    publish_v2(app)
    methodologist = login(app, "methodologist")
    library = html.unescape(methodologist.get("/processes/").get_data(as_text=True))
    assert f'href="{PAGE}"' in library, "the version history links to the move"

    old = case_json(curator, moving)["process_version"]
    new = old + 1
    page = html.unescape(methodologist.get(PAGE).get_data(as_text=True))
    assert f'<tr class="case movable" data-case="{moving}">' in page
    assert f'<tr class="case stays" data-case="{staying}">' in page
    assert "Шага «Отбор и классификация сообщения», на котором случай ждёт, нет в новой версии" in page
    assert case_json(curator, moving)["process_version"] == old, "a preview moves nothing"

    answer = methodologist.post(PAGE, data={"case": [str(moving), str(staying)]})
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 200
    assert f"№ {moving}: переведён с v{old} на v{new}" in page
    assert f"№ {staying}: остался на v{old} — Шага «Отбор и классификация сообщения»" in page
    assert case_json(curator, moving)["process_version"] == new
    assert case_json(curator, staying)["process_version"] == old
    history = html.unescape(curator.get(f"/cases/{moving}").get_data(as_text=True))
    assert f"Случай переведён на версию v{new}" in history

    # The moved case continues on v2: the same approval task, then the legal review added after it.
    approval = open_inbox_task(curator, "Согласование проекта ответа")
    assert curator.post(f"/tasks/{approval}", data={"approval_decision": "approve"}).status_code == 302
    review = open_inbox_task(curator, "Юридическая проверка ответа")
    assert curator.post(f"/tasks/{review}", data={"approval_decision": "approve"}).status_code == 302
    assert [t["name"] for t in case_json(curator, moving)["open_tasks"]] == ["Публикация ответа"]
    page = html.unescape(methodologist.get(PAGE).get_data(as_text=True))
    assert f'data-case="{moving}"' not in page and f'data-case="{staying}"' in page
