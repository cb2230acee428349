"""Clause 10 at intake and the editable word lists: flags, the curator's confirm or dismiss, the lists page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from engine.clock import FixedClock
from models import Case, LexiconEntry, Tenant
from services.lexicon import SEED_FILE, Lexicon, canonical, validate_pattern
from services.setup import load_reference
from tests.conftest import api_token, login
from tests.web.test_main_path import open_inbox_task, register

THREAT = "Чиновники, я знаю, где ты живёшь. Найду тебя и сожгу твою машину!"
TRIAGE_TASK = "Отбор и классификация сообщения"


def seeded() -> Lexicon:
    """The shipped lists, compiled."""
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    return Lexicon.of({name: [canonical(p) for p in patterns] for name, patterns in data["lists"].items()})


def entries(sessions: Any, list_name: str) -> set[str]:
    """The oblast's entries of one list."""
    with sessions() as session:
        return set(session.scalars(select(LexiconEntry.pattern).join(Tenant, Tenant.id == LexiconEntry.tenant_id)
                                   .where(LexiconEntry.list_name == list_name, Tenant.code == "lenobl")))


@pytest.mark.parametrize(("text", "list_name", "expected"), [
    ("Я тебя УБЬЮ, слышишь?", "threat", ["УБЬЮ"]),
    ("Знаю, где ты живёшь!", "threat", ["Знаю, где ты живёшь"]),
    ("Зарежем всех", "threat", ["Зарежем"]),
    ("Этот холод нас убьёт", "threat", []),
    ("Мусор сожгли во дворе", "threat", []),
    ("какой же ты мудак", "obscene", ["мудак"]),
    ("Вы уже заебали", "obscene", ["заебали"]),
    ("Это cука полная", "obscene", ["cука"]),  # a Latin «c» inside a Cyrillic word
    ("нужно употреблять лекарства", "obscene", []),
    ("в магазине нет хлеба", "obscene", []),
    ("застрахуем машину", "obscene", []),
    ("Бляха ремня потерялась", "obscene", []),
    ("Отравлю соседа", "harm", ["Отравлю"]),
    ("Доводим до Вашего\nсведения", "template", ["Доводим до Вашего\nсведения"]),
    ("вышеуказанные меры", "bureaucratese", ["вышеуказанные"]),
    ("Обратитесь в администрацию", "redirection", ["Обратитесь в"]),
])
def test_matching_ignores_case_and_yo_and_keeps_word_boundaries(text: str, list_name: str,
                                                                 expected: list[str]) -> None:
    assert seeded().find(list_name, text) == expected


def test_every_shipped_entry_is_valid_and_canonical() -> None:
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    for name, patterns in data["lists"].items():
        assert len(set(patterns)) == len(patterns), name
        for pattern in patterns:
            assert validate_pattern(pattern) == pattern


def test_loading_reference_again_keeps_peoples_edits(app: Flask, sessions: Any, clock: FixedClock) -> None:
    with sessions() as session:
        total = session.scalar(select(func.count()).select_from(LexiconEntry))
        assert total and total > 100
        tenant = session.scalars(select(Tenant).order_by(Tenant.id)).first()
        assert tenant is not None  # the oblast; the municipalities keep their lists
        session.execute(delete(LexiconEntry).where(LexiconEntry.pattern == "сожгу",
                                                   LexiconEntry.tenant_id == tenant.id))
        session.add(LexiconEntry(tenant_id=tenant.id, list_name="threat", pattern="спалим"))
        session.commit()
    try:
        with sessions() as session:
            load_reference(session=session, clock=clock)
            session.commit()
        assert "сожгу" not in entries(sessions, "threat") and "спалим" in entries(sessions, "threat")
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(LexiconEntry)) == total
    finally:
        with sessions() as session:
            session.execute(delete(LexiconEntry).where(LexiconEntry.pattern == "спалим"))
            session.add(LexiconEntry(tenant_id=tenant.id, list_name="threat", pattern="сожгу"))
            session.commit()


def test_a_flagged_message_shows_a_red_notice_and_the_curator_confirms(app: Flask, sessions: Any) -> None:
    curator = login(app, "curator")
    case_id = register(curator, text=THREAT + " <b>xss</b>")
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert [(f["ground"], f["match"]) for f in case.flags] == [
            ("threat", "знаю, где ты живёшь"), ("threat", "Найду тебя"), ("threat", "сожгу")]

    listing = curator.get("/cases/").get_data(as_text=True)
    row = listing[listing.index(f'href="/cases/{case_id}"'):]
    assert "flag-badge" in row[:row.index("</tr>")]

    triage = open_inbox_task(curator, TRIAGE_TASK)
    page = curator.get(f"/tasks/{triage}").get_data(as_text=True)
    assert "flag-notice" in page and "«Найду тебя»" in page and "«сожгу»" in page
    assert "Подтвердить: не подлежит обработке" in page and "Отклонить отметку" in page
    assert "&lt;b&gt;xss&lt;/b&gt;" in page and "<b>xss</b>" not in page
    assert 'name="flag_ground" value="threat"' in page
    assert not re.search(r'value="not_subject"\s+checked', page)

    page = curator.get(f"/tasks/{triage}?flag_ground=threat").get_data(as_text=True)
    assert re.search(r'value="not_subject"\s+checked', page)
    assert re.search(r'<option value="threat"\s+selected', page)
    assert "решение вступит в силу только после этого" in page

    page = curator.get(f"/tasks/{triage}?flag_ground=harm").get_data(as_text=True)
    assert not re.search(r'value="not_subject"\s+checked', page), "only a ground the flags found is pre-selected"

    response = curator.post(f"/tasks/{triage}", data={"triage_decision": "not_subject",
                                                      "not_subject_ground": "threat"})
    assert response.status_code == 302
    data = curator.get(f"/api/v1/cases/{case_id}", headers=api_token(curator, "curator")).json
    assert data["status"] == "closed" and data["outcome"] == "not_subject_end"


