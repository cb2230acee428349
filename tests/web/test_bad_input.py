"""Input no person means to send: each gets a 4xx with a code and a Russian message, never a 500, and saves nothing."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from models import Case
from tests.conftest import api_token, login
from tests.web.test_main_path import MESSAGE, TRIAGE, open_inbox_task, register

RUSSIAN = re.compile("[А-Яа-яЁё]")
BEYOND_IDS = (2**31, 2**63, 10**20)  # PostgreSQL's integer, SQLite's, and past both


def cases(app: Flask) -> int:
    with app.extensions["otklik.sessions"]() as session:
        return int(session.scalar(select(func.count()).select_from(Case)))


def api_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The error object of an API answer, checked: status, code, a Russian message, fields."""
    assert response.status_code == status, response.get_data(as_text=True)
    error: dict[str, Any] = response.json["error"]
    assert error["code"] == code and RUSSIAN.search(error["message"]) and isinstance(error["fields"], dict)
    return error


def page_error(response: Any, status: int) -> str:
    """The error page of a refused request, checked: status and a Russian message."""
    assert response.status_code == status
    html: str = response.get_data(as_text=True)
    assert 'class="card error-page"' in html and RUSSIAN.search(html)
    return html


@pytest.mark.parametrize("number", BEYOND_IDS)
def test_ids_beyond_the_integer_range_find_nothing(app: Flask, number: int) -> None:
    client = app.test_client()
    headers = api_token(client, "curator")
    for path in (f"/api/v1/tasks/{number}", f"/api/v1/cases/{number}"):
        api_error(client.get(path, headers=headers), 404, "not_found")
    api_error(client.post(f"/api/v1/tasks/{number}/complete", json={}, headers=headers), 404, "not_found")
    curator = login(app, "curator")
    for path in (f"/cases/{number}", f"/tasks/{number}", f"/governor/{number}", f"/notifications/{number}/open"):
        page_error(curator.get(path), 404)
    response = curator.post(f"/cases/{register(curator)}/links", data={"earlier_id": str(number)})
    page_error(response, 422)


POSTS = ("/api/v1/auth/token", "/api/v1/messages", "/api/v1/tasks/1/complete")


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("depth", (33, 100_000))
def test_deeply_nested_json_is_refused(app: Flask, path: str, depth: int) -> None:
    client = app.test_client()
    response = client.post(path, data="[" * depth + "]" * depth, content_type="application/json",
                           headers=api_token(client, "curator"))
    api_error(response, 400, "bad_request")


@pytest.mark.parametrize(("field", "value"), [("text", "\ud800"), ("text", "a\x00b"), ("url", "https://vk.com/\x00"),
                                              ("author", "\udfff автор")])
def test_text_no_column_takes_is_refused_over_the_api(app: Flask, field: str, value: str) -> None:
    client = app.test_client()
    response = client.post("/api/v1/messages", json={**MESSAGE, field: value}, headers=api_token(client, "curator"))
    assert RUSSIAN.search(api_error(response, 400, "bad_request")["fields"][field])
    assert cases(app) == 0
    api_error(client.post("/api/v1/auth/token", json={"username": "cura\x00tor", "password": "x"}), 400,
              "bad_request")


@pytest.mark.parametrize("attachments", ({}, None, "https://vk.com/photo-1_1", 5))
def test_attachments_over_the_api_are_a_list(app: Flask, attachments: object) -> None:
    client = app.test_client()
    response = client.post("/api/v1/messages", json={**MESSAGE, "attachments": attachments},
                           headers=api_token(client, "curator"))
    assert RUSSIAN.search(api_error(response, 422, "invalid")["fields"]["attachments"])
    assert cases(app) == 0


def test_nul_bytes_in_forms_and_queries_are_refused(app: Flask) -> None:
    page_error(app.test_client().post("/login", data={"username": "cura\x00tor", "password": "x"}), 400)
    curator = login(app, "curator")
    page_error(curator.post("/cases/new", data={**MESSAGE, "text": "a\x00b"}), 400)
    page_error(curator.get("/cases/?theme=%00"), 400)
    assert cases(app) == 0
    client = app.test_client()
    api_error(client.get("/api/v1/tasks?case_id=%00", headers=api_token(client, "curator")), 400, "bad_request")


@pytest.mark.parametrize("moment", ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T23:00"))
def test_moments_outside_the_sane_years_get_a_field_message(app: Flask, moment: str) -> None:
    client = app.test_client()
    response = client.post("/api/v1/messages", json={**MESSAGE, "published_at": moment},
                           headers=api_token(client, "curator"))
    assert RUSSIAN.search(api_error(response, 422, "invalid")["fields"]["published_at"])
    assert cases(app) == 0
    curator = login(app, "curator")
    register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    response = curator.post(f"/tasks/{triage}", data={**TRIAGE, "shortened_due_at": moment})
    assert response.status_code == 422
    assert "между 2000 и 2100 годами" in response.get_data(as_text=True)


def test_a_method_a_path_does_not_take_is_405_with_allow(app: Flask) -> None:
    client = app.test_client()
    response = client.delete("/api/v1/tasks", headers=api_token(client, "curator"))
    api_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    response = login(app, "curator").put("/cases/new")
    page_error(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


@pytest.mark.parametrize("query", ("case_id=abc", "case_id=0", "case_id=2147483648", "case_id=", "limit=abc",
                                   "limit=0", "limit=501", "limit=²"))
def test_a_malformed_inbox_filter_is_refused_not_ignored(app: Flask, query: str) -> None:
    client = app.test_client()
    error = api_error(client.get(f"/api/v1/tasks?{query}", headers=api_token(client, "curator")), 400, "bad_request")
    assert set(error["fields"]) == {query.split("=")[0]}
    page_error(login(app, "curator").get(f"/inbox?{query}"), 400)


def test_the_inbox_filters_narrow_the_list(app: Flask) -> None:
    curator = login(app, "curator")
    first, _ = register(curator), register(curator, url="https://vk.com/wall-1_101")
    headers = api_token(curator, "curator")
    listed = curator.get(f"/api/v1/tasks?case_id={first}", headers=headers).json["tasks"]
    assert [t["case_id"] for t in listed] == [first]
    assert len(curator.get("/api/v1/tasks?limit=1", headers=headers).json["tasks"]) == 1
    assert curator.get("/inbox?limit=1").get_data(as_text=True).count('href="/tasks/') == 1


@pytest.fixture
def served(app: Flask) -> Iterator[int]:
    """The app behind werkzeug's HTTP server on a free loopback port, which takes chunked bodies."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=5)


def test_a_chunked_body_over_the_limit_is_413(app: Flask, served: int, client: FlaskClient) -> None:
    token = api_token(client, "curator")["Authorization"]
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"text": "' + b"x" * limit + b'"}'
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
    connection.request("POST", "/api/v1/messages", body=iter([body[:limit // 2], body[limit // 2:]]),
                       headers={"Authorization": token, "Content-Type": "application/json"}, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 413, response.read()
    connection.close()
    assert cases(app) == 0
