"""Start a case's workflow, complete its tasks, wake its timers; to and from JSON; snapshots for projections."""

from __future__ import annotations

import contextvars
import copy
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.calendar import CalendarError, WorkingCalendar
from engine.clock import Clock, clock_scope
from engine.expressions import ExpressionError, evaluate
from engine.parser import ProcessBundle
from engine.texts import N_, from_library, text_of
from engine.timers import (
    Duration,
    ParameterError,
    PendingTimer,
    armed_case_due,
    attached_activity,
    deadline_functions,
    is_case_timer,
    pending_timers,
)

FORMAT = "otklik-1"


class StepRefused(Exception):
    """The diagram does not allow this step now (e.g. a loop bound is reached); the message is in Russian."""


class EngineFailure(Exception):
    """The workflow could not advance (the message a Text) and nothing should be saved."""


@dataclass(frozen=True)
class EngineContext:
    """What the engine needs from the outside world for one step."""

    clock: Clock
    calendar_for: Callable[[str | None], WorkingCalendar]
    deadline_overrides: Mapping[str, Duration] = field(default_factory=dict)  # a municipality's own values


@dataclass(frozen=True)
class OpenTask:
    """A user task waiting for a person."""

    id: str
    step: str
    name: str
    role: str
    form: str
    deadline: str | None
    body: str | None
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Effect:
    """Something a service task of the diagram asked the product to do (record a breach, notify)."""

    action: str
    params: Mapping[str, Any]
    data: Mapping[str, Any]
    task_id: str | None = None  # the user task whose boundary timer led here, if any


@dataclass
class Snapshot:
    """The state after a step, and everything the projections are rebuilt from."""

    state: str
    completed: bool
    open_tasks: list[OpenTask]
    timers: list[PendingTimer]
    data: dict[str, Any]
    completed_steps: list[str]
    completed_tasks: list[tuple[str, str]]
    end_events: list[str]
    active_steps: list[str]
    open_before: list[str]  # the user tasks that were open when the step began
    effects: list[Effect] = field(default_factory=list)
    # Open, yet nothing can move it on: no task for a person, and no armed event (a timer, a message) but warnings
    # and deadline notices beside an activity that itself waits for nothing.
    stalled: bool = False


@dataclass
class _Run:
    """Per-step state the expression functions and actions reach through a context variable."""

    workflow: BpmnWorkflow | None
    effects: list[Effect]


_run: contextvars.ContextVar[_Run] = contextvars.ContextVar("otklik_run")
# Named actions a service task may call: effects for the product, or `assign`, which stores a computed value.
ACTIONS = ("record_breach", "notify", "assign")


class _SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Evaluates diagram expressions with the whitelisted evaluator; refuses scripts; runs named actions."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__({})
        self.functions = {**functions, "count": _count}

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        return evaluate(expression, {**context, **self.functions})

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        raise ExpressionError(N_("Сценарии на Python в диаграммах запрещены"))

    def call_service(self, context: dict[str, Any], operation_name: str = "", operation_params: Any = None,
                     task: Task | None = None, **_: Any) -> str:
        if operation_name not in ACTIONS:
            raise ExpressionError(N_("Действие «%(name)s» неизвестно", name=operation_name))
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        if operation_name == "assign":
            return json.dumps(params.get("value"), ensure_ascii=False)
        attached = attached_activity(task) if task is not None else None
        _run.get().effects.append(Effect(operation_name, params, copy.deepcopy(context),
                                         str(attached.id) if attached else None))
        return "null"


class _ScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """SpiffWorkflow 3.2's call_service error path refers to an undefined name; report errors plainly."""

    def call_service(self, task: Task, **kwargs: Any) -> str:
        return str(self.environment.call_service(task.data, task=task, **kwargs))


def _count(step: str) -> int:
    """How many times the step with this BPMN id has been completed in the current case."""
    workflow = _run.get().workflow
    if workflow is None:
        return 0
    return sum(1 for t in all_tasks(workflow) if t.task_spec.bpmn_id == step and t.state == TaskState.COMPLETED)


class _StrippedWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Keeps the spec out of the stored state; it is restored from the cached process version."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        bundle: ProcessBundle = dct.pop("bundle")
        workflow = self.target_class(bundle.spec, bundle.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = _StrippedWorkflowConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))


def dump_state(workflow: BpmnWorkflow) -> str:
    """The workflow as compact UTF-8 JSON without its spec."""
    dct = SERIALIZER.to_dict(workflow)
    dct["format"] = FORMAT
    return json.dumps(dct, ensure_ascii=False, separators=(",", ":"))


def load_state(bundle: ProcessBundle, state: str) -> BpmnWorkflow:
    """Rebuild a workflow from its stored JSON and its process version."""
    dct = json.loads(state)
    if dct.pop("format", None) != FORMAT:
        raise EngineFailure(N_("Сохранённое состояние процесса имеет неизвестный формат"))
    dct["bundle"] = bundle
    return SERIALIZER.from_dict(dct)


