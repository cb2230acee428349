"""The case diagram run by the engine alone; the state goes through JSON between every step."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import ProductionCalendar, WorkingCalendar, shipped_years
from engine.clock import FixedClock
from engine.parser import LibraryError, load_bundle, read_library
from engine.runner import EngineContext, Snapshot, StepRefused
from engine.timers import Duration
from tests.engine.twin import TwinRunner

ROOT = Path(__file__).resolve().parents[2]
MSK = ZoneInfo("Europe/Moscow")
CALENDAR = WorkingCalendar(ProductionCalendar(shipped_years()))


class Case:
    """A case driven through the runner, reloading the stored JSON before every step."""

    def __init__(self, start: datetime, overrides: Mapping[str, Duration] | None = None) -> None:
        self.clock = FixedClock(start)
        self.runner = TwinRunner(load_bundle(read_library([ROOT / "bpmn", ROOT / "forms"]), "case_148rg"),
                             EngineContext(clock=self.clock, calendar_for=lambda body: CALENDAR,
                                           deadline_overrides=overrides or {}))
        self.snapshot = self.runner.start({"case_id": 1, "channel": "vk"})
        self.stored = self._store(self.snapshot)

    def _store(self, snapshot: Snapshot) -> str:
        json.loads(snapshot.state)  # what is stored must be plain JSON
        return snapshot.state

    def steps(self) -> list[str]:
        return [t.step for t in self.snapshot.open_tasks]

    def complete(self, step: str, form: Mapping[str, Any]) -> Snapshot:
        task = next(t for t in self.runner.snapshot(self.stored).open_tasks if t.step == step)
        self.snapshot = self.runner.complete(self.stored, task.id, dict(form))
        self.stored = self._store(self.snapshot)
        return self.snapshot

    def wake(self) -> Snapshot:
        self.snapshot = self.runner.wake(self.stored)
        self.stored = self._store(self.snapshot)
        return self.snapshot

    def due(self, kind: str, step: str | None = None) -> datetime:
        return next(t.due_at for t in self.snapshot.timers if t.kind == kind and (step is None or t.step == step))


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


TRIAGE = {"triage_decision": "send", "theme": "heating", "location": "gatchinsky", "importance": "normal",
          "shortened_due_at": None, "bodies": ["kgkh"], "order": None}
DRAFT = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте!"}


def test_main_path_with_rework() -> None:
    case = Case(msk("2026-11-24 10:00"))
    assert case.steps() == ["triage"]
    assert case.snapshot.timers == []
    case.complete("triage", TRIAGE)
    assert case.steps() == ["draft"]
    assert case.snapshot.open_tasks[0].body == "kgkh"
    # 9 WH from Tue 10:00: 3 h to 13:00, 4 h 12 min to 18:00, Wed 09:00 + 1 h 48 min.
    assert case.due("case") == msk("2026-11-25 10:48")
    assert case.due("deadline", "draft") == msk("2026-11-24 15:48")
    assert case.due("warning", "draft") == msk("2026-11-24 14:48")
    case.clock.advance(timedelta(hours=1))
    case.complete("draft", DRAFT)
    assert case.steps() == ["approval"]
    # Approval 1 WH from 11:00.
    assert case.due("deadline", "approval") == msk("2026-11-24 12:00")
    case.complete("approval", {"approval_decision": "return", "approval_comment": "Уточните сроки"})
    assert case.steps() == ["rework"]
    case.complete("rework", {"reply_kind": "reply", "reply_text": "Здравствуйте! Сроки: завтра."})
    case.complete("approval", {"approval_decision": "approve", "approval_comment": None})
    assert case.steps() == ["publication"]
    # Publication 30 working minutes from 11:00.
    assert case.due("deadline", "publication") == msk("2026-11-24 11:30")
    case.complete("publication", {"published_url": "https://vk.com/x", "published_at": "2026-11-24T11:10+03:00"})
    assert case.snapshot.completed
    assert case.snapshot.end_events == ["published_end"]
    assert case.snapshot.timers == []
    assert [s for _, s in case.snapshot.completed_tasks if s in ("draft", "approval", "rework", "publication")] \
        == ["draft", "approval", "rework", "approval", "publication"]


def test_urgent_and_shortened_case_deadlines() -> None:
    case = Case(msk("2026-11-24 16:00"))
    case.complete("triage", {**TRIAGE, "importance": "high"})
    # 4 WH from Tue 16:00: 2 h to 18:00, then Wed 09:00 + 2 h.
    assert case.due("case") == msk("2026-11-25 11:00")
    shortened = Case(msk("2026-11-24 10:00"))
    shortened.complete("triage", {**TRIAGE, "shortened_due_at": "2026-11-24T12:00:00+03:00"})
    assert shortened.due("case") == msk("2026-11-24 12:00")


def test_not_subject_to_processing_ends_the_case() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", {"triage_decision": "not_subject", "not_subject_ground": "obscene"})
    assert case.snapshot.completed and case.snapshot.end_events == ["not_subject_end"]


def test_reassignment_keeps_the_case_clock_and_is_bounded() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", TRIAGE)
    case_due = case.due("case")
    limit = case.runner.bundle.parameters.limit("reassignments")
    for round_ in range(limit):
        case.clock.advance(timedelta(minutes=5))
        case.complete("draft", {"draft_outcome": "not_competent", "not_competent_reason": "не наш вопрос"})
        assert case.steps() == ["reassign"], round_
        case.complete("reassign", {"body": "kdh" if round_ % 2 == 0 else "kgkh"})
        assert case.due("case") == case_due
    with pytest.raises(StepRefused, match="предел переназначений"):
        case.complete("draft", {"draft_outcome": "not_competent", "not_competent_reason": "снова не наш"})
    case.complete("draft", DRAFT)
    assert case.steps() == ["approval"]


def test_deadline_timers_fire_once_and_record_breaches() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", TRIAGE)
    case.clock.set(msk("2026-11-24 14:47"))
    assert case.wake().effects == []
    case.clock.set(msk("2026-11-24 14:48:01"))
    effects = case.wake().effects
    assert [(e.action, e.params) for e in effects] == [("notify", {"kind": "warning", "step": "draft"})]
    case.clock.set(msk("2026-11-24 15:48:01"))
    assert [(e.action, e.params["step"]) for e in case.wake().effects] == [("record_breach", "draft")]
    assert case.wake().effects == []
    assert case.steps() == ["draft"], "a non-interrupting deadline leaves the step open"
    case.clock.set(msk("2026-11-25 10:48:01"))
    actions = [(e.action, e.params["step"]) for e in case.wake().effects]
    assert actions == [("notify", "case"), ("record_breach", "case")]


def test_a_diagram_with_a_script_is_refused() -> None:
    files = read_library([ROOT / "bpmn", ROOT / "forms"])
    evil = '<bpmn:scriptTask id="evil"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
    files["case.bpmn"] = files["case.bpmn"].replace("</bpmn:process>", evil + "</bpmn:process>")
    with pytest.raises(LibraryError, match="Python"):
        load_bundle(files, "case_148rg")


def publish(case: Case, kind: str, body_step: str = "draft") -> None:
    """Draft a reply of a kind, approve it and publish it."""
    case.complete(body_step, {**DRAFT, "reply_kind": kind})
    case.complete("approval", {"approval_decision": "approve", "approval_comment": None})
    case.complete("publication", {"published_url": "https://vk.com/x", "published_at": "2026-11-24T11:10+03:00"})


def test_interim_reply_gives_seven_working_days_for_the_final_one() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", TRIAGE)
    publish(case, "interim")
    assert case.steps() == ["draft"], "after an interim reply the final draft is due"
    # 7 working days from Tue 24 Nov: Wed 25 (1) ... Thu 3 Dec (7), 18:00.
    assert case.due("case") == msk("2026-12-03 18:00")
    assert case.due("deadline", "draft") == msk("2026-12-03 18:00")
    publish(case, "reply")
    assert case.snapshot.completed and case.snapshot.end_events[-1] == "published_end"


def test_interim_rounds_are_bounded() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", TRIAGE)
    rounds = case.runner.bundle.parameters.limit("rounds")
    for _ in range(rounds - 1):
        publish(case, "interim")
    with pytest.raises(StepRefused, match="предел промежуточных"):
        publish(case, "interim")


def test_clarification_stops_the_clock_until_the_author_answers() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", TRIAGE)
    publish(case, "clarification")
    assert case.steps() == ["clarification"]
    # No deadline of the reply runs while the case waits for the author; only the wait itself is bounded.
    assert [(t.kind, t.parameter, t.step) for t in case.snapshot.timers] == [
        ("deadline", "clarification_wait", "clarification")]
    case.clock.set(msk("2026-11-27 16:30"))
    case.complete("clarification", {"clarification_text": "Дом 14, подъезд 2", "clarification_url": None,
                                    "clarification_at": "2026-11-27T16:20+03:00"})
    # 2 WH from Fri 16:30: 30 min to 17:00, then Mon 09:00 + 1 h 30 min.
    assert case.due("case") == msk("2026-11-30 10:30")
    assert case.steps() == ["draft"]


def test_an_author_who_never_answers_does_not_hold_the_case_for_ever() -> None:
    """7.3: after the wait (5 working days) the curator closes the case or waits another period, a bounded number
    of times."""
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", TRIAGE)
    publish(case, "clarification")
    # 5 working days from Tue 24 Nov 10:00: Wed 25 (1) ... Tue 1 Dec (5), 18:00.
    assert case.due("deadline", "clarification") == msk("2026-12-01 18:00")
    case.clock.set(msk("2026-12-01 17:59"))
    assert case.wake().effects == [] and case.steps() == ["clarification"]
    waits = case.runner.bundle.parameters.limit("clarification_waits")
    for _ in range(waits):
        case.clock.set(case.due("deadline", "clarification") + timedelta(minutes=1))
        case.wake()
        assert case.steps() == ["author_silent"], "the curator decides; the wait task is gone"
        assert [t.kind for t in case.snapshot.timers] == []
        case.complete("author_silent", {"silent_decision": "wait", "silent_comment": None})
        assert case.steps() == ["clarification"]
        assert case.due("deadline", "clarification") == CALENDAR.add_working_days(case.clock.now(), 5)
    case.clock.set(case.due("deadline", "clarification") + timedelta(minutes=1))
    case.wake()
    with pytest.raises(StepRefused, match="предел продлений"):
        case.complete("author_silent", {"silent_decision": "wait", "silent_comment": None})
    case.complete("author_silent", {"silent_decision": "close", "silent_comment": "Автор молчит"})
    assert case.snapshot.completed and case.snapshot.end_events == ["author_silent_end"]
    assert case.snapshot.timers == []


def test_the_author_answering_after_a_longer_wait_continues_the_case() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", TRIAGE)
    publish(case, "clarification")
    case.clock.set(msk("2026-12-02 10:00"))
    case.wake()
    case.complete("author_silent", {"silent_decision": "wait", "silent_comment": None})
    case.complete("clarification", {"clarification_text": "Дом 14", "clarification_url": None,
                                    "clarification_at": "2026-12-02T10:00+03:00"})
    assert case.steps() == ["draft"] and case.due("case") == msk("2026-12-02 12:00")


SEVERAL = {**TRIAGE, "bodies": ["kdh", "kgkh", "ktrans"], "order": "parallel"}
PART = {"part_outcome": "part", "part_text": "Информация органа", "measures_taken": None,
        "not_competent_reason": None}


def parts_of(case: Case) -> dict[str, str]:
    return {t.body: t.id for t in case.runner.snapshot(case.stored).open_tasks if t.step == "part"}


def complete_task(case: Case, task_id: str, form: Mapping[str, Any]) -> None:
    case.snapshot = case.runner.complete(case.stored, task_id, dict(form))
    case.stored = case.snapshot.state


def test_several_bodies_at_once_then_the_last_body_composes() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", SEVERAL)
    parts = parts_of(case)
    assert set(parts) == {"kdh", "kgkh", "ktrans"}
    assert {t.step for t in case.snapshot.timers if t.kind == "deadline"} == {"part"}
    # One body is not competent: only its part is reassigned.
    complete_task(case, parts["kgkh"], {**PART, "part_outcome": "not_competent", "not_competent_reason": "не наше"})
    reassign = next(t for t in case.snapshot.open_tasks if t.step == "part_reassign")
    assert reassign.body == "kgkh"
    complete_task(case, reassign.id, {"body": "ksoc", "reassign_comment": None})
    assert set(parts_of(case)) == {"kdh", "ktrans", "ksoc"}
    for task_id in parts_of(case).values():
        complete_task(case, task_id, PART)
    assert case.steps() == ["compose_decision"]
    case.complete("compose_decision", {"composer": "last_body", "compose_comment": None})
    draft = case.snapshot.open_tasks[0]
    assert (draft.step, draft.body) == ("draft", "ktrans")
    publish(case, "reply")
    assert case.snapshot.completed


def test_several_bodies_in_turn() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", {**SEVERAL, "order": "sequential"})
    seen = []
    while case.steps() == ["part"]:
        task = case.snapshot.open_tasks[0]
        seen.append(task.body)
        case.clock.advance(timedelta(hours=1))
        # Each body's part is due 5 WH after that body received it.
        assert case.due("deadline", "part") == case.runner.context.calendar_for(task.body).add_working_time(
            case.clock.now() - timedelta(hours=1), timedelta(hours=5))
        complete_task(case, task.id, PART)
    assert seen == ["kdh", "kgkh", "ktrans"]
    assert case.steps() == ["compose_decision"]


def test_separate_replies_are_approved_and_published_one_after_another() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", SEVERAL)
    for task_id in parts_of(case).values():
        complete_task(case, task_id, PART)
    case.complete("compose_decision", {"composer": "separate", "compose_comment": None})
    published = []
    for _ in range(3):
        approval = case.snapshot.open_tasks[0]
        assert approval.step == "approval"
        case.complete("approval", {"approval_decision": "approve", "approval_comment": None})
        publication = case.snapshot.open_tasks[0]
        published.append(publication.body)
        case.complete("publication", {"published_url": "https://vk.com/x", "published_at": "2026-11-24T11:10+03:00"})
    assert published == ["kdh", "kgkh", "ktrans"]
    assert case.snapshot.completed


def test_the_curator_composes_then_approval_and_the_last_body_publishes() -> None:
    case = Case(msk("2026-11-24 10:00"))
    case.complete("triage", SEVERAL)
    for task_id in parts_of(case).values():
        complete_task(case, task_id, PART)
    case.complete("compose_decision", {"composer": "curator", "compose_comment": None})
    case.complete("compose", {"reply_kind": "reply", "reply_text": "Здравствуйте! Общий ответ."})
    assert case.steps() == ["approval"]
    case.complete("approval", {"approval_decision": "approve", "approval_comment": None})
    publication = case.snapshot.open_tasks[0]
    assert (publication.step, publication.body, publication.role) == ("publication", "ktrans", "executor")


def test_a_municipality_overrides_a_deadline_without_copying_the_diagram() -> None:
    case = Case(msk("2026-11-24 10:00"), overrides={"draft": Duration(3, "hours", clause="8.4")})
    case.complete("triage", TRIAGE)
    # 3 WH from 10:00 ends exactly at the lunch break: 13:00, not 13:48.
    assert case.due("deadline", "draft") == msk("2026-11-24 13:00")
    assert case.due("case") == msk("2026-11-25 10:48"), "other deadlines stay the oblast's"


def test_a_value_for_a_deadline_the_version_lacks_does_not_stop_its_cases() -> None:
    # A tenant sets values against the current regional version; a case on an older version may lack the step.
    case = Case(msk("2026-11-24 10:00"), overrides={"draft": Duration(3, "hours"), "added_later": Duration(1, "hours")})
    case.complete("triage", TRIAGE)
    assert case.due("deadline", "draft") == msk("2026-11-24 13:00")


def test_no_step_is_due_after_an_urgent_case() -> None:
    """Issue 14, defect 1: 4 WH for the case, 5 WH for the draft or a part: the step is due with the case."""
    for bodies, order, step in ((["kgkh"], None, "draft"), (["kgkh", "kdh"], "sequential", "part"),
                                (["kgkh", "kdh"], None, "part")):
        case = Case(msk("2026-11-24 09:00"))
        case.complete("triage", {**TRIAGE, "importance": "high", "bodies": bodies, "order": order})
        assert case.due("case") == msk("2026-11-24 13:00")
        assert {t.due_at for t in case.snapshot.timers if t.kind == "deadline"} == {msk("2026-11-24 13:00")}, step
        assert {t.due_at for t in case.snapshot.timers if t.kind == "warning"} == {msk("2026-11-24 12:12")}, step
    # Later steps too (approval 1 WH from 12:30 would be 13:48 with the lunch break); a step that ends before the
    # case does keeps its own deadline.
    case = Case(msk("2026-11-24 09:00"))
    case.complete("triage", {**TRIAGE, "importance": "high"})
    case.clock.set(msk("2026-11-24 12:30"))
    case.complete("draft", DRAFT)
    assert case.due("deadline", "approval") == msk("2026-11-24 13:00")
    case.clock.set(msk("2026-11-24 12:40"))
    case.complete("approval", {"approval_decision": "approve", "approval_comment": None})
    assert case.due("deadline", "publication") == msk("2026-11-24 13:00")
    # Once the case deadline has passed, a step has its own deadline again (no cascade of breaches at once).
    case = Case(msk("2026-11-24 09:00"))
    case.complete("triage", {**TRIAGE, "importance": "high"})
    case.clock.set(msk("2026-11-24 15:00"))
    case.wake()
    case.complete("draft", DRAFT)
    assert case.due("deadline", "approval") == msk("2026-11-24 16:00")
