"""Load and check a process library (diagrams, forms, deadline parameters); parsed specs are cached by hash."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask

from engine.forms import FormSchema
from engine.texts import N_, joined
from engine.timers import DeadlineParameters
from engine.validation import LIBRARY_SUFFIXES, check_library

_LISTED = 10  # problems named in a load error; engine.validation lists them all


class LibraryError(ValueError):
    """A process library that cannot be run; the message (a Text) names the file."""


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
    """Read every diagram, decision table, form and parameters file in the folders and their subfolders into a
    name -> text mapping (diagrams name forms by file name, so a name may occur once)."""
    files: dict[str, str] = {}
    seen: dict[str, Path] = {}
    for directory in directories:
        for path in sorted(directory.rglob("*")):
            if path.suffix not in LIBRARY_SUFFIXES or not path.is_file():
                continue
            if path.name in seen:
                raise LibraryError(N_("Файл %(name)s встречается дважды: %(first)s и %(second)s", name=path.name,
                                      first=str(seen[path.name]), second=str(path)))
            seen[path.name] = path
            try:
                files[path.name] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise LibraryError(N_("Файл %(path)s не в кодировке UTF-8", path=str(path))) from None
    return files


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
    """Check a library (engine.validation) and parse it for one process, always anew (what a fresh process does)."""
    library = check_library(files)
    if library.problems:
        listed = joined(problem.described() for problem in library.problems[:_LISTED])
        if len(library.problems) > _LISTED:
            listed = N_("%(problems)s и ещё %(count)s", problems=listed, count=len(library.problems) - _LISTED)
        raise LibraryError(N_("Библиотека процессов не прошла проверку: %(problems)s", problems=listed))
    if process_id not in library.specs:
        raise LibraryError(N_("Процесса «%(process)s» нет в библиотеке", process=process_id))
    assert library.parameters is not None  # a library without problems has them
    spec, subprocess_specs = library.specs[process_id]
    for process in (spec, *subprocess_specs.values()):
        _wire_loops(process)
    user_tasks, step_names = _describe(spec, subprocess_specs)
    forms = {info.form: library.forms[info.form] for info in user_tasks.values()}
    return ProcessBundle(content_hash(files), process_id, files, spec, subprocess_specs, forms, library.parameters,
                         user_tasks, step_names, library.diagram_files[process_id])


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
            props = task_spec.extensions["properties"]  # role and form: engine.validation checked them
            user_tasks[task_spec.bpmn_id] = UserTaskInfo(task_spec.bpmn_id, task_spec.bpmn_name or task_spec.bpmn_id,
                                                         props["role"], props["formJsonSchemaFilename"],
                                                         props.get("deadline"))
    return user_tasks, names
