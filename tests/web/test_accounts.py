"""«Аккаунты органов» (clause 5) and the channel list (clause 4): pages, CSV export, JSON API, refusals, isolation."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import BodyAccount, Channel
from tests.conftest import api_token, login
from tests.web.test_deadlines import municipality

VK = {"body": "kgkh", "channel": "vk", "name": "Комитет по ЖКХ ЛО", "url": "https://vk.com/kgkh_lenobl"}


def _add(client: FlaskClient, **fields: str) -> int:
    response = client.post("/accounts", data={**VK, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("account-", 1)[1])


def test_admin_keeps_the_registry_grouped_by_body_and_filtered_by_channel(app: Flask) -> None:
    admin = login(app, "admin")
    housing = _add(admin)
    _add(admin, body="kdh", channel="telegram", name="Дороги ЛО", url="https://t.me/dorogi_lo")
    admin.get("/accounts")  # shows the flashed message
    page = admin.get("/accounts").get_data(as_text=True)
    assert page.index("Комитет по дорожному хозяйству") < page.index("Дороги ЛО") < page.index("Комитет по ЖКХ ЛО")
    assert 'href="https://vk.com/kgkh_lenobl"' in page
    only_vk = admin.get("/accounts?channel=vk").get_data(as_text=True)
    assert "Комитет по ЖКХ ЛО" in only_vk and "Дороги ЛО" not in only_vk

    response = admin.post(f"/accounts/{housing}", data={**VK, "channel": "ok", "name": "ЖКХ в ОК",
                                                        "url": "https://ok.ru/kgkh"})
    assert response.status_code == 302
    page = admin.get("/accounts?channel=ok").get_data(as_text=True)
    assert "ЖКХ в ОК" in page and "https://ok.ru/kgkh" in page
    assert admin.post(f"/accounts/{housing}/delete").status_code == 302
    assert "Аккаунт удалён: ЖКХ в ОК" in admin.get("/accounts").get_data(as_text=True)
    assert "ЖКХ в ОК" not in admin.get("/accounts").get_data(as_text=True)
    # Everyone of the tenant reads the registry; only editors see the forms.
    curator_page = login(app, "curator").get("/accounts").get_data(as_text=True)
    assert "Дороги ЛО" in curator_page and "Добавить аккаунт" not in curator_page


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"url": "vk.com/kgkh"}, "url", "Укажите ссылку на аккаунт"),
    ({"url": "javascript:alert(1)"}, "url", "Укажите ссылку на аккаунт"),
    ({"url": "https://user@evil.example/"}, "url", "Укажите ссылку на аккаунт"),
    ({"url": "https://localhost/"}, "url", "Укажите ссылку на аккаунт"),
    ({"url": "https://vk.com:99999/x"}, "url", "Укажите ссылку на аккаунт"),
    ({"url": "https://vk.com/" + "a" * 500}, "url", "до 500 символов"),
    ({"name": "  "}, "name", "Укажите название аккаунта"),
    ({"channel": "myspace"}, "channel", "Выберите канал из списка"),
    ({"body": "nope"}, "body", "Выберите орган из списка"),
])
def test_bad_input_is_refused_next_to_the_field(app: Flask, sessions: Any, fields: dict[str, str], field: str,
                                                message: str) -> None:
    admin = login(app, "admin")
    response = admin.post("/accounts", data={**VK, **fields})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'id="add-name"' in page
    assert f'value="{VK["name"]}"' in page or field == "name"  # what was typed is shown back
    with sessions() as session:
        assert session.scalars(select(BodyAccount)).all() == []


def test_the_same_link_twice_is_refused(app: Flask) -> None:
    admin = login(app, "admin")
    _add(admin)
    response = admin.post("/accounts", data={**VK, "body": "kdh"})
    assert response.status_code == 422
    assert "Этот аккаунт уже есть в реестре: Комитет по ЖКХ" in response.get_data(as_text=True)


def test_responsible_official_keeps_only_their_body_s_accounts(app: Flask) -> None:
    admin, resp = login(app, "admin"), login(app, "kgkh.resp")
    roads = _add(admin, body="kdh", url="https://vk.com/dorogi")
    own = _add(resp)
    assert resp.post("/accounts", data={**VK, "body": "kdh", "url": "https://vk.com/x"}).status_code == 403
    assert resp.post(f"/accounts/{own}", data={**VK, "body": "kdh"}).status_code == 403  # cannot move it away
    assert resp.post(f"/accounts/{roads}", data={**VK, "body": "kdh", "url": "https://vk.com/dorogi"}) \
        .status_code == 403
    assert resp.post(f"/accounts/{roads}/delete").status_code == 403
    assert resp.post(f"/accounts/{own}/delete").status_code == 302
    executor = login(app, "kgkh.exec1")
    assert executor.post("/accounts", data={**VK, "url": "https://vk.com/y"}).status_code == 403


def test_another_tenant_s_account_is_not_found(app: Flask, sessions: Any) -> None:
    municipality(sessions)
    oblast = _add(login(app, "admin"))
    mo_admin = login(app, "mo.admin")
    mine = _add(mo_admin, body="mo-g-gkh", url="https://vk.com/mo_gkh", name="ЖКХ района")
    assert "Комитет по ЖКХ ЛО" not in mo_admin.get("/accounts").get_data(as_text=True)
    assert mo_admin.post(f"/accounts/{oblast}", data={**VK, "body": "mo-g-gkh"}).status_code == 404
    assert mo_admin.post(f"/accounts/{oblast}/delete").status_code == 404
    # Another tenant's body cannot be named either, and the same link may be in two tenants' registries.
    response = mo_admin.post("/accounts", data={**VK, "url": "https://vk.com/other"})
    assert response.status_code == 422 and "Выберите орган из списка" in response.get_data(as_text=True)
    assert _add(mo_admin, body="mo-g-gkh", name="Тот же")
    headers = api_token(mo_admin, "mo.admin")
    assert mo_admin.get(f"/api/v1/accounts/{oblast}", headers=headers).status_code == 404
    assert mo_admin.put(f"/api/v1/accounts/{oblast}", json=VK, headers=headers).status_code == 404
    assert mo_admin.delete(f"/api/v1/accounts/{oblast}", headers=headers).status_code == 404
    listed = mo_admin.get("/api/v1/accounts", headers=headers).json["accounts"]
    assert {a["id"] for a in listed} == {mine, mine + 1}
    csv_text = mo_admin.get("/accounts/export.csv").get_data(as_text=True)
    assert "ЖКХ района" in csv_text and "Комитет по ЖКХ ЛО" not in csv_text


def test_csv_opens_in_excel(app: Flask) -> None:
    admin = login(app, "admin")
    _add(admin)
    _add(admin, body="kdh", channel="telegram", name="=HYPERLINK(\"https://evil.example\")",
         url="https://t.me/dorogi_lo")
    response = admin.get("/accounts/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Орган", "Канал", "Название", "Ссылка"]
    assert rows[1] == ["Комитет по дорожному хозяйству", "Telegram", "'=HYPERLINK(\"https://evil.example\")",
                       "https://t.me/dorogi_lo"]
    assert rows[2] == ["Комитет по ЖКХ", "ВКонтакте", "Комитет по ЖКХ ЛО", "https://vk.com/kgkh_lenobl"]
    only_vk = admin.get("/accounts/export.csv?channel=vk").get_data().decode("utf-8-sig")
    assert "t.me" not in only_vk and "vk.com/kgkh_lenobl" in only_vk
    assert admin.get("/accounts/export.csv?channel=nope").status_code == 422


def test_api_mirrors_the_page(app: Flask) -> None:
    client = app.test_client()
    headers = api_token(client, "admin")
    response = client.post("/api/v1/accounts", json=VK, headers=headers)
    assert response.status_code == 201
    account = response.json
    assert {k: account[k] for k in VK} == VK and account["body_name"] == "Комитет по ЖКХ"
    response = client.put(f"/api/v1/accounts/{account['id']}", json={**VK, "name": "Новое имя"}, headers=headers)
    assert response.status_code == 200 and response.json["name"] == "Новое имя"
    response = client.post("/api/v1/accounts", json={**VK, "url": "ftp://vk.com/x"}, headers=headers)
    assert response.status_code == 422 and response.json["error"]["fields"]["url"].startswith("Укажите ссылку")
    assert client.get("/api/v1/accounts?channel=ok", headers=headers).json == {"accounts": []}
    assert client.get("/api/v1/accounts?channel=nope", headers=headers).status_code == 422
    curator = api_token(client, "curator")
    assert client.get(f"/api/v1/accounts/{account['id']}", headers=curator).json["name"] == "Новое имя"
    response = client.delete(f"/api/v1/accounts/{account['id']}", headers=curator)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert client.delete(f"/api/v1/accounts/{account['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/accounts/{account['id']}", headers=headers).status_code == 404
    channels = client.get("/api/v1/channels", headers=curator).json["channels"]
    assert {"code": "video", "name": "Видеохостинги", "reply_max_length": 1000} in channels


def test_channel_list_is_kept_by_the_oblast_s_administrator(app: Flask, sessions: Any) -> None:
    municipality(sessions)
    admin = login(app, "admin")
    with sessions() as session:
        video = session.scalar(select(Channel).where(Channel.code == "video"))
        assert video is not None
        video_id = video.id
    try:
        assert admin.post(f"/channels/{video_id}", data={"name": "Видеохостинги", "reply_max_length": "1500"}) \
            .status_code == 302
        response = admin.post(f"/channels/{video_id}", data={"name": "Видеохостинги", "reply_max_length": "0"})
        assert response.status_code == 422 and "от 1 до 50000" in response.get_data(as_text=True)
        response = admin.post("/channels", data={"code": "vk", "name": "ВК", "reply_max_length": "100"})
        assert response.status_code == 422 and "Канал с кодом «vk» уже есть" in response.get_data(as_text=True)
        response = admin.post("/channels", data={"code": "Bad Code", "name": "x", "reply_max_length": "100"})
        assert response.status_code == 422 and "строчных латинских букв" in response.get_data(as_text=True)
        mo_admin = login(app, "mo.admin")
        page = mo_admin.get("/channels").get_data(as_text=True)
        assert "1500" in page and "его ведёт администратор области" in page and "Добавить канал" not in page
        assert mo_admin.post(f"/channels/{video_id}", data={"name": "x", "reply_max_length": "10"}).status_code == 403
        assert mo_admin.post("/channels", data={"code": "rutube", "name": "x", "reply_max_length": "10"}) \
            .status_code == 403
    finally:
        with sessions() as session:
            row = session.get(Channel, video_id)
            assert row is not None
            row.reply_max_length = 1000
            session.commit()
