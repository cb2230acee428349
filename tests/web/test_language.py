"""The English interface: the language switch, English pages without leftover Russian chrome, a complete catalog."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.calendar import WEEKDAYS
from models import User
from services.absences import KIND_TITLES as ABSENCE_KINDS
from services.calendar_admin import KIND_TITLES as DAY_KINDS
from services.lexicon import LIST_TITLES
from services.reports.whatif import CALENDARS
from tests.conftest import api_token, login, task_id_from
from tests.web.test_main_path import register
from web.admin import MONTHS
from web.common import HTTP_MESSAGES
from web.labels import EVENT_TITLES, FIELD_LABELS, VALUE_LABELS

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
TRIAGE = "Selection and classification of the message"  # from the diagram, through translations/library.en.json


def _catalog() -> Catalog:
    with PO.open("rb") as po:
        return read_po(po, locale="en")


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    """The .mo is a build product (scripts/bootstrap.sh); compile it here too when it is missing or stale."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        with MO.open("wb") as mo:
            write_mo(mo, _catalog())


def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return html.unescape(response.get_data(as_text=True))


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _header(page: str) -> str:
    match = re.search(r'<header class="top">.*?</header>', page, re.S)
    assert match, "no header"
    return _text(match.group(0))


def _nav(page: str) -> str:
    match = re.search(r"<nav[ >].*?</nav>", page, re.S)
    assert match, "no navigation"
    return _text(match.group(0))


def _assert_english_chrome(page: str, person: User) -> None:
    """The navigation and header have no Russian left except data: the person's name and body, and «Русский»,
    the switch back, which names each language in that language."""
    assert '<html lang="en">' in page
    for part in (_nav(page), _header(page)):
        part = part.replace(person.full_name, "").replace("Русский", "")
        if person.body is not None:
            part = part.replace(person.body.short_name, "")
        assert not CYRILLIC.search(part), part
    assert "Русский" in _header(page)


def _person(app: Flask, username: str) -> User:
    with app.app_context():
        session = app.extensions["otklik.sessions"]()
        user: User = session.scalars(select(User).where(User.username == username)).one()
        _ = user.body  # loaded before the session closes
        session.expunge_all()
        session.close()
        return user


def test_english_interface_and_back(app: Flask) -> None:
    curator = login(app, "curator")
    person = _person(app, "curator")
    assert curator.post("/lang/en").status_code == 302

    case_id = register(curator)
    inbox = _page(curator, "/inbox")
    _assert_english_chrome(inbox, person)
    for text in ("Inbox", "Cases", "Processes", "Register a message", "Governor's posts", "Notifications", "Log out",
                 "Search text and author", "Take into work", f"Message registered: case No. {case_id}"):
        assert text in inbox, text
    assert "Входящие" not in inbox and "Взять в работу" not in inbox

    task_id = task_id_from(inbox, TRIAGE)
    task = _page(curator, f"/tasks/{task_id}")
    _assert_english_chrome(task, person)
    for text in ("Step deadline", "Overall reply deadline", "Status", "in progress", "Submit", "Body", "Theme"):
        assert text in task, text
    assert "Отправить" not in task and "Срок шага" not in task

    case = _page(curator, f"/cases/{case_id}")
    _assert_english_chrome(case, person)
    for text in (f"Case No. {case_id}", "Current tasks", "Process diagram", "History", "When", "Details",
                 "Message registered", "Method:", "curator's form", "Source:"):
        assert text in case, text
    assert "Сообщение зарегистрировано" not in case and "Схема процесса" not in case

    missing = _page(curator, "/no-such-page", 404)
    assert "Page not found" in missing and "To the home page" in missing
    _assert_english_chrome(missing, person)

    assert curator.post("/lang/ru").status_code == 302
    russian = _page(curator, "/inbox")
    assert '<html lang="ru">' in russian
    assert "Входящие" in russian and "Взять в работу" in russian and "English" in _header(russian)
    assert "Take into work" not in russian


