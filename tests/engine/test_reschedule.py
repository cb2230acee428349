"""Runner.reschedule: waiting timers recomputed from the moment they were armed, on changed calendars."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import NON_WORKING, OverrideDay, ProductionCalendar, WorkingCalendar, shipped_years
from engine.clock import FixedClock
from engine.parser import load_bundle, read_library
from engine.runner import EngineContext, EngineFailure, Runner, Snapshot

ROOT = Path(__file__).resolve().parents[2]
MSK = ZoneInfo("Europe/Moscow")
BUNDLE = load_bundle(read_library([ROOT / "bpmn", ROOT / "forms"]), "case_148rg")
PLAIN = WorkingCalendar(ProductionCalendar(shipped_years()))
# The governor declares Wednesday 25.11.2026 a day off.
DAY_OFF = WorkingCalendar(ProductionCalendar(shipped_years()),
                          overrides=[OverrideDay(date(2026, 11, 25), NON_WORKING, reason="Решение губернатора")])
TRIAGE = {"triage_decision": "send", "theme": "heating", "location": "gatchinsky", "importance": "normal",
          "shortened_due_at": None, "bodies": ["kgkh"], "order": None}


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def runner(clock: FixedClock, calendar_for: Callable[[str | None], WorkingCalendar]) -> Runner:
    return Runner(BUNDLE, EngineContext(clock=clock, calendar_for=calendar_for))


def triaged(at: datetime) -> tuple[FixedClock, Snapshot]:
    """A case triaged and sent to kgkh at `at` on the plain calendar: draft and case timers armed."""
    clock = FixedClock(at)
    engine = runner(clock, lambda body: PLAIN)
    started = engine.start({"case_id": 1, "channel": "vk"})
    triage = started.open_tasks[0]
    return clock, engine.complete(started.state, triage.id, TRIAGE)


def due(snapshot: Snapshot) -> dict[tuple[str, str | None], datetime]:
    return {(t.kind, t.step): t.due_at for t in snapshot.timers}


ARMED_TUESDAY_16 = {
    # From Tue 16:00: 2 h to 18:00, then Wed from 09:00.
    ("warning", "draft"): msk("2026-11-25 11:00"),  # 4 h of 5
    ("deadline", "draft"): msk("2026-11-25 12:00"),  # 5 h
    ("case_warning", "work"): msk("2026-11-25 15:00"),  # 7 h 12 min of 9 h: 4 h to 13:00, 13:48 + 1 h 12
    ("case", "work"): msk("2026-11-25 16:48"),  # 9 h
}


def test_timers_move_past_a_new_day_off_but_a_passed_one_stays() -> None:
    clock, snapshot = triaged(msk("2026-11-24 16:00"))
    assert due(snapshot) == ARMED_TUESDAY_16
    clock.set(msk("2026-11-25 11:30"))  # the draft warning has passed; the rest have not
    armed = {t.id: msk("2026-11-24 16:00") for t in snapshot.timers if t.due_at > clock.now()}

    moved = runner(clock, lambda body: DAY_OFF).reschedule(snapshot.state, armed)

    # Tue 2 h, Wednesday is off, Thursday from 09:00.
    assert due(moved) == {
        ("warning", "draft"): msk("2026-11-25 11:00"),
        ("deadline", "draft"): msk("2026-11-26 12:00"),
        ("case_warning", "work"): msk("2026-11-26 15:00"),
        ("case", "work"): msk("2026-11-26 16:48"),
    }
    assert {t.id for t in moved.timers} == {t.id for t in snapshot.timers}
    assert [t.step for t in moved.open_tasks] == ["draft"] and moved.effects == []


def test_the_new_due_moments_are_what_the_engine_fires_on() -> None:
    clock, snapshot = triaged(msk("2026-11-24 16:00"))
    armed = {t.id: msk("2026-11-24 16:00") for t in snapshot.timers}
    engine = runner(clock, lambda body: DAY_OFF)
    moved = engine.reschedule(snapshot.state, armed)

    clock.set(msk("2026-11-25 17:00"))  # past every old due moment
    assert engine.wake(moved.state).effects == []
    clock.set(msk("2026-11-26 12:01"))
    woken = engine.wake(moved.state)
    assert [(e.action, e.params["step"]) for e in woken.effects] == [("notify", "draft"), ("record_breach", "draft")]


def test_unchanged_calendar_gives_the_same_due_moments_and_only_named_timers_move() -> None:
    clock, snapshot = triaged(msk("2026-11-24 16:00"))
    same = runner(clock, lambda body: PLAIN).reschedule(
        snapshot.state, {t.id: msk("2026-11-24 16:00") for t in snapshot.timers})
    assert due(same) == ARMED_TUESDAY_16
    case_timer = next(t.id for t in snapshot.timers if t.kind == "case")
    only_case = runner(clock, lambda body: DAY_OFF).reschedule(snapshot.state, {case_timer: msk("2026-11-24 16:00")})
    assert due(only_case) == {**ARMED_TUESDAY_16, ("case", "work"): msk("2026-11-26 16:48")}


def test_a_body_calendar_moves_only_the_timers_counted_on_that_body() -> None:
    clock, snapshot = triaged(msk("2026-11-24 16:00"))
    draft = next(t for t in snapshot.open_tasks if t.step == "draft")
    engine = runner(clock, lambda body: PLAIN)
    clock.set(msk("2026-11-24 17:00"))
    approval_state = engine.complete(snapshot.state, draft.id, {"draft_outcome": "draft", "reply_kind": "reply",
                                                                "reply_text": "Здравствуйте!"})
    # Approval is the curator's step: its deadline is counted on the default calendar, not on kgkh's.
    assert due(approval_state)[("deadline", "approval")] == msk("2026-11-24 18:00")
    armed = {t.id: msk("2026-11-24 17:00") if t.step == "approval" else msk("2026-11-24 16:00")
             for t in approval_state.timers}
    moved = runner(clock, lambda body: DAY_OFF if body == "kgkh" else PLAIN).reschedule(approval_state.state, armed)
    assert due(moved)[("deadline", "approval")] == msk("2026-11-24 18:00")
    assert due(moved)[("case", "work")] == msk("2026-11-26 16:48")


def test_a_year_without_data_is_a_clear_failure() -> None:
    clock, snapshot = triaged(msk("2026-11-24 16:00"))
    no_2026 = WorkingCalendar(ProductionCalendar({y: d for y, d in shipped_years().items() if y != 2026}))
    with pytest.raises(EngineFailure, match="Нет данных производственного календаря на 2026 год"):
        runner(clock, lambda body: no_2026).reschedule(snapshot.state, {snapshot.timers[0].id: clock.now()})


def test_a_rescheduled_step_still_ends_with_the_case() -> None:
    """Issue 14, defect 1: a new day off moves the urgent case's deadline; the draft's moves with it, capped."""
    clock = FixedClock(msk("2026-11-24 16:00"))
    engine = runner(clock, lambda body: PLAIN)
    started = engine.start({"case_id": 1, "channel": "vk"})
    triaged = engine.complete(started.state, started.open_tasks[0].id, {**TRIAGE, "importance": "high"})
    assert due(triaged)[("case", "work")] == due(triaged)[("deadline", "draft")] == msk("2026-11-25 11:00")
    moved = runner(clock, lambda body: DAY_OFF).reschedule(
        triaged.state, {t.id: msk("2026-11-24 16:00") for t in triaged.timers})
    assert due(moved)[("case", "work")] == due(moved)[("deadline", "draft")] == msk("2026-11-26 11:00")
