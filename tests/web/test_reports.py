"""The monthly summary (clause 13): every figure against the cases' own history, exports, editions, access."""

from __future__ import annotations

import io
import statistics
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from engine.clock import FixedClock
from models import Breach, Case, CaseLink, Draft, HumanTask
from services.calendars import calendar_resolver
from services.reports.exports import CSV_COLUMNS
from tests.conftest import MSK, api_token, login
from tests.web.test_main_path import MESSAGE, TRIAGE
from tests.web.test_security import own_person

PUBLISHED = {"published_url": "https://vk.com/wall-1_100?reply=9"}
DRAFT = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Воду дадут сегодня к 18:00."}


class Desk:
    """The curator and the executor of kgkh driving cases over the API, each task found by its case."""

    def __init__(self, app: Flask, clock: FixedClock) -> None:
        self.client: FlaskClient = app.test_client()
        self.clock = clock
        self.heads = {name: api_token(self.client, name) for name in ("curator", "kgkh.exec1")}

    def register(self, tag: str) -> int:
        response = self.client.post("/api/v1/messages", headers=self.heads["curator"],
                                    json={**MESSAGE, "url": f"https://vk.com/wall-1_{tag}"})
        assert response.status_code == 201, response.json
        return int(response.json["case_id"])

    def do(self, who: str, case_id: int, step: str, data: dict[str, Any]) -> None:
        tasks = self.client.get(f"/api/v1/tasks?case_id={case_id}", headers=self.heads[who]).json["tasks"]
        task = next(t for t in tasks if t["step"] == step)
        if "published_url" in data:
            data = {**data, "published_at": self.clock.now().isoformat()}
        response = self.client.post(f"/api/v1/tasks/{task['id']}/complete", headers=self.heads[who], json=data)
        assert response.status_code == 200, response.json

    def reply(self, case_id: int, kind: str = "reply", returned: bool = False) -> None:
        self.do("kgkh.exec1", case_id, "draft", {**DRAFT, "reply_kind": kind})
        if returned:
            self.do("curator", case_id, "approval", {"approval_decision": "return", "approval_comment": "Уточните"})
            self.do("kgkh.exec1", case_id, "rework", {"reply_kind": kind, "reply_text": DRAFT["reply_text"]})
        self.do("curator", case_id, "approval", {"approval_decision": "approve"})
        self.do("kgkh.exec1", case_id, "publication", PUBLISHED)


def _fire(app: Flask, clock: FixedClock, at: datetime) -> None:
    from services.timers import fire_due_timers

    clock.set(at)
    fire_due_timers(sessions=app.extensions["otklik.sessions"], clock=clock)


@pytest.fixture
def november(app: Flask, clock: FixedClock) -> dict[str, int]:
    """Seven cases on Tue 24 Nov 2026: on time, late at the draft, returned, interim, repeat, clause 10, overdue."""
    return november_cases(app, clock)


def november_cases(app: Flask, clock: FixedClock) -> dict[str, int]:
    """The november scenario, for fixtures that build on it."""
    desk = Desk(app, clock)
    ids = {name: desk.register(name) for name in ("on_time", "late_step", "returned", "interim", "repeat",
                                                   "not_subject", "overdue")}
    for name, case_id in ids.items():
        if name == "not_subject":
            desk.do("curator", case_id, "triage", {"triage_decision": "not_subject", "not_subject_ground": "obscene"})
        else:
            data = {**TRIAGE, "bodies": ["kgkh"], "socially_significant": name == "on_time"}
            desk.do("curator", case_id, "triage", data)
    curator = login(app, "curator")
    assert curator.post(f"/cases/{ids['repeat']}/links", data={"earlier_id": ids["on_time"]}).status_code == 302
    desk.reply(ids["on_time"])
    desk.reply(ids["returned"], returned=True)
    desk.reply(ids["interim"], kind="interim")
    _fire(app, clock, datetime(2026, 11, 24, 16, 0, tzinfo=MSK))  # the draft deadline (5 WH) passed at 15:48
    desk.reply(ids["late_step"])
    _fire(app, clock, datetime(2026, 11, 25, 12, 0, tzinfo=MSK))  # the case deadline (9 WH) passed at 10:48
    return ids


