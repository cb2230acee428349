"""Check a whole process library and name every problem: its file, its element and a message (a Text).

The same check guards publishing, the command line and loading a stored version (engine.parser): one set of rules.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft7Validator, SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.decisions import check_table
from engine.diagram_rules import (
    BPMN,
    NAMESPACES,
    SPIFF,
    DiagramProblem,
    check_tree,
    expression_tree,
    expressions,
    owner_id,
    parse_diagram,
    parse_xml,
    problem_at,
)
from engine.forms import FormError, FormSchema
from engine.loops import unbounded_loops
from engine.texts import N_, joined, text_of
from engine.timers import CASE_DEADLINES, PARAMETERS_FILE, DeadlineParameters, Duration, ParameterError

LIBRARY_SUFFIXES = (".bpmn", ".dmn", ".json")
# Names the diagrams may call: deadline functions (engine.timers) and named actions (engine.actions).
DIAGRAM_FUNCTIONS = frozenset({"deadline", "warning", "case_deadline", "case_warning", "limit", "count",
                               "record_breach", "notify", "assign"})
TASK_ROLES = ("curator", "executor")  # the inboxes a user task can go to
# Diagram functions whose first argument names a deadline parameter or a loop limit.
_NAMED_PARAMETERS = {"deadline": "durations", "warning": "durations", "limit": "limits"}
_PROPERTY = "./bpmn:extensionElements/spiffworkflow:properties//spiffworkflow:property"
_DRAFT7 = Draft7Validator(Draft7Validator.META_SCHEMA)
# libxml2's schema messages, the parts worth translating; the rest (names, lists) stays as libxml2 wrote it.
_XSD_PHRASES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"^Element '([^']+)', attribute '([^']+)': "),
     lambda m: N_("элемент %(element)s, атрибут %(attribute)s: ", element=m[1], attribute=m[2])),
    (re.compile(r"^Element '([^']+)': "), lambda m: N_("элемент %(element)s: ", element=m[1])),
    (re.compile(r"This element is not expected\."), lambda m: N_("здесь такой элемент не допускается.")),
    (re.compile(r"Expected is one of \("), lambda m: N_("ожидается один из (")),
    (re.compile(r"Expected is \("), lambda m: N_("ожидается (")),
    (re.compile(r"The attribute '([^']+)' is not allowed\."),
     lambda m: N_("атрибут «%(attribute)s» не допускается.", attribute=m[1])),
    (re.compile(r"The attribute '([^']+)' is required but missing\."),
     lambda m: N_("обязательный атрибут «%(attribute)s» не указан.", attribute=m[1])),
    (re.compile(r"Missing child element\(s\)\."), lambda m: N_("не хватает вложенных элементов.")),
    (re.compile(r"'([^']*)' is not a valid value of the atomic type '([^']+)'\."),
     lambda m: N_("«%(value)s» не является допустимым значением типа %(type)s.", value=m[1], type=m[2])),
)


@dataclass(frozen=True)
class Problem:
    """One reason a library cannot be published: the file, the element (when there is one), a message (a Text)."""

    file: str
    element_id: str | None
    message: str
    line: int | None = field(default=None, compare=False)

    def __str__(self) -> str:
        """One line: the file (and line), the element id or «—», the message."""
        return str.__str__(self.described())

    def described(self) -> str:
        """The same line as a Text, its message translated where it is shown."""
        return joined([f"{self.file}:{self.line}" if self.line else self.file, self.element_id or "—", self.message],
                      ": ")


@dataclass(frozen=True)
class Library:
    """A checked library: every problem, and, where it parsed, what loading a process needs."""

    files: Mapping[str, str]
    problems: tuple[Problem, ...]
    processes: Mapping[str, frozenset[str]]  # executable process id -> the files its version freezes
    diagram_files: Mapping[str, str]  # process id -> the diagram that defines it
    specs: Mapping[str, tuple[Any, Mapping[str, Any]]]  # process id -> (spec, subprocess specs)
    forms: Mapping[str, FormSchema]
    parameters: DeadlineParameters | None


def check_library(files: Mapping[str, str]) -> Library:
    """Check every diagram, decision table, form and the parameters of a library (name -> text) together."""
    problems: list[Problem] = []
    diagrams = {name: text for name, text in files.items() if name.endswith(".bpmn")}
    if not diagrams:
        problems.append(Problem("—", None, N_("в библиотеке нет ни одной диаграммы BPMN (.bpmn)")))
    parameters = _check_parameters(files, problems)
    roots: dict[str, etree._Element] = {}  # every diagram that parsed
    schema_valid: dict[str, etree._Element] = {}  # and of those, every one the BPMN schema accepts
    for name in sorted(diagrams):
        root = _diagram(name, diagrams[name], problems)
        if root is not None:
            roots[name] = root
            if _schema_problems(name, root, problems, VALIDATOR.validator, preprocess=VALIDATOR.preprocess):
                schema_valid[name] = root
    ui_schemas = {value for root in roots.values() for task in root.iter(f"{{{BPMN}}}userTask")
                  if (value := _properties(task).get("formUiSchemaFilename"))}
    forms = {}
    for name in sorted(files):
        if name.endswith(".json") and name != PARAMETERS_FILE:
            if name in ui_schemas:
                _json(name, files[name], problems)
            elif (form := _check_form(name, files[name], problems)) is not None:
                forms[name] = form
    process_ids = {process.get("id") for root in roots.values() for process in root.iter(f"{{{BPMN}}}process")}
    for name, root in roots.items():
        problems += [_from_diagram(name, p) for p in _check_references(root, files, parameters, process_ids)]
        problems += [_from_diagram(name, p) for p in unbounded_loops(root)]
    dmn = {name: files[name] for name in sorted(files) if name.endswith(".dmn")}
    parsed = _parse_with_spiff(schema_valid, dmn, problems)
    return Library(files=dict(files), problems=tuple(problems), forms=forms, parameters=parameters, **parsed)


def _from_diagram(name: str, problem: DiagramProblem) -> Problem:
    return Problem(name, problem.element_id, problem.message, problem.line)


def _diagram(name: str, text: str, problems: list[Problem]) -> etree._Element | None:
    """Parse a diagram and apply the product's diagram rules (engine.diagram_rules)."""
    root = parse_diagram(text.encode())
    if isinstance(root, DiagramProblem):
        problems.append(_from_diagram(name, root))
        return None
    problems += [_from_diagram(name, p) for p in check_tree(root, functions=DIAGRAM_FUNCTIONS)]
    return root


