"""Static checks of a BPMN diagram on upload and at load: safe XML, no Python, only known functions."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from lxml import etree

from engine.expressions import BUILTIN_FUNCTIONS, ExpressionError, compile_expression
from engine.texts import N_, joined

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NAMESPACES = {"bpmn": BPMN, "spiffworkflow": SPIFF}

_SCRIPT_TAGS = {f"{{{BPMN}}}scriptTask", f"{{{BPMN}}}script", f"{{{SPIFF}}}preScript", f"{{{SPIFF}}}postScript",
                f"{{{SPIFF}}}script"}
_SCRIPT_MESSAGE = N_("сценарии на Python в диаграммах запрещены; используйте именованное действие (служебную задачу)")
# SpiffWorkflow treats these as manual tasks that silently wait for a person without a form or a role.
_WAITING_TAGS = {f"{{{BPMN}}}task": "bpmn:task", f"{{{BPMN}}}manualTask": "bpmn:manualTask"}
_TIMER_TAGS = {f"{{{BPMN}}}timeDate": N_("дата таймера"), f"{{{BPMN}}}timeDuration": N_("длительность таймера"),
               f"{{{BPMN}}}timeCycle": N_("цикл таймера")}
# Every element whose text SpiffWorkflow evaluates as an expression, with a label for the message.
_EXPRESSION_TAGS = {
    f"{{{BPMN}}}conditionExpression": N_("условие перехода"),
    **_TIMER_TAGS,
    f"{{{BPMN}}}loopCardinality": N_("число экземпляров"),
    f"{{{BPMN}}}completionCondition": N_("условие завершения"),
    f"{{{BPMN}}}loopCondition": N_("условие цикла"),
    f"{{{BPMN}}}condition": N_("условие события"),
    f"{{{SPIFF}}}messagePayload": N_("содержимое сообщения"),
}
_CORRELATION_TAG = f"{{{BPMN}}}formalExpression"
_RETRIEVAL_TAG = f"{{{BPMN}}}correlationPropertyRetrievalExpression"
_SERVICE_TASK = f"{{{BPMN}}}serviceTask"
_OPERATOR_PATH = "spiffworkflow:serviceTaskOperator"
_ISO_DURATION = re.compile(r"^P(\d+[YMWD])*(T(\d+[HMS])+)?$")


@dataclass(frozen=True)
class DiagramProblem:
    """One reason to refuse a diagram, fit to show a methodologist (a Text, engine.texts)."""

    element_id: str | None
    message: str
    line: int | None = field(default=None, compare=False)  # where it is, not what it is


def check_diagram(xml: bytes, *, functions: Collection[str]) -> list[DiagramProblem]:
    """All problems of a diagram; an empty list means it may be uploaded and run."""
    root = parse_diagram(xml)
    if isinstance(root, DiagramProblem):
        return [root]
    return check_tree(root, functions=functions)


def check_tree(root: etree._Element, *, functions: Collection[str]) -> list[DiagramProblem]:
    """All problems of a parsed diagram (see parse_diagram)."""
    known = frozenset(functions)
    problems: list[DiagramProblem] = []
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):  # comments and processing instructions
            continue
        if tag in _SCRIPT_TAGS:
            problems.append(problem_at(element, _SCRIPT_MESSAGE))
        elif tag in _WAITING_TAGS:
            problems.append(problem_at(element, N_("задача типа %(tag)s в SpiffWorkflow молча ждёт человека; "
                                                   "используйте пользовательскую или служебную задачу",
                                                   tag=_WAITING_TAGS[tag])))
        elif tag == _SERVICE_TASK:
            problems += _check_service_task(element, known)
        for owner, label, source in _expressions_of(element):
            problems += _check_expression(owner, label, source, known)
    return list(dict.fromkeys(problems))  # a script task and its bpmn:script are reported once


def expressions(root: etree._Element) -> Iterator[tuple[etree._Element, str, str]]:
    """Every expression SpiffWorkflow evaluates in a diagram: (the element it belongs to, a label, its text)."""
    for element in root.iter():
        yield from _expressions_of(element)


def _expressions_of(element: etree._Element) -> Iterator[tuple[etree._Element, str, str]]:
    tag = element.tag
    if tag in _EXPRESSION_TAGS:
        yield element, _EXPRESSION_TAGS[tag], element.text or ""
    elif tag == _CORRELATION_TAG and element.getparent().tag == _RETRIEVAL_TAG:
        yield element, N_("ключ корреляции"), element.text or ""
    elif tag == _SERVICE_TASK:
        for parameter in element.iterfind(f"./bpmn:extensionElements/{_OPERATOR_PATH}//spiffworkflow:parameter",
                                          NAMESPACES):
            if parameter.get("value") is not None:
                yield element, N_("параметр «%(name)s»", name=parameter.get("id", "")), parameter.get("value")


def xml_problem(xml: bytes) -> DiagramProblem | None:
    """Why a text cannot be a diagram at all (not XML, a DOCTYPE, not BPMN), or None when it can be read."""
    root = parse_diagram(xml)
    return root if isinstance(root, DiagramProblem) else None


def expression_problems(source: str, *, functions: Collection[str]) -> list[str]:
    """Why an expression may not stand in a diagram (Texts); an empty list when it may."""
    try:
        expression = compile_expression(source)
    except ExpressionError as exc:
        return [N_("выражение «%(source)s» — %(reason)s", source=source.strip()[:120], reason=exc.reason)]
    return [N_("функция «%(name)s» неизвестна", name=name)
            for name in sorted(expression.calls - frozenset(functions) - BUILTIN_FUNCTIONS.keys())]


def parse_xml(xml: bytes) -> etree._Element | DiagramProblem:
    """Parse with a hardened parser: no entities, no network, no DOCTYPE at all."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, parser)
    except etree.XMLSyntaxError as exc:
        return DiagramProblem(None, N_("Файл не является корректным XML (строка %(line)s): %(error)s",
                                       line=exc.lineno, error=exc.msg), exc.lineno)
    except ValueError as exc:
        return DiagramProblem(None, N_("Файл не является корректным XML: %(error)s", error=str(exc)))
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        return DiagramProblem(None, N_("Объявление DOCTYPE в диаграмме запрещено"))
    return root


