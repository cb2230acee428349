"""Issue 14, defect 10: what the system writes (notifications, API errors) reads in the reader's language; what people
wrote stays as written."""

from __future__ import annotations

import ast
import html
import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from engine.texts import N_, Text
from models import Notification, User
from tests.conftest import api_token, login
from tests.web.test_language import CYRILLIC, ROOT
from tests.web.test_main_path import TRIAGE, open_inbox_task, register
from web.labels import translated

EN = {"Accept-Language": "en-GB,en;q=0.9"}
STEP_EN = "Preparation of the draft reply"  # translations/library.en.json


def _notices(page: str) -> list[str]:
    """The notification texts of the notifications page, newest first."""
    cells = re.findall(r'<td class="text">(.*?)</td>', page, re.S)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell))).strip() for cell in cells]


def _triaged(app: Flask) -> int:
    """A case the curator sent to the housing committee: its executors are told of the new task."""
    curator = login(app, "curator")
    case_id = register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data={**TRIAGE, "triage_comment": "Проверить"}).status_code == 302
    return case_id


def test_a_notification_reads_in_each_readers_language(app: Flask) -> None:
    case_id = _triaged(app)
    english, russian = login(app, "kgkh.exec1"), login(app, "kgkh.exec2")
    assert english.post("/lang/en").status_code == 302

    page = english.get("/notifications/").get_data(as_text=True)
    assert f"New task «{STEP_EN}» for case No. {case_id}, due 24.11.2026 15:48" in _notices(page)
    assert "Новая задача" not in page
    assert f"Новая задача «Подготовка проекта ответа» по случаю № {case_id}, срок 24.11.2026 15:48" \
        in _notices(russian.get("/notifications/").get_data(as_text=True))

    client = app.test_client()
    bearer = api_token(client, "kgkh.exec1")
    answer = client.get("/api/v1/notifications", headers={**bearer, **EN})
    assert answer.status_code == 200
    notice = next(n for n in answer.json["notifications"] if n["kind"] == "new_task")
    assert notice["case_id"] == case_id and notice["read_at"] is None
    assert notice["text"] == f"New task «{STEP_EN}» for case No. {case_id}, due 24.11.2026 15:48"
    texts = [n["text"] for n in client.get("/api/v1/notifications", headers=bearer).json["notifications"]]
    assert f"Новая задача «Подготовка проекта ответа» по случаю № {case_id}, срок 24.11.2026 15:48" in texts


def test_what_people_wrote_stays_as_written(app: Flask) -> None:
    """A returned draft's notice is translated around the curator's comment, which is not."""
    case_id = _triaged(app)
    executor = login(app, "kgkh.exec1")
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    assert executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                  "reply_text": "Здравствуйте, Ирина! Воду дадут сегодня."}
                         ).status_code == 302
    curator = login(app, "curator")
    approval = open_inbox_task(curator, "Согласование проекта ответа")
    assert curator.post(f"/tasks/{approval}", data={"approval_decision": "return",
                                                    "approval_comment": "Укажите время подачи воды"}
                        ).status_code == 302
    assert executor.post("/lang/en").status_code == 302
    page = executor.get("/notifications/").get_data(as_text=True)
    assert (f"The draft reply for case No. {case_id} was returned for rework: Укажите время подачи воды"
            in _notices(page))


def test_a_notification_stored_before_keeps_its_text(app: Flask, sessions: Any) -> None:
    """Rows written before notifications kept their parameters (params NULL) read as they were written."""
    with sessions() as session:
        person = session.query(User).filter_by(username="kgkh.exec1").one()
        session.add(Notification(user_id=person.id, kind="new_task", text="Старое уведомление: 100 %",
                                 created_at=app.config["CLOCK"].now()))
        session.commit()
    executor = login(app, "kgkh.exec1")
    assert executor.post("/lang/en").status_code == 302
    assert "Старое уведомление: 100 %" in _notices(executor.get("/notifications/").get_data(as_text=True))


