"""The Governor's post diagram (clause 7) run by the engine alone; the state goes through JSON between every step."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from engine.calendar import ProductionCalendar, WorkingCalendar, shipped_years
from engine.clock import FixedClock
from engine.parser import load_bundle, read_library
from engine.runner import EngineContext, Snapshot
from engine.timers import DeadlineParameters, ParameterError, deadline_functions
from tests.engine.twin import TwinRunner

ROOT = Path(__file__).resolve().parents[2]
MSK = ZoneInfo("Europe/Moscow")
CALENDAR = WorkingCalendar(ProductionCalendar(shipped_years()))
NOTHING_NEW = {"found_links": None, "answered_links": None, "nothing_new": True}


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def library(**limits: int) -> dict[str, str]:
    """The process library on disk, optionally with other loop limits."""
    files = read_library([ROOT / "bpmn", ROOT / "forms"])
    if limits:
        parameters = json.loads(files["parameters.json"])
        parameters["limits"].update(limits)
        files["parameters.json"] = json.dumps(parameters)
    return files


class Post:
    """A Governor's post driven through the runner, reloading the stored JSON before every step."""

    def __init__(self, published: datetime, registered: datetime, bodies: list[str],
                 files: Mapping[str, str] | None = None) -> None:
        self.clock = FixedClock(registered)
        self.runner = TwinRunner(load_bundle(files or library(), "governor_post"),
                             EngineContext(clock=self.clock, calendar_for=lambda body: CALENDAR))
        self.effects: list[tuple[str, str, str | None]] = []
        self._keep(self.runner.start({"case_id": 1, "channel": "vk", "bodies": bodies,
                                      "post_at": published.isoformat(),
                                      "registered_at": registered.astimezone(MSK).isoformat()}))

    def _keep(self, snapshot: Snapshot) -> None:
        json.loads(snapshot.state)  # what is stored must be plain JSON
        self.stored = snapshot.state
        self.snapshot = snapshot
        body_of = {t.id: t.body for t in snapshot.open_tasks}
        self.effects += [(e.action, str(e.params.get("step")), body_of.get(e.task_id or "", e.data.get("body")))
                         for e in snapshot.effects]

    def open(self, body: str | None = None) -> list[str]:
        return [t.step for t in self.snapshot.open_tasks if body is None or t.body == body]

    def complete(self, body: str, step: str, form: Mapping[str, Any] = NOTHING_NEW) -> None:
        task = next(t for t in self.runner.snapshot(self.stored).open_tasks if t.body == body and t.step == step)
        self._keep(self.runner.complete(self.stored, task.id, dict(form)))

    def due(self, step: str, kind: str = "deadline") -> set[datetime]:
        return {t.due_at for t in self.snapshot.timers if t.step == step and t.kind == kind}

    def wake_at(self, moment: datetime) -> None:
        """Move the clock just past `moment` and fire what is due, as the scheduler does."""
        self.clock.set(moment + timedelta(microseconds=1))
        self._keep(self.runner.wake(self.stored))

    def next_timer(self) -> datetime | None:
        return min((t.due_at for t in self.snapshot.timers), default=None)


def test_first_window_counts_from_the_post_and_the_checks_follow_every_two_working_hours() -> None:
    # Posted Tue 09:30, registered at 10:00: the first window ends 2 WH after the post, not after registration.
    post = Post(msk("2026-11-24 09:30"), msk("2026-11-24 10:00"), ["kdh", "kgkh"])
    assert post.open() == ["governor_first", "governor_first"]
    assert {t.body for t in post.snapshot.open_tasks} == {"kdh", "kgkh"}
    assert post.due("governor_first") == {msk("2026-11-24 11:30")}
    assert post.due("governor_first", "warning") == {msk("2026-11-24 11:06")}
    assert post.due("check_slot", "other") == {msk("2026-11-24 11:30")}

    post.clock.set(msk("2026-11-24 11:00"))
    post.complete("kdh", "governor_first", {"found_links": "https://vk.com/wall-1_5?reply=2",
                                            "answered_links": "https://vk.com/wall-1_5?reply=3",
                                            "nothing_new": None})
    assert post.open("kdh") == [], "the next check waits for its interval"

    post.wake_at(msk("2026-11-24 11:06"))
    assert ("notify", "governor_first", "kgkh") in post.effects
    post.wake_at(msk("2026-11-24 11:30"))
    assert ("record_breach", "governor_first", "kgkh") in post.effects
    assert ("record_breach", "governor_first", "kdh") not in post.effects
    # Both bodies get the first check; kgkh keeps its late first window open.
    assert sorted(post.open()) == ["governor_check", "governor_check", "governor_first"]
    # 11:30 + 2 WH: 1 h 30 min to 13:00, lunch until 13:48, then 30 min.
    assert post.due("governor_check") == {msk("2026-11-24 14:18")}

    post.clock.set(msk("2026-11-24 12:00"))
    post.complete("kdh", "governor_check")
    post.complete("kgkh", "governor_first")  # late, but what was found is still recorded
    post.wake_at(msk("2026-11-24 14:18"))
    assert ("record_breach", "governor_check", "kgkh") in post.effects, "a missed interval is a breach"
    assert ("record_breach", "governor_check", "kdh") not in post.effects
    assert sorted(post.open()) == ["governor_check", "governor_check"]
    assert post.due("governor_check") == {msk("2026-11-24 16:18")}


