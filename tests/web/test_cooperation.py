"""Working together (order 4.3) over HTTP: the Directorate transfers a message to a municipality, follows the
municipal case from its own case page, gets it back when it is not the municipality's competence, and reads the
overview of every municipality."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import FixedClock
from models import Case, CaseTransfer
from services.integrity import check_cases
from services.timers import fire_due_timers
from tests.conftest import MSK, api_token, login, task_id_from
from tests.web.test_main_path import open_inbox_task, register

TRIAGE = "Отбор и классификация сообщения"
TRANSFER = {"triage_decision": "transfer", "municipality": "gatchina",
            "triage_comment": "Сети Коммунара: вопрос округа"}
SEND = {"triage_decision": "send", "theme": "heating", "location": "gatchina-2", "importance": "normal",
        "bodies": "gtn.zhkh"}
DRAFT = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Течь устранят сегодня."}
PUBLISH = {"published_url": "https://vk.com/wall-1_300?reply=5", "published_at": "2026-11-24T10:00"}


def transferred(app: Flask, url: str = "https://vk.com/wall-1_300", to: str = "gatchina") -> tuple[int, int]:
    """A message the oblast's curator registered and transferred from triage: (oblast case, municipal case)."""
    curator = login(app, "curator")
    case_id = register(curator, url=url, attachments="https://vk.com/photo-1_1 https://vk.com/photo-1_2")
    triage = open_inbox_task(curator, TRIAGE)
    assert curator.post(f"/tasks/{triage}", data={**TRANSFER, "municipality": to}).status_code == 302
    token = api_token(curator, "curator")
    assert curator.get(f"/api/v1/cases/{case_id}", headers=token).json["outcome"] == "transferred_end"
    with app.extensions["otklik.sessions"]() as session:
        municipal = session.scalar(select(CaseTransfer.municipal_case_id).where(CaseTransfer.case_id == case_id)
                                   .order_by(CaseTransfer.id.desc()))
    return case_id, int(municipal)


def progress(client: FlaskClient, case_id: int) -> str:
    """The municipal part of the oblast's case page."""
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    sections = re.findall(r'<section class="card transfer-outgoing".*?</section>', page, re.S)
    assert sections, "no transfer on the case page"
    return "".join(sections)


def test_the_oblast_follows_a_case_it_sent_to_gatchina(app: Flask, sessions: Any) -> None:
    oblast = login(app, "curator")
    case_id, municipal_id = transferred(app)
    page = oblast.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "передано в муниципальное образование" in page and "Передано в муниципальное образование (п. 4.3)" in page
    status = progress(oblast, case_id)
    assert "Гатчинский муниципальный округ" in status and "в работе" in status and TRIAGE in status
    with sessions() as session:
        case = session.get(Case, municipal_id)
        assert (case.source, case.status, case.url, case.attachments) == (
            "oblast", "open", "https://vk.com/wall-1_300", ["https://vk.com/photo-1_1", "https://vk.com/photo-1_2"])

    gtn = login(app, "gtn.curator")
    inbox = gtn.get("/inbox").get_data(as_text=True)
    assert "Передано из Дирекции" in inbox and "Сети Коммунара: вопрос округа" in inbox
    triage = task_id_from(inbox, TRIAGE)
    assert oblast.get(f"/tasks/{triage}").status_code == 404  # the municipality's task is not the oblast's
    own = gtn.get(f"/cases/{municipal_id}").get_data(as_text=True)
    assert "Передано из Дирекции" in own and "Сети Коммунара: вопрос округа" in own
    assert gtn.post(f"/tasks/{triage}", data=SEND).status_code == 302
    status = progress(oblast, case_id)
    assert "Подготовка проекта ответа" in status and "25.11.2026 10:48" in status  # 9 working hours from Tue 10:00

    executor = login(app, "gtn.zhkh.exec1")
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    assert executor.post(f"/tasks/{draft}", data=DRAFT).status_code == 302
    status = progress(oblast, case_id)
    assert "Согласование проекта ответа" in status
    page = oblast.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Течь устранят" not in page and "Фролова" not in page and "Сергеев Олег" not in page  # no drafts, no people

    approval = open_inbox_task(gtn, "Согласование проекта ответа")
    assert gtn.post(f"/tasks/{approval}", data={"approval_decision": "approve"}).status_code == 302
    assert "Публикация ответа" in progress(oblast, case_id)
    publication = open_inbox_task(executor, "Публикация ответа")
    assert executor.post(f"/tasks/{publication}", data=PUBLISH).status_code == 302
    status = progress(oblast, case_id)
    assert "закрыт · ответ опубликован" in status and "Публикация ответа" not in status

    headers = api_token(oblast, "curator")
    assert oblast.get(f"/api/v1/cases/{municipal_id}", headers=headers).status_code == 404
    for person, forbidden in (("curator", municipal_id), ("leader", municipal_id), ("gtn.curator", case_id),
                              ("gtn.zhkh.exec1", case_id), ("vsv.curator", case_id), ("vsv.curator", municipal_id)):
        assert login(app, person).get(f"/cases/{forbidden}").status_code == 404, person


