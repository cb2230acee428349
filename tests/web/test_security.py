"""Authentication and sessions: safe redirects after login, login throttling, sessions that end, tokens that expire
and can be revoked, password change, and the caching and HSTS headers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app import create_app
from engine.clock import FixedClock
from models import LoginFailure, Tenant, User
from services.auth import create_user
from services.throttle import ACCOUNT_FREE, ADDRESS_FREE, MAX_WAIT, wait_after
from tests.conftest import PASSWORD, START, api_token, login
from web.common import HSTS

WRONG = "not-the-password"


def _login(client: FlaskClient, username: str, password: str, query: str = "") -> TestResponse:
    return client.post(f"/login{query}", data={"username": username, "password": password})


def _token(client: FlaskClient, username: str, password: str, name: str = "") -> TestResponse:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password, "name": name})


def _from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def own_person(sessions: Any, username: str, role: str, tenant: str | None = None) -> str:
    """A person of one's own for a test that changes them (the demo people are shared by every test)."""
    with sessions() as session:
        if session.scalar(select(User).where(User.username == username)) is None:
            if tenant and session.scalar(select(Tenant).where(Tenant.code == tenant)) is None:
                session.add(Tenant(code=tenant, name=f"Муниципальный район {tenant}", kind="municipality"))
                session.flush()
            create_user(session=session, username=username, password=PASSWORD, role=role, tenant_code=tenant)
            session.commit()
    return username


# --- finding 5: the redirect after login stays on this site ---------------------------------------------------------

@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0A/evil.example", "/%0D/evil.example", "/%00/evil.example",
                                    "/%09%09/evil.example/inbox", "/%5C/evil.example", "//evil.example",
                                    "https://evil.example/", "/%E2%80%8B/evil.example", "/%20/evil.example"])
def test_login_never_redirects_to_another_host(app: Flask, target: str) -> None:
    response = _login(app.test_client(), "curator", PASSWORD, f"?next={target}")
    assert response.status_code == 302 and response.headers["Location"] == "/", target


def test_login_redirects_to_a_path_of_this_site(app: Flask) -> None:
    response = _login(app.test_client(), "curator", PASSWORD, "?next=/cases%3Fstatus%3Dopen")
    assert response.headers["Location"] == "/cases?status=open"


# --- finding 6: login throttling --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "failures", "seconds"), [
    ("account:x", ACCOUNT_FREE - 1, 0), ("account:x", ACCOUNT_FREE, 1), ("account:x", ACCOUNT_FREE + 1, 2),
    ("account:x", ACCOUNT_FREE + 6, 64), ("account:x", ACCOUNT_FREE + 10, MAX_WAIT.total_seconds()),
    ("account:x", 10**6, MAX_WAIT.total_seconds()), ("address:10.0.0.1", ADDRESS_FREE - 1, 0),
    ("address:10.0.0.1", ADDRESS_FREE, 1)])
def test_the_wait_doubles_after_a_few_failures_up_to_a_cap(key: str, failures: int, seconds: float) -> None:
    assert wait_after(key, failures) == timedelta(seconds=seconds)


def test_login_page_throttles_an_account(app: Flask, clock: FixedClock, caplog: pytest.LogCaptureFixture) -> None:
    client = app.test_client()
    for _ in range(ACCOUNT_FREE):
        assert _login(client, "curator", WRONG).status_code == 401
    with caplog.at_level(logging.WARNING, logger="services.throttle"):
        refused = _login(client, "curator", PASSWORD)  # the right password waits too
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Слишком много неудачных попыток входа. Повторите через 1 с." in refused.get_data(as_text=True)
    assert "account:curator" in caplog.text and "address:127.0.0.1" in caplog.text
    clock.advance(timedelta(seconds=1))
    assert _login(client, "curator", WRONG).status_code == 401
    assert _login(client, "curator", PASSWORD).headers["Retry-After"] == "2"
    clock.advance(timedelta(seconds=2))
    assert _login(client, "curator", PASSWORD).status_code == 302
    for _ in range(ACCOUNT_FREE):  # the success cleared the account's counter
        assert _login(app.test_client(), "curator", WRONG).status_code == 401


