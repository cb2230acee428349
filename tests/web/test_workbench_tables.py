"""Decision tables of a draft over HTTP: listed, read, saved with the revision check, problems named, roles."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login
from tests.web.test_workbench import DATA, methodologist, start

__all__ = ["methodologist"]  # the fixture, used by name
TABLE = "competent_body.dmn"


def table(client: FlaskClient, draft_id: int) -> tuple[str, int]:
    response = client.get(f"{DATA}/drafts/{draft_id}/tables/{TABLE}")
    assert response.status_code == 200
    return response.get_data(as_text=True), int(response.headers["X-Draft-Revision"])


def save(client: FlaskClient, draft_id: int, xml: str, revision: int) -> tuple[int, dict]:
    response = client.post(f"{DATA}/drafts/{draft_id}/tables/{TABLE}", json={"xml": xml, "revision": revision})
    return response.status_code, response.get_json()


def test_a_table_is_listed_opened_saved_and_checked(app: Flask, methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    page = methodologist.get(f"/workbench/drafts/{draft_id}").get_data(as_text=True)
    assert f'href="/workbench/drafts/{draft_id}/tables/{TABLE}"' in page
    editor = methodologist.get(f"/workbench/drafts/{draft_id}/tables/{TABLE}").get_data(as_text=True)
    assert 'id="table-editor"' in editor and "dmn-modeler.production.min.js" in editor
    xml, revision = table(methodologist, draft_id)
    assert revision == 1 and 'hitPolicy="COLLECT"' in xml

    feel = xml.replace('<text>"lighting"</text>', "<text>not(\"lighting\")</text>", 1)
    status, answer = save(methodologist, draft_id, feel, revision)
    assert status == 200 and answer["revision"] == 2
    assert [(p["file"], p["element_id"]) for p in answer["problems"]] == [(TABLE, "rule_lighting_theme")]
    assert "отрицание FEEL" in answer["problems"][0]["message"]
    assert table(methodologist, draft_id) == (feel, 2)

    status, answer = save(login(app, "admin"), draft_id, xml, revision)  # still on revision 1
    assert status == 409 and "редакция 2" in answer["error"]["message"]
    status, answer = save(methodologist, draft_id, "<definitions", 2)
    assert status == 422 and "не сохранена" in answer["error"]["message"]
    assert table(methodologist, draft_id) == (feel, 2)  # nothing overwritten
    assert methodologist.get(f"{DATA}/drafts/{draft_id}/tables/case.bpmn").status_code == 404
    assert methodologist.get(f"/workbench/drafts/{draft_id}/tables/nowhere.dmn").status_code == 404


def test_only_editors_reach_the_tables(app: Flask, methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    for username in ("curator", "kgkh.exec1", "leader"):
        client = login(app, username)
        assert client.get(f"/workbench/drafts/{draft_id}/tables/{TABLE}").status_code == 403
        assert client.get(f"{DATA}/drafts/{draft_id}/tables/{TABLE}").status_code == 403
        assert client.post(f"{DATA}/drafts/{draft_id}/tables/{TABLE}", json={"xml": "", "revision": 1}) \
            .status_code == 403
