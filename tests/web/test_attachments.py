"""Photos and videos of a reply (clause 9): type by content, size limits, storage, binding to drafts, downloads."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from models import Attachment, Draft
from services.attachments import KINDS, MB, display_name, sniff
from tests.conftest import login
from tests.web.test_main_path import open_inbox_task
from tests.web.test_regulation import triaged
from tests.web.test_reply_checks import GOOD, draft_task

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 200
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 200
EBML = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
WEBM = EBML + b"\x42\x82\x84webm" + b"\x00" * 64
MKV = EBML + b"\x42\x82\x88matroska" + b"\x00" * 64
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 200
HTML = b"<!doctype html><html><script>alert(1)</script></html>"


@pytest.fixture
def uploads(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh upload directory for the test."""
    monkeypatch.setitem(app.config, "OTKLIK_UPLOADS", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def send(client: FlaskClient, task_id: int, content: bytes, name: str, **headers: str) -> TestResponse:
    return client.post(f"/tasks/{task_id}/attachments", data={"file": (BytesIO(content), name)},
                       content_type="multipart/form-data", headers=headers)


def stored(sessions: Any) -> list[Attachment]:
    with sessions() as session:
        return list(session.scalars(select(Attachment).order_by(Attachment.id)))


@pytest.mark.parametrize(("head", "content_type"), [
    (JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp"), (MP4, "video/mp4"), (WEBM, "video/webm"),
    (MKV, None), (MOV, None), (HTML, None), (b"GIF89a" + b"\x00" * 20, None), (b"%PDF-1.7", None), (b"", None),
])
def test_the_type_comes_from_the_first_bytes(head: bytes, content_type: str | None) -> None:
    kind = sniff(head[:64])
    assert (kind.content_type if kind else None) == content_type


@pytest.mark.parametrize(("name", "expected"), [
    ("photo.JPG", "photo.JPG"), ("../../etc/passwd.jpg", "passwd.jpg"), ("C:\\Users\\a\\снимок.jpeg", "снимок.jpeg"),
    ("evil.html", "evil.html.jpg"), ("", "file.jpg"), (".jpg", "jpg.jpg"), ("a\x00b\n.jpg", "ab.jpg"),
])
def test_the_shown_name_is_cleaned_and_fits_the_type(name: str, expected: str) -> None:
    kind = next(k for k in KINDS if k.content_type == "image/jpeg")
    assert display_name(name, kind) == expected


def test_a_photo_goes_with_the_draft_and_downloads_safely(app: Flask, sessions: Any, uploads: Path) -> None:
    curator, executor, draft = draft_task(app)
    response = send(executor, draft, JPEG, "../../двор.jpg")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{draft}#attachments")
    [row] = stored(sessions)
    assert row.draft_id is None and row.filename == "двор.jpg" and row.content_type == "image/jpeg"
    assert row.size == len(JPEG) and re.fullmatch(r"[0-9a-f]{32}", row.storage_key)
    assert [p.name for p in uploads.iterdir()] == [row.storage_key]
    assert (uploads / row.storage_key).read_bytes() == JPEG

    page = executor.get(f"/tasks/{draft}").get_data(as_text=True)
    assert "Будут приложены к версии ответа" in page and f'href="/attachments/{row.id}"' in page

    assert executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                  "reply_text": GOOD}).status_code == 302
    [row] = stored(sessions)
    assert row.draft_id is not None

    case_page = curator.get(f"/cases/{row.case_id}").get_data(as_text=True)
    version = case_page[case_page.index("Версия 1"):]
    assert f'href="/attachments/{row.id}"' in version[:version.index("</article>")]

    download = curator.get(f"/attachments/{row.id}")
    assert download.status_code == 200 and download.data == JPEG
    assert download.headers["Content-Type"] == "image/jpeg"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%D0%B4%D0%B2%D0%BE%D1%80.jpg" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "sandbox"

    assert login(app, "kdh.exec1").get(f"/attachments/{row.id}").status_code == 404
    assert app.test_client().get(f"/attachments/{row.id}").status_code == 302
    assert curator.get(f"/attachments/{row.id + 1000}").status_code == 404


def test_files_uploaded_during_rework_go_with_the_new_version(app: Flask, sessions: Any, uploads: Path) -> None:
    curator, executor, draft = draft_task(app)
    assert send(executor, draft, PNG, "схема.png").status_code == 302
    executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply", "reply_text": GOOD})
    approval = open_inbox_task(curator, "Согласование проекта ответа")
    curator.post(f"/tasks/{approval}", data={"approval_decision": "return", "approval_comment": "Добавьте видео"})
    rework = open_inbox_task(executor, "Доработка проекта ответа")
    assert send(executor, rework, MP4, "ремонт.mp4").status_code == 302
    executor.post(f"/tasks/{rework}", data={"reply_kind": "reply", "reply_text": GOOD + " Видео прилагаем."})
    first, second = stored(sessions)
    assert first.draft_id is not None and second.draft_id is not None and first.draft_id != second.draft_id
    assert (first.content_type, second.content_type) == ("image/png", "video/mp4")