def _schema_problems(name: str, root: etree._Element, problems: list[Problem], schema: etree.XMLSchema,
                     preprocess: Any = None) -> bool:
    """Validate against an XML schema and list every error at its element, not only the first one as SpiffWorkflow's
    validator does; True when there is none."""
    if preprocess is not None:
        preprocess(root)  # what SpiffWorkflow's own validator does before validating
    if schema.validate(root):
        return True
    at_line: dict[int, etree._Element] = {}
    for element in root.iter():
        if isinstance(element.tag, str):
            at_line.setdefault(element.sourceline, element)
    for error in schema.error_log:
        element = at_line.get(error.line)
        problems.append(Problem(name, owner_id(element) if element is not None else None,
                                N_("не соответствует схеме BPMN 2.0 / SpiffWorkflow: %(error)s",
                                   error=_schema_message(error.message)), error.line))
    return False


def _schema_message(message: str) -> str:
    """libxml2's message with its known phrases translated, the rest as it is (a Text)."""
    text = message.replace(f"{{{BPMN}}}", "bpmn:").replace(f"{{{SPIFF}}}", "spiffworkflow:")
    parts, position = [], 0
    while found := [(match.start(), number, match) for number, (pattern, _) in enumerate(_XSD_PHRASES)
                    if (match := pattern.search(text, position))]:
        start, number, match = min(found)  # the first phrase; (start, number) never ties, matches are not compared
        parts += [text[position:start], _XSD_PHRASES[number][1](match)]
        position = match.end()
    return joined([*parts, text[position:]], "")


