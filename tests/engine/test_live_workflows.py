"""Workflows kept alive between steps: they step as the stored JSON does, and a stale one is never taken."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.clock import FixedClock
from engine.parser import load_bundle, read_library
from engine.runner import EngineContext, LiveWorkflows, Runner, StepRefused
from tests.engine.test_case_process import CALENDAR, DRAFT, TRIAGE

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = load_bundle(read_library([ROOT / "bpmn", ROOT / "forms"]), "case_148rg")


def runner(live: LiveWorkflows | None) -> Runner:
    clock = FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")))
    return Runner(BUNDLE, EngineContext(clock=clock, calendar_for=lambda body: CALENDAR), live)


def test_a_kept_workflow_steps_as_the_stored_json_does_and_only_the_new_state_is_kept() -> None:
    live = LiveWorkflows()
    kept, rebuilt = runner(live), runner(None)
    started = kept.start({"channel": "vk"})
    triage = started.open_tasks[0].id
    assert live.take(BUNDLE, started.state) is not None, "start keeps its workflow"
    live.keep(BUNDLE, started.state, kept._load(started.state))

    sent = kept.complete(started.state, triage, TRIAGE)
    again = rebuilt.complete(started.state, triage, TRIAGE)  # the same step from the stored JSON
    assert live.take(BUNDLE, started.state) is None, "the state the step started from is no longer kept"
    assert [(t.step, t.body) for t in sent.open_tasks] == [(t.step, t.body) for t in again.open_tasks]
    assert [(t.kind, t.step, t.due_at) for t in sent.timers] == [(t.kind, t.step, t.due_at) for t in again.timers]
    assert sent.completed_steps == again.completed_steps and sent.timers

    draft = kept.complete(sent.state, sent.open_tasks[0].id, DRAFT)  # from the kept workflow
    assert [t.step for t in draft.open_tasks] == ["approval"]
    assert live.take(BUNDLE, draft.state) is not None


def test_a_refused_step_leaves_nothing_kept_and_the_stored_state_still_steps() -> None:
    live = LiveWorkflows()
    kept = runner(live)
    started = kept.start({"channel": "vk"})
    with pytest.raises(StepRefused):
        kept.complete(started.state, "00000000-0000-0000-0000-000000000000", TRIAGE)
    assert live.take(BUNDLE, started.state) is None
    sent = kept.complete(started.state, started.open_tasks[0].id, TRIAGE)  # rebuilt from the JSON
    assert [t.step for t in sent.open_tasks] == ["draft"]


def test_a_state_is_not_taken_for_another_process() -> None:
    live = LiveWorkflows()
    started = runner(live).start({"channel": "vk"})
    other = load_bundle(read_library([ROOT / "bpmn", ROOT / "forms"]), "governor_post")
    assert live.take(other, started.state) is None


def test_only_the_newest_workflows_are_kept() -> None:
    live = LiveWorkflows(size=2)
    states = [runner(live).start({"channel": "vk"}).state for _ in range(3)]
    assert live.take(BUNDLE, states[0]) is None
    assert all(live.take(BUNDLE, state) is not None for state in states[1:])


def test_a_kept_workflow_shares_no_data_with_its_callers() -> None:
    live = LiveWorkflows()
    kept, rebuilt = runner(live), runner(None)
    started = kept.start({"channel": "vk"})
    form = {**TRIAGE, "bodies": ["kdh", "kgkh"], "order": "parallel"}
    sent = kept.complete(started.state, started.open_tasks[0].id, form)
    form["bodies"].append("ktrans")  # the caller edits what it passed in, and what it got back
    for task in sent.open_tasks:
        task.data["bodies"].clear()
    part = next(t for t in sent.open_tasks if t.step == "part")
    done = {"part_outcome": "part", "part_text": "Часть", "measures_taken": None, "not_competent_reason": None}
    from_kept, from_json = kept.complete(sent.state, part.id, done), rebuilt.complete(sent.state, part.id, done)
    assert [t.data["bodies"] for t in from_kept.open_tasks] == [t.data["bodies"] for t in from_json.open_tasks] \
        == [["kdh", "kgkh"]]
