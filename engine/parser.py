"""Load and check a process library (diagrams, forms, deadline parameters); parsed specs are cached by hash."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.diagram_rules import check_diagram
from engine.forms import FormError, FormSchema
from engine.timers import DeadlineParameters, ParameterError

PARAMETERS_FILE = "parameters.json"
# Names the diagrams may call: deadline functions (engine.timers) and named actions (engine.actions).
DIAGRAM_FUNCTIONS = frozenset({"deadline", "warning", "case_deadline", "case_warning", "limit", "count",
                               "record_breach", "notify", "assign"})


class LibraryError(ValueError):
    """A process library that cannot be run; the message is in Russian and names the file."""


@dataclass(frozen=True)
class UserTaskInfo:
    """What the product needs to know about one user task of a diagram."""

    step: str
    name: str
    role: str
    form: str
    deadline: str | None


@dataclass(frozen=True)
class ProcessBundle:
    """One frozen process version: its files, parsed specs, forms and deadline parameters."""

    content_hash: str
    process_id: str
    files: Mapping[str, str]
    spec: Any
    subprocess_specs: Mapping[str, Any]
    forms: Mapping[str, FormSchema]
    parameters: DeadlineParameters
    user_tasks: Mapping[str, UserTaskInfo]
    step_names: Mapping[str, str]
    diagram_file: str

    def diagram_xml(self) -> str:
        """The BPMN text of the file that defines the bundle's main process."""
        return self.files[self.diagram_file]


def read_library(directories: list[Path]) -> dict[str, str]:
    """Read every diagram, form and parameters file of the library into a name -> text mapping."""
    files: dict[str, str] = {}
    for directory in directories:
        for path in sorted(directory.iterdir()):
            if path.suffix in (".bpmn", ".json"):
                files[path.name] = path.read_text(encoding="utf-8")
    return files


def library_processes(files: Mapping[str, str]) -> list[str]:
    """The executable process ids the library's diagrams define."""
    parser = SpiffBpmnParser()
    for name, text in files.items():
        if name.endswith(".bpmn"):
            parser.add_bpmn_str(text.encode(), filename=name)
    return sorted(parser.get_process_ids())


def content_hash(files: Mapping[str, str]) -> str:
    """A stable hash of a library's files, the identity of a process version."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()


def load_bundle(files: Mapping[str, str], process_id: str) -> ProcessBundle:
    """Parse and check a library for one process; identical files are parsed once per process."""
    return _load_cached(content_hash(files), tuple(sorted(files.items())), process_id)


@functools.lru_cache(maxsize=64)
def _load_cached(digest: str, items: tuple[tuple[str, str], ...], process_id: str) -> ProcessBundle:
    return parse_bundle(dict(items), process_id)


def parse_bundle(files: Mapping[str, str], process_id: str) -> ProcessBundle:
    """Parse and check a library for one process, always anew (what a freshly started process does)."""
    digest = content_hash(files)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    owner: dict[str, str] = {}
    for name, text in files.items():
        if not name.endswith(".bpmn"):
            continue
        problems = check_diagram(text.encode(), functions=DIAGRAM_FUNCTIONS)
        if problems:
            listed = "; ".join(f"{p.element_id or '—'}: {p.message}" for p in problems)
            raise LibraryError(f"Диаграмма {name}: {listed}")
        try:
            parser.add_bpmn_str(text.encode(), filename=name)
        except ValidationException as exc:
            raise LibraryError(f"Диаграмма {name} не прошла проверку: {exc}") from exc
        for pid in parser.get_process_ids():
            owner.setdefault(pid, name)
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise LibraryError(f"Процесс «{process_id}» не найден или неполон: {exc}") from exc
    try:
        parameters = DeadlineParameters.from_dict(json.loads(files[PARAMETERS_FILE]))
    except KeyError:
        raise LibraryError(f"В библиотеке нет файла {PARAMETERS_FILE}") from None
    except (json.JSONDecodeError, ParameterError) as exc:
        raise LibraryError(f"{PARAMETERS_FILE}: {exc}") from exc
    for process in (spec, *subprocess_specs.values()):
        _wire_loops(process)
    user_tasks, step_names = _describe(spec, subprocess_specs)
    forms: dict[str, FormSchema] = {}
    for info in user_tasks.values():
        if info.form not in files:
            raise LibraryError(f"Шаг «{info.name}»: нет файла формы {info.form}")
        if info.deadline is not None:
            parameters.duration(info.deadline)
        try:
            forms[info.form] = FormSchema.from_json(info.form, files[info.form])
        except FormError as exc:
            raise LibraryError(str(exc)) from exc
    return ProcessBundle(digest, process_id, files, spec, subprocess_specs, forms, parameters, user_tasks,
                         step_names, owner[process_id])


def _wire_loops(process: Any) -> None:
    """Connect every loop and multi-instance activity to the completion of its instances, as SpiffWorkflow's own
    spec deserializer does: the parser leaves it to the first instance a process creates, so a workflow restored in
    a process that has not created one yet would finish the instances and never merge them (the case stalls)."""
    for task_spec in process.task_specs.values():
        if isinstance(task_spec, LoopTask):
            instance = process.task_specs[task_spec.task_spec]
            if not instance.completed_event.is_connected(task_spec.merge_child):
                instance.completed_event.connect(task_spec.merge_child)


def _describe(spec: Any, subprocess_specs: Mapping[str, Any]) -> tuple[dict[str, UserTaskInfo], dict[str, str]]:
    """Collect user-task properties and step names of the main process and its subprocesses."""
    user_tasks: dict[str, UserTaskInfo] = {}
    names: dict[str, str] = {}
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            if task_spec.bpmn_id is None:
                continue
            names[task_spec.bpmn_id] = task_spec.bpmn_name or task_spec.bpmn_id
            if not task_spec.manual:
                continue
            props = task_spec.extensions.get("properties", {})
            role, form = props.get("role"), props.get("formJsonSchemaFilename")
            if not role or not form:
                raise LibraryError(
                    f"Шаг «{task_spec.bpmn_name or task_spec.bpmn_id}»: задайте свойства role и formJsonSchemaFilename")
            user_tasks[task_spec.bpmn_id] = UserTaskInfo(
                task_spec.bpmn_id, task_spec.bpmn_name or task_spec.bpmn_id, role, form, props.get("deadline"))
    return user_tasks, names
