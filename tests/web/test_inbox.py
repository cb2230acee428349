"""The inbox: due first in working time, filters, search, counts, saved views, «Взять в работу», isolation."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from engine.clock import FixedClock
from models import Case, HumanTask, InboxTally
from services.inbox.tally import merge, problems
from services.workflow import apply_snapshot, runner_for
from tests.conftest import api_token, login
from tests.web.test_main_path import TRIAGE, register
from tests.web.test_security import own_person

TRIAGE_STEP = "Отбор и классификация сообщения"


def send(curator: FlaskClient, n: int, **triage: str) -> int:
    """Register message n and triage it to kgkh (or as `triage` says); returns the case id."""
    case_id = register(curator, url=f"https://vk.com/wall-1_{n}", **{k: v for k, v in triage.items()
                                                                     if k in ("author", "text", "published_at")})
    task = next(t["id"] for t in tasks(curator, f"case_id={case_id}"))
    data = {**TRIAGE, **{k: v for k, v in triage.items() if k in TRIAGE}}
    assert curator.post(f"/tasks/{task}", data=data).status_code == 302
    return case_id


def tasks(client: FlaskClient, query: str = "", username: str | None = None) -> list[dict[str, Any]]:
    return listing(client, query, username)["tasks"]


def listing(client: FlaskClient, query: str = "", username: str | None = None) -> dict[str, Any]:
    headers = getattr(client, "_headers", None) or api_token(client, username or _who(client))
    client._headers = headers  # type: ignore[attr-defined]
    response = client.get(f"/api/v1/tasks?{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def _who(client: FlaskClient) -> str:
    return client._username  # type: ignore[attr-defined,no-any-return]


def person(app: Flask, username: str) -> FlaskClient:
    client = login(app, username)
    client._username = username  # type: ignore[attr-defined]
    return client


def test_due_first_in_working_time_with_colours_and_untimed_work_by_age(app: Flask, clock: FixedClock) -> None:
    curator, executor = person(app, "curator"), person(app, "kgkh.exec1")
    first = send(curator, 1)
    clock.advance(timedelta(minutes=30))
    second = send(curator, 2, importance="high")  # urgent: due 4 working hours after 10:30, before the first
    older = register(curator, url="https://vk.com/wall-1_3", published_at="2026-11-23T09:00")
    newer = register(curator, url="https://vk.com/wall-1_4", published_at="2026-11-24T09:00")
    assert [t["case_id"] for t in tasks(executor)] == [second, first]
    triage = [t["case_id"] for t in tasks(curator) if t["name"] == TRIAGE_STEP]
    assert triage == [older, newer] and all(t["timing"] == "untimed" for t in tasks(curator, "step=triage"))
    draft = tasks(executor, f"case_id={first}")[0]
    assert draft["timing"] == "ok" and draft["left_minutes"] == 4 * 60 + 30  # due 15:48; lunch is not counted
    assert draft["importance"] == "normal" and tasks(executor)[0]["importance"] == "high"
    page = executor.get("/inbox").get_data(as_text=True)
    assert "осталось 4 ч 30 мин" in page and "Срочно" in page
    clock.advance(timedelta(hours=4, minutes=30))  # 15:00: 4 h 12 min of 5 h passed (84 %)
    assert tasks(executor, f"case_id={first}")[0]["timing"] == "soon"
    assert "table-warning" in executor.get("/inbox").get_data(as_text=True)
    clock.advance(timedelta(hours=1))  # 16:00, 12 working minutes after the deadline
    late = tasks(executor, f"case_id={first}")[0]
    assert late["timing"] == "overdue" and late["left_minutes"] == -12
    assert "просрочено на 12 мин" in executor.get("/inbox").get_data(as_text=True)
    assert "сообщению 1 дн" in curator.get("/inbox").get_data(as_text=True)  # the untimed triage of 23.11


def test_filters_counts_and_search(app: Flask) -> None:
    curator, executor = person(app, "curator"), person(app, "kgkh.exec1")
    heating = send(curator, 1, author="Ирина Петрова", text="Нет горячей воды в доме")
    water = send(curator, 2, theme="water", location="vsevolozhsky", author="Олег Сидоров", text="Течёт труба")
    urgent = send(curator, 3, theme="water", importance="high", author="Анна Иванова", text="Затопило подвал")
    found = listing(executor)
    assert found["total"] == 3 and found["counts"]["theme"] == {"heating": 1, "water": 2}
    assert found["counts"]["location"] == {"gatchinsky": 2, "vsevolozhsky": 1}
    assert found["counts"]["importance"] == {"normal": 2, "high": 1} and found["counts"]["step"] == {"draft": 3}
    assert {t["case_id"] for t in tasks(executor, "theme=water")} == {water, urgent}
    assert [t["case_id"] for t in tasks(executor, "theme=water&importance=normal")] == [water]
    assert [t["case_id"] for t in tasks(executor, "location=vsevolozhsky")] == [water]
    assert listing(executor, "theme=water")["counts"]["location"] == {"gatchinsky": 1, "vsevolozhsky": 1}
    assert tasks(executor, "theme=nonexistent") == [] and tasks(executor, "overdue=1") == []
    assert [t["case_id"] for t in tasks(executor, "q=ПЕТРОВА")] == [heating]  # the author, any case
    assert [t["case_id"] for t in tasks(executor, "q=подвал")] == [urgent]  # the text
    assert tasks(executor, "q=100%25") == [] and tasks(executor, "q=_") == []  # LIKE's wildcards are plain text
    assert [t["case_id"] for t in tasks(curator, "q=петрова&body=kgkh")] == []  # the curator's tasks are triage
    page = executor.get("/inbox?q=Сидоров").get_data(as_text=True)
    assert "Течёт труба" in page and "Затопило" not in page and 'value="Сидоров"' in page
    assert "Водоснабжение и водоотведение (2)" in executor.get("/inbox").get_data(as_text=True)
    response = executor.get("/api/v1/tasks?importance=urgent", headers=executor._headers)  # type: ignore[attr-defined]
    assert response.status_code == 400 and set(response.json["error"]["fields"]) == {"importance"}
    assert executor.get("/inbox?scope=everyone").status_code == 400


def test_a_step_that_changes_the_classification_copies_it_onto_the_tasks_left_open(app: Flask, sessions: Any) -> None:
    curator = person(app, "curator")
    case_id = register(curator, url="https://vk.com/wall-1_7")
    triage = next(t["id"] for t in tasks(curator, f"case_id={case_id}"))
    response = curator.post(f"/tasks/{triage}", data={**TRIAGE, "bodies": ["kdh", "kgkh"], "order": "parallel"})
    assert response.status_code == 302
    clock = app.config["CLOCK"]
    with sessions() as session:  # one part answers while a step changes the case's importance; the other stays open
        case = session.get(Case, case_id)
        first, second = session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                                HumanTask.state == "open").order_by(HumanTask.id))
        snapshot = runner_for(session=session, case=case, clock=clock).complete(case.state, first.task_guid, {
            "part_outcome": "part", "part_text": "Часть", "measures_taken": None, "not_competent_reason": None})
        still_open = apply_snapshot(session=session, case=case, snapshot=snapshot, clock=clock, actor=None,
                                    completed_guid=first.task_guid, changes={"importance": "high"})
        assert second in still_open and second.importance == "high"  # the loaded row takes it as stored
        session.commit()
    kgkh = person(app, "kgkh.exec1")
    assert [t["case_id"] for t in tasks(kgkh, "importance=high")] == [case_id]
    assert tasks(kgkh, f"case_id={case_id}")[0]["importance"] == "high"


def test_saved_views_belong_to_their_person(app: Flask) -> None:
    executor = person(app, "kgkh.exec1")
    response = executor.post("/inbox/views", data={"name": "Вода срочно", "theme": "water", "importance": "high"})
    assert response.status_code == 303 and "theme=water" in response.headers["Location"]
    page = executor.get("/inbox").get_data(as_text=True)
    assert "Вода срочно" in page and "importance=high" in page
    assert executor.post("/inbox/views", data={"name": " ", "theme": "water"}).status_code == 422
    other = person(app, "kgkh.exec2")
    assert "Вода срочно" not in other.get("/inbox").get_data(as_text=True)
    view_id = int(page.split('action="/inbox/views/')[1].split("/")[0])
    assert other.post(f"/inbox/views/{view_id}/delete").status_code == 404
    assert executor.post(f"/inbox/views/{view_id}/delete").status_code == 303
    assert ">Вода срочно</a>" not in executor.get("/inbox").get_data(as_text=True)


def test_take_into_work_two_executors_race_and_the_responsible_releases(app: Flask) -> None:
    curator = person(app, "curator")
    case_id = send(curator, 1)
    egorov, kozlova = person(app, "kgkh.exec1"), person(app, "kgkh.exec2")
    task = tasks(egorov, f"case_id={case_id}")[0]["id"]
    first = egorov.post(f"/api/v1/tasks/{task}/take", headers=listing(egorov) and egorov._headers)  # type: ignore
    assert first.status_code == 200 and first.json["assignee"] == "kgkh.exec1"
    second = kozlova.post(f"/api/v1/tasks/{task}/take", headers=listing(kozlova) and kozlova._headers)  # type: ignore
    assert second.status_code == 409 and "в работе у Егорова И. А." in second.json["error"]["message"]
    page = kozlova.post(f"/inbox/tasks/{task}/take", follow_redirects=True).get_data(as_text=True)
    assert "в работе у Егорова И. А." in page and 'id="task-form"' not in page  # read-only
    assert tasks(kozlova, f"case_id={case_id}") == []  # her own inbox: hers and the queue
    body = kozlova.get("/inbox?scope=body").get_data(as_text=True)
    assert f'data-task-id="{task}"' in body and "в работе у Егорова И. А." in body
    assert kozlova.post(f"/api/v1/tasks/{task}/release", headers=kozlova._headers).status_code == 403  # type: ignore
    responsible = person(app, "kgkh.resp")
    assert responsible.post(f"/inbox/tasks/{task}/release").status_code == 303
    assert kozlova.post(f"/inbox/tasks/{task}/take").status_code == 303
    assert 'id="task-form"' in kozlova.get(f"/tasks/{task}").get_data(as_text=True)
    history = curator.get(f"/api/v1/cases/{case_id}", headers=api_token(curator, "curator")).json["history"]
    notes = [e["details"].get("assignment") for e in history if e["kind"] == "assigned"]
    assert notes == ["Взято в работу: Егоров И. А.", "Возвращено в очередь от Егорова И. А.",
                     "Взято в работу: Козлова Т. Ю."]


def test_another_body_or_tenant_sees_nothing_and_takes_nothing(app: Flask, sessions: Any) -> None:
    curator = person(app, "curator")
    case_id = send(curator, 1)
    task = tasks(person(app, "kgkh.exec1"), f"case_id={case_id}")[0]["id"]
    stranger = person(app, "kdh.exec1")
    assert tasks(stranger) == [] and tasks(stranger, "scope=body") == []
    assert stranger.post(f"/api/v1/tasks/{task}/take", headers=stranger._headers).status_code == 404  # type: ignore
    municipal = person(app, own_person(sessions, "mo.inbox.curator", "curator", tenant="mo_inbox"))
    assert listing(municipal)["total"] == 0 and tasks(municipal, "q=воды") == []
    assert municipal.post(f"/inbox/tasks/{task}/take").status_code == 404
    assert curator.post(f"/api/v1/tasks/{task}/take", headers=api_token(curator, "curator")).status_code == 403


def test_counts_kept_by_the_database_follow_every_change_and_survive_a_merge(app: Flask, sessions: Any) -> None:
    """The inbox's counts come from inbox_tally (triggers on human_task), not from counting the tasks: taking,
    releasing, triage, a step and a merge all leave them equal to the tasks; a broken count is found."""
    curator, executor = person(app, "curator"), person(app, "kgkh.exec1")
    send(curator, 1, author="Ирина Петрова", text="Нет горячей воды в доме")
    send(curator, 2, theme="water", importance="high")
    register(curator, url="https://vk.com/wall-1_9")  # left at triage
    task = tasks(executor)[0]["id"]
    assert executor.post(f"/api/v1/tasks/{task}/take", headers=executor._headers).status_code == 200  # type: ignore
    assert listing(executor, "scope=mine")["counts"]["step"] == {"draft": 1}
    assert listing(executor)["counts"]["theme"] == {"heating": 1, "water": 1}
    assert listing(curator)["counts"]["step"] == {"triage": 1}
    with sessions() as session:
        rows = session.scalar(select(func.count()).select_from(InboxTally))
        assert merge(session) == rows and session.scalar(select(func.count()).select_from(InboxTally)) < rows
        session.commit()
        assert list(problems(session)) == []
    assert listing(executor)["counts"] == {"step": {"draft": 2}, "body": {"kgkh": 2},
                                           "theme": {"heating": 1, "water": 1}, "location": {"gatchinsky": 2},
                                           "channel": {"vk": 2}, "importance": {"normal": 1, "high": 1}}
    with sessions() as session:
        session.execute(delete(InboxTally).where(InboxTally.dimension == "theme", InboxTally.value.is_not(None)))
        found = list(problems(session))
        session.rollback()
    assert len(found) == 2 and all("theme" in line for line in found)


def test_search_finds_words_by_their_beginning_in_any_case_and_keeps_the_order(app: Flask) -> None:
    curator, executor = person(app, "curator"), person(app, "kgkh.exec1")
    first = send(curator, 1, author="Ирина Петрова-Водкина", text="Нет горячей воды в доме №7, подъезд 2")
    second = send(curator, 2, author="Олег Сидоров", text="Горячая вода пропала опять")
    assert [t["case_id"] for t in tasks(executor, "q=горяч")] == [first, second]  # the deadline's order
    assert [t["case_id"] for t in tasks(executor, "q=ГОРЯЧЕЙ воды")] == [first]  # every word, any case
    assert [t["case_id"] for t in tasks(executor, "q=водкина")] == [first]  # a part of a double surname
    assert [t["case_id"] for t in tasks(executor, "q=подъезд 2")] == [first]
    assert tasks(executor, "q=оряч") == []  # words are found by their beginning, not by any part
    assert tasks(executor, "q=!?*") == [] and listing(executor, "q=!?*")["total"] == 0
    assert listing(executor, "q=горяч")["counts"]["step"] == {"draft": 2}


def test_the_page_shows_more_on_request_keeping_its_filters(app: Flask) -> None:
    curator, executor = person(app, "curator"), person(app, "kgkh.exec1")
    for n in range(3):
        send(curator, n + 1)
    page = executor.get("/inbox?theme=heating&limit=2").get_data(as_text=True)
    assert page.count('class="inbox-row') == 2 and "Показаны первые 2 задач с ближайшими сроками из 3." in page
    more = re.search(r'id="inbox-more" href="([^"]+)"', page)
    assert more and "theme=heating" in more.group(1) and "limit=52" in more.group(1)
    htmx = {"HX-Request": "true", "HX-Target": "inbox-list"}
    html = executor.get(more.group(1).replace("&amp;", "&"), headers=htmx).get_data(as_text=True)
    assert html.startswith('<div id="inbox-list"') or 'id="inbox-list"' in html[:200]
    assert html.count('class="inbox-row') == 3 and "inbox-more" not in html
    assert "inbox-more" not in executor.get("/inbox").get_data(as_text=True)  # 3 tasks fit the first 50
