"""Publishing a draft from the workbench over HTTP (roles, problems refused, success, a version published meanwhile)
and the comparison page of two versions or of the draft with the current version."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from services.library.versions import publish as publish_library
from tests.conftest import login
from tests.engine.test_validation import REGIONAL
from tests.test_processes_cli import current_numbers, restore_regional
from tests.web.test_workbench import diagram, save, start

DEADLINE_DRAFT = '<spiffworkflow:property name="deadline" value="draft"/>'
DEADLINE_PART = '<spiffworkflow:property name="deadline" value="part"/>'


@pytest.fixture
def methodologist(app: Flask) -> Iterator[FlaskClient]:
    """A methodologist's client; afterwards no drafts and the regional library current again."""
    yield login(app, "methodologist")
    with app.extensions["otklik.engine"].begin() as conn:
        conn.execute(text("DELETE FROM process_draft"))
    restore_regional(app)


def edit(client: FlaskClient, draft_id: int, old: str = DEADLINE_DRAFT, new: str = DEADLINE_PART) -> int:
    """Save the draft's case diagram with one replacement; the new revision."""
    xml, revision = diagram(client, draft_id)
    assert old in xml
    status, answer = save(client, draft_id, xml.replace(old, new, 1), revision)
    assert status == 200, answer
    return int(answer["revision"])


def publish(client: FlaskClient, draft_id: int, revision: int, comment: str = "Срок проекта как у органа",
            replacing: tuple[int, ...] = ()) -> tuple[int, str]:
    response = client.post(f"/workbench/drafts/{draft_id}/publish",
                           data={"revision": revision, "comment": comment, "replacing": list(replacing)})
    return response.status_code, html.unescape(response.get_data(as_text=True))


def test_a_published_draft_becomes_the_current_version_and_closes(app: Flask, methodologist: FlaskClient) -> None:
    before = current_numbers(app)["case_148rg"]
    draft_id = start(methodologist)
    revision = edit(methodologist, draft_id)
    assert publish(methodologist, draft_id, revision, comment=" ")[0] == 422  # the comment is required
    assert publish(methodologist, draft_id, revision)[0] == 302
    library = html.unescape(methodologist.get("/processes/").get_data(as_text=True))
    assert f"Опубликовано: case_148rg v{before + 1}." in library
    assert re.search(rf'Текущая версия: <strong>v{before + 1}</strong>,\s*24\.11\.2026 10:00, Волкова Елена Игоревна: '
                     r'«Срок проекта как у органа»', library)
    assert current_numbers(app)["case_148rg"] == before + 1
    assert methodologist.get(f"/workbench/drafts/{draft_id}").status_code == 404  # the draft is closed
    new_draft = start(methodologist)  # the next edit starts from the new current version
    assert DEADLINE_PART in diagram(methodologist, new_draft)[0]


def test_a_draft_with_problems_or_no_changes_or_a_stale_revision_is_refused_and_nothing_changes(
        app: Flask, methodologist: FlaskClient) -> None:
    before = current_numbers(app)
    draft_id = start(methodologist)
    status, page = publish(methodologist, draft_id, 1)
    assert status == 422 and "Черновик не отличается от текущих версий: публиковать нечего" in page
    revision = edit(methodologist, draft_id, '<spiffworkflow:property name="formJsonSchemaFilename" '
                    'value="draft.schema.json"/>', "")
    status, page = publish(methodologist, draft_id, revision)
    assert status == 422
    assert "Библиотека процессов не прошла проверку" in page
    assert re.search(r'<li data-file="case.bpmn" data-element="draft">case.bpmn, draft: [^<]*форм', page)
    status, page = publish(methodologist, draft_id, revision - 1)
    assert status == 409 and f"теперь редакция {revision}" in page
    assert current_numbers(app) == before
    assert diagram(methodologist, draft_id)[1] == revision  # the draft is kept


def test_a_version_published_meanwhile_is_replaced_only_when_confirmed(app: Flask, methodologist: FlaskClient) -> None:
    before = current_numbers(app)["case_148rg"]
    draft_id = start(methodologist)
    revision = edit(methodologist, draft_id)
    files = dict(REGIONAL)  # meanwhile someone publishes another library, as the zip upload does
    files["parameters.json"] = files["parameters.json"].replace('"after_interim": {"value": 7,',
                                                                '"after_interim": {"value": 5,')
    session = app.extensions["otklik.sessions"]()
    publish_library(session=session, clock=app.config["CLOCK"], files=files, comment="Срок 8.8: 5 дней",
                    author=None)
    session.commit()
    session.close()
    status, page = publish(methodologist, draft_id, revision)
    assert status == 409
    assert "После того как черновик был начат, опубликовано: body_part" in page
    assert f"case_148rg v{before + 1} (24.11.2026 10:00, cli)" in page
    assert "Заменить эти версии и опубликовать" in page
    replacing = tuple(int(v) for v in re.findall(r'name="replacing" value="(\d+)"', page))
    assert replacing and current_numbers(app)["case_148rg"] == before + 1
    status, page = publish(methodologist, draft_id, revision, replacing=replacing)
    assert status == 302, page
    assert current_numbers(app)["case_148rg"] == before + 2


@pytest.mark.parametrize("username", ["curator", "kdh.exec1", "leader"])
def test_only_methodologists_and_administrators_publish_and_compare(
        app: Flask, methodologist: FlaskClient, username: str) -> None:
    before = current_numbers(app)
    draft_id = start(methodologist)
    revision = edit(methodologist, draft_id)
    client = login(app, username)
    assert publish(client, draft_id, revision)[0] == 403
    assert client.get("/workbench/processes/case_148rg/compare").status_code == 403
    assert "compare" not in client.get("/processes/").get_data(as_text=True)
    assert current_numbers(app) == before
    assert publish(login(app, "admin"), draft_id, revision)[0] == 302


def test_the_comparison_page_lists_the_drafts_changes_against_the_current_version(
        methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    edit(methodologist, draft_id)
    library = methodologist.get("/processes/").get_data(as_text=True)
    assert 'href="/workbench/processes/case_148rg/compare?new=draft"' in library
    response = methodologist.get("/workbench/processes/case_148rg/compare?new=draft")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert 'data-file="case.bpmn"' in page
    row = re.search(r'<tr class="change" data-file="case.bpmn" data-element="draft" data-kind="changed">(.*?)</tr>',
                    page, re.S)
    assert row and "Задача «Подготовка проекта ответа»" in row.group(1) and "срок" in row.group(1)
    assert re.search(r"<td class=\"value\">draft</td>\s*<td class=\"value\">part</td>", row.group(1))
    assert '"element_id": "draft", "kind": "changed"' in page  # the mark the viewers colour
    same = methodologist.get("/workbench/processes/case_148rg/compare?old=v1&new=v1")
    assert "Различий нет" in same.get_data(as_text=True)
    for query, status in (("old=v99", 404), ("old=latest", 422), ("new=v1&file=nope.bpmn", 404)):
        assert methodologist.get(f"/workbench/processes/case_148rg/compare?{query}").status_code == status, query
    assert methodologist.get("/workbench/processes/nope/compare").status_code == 404
