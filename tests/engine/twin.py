"""A runner that continues every step twice: in this process, and as a freshly started process would."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.parser import ProcessBundle, parse_bundle
from engine.runner import EngineContext, Runner, Snapshot


def outcome(snapshot: Snapshot) -> dict[str, Any]:
    """What a step decided, without the ids of the tasks it created (each run makes its own)."""
    return {
        "completed": snapshot.completed,
        "open_tasks": sorted((t.step, t.role, t.body or "", repr(sorted(t.data.items()))) for t in snapshot.open_tasks),
        "timers": sorted((t.kind, t.parameter or "", t.step or "", t.due_at) for t in snapshot.timers),
        "data": snapshot.data,
        "completed_steps": snapshot.completed_steps,
        "end_events": snapshot.end_events,
        "active_steps": sorted(snapshot.active_steps),
        "effects": sorted((e.action, repr(sorted(e.params.items()))) for e in snapshot.effects),
    }


class TwinRunner(Runner):
    """Every step runs on the warm specs (those this process has already stepped with) and again on the stored state
    restored onto specs parsed anew, with no cache; the two must decide the same, or the test fails at that step."""

    def __init__(self, bundle: ProcessBundle, context: EngineContext) -> None:
        super().__init__(bundle, context)
        self.steps_compared = 0

    def _cold(self) -> Runner:
        return Runner(parse_bundle(self.bundle.files, self.bundle.process_id), self.context)

    def _twice(self, warm: Snapshot, cold: Snapshot, what: str) -> Snapshot:
        assert outcome(cold) == outcome(warm), f"a fresh process decides otherwise at {what}"
        self.steps_compared += 1
        return warm

    def complete(self, state: str, task_id: str, form: Mapping[str, Any]) -> Snapshot:
        cold = self._cold().complete(state, task_id, form)
        return self._twice(super().complete(state, task_id, form), cold, f"completing {task_id}")

    def wake(self, state: str) -> Snapshot:
        cold = self._cold().wake(state)
        return self._twice(super().wake(state), cold, f"a wake-up at {self.context.clock.now()}")

    def reschedule(self, state: str, armed_at: Mapping[str, datetime]) -> Snapshot:
        cold = self._cold().reschedule(state, armed_at)
        return self._twice(super().reschedule(state, armed_at), cold, "rescheduling")