def _json(name: str, text: str, problems: list[Problem]) -> Any:
    """Parsed JSON, or None with the syntax error's line listed."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(Problem(name, None, N_("файл не является корректным JSON (строка %(line)s): %(error)s",
                                               line=exc.lineno, error=exc.msg), exc.lineno))
        return None


def _check_parameters(files: Mapping[str, str], problems: list[Problem]) -> DeadlineParameters | None:
    """The deadline parameters, each bad deadline named."""
    if PARAMETERS_FILE not in files:
        problems.append(Problem(PARAMETERS_FILE, None, N_("в библиотеке нет файла параметров сроков parameters.json")))
        return None
    raw = _json(PARAMETERS_FILE, files[PARAMETERS_FILE], problems)
    if raw is None:
        return None
    deadlines = raw.get("deadlines") if isinstance(raw, dict) else None
    if not isinstance(deadlines, dict):
        problems.append(Problem(PARAMETERS_FILE, None, N_("нужен объект JSON с разделом deadlines: сроки по именам")))
        return None
    bad = False
    for deadline, spec in deadlines.items():
        try:
            Duration(**spec)
        except (ParameterError, TypeError) as exc:
            bad = True
            message = text_of(exc) if isinstance(exc, ParameterError) else N_("нужны поля value, unit, clause, title")
            problems.append(Problem(PARAMETERS_FILE, deadline, N_("срок «%(name)s»: %(problem)s", name=deadline,
                                                                  problem=message)))
    if bad:
        return None
    try:
        return DeadlineParameters.from_dict(raw)
    except ParameterError as exc:
        problems.append(Problem(PARAMETERS_FILE, None, text_of(exc)))
        return None


def _check_form(name: str, text: str, problems: list[Problem]) -> FormSchema | None:
    """A form: valid JSON Schema (Draft 7, every error listed) that the product's renderer supports."""
    raw = _json(name, text, problems)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(name, None, N_("форма должна быть объектом JSON (схемой JSON Schema)")))
        return None
    errors = sorted(_DRAFT7.iter_errors(raw), key=lambda e: [str(part) for part in e.path])
    for error in errors:
        path = [str(part) for part in error.path]
        element = path[1] if len(path) > 1 and path[0] == "properties" else None
        problems.append(Problem(name, element, N_("схема формы не соответствует JSON Schema (Draft 7) в "
                                                  "/%(path)s: %(error)s", path="/".join(path), error=error.message)))
    if errors:
        return None
    try:
        return FormSchema.from_json(name, text)
    except FormError as exc:
        problems.append(Problem(name, exc.field, text_of(exc)))
    except SchemaError as exc:
        problems.append(Problem(name, None, N_("схема формы не соответствует JSON Schema: %(error)s",
                                               error=exc.message)))
    return None


def check_form(name: str, text: str) -> tuple[FormSchema | None, list[Problem]]:
    """One form file checked as the library check does it: the parsed form (None when refused) and its problems."""
    problems: list[Problem] = []
    return _check_form(name, text, problems), problems


def _properties(task: etree._Element) -> dict[str, str]:
    """A task's spiffworkflow:properties, as SpiffWorkflow reads them."""
    return {p.get("name", ""): p.get("value", "") for p in task.iterfind(_PROPERTY, NAMESPACES)}


def _check_references(root: etree._Element, files: Mapping[str, str], parameters: DeadlineParameters | None,
                      process_ids: set[str | None]) -> Iterator[DiagramProblem]:
    """User tasks have a role and an existing form; named deadlines and limits exist; called processes exist."""
    for task in root.iter(f"{{{BPMN}}}userTask"):
        props = _properties(task)
        role, form, ui = props.get("role"), props.get("formJsonSchemaFilename"), props.get("formUiSchemaFilename")
        if not role:
            yield problem_at(task, N_("у пользовательской задачи не указана роль (свойство role: %(roles)s или "
                                      "%(last)s)", roles=", ".join(TASK_ROLES[:-1]), last=TASK_ROLES[-1]))
        elif role not in TASK_ROLES:
            yield problem_at(task, N_("роль «%(role)s» неизвестна; допустимы: %(roles)s", role=role,
                                      roles=", ".join(TASK_ROLES)))
        if not form:
            yield problem_at(task, N_("у пользовательской задачи нет формы (свойство formJsonSchemaFilename)"))
        elif form not in files:
            yield problem_at(task, N_("файла формы «%(name)s» нет в библиотеке", name=form))
        if ui and ui not in files:
            yield problem_at(task, N_("файла uiSchema «%(name)s» нет в библиотеке", name=ui))
        if parameters is not None and props.get("deadline") and props["deadline"] not in parameters.durations:
            yield problem_at(task, N_("срок «%(name)s» не задан в %(file)s", name=props["deadline"],
                                      file=PARAMETERS_FILE))
    if parameters is not None:
        for element, label, source in expressions(root):
            for function, name in _named_calls(source):
                if name not in getattr(parameters, _NAMED_PARAMETERS[function]):
                    facts = {"label": label, "name": name, "file": PARAMETERS_FILE}
                    yield problem_at(element, N_("%(label)s: предел цикла «%(name)s» не задан в %(file)s", **facts)
                                     if function == "limit" else N_("%(label)s: срок «%(name)s» не задан в %(file)s",
                                                                    **facts))
            if any(isinstance(node, ast.Name) and node.id in ("case_deadline", "case_warning")
                   for node in ast.walk(expression_tree(source))):
                for name in CASE_DEADLINES:
                    if name not in parameters.durations:
                        yield problem_at(element, N_("%(label)s: срок ответа «%(name)s» не задан в %(file)s",
                                                     label=label, name=name, file=PARAMETERS_FILE))
    for call in root.iter(f"{{{BPMN}}}callActivity"):
        if call.get("calledElement") not in process_ids:
            yield problem_at(call, N_("вызываемого процесса «%(name)s» нет в библиотеке",
                                      name=call.get("calledElement") or ""))