def test_gatchina_sends_it_back_and_the_directorate_triages_again(app: Flask, clock: FixedClock,
                                                                  sessions: Any) -> None:
    case_id, municipal_id = transferred(app)
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=MSK))
    gtn = login(app, "gtn.curator")
    triage = open_inbox_task(gtn, TRIAGE)
    assert "Вернуть в Дирекцию: не в компетенции" in gtn.get(f"/tasks/{triage}").get_data(as_text=True)
    response = gtn.post(f"/tasks/{triage}", data={"triage_decision": "return_to_oblast"})
    assert response.status_code == 422 and "Причина возврата" in response.get_data(as_text=True)
    reason = "Сети Коммунара обслуживает областное предприятие"
    assert gtn.post(f"/tasks/{triage}", data={"triage_decision": "return_to_oblast",
                                              "return_reason": reason}).status_code == 302

    oblast = login(app, "curator")
    again = open_inbox_task(oblast, TRIAGE)  # the Directorate has it as work at once
    page = oblast.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Возвращено муниципальным образованием в Дирекцию" in page and "в работе" in page
    status = progress(oblast, case_id)
    assert "возвращено в Дирекцию" in status and reason in status
    assert "Сергеев Олег Викторович" in status  # only now: the municipality's history of the case
    with sessions() as session:
        case = session.get(Case, case_id)
        assert (case.status, case.outcome, case.stalled_at) == ("open", None, None)
        assert session.get(Case, municipal_id).outcome == "returned_end"
        assert list(check_cases(session=session, clock=clock)) == []

    response = oblast.post(f"/tasks/{again}", data=TRANSFER)  # Gatchina already had it
    assert response.status_code == 422 and "уже зарегистрировано" in response.get_data(as_text=True)
    assert oblast.post(f"/tasks/{again}", data={**TRANSFER, "municipality": "vsevolozhsk"}).status_code == 302
    assert "Всеволожский муниципальный район" in progress(oblast, case_id)
    assert "Передано из Дирекции" in login(app, "vsv.curator").get("/inbox").get_data(as_text=True)


def test_bad_transfers_are_refused(app: Flask) -> None:
    oblast = login(app, "curator")
    case_id = register(oblast, url="https://vk.com/wall-1_301")
    triage = open_inbox_task(oblast, TRIAGE)
    form = oblast.get(f"/tasks/{triage}").get_data(as_text=True)
    assert "Гатчинский муниципальный округ" in form and "Вернуть в Дирекцию" not in form
    for data, field in (({**TRANSFER, "municipality": "atlantis"}, "municipality"),
                        ({**TRANSFER, "municipality": ""}, "municipality")):
        response = oblast.post(f"/tasks/{triage}", data=data)
        assert response.status_code == 422, data
        assert f'data-field="{field}"' in response.get_data(as_text=True)
    response = oblast.post(f"/tasks/{triage}", data={"triage_decision": "return_to_oblast", "return_reason": "?"})
    assert response.status_code == 422 and "только случай, переданный из Дирекции" in response.get_data(as_text=True)
    assert oblast.post(f"/tasks/{triage}", data=TRANSFER).status_code == 302
    headers = api_token(oblast, "curator")
    twice = oblast.post(f"/api/v1/tasks/{triage}/complete", json=TRANSFER, headers=headers)
    assert twice.status_code == 409
    with app.extensions["otklik.sessions"]() as session:
        assert len(session.scalars(select(CaseTransfer).where(CaseTransfer.case_id == case_id)).all()) == 1

    gtn = login(app, "gtn.curator")
    own = register(gtn, url="https://vk.com/wall-70000001_903")
    task = next(int(t) for t in re.findall(r'href="/tasks/(\d+)"', gtn.get(f"/cases/{own}").get_data(as_text=True)))
    form = gtn.get(f"/tasks/{task}").get_data(as_text=True)
    assert "Всеволожский" not in form and "Передать в муниципальное образование" not in form
    assert "Вернуть в Дирекцию" not in form  # the municipality's own case came from no one
    for data in ({**TRANSFER, "municipality": "vsevolozhsk"}, {"triage_decision": "return_to_oblast",
                                                              "return_reason": "Не наше"}):
        response = gtn.post(f"/tasks/{task}", data=data)
        assert response.status_code == 422, data
    with app.extensions["otklik.sessions"]() as session:
        assert session.get(Case, own).status == "open"

    for person in ("gtn.curator", "gtn.admin", "kgkh.exec1", "methodologist"):
        assert login(app, person).get("/municipalities/overview").status_code == 403, person


