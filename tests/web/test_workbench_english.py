"""Issue 14, defect 10: the methodologist's workbench in English mode: the library checks of a diagram, a decision
table and a form, the comparison of versions, a variant's merge notes, a case migration's refusal and the comments
the system writes; Russian stays the default."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login
from tests.test_processes_cli import restore_regional
from tests.web.test_main_path import register
from tests.web.test_migration import PAGE as MIGRATION
from tests.web.test_migration import publish_v2
from tests.web.test_municipal_library import TRIAGE, municipality, publish_regional, published_variant
from tests.web.test_workbench import DATA, diagram, methodologist, save, start
from tests.web.test_workbench_editors import FORM, page_form, post
from tests.web.test_workbench_tables import TABLE, table

__all__ = ["methodologist", "municipality"]  # the fixtures, used by name

CONDITION = 'round == "first" and len(bodies) &gt; 1'
DEADLINE = '<spiffworkflow:property name="deadline" value="draft"/>'


def english(client: FlaskClient) -> FlaskClient:
    assert client.post("/lang/en").status_code == 302
    return client


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def messages(answer: dict) -> list[str]:
    return [problem["message"] for problem in answer["problems"]]


def test_a_diagrams_checks_read_in_english(app: Flask, methodologist: FlaskClient) -> None:
    """A forbidden construct, a bad expression and a schema error (libxml2's words translated) on saving."""
    draft_id = start(methodologist)
    xml, revision = diagram(methodologist, draft_id)
    assert CONDITION in xml
    bad = (xml.replace(CONDITION, 'round.upper() == "FIRST"', 1)
           .replace("<bpmn:startEvent ", '<bpmn:task id="idle" /><bpmn:startEvent ', 1)
           .replace("<bpmn:userTask ", '<bpmn:userTask colour="red" ', 1))
    status, answer = save(english(methodologist), draft_id, bad, revision)
    assert status == 200
    found = messages(answer)
    assert "a task of type bpmn:task silently waits for a person in SpiffWorkflow; use a user task or a service " \
           "task" in found
    assert 'flow condition: expression «round.upper() == "FIRST"»: attribute access is not allowed' in found
    assert any(m.startswith("does not conform to the BPMN 2.0 / SpiffWorkflow schema: element bpmn:userTask, "
                            "attribute colour: the attribute «colour» is not allowed.") for m in found), found
    assert not any(re.search("[а-яё]", m) for m in found), found
    page = text(methodologist.get(f"/workbench/drafts/{draft_id}"))
    assert "attribute access is not allowed" in page and "обращение к атрибутам" not in page
    check = methodologist.post(f"{DATA}/conditions/check", json={"expression": "case.id"}).get_json()
    assert check == {"ok": False, "message": "expression «case.id»: attribute access is not allowed"}

    russian = login(app, "admin")
    status, answer = save(russian, draft_id, bad, answer["revision"])
    assert status == 200
    found = messages(answer)
    assert "задача типа bpmn:task в SpiffWorkflow молча ждёт человека; используйте пользовательскую или служебную " \
           "задачу" in found
    assert 'условие перехода: выражение «round.upper() == "FIRST"» — обращение к атрибутам запрещено' in found
    assert any(m.startswith("не соответствует схеме BPMN 2.0 / SpiffWorkflow: элемент bpmn:userTask, атрибут "
                            "colour: атрибут «colour» не допускается.") for m in found), found
    check = russian.post(f"{DATA}/conditions/check", json={"expression": "case.id"}).get_json()
    assert check["message"] == "выражение «case.id» — обращение к атрибутам запрещено"


def test_a_decision_tables_checks_read_in_english(app: Flask, methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    xml, revision = table(methodologist, draft_id)
    feel = xml.replace('<text>"lighting"</text>', "<text>[1..10]</text>", 1)
    response = english(methodologist).post(f"{DATA}/drafts/{draft_id}/tables/{TABLE}",
                                           json={"xml": feel, "revision": revision})
    assert response.status_code == 200
    [message] = messages(response.get_json())
    assert re.fullmatch(r"rule \d+ \(rule_lighting\), «.+»: a range \[a\.\.b\] is FEEL notation; "
                        r"write 1 <= \? <= 10", message), message
    page = text(methodologist.get(f"/workbench/drafts/{draft_id}/tables/{TABLE}"))
    assert "is FEEL notation" in page and "запись FEEL" not in page

    [russian] = messages(login(app, "admin").post(f"{DATA}/drafts/{draft_id}/tables/{TABLE}",
                                                  json={"xml": feel, "revision": 2}).get_json())
    assert re.fullmatch(r"правило \d+ \(rule_lighting\), «.+»: диапазон \[a\.\.b\] — запись FEEL; "
                        r"пишите 1 <= \? <= 10", russian), russian


def test_a_forms_checks_read_in_english(app: Flask, methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    url = FORM.format(draft_id, "approval.schema.json")
    values = page_form(methodologist, url, "form-editor")
    bad = '{"title": "x", "type": "object", "properties": {"when": {"type": "object"}}}'
    status, page = post(english(methodologist), url, {**values, "json": bad}, "save-json")
    assert status == 422
    assert "The form was refused: Form approval.schema.json, field when: the type «object» is not supported" \
        in html.unescape(page)
    status, page = post(login(app, "admin"), url, {**values, "json": bad}, "save-json")
    assert status == 422
    assert "Форма не принята: Форма approval.schema.json, поле when: тип «object» не поддерживается" \
        in html.unescape(page)


def _changes(page: str) -> list[list[str]]:
    """The comparison's list of changes: each row's cells as text."""
    rows = lxml.html.fromstring(page).xpath('//tr[@class="change"]')
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("td")] for row in rows]


def test_the_comparison_names_elements_and_properties_in_english(app: Flask, methodologist: FlaskClient) -> None:
    draft_id = start(methodologist)
    russian = login(app, "admin")
    assert "Черновик создан из текущей версии" in text(russian.get(f"/workbench/drafts/{draft_id}"))
    assert "Draft created from the current version" in text(english(methodologist).get(f"/workbench/drafts/{draft_id}"))
    xml, revision = diagram(methodologist, draft_id)
    status, _ = save(methodologist, draft_id, xml.replace(DEADLINE, DEADLINE.replace("draft", "part"), 1), revision)
    assert status == 200
    url = "/workbench/processes/case_148rg/compare"
    page = methodologist.get(url).get_data(as_text=True)
    assert ["case.bpmn", "Task «Preparation of the draft reply»", "changed", "deadline", "draft", "part"] \
        in _changes(page)
    assert "draft (revision 2)" in page and "(current regional)" in page and "Задача" not in page
    assert ["case.bpmn", "Задача «Подготовка проекта ответа»", "изменено", "срок", "draft", "part"] \
        in _changes(russian.get(url).get_data(as_text=True))


def test_a_variants_merge_notes_read_in_english(app: Flask, municipality: Callable[[], str]) -> None:
    """The variant and the oblast both renamed the triage task: carried over, the variant's name kept, and noted."""
    code = municipality()
    client = login(app, f"{code}.methodologist")
    published_variant(client, TRIAGE, 'name="Отбор сообщения (МО)"')
    publish_regional(app, TRIAGE, 'name="Отбор сообщения"')
    response = english(client).post("/workbench/processes/case_148rg/rebase")
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert ("A variant draft was created on the new regional version. Check: Task «Отбор сообщения (МО)» — changed "
            "both in the variant and in the regional version: the variant's was kept, check it") in page
    assert re.search(r"Variant m\d+ carried onto regional version v\d+", page)
    russian = login(app, f"{code}.methodologist")  # their English follows them to a new login: they switch back
    assert russian.post("/lang/ru").status_code == 302
    page = text(russian.get(response.headers["Location"]))
    assert re.search(r"Вариант m\d+ перенесён на региональную версию v\d+", page)


@pytest.fixture
def regional_after(app: Flask) -> Iterator[None]:
    """The regional library current as shipped after the test."""
    yield
    restore_regional(app)


@pytest.mark.usefixtures("regional_after")
def test_a_migrations_refusal_reads_in_english(app: Flask) -> None:
    curator = login(app, "curator")
    staying = register(curator, url="https://vk.com/wall-1_300")
    publish_v2(app)
    page = text(english(login(app, "methodologist")).get(MIGRATION))
    assert f'data-case="{staying}"' in page
    assert ("The step «Selection and classification of the message» the case waits at is not in the new version"
            in page)
    assert "Шага «Отбор и классификация сообщения», на котором случай ждёт, нет в новой версии" \
        in text(login(app, "admin").get(MIGRATION))