def waited_case(app: Flask, clock: FixedClock) -> int:
    """One case whose every step waits a while, all before the lunch break at 13:00: the draft 60 working minutes, each
    approval 10, the rework 90, the publication 5."""
    desk = Desk(app, clock)
    case_id = desk.register("waited")
    desk.do("curator", case_id, "triage", {**TRIAGE, "bodies": ["kgkh"]})
    for minutes, who, step, data in (
            (60, "kgkh.exec1", "draft", DRAFT),
            (10, "curator", "approval", {"approval_decision": "return", "approval_comment": "Уточните"}),
            (90, "kgkh.exec1", "rework", {"reply_kind": "reply", "reply_text": DRAFT["reply_text"]}),
            (10, "curator", "approval", {"approval_decision": "approve"}),
            (5, "kgkh.exec1", "publication", PUBLISHED)):
        clock.advance(timedelta(minutes=minutes))
        desk.do(who, case_id, step, data)
    return case_id


def expected_from_history(sessions: Any, ids: dict[str, int]) -> dict[str, Any]:
    """The tenant's November figures computed from case_file, draft, breach, case_link and human_task alone."""
    with sessions() as session:
        cases = session.scalars(select(Case).where(Case.id.in_(ids.values()))).all()
        drafts = session.scalars(select(Draft).where(Draft.case_id.in_(ids.values()))).all()
        breaches = session.scalars(select(Breach).where(Breach.case_id.in_(ids.values()))).all()
        links = session.scalars(select(CaseLink)).all()
        tasks = session.scalars(select(HumanTask).where(HumanTask.case_id.in_(ids.values()),
                                                        HumanTask.due_at.is_not(None))).all()
        calendar = calendar_resolver(session=session, tenant_id=cases[0].tenant_id)("kgkh")
        replies = {}
        for draft in sorted(drafts, key=lambda d: d.published_at or datetime.max.replace(tzinfo=MSK)):
            if draft.published_at and draft.kind in ("reply", "interim"):
                replies.setdefault(draft.case_id, draft.published_at)
        overdue = {b.case_id for b in breaches if b.step == "case" and b.clause == "8.3"}
        approved = {d.case_id for d in drafts if d.decision == "approve"}
        returned = {d.case_id for d in drafts if d.decision == "return"}
        minutes = sorted(int(calendar.working_time_between(c.sent_at, replies[c.id]).total_seconds() // 60)
                         for c in cases if c.id in replies)
        breached = {b.task_guid for b in breaches}
        # 8.4 is a case's first draft; a draft after an interim reply has the final reply's deadline (8.8)
        first_draft = {}
        for task in sorted(tasks, key=lambda t: t.id):
            if task.step == "draft":
                first_draft.setdefault(task.case_id, task)
        draft_steps = list(first_draft.values())
        return {
            "received": len(cases), "answered": len(replies), "overdue": len(overdue),
            "on_time": len(set(replies) - overdue), "breaches": len(breaches), "returned": len(returned),
            "first_pass": len(approved - returned), "approved": len(approved),
            "interim": len({d.case_id for d in drafts if d.kind == "interim" and d.published_at}),
            "repeat": len({link.case_id for link in links}),
            "not_subject": sum(c.outcome == "not_subject_end" for c in cases),
            "socially_significant": sum(c.socially_significant for c in cases),
            "median_reply_minutes": statistics.median(minutes), "minutes": minutes,
            "draft_steps": len(draft_steps),
            "draft_on_time": sum(t.state == "completed" and t.task_guid not in breached for t in draft_steps),
            "draft_breached": sum(t.task_guid in breached for t in draft_steps)}


def test_monthly_summary_equals_the_cases_history(app: Flask, sessions: Any, november: dict[str, int]) -> None:
    expected = expected_from_history(sessions, november)
    # The scenario covers what it claims: a late step, an overdue case, a return, an interim and a repeat.
    assert (expected["overdue"], expected["returned"], expected["interim"], expected["repeat"]) == (2, 1, 1, 1)
    assert expected["draft_breached"] == 3 and expected["not_subject"] == 1
    client = app.test_client()
    response = client.get("/api/v1/reports/monthly?month=2026-11", headers=api_token(client, "leader"))
    assert response.status_code == 200
    report = response.json
    totals = report["totals"]
    for name in ("received", "answered", "on_time", "overdue", "breaches", "returned", "first_pass", "approved",
                 "interim", "repeat", "not_subject", "socially_significant", "median_reply_minutes"):
        assert totals[name] == expected[name], name
    assert totals["on_time_share"] == round(expected["on_time"] / (expected["on_time"] + expected["overdue"]), 4)
    assert totals["p90_reply_minutes"] == pytest.approx(statistics.quantiles(expected["minutes"], n=10,
                                                                             method="inclusive")[-1])
    assert totals["mean_reply_minutes"] == round(statistics.fmean(expected["minutes"]), 1)
    [kgkh] = [b for b in report["bodies"] if b["body"] == "kgkh"]
    assert {k: kgkh[k] for k in ("received", "answered", "on_time", "overdue", "breaches", "returned")} == {
        k: expected[k] - (1 if k == "received" else 0) for k in ("received", "answered", "on_time", "overdue",
                                                                 "breaches", "returned")}
    draft = next(s for s in report["steps"] if s["clause"] == "8.4")
    assert (draft["steps"], draft["on_time"], draft["breached"]) == (
        expected["draft_steps"], expected["draft_on_time"], expected["draft_breached"])
    assert report["dynamics"]["channel"][0]["count"] == expected["received"]
    assert report["matrix"]["rows"][0]["total"] == expected["received"] - expected["not_subject"]


def test_backfill_rebuilds_the_same_facts(app: Flask, sessions: Any, november: dict[str, int]) -> None:
    headers = api_token(app.test_client(), "leader")
    live = app.test_client().get("/api/v1/reports/monthly?month=2026-11", headers=headers).json
    with app.extensions["otklik.engine"].begin() as conn:
        conn.execute(text("DELETE FROM step_fact"))
        conn.execute(text("DELETE FROM case_fact"))
    result = app.test_cli_runner().invoke(args=["reports", "backfill"])
    assert "случаев: 7" in result.output, result.output
    rebuilt = app.test_client().get("/api/v1/reports/monthly?month=2026-11", headers=headers).json
    assert rebuilt["totals"] == live["totals"] and rebuilt["bodies"] == live["bodies"]
    assert rebuilt["steps"] == live["steps"]


def test_exports_xlsx_pdf_csv(app: Flask, november: dict[str, int]) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    client = app.test_client()
    headers = api_token(client, "leader")
    report = client.get("/api/v1/reports/monthly?month=2026-11", headers=headers).json
    xlsx = client.get("/api/v1/reports/monthly?month=2026-11&format=xlsx", headers=headers)
    book = load_workbook(io.BytesIO(xlsx.data))
    assert {"Сводка", "Органы", "Шаги", "Темы", "Районы", "Каналы", "Тема × район", "Методика"} <= set(book.sheetnames)
    rows = list(book["Органы"].iter_rows(min_row=2, values_only=True))
    [kgkh] = [r for r in rows if r[0] == "Жилищно-коммунальное хозяйство" or r[1] == report["bodies"][0]["received"]]
    assert isinstance(kgkh[1], int) and kgkh[1:5] == tuple(report["bodies"][0][k] for k in
                                                          ("received", "answered", "on_time", "overdue"))
    assert isinstance(book["Сводка"]["B2"].value, datetime)
    assert book["Сводка"]["B7"].value == report["totals"]["received"]
    pdf = client.get("/api/v1/reports/monthly?month=2026-11&format=pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Ежемесячная сводка за 2026-11" in words and "Поступило 7" in words.replace("\n", " ")
    csv = client.get("/api/v1/reports/monthly?month=2026-11&format=csv", headers=headers)
    assert csv.data.startswith("\ufeff".encode()) and csv.mimetype == "text/csv"
    lines = csv.data.decode("utf-8-sig").strip().split("\r\n")
    assert lines[0].startswith("Случай;Зарегистрирован (МСК)") and len(lines) == 8


def test_cases_csv_lines(app: Flask, november: dict[str, int]) -> None:
    """Every column of every case, byte for byte; cases registered at one moment come by case number."""
    headers = api_token(app.test_client(), "leader")
    csv = app.test_client().get("/api/v1/reports/monthly?month=2026-11&format=csv", headers=headers).data
    start = "24.11.2026 10:00;ВКонтакте;Отопление и горячая вода;Гатчинский муниципальный округ;Комитет по ЖКХ;" \
            "обычная;24.11.2026 10:00;25.11.2026 10:48;"
    tails = {"on_time": "24.11.2026 10:00;0;да;нет;0;нет;нет;нет;0;1;да;published_end",
             "late_step": "24.11.2026 16:00;312;да;нет;1;нет;нет;нет;0;1;да;published_end",
             "returned": "24.11.2026 10:00;0;да;нет;0;нет;нет;нет;1;1;да;published_end",
             "interim": "24.11.2026 10:00;0;да;нет;0;да;нет;нет;0;1;да;",
             "repeat": ";;нет;да;2;нет;да;нет;0;0;;",
             "overdue": ";;нет;да;2;нет;нет;нет;0;0;;"}
    lines = {name: f"{start}{tail}" for name, tail in tails.items()}
    lines["not_subject"] = "24.11.2026 10:00;ВКонтакте;;;;;;;;;;нет;0;нет;нет;да;0;0;;not_subject_end"
    assert csv == ("\ufeff" + ";".join(CSV_COLUMNS) + "\r\n" + "".join(
        f"{case_id};{lines[name]};https://vk.com/wall-1_{name}\r\n"
        for name, case_id in sorted(november.items(), key=lambda item: item[1]))).encode()
    kgkh = app.test_client().get("/api/v1/reports/monthly?month=2026-11&format=csv&body=kgkh", headers=headers)
    assert kgkh.data.decode("utf-8-sig").count("\r\n") == 7 and b"not_subject" not in kgkh.data


def test_published_edition_is_frozen(app: Flask, clock: FixedClock, november: dict[str, int]) -> None:
    curator = login(app, "curator")
    assert curator.post("/reports/editions", data={"month": "2026-11"}).status_code == 302
    page = curator.get("/reports/monthly?month=2026-11").get_data(as_text=True)
    assert "выпуск № 1" in page
    desk = Desk(app, clock)
    desk.register("later")  # a message registered later in November changes the live figures, not the edition
    with app.extensions["otklik.engine"].begin() as conn:
        edition_id = conn.execute(text("SELECT id FROM report_edition")).scalar()
    frozen = curator.get(f"/reports/editions/{edition_id}.json").json
    assert frozen["totals"]["received"] == 7 and frozen["number"] == 1
    live = curator.get("/reports/monthly?month=2026-11&format=json").json
    assert live["totals"]["received"] == 8
    assert curator.post("/reports/editions", data={"month": "2026-11"}).status_code == 302
    second = curator.get(f"/reports/editions/{edition_id + 1}.json").json
    assert second["number"] == 2 and second["totals"]["received"] == 8
    assert curator.get(f"/reports/editions/{edition_id}.xlsx").status_code == 200


def test_bad_month_future_month_and_empty_month(app: Flask) -> None:
    client = app.test_client()
    headers = api_token(client, "leader")
    for month in ("2026-13", "11.2026", "", "2026-1"):
        response = client.get(f"/api/v1/reports/monthly?month={month}", headers=headers)
        assert response.status_code == 422 and response.json["error"]["code"] == "invalid_month", month
    future = client.get("/api/v1/reports/monthly?month=2026-12", headers=headers)
    assert future.status_code == 422 and "ещё не наступил" in future.json["error"]["message"]
    empty = client.get("/api/v1/reports/monthly?month=2026-10", headers=headers).json
    assert empty["has_data"] is False and empty["totals"]["received"] == 0
    page = login(app, "leader").get("/reports/monthly?month=2026-10").get_data(as_text=True)
    assert "За 2026-10 данных нет" in page
    assert login(app, "leader").get("/reports/monthly?month=2027-01").status_code == 422


def test_roles_and_tenants(app: Flask, sessions: Any, november: dict[str, int]) -> None:
    assert login(app, "kgkh.exec1").get("/reports/monthly?month=2026-11").status_code == 403
    own = login(app, "kgkh.resp").get("/reports/monthly?month=2026-11&format=json").json
    assert own["body"] == "kgkh" and own["totals"]["received"] == 6  # the clause-10 case never reached a body
    assert login(app, "kgkh.resp").get("/reports/monthly?month=2026-11&body=kdh").status_code == 404
    other = own_person(sessions, "leader.lodeynoye", "leader", tenant="lodeynoye")
    client = app.test_client()
    theirs = client.get("/api/v1/reports/monthly?month=2026-11", headers=api_token(client, other)).json
    assert theirs["totals"]["received"] == 0 and theirs["bodies"] == [] and theirs["has_data"] is False
    assert client.get("/api/v1/reports/monthly?month=2026-11&body=kgkh",
                      headers=api_token(client, other)).status_code == 404
    page = login(app, "leader").get("/reports/monthly?month=2026-11").get_data(as_text=True)
    assert "Ежемесячная сводка" in page and "/reports/monthly/cases?month=2026-11&amp;figure=overdue" in page
    behind = login(app, "leader").get("/reports/monthly/cases?month=2026-11&figure=overdue").get_data(as_text=True)
    assert f'/cases/{november["overdue"]}"' in behind and f'/cases/{november["on_time"]}"' not in behind
