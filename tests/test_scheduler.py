"""Escalation and deadline timers fired by the scheduler's sweep, with a movable clock and no sleeping."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from engine.clock import FixedClock
from models import Body, Breach, CaseEvent, Notification, Timer, User
from services.timers import fire_due_timers
from tests.conftest import MSK, login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

# Sent to the body at START, Tue 24 Nov 2026 10:00 MSK (schedule 09:00-18:00, lunch 13:00-13:48).
# Draft, 5 working hours: 10:00-13:00 is 3 h, then 2 h from 13:48 -> due 15:48.
DRAFT_DUE = datetime(2026, 11, 24, 15, 48, tzinfo=MSK)
# Warning at 80 % of 5 WH = 4 h: 10:00-13:00 is 3 h, then 1 h from 13:48 -> 14:48.
DRAFT_WARNING = datetime(2026, 11, 24, 14, 48, tzinfo=MSK)
# Case, 9 working hours (clause 8.3): 3 h to 13:00, 4 h 12 min from 13:48 to 18:00, 1 h 48 min from Wed 09:00.
CASE_DUE = datetime(2026, 11, 25, 10, 48, tzinfo=MSK)
# Case warning at 80 % of 9 WH = 7 h 12 min: 3 h to 13:00, 4 h 12 min from 13:48 -> Tue 18:00, the end of the day.
CASE_WARNING = datetime(2026, 11, 24, 18, 0, tzinfo=MSK)
SECOND = timedelta(seconds=1)
# The body kgkh's people who hear of an approaching deadline: its executors and its responsible official.
KGKH_NOTIFIED = {"kgkh.exec1", "kgkh.exec2", "kgkh.resp"}
WARNING_KINDS = ("deadline_warning", "escalation")


def send_to_body(curator: FlaskClient, url: str = "https://vk.com/wall-1_100", **triage: str) -> int:
    """Register a message and send it to kgkh over HTTP, as the curator does; returns the case id."""
    case_id = register(curator, url=url)
    task = open_inbox_task(curator, "Отбор и классификация сообщения")
    response = curator.post(f"/tasks/{task}", data={**TRIAGE, **triage})
    assert response.status_code == 302, response.get_data(as_text=True)
    return case_id


def sweep(sessions: Callable[[], Session], clock: FixedClock, moment: datetime) -> int:
    """Move the clock to `moment` and run one scheduler sweep."""
    clock.set(moment)
    return fire_due_timers(sessions=sessions, clock=clock)


def events(sessions: Callable[[], Session], kind: str) -> list[tuple[int, str | None, datetime | None]]:
    """(case, step, due_at) of every history entry of `kind`, in the order they were written."""
    with sessions() as session:
        rows = session.execute(select(CaseEvent.case_id, CaseEvent.step, CaseEvent.due_at)
                               .where(CaseEvent.kind == kind).order_by(CaseEvent.id)).all()
        return [tuple(row) for row in rows]


def breaches(sessions: Callable[[], Session]) -> list[tuple[int, str, str, str | None, datetime]]:
    """(case, step, clause, body code, due_at) of every recorded breach, in the order they were recorded."""
    with sessions() as session:
        rows = session.execute(select(Breach.case_id, Breach.step, Breach.clause, Body.code, Breach.due_at)
                               .outerjoin(Body, Body.id == Breach.body_id).order_by(Breach.id)).all()
        return [tuple(row) for row in rows]


def notified(sessions: Callable[[], Session]) -> list[str]:
    """Usernames of everyone told of an approaching deadline (executors, the responsible official's copy), sorted."""
    with sessions() as session:
        return sorted(session.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                                      .where(Notification.kind.in_(WARNING_KINDS))))