def test_login_page_in_english(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/lang/en").status_code == 302
    page = _page(client, "/login")
    assert '<html lang="en">' in page
    for text in ("Log in to Otklik", "Username", "Password", "Handling messages from open sources"):
        assert text in page, text
    assert not CYRILLIC.search(_header(page).replace("Русский", ""))
    refused = client.post("/login", data={"username": "curator", "password": "wrong"})
    assert refused.status_code == 401 and "Wrong username or password" in refused.get_data(as_text=True)
    assert "Вход в «Отклик»" in _page(app.test_client(), "/login")  # Russian stays the default


def test_every_message_has_an_english_translation() -> None:
    catalog = _catalog()
    assert not catalog.fuzzy
    messages = [m for m in catalog if m.id]
    assert messages
    for message in messages:
        strings = [str(s or "") for s in (message.string if isinstance(message.string, (tuple, list))
                                          else [message.string])]
        assert all(s.strip() for s in strings), f"no translation for «{message.id}»"
        assert not message.fuzzy, f"fuzzy: «{message.id}»"
        msgid = str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
        for text in strings:
            assert sorted(re.findall(r"%\(\w+\)s", text)) == sorted(re.findall(r"%\(\w+\)s", msgid)), msgid


def test_catalog_covers_the_sources() -> None:
    """Every string wrapped in web/ and templates/ is in the .po (run pybabel extract and update after adding one)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    extracted = {message for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map)
                 if isinstance(message, str)}
    translated = {m.id for m in _catalog() if m.id and m.string}
    assert extracted, "nothing extracted: check babel.cfg"
    assert extracted - translated == set()


def test_labels_shown_through_gettext_are_translated() -> None:
    """Templates and web/common.py translate these dictionaries' Russian values at render time."""
    translated = {m.id for m in _catalog() if m.id and m.string}
    labels = [*ABSENCE_KINDS.values(), *DAY_KINDS.values(), *WEEKDAYS.values(), *LIST_TITLES.values(), *MONTHS,
              *CALENDARS.values(),
              *EVENT_TITLES.values(), *FIELD_LABELS.values(), *HTTP_MESSAGES.values(),
              *(v for v in VALUE_LABELS.values() if CYRILLIC.search(v))]
    assert [label for label in labels if label not in translated] == []


def _library_texts() -> set[str]:
    """Every text a person reads that the shipped library's forms and diagrams hold (every named element: the case
    page and the heatmap show the diagrams with their names)."""
    from engine.forms import FormSchema

    texts: set[str] = set()
    for path in sorted((ROOT / "forms").glob("*.json")):
        form = FormSchema.from_json(path.name, path.read_text(encoding="utf-8"))
        texts.add(str(form.schema.get("title", "")))
        for f in form.fields():
            texts.update([f.title, f.help, *(title for _, title in f.choices)])
        texts.update(str(prop.get("x-patternMessage", "")) for prop in form.schema["properties"].values())
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        texts.update(html.unescape(name) for name in re.findall(r'\bname="([^"]+)"', path.read_text(encoding="utf-8")))
    return {t for t in texts if CYRILLIC.search(t)}


def test_the_shipped_library_has_english_for_every_text() -> None:
    """Form titles, fields, choices, hints, their own error messages, step and process names:
    translations/library.en.json has them all."""
    from services.language import library_english

    assert sorted(_library_texts() - set(library_english())) == []
    assert all(text.strip() and not CYRILLIC.search(text) for text in library_english().values())


def test_forms_and_steps_read_in_english(app: Flask) -> None:
    """Issue 14, defect 10: the triage form and the step names in English; an untranslated text says so."""
    curator = login(app, "curator")
    assert curator.post("/lang/en").status_code == 302
    register(curator)
    inbox = _page(curator, "/inbox")
    assert "Отбор и классификация сообщения" not in inbox
    task = _page(curator, f"/tasks/{task_id_from(inbox, TRIAGE)}")
    for text in ("Selection and classification of the message (clause 8.1)", "Send to the competent body",
                 "Importance", "High: reply within 4 working hours", "Competent bodies", "Ground (clause 10)"):
        assert text in task, text
    assert "Категория важности" not in task and "Обычная: ответ за 9 рабочих часов" not in task

    from services.language import library_english
    from web.library_text import library_text

    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "en"
        marked = str(library_text("Новый текст методолога"))
        assert 'class="untranslated"' in marked and "This text has no English translation yet" in marked
        assert library_text("Тема") == library_english()["Тема"] == "Theme"


def test_a_persons_language_follows_them_to_their_next_login(app: Flask) -> None:
    """The choice is the person's, not the browser's: a fresh browser after logging in reads English; another person
    there stays Russian; switching back is kept too."""
    first = login(app, "curator")
    assert first.post("/lang/en").status_code == 302
    assert _person(app, "curator").language == "en"

    elsewhere = login(app, "curator")  # another browser, nothing chosen on its login page
    assert "Inbox" in _nav(_page(elsewhere, "/inbox"))
    assert 'lang="ru"' in _page(login(app, "kgkh.exec1"), "/inbox")

    assert elsewhere.post("/lang/ru").status_code == 302
    assert 'lang="ru"' in _page(login(app, "curator"), "/inbox")


def test_the_api_and_the_diagrams_name_steps_and_forms_in_english(app: Flask) -> None:
    """A task's name, its form's titles and choices, and the diagrams the viewers draw (the case page, the heatmap,
    the library) in the language asked for; the stored Russian otherwise."""
    curator = login(app, "curator")
    case_id = register(curator)
    client = app.test_client()
    bearer = api_token(client, "curator")
    english = {**bearer, "Accept-Language": "en"}
    [task] = client.get(f"/api/v1/tasks?case_id={case_id}", headers=english).json["tasks"]
    assert task["name"] == TRIAGE
    form = client.get(f"/api/v1/tasks/{task['id']}", headers=english).json["form"]
    assert form["title"] == "Selection and classification of the message (clause 8.1)"
    assert form["properties"]["importance"]["title"] == "Importance"
    assert form["properties"]["importance"]["x-enumTitles"]["high"] == "High: reply within 4 working hours"
    russian = client.get(f"/api/v1/tasks/{task['id']}", headers=bearer).json
    assert russian["name"] == "Отбор и классификация сообщения"
    assert russian["form"]["properties"]["importance"]["title"] == "Категория важности"

    assert curator.post("/lang/en").status_code == 302
    xml = curator.get(f"/cases/{case_id}/diagram.bpmn").get_data(as_text=True)
    assert f'name="{TRIAGE}"' in xml and 'name="Message registered"' in xml
    assert not re.search(r'name="[^"]*[А-Яа-яЁё]', xml)  # every name of the shipped diagrams has its English
    assert 'name="Сообщение зарегистрировано"' in login(app, "admin").get(
        f"/cases/{case_id}/diagram.bpmn").get_data(as_text=True)


def test_an_english_page_says_what_stays_as_entered(app: Flask) -> None:
    """Reference names and what people wrote are not translated; an English page says so plainly, once."""
    english = login(app, "curator")
    assert english.post("/lang/en").status_code == 302
    register(english)
    page = _page(english, "/inbox")
    assert 'id="data-language"' in page and "shown as they were entered: in Russian" in page
    assert "Ирина Петрова" in page  # an author, as written
    assert 'id="data-language"' not in _page(login(app, "kgkh.exec1"), "/inbox")