@pytest.mark.parametrize(("content", "name", "status", "message"), [
    (HTML, "photo.jpg", 415, "Тип определяется по содержимому файла"),
    (MKV, "video.webm", 415, "Файл не принят"),
    (JPEG[:3] + b"\x00" * (10 * MB), "big.jpg", 413, "фото — не больше 10 МБ"),
    (b"", "empty.jpg", 422, "Файл не выбран или пустой"),
])
def test_a_bad_file_is_refused_and_nothing_is_kept(app: Flask, sessions: Any, uploads: Path, content: bytes,
                                                   name: str, status: int, message: str) -> None:
    _, executor, draft = draft_task(app)
    response = send(executor, draft, content, name)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert stored(sessions) == []
    assert not uploads.exists() or list(uploads.iterdir()) == []

    response = send(executor, draft, content, name, **{"HX-Request": "true"})
    assert response.status_code == status
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section class="card" id="attachments"') and message in fragment


def test_video_limits_and_the_route_body_limit(app: Flask, sessions: Any, uploads: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _, executor, draft = draft_task(app)
    # Above the app's 2 MB MAX_CONTENT_LENGTH and with CSRF on: the route's own limit is applied before CSRF reads.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = executor.get(f"/tasks/{draft}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = executor.post(f"/tasks/{draft}/attachments", content_type="multipart/form-data",
                             data={"csrf_token": token.group(1), "file": (BytesIO(MP4 + b"\x00" * (12 * MB)), "a.mp4")})
    assert response.status_code == 302
    assert executor.post(f"/tasks/{draft}/attachments", content_type="multipart/form-data",
                         data={"file": (BytesIO(JPEG), "a.jpg")}).status_code == 400, "no token, no upload"
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)

    response = send(executor, draft, WEBM + b"\x00" * (50 * MB), "big.webm")
    assert response.status_code == 413 and "видео — не больше 50 МБ" in response.get_data(as_text=True)
    response = send(executor, draft, MP4 + b"\x00" * (52 * MB), "huge.mp4")
    assert response.status_code == 413
    assert [a.filename for a in stored(sessions)] == ["a.mp4"]
    assert len(list(uploads.iterdir())) == 1


def test_only_the_drafting_body_uploads_to_an_open_reply_task(app: Flask, sessions: Any, uploads: Path) -> None:
    curator, executor, draft = draft_task(app)
    assert send(login(app, "kdh.exec1"), draft, JPEG, "a.jpg").status_code == 404
    assert send(curator, draft, JPEG, "a.jpg").status_code == 403
    page = curator.get(f"/tasks/{draft}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' not in page
    executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply", "reply_text": GOOD})
    assert send(executor, draft, JPEG, "a.jpg").status_code == 403, "the task is done"
    approval = open_inbox_task(curator, "Согласование проекта ответа")
    assert send(curator, approval, JPEG, "a.jpg").status_code == 403, "approval has no reply text"
    assert stored(sessions) == []


def test_htmx_upload_and_removal_answer_with_the_block(app: Flask, sessions: Any, uploads: Path) -> None:
    _, executor, draft = draft_task(app)
    page = executor.get(f"/tasks/{draft}").get_data(as_text=True)
    assert f'hx-post="/tasks/{draft}/attachments"' in page and "js/attachments.js" in page
    response = send(executor, draft, WEBP, "<img src=x onerror=alert(1)>.webp", **{"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="attachments"' in fragment and "&lt;img src=x onerror=alert(1)&gt;.webp" in fragment
    assert "<img src=x" not in fragment
    [row] = stored(sessions)
    assert login(app, "kdh.exec1").post(f"/tasks/{draft}/attachments/{row.id}/delete").status_code == 404
    response = executor.post(f"/tasks/{draft}/attachments/{row.id}/delete", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Файлов пока нет" in response.get_data(as_text=True)
    assert stored(sessions) == [] and list(uploads.iterdir()) == []


def test_a_body_attaches_a_photo_to_its_part_of_a_common_reply(app: Flask, sessions: Any, uploads: Path) -> None:
    triaged(app, bodies=["kdh", "kgkh"], order="parallel")
    roads = login(app, "kdh.exec1")
    part = open_inbox_task(roads, "Подготовка информации органа (п. 8.9)")
    assert send(roads, part, JPEG, "яма.jpg").status_code in (200, 302)
    response = roads.post(f"/tasks/{part}", data={"part_outcome": "part", "part_text": "Яму заделаем"})
    assert response.status_code == 302
    with sessions() as session:
        draft = session.scalar(select(Draft).where(Draft.kind == "part"))
        assert draft is not None
        assert [a.draft_id for a in session.scalars(select(Attachment))] == [draft.id]