def test_warning_then_breach_fire_once_each(app: Flask, clock: FixedClock, sessions: Any) -> None:
    case_id = send_to_body(login(app, "curator"))
    with sessions() as session:
        timers = session.scalars(select(Timer).where(Timer.case_id == case_id)).all()
    assert {t.kind: t.due_at for t in timers} == {"warning": DRAFT_WARNING, "deadline": DRAFT_DUE,
                                                  "case_warning": CASE_WARNING, "case": CASE_DUE}
    assert {t.step for t in timers if t.kind in ("warning", "deadline")} == {"draft"}

    assert sweep(sessions, clock, DRAFT_WARNING - timedelta(minutes=1)) == 0
    assert sweep(sessions, clock, DRAFT_WARNING) == 0, "a timer fires only once its moment has passed"
    assert events(sessions, "warning") == [] and notified(sessions) == []

    assert sweep(sessions, clock, DRAFT_WARNING + SECOND) == 1
    assert events(sessions, "warning") == [(case_id, "draft", DRAFT_DUE)]
    assert notified(sessions) == sorted(KGKH_NOTIFIED)
    assert events(sessions, "overdue") == [] and breaches(sessions) == []

    assert sweep(sessions, clock, DRAFT_DUE + SECOND) == 1
    assert events(sessions, "overdue") == [(case_id, "draft", DRAFT_DUE)]
    assert breaches(sessions) == [(case_id, "draft", "8.4", "kgkh", DRAFT_DUE)]
    assert len(events(sessions, "warning")) == 1 and len(notified(sessions)) == len(KGKH_NOTIFIED)

    assert sweep(sessions, clock, DRAFT_DUE + SECOND) == 0, "a second sweep at the same moment fires nothing"
    assert len(events(sessions, "overdue")) == 1 and len(breaches(sessions)) == 1

    assert sweep(sessions, clock, CASE_WARNING + SECOND) == 1
    assert events(sessions, "warning")[1:] == [(case_id, "case", CASE_DUE)]
    assert sweep(sessions, clock, CASE_DUE - SECOND) == 0
    assert sweep(sessions, clock, CASE_DUE + SECOND) == 1
    assert events(sessions, "overdue")[1:] == [(case_id, "case", CASE_DUE)]
    assert breaches(sessions)[1:] == [(case_id, "case", "8.3", "kgkh", CASE_DUE)]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Timer)) == 0, "every timer has fired"
    assert sweep(sessions, clock, CASE_DUE + timedelta(days=7)) == 0


def test_a_sweep_logs_no_engine_state_changes(app: Flask, clock: FixedClock, sessions: Any,
                                             caplog: pytest.LogCaptureFixture) -> None:
    send_to_body(login(app, "curator"))
    with caplog.at_level(logging.INFO):
        assert sweep(sessions, clock, DRAFT_WARNING + SECOND) == 1
    assert [r.getMessage() for r in caplog.records if r.name.startswith("spiff")] == []


def history(sessions: Callable[[], Session], case_id: int) -> list[tuple[str, str | None]]:
    """(kind, step) of the case's warnings and breaches, in the order they were written."""
    with sessions() as session:
        rows = session.execute(select(CaseEvent.kind, CaseEvent.step).where(
            CaseEvent.case_id == case_id, CaseEvent.kind.in_(("warning", "overdue"))).order_by(CaseEvent.id)).all()
        return [tuple(row) for row in rows]


def test_catch_up_fires_everything_that_came_due_while_down(app: Flask, clock: FixedClock, sessions: Any) -> None:
    curator = login(app, "curator")
    ordinary = send_to_body(curator, "https://vk.com/wall-1_101")
    clock.set(datetime(2026, 11, 24, 10, 30, tzinfo=MSK))
    # Sent at 10:30 with a shortened deadline of 12:00; its warning at 80 % of the 1 h 30 min left is 11:42.
    # Its draft (5 WH from 10:30 -> 16:18) may not end after the case: it is due at 12:00 too, warned at 11:42.
    shortened = send_to_body(curator, "https://vk.com/wall-1_102", shortened_due_at="2026-11-24T12:00")
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=MSK)
    with sessions() as session:
        assert session.scalar(select(Timer.due_at).where(Timer.case_id == shortened, Timer.kind == "case_warning")) \
            == datetime(2026, 11, 24, 11, 42, tzinfo=MSK)

    # Down from 10:30 Tuesday until Wednesday noon: eight timers of two cases passed, in an order unlike the diagram's.
    assert sweep(sessions, clock, datetime(2026, 11, 25, 12, 0, tzinfo=MSK)) == 2
    assert history(sessions, shortened) == [("warning", "draft"), ("warning", "case"),
                                            ("overdue", "draft"), ("overdue", "case")]
    assert history(sessions, ordinary) == [("warning", "draft"), ("overdue", "draft"),
                                           ("warning", "case"), ("overdue", "case")]
    assert breaches(sessions) == [
        (shortened, "draft", "8.4", "kgkh", noon), (shortened, "case", "8.3", "kgkh", noon),
        (ordinary, "draft", "8.4", "kgkh", DRAFT_DUE), (ordinary, "case", "8.3", "kgkh", CASE_DUE)]
    assert notified(sessions) == sorted([*KGKH_NOTIFIED] * 4)
    assert sweep(sessions, clock, datetime(2026, 11, 25, 12, 0, tzinfo=MSK)) == 0


def test_in_process_scheduler_acts_on_a_due_timer(app: Flask, clock: FixedClock, sessions: Any) -> None:
    case_id = send_to_body(login(app, "curator"))
    clock.set(DRAFT_WARNING + SECOND)
    worker = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "SECRET_KEY")}, "CLOCK": clock,
                         "OTKLIK_SCHEDULER": True, "OTKLIK_SCHEDULER_SECONDS": 0.05})
    try:
        deadline = time.monotonic() + 3
        while not events(sessions, "warning") and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.extensions["otklik.scheduler"].shutdown(wait=True)
        worker.extensions["otklik.engine"].dispose()
    assert events(sessions, "warning") == [(case_id, "draft", DRAFT_DUE)]
