"""Municipalities on the regional library (order 4.1): following it, adopting a new regional version by hand or at
once, a municipal variant forked, edited, published for that municipality only, its difference from the template,
a regional publication offered after the fork, and isolation of drafts and variants between libraries."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

import services.library.versions
from models import Body, Case, ProcessVersion, Tenant
from services.auth import create_user
from services.integrity import check_cases
from services.library.versions import publish
from tests.conftest import PASSWORD, login
from tests.engine.test_validation import REGIONAL
from tests.test_processes_cli import restore_regional
from tests.web.test_main_path import MESSAGE
from tests.web.test_workbench import diagram, save, start

TRIAGE = 'name="Отбор и классификация сообщения"'
DRAFT = 'name="Подготовка проекта ответа"'
_codes = itertools.count(1)


@pytest.fixture
def municipality(app: Flask, sessions: Any) -> Iterator[Callable[[], str]]:
    """Creates a municipality with a press service (its curator body), a curator and a methodologist; its code.
    Afterwards no drafts, and the regional library current as shipped."""

    def create() -> str:
        code = f"mo{next(_codes)}"
        session = sessions()
        tenant = Tenant(code=code, name=f"Муниципальный район {code}", kind="municipality", settings={})
        session.add(tenant)
        session.flush()
        session.add(Body(tenant_id=tenant.id, code=f"{code}-press", name="Пресс-служба администрации",
                         short_name="Пресс-служба", is_curator=True))
        session.flush()
        create_user(session=session, username=f"{code}.curator", password=PASSWORD, role="curator",
                    full_name=f"Куратор {code}", body_code=f"{code}-press", tenant_code=code)
        create_user(session=session, username=f"{code}.methodologist", password=PASSWORD, role="methodologist",
                    full_name=f"Методолог {code}", tenant_code=code)
        session.commit()
        session.close()
        return code

    yield create
    with app.extensions["otklik.engine"].begin() as conn:
        conn.execute(text("DELETE FROM process_draft"))
    restore_regional(app)


def publish_regional(app: Flask, old: str, new: str) -> int:
    """The oblast publishes the shipped library with one change in case.bpmn; the new version's id."""
    session = app.extensions["otklik.sessions"]()
    files = {**REGIONAL, "case.bpmn": REGIONAL["case.bpmn"].replace(old, new, 1)}
    publish(session=session, clock=app.config["CLOCK"], files=files, comment="Новая региональная версия", author=None)
    session.commit()
    version_id = session.scalar(select(ProcessVersion.id).where(
        ProcessVersion.process_id == "case_148rg", ProcessVersion.tenant_id.is_(None), ProcessVersion.is_current))
    session.close()
    assert version_id is not None
    return version_id


def published_variant(client: FlaskClient, old: str, new: str, comment: str = "Вариант") -> None:
    """The municipality's own variant of the case process, one text of its diagram replaced, published by its
    methodologist (`client`)."""
    draft_id = start(client)
    xml, revision = diagram(client, draft_id)
    status, answer = save(client, draft_id, xml.replace(old, new, 1), revision)
    assert status == 200, answer
    assert client.post(f"/workbench/drafts/{draft_id}/publish",
                       data={"revision": answer["revision"], "comment": comment}).status_code == 302


def new_case(app: Flask, code: str, n: int = 1) -> tuple[int, int]:
    """A message registered by a curator of the tenant (code None: the oblast); the case id and its version id."""
    curator = login(app, f"{code}.curator" if code else "curator")
    response = curator.post("/cases/new", data={**MESSAGE, "url": f"https://vk.com/wall-1_{code}{n}"})
    assert response.status_code == 302, response.get_data(as_text=True)
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return case_id, version_of_case(app, case_id)


def version_of_case(app: Flask, case_id: int) -> int:
    session = app.extensions["otklik.sessions"]()
    version_id = session.scalar(select(Case.process_version_id).where(Case.id == case_id))
    session.close()
    assert version_id is not None
    return version_id


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return html.unescape(response.get_data(as_text=True))


def test_a_municipality_adopts_a_new_regional_version_by_hand_or_at_once(
        app: Flask, municipality: Callable[[], str]) -> None:
    manual, auto = municipality(), municipality()
    first_case, v1 = new_case(app, manual)
    automatic = login(app, f"{auto}.methodologist")
    assert automatic.post("/processes/case_148rg/auto", data={"auto": "1"}).status_code == 303

    v2 = publish_regional(app, TRIAGE, 'name="Отбор сообщения"')
    assert new_case(app, manual, 2)[1] == v1  # keeps v1 for new cases until it adopts
    assert new_case(app, auto)[1] == v2  # moved at once
    assert new_case(app, None)[1] == v2  # the oblast runs its current version

    methodologist = login(app, f"{manual}.methodologist")
    processes = page(methodologist, "/processes/")
    number = re.search(r"Доступна новая региональная версия v(\d+)", processes)
    assert number, processes
    compare = re.search(r'href="(/workbench/processes/case_148rg/compare\?old=v\d+&new=v\d+)"', processes)
    assert compare and "Отбор сообщения" in page(methodologist, compare.group(1))  # what changed
    assert login(app, f"{manual}.curator").post("/processes/case_148rg/adopt",
                                                data={"number": number.group(1)}).status_code == 403
    assert methodologist.post("/processes/case_148rg/adopt", data={"number": number.group(1)}).status_code == 303
    assert new_case(app, manual, 3)[1] == v2
    assert version_of_case(app, first_case) == v1  # its running case keeps its version
    processes = page(methodologist, "/processes/")
    assert "Доступна новая региональная версия" not in processes
    assert f"региональной версии v{number.group(1)}" in processes and f"Методолог {manual}" in processes
    assert "принята автоматически" in page(automatic, "/processes/")