class LiveWorkflows:
    """Workflows kept alive after a step, under the exact state it was saved as: a later step on that same state skips
    rebuilding the workflow from JSON. A kept workflow goes to one step at a time and is kept again only under the
    state that step produced, so neither a failed step nor a save that was rolled back leaves an entry that a stored
    state can match wrongly."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._kept: OrderedDict[str, tuple[ProcessBundle, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, bundle: ProcessBundle, state: str) -> BpmnWorkflow | None:
        """The workflow saved as this state of this process version, now the caller's alone; None if not kept."""
        with self._lock:
            kept = self._kept.pop(state, None)
        return kept[1] if kept is not None and kept[0] is bundle else None

    def keep(self, bundle: ProcessBundle, state: str, workflow: BpmnWorkflow) -> None:
        with self._lock:
            self._kept[state] = (bundle, workflow)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


class Runner:
    """Runs one process version for the service layer; every call takes and returns plain JSON state."""

    def __init__(self, bundle: ProcessBundle, context: EngineContext, live: LiveWorkflows | None = None) -> None:
        self.bundle = bundle
        self.context = context
        self.live = live
        self.parameters = bundle.parameters.with_overrides(context.deadline_overrides)
        functions = deadline_functions(now=context.clock.now, calendar_for=context.calendar_for,
                                       parameters=self.parameters, case_due=_case_due_of_run)
        self.script_engine = _ScriptEngine(environment=_SafeEnvironment(functions))

    def start(self, data: Mapping[str, Any]) -> Snapshot:
        """Start a new case workflow with initial data and run it to the first waits."""
        workflow = BpmnWorkflow(self.bundle.spec, self.bundle.subprocess_specs, script_engine=self.script_engine)
        workflow.task_tree.data.update(copy.deepcopy(dict(data)))
        return self._step(workflow, lambda: None)

    def complete(self, state: str, task_id: str, form: Mapping[str, Any]) -> Snapshot:
        """Complete a READY user task with validated form data."""
        workflow = self._load(state)
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (WorkflowException, ValueError, KeyError):
            raise StepRefused(N_("Задача не найдена в процессе")) from None
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise StepRefused(N_("Эта задача уже выполнена или ещё не началась"))

        def act() -> None:
            task.set_data(**copy.deepcopy(dict(form)))  # the caller's lists must not become the kept workflow's
            task.run()

        return self._step(workflow, act)

    def wake(self, state: str) -> Snapshot:
        """Fire the timers that are due by the context's clock and run on."""
        workflow = self._load(state)
        return self._step(workflow, workflow.refresh_timers)

    def snapshot(self, state: str) -> Snapshot:
        """Read a stored state without changing it."""
        workflow = self._load(state)
        return self._snapshot(workflow, [], _open_task_ids(workflow))

    def repair(self, state: str) -> Snapshot:
        """Move on a workflow stored while finished loop instances went unmerged (restored onto specs that were not
        wired to them): merge each such instance into its activity, as its completion should have, and run on."""
        workflow = self._load(state)

        def merge_missing() -> None:
            for task in list(all_tasks(workflow)):
                spec = task.task_spec
                if not isinstance(spec, LoopTask) or task.state != TaskState.STARTED:
                    continue
                merged = task.internal_data.setdefault("merged", [])
                finished = [c for c in task.children if c.task_spec.name == spec.task_spec
                            and c.state == TaskState.COMPLETED and str(c.id) not in merged]
                for child in sorted(finished, key=lambda c: c.last_state_change):
                    spec.merge_child(child.workflow, child)

        return self._step(workflow, merge_missing)

    def reschedule(self, state: str, armed_at: Mapping[str, datetime]) -> Snapshot:
        """Recompute the waiting date timers named in armed_at as if armed at those moments on today's calendars."""
        workflow = self._load(state)

        def functions_at(moment: datetime) -> dict[str, Callable[..., Any]]:
            return deadline_functions(now=lambda: moment, calendar_for=self.context.calendar_for,
                                      parameters=self.parameters, case_due=lambda: armed_case_due(all_tasks(workflow)))

        # The case's own timers first: the steps' deadlines are capped by the case's recomputed one.
        tasks = sorted(all_tasks(workflow), key=lambda t: not is_case_timer(t))
        for task in tasks:
            moment = armed_at.get(str(task.id))
            definition = getattr(task.task_spec, "event_definition", None)
            # Only timeDate timers call the deadline functions; a duration timer counts calendar time.
            if moment is None or task.state != TaskState.WAITING or not isinstance(definition, TimeDateEventDefinition):
                continue
            try:
                value = evaluate(definition.expression, {**task.data, **functions_at(moment)})
            except ExpressionError as exc:
                reason = exc.__cause__ if isinstance(exc.__cause__, (CalendarError, ParameterError)) else exc
                raise EngineFailure(text_of(reason)) from exc
            task.internal_data["event_value"] = value
        return self._snapshot(workflow, [], _open_task_ids(workflow))

    def _load(self, state: str) -> BpmnWorkflow:
        workflow = self.live.take(self.bundle, state) if self.live is not None else None
        if workflow is None:
            workflow = load_state(self.bundle, state)
        workflow.script_engine = self.script_engine
        return workflow

    def _step(self, workflow: BpmnWorkflow, act: Callable[[], None]) -> Snapshot:
        open_before = _open_task_ids(workflow)
        run = _Run(workflow, [])
        token = _run.set(run)
        try:
            with clock_scope(self.context.clock):
                act()
                workflow.do_engine_steps()
        except (CalendarError, ParameterError) as exc:
            raise EngineFailure(text_of(exc)) from exc
        except SpiffWorkflowException as exc:
            raise self._explain(exc) from exc
        finally:
            _run.reset(token)
        return self._snapshot(workflow, run.effects, open_before)

    def _explain(self, exc: SpiffWorkflowException) -> Exception:
        """Turn an engine error into a refusal a person can read."""
        task = getattr(exc, "task", None)
        spec = getattr(task, "task_spec", None) or getattr(exc, "task_spec", None)
        cause = exc.__cause__ or getattr(exc, "exception", None)
        if isinstance(cause, (CalendarError, ParameterError)):
            return EngineFailure(text_of(cause))
        if spec is not None and spec.__class__.__name__.endswith("Gateway"):
            documentation = getattr(spec, "documentation", None)
            return StepRefused(from_library(documentation) if documentation else
                               N_("Нет допустимого перехода после шага «%(step)s»", step=spec.bpmn_name))
        return EngineFailure(N_("Ошибка процесса на шаге «%(step)s»: %(problem)s",
                                step=getattr(spec, "bpmn_name", "?"), problem=text_of(exc)))

    def _snapshot(self, workflow: BpmnWorkflow, effects: list[Effect], open_before: list[str]) -> Snapshot:
        run = _Run(workflow, effects)
        tasks = list(all_tasks(workflow))
        open_tasks = []
        for task in tasks:
            if _waits_for_person(task):
                info = self.bundle.user_tasks[task.task_spec.bpmn_id]
                body = task.data.get("body")
                open_tasks.append(OpenTask(str(task.id), info.step, info.name, info.role, info.form, info.deadline,
                                           body, copy.deepcopy(task.data)))
        completed = [t for t in tasks if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id]
        completed.sort(key=lambda t: t.last_state_change)
        ends = [t.task_spec.bpmn_id for t in completed
                if t.task_spec.__class__.__name__ == "EndEvent" and t.workflow is workflow]
        state = dump_state(workflow)
        if self.live is not None:
            self.live.keep(self.bundle, state, workflow)
        return Snapshot(
            state=state,
            completed=workflow.is_completed(),
            open_tasks=open_tasks,
            timers=list(pending_timers(tasks)),
            data=copy.deepcopy(workflow.data if workflow.is_completed() else workflow.task_tree.data),
            completed_steps=list(dict.fromkeys(t.task_spec.bpmn_id for t in completed)),
            completed_tasks=[(str(t.id), t.task_spec.bpmn_id) for t in completed],
            end_events=ends,
            active_steps=list(dict.fromkeys(
                t.task_spec.bpmn_id for t in tasks if t.task_spec.bpmn_id and not isinstance(t.task_spec, BoundaryEvent)
                and t.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED))),
            open_before=open_before,
            effects=run.effects,
            stalled=not workflow.is_completed() and not open_tasks and not any(_may_move_on(t) for t in tasks),
        )


def all_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    """Every task of the workflow and of its subprocesses."""
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def _waits_for_person(task: Task) -> bool:
    """An open user task."""
    return bool(task.state == TaskState.READY and task.task_spec.manual)


def _may_move_on(task: Task) -> bool:
    """An armed catch event (a timer, a message) whose firing continues the flow; a non-interrupting boundary event
    only adds a notice beside its activity."""
    definition = getattr(task.task_spec, "event_definition", None)
    if task.state != TaskState.WAITING or definition is None or isinstance(definition, NoneEventDefinition):
        return False
    return not (isinstance(task.task_spec, BoundaryEvent) and not task.task_spec.cancel_activity)


def _open_task_ids(workflow: BpmnWorkflow) -> list[str]:
    """The user tasks waiting for a person."""
    return [str(t.id) for t in all_tasks(workflow) if _waits_for_person(t)]


def _case_due_of_run() -> datetime | None:
    """The case deadline of the workflow the current step runs."""
    run = _run.get(None)
    return armed_case_due(all_tasks(run.workflow)) if run is not None and run.workflow is not None else None
