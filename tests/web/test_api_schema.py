"""The API against its OpenAPI document (schemathesis): no 5xx, every answer as documented, for both roles."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.conftest import PASSWORD, api_token
from tests.web.test_main_path import MESSAGE, TRIAGE
from web.api import OPENAPI

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, unsupported_method, allow_header_conformance]
ROLES = ("curator", "kgkh.exec1")


@pytest.fixture
def access(app: Flask) -> dict[str, tuple[dict[str, str], dict[str, int]]]:
    """Each role's bearer headers and the ids it may really open: two cases, one triaged to the housing committee,
    a spare token of its own to revoke, and a body's account."""
    client = app.test_client()
    curator, executor = (api_token(client, role) for role in ROLES)
    triaged = client.post("/api/v1/messages", json=MESSAGE, headers=curator).json["case_id"]
    triage = client.get(f"/api/v1/tasks?case_id={triaged}", headers=curator).json["tasks"][0]["id"]
    done = client.post(f"/api/v1/tasks/{triage}/complete", json={**TRIAGE, "bodies": ["kgkh"]}, headers=curator)
    assert done.status_code == 200, done.json
    waiting = client.post("/api/v1/messages", json={**MESSAGE, "url": "https://vk.com/wall-1_101"},
                          headers=curator).json["case_id"]
    triage = client.get(f"/api/v1/tasks?case_id={waiting}", headers=curator).json["tasks"][0]["id"]
    draft = client.get("/api/v1/tasks", headers=executor).json["tasks"][0]["id"]
    account = client.post("/api/v1/accounts", json={"body": "kgkh", "channel": "vk", "name": "Комитет по ЖКХ",
                                                     "url": "https://vk.com/kgkh"}, headers=api_token(client, "admin"))
    assert account.status_code == 201, account.json
    spare = {role: client.post("/api/v1/auth/token", json={"username": role, "password": PASSWORD}).json["id"]
             for role in ROLES}
    ids = {"account_id": account.json["id"]}
    return {"curator": (curator, {"case_id": waiting, "task_id": triage, "token_id": spare["curator"], **ids}),
            "kgkh.exec1": (executor, {"case_id": triaged, "task_id": draft, "token_id": spare["kgkh.exec1"], **ids})}


schema = schemathesis.openapi.from_path(OPENAPI)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_answers_as_documented(case: Any, app: Flask,
                                   access: dict[str, tuple[dict[str, str], dict[str, int]]]) -> None:
    for headers, _ in access.values():
        case.call_and_validate(app=app, headers=headers, checks=CHECKS)
    if case.path_parameters:  # generated ids rarely exist: the same request again on ids each role may open
        for headers, ids in access.values():
            case.path_parameters = {name: ids[name] for name in case.path_parameters}
            case.call_and_validate(app=app, headers=headers, checks=CHECKS)
