"""The process library page: versions, history and open cases; methodologists publish a zip; running cases keep
their version, new ones follow the new one (the API names it)."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login
from tests.test_processes_cli import INTERIM_5, INTERIM_7, restore_regional
from tests.web.test_main_path import TRIAGE, open_inbox_task, register
from tests.web.test_regulation import case_json, reply


@pytest.fixture(autouse=True)
def _regional_after(app: Flask) -> Iterator[None]:
    yield
    restore_regional(app)


def exported(client: FlaskClient, number: int) -> dict[str, bytes]:
    response = client.get(f"/processes/case_148rg/v{number}.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"case_148rg-v{number}.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return {name: archive.read(name) for name in archive.namelist()}


def as_zip(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def upload(client: FlaskClient, files: dict[str, bytes], comment: str) -> tuple[int, str]:
    response = client.post("/processes/publish", data={"archive": (as_zip(files), "library.zip"), "comment": comment},
                           content_type="multipart/form-data", follow_redirects=True)
    return response.status_code, html.unescape(response.get_data(as_text=True))


def current_number(page: str, process_id: str) -> int:
    section = page[page.index(f'id="process-{process_id}"'):]
    return int(re.search(r"Текущая версия: <strong>v(\d+)</strong>", section).group(1))


def test_every_role_reads_the_library_and_only_methodologists_and_admins_publish(app: Flask) -> None:
    for username in ("curator", "kgkh.exec1", "leader", "methodologist", "admin"):
        page = html.unescape(login(app, username).get("/processes/").get_data(as_text=True))
        assert "Библиотека процессов" in page and 'id="process-case_148rg"' in page, username
        assert ("Опубликовать новую версию" in page) == (username in ("methodologist", "admin")), username
        assert "Открытых случаев" in page and "cli" in page
    curator = login(app, "curator")
    files = exported(curator, 1)
    assert curator.post("/processes/publish", data={"archive": (as_zip(files), "l.zip"), "comment": "x"},
                        content_type="multipart/form-data").status_code == 403


def test_bad_uploads_are_refused_with_every_problem_named_and_nothing_published(app: Flask) -> None:
    methodologist = login(app, "methodologist")
    before = current_number(html.unescape(methodologist.get("/processes/").get_data(as_text=True)), "case_148rg")
    files = exported(methodologist, before)
    bad = {**files, "case.bpmn": files["case.bpmn"].replace(
        b'<spiffworkflow:property name="formJsonSchemaFilename" value="triage.schema.json"/>', b""),
        "approval.schema.json": files["approval.schema.json"].replace(b'"type": "object"', b'"type": "objet"')}
    status, page = upload(methodologist, bad, "Без формы")
    assert status == 422 and "опубликованные версии не изменились" in page
    problems = re.findall(r'<tr class="problem" data-file="([^"]+)" data-element="([^"]*)">', page)
    assert ("case.bpmn", "triage") in problems and ("approval.schema.json", "") in problems
    assert "у пользовательской задачи нет формы" in page and "JSON Schema (Draft 7)" in page
    status, page = upload(methodologist, {"readme.json": b"not json"}, "Мусор")
    assert status == 422 and "нет ни одной диаграммы" in page
    status, page = upload(methodologist, files, "")
    assert status == 422 and "Укажите комментарий" in page
    assert current_number(page, "case_148rg") == before


def test_running_cases_keep_their_version_and_new_ones_follow_the_published_one(app: Flask) -> None:
    curator, methodologist = login(app, "curator"), login(app, "methodologist")
    old = current_number(html.unescape(methodologist.get("/processes/").get_data(as_text=True)), "case_148rg")
    started = register(curator)
    assert curator.post(f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}",
                        data=TRIAGE).status_code == 302
    files = exported(methodologist, old)
    files["parameters.json"] = files["parameters.json"].replace(INTERIM_7.encode(), INTERIM_5.encode())
    status, page = upload(methodologist, files, "Промежуточный ответ: 5 рабочих дней")
    assert status == 200 and "Опубликованы новые версии: body_part v" in page and f"case_148rg v{old + 1}" in page
    assert current_number(page, "case_148rg") == old + 1
    later = register(curator, url="https://vk.com/wall-1_2")
    assert later != started

    page = html.unescape(methodologist.get("/processes/").get_data(as_text=True))
    section = page[page.index('id="process-case_148rg"'):page.index('id="process-governor_post"')]
    rows = dict(re.findall(r'data-version="(\d+)">.*?<td class="open-cases">(\d+)</td>', section, re.S))
    assert (rows[str(old + 1)], rows[str(old)]) == ("1", "1")
    assert "Промежуточный ответ: 5 рабочих дней" in section and "Волкова Елена Игоревна" in section  # the author

    reply(app, started, "interim")  # published on Tue 24 Nov: the old 7 working days run to Thu 3 Dec
    data = case_json(curator, started)
    assert (data["process_version"], data["due_at"]) == (old, "2026-12-03T15:00:00+00:00")
    assert f'class="muted process-version">v{old}<' in curator.get(f"/cases/{started}").get_data(as_text=True)
    reply(app, started, "reply")
    assert case_json(curator, started)["status"] == "closed"

    assert curator.post(f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}",
                        data=TRIAGE).status_code == 302
    reply(app, later, "interim")  # the new 5 working days run to Tue 1 Dec
    data = case_json(curator, later)
    assert (data["process_version"], data["due_at"]) == (old + 1, "2026-12-01T15:00:00+00:00")


def test_the_diagrams_of_an_older_version_stay_viewable(app: Flask) -> None:
    client = login(app, "leader")
    page = client.get("/processes/").get_data(as_text=True)
    links = re.findall(r'class="version-diagram-link" href="([^"]+)"', page)
    assert links and all(client.get(html.unescape(link)).status_code == 200 for link in links[:5])
    assert client.get("/processes/case_148rg/v999.zip").status_code == 404
