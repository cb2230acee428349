"""Cases stored while a fresh process left finished loop instances unmerged: detected as stalled, and repaired."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask

from engine.clock import FixedClock
from engine.parser import ProcessBundle, parse_bundle, read_library
from engine.runner import EngineContext, Runner, Snapshot
from tests.engine.test_case_process import CALENDAR, PART, SEVERAL

ROOT = Path(__file__).resolve().parents[2]
FILES = read_library([ROOT / "bpmn", ROOT / "forms"])


def runner(bundle: ProcessBundle) -> Runner:
    clock = FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")))
    return Runner(bundle, EngineContext(clock=clock, calendar_for=lambda body: CALENDAR))


def unwired() -> ProcessBundle:
    """Specs as SpiffWorkflow's parser leaves them: loop activities not told when an instance finishes."""
    bundle = parse_bundle(FILES, "case_148rg")
    for process in (bundle.spec, *bundle.subprocess_specs.values()):
        for spec in process.task_specs.values():
            if isinstance(spec, LoopTask):
                process.task_specs[spec.task_spec].completed_event.disconnect(spec.merge_child)
    return bundle


def send_parts(bundle: ProcessBundle | None) -> Snapshot:
    """Triage to three bodies at once and send every part, each step in a process of its own (specs parsed anew,
    unwired as before the fix when `bundle` is None), or all in one process on `bundle`."""
    def step() -> Runner:
        return runner(bundle or unwired())

    snapshot = step().start({"case_id": 1, "channel": "vk"})
    snapshot = step().complete(snapshot.state, snapshot.open_tasks[0].id, SEVERAL)
    while parts := [t for t in snapshot.open_tasks if t.step == "part"]:
        snapshot = step().complete(snapshot.state, parts[0].id, {**PART, "part_text": f"Часть {parts[0].body}"})
    return snapshot


def test_a_case_stalled_by_unmerged_parts_is_seen_as_stalled_and_repair_moves_it_on() -> None:
    fresh = runner(parse_bundle(FILES, "case_148rg"))
    stalled = fresh.snapshot(send_parts(None).state)
    assert stalled.stalled and not stalled.open_tasks
    assert {t.kind for t in stalled.timers} == {"case", "case_warning"}, "only the case's deadline notices wait"
    repaired = fresh.repair(stalled.state)
    sound = send_parts(parse_bundle(FILES, "case_148rg"))
    assert not repaired.stalled
    assert [(t.step, t.data) for t in repaired.open_tasks] == [(t.step, t.data) for t in sound.open_tasks]
    assert [t.step for t in fresh.repair(repaired.state).open_tasks] == ["compose_decision"], \
        "a repair of a sound case changes nothing"


def test_a_sound_open_case_is_not_stalled() -> None:
    fresh = runner(parse_bundle(FILES, "case_148rg"))
    started = fresh.start({"case_id": 1, "channel": "vk"})
    assert not started.stalled
    assert not fresh.snapshot(started.state).stalled