def test_a_municipal_variant_runs_for_its_municipality_only_and_shows_its_difference(
        app: Flask, sessions: Any, municipality: Callable[[], str]) -> None:
    own, other = municipality(), municipality()
    methodologist = login(app, f"{own}.methodologist")
    draft_id = start(methodologist)
    xml, revision = diagram(methodologist, draft_id)
    assert 'id="triage"' in xml  # a copy of the regional diagram: its element ids kept
    status, answer = save(methodologist, draft_id, xml.replace(TRIAGE, 'name="Отбор сообщения (МО)"', 1), revision)
    assert status == 200 and answer["problems"] == []

    # Isolation: another municipality and the oblast do not see the draft; the municipality publishes no regional.
    stranger, oblast = login(app, f"{other}.methodologist"), login(app, "methodologist")
    for client in (stranger, oblast):
        assert client.get(f"/workbench/drafts/{draft_id}").status_code == 404
        assert client.post(f"/workbench/data/drafts/{draft_id}/files/case.bpmn",
                           json={"xml": xml, "revision": answer["revision"]}).status_code == 404
        assert f"/workbench/drafts/{draft_id}" not in page(client, "/processes/")
    assert methodologist.post("/processes/publish", data={"comment": "x"}).status_code == 403

    response = methodologist.post(f"/workbench/drafts/{draft_id}/publish",
                                  data={"revision": answer["revision"], "comment": "По акту муниципалитета"})
    assert response.status_code == 302, response.get_data(as_text=True)
    case_id, variant_id = new_case(app, own)
    session = sessions()
    variant = session.get(ProcessVersion, variant_id)
    assert variant is not None and variant.tenant_id is not None and variant.forked_from_id is not None
    template_number = session.get(ProcessVersion, variant.forked_from_id).number
    session.close()
    assert 'Отбор сообщения (МО)' in page(login(app, f"{own}.curator"), "/inbox")
    assert new_case(app, other)[1] == variant.forked_from_id  # another municipality: the regional version
    assert new_case(app, None)[1] == variant.forked_from_id  # the oblast too
    assert stranger.get(f"/processes/{variant_id}/view?file=case.bpmn").status_code == 404
    assert stranger.get(f"/processes/{variant_id}/files/case.bpmn").status_code == 404
    assert stranger.get("/workbench/processes/case_148rg/compare?new=m1").status_code == 404

    # A restart: the variant's case restored from a freshly parsed spec agrees with its inbox rows and timers.
    services.library.versions._bundles.clear()
    session = sessions()
    assert list(check_cases(session=session, clock=app.config["CLOCK"])) == []
    session.rollback()
    session.close()
    assert 'Отбор сообщения (МО)' in page(login(app, f"{own}.curator"), "/inbox")

    variant_page = page(methodologist, "/workbench/processes/case_148rg/variant")
    assert f"Отличия от регионального шаблона v{template_number} (1)" in variant_page
    assert re.search(r'data-element="triage" data-kind="changed">.*?Отбор и классификация сообщения'
                     r'.*?Отбор сообщения \(МО\)', variant_page, re.S)
    assert "Региональных изменений после ответвления нет" in variant_page
    assert "своём варианте m1" in page(methodologist, "/processes/")
    assert stranger.get("/workbench/processes/case_148rg/variant").status_code == 404

    # The oblast publishes a new version after the fork: offered, with the variant carried onto it as a new draft.
    publish_regional(app, DRAFT, 'name="Проект ответа органа"')
    assert "Доступна новая региональная версия" in page(methodologist, "/processes/")
    variant_page = page(methodologist, "/workbench/processes/case_148rg/variant")
    assert re.search(r"Область опубликовала v\d+ после ответвления", variant_page)
    assert 'data-element="draft" data-kind="changed"' in variant_page and "конфликт</span>" not in variant_page
    response = methodologist.post("/workbench/processes/case_148rg/rebase")
    assert response.status_code == 303
    rebased = int(response.headers["Location"].rsplit("/", 1)[1])
    xml, _ = diagram(methodologist, rebased)
    assert 'name="Отбор сообщения (МО)"' in xml and 'name="Проект ответа органа"' in xml
    assert version_of_case(app, case_id) == variant_id  # the running case keeps the variant


def test_the_municipality_goes_back_to_the_regional_library(app: Flask, municipality: Callable[[], str]) -> None:
    code = municipality()
    methodologist = login(app, f"{code}.methodologist")
    published_variant(methodologist, DRAFT, 'name="Проект ответа"')
    _, variant_id = new_case(app, code)
    processes = page(methodologist, "/processes/")
    back = re.search(r'name="number" value="(\d+)">\s*<button type="submit" class="link follow-regional">', processes)
    assert back, processes
    assert methodologist.post("/processes/case_148rg/adopt", data={"number": back.group(1)}).status_code == 303
    _, version_id = new_case(app, code, 2)
    assert version_id != variant_id
    assert "региональной версии v" + back.group(1) in page(methodologist, "/processes/")