def test_the_wait_is_shown_in_minutes_and_seen_by_every_worker(app: Flask, sessions: Any) -> None:
    with sessions() as session:
        session.add(LoginFailure(key="account:leader", failures=ACCOUNT_FREE + 7, last_failure_at=START))
        session.commit()
    # Another app object on the same database stands for another worker process: the counters are in the database.
    worker = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "SECRET_KEY", "CLOCK", "SESSION_COOKIE_SECURE")},
                         "WTF_CSRF_ENABLED": False, "OTKLIK_SCHEDULER": False})
    try:
        refused = _login(worker.test_client(), "leader", PASSWORD)
    finally:
        worker.extensions["otklik.engine"].dispose()
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "128"
    assert "Повторите через 3 мин." in refused.get_data(as_text=True)


def test_login_page_throttles_an_address(app: Flask) -> None:
    office = _from(app, "198.51.100.7")
    for n in range(ADDRESS_FREE):  # a different name each time: only the address counter grows
        assert _login(office, f"nobody{n}", WRONG).status_code == 401
    assert _login(office, "kgkh.exec1", PASSWORD).status_code == 429
    elsewhere = _from(app, "198.51.100.8")
    assert _login(elsewhere, "kgkh.exec1", PASSWORD).status_code == 302


def test_token_endpoint_is_throttled(app: Flask, clock: FixedClock) -> None:
    client = app.test_client()
    for _ in range(ACCOUNT_FREE):
        assert _token(client, "kdh.exec1", WRONG).status_code == 401
    refused = _token(client, "kdh.exec1", PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert refused.json["error"]["code"] == "too_many_attempts"
    assert refused.json["error"]["message"].startswith("Слишком много неудачных попыток входа")
    clock.advance(timedelta(seconds=1))
    assert _token(client, "kdh.exec1", PASSWORD).status_code == 201


# --- finding 7: sessions end, tokens expire and can be revoked --------------------------------------------------------

def test_logout_ends_that_session_even_for_a_copied_cookie(app: Flask) -> None:
    phone, laptop = login(app, "curator"), login(app, "curator")
    cookie = laptop.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/inbox").status_code == 200
    assert laptop.post("/logout").status_code == 302
    assert thief.get("/inbox").status_code == 302  # to the login page
    assert laptop.get("/inbox").status_code == 302
    assert phone.get("/inbox").status_code == 200  # another browser of the same person stays logged in


def test_tokens_expire(app: Flask, clock: FixedClock) -> None:
    client = app.test_client()
    issued = _token(client, "curator", PASSWORD)
    assert issued.status_code == 201
    assert datetime.fromisoformat(issued.json["expires_at"]) == START + timedelta(days=30)
    headers = {"Authorization": f"Bearer {issued.json['token']}"}
    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    clock.advance(timedelta(seconds=1))
    assert client.get("/api/v1/tasks", headers=headers).json["error"]["code"] == "unauthorized"


def test_owner_lists_and_revokes_tokens_over_the_api(app: Flask) -> None:
    client = app.test_client()
    script, spare = (_token(client, "curator", PASSWORD, name).json for name in ("monitoring", "spare"))
    bearer = {"Authorization": f"Bearer {script['token']}"}
    listed = client.get("/api/v1/auth/tokens", headers=bearer).json["tokens"]
    assert [(t["id"], t["name"], t["username"]) for t in listed] == [(spare["id"], "spare", "curator"),
                                                                     (script["id"], "monitoring", "curator")]
    stranger = api_token(client, "kdh.exec1")
    assert client.delete(f"/api/v1/auth/tokens/{spare['id']}", headers=stranger).status_code == 404
    theirs = client.get("/api/v1/auth/tokens", headers=stranger).json["tokens"]
    assert [t["username"] for t in theirs] == ["kdh.exec1"]
    revoked = client.delete(f"/api/v1/auth/tokens/{spare['id']}", headers=bearer)
    assert revoked.status_code == 200 and datetime.fromisoformat(revoked.json["revoked_at"]) == START
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {spare['token']}"}).status_code == 401
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    assert client.delete(f"/api/v1/auth/tokens/{spare['id']}", headers=bearer).status_code == 404


def test_admin_revokes_tokens_of_the_tenant_only(app: Flask, sessions: Any) -> None:
    client = app.test_client()
    curators = _token(client, "curator", PASSWORD, "monitoring").json
    admin = login(app, "admin")
    page = admin.get("/account/tokens").get_data(as_text=True)
    assert "monitoring" in page and "(curator)" in page
    other_admin = own_person(sessions, "admin.other", role="admin", tenant="other-district")
    assert curators["name"] not in login(app, other_admin).get("/account/tokens").get_data(as_text=True)
    assert login(app, other_admin).post(f"/account/tokens/{curators['id']}/revoke").status_code == 404
    assert admin.post(f"/account/tokens/{curators['id']}/revoke").status_code == 302
    assert "Действующих токенов нет" in admin.get("/account/tokens").get_data(as_text=True)
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {curators['token']}"}).status_code == 401


def test_owner_revokes_a_token_on_the_tokens_page(app: Flask) -> None:
    client = app.test_client()
    issued = _token(client, "kgkh.exec1", PASSWORD, "script").json
    person = login(app, "kgkh.exec1")
    assert "script" in person.get("/account/tokens").get_data(as_text=True)
    done = person.post(f"/account/tokens/{issued['id']}/revoke", follow_redirects=True).get_data(as_text=True)
    assert "Токен «script» (" in done and "Действующих токенов нет" in done
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {issued['token']}"}).status_code == 401


def test_password_change_ends_other_sessions_and_revokes_tokens(app: Flask, sessions: Any) -> None:
    username = own_person(sessions, "password.changer", role="methodologist")  # gets no notifications
    here, elsewhere, client = login(app, username), login(app, username), app.test_client()
    bearer = api_token(client, username)
    form = {"current": WRONG, "new": "a-new-long-password", "repeated": "a-new-long-password"}
    refused = here.post("/account/password", data=form)
    assert refused.status_code == 422 and "Текущий пароль введён неверно" in refused.get_data(as_text=True)
    with sessions() as session:  # the wrong guess is counted like a failed login
        assert session.get(LoginFailure, f"account:{username}").failures == 1
    assert here.post("/account/password", data={**form, "current": PASSWORD, "repeated": "typo"}).status_code == 422
    changed = here.post("/account/password", data={**form, "current": PASSWORD}, follow_redirects=True)
    assert "Пароль изменён" in changed.get_data(as_text=True)
    assert here.get("/inbox").status_code == 200
    assert elsewhere.get("/inbox").status_code == 302
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 401
    assert _login(app.test_client(), username, PASSWORD).status_code == 401
    assert _login(app.test_client(), username, "a-new-long-password").status_code == 302
    with sessions() as session:
        assert session.get(LoginFailure, f"account:{username}") is None


# --- finding 8: no caching of personal answers, HSTS, Secure cookies by default ---------------------------------------

def test_personal_answers_are_not_stored_but_static_files_may_be(app: Flask) -> None:
    curator, client = login(app, "curator"), app.test_client()
    bearer = api_token(client, "curator")
    for what, response in {"page": curator.get("/inbox"), "login page": client.get("/login"),
                           "missing page": curator.get("/nowhere"), "redirect": client.get("/inbox"),
                           "api": client.get("/api/v1/tasks", headers=bearer),
                           "api error": client.get("/api/v1/tasks")}.items():
        assert response.headers.get_all("Cache-Control") == ["no-store"], what
    assert "no-store" not in client.get("/static/css/otklik.css").headers.get("Cache-Control", "")


def test_hsts_is_sent_over_https(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/login", base_url="https://localhost").headers.get_all(HSTS[0]) == [HSTS[1]]
    assert HSTS[0] not in client.get("/login").headers


def test_secure_cookies_and_hsts_are_the_default(app: Flask, sessions: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTKLIK_SECURE_COOKIES", raising=False)
    served = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "SECRET_KEY", "CLOCK")},
                         "WTF_CSRF_ENABLED": False, "OTKLIK_SCHEDULER": False, "OTKLIK_PROXIES": 1})
    try:
        client = served.test_client()
        response = _login(client, "curator", PASSWORD)
        assert "; Secure" in response.headers["Set-Cookie"] and response.headers[HSTS[0]] == HSTS[1]
        # Behind one trusted proxy the client's address is the forwarded one.
        client.post("/login", data={"username": "curator", "password": WRONG},
                    headers={"X-Forwarded-For": "203.0.113.9"})
    finally:
        served.extensions["otklik.engine"].dispose()
    with sessions() as session:
        assert session.get(LoginFailure, "address:203.0.113.9") is not None