def _error(client: FlaskClient, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> tuple[int, dict]:
    response = client.open(path, method=method, headers=headers, **kwargs)
    return response.status_code, response.json["error"]


def _both(client: FlaskClient, method: str, path: str, headers: dict[str, str],
          **kwargs: Any) -> tuple[int, dict, dict]:
    """The same refusal asked for in English and by default (Russian): same status and code, both messages."""
    status, english = _error(client, method, path, {**headers, **EN}, **kwargs)
    again, russian = _error(client, method, path, headers, **kwargs)
    assert status == again and english["code"] == russian["code"]
    return status, english, russian


def test_api_errors_in_the_language_asked_for(app: Flask) -> None:
    client = app.test_client()
    curator = api_token(client, "curator")

    status, en, ru = _both(client, "POST", "/api/v1/messages", curator,
                           json={"channel": "nope", "url": "ftp://x", "author": "", "text": "Текст"})
    assert status == 422 and en["code"] == "invalid"
    assert en["message"] == "The message was not registered: correct the fields"
    assert ru["message"] == "Сообщение не зарегистрировано: исправьте поля"
    assert en["fields"]["channel"] == "Choose a source from the list"
    assert ru["fields"]["channel"] == "Выберите источник из списка"
    assert en["fields"]["url"] == "Give the message's link, starting with http:// or https://"
    assert en["fields"]["published_at"] == "Give the publication time, for example 2026-11-24T10:15"
    assert set(en["fields"]) == set(ru["fields"])

    status, en, ru = _both(client, "GET", "/api/v1/cases/999999", curator)
    assert (status, en["code"], en["message"], ru["message"]) == (404, "not_found", "Case not found",
                                                                  "Случай не найден")

    status, en, ru = _both(client, "GET", "/api/v1/tasks", {"Authorization": "Bearer nope"})
    assert (status, en["code"]) == (401, "unauthorized")
    assert en["message"] == "A live token is needed: POST /api/v1/auth/token"
    assert ru["message"] == "Нужен действующий токен: POST /api/v1/auth/token"

    executor = api_token(client, "kgkh.exec1")
    status, en, ru = _both(client, "GET", "/api/v1/breaches?from=2026-11-01&to=2026-11-24", executor)
    assert (status, en["code"]) == (403, "forbidden")
    assert en["message"].startswith("The breach register is seen by") and ru["message"].startswith("Реестр нарушений")

    status, en, ru = _both(client, "DELETE", "/api/v1/tasks", curator)
    assert (status, en["code"], en["message"], ru["message"]) == (405, "method_not_allowed", "Method not allowed",
                                                                  "Метод не поддерживается")


def test_a_conflict_names_the_step_in_the_readers_language(app: Flask) -> None:
    """409: a colleague took the task first; the step's name is translated like the pages' step names."""
    _triaged(app)
    client = app.test_client()
    first, second = api_token(client, "kgkh.exec1"), api_token(client, "kgkh.exec2")
    task_id = next(t["id"] for t in client.get("/api/v1/tasks", headers=first).json["tasks"]
                   if t["name"] == "Подготовка проекта ответа")
    assert client.post(f"/api/v1/tasks/{task_id}/take", headers=first).status_code == 200
    status, en, ru = _both(client, "POST", f"/api/v1/tasks/{task_id}/take", second)
    assert (status, en["code"]) == (409, "conflict")
    # The name as written, declined in Russian only.
    assert en["message"] == "Егоров И. А. is already working on the task: open it to read or choose another"
    assert ru["message"].startswith("Задача уже в работе у Егорова И. А.: ")

    done = client.post(f"/api/v1/tasks/{task_id}/complete", headers={**first, **EN},
                       json={"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте!"})
    assert done.status_code == 200
    status, en, ru = _both(client, "POST", f"/api/v1/tasks/{task_id}/complete", first,
                           json={"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте!"})
    assert (status, en["code"]) == (409, "conflict")
    assert en["message"].startswith(f"The task «{STEP_EN}» is already done: ")
    assert ru["message"].startswith("Задача «Подготовка проекта ответа» уже выполнена: ")


def test_a_form_field_error_in_english(app: Flask) -> None:
    """The engine's form checks (422 fields) are translated too."""
    _triaged(app)
    client = app.test_client()
    bearer = api_token(client, "kgkh.exec1")
    task_id = next(t["id"] for t in client.get("/api/v1/tasks", headers=bearer).json["tasks"]
                   if t["name"] == "Подготовка проекта ответа")
    status, en, ru = _both(client, "POST", f"/api/v1/tasks/{task_id}/complete", bearer,
                           json={"draft_outcome": "maybe", "nonsense": "1"})
    assert (status, en["code"]) == (422, "invalid")
    assert en["fields"]["nonsense"] == "The form has no such field"
    assert ru["fields"]["nonsense"] == "Такого поля нет в форме"
    assert en["fields"]["draft_outcome"] == "Choose a value from the list"


def test_a_stored_text_keeps_its_parts(app: Flask) -> None:
    """A notice as stored (msgid and JSON parameters) comes back whole: a step's name is translated as the library
    has it, a text inside a text by the catalog; outside the web it reads as the Russian."""
    deadline = "Подходит срок: случай № %(case)s, шаг «%(step)s», срок %(due)s"
    whole = N_(deadline, case=7, step=N_("ответ по сообщению"), due="25.11.2026 10:48")
    assert whole == "Подходит срок: случай № 7, шаг «ответ по сообщению», срок 25.11.2026 10:48"
    assert isinstance(whole, Text)
    stored = json.loads(json.dumps(whole.stored()))
    with app.test_request_context("/api/v1/notifications", headers=EN):
        assert translated(Text.restored(whole.msgid, stored)) == \
            "Deadline near: case No. 7, step «reply to the message», due 25.11.2026 10:48"
        assert translated(N_(deadline, case=7, step="Подготовка проекта ответа", due="—")) == \
            f"Deadline near: case No. 7, step «{STEP_EN}», due —"
        assert translated("Подготовка проекта ответа") == "Подготовка проекта ответа"  # not a Text: as written


def test_every_russian_text_is_marked_for_translation() -> None:
    """Issue 14, defect 10: a Russian literal or f-string in engine/, services/ or web/ would reach an English reader
    untranslated. Each is an N_(...) Text or a gettext call's msgid, or says on its line why it is not translated
    (`# not translated: ...`: a word list matched against Russian replies, Russian words parsed from input)."""
    marking = {"N_", "_", "gettext", "lazy_gettext", "ngettext"}
    found = []
    for path in sorted(path for part in ("engine", "services", "web") for path in (ROOT / part).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines, tree = source.splitlines(), ast.parse(source)
        skipped: set[int] = set()  # ids of the nodes inside a marking call and of docstrings
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in marking:
                skipped.update(id(inner) for inner in ast.walk(node))
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                    and isinstance(body[0].value, ast.Constant):
                skipped.add(id(body[0].value))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CYRILLIC.search(node.value) \
                    and id(node) not in skipped and "# not translated: " not in lines[node.lineno - 1]:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]}")
    assert found == [], "\n".join(found)


def test_every_russian_word_of_a_template_is_translated() -> None:
    """Templates say in Russian only through _() or {% trans %}; the language switch names «Русский» as itself."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        source = re.sub(r"\{%\s*trans\b.*?%\}.*?\{%\s*endtrans\s*%\}|\{#.*?#\}", "", path.read_text(encoding="utf-8"),
                        flags=re.S)
        source = re.sub(r"""(?:_|gettext)\(\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""", "", source)
        found += [f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}"
                  for number, line in enumerate(source.splitlines(), 1)
                  if CYRILLIC.search(line.replace("'Русский'", ""))]
    assert found == [], "\n".join(found)
