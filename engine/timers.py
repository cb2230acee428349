"""Deadline parameters, the functions the diagrams call for deadlines, and reading timers back."""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.calendar import WorkingCalendar
from engine.texts import N_

UNITS = ("minutes", "hours", "days")
# Functions a timer expression may call, and the kind of timer each one arms.
TIMER_FUNCTIONS = {"deadline": "deadline", "warning": "warning", "case_deadline": "case",
                   "case_warning": "case_warning"}
# The deadlines case_deadline and case_warning read by themselves: the first reply's, and after an interim reply
# (8.8) or the author's clarification (7.3).
CASE_DEADLINES = ("case", "case_urgent", "after_interim", "after_clarification")
# The process library's file of deadline parameters (DeadlineParameters).
PARAMETERS_FILE = "parameters.json"
# A deadline's unit in words.
UNIT_WORDS = {"minutes": N_("мин"), "hours": N_("ч"), "days": N_("дн")}


class ParameterError(ValueError):
    """A deadline parameter set that cannot be used; its message (engine.texts.text_of) is a Text."""


@dataclass(frozen=True)
class Duration:
    """One deadline of the regulation: a value in working (or calendar) minutes, hours or days."""

    value: int
    unit: str
    working: bool = True
    clause: str = ""
    title: str = ""

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ParameterError(N_("Неизвестная единица срока «%(unit)s»: допустимы minutes, hours, days",
                                    unit=self.unit))
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value <= 0:
            raise ParameterError(N_("Срок «%(name)s» должен быть целым положительным числом",
                                    name=self.title or self.clause))

    def describe(self) -> str:
        """Human text such as «5 раб. ч»."""
        unit = UNIT_WORDS[self.unit]
        if self.working:
            return N_("%(value)s раб. %(unit)s", value=self.value, unit=unit)
        return N_("%(value)s %(unit)s", value=self.value, unit=unit)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"value": self.value, "unit": self.unit, "working": self.working, "clause": self.clause,
                "title": self.title}


@dataclass(frozen=True)
class DeadlineParameters:
    """All deadlines of a process version, the escalation share and the loop limits."""

    durations: Mapping[str, Duration]
    warning_share: float = 0.8
    limits: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DeadlineParameters:
        """Build from the parameters file of the process library."""
        try:
            durations = {name: Duration(**spec) for name, spec in raw["deadlines"].items()}
            share = float(raw.get("warning_share", 0.8))
            limits = {name: int(v) for name, v in raw.get("limits", {}).items()}
        except (KeyError, TypeError, AttributeError) as exc:
            raise ParameterError(N_("Файл параметров сроков повреждён: %(problem)s", problem=str(exc))) from exc
        if not 0 < share < 1:
            raise ParameterError(N_("Доля срока для предупреждения должна быть между 0 и 1"))
        return cls(durations=durations, warning_share=share, limits=limits)

    def duration(self, name: str) -> Duration:
        """The named deadline, or a clear error."""
        try:
            return self.durations[name]
        except KeyError:
            raise ParameterError(N_("Срок «%(name)s» не задан в параметрах процесса", name=name)) from None

    def limit(self, name: str) -> int:
        """The named loop bound, or a clear error."""
        try:
            return self.limits[name]
        except KeyError:
            raise ParameterError(N_("Предел «%(name)s» не задан в параметрах процесса", name=name)) from None

    def with_overrides(self, overrides: Mapping[str, Duration]) -> DeadlineParameters:
        """A copy where a tenant's own values replace the regional ones, under the regional clause and title. A value
        for a deadline this version does not have is left out: tenants set values against the current version, and a
        case on an older one keeps running."""
        own = {name: replace(value, clause=value.clause or self.durations[name].clause,
                             title=value.title or self.durations[name].title)
               for name, value in overrides.items() if name in self.durations}
        return replace(self, durations={**self.durations, **own})


def due_after(calendar: WorkingCalendar, start: datetime, duration: Duration) -> datetime:
    """The moment `duration` after `start` on `calendar`."""
    if duration.unit == "days":
        if duration.working:
            return calendar.add_working_days(start, duration.value)
        return start + timedelta(days=duration.value)
    span = timedelta(minutes=duration.value) if duration.unit == "minutes" else timedelta(hours=duration.value)
    return calendar.add_working_time(start, span) if duration.working else start + span


def cap_at_case(begin: datetime, own: datetime, case_due: datetime | None) -> datetime:
    """A step's deadline: its own, or the case's reply deadline (clause 8.3) when that comes first and had not
    passed when the step began; a step is never due after the case."""
    return case_due if case_due is not None and begin < case_due < own else own


def warning_before(calendar: WorkingCalendar, start: datetime, due: datetime, share: float) -> datetime:
    """The moment when `share` of the working time from `start` to `due` has run."""
    begin = calendar.next_working_moment(start)
    if due <= begin:
        return due
    span = calendar.working_time_between(begin, due)
    return calendar.add_working_time(begin, span * share)


@dataclass(frozen=True)
class TimerInfo:
    """What a timer expression stands for: its kind and the deadline parameter it uses."""

    kind: str
    parameter: str | None


