"""Moving a running workflow to another version of its process; the state goes through JSON between every step."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest

from engine.clock import FixedClock
from engine.migration import MigrationRefused, migrate
from engine.parser import ProcessBundle, load_bundle
from engine.runner import EngineContext, Runner, Snapshot
from tests.engine.test_case_process import CALENDAR, DRAFT, TRIAGE, msk
from tests.variants import interim_days, legal_review, renamed_triage, shipped

V1 = load_bundle(shipped(), "case_148rg")
V2 = load_bundle(legal_review(interim_days(shipped(), 5)), "case_148rg")
APPROVE = {"approval_decision": "approve", "approval_comment": None}
PUBLISHED = {"published_url": "https://vk.com/x", "published_at": "2026-11-24T11:10+03:00"}


class Case:
    """A case on one version whose stored state is the only thing kept between steps."""

    def __init__(self, bundle: ProcessBundle, start: datetime) -> None:
        self.clock = FixedClock(start)
        self.runner = self._runner(bundle)
        self.snapshot = self.runner.start({"case_id": 1, "channel": "vk"})

    def _runner(self, bundle: ProcessBundle) -> Runner:
        return Runner(bundle, EngineContext(clock=self.clock, calendar_for=lambda body: CALENDAR))

    def complete(self, step: str, form: Mapping[str, Any]) -> Snapshot:
        task = next(t for t in self.snapshot.open_tasks if t.step == step)
        self.snapshot = self.runner.complete(self.snapshot.state, task.id, dict(form))
        return self.snapshot

    def move(self, bundle: ProcessBundle) -> Snapshot:
        old, self.runner = self.runner.bundle, self._runner(bundle)
        self.snapshot = migrate(self.runner, old, self.snapshot.state)
        return self.snapshot

    def steps(self) -> list[str]:
        return [t.step for t in self.snapshot.open_tasks]

    def due(self, kind: str, step: str) -> datetime:
        return next(t.due_at for t in self.snapshot.timers if t.kind == kind and t.step == step)


def at_approval(bundle: ProcessBundle) -> Case:
    """A case whose interim reply waits for the curator's approval."""
    case = Case(bundle, msk("2026-11-24 10:00"))
    case.complete("triage", TRIAGE)
    case.complete("draft", {**DRAFT, "reply_kind": "interim"})
    assert case.steps() == ["approval"]
    return case


def test_a_case_waiting_for_approval_continues_on_the_new_version() -> None:
    case = at_approval(V1)
    before = case.snapshot
    case.clock.set(msk("2026-11-24 10:30"))
    moved = case.move(V2)
    assert [(t.id, t.step) for t in moved.open_tasks] == [(t.id, t.step) for t in before.open_tasks]
    assert moved.open_before == [t.id for t in before.open_tasks], "the inbox keeps the same task"
    assert sorted((t.id, t.due_at) for t in moved.timers) == sorted((t.id, t.due_at) for t in before.timers), \
        "deadlines already armed keep their moments"
    case.complete("approval", APPROVE)
    assert case.steps() == ["legal_review"], "the step added in the new version follows approval"
    case.complete("legal_review", APPROVE)
    assert case.steps() == ["publication"]
    case.complete("publication", PUBLISHED)
    assert case.steps() == ["draft"]
    # The final reply after the interim one is due in 5 working days now: Tue 24 Nov -> Tue 1 Dec, 18:00.
    assert case.due("deadline", "draft") == msk("2026-12-01 18:00")


def test_a_case_left_on_its_version_keeps_the_old_rules() -> None:
    case = at_approval(V1)
    case.complete("approval", APPROVE)
    assert case.steps() == ["publication"]
    case.complete("publication", PUBLISHED)
    assert case.due("deadline", "draft") == msk("2026-12-03 18:00")


def test_a_case_whose_waiting_step_was_removed_is_refused() -> None:
    case = Case(V1, msk("2026-11-24 10:00"))
    stored = case.snapshot.state
    with pytest.raises(MigrationRefused, match="Отбор и классификация сообщения"):
        case.move(load_bundle(renamed_triage(shipped()), "case_148rg"))
    case.runner = case._runner(V1)
    assert case.runner.snapshot(stored).open_tasks[0].step == "triage", "the case stays on its version"


def test_a_case_may_move_back_and_forth_between_equal_steps() -> None:
    case = Case(V1, msk("2026-11-24 10:00"))
    case.complete("triage", TRIAGE)
    case.move(V2)
    assert case.steps() == ["draft"]
    case.move(V1)
    case.complete("draft", DRAFT)
    assert case.steps() == ["approval"]