def test_the_curator_dismisses_a_flag_and_the_history_keeps_it(app: Flask, sessions: Any) -> None:
    curator = login(app, "curator")
    case_id = register(curator, text="Да пошли вы, уроды, третий день нет воды")
    triage = open_inbox_task(curator, TRIAGE_TASK)
    assert "«уроды»" in curator.get(f"/tasks/{triage}").get_data(as_text=True)

    assert login(app, "kgkh.exec1").post(f"/cases/{case_id}/flags/dismiss").status_code == 403
    response = curator.post(f"/cases/{case_id}/flags/dismiss", data={"task_id": str(triage)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{triage}")
    page = curator.get(f"/tasks/{triage}").get_data(as_text=True)
    assert "flag-notice" not in page and "Отметка отклонена" in page
    assert curator.post(f"/cases/{case_id}/flags/dismiss").status_code == 409

    case_page = curator.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Отметка «не подлежит обработке» (п. 10) отклонена куратором" in case_page
    assert "Найдено:</span> уроды" in case_page
    assert "flag-badge" not in curator.get("/cases/").get_data(as_text=True)
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.flags == []


def test_a_clean_message_has_no_flag(app: Flask) -> None:
    curator = login(app, "curator")
    case_id = register(curator, text="Нет горячей воды третий день, дом 5 по улице Ленина")
    triage = open_inbox_task(curator, TRIAGE_TASK)
    assert "flag-notice" not in curator.get(f"/tasks/{triage}").get_data(as_text=True)
    assert "flag-notice" not in curator.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "flag-badge" not in curator.get("/cases/").get_data(as_text=True)


def test_methodologist_edits_the_lists_and_intake_uses_them(app: Flask) -> None:
    methodologist = login(app, "methodologist")
    page = methodologist.get("/lexicon")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Словари" in html and "Шаблонные фразы (п. 11)" in html and "в установленном порядке" in html

    response = methodologist.post("/lexicon/entries", data={"list_name": "obscene", "pattern": "  Ворюг*  "})
    assert response.status_code == 302 and response.headers["Location"].endswith("#list-obscene")
    assert "ворюг*" in methodologist.get("/lexicon").get_data(as_text=True)

    curator = login(app, "curator")
    register(curator, text="Ворюги в администрации, где ремонт?")
    triage = open_inbox_task(curator, TRIAGE_TASK)
    assert "«Ворюги»" in curator.get(f"/tasks/{triage}").get_data(as_text=True)

    html = methodologist.get("/lexicon").get_data(as_text=True)
    entry_id = re.search(r'data-entry="(\d+)">ворюг\*', html)
    assert entry_id
    assert methodologist.post(f"/lexicon/entries/{entry_id.group(1)}/delete").status_code == 302
    html = methodologist.get("/lexicon").get_data(as_text=True)
    assert "Удалено из словаря" in html and f'data-entry="{entry_id.group(1)}"' not in html
    assert methodologist.post(f"/lexicon/entries/{entry_id.group(1)}/delete").status_code == 404

    # The compiled lists are kept between messages; an edit replaces them at once.
    later = register(curator, url="https://vk.com/wall-1_9090", text="Ворюги опять ничего не сделали")
    with app.extensions["otklik.sessions"]() as session:
        case = session.get(Case, later)
        assert case is not None and case.flags == []


@pytest.mark.parametrize(("list_name", "pattern", "message"), [
    ("template", "", "Введите слово или фразу"),
    ("template", "   ", "Введите слово или фразу"),
    ("template", "а" * 201, "Не длиннее 200 символов"),
    ("template", "В установлЕнном   порядке", "уже есть в словаре «Шаблонные фразы (п. 11)»"),
    ("threat", "убьёшь?!", "Допустимы буквы, цифры, дефис"),
    ("threat", "у*бью", "Допустимы буквы, цифры, дефис"),
    ("threat", "у*", "не меньше трёх букв"),
    ("nonsense", "слово", "Выберите словарь из списка"),
])
def test_a_bad_entry_is_refused_with_a_reason(app: Flask, list_name: str, pattern: str, message: str) -> None:
    methodologist = login(app, "methodologist")
    response = methodologist.post("/lexicon/entries", data={"list_name": list_name, "pattern": pattern})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["curator", "kgkh.exec1", "kgkh.resp", "leader"])
def test_only_methodologist_and_admin_edit_lists(app: Flask, username: str) -> None:
    client = login(app, username)
    assert client.get("/lexicon").status_code == 403
    assert client.post("/lexicon/entries", data={"list_name": "threat", "pattern": "пример"}).status_code == 403
    assert "/lexicon" not in client.get("/cases/").get_data(as_text=True)
    assert 'href="/lexicon"' in login(app, "admin").get("/cases/").get_data(as_text=True)
