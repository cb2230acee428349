"""The quarterly rating, the process heatmap and what-if: every figure against the cases' own history."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import FixedClock
from models import Body, Breach, Case, CaseLink, Draft, HumanTask
from services.calendars import calendar_resolver
from tests.conftest import MSK, api_token, login
from tests.web.test_main_path import MESSAGE, TRIAGE
from tests.web.test_reports import (
    DRAFT,
    PUBLISHED,
    Desk,
    _fire,
    november,  # noqa: F401  (the fixture)
    november_cases,
    waited_case,
)
from tests.web.test_security import own_person

WEIGHTS = {"case_on_time": 0.30, "steps_on_time": 0.15, "first_pass": 0.20, "no_defects": 0.10, "no_repeat": 0.15}
BODY_CLAUSES = {"competence": "8.2", "draft": "8.4", "rework": "8.6", "publication": "8.7", "part": "8.9"}


class Bodies(Desk):
    """The curator and executors of several bodies; messages published half an hour before the clock."""

    def __init__(self, app: Flask, clock: FixedClock) -> None:
        super().__init__(app, clock)
        for name in ("kdh.exec1", "ksoc.exec1"):
            self.heads[name] = api_token(self.client, name)

    def send(self, tag: str, body: str) -> int:
        published = (self.clock.now() - timedelta(minutes=30)).astimezone(MSK).strftime("%Y-%m-%dT%H:%M")
        response = self.client.post("/api/v1/messages", headers=self.heads["curator"],
                                    json={**MESSAGE, "url": f"https://vk.com/wall-2_{tag}", "published_at": published})
        assert response.status_code == 201, response.json
        case_id = int(response.json["case_id"])
        self.do("curator", case_id, "triage", {**TRIAGE, "bodies": [body]})
        return case_id

    def answer(self, case_id: int, executor: str, **extra: str) -> None:
        self.do(executor, case_id, "draft", {**DRAFT, **extra})
        self.do("curator", case_id, "approval", {"approval_decision": "approve"})
        self.do(executor, case_id, "publication", PUBLISHED)


@pytest.fixture
def quarters(app: Flask, clock: FixedClock) -> dict[str, Any]:
    """Q3: kgkh answers 5 of 5 on time, kdh 3 of 5 (2 overdue). Q4: the november scenario for kgkh; kdh answers 6 of
    6 on time, one of them a repeat of its first case 26 Nov, after the reply; ksoc answers its only case."""
    desk = Bodies(app, clock)
    clock.set(datetime(2026, 9, 8, 10, 0, tzinfo=MSK))
    q3 = {body: [desk.send(f"q3{body}{i}", body) for i in range(5)] for body in ("kgkh", "kdh")}
    for case_id in q3["kgkh"]:
        desk.answer(case_id, "kgkh.exec1")
    for case_id in q3["kdh"][:3]:
        desk.answer(case_id, "kdh.exec1")
    _fire(app, clock, datetime(2026, 9, 9, 12, 0, tzinfo=MSK))
    clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=MSK))
    scenario = november_cases(app, clock)  # ends at 25 Nov 12:00
    kdh = [desk.send(f"q4kdh{i}", "kdh") for i in range(5)]
    for case_id in kdh:
        desk.answer(case_id, "kdh.exec1")
    ksoc = desk.send("q4ksoc", "ksoc")
    desk.answer(ksoc, "ksoc.exec1")
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=MSK))
    repeat = desk.send("q4kdhrepeat", "kdh")
    curator = login(app, "curator")
    assert curator.post(f"/cases/{repeat}/links", data={"earlier_id": kdh[0]}).status_code == 302
    desk.answer(repeat, "kdh.exec1", measures_taken="Подача воды восстановлена")
    clock.set(datetime(2026, 12, 30, 12, 0, tzinfo=MSK))  # every reply of November is 30 days old
    return {"q3": q3, "november": scenario, "kdh": [*kdh, repeat], "ksoc": ksoc}


def expected_counts(sessions: Any, months: tuple[int, ...], cut_off: datetime) -> dict[str, dict[str, list[int]]]:
    """Per body code and component, [good, opportunities], from case_file, draft, breach, case_link, human_task."""
    from services.reply_checks import reply_checks

    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: {k: [0, 0] for k in WEIGHTS})
    with sessions() as session:
        codes = {b.id: b.code for b in session.scalars(select(Body))}
        cases = [c for c in session.scalars(select(Case).where(Case.kind == "message"))
                 if int(c.registered_at.astimezone(MSK).strftime("%Y%m")) in months and c.body_id
                 and c.outcome != "not_subject_end"]
        breaches = session.scalars(select(Breach)).all()
        links = session.scalars(select(CaseLink)).all()
        registered = {c.id: c.registered_at for c in session.scalars(select(Case))}
        for case in cases:
            own = out[codes[case.body_id]]
            drafts = session.scalars(select(Draft).where(Draft.case_id == case.id)).all()
            replies = sorted((d for d in drafts if d.published_at and d.kind in ("reply", "interim")),
                             key=lambda d: d.published_at)
            overdue = any(b.case_id == case.id and b.step == "case" and b.clause == "8.3" for b in breaches)
            own["case_on_time"][0] += bool(replies) and not overdue
            own["case_on_time"][1] += bool(replies) or overdue
            approved = any(d.decision == "approve" for d in drafts)
            returned = any(d.decision == "return" for d in drafts)
            own["first_pass"][0] += approved and not returned
            own["first_pass"][1] += approved
            if replies:
                own["no_defects"][0] += all(c.ok for c in reply_checks(session=session, case=case,
                                                                       text=replies[0].text))
                own["no_defects"][1] += 1
                replied = replies[0].published_at
                if replied <= cut_off - timedelta(days=30):
                    own["no_repeat"][1] += 1
                    own["no_repeat"][0] += not any(
                        link.linked_case_id == case.id
                        and replied <= registered[link.case_id] <= replied + timedelta(days=30) for link in links)
        breached = {b.task_guid for b in breaches}
        for task in session.scalars(select(HumanTask).where(HumanTask.due_at.is_not(None))):
            first = session.scalars(select(HumanTask).where(HumanTask.case_id == task.case_id,
                                                            HumanTask.step == "draft").order_by(HumanTask.id)).first()
            step_clause = "8.8" if task.step == "draft" and first is not None and task.id != first.id \
                else BODY_CLAUSES.get(task.step)
            if step_clause is None or int(task.created_at.astimezone(MSK).strftime("%Y%m")) not in months:
                continue
            late = task.task_guid in breached
            if task.state == "completed" or late:
                out[codes[task.body_id]]["steps_on_time"][1] += 1
                out[codes[task.body_id]]["steps_on_time"][0] += task.state == "completed" and not late
    return out


def expected_scores(counts: dict[str, dict[str, list[int]]]) -> dict[str, float]:
    """The score of each body by the published formula, m = 10."""
    average = {}
    for key in WEIGHTS:
        n = sum(c[key][1] for c in counts.values())
        average[key] = sum(c[key][0] for c in counts.values()) / n if n else None
    used = sum(w for k, w in WEIGHTS.items() if average[k] is not None)
    return {body: round(sum(100 * w / used * (c[k][0] + 10 * average[k]) / (c[k][1] + 10)
                            for k, w in WEIGHTS.items() if average[k] is not None), 1)
            for body, c in counts.items()}


def _rating(client: FlaskClient, quarter: str, user: str = "leader") -> Any:
    response = client.get(f"/api/v1/reports/rating?quarter={quarter}", headers=api_token(client, user))
    assert response.status_code == 200, response.json
    return response.json


def test_rating_equals_the_cases_history(app: Flask, sessions: Any, clock: FixedClock,
                                         quarters: dict[str, Any]) -> None:
    client = app.test_client()
    rating = _rating(client, "2026-Q4")
    expected = expected_counts(sessions, (202610, 202611, 202612), clock.now())
    # The scenario covers what it claims.
    assert expected["kgkh"]["case_on_time"] == [4, 6] and expected["kdh"]["case_on_time"] == [6, 6]
    assert expected["kdh"]["no_repeat"] == [5, 6] and expected["kgkh"]["first_pass"] == [3, 4]
    assert expected["ksoc"]["case_on_time"] == [1, 1]
    bodies = {b["body"]: b for b in rating["bodies"]}
    assert set(bodies) == {"kgkh", "kdh", "ksoc"}
    scores = expected_scores(expected)
    for code, body in bodies.items():
        for key in WEIGHTS:
            assert [body["components"][key]["x"], body["components"][key]["n"]] == expected[code][key], (code, key)
        assert body["score"] == scores[code], code
        assert body["score"] == round(sum(p["points"] for p in body["components"].values()), 1) or \
            abs(body["score"] - sum(p["points"] for p in body["components"].values())) < 0.05
    # Smoothing by hand: kgkh answered 4 of 6 on time; the tenant 11 of 13, so p~ = (4 + 10 * 11/13) / 16.
    assert bodies["kgkh"]["components"]["case_on_time"]["smoothed"] == round((4 + 10 * 11 / 13) / 16, 4)
    formula = rating["formula"]
    assert formula["m"] == 10 and formula["min_cases"] == 5 and formula["left_out"][0]["key"] == "author_feedback"
    assert sum(c["weight_applied"] for c in formula["components"]) == pytest.approx(1.0, abs=1e-3)
    assert [c["weight_applied"] for c in formula["components"]] == [round(w / 0.9, 4) for w in WEIGHTS.values()]
    # Ranks, tiers, the unranked body, movement against Q3 (kgkh was first, kdh second).
    assert (bodies["kdh"]["rank"], bodies["kgkh"]["rank"], bodies["ksoc"]["rank"]) == (1, 2, None)
    assert bodies["ksoc"]["ranked"] is False and bodies["ksoc"]["tier"] is None and bodies["ksoc"]["score"] < 100
    assert bodies["kdh"]["tier"] == ("А" if scores["kdh"] >= 90 else "Б" if scores["kdh"] >= 80 else "В")
    assert (bodies["kdh"]["movement"], bodies["kgkh"]["movement"], bodies["ksoc"]["movement"]) == (1, -1, None)
    q3 = _rating(client, "2026-Q3")
    before = {b["body"]: b for b in q3["bodies"]}
    assert (before["kgkh"]["rank"], before["kdh"]["rank"]) == (1, 2)
    assert before["kdh"]["components"]["case_on_time"]["x"] == 3
    assert bodies["kgkh"]["score_delta"] == round(bodies["kgkh"]["score"] - before["kgkh"]["score"], 1)
    # The XLSX keeps the numbers and the formulas live.
    from io import BytesIO

    from openpyxl import load_workbook

    xlsx = client.get("/api/v1/reports/rating?quarter=2026-Q4&format=xlsx", headers=api_token(client, "leader"))
    sheet = load_workbook(BytesIO(xlsx.data))["Рейтинг"]
    first = [cell.value for cell in sheet[2]]
    assert first[1] == 1 and first[5:7] == [6, 6] and str(first[3]).startswith("=ROUND(100*(")
    # A click on a component: the cases behind it.
    leader = login(app, "leader")
    page = leader.get("/reports/rating?quarter=2026-Q4").get_data(as_text=True)
    assert "Оценка авторов" in page and "не ранжируется" in page and "▲ 1" in page
    behind = leader.get("/reports/rating/cases?quarter=2026-Q4&component=case_on_time&body=kgkh&outcome=bad")
    text = behind.get_data(as_text=True)
    assert f'/cases/{quarters["november"]["overdue"]}"' in text and f'/cases/{quarters["november"]["on_time"]}"' \
        not in text
    repeated = leader.get("/reports/rating/cases?quarter=2026-Q4&component=no_repeat&body=kdh&outcome=bad")
    assert f'/cases/{quarters["kdh"][0]}"' in repeated.get_data(as_text=True)


def test_rating_bad_quarter_future_and_empty(app: Flask) -> None:
    client = app.test_client()
    headers = api_token(client, "leader")
    for quarter in ("2026-Q5", "2026Q4", "", "26-Q1", "2026-11"):
        response = client.get(f"/api/v1/reports/rating?quarter={quarter}", headers=headers)
        assert response.status_code == 422 and response.json["error"]["code"] == "invalid_quarter", quarter
    future = client.get("/api/v1/reports/rating?quarter=2027-Q1", headers=headers)
    assert future.status_code == 422 and "ещё не наступил" in future.json["error"]["message"]
    empty = client.get("/api/v1/reports/rating?quarter=2026-Q2", headers=headers).json
    assert empty["has_data"] is False and empty["bodies"] == []
    leader = login(app, "leader")
    assert "За 2026-Q2 данных нет" in leader.get("/reports/rating?quarter=2026-Q2").get_data(as_text=True)
    page = leader.get("/reports/rating?quarter=2027-Q1")
    assert page.status_code == 422 and "ещё не наступил" in page.get_data(as_text=True)
    assert login(app, "kgkh.exec1").get("/reports/rating").status_code == 403


@pytest.mark.usefixtures("november")
def test_rating_scope_roles_and_tenants(app: Flask, sessions: Any) -> None:
    own = login(app, "kgkh.resp").get("/reports/rating?quarter=2026-Q4&format=json").json
    assert [b["body"] for b in own["bodies"]] == ["kgkh"] and own["bodies"][0]["rank"] == 1
    other = own_person(sessions, "leader.lodeynoye", "leader", tenant="lodeynoye")
    client = app.test_client()
    assert _rating(client, "2026-Q4", other)["bodies"] == []
    assert login(app, other).get("/reports/heatmap?period=2026-11&format=json").json["steps"] == []
    assert login(app, other).get("/reports/heatmap?period=2026-11&body=kgkh").status_code == 404
    theirs = login(app, "leader").get("/reports/heatmap?period=2026-11&format=json").json
    assert theirs["steps"]
    assert login(app, "kdh.resp").get("/reports/heatmap?period=2026-11&format=json").json["steps"] == []
    assert login(app, "kgkh.exec1").get("/reports/heatmap?period=2026-11").status_code == 403


def test_the_slowest_steps_are_the_three_longest_median_waits(app: Flask, clock: FixedClock) -> None:
    waited_case(app, clock)
    found = login(app, "leader").get("/reports/heatmap?period=2026-11&format=json").json
    steps = {s["step"]: (s["median_wait_minutes"], s["slow"]) for s in found["steps"]}
    assert steps == {"rework": (90, True), "draft": (60, True), "approval": (10, True), "publication": (5, False)}

@pytest.mark.usefixtures("november")
def test_heatmap_equals_the_step_history(app: Flask, sessions: Any) -> None:
    leader = login(app, "leader")
    found = leader.get("/reports/heatmap?period=2026-11&body=kgkh&format=json").json
    steps = {s["step"]: s for s in found["steps"]}
    with sessions() as session:
        kgkh = session.scalar(select(Body).where(Body.code == "kgkh"))
        calendar = calendar_resolver(session=session, tenant_id=kgkh.tenant_id)("kgkh")
        breached = {b.task_guid for b in session.scalars(select(Breach))}
        tasks = session.scalars(select(HumanTask).where(HumanTask.due_at.is_not(None))).all()
        for name in ("draft", "approval", "publication", "rework"):
            own = [t for t in tasks if t.step == name]
            waits = [int(calendar.working_time_between(t.created_at, t.completed_at).total_seconds() // 60)
                     for t in own if t.state == "completed"]
            late = sum(t.task_guid in breached for t in own)
            decided = sum(t.state == "completed" or t.task_guid in breached for t in own)
            entry = steps[name]
            assert (entry["steps"], entry["breached"], entry["completed"]) == (
                len(own), late, sum(t.state == "completed" for t in own)), name
            assert entry["median_wait_minutes"] == statistics.median(waits), name
            assert entry["breach_share"] == round(late / decided, 4), name
    # By hand: 7 drafts (6 first drafts and one after the interim reply), 3 breached of 6 decided: red.
    assert (steps["draft"]["steps"], steps["draft"]["breached"], steps["draft"]["level"]) == (7, 3, 3)
    assert steps["publication"]["level"] == 0
    assert not any(s["slow"] for s in steps.values())  # every median wait here is 0: no step is slow
    page = leader.get("/reports/heatmap?period=2026-11").get_data(as_text=True)
    assert 'id="heat-table"' in page and "/reports/heatmap/diagrams/case.bpmn" in page
    assert leader.get("/reports/heatmap/diagrams/case.bpmn").data.startswith(b"<?xml")
    assert leader.get("/reports/heatmap/diagrams/parameters.json").status_code == 404
    assert leader.get("/reports/heatmap?period=2026-13").status_code == 422
    assert "шагов со сроком не было" in leader.get("/reports/heatmap?period=2026-10").get_data(as_text=True)


@pytest.mark.usefixtures("november")
def test_what_if_replays_the_month(app: Flask) -> None:
    leader = login(app, "leader")
    # The case deadline 2 WH instead of 9: the late-step case replied at 16:00, 6 WH after sending, turns overdue.
    shorter = leader.get("/reports/whatif?month=2026-11&parameter=case&value=2&unit=hours&format=json").json
    [kgkh] = [b for b in shorter["bodies"] if b["body"] == "kgkh"]
    assert (kgkh["cases"]["breached"], kgkh["cases"]["breached_whatif"]) == (2, 3)
    assert (kgkh["cases"]["on_time_share"], kgkh["cases"]["on_time_share_whatif"]) == (round(4 / 6, 4), 0.5)
    assert kgkh["steps"]["breached"] == kgkh["steps"]["breached_whatif"]
    # The draft 10 WH instead of 5: the late draft (6 WH) is on time; the two never done stay breached.
    longer = leader.get("/reports/whatif?month=2026-11&parameter=draft&value=10&unit=hours&format=json").json
    draft = next(s for s in longer["steps"] if s["clause"] == "8.4")
    assert (draft["breached"], draft["breached_whatif"], draft["on_time"], draft["on_time_whatif"]) == (3, 2, 3, 4)
    assert longer["totals"]["cases"]["breached"] == longer["totals"]["cases"]["breached_whatif"] == 2
    again = leader.get("/reports/monthly?month=2026-11&format=json").json  # nothing real changed
    assert again["totals"]["overdue"] == 2
    page = leader.get("/reports/whatif?month=2026-11&parameter=draft&value=abc&unit=hours")
    assert page.status_code == 422 and "Целое число от 1 до 10000" in page.get_data(as_text=True)
    form = leader.get("/reports/whatif?month=2026-11&parameter=draft&value=10&unit=hours").get_data(as_text=True)
    assert 'id="whatif-bodies"' in form and 'value="10"' in form and "10 раб. ч" in form
