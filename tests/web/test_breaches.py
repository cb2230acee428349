"""The clause-12 register: a late step names the person who finished it and how late it was."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.clock import FixedClock
from models import Breach, User
from services.timers import fire_due_timers
from tests.conftest import MSK, login
from tests.web.test_isolation import triaged_case

DRAFT = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте!"}


def test_late_draft_records_who_and_how_late(app: Flask, clock: FixedClock, sessions: Any) -> None:
    case_id, draft = triaged_case(app)
    # Draft due Tue 15:48 (5 WH from 10:00), finished Wed 10:30; late in working time:
    # 15:48-18:00 is 2 h 12 min, Wed 09:00-10:30 is 1 h 30 min: 222 working minutes late.
    clock.set(datetime(2026, 11, 24, 15, 49, tzinfo=MSK))
    assert fire_due_timers(sessions=sessions, clock=clock) == 1
    clock.set(datetime(2026, 11, 25, 10, 30, tzinfo=MSK))
    executor = login(app, "kgkh.exec1")
    assert executor.post(f"/tasks/{draft}", data=DRAFT).status_code == 302
    with sessions() as session:
        breach = session.scalar(select(Breach).where(Breach.case_id == case_id, Breach.step == "draft"))
        person = session.scalar(select(User).where(User.username == "kgkh.exec1"))
        assert breach is not None and person is not None
        assert (breach.clause, breach.person_id, breach.late_minutes) == ("8.4", person.id, 222)
        assert breach.due_at == datetime(2026, 11, 24, 15, 48, tzinfo=MSK)


def test_not_our_competence_after_60_minutes_is_a_breach(app: Flask, clock: FixedClock, sessions: Any) -> None:
    case_id, draft = triaged_case(app)
    clock.advance(timedelta(minutes=75))
    executor = login(app, "kgkh.exec1")
    response = executor.post(f"/tasks/{draft}", data={"draft_outcome": "not_competent",
                                                      "not_competent_reason": "Это вопрос дорожников"})
    assert response.status_code == 302
    with sessions() as session:
        breach = session.scalar(select(Breach).where(Breach.case_id == case_id, Breach.step == "competence"))
        assert breach is not None
        assert (breach.clause, breach.late_minutes) == ("8.2", 15)
    page = login(app, "curator").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Срок нарушен" in page


def test_in_time_answer_is_no_breach(app: Flask, clock: FixedClock, sessions: Any) -> None:
    case_id, draft = triaged_case(app)
    clock.advance(timedelta(minutes=59))
    executor = login(app, "kgkh.exec1")
    executor.post(f"/tasks/{draft}", data={"draft_outcome": "not_competent", "not_competent_reason": "Не наше"})
    with sessions() as session:
        assert session.scalars(select(Breach).where(Breach.case_id == case_id)).all() == []
