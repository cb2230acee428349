"""Move a running workflow onto another version of its process (SpiffWorkflow's spec diff and migration helpers)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.parser import ProcessBundle
from engine.runner import SERIALIZER, Runner, Snapshot, all_tasks, load_state
from engine.texts import N_

# A task in one of these states is where the case stands: its step must exist in the version it moves to.
_WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED


class MigrationRefused(Exception):
    """The workflow cannot move to the other version; the message (a Text) names the step."""


def migrate(runner: Runner, old: ProcessBundle, state: str) -> Snapshot:
    """Move a workflow stored on the `old` version onto the runner's version and run it to its next waits. Steps are
    matched by BPMN id; the deadlines already armed keep their moments (new parameters apply to the steps that start
    after the move). MigrationRefused says why a workflow cannot move; nothing is changed then."""
    new = runner.bundle
    workflow = load_state(old, state)
    workflow.script_engine = runner.script_engine
    top, subs = diff_workflow(SERIALIZER.registry, workflow, new.spec, new.subprocess_specs)
    _refuse_removed(old, top, subs)
    armed = {task.id: task.internal_data["event_value"] for task in all_tasks(workflow)
             if task.state == TaskState.WAITING and "event_value" in task.internal_data}

    def move() -> None:
        migrate_workflow(top, workflow, new.spec)
        for sub_id, sub in workflow.subprocesses.items():
            diff = subs[sub_id]
            assert diff is not None  # _refuse_removed refused a subprocess that the new version lacks
            migrate_workflow(diff, sub, new.subprocess_specs[sub.spec.name])
        workflow.subprocess_specs = dict(new.subprocess_specs)
        for task in all_tasks(workflow):
            definition = getattr(task.task_spec, "event_definition", None)
            if task.id in armed and task.state == TaskState.WAITING and isinstance(definition, TimerEventDefinition):
                task.internal_data["event_value"] = armed[task.id]
        known = {id(spec) for process in (new.spec, *new.subprocess_specs.values())
                 for spec in process.task_specs.values()}
        stale = [task for task in all_tasks(workflow) if id(task.task_spec) not in known]
        if stale:
            raise MigrationRefused(N_("Шаг «%(step)s» не удалось сопоставить с новой версией",
                                      step=_name(old, stale[0].task_spec)))

    snapshot = runner._step(workflow, move)
    load_state(new, snapshot.state)  # what is stored must restore on the new version alone
    return snapshot


def _refuse_removed(old: ProcessBundle, top: WorkflowDiff, subs: dict[Any, WorkflowDiff | None]) -> None:
    """Refuse when a step the case waits at, or has passed, or a subprocess under way is gone from the new version."""
    diffs = [top, *(diff for diff in subs.values() if diff is not None)]
    removed = [task for diff in diffs for task in diff.removed]
    # SpiffWorkflow also aligns a step whose id changed by its place in the flow; a waiting one must keep its id.
    renamed = [task for diff in diffs for task, spec in diff.alignment.items()
               if spec is not None and spec.bpmn_id != task.task_spec.bpmn_id]
    waiting = [task for task in removed + renamed if task.has_state(_WAITING)]
    passed = [task for task in removed if task.state == TaskState.COMPLETED and task.task_spec.bpmn_id]
    if waiting:
        raise MigrationRefused(N_("Шага «%(step)s», на котором случай ждёт, нет в новой версии",
                                  step=_name(old, waiting[0].task_spec)))
    if any(diff is None for diff in subs.values()):
        raise MigrationRefused(N_("Подпроцесса, который сейчас выполняется, нет в новой версии"))
    if passed:
        raise MigrationRefused(N_("Пройденного шага «%(step)s» нет в новой версии",
                                  step=_name(old, passed[0].task_spec)))


def _name(bundle: ProcessBundle, spec: Any) -> str:
    """A step's name as the diagram has it, for a refusal."""
    return bundle.step_names.get(spec.bpmn_id or "", spec.bpmn_name or spec.name)
