"""Drafts of the process library over HTTP: start, read, save, stale revisions, bad XML, roles, condition checks."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.conftest import login

DATA = "/workbench/data"


@pytest.fixture
def methodologist(app: Flask) -> Iterator[FlaskClient]:
    """A methodologist's client; the drafts are removed after the test."""
    yield login(app, "methodologist")
    with app.extensions["otklik.engine"].begin() as conn:
        conn.execute(text("DELETE FROM process_draft"))


def start(client: FlaskClient, process_id: str = "case_148rg") -> int:
    response = client.post(f"/workbench/processes/{process_id}/draft")
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/workbench/drafts/(\d+)$", response.headers["Location"])
    assert match
    return int(match.group(1))


def diagram(client: FlaskClient, draft_id: int, name: str = "case.bpmn") -> tuple[str, int]:
    response = client.get(f"{DATA}/drafts/{draft_id}/files/{name}")
    assert response.status_code == 200
    return response.get_data(as_text=True), int(response.headers["X-Draft-Revision"])


def save(client: FlaskClient, draft_id: int, xml: str, revision: int, name: str = "case.bpmn",
         comment: str = "") -> tuple[int, dict]:
    response = client.post(f"{DATA}/drafts/{draft_id}/files/{name}",
                           json={"xml": xml, "revision": revision, "comment": comment})
    return response.status_code, response.get_json()


def test_a_draft_starts_as_a_copy_of_the_current_version_and_is_listed(methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    xml, revision = diagram(methodologist, draft_id)
    assert revision == 1
    assert '<bpmn:process id="case_148rg"' in xml
    assert start(methodologist) == draft_id  # one draft per process: the same one opens again
    page = methodologist.get(f"/workbench/drafts/{draft_id}").get_data(as_text=True)
    assert 'id="workbench"' in page and 'data-file="case.bpmn"' in page
    assert '"draft.schema.json"' in page and '"after_interim"' in page  # the panel's choices
    library = methodologist.get("/processes/").get_data(as_text=True)
    assert f'href="/workbench/drafts/{draft_id}"' in library and "редакция 1" in library


def test_a_save_stores_the_diagram_returns_problems_and_refuses_a_stale_revision(
        app: Flask, methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    xml, revision = diagram(methodologist, draft_id)
    changed = xml.replace('<spiffworkflow:property name="deadline" value="draft"/>',
                          '<spiffworkflow:property name="deadline" value="part"/>')
    assert changed != xml
    status, answer = save(methodologist, draft_id, changed, revision, comment="Срок проекта как у органа")
    assert status == 200, answer
    assert answer["revision"] == 2 and answer["problems"] == []
    assert answer["saved_by"] == "Волкова Елена Игоревна"
    assert diagram(methodologist, draft_id) == (changed, 2)

    other = login(app, "admin")  # a second editor still on revision 1
    status, answer = save(other, draft_id, xml, revision)
    assert status == 409
    message = answer["error"]["message"]
    assert answer["error"]["code"] == "conflict"
    assert "уже изменил(а) Волкова Елена Игоревна 24.11.2026 в 10:00 (редакция 2)" in message
    assert diagram(methodologist, draft_id) == (changed, 2)  # nothing overwritten

    broken = changed.replace("<bpmn:userTask id=\"draft\"", "<bpmn:scriptTask id=\"draft\"", 1)
    broken = broken.replace("</bpmn:userTask>\n      <bpmn:boundaryEvent id=\"draft_warning\"",
                            "</bpmn:scriptTask>\n      <bpmn:boundaryEvent id=\"draft_warning\"", 1)
    status, answer = save(methodologist, draft_id, broken, 2)
    assert status == 200, answer  # a draft with problems is saved; publishing will refuse it
    assert {"file": "case.bpmn", "element_id": "draft"} in [
        {k: p[k] for k in ("file", "element_id")} for p in answer["problems"]]
    assert any("сценарии на Python" in p["message"] for p in answer["problems"])


def test_bad_xml_is_refused_in_russian_and_nothing_is_lost(methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    xml, revision = diagram(methodologist, draft_id)
    for bad in ("<bpmn:definitions", "не XML вовсе", '<?xml version="1.0"?><html/>'):
        status, answer = save(methodologist, draft_id, bad, revision)
        assert status == 422, answer
        assert answer["error"]["message"].startswith("Диаграмма case.bpmn не сохранена:")
    assert diagram(methodologist, draft_id) == (xml, revision)
    response = methodologist.post(f"{DATA}/drafts/{draft_id}/files/case.bpmn", data="xml")
    assert response.status_code == 422 and "JSON" in response.get_json()["error"]["message"]
    status, answer = save(methodologist, draft_id, xml, revision, name="triage.schema.json")
    assert status == 404 and answer["error"]["message"] == "Диаграмма не найдена в черновике"


@pytest.mark.parametrize("username", ["curator", "kdh.exec1", "kdh.resp", "leader"])
def test_only_methodologists_and_administrators_reach_the_workbench(
        app: Flask, methodologist: FlaskClient, username: str) -> None:
    draft_id = start(methodologist)
    xml, revision = diagram(methodologist, draft_id)
    client = login(app, username)
    assert client.post("/workbench/processes/case_148rg/draft").status_code == 403
    assert client.get(f"/workbench/drafts/{draft_id}").status_code == 403
    response = client.get(f"{DATA}/drafts/{draft_id}/files/case.bpmn")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert save(client, draft_id, xml, revision)[0] == 403
    assert client.post(f"{DATA}/conditions/check", json={"expression": "x == 1"}).status_code == 403
    assert "Создать черновик" not in client.get("/processes/").get_data(as_text=True)
    assert diagram(methodologist, draft_id) == (xml, revision)


@pytest.mark.parametrize(("expression", "message"), [
    ('importance == "high"', None),
    ('count("reassign") < limit("reassignments")', None),
    ('__import__("os")', "двойным подчёркиванием"),
    ('open("x")', "функция «open» неизвестна"),
    ("importance = 'high'", "выражение"),
    ("   ", "Условие пусто"),
])
def test_a_condition_is_checked_by_the_expression_language(
        methodologist: FlaskClient, expression: str, message: str | None) -> None:
    answer = methodologist.post(f"{DATA}/conditions/check", json={"expression": expression}).get_json()
    assert answer["ok"] is (message is None)
    assert (answer["message"] is None) if message is None else (message in answer["message"])
