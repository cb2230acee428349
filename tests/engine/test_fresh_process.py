"""Steps continued by other processes, as gunicorn workers and the scheduler continue each other's cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.engine.test_case_process import PART, SEVERAL

ROOT = Path(__file__).resolve().parents[2]
# One step in a new interpreter: parse the library, restore the state, complete the first open task of a step.
STEP = """
import json, sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from engine.calendar import ProductionCalendar, WorkingCalendar, shipped_years
from engine.clock import FixedClock
from engine.parser import load_bundle, read_library
from engine.runner import EngineContext, Runner

order = json.load(sys.stdin)
calendar = WorkingCalendar(ProductionCalendar(shipped_years()))
clock = FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")))
runner = Runner(load_bundle(read_library([Path("bpmn"), Path("forms")]), "case_148rg"),
                EngineContext(clock=clock, calendar_for=lambda body: calendar))
if order["state"] is None:
    snapshot = runner.start({"case_id": 1, "channel": "vk"})
else:
    task = next(t for t in runner.snapshot(order["state"]).open_tasks if t.step == order["step"])
    snapshot = runner.complete(order["state"], task.id, order["form"])
json.dump({"state": snapshot.state, "open": [[t.step, t.body] for t in snapshot.open_tasks],
           "completed": snapshot.completed}, sys.stdout)
"""


def in_new_process(state: str | None, step: str = "", form: dict[str, Any] | None = None) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", STEP], input=json.dumps({"state": state, "step": step, "form": form}),
                          capture_output=True, text=True, cwd=ROOT, check=True)
    return dict(json.loads(done.stdout))


def test_several_bodies_reach_the_curators_decision_when_each_part_is_sent_from_another_process() -> None:
    case = in_new_process(None)
    case = in_new_process(case["state"], "triage", SEVERAL)
    assert sorted(case["open"]) == [["part", "kdh"], ["part", "kgkh"], ["part", "ktrans"]]
    for _ in range(3):
        case = in_new_process(case["state"], "part", PART)
    assert [step for step, _ in case["open"]] == ["compose_decision"], "the case must not stall with no task"