def test_checks_end_with_the_period_two_working_days_after_the_first_window() -> None:
    post = Post(msk("2026-11-24 09:30"), msk("2026-11-24 09:35"), ["kdh", "kgkh"])
    post.complete("kdh", "governor_first")
    checks = 0
    while (moment := post.next_timer()) is not None:
        post.wake_at(moment)
        if "governor_check" in post.open("kdh"):
            checks += 1
            post.complete("kdh", "governor_check")
    assert post.snapshot.completed
    # Intervals from Tue 11:30; the last one that fits ends Thu 17:54, before the period's end on Thu 18:00.
    assert checks == 11
    assert post.clock.now() == msk("2026-11-26 18:00") + timedelta(microseconds=1)
    kgkh = [step for action, step, body in post.effects if action == "record_breach" and body == "kgkh"]
    assert kgkh == ["governor_first"] + ["governor_check"] * 11
    assert not [e for e in post.effects if e[0] == "record_breach" and e[2] == "kdh"]
    assert len(post.stored.encode()) < 200_000


def test_the_loop_stops_at_the_check_limit_whatever_the_period() -> None:
    post = Post(msk("2026-11-24 09:30"), msk("2026-11-24 09:35"), ["kdh"], files=library(governor_checks=3))
    post.complete("kdh", "governor_first")
    opened = 0
    for _ in range(10):
        moment = post.next_timer()
        if moment is None:
            break
        post.wake_at(moment)
        opened += post.open().count("governor_check")
    assert post.snapshot.completed
    assert opened == 3


def test_intervals_that_ended_before_registration_are_skipped() -> None:
    # Posted Tue 09:00 and registered at 14:00: the first window (until 11:00) is already over.
    post = Post(msk("2026-11-24 09:00"), msk("2026-11-24 14:00"), ["kdh"])
    assert ("record_breach", "governor_first", "kdh") in post.effects
    assert sorted(post.open()) == ["governor_check", "governor_first"]
    # The 11:00-13:00 interval ended before registration; the current one runs 13:00-15:48.
    assert post.due("governor_check") == {msk("2026-11-24 15:48")}
    assert [e for e in post.effects if e[1] == "governor_check"] == []


def test_deadline_functions_count_from_a_given_start_or_from_now() -> None:
    parameters = DeadlineParameters.from_dict(json.loads((ROOT / "bpmn" / "parameters.json").read_text("utf-8")))
    functions = deadline_functions(now=lambda: msk("2026-11-24 10:00"), calendar_for=lambda body: CALENDAR,
                                   parameters=parameters)
    assert functions["deadline"]("governor_first") == msk("2026-11-24 12:00").isoformat()
    assert functions["deadline"]("governor_first", "kdh", "2026-11-24T09:30:00+03:00") \
        == msk("2026-11-24 11:30").isoformat()
    assert functions["warning"]("governor_first", None, "2026-11-24T09:30:00+03:00") \
        == msk("2026-11-24 11:06").isoformat()
    with pytest.raises(ParameterError, match="без часового пояса"):
        functions["deadline"]("governor_first", None, "2026-11-24T09:30")
    with pytest.raises(ParameterError, match="не является датой"):
        functions["deadline"]("governor_first", None, "вчера")


def test_the_diagram_keeps_deadline_numbers_in_the_parameters() -> None:
    xml = (ROOT / "bpmn" / "governor_post.bpmn").read_bytes()
    root = etree.fromstring(xml)
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    timers = [e.text or "" for e in root.iterfind(".//bpmn:timeDate", ns)]
    conditions = [e.text or "" for e in root.iterfind(".//bpmn:conditionExpression", ns)]
    assert timers and conditions
    assert not [t for t in timers + conditions if re.search(r"\d", t)], "numbers belong in parameters.json"
    parameters = json.loads((ROOT / "bpmn" / "parameters.json").read_text("utf-8"))
    named = set(re.findall(r'(?:deadline|warning)\("(\w+)"', html.unescape(xml.decode())))
    assert named == {"governor_first", "governor_check", "governor_period"}
    assert named <= set(parameters["deadlines"])
    assert "governor_checks" in parameters["limits"]
