"""Several-bodies cases continued after a restart; stalled cases reported, listed, repaired and checked."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from engine import parser
from engine.runner import LiveWorkflows, Runner
from models import Case, CaseEvent, HumanTask, Notification, Timer, User
from services import workflow
from services.integrity import sweep_stalled
from services.library import versions as library
from services.timers import fire_due_timers
from services.workflow import add_event, apply_snapshot, runner_for
from tests.conftest import login
from tests.engine.test_repair import unwired
from tests.web.test_governor import register as register_post
from tests.web.test_main_path import TRIAGE, open_inbox_task, register
from tests.web.test_regulation import triaged

PART = "Подготовка информации органа (п. 8.9)"
DECISION = "Решение об общем ответе (п. 8.9)"


def restart(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new process starts with: no parsed specs, no process versions read, no workflows kept."""
    parser._load_cached.cache_clear()
    monkeypatch.setattr(library, "_bundles", {})
    monkeypatch.setattr(workflow, "LIVE", LiveWorkflows())


def test_several_bodies_continued_after_a_restart_reach_the_curators_decision(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    triaged(app, bodies=["kdh", "kgkh"], order="parallel")
    for executor in ("kdh.exec1", "kgkh.exec1"):
        restart(monkeypatch)
        client = login(app, executor)
        part = open_inbox_task(client, PART)
        assert client.post(f"/tasks/{part}", data={"part_outcome": "part", "part_text": executor}).status_code == 302
    restart(monkeypatch)
    curator = login(app, "curator")
    decision = open_inbox_task(curator, DECISION)
    page = curator.get(f"/tasks/{decision}").get_data(as_text=True)
    assert "kdh.exec1" in page and "kgkh.exec1" in page, "every part reaches the curator"


def stall(app: Flask, sessions: Any, post: int = 100) -> int:
    """A several-bodies case whose parts were sent the way a fresh process sent them before the fix."""
    curator = login(app, "curator")
    case_id = register(curator, url=f"https://vk.com/wall-1_{post}")
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    response = curator.post(f"/tasks/{triage}", data={**TRIAGE, "bodies": ["kdh", "kgkh"], "order": "parallel"})
    assert response.status_code == 302
    clock = app.config["CLOCK"]
    for _ in range(2):
        with sessions() as session:
            case = session.get(Case, case_id)
            task = session.scalar(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "open"))
            context = runner_for(session=session, case=case, clock=clock).context
            snapshot = Runner(unwired(), context).complete(case.state, task.task_guid, {
                "part_outcome": "part", "part_text": "Часть", "measures_taken": None, "not_competent_reason": None})
            add_event(session=session, case=case, at=clock.now(), actor=None, kind="task_completed", step=task.step)
            apply_snapshot(session=session, case=case, snapshot=snapshot, clock=clock, actor=None,
                           completed_guid=task.task_guid)
            session.commit()
    return case_id


def test_a_step_that_leaves_a_case_stalled_reports_it(app: Flask, sessions: Any,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="otklik.workflow"):
        case_id = stall(app, sessions)
    assert f"case {case_id} stalled" in caplog.text
    with sessions() as session:
        assert session.get(Case, case_id).stalled_at is not None
        assert session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case_id, CaseEvent.kind == "stalled"))
        admin = session.scalar(select(User).where(User.username == "admin"))
        told = session.scalars(select(Notification).where(Notification.user_id == admin.id)).all()
        assert [(n.kind, n.case_id) for n in told] == [("stalled", case_id)]


def test_the_administrator_lists_and_repairs_a_stalled_case(app: Flask, sessions: Any) -> None:
    case_id = stall(app, sessions)
    assert login(app, "curator").get("/admin/stalled/").status_code == 403
    assert login(app, "curator").post(f"/admin/stalled/{case_id}/repair").status_code == 403
    admin = login(app, "admin")
    page = admin.get("/admin/stalled/").get_data(as_text=True)
    assert f"№ {case_id}" in page, page
    response = admin.post(f"/admin/stalled/{case_id}/repair", follow_redirects=True)
    assert f"Случай № {case_id} продолжен. Открыты задачи: {DECISION}." in response.get_data(as_text=True)
    assert f"№ {case_id}" not in admin.get("/admin/stalled/").get_data(as_text=True)
    open_inbox_task(login(app, "curator"), DECISION)
    history = admin.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Случай остановился" in history and "Случай восстановлен" in history
    assert f"Открыты задачи: {DECISION}" in _text(history)
    assert admin.post("/lang/en").status_code == 302  # the steps the repair opened, as the library translates them
    history = _text(admin.get(f"/cases/{case_id}").get_data(as_text=True))
    assert "Tasks opened: Decision on the common reply (clause 8.9)" in history and DECISION not in history


def _text(page: str) -> str:
    """A page's words without markup."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_sweep_finds_cases_stored_stalled_before_and_the_command_line_repairs_them(
        app: Flask, sessions: Any) -> None:
    first, second = stall(app, sessions), stall(app, sessions, post=101)
    with sessions() as session:  # as the migration leaves the cases stored before it: not marked
        session.execute(update(Case).values(stalled_at=None))
        session.commit()
    cli = app.test_cli_runner()
    check = cli.invoke(args=["cases", "check"])
    assert check.exit_code == 1
    assert [line.split(":")[0] for line in check.output.splitlines()] == [f"случай {first}", f"случай {second}"]
    assert sweep_stalled(sessions=sessions, clock=app.config["CLOCK"]) == 2
    assert sweep_stalled(sessions=sessions, clock=app.config["CLOCK"]) == 0, "each stalled case is reported once"
    repair = cli.invoke(args=["cases", "repair", "--all"])
    assert repair.exit_code == 0, repair.output
    assert f"случай {first}: открыты задачи: {DECISION}" in repair.output
    done = cli.invoke(args=["cases", "check"])
    assert done.exit_code == 0, done.output


def test_the_check_finds_an_inbox_row_the_workflow_does_not_have(app: Flask, sessions: Any) -> None:
    case_id = triaged(app)
    cli = app.test_cli_runner()
    assert cli.invoke(args=["cases", "check"]).exit_code == 0
    with sessions() as session:
        session.execute(update(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "open")
                        .values(task_guid="lost"))
        session.commit()
    check = cli.invoke(args=["cases", "check"])
    assert check.exit_code == 1
    assert "задача «draft» (lost) во входящих, но в процессе не ждёт" in check.output


def test_a_governors_post_woken_by_fresh_processes_ends_with_its_period(
        app: Flask, sessions: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    post_id = register_post(login(app, "curator"), bodies=["kdh"])
    clock = app.config["CLOCK"]
    for _ in range(40):  # each wake in a process that has not stepped the post before, as a restarted scheduler
        with sessions() as session:
            due = session.scalar(select(func.min(Timer.due_at)).where(Timer.case_id == post_id))
        if due is None:
            break
        clock.set(due + timedelta(seconds=1))
        restart(monkeypatch)
        assert fire_due_timers(sessions=sessions, clock=clock) == 1
    with sessions() as session:
        post = session.get(Case, post_id)
        assert (post.status, post.stalled_at) == ("closed", None), "the post ends when its period does"