def _row(page: str, code: str) -> dict[str, str]:
    row = re.search(rf'<tr data-municipality="{code}">(.*?)</tr>', page, re.S)
    assert row, code
    return {name: value.strip() for name, value in re.findall(r'<td class="([\w-]+)">(.*?)</td>', row.group(1), re.S)}


def test_the_overview_counts_each_municipality(app: Flask, clock: FixedClock, sessions: Any) -> None:
    transferred(app)  # G1: at triage in Gatchina
    transferred(app, url="https://vk.com/wall-1_310", to="vsevolozhsk")
    vsv = login(app, "vsv.curator")
    assert vsv.post(f"/tasks/{open_inbox_task(vsv, TRIAGE)}",
                    data={"triage_decision": "return_to_oblast", "return_reason": "Не наше"}).status_code == 302
    gtn, executor = login(app, "gtn.curator"), login(app, "gtn.zhkh.exec1")
    late = register(gtn, url="https://vk.com/wall-70000001_910")  # G2: triaged, then nobody drafts in time
    assert gtn.post(f"/tasks/{task_id_from(gtn.get(f'/cases/{late}').get_data(as_text=True), TRIAGE)}",
                    data=SEND).status_code == 302
    on_time = register(gtn, url="https://vk.com/wall-70000001_911")  # G3: answered at once
    assert gtn.post(f"/tasks/{task_id_from(gtn.get(f'/cases/{on_time}').get_data(as_text=True), TRIAGE)}",
                    data=SEND).status_code == 302
    draft = task_id_from(executor.get(f"/cases/{on_time}").get_data(as_text=True), "Подготовка проекта ответа")
    assert executor.post(f"/tasks/{draft}", data=DRAFT).status_code == 302
    approval = task_id_from(gtn.get(f"/cases/{on_time}").get_data(as_text=True), "Согласование проекта ответа")
    assert gtn.post(f"/tasks/{approval}", data={"approval_decision": "approve"}).status_code == 302
    publication = task_id_from(executor.get(f"/cases/{on_time}").get_data(as_text=True), "Публикация ответа")
    assert executor.post(f"/tasks/{publication}", data=PUBLISH).status_code == 302

    # Wed 12:00: G2's draft (due Tue 15:48) and answer (due Wed 10:48) deadlines have passed.
    clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=MSK))
    assert fire_due_timers(sessions=sessions, clock=clock) == 1  # one case woken, all its due timers
    for person in ("curator", "admin", "leader"):
        page = login(app, person).get("/municipalities/overview").get_data(as_text=True)
        gatchina = _row(page, "gatchina")
        assert {k: gatchina[k] for k in ("open", "overdue-cases", "overdue-tasks", "breaches", "answered",
                                         "timeliness")} == {"open": "2", "overdue-cases": "1", "overdue-tasks": "1",
                                                            "breaches": "2", "answered": "1",
                                                            "timeliness": "100.0 %"}, person
        assert "в работе: 1 ·" in gatchina["transferred"]
        vsevolozhsk = _row(page, "vsevolozhsk")
        assert (vsevolozhsk["open"], vsevolozhsk["answered"], vsevolozhsk["timeliness"]) == ("0", "0", "—")
        assert "возвращено: 1" in vsevolozhsk["transferred"] and "в работе: 0" in vsevolozhsk["transferred"]
        assert "Течь устранят" not in page and "Фролова" not in page
    leader = login(app, "leader")  # the transfer in work names its municipal step as the library translates it
    assert leader.post("/lang/en").status_code == 302
    page = leader.get("/municipalities/overview").get_data(as_text=True)
    assert "<td>Selection and classification of the message</td>" in page and TRIAGE not in page

    # G2 answered late: two answered this month, one of them on time.
    draft = task_id_from(executor.get(f"/cases/{late}").get_data(as_text=True), "Подготовка проекта ответа")
    assert executor.post(f"/tasks/{draft}", data=DRAFT).status_code == 302
    approval = task_id_from(gtn.get(f"/cases/{late}").get_data(as_text=True), "Согласование проекта ответа")
    assert gtn.post(f"/tasks/{approval}", data={"approval_decision": "approve"}).status_code == 302
    publication = task_id_from(executor.get(f"/cases/{late}").get_data(as_text=True), "Публикация ответа")
    assert executor.post(f"/tasks/{publication}", data={**PUBLISH, "published_at": "2026-11-25T12:00"}
                         ).status_code == 302
    gatchina = _row(login(app, "curator").get("/municipalities/overview").get_data(as_text=True), "gatchina")
    assert (gatchina["open"], gatchina["overdue-cases"], gatchina["overdue-tasks"], gatchina["breaches"],
            gatchina["answered"], gatchina["timeliness"]) == ("1", "0", "0", "2", "2", "50.0 %")