@functools.lru_cache(maxsize=512)
def describe_timer(expression: str) -> TimerInfo:
    """Classify a timer expression such as `deadline("draft", body)` without evaluating it."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return TimerInfo("other", None)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TIMER_FUNCTIONS:
        first = node.args[0] if node.args else None
        parameter = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
        return TimerInfo(TIMER_FUNCTIONS[node.func.id], parameter)
    return TimerInfo("other", None)


def deadline_functions(
    *,
    now: Callable[[], datetime],
    calendar_for: Callable[[str | None], WorkingCalendar],
    parameters: DeadlineParameters,
    case_due: Callable[[], datetime | None] = lambda: None,
) -> dict[str, Callable[..., Any]]:
    """The deadline functions a diagram's expressions may call, bound to a clock and calendars; `case_due` tells the
    case's armed reply deadline (clause 8.3), which no step's deadline may pass."""

    def _start(start: str | None) -> datetime:
        """The moment a deadline is counted from: now, or an aware ISO moment from the task data."""
        if start is None:
            return now()
        try:
            moment = datetime.fromisoformat(str(start))
        except ValueError:
            raise ParameterError(N_("Начало отсчёта срока «%(start)s» не является датой и временем",
                                    start=str(start))) from None
        if moment.tzinfo is None:
            raise ParameterError(N_("Начало отсчёта срока «%(start)s» указано без часового пояса", start=str(start)))
        return moment

    def _step_due(calendar: WorkingCalendar, begin: datetime, name: str) -> datetime:
        """The step's own deadline, or the case's when that comes first and has not passed yet."""
        return cap_at_case(begin, due_after(calendar, begin, parameters.duration(name)), case_due())

    def deadline(name: str, body: str | None = None, start: str | None = None) -> str:
        """Due moment of step `name` on the body's calendar, counted from `start` (an ISO moment) or from now,
        never after the case's deadline."""
        return _step_due(calendar_for(body), _start(start), name).isoformat()

    def warning(name: str, body: str | None = None, start: str | None = None) -> str:
        """Escalation moment before the deadline of step `name`, counted from `start` or from now."""
        calendar = calendar_for(body)
        begin = _start(start)
        due = _step_due(calendar, begin, name)
        return warning_before(calendar, begin, due, parameters.warning_share).isoformat()

    def _case_due(importance: str, shortened_due_at: str | None, body: str | None, round_: str) -> datetime:
        if round_ != "first":  # after an interim reply (8.8) or the author's clarification (7.3)
            return due_after(calendar_for(body), now(), parameters.duration(f"after_{round_}"))
        name = "case_urgent" if importance == "high" else "case"
        due = due_after(calendar_for(body), now(), parameters.duration(name))
        if shortened_due_at:
            due = min(due, datetime.fromisoformat(shortened_due_at))
        return due

    def case_deadline(importance: str, shortened_due_at: str | None = None, body: str | None = None,
                      round_: str = "first") -> str:
        """The reply's deadline: 9 WH (4 WH urgent, or the curator's shorter one); 7 WD after an interim reply;
        2 WH after the author's clarification."""
        return _case_due(importance, shortened_due_at, body, round_).isoformat()

    def case_warning(importance: str, shortened_due_at: str | None = None, body: str | None = None,
                     round_: str = "first") -> str:
        """Escalation moment before the reply's deadline."""
        calendar = calendar_for(body)
        start = now()
        due = _case_due(importance, shortened_due_at, body, round_)
        return warning_before(calendar, start, due, parameters.warning_share).isoformat()

    def limit(name: str) -> int:
        """A loop bound from the process parameters."""
        return parameters.limit(name)

    return {"deadline": deadline, "warning": warning, "case_deadline": case_deadline,
            "case_warning": case_warning, "limit": limit}


@dataclass(frozen=True)
class PendingTimer:
    """A timer that is armed and has not fired."""

    id: str
    kind: str
    parameter: str | None
    step: str | None
    attached_task_id: str | None
    due_at: datetime


def attached_activity(task: Task) -> Task | None:
    """The activity a boundary event belongs to, for a task on the path that event started."""
    node: Task | None = task
    while node is not None and not isinstance(node.task_spec, BoundaryEvent):
        node = node.parent
    if node is None or node.parent is None:
        return None
    return next((c for c in node.parent.children if not isinstance(c.task_spec, BoundaryEvent)), None)


def timer_value(task: Task) -> datetime | None:
    """The due moment an armed timer task holds, None if it holds none."""
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    return TimerEventDefinition.get_datetime(value) if value else None


def is_case_timer(task: Task) -> bool:
    """A waiting timer on the case's reply deadline (clause 8.3, 8.8, 7.3)."""
    definition = getattr(task.task_spec, "event_definition", None)
    return task.state == TaskState.WAITING and isinstance(definition, TimerEventDefinition) \
        and describe_timer(definition.expression).kind == "case"


def armed_case_due(tasks: Iterable[Task]) -> datetime | None:
    """The case's armed reply deadline among a workflow's tasks, None while none runs (before triage, while the author
    is asked, 7.3)."""
    dues = [due for task in tasks if is_case_timer(task) and (due := timer_value(task)) is not None]
    return min(dues, default=None)


def pending_timers(tasks: list[Task]) -> Iterator[PendingTimer]:
    """Every armed timer with its due moment and the step it guards."""
    for task in tasks:
        definition = getattr(task.task_spec, "event_definition", None)
        if task.state != TaskState.WAITING or not isinstance(definition, TimerEventDefinition):
            continue
        due = timer_value(task)
        if due is None:
            continue
        info = describe_timer(definition.expression)
        attached = attached_activity(task)
        yield PendingTimer(
            id=str(task.id), kind=info.kind, parameter=info.parameter,
            step=attached.task_spec.bpmn_id if attached else task.task_spec.bpmn_id,
            attached_task_id=str(attached.id) if attached else None,
            due_at=due,
        )