def _named_calls(source: str) -> Iterator[tuple[str, str]]:
    """(function, literal first argument) of every deadline, warning and limit call of an expression."""
    for node in ast.walk(expression_tree(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _NAMED_PARAMETERS
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.func.id, node.args[0].value


def _parse_with_spiff(diagrams: Mapping[str, etree._Element], tables: Mapping[str, str],
                      problems: list[Problem]) -> dict[str, Any]:
    """Parse what the schema accepted with SpiffWorkflow; every process's spec and the files its version freezes."""
    parser = SpiffBpmnParser()  # no validator: the schema was checked above, every error listed
    for name, root in diagrams.items():
        try:
            parser.add_bpmn_xml(root, filename=name)
        except Exception as exc:  # the third-party parser raises what it likes on unusual input
            problems.append(_spiff_problem(name, exc))
    for name, text in tables.items():
        _add_table(parser, name, text, problems)
    processes: dict[str, frozenset[str]] = {}
    diagram_files: dict[str, str] = {}
    specs: dict[str, tuple[Any, Mapping[str, Any]]] = {}
    named = {problem.file for problem in problems}  # SpiffWorkflow's first error there says less than those
    for process_id in sorted(parser.get_process_ids()):
        diagram_files[process_id] = parser.get_process_parser(process_id).filename
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except Exception as exc:  # as above
            if diagram_files[process_id] not in named:
                problems.append(_spiff_problem(diagram_files[process_id], exc))
            continue
        specs[process_id] = (spec, subprocess_specs)
        names = {PARAMETERS_FILE, *tables}
        for pid, process in [(process_id, spec), *subprocess_specs.items()]:
            names.add(parser.get_process_parser(pid).filename)
            for task_spec in process.task_specs.values():
                props = getattr(task_spec, "extensions", {}).get("properties", {})
                names |= {props.get("formJsonSchemaFilename"), props.get("formUiSchemaFilename")} - {None}
        processes[process_id] = frozenset(names)
    return {"processes": processes, "diagram_files": diagram_files, "specs": specs}


def _add_table(parser: Any, name: str, text: str, problems: list[Problem]) -> None:
    """A decision table: well-formed, valid DMN 1.x, every cell in the expression language (engine.decisions), parsed
    by SpiffWorkflow."""
    root = parse_xml(text.encode())
    if isinstance(root, DiagramProblem):
        problems.append(_from_diagram(name, root))
        return
    schema = _dmn_schema(etree.QName(root).namespace or "")
    if schema is None:
        problems.append(Problem(name, None, N_("не является таблицей решений DMN 1.1–1.3"), root.sourceline))
    elif _schema_problems(name, root, problems, schema):
        problems += [_from_diagram(name, p) for p in check_table(text)]
        try:
            parser.add_dmn_xml(root, filename=name)
        except Exception as exc:  # as above
            problems.append(_spiff_problem(name, exc))


@functools.cache
def _dmn_schema(namespace: str) -> etree.XMLSchema | None:
    path = DMN_SCHEMAS.get(namespace)
    return etree.XMLSchema(etree.parse(path)) if path else None


def _spiff_problem(name: str, exc: Exception) -> Problem:
    element = getattr(exc, "id", None) or None if isinstance(exc, ValidationException) else None
    return Problem(name, element, N_("SpiffWorkflow не принимает описание: %(error)s", error=str(exc)))