def parse_diagram(xml: bytes) -> etree._Element | DiagramProblem:
    """Parse a BPMN diagram hardened (parse_xml) and check that it is one."""
    root = parse_xml(xml)
    if not isinstance(root, DiagramProblem) and root.tag != f"{{{BPMN}}}definitions":
        return DiagramProblem(None, N_("Корневой элемент должен быть bpmn:definitions (BPMN 2.0)"), root.sourceline)
    return root


def owner_id(element: etree._Element) -> str | None:
    """The id of the task, event or flow that an element belongs to, as the modeler shows it."""
    node: etree._Element | None = element
    while node is not None:
        element_id: str | None = node.get("id")
        if element_id and not etree.QName(node).localname.endswith(("EventDefinition", "LoopCharacteristics")):
            return element_id
        node = node.getparent()
    return None


def problem_at(element: etree._Element, text: str) -> DiagramProblem:
    """A problem of the element an XML node belongs to, on the node's line."""
    return DiagramProblem(owner_id(element), text, element.sourceline)


def _check_expression(element: etree._Element, label: str, source: str, known: frozenset[str]) -> list[DiagramProblem]:
    """Compile one expression and check that every function it calls is known."""
    problems = [problem_at(element, joined([label, reason], ": "))
                for reason in expression_problems(source, functions=known)]
    try:
        expression = compile_expression(source)
    except ExpressionError:
        return problems
    if label in _TIMER_TAGS.values():
        # A bare PT1H parses as a name and fails only when the timer is armed.
        problems += [problem_at(element, N_("%(label)s: «%(name)s» похоже на срок ISO 8601 без кавычек; пишите "
                                            "\"%(name)s\"", label=label, name=name))
                     for name in sorted(expression.names) if _ISO_DURATION.match(name) and name != "P"]
        problems += _hard_coded_deadline(element, label, source)
    return problems


def _hard_coded_deadline(element: etree._Element, label: str, source: str) -> list[DiagramProblem]:
    """Deadline values live in the process parameters (a municipality overrides them), never in a diagram."""
    tree = ast.parse(source.strip(), mode="eval")
    indices = {id(node.slice) for node in ast.walk(tree) if isinstance(node, ast.Subscript)}
    constants = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and id(node) not in indices]
    numbers = [c for c in constants if isinstance(c, int | float) and not isinstance(c, bool)]
    durations = [c for c in constants if isinstance(c, str) and _ISO_DURATION.match(c) and c != "P"]
    if not numbers and not durations:
        return []
    return [problem_at(element, N_("%(label)s: срок «%(source)s» задан числом; задайте его параметром процесса, "
                                   "например deadline(\"draft\", body)", label=label, source=source.strip()[:80]))]


def _check_service_task(task: etree._Element, known: frozenset[str]) -> list[DiagramProblem]:
    """A service task names a registered action (its parameters are expressions, checked as such)."""
    operator = task.find(f"./bpmn:extensionElements/{_OPERATOR_PATH}", NAMESPACES)
    if operator is None:
        return [problem_at(task, N_("у служебной задачи не указано действие (spiffworkflow:serviceTaskOperator)"))]
    action = operator.get("id") or ""
    return [] if action in known else [problem_at(task, N_("функция «%(name)s» неизвестна", name=action))]


@functools.lru_cache(maxsize=1024)
def expression_tree(source: str) -> ast.AST:
    """The syntax tree of an expression; an empty one when it does not parse (the diagram rules report that)."""
    try:
        return ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])
