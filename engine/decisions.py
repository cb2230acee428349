"""Decision tables (DMN) whose cells are the product's expression language (engine.expressions), never Python's eval.

A cell of a rule's condition is "-" or empty (anything matches), a value (the input equals it), an operator and a
value (`!= "low"`, `< 10`, `in ("a", "b")`, `not in ("a",)`), or an expression in which `?` stands for the input
(`1 <= ? <= 10`, `len(?) > 3`). The simple-mode forms dmn-js writes in FEEL are refused with the form to use instead:
SpiffWorkflow's own DMN engine silently never matches some of them (research: methodologist-workbench, P8).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.diagram_rules import DiagramProblem, parse_xml
from engine.expressions import BUILTIN_FUNCTIONS, Expression, ExpressionError, compile_expression
from engine.texts import N_, joined

HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
_VALUE = "_input_value"  # what `?` becomes in the expression language; one leading underscore is allowed there
_ANY = ("", "-")
_OPERATOR_FIRST = re.compile(r"^(<=|>=|==|!=|<|>|not\s+in\b|in\b)")
# FEEL words a methodologist may bring from Camunda: what to write instead.
_FEEL_NAMES = {"true": "True", "false": "False", "null": "None"}
_FEEL_FUNCTIONS = ("date", "time", "duration")


class DecisionError(ValueError):
    """A decision table that cannot be read or evaluated; its message (a Text) names the rule or column."""


@dataclass(frozen=True)
class Rule:
    """One row: a test per input (None matches anything) and an expression per output (None gives None)."""

    id: str
    number: int
    tests: tuple[Expression | None, ...]
    outputs: tuple[Expression | None, ...]


@dataclass(frozen=True)
class DecisionTable:
    """A parsed and checked decision table: its input expressions, output names, rules and hit policy."""

    decision_id: str
    name: str
    hit_policy: str
    inputs: tuple[Expression, ...]
    outputs: tuple[str, ...]
    rules: tuple[Rule, ...]

    def decide(self, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The outputs of the matching rules (FIRST and UNIQUE: at most one) for the data; raises DecisionError."""
        values = [self._run(expression, data, None) for expression in self.inputs]
        matched: list[Rule] = []
        for rule in self.rules:
            if all(test is None or self._run(test, {**data, _VALUE: value}, rule)
                   for test, value in zip(rule.tests, values)):
                matched.append(rule)
                if self.hit_policy == "FIRST":
                    break
        if self.hit_policy == "UNIQUE" and len(matched) > 1:
            numbers = ", ".join(str(rule.number) for rule in matched)
            raise DecisionError(N_("Таблица «%(name)s» (UNIQUE): подходят сразу несколько правил: %(numbers)s",
                                   name=self.name, numbers=numbers))
        return [{name: None if cell is None else self._run(cell, data, rule)
                 for name, cell in zip(self.outputs, rule.outputs)} for rule in matched]

    def _run(self, expression: Expression, names: Mapping[str, Any], rule: Rule | None) -> Any:
        """An input expression's value (rule None) or a rule's cell's."""
        try:
            return expression.evaluate(names)
        except ExpressionError as exc:
            where = N_("входное выражение") if rule is None else N_("правило %(number)s", number=rule.number)
            raise DecisionError(N_("Таблица «%(name)s», %(where)s: %(reason)s", name=self.name, where=where,
                                   reason=exc.reason)) from None


def check_table(text: str) -> list[DiagramProblem]:
    """Every problem of a decision table, each at its cell, column, rule or table id; empty when it can be used."""
    return _read(text)[1]


def load_table(text: str) -> DecisionTable:
    """A checked decision table (cached by text); raises DecisionError naming its first problem."""
    table, problems = _read(text)
    if problems or table is None:
        raise DecisionError(N_("Таблица решений не прошла проверку: %(problem)s",
                               problem=problems[0].message if problems else ""))
    return table


@functools.lru_cache(maxsize=64)
def _read(text: str) -> tuple[DecisionTable | None, list[DiagramProblem]]:
    root = parse_xml(text.encode())
    if isinstance(root, DiagramProblem):
        return None, [root]
    namespace = etree.QName(root).namespace or ""
    decisions = root.findall(f"{{{namespace}}}decision")
    tables = [table for decision in decisions for table in decision.findall(f"{{{namespace}}}decisionTable")]
    if len(decisions) != 1 or len(tables) != 1:
        return None, [DiagramProblem(root.get("id"), N_("в файле должно быть ровно одно решение с одной таблицей "
                                                        "(decision и decisionTable)"), root.sourceline)]
    reader = _Reader(namespace)
    table = reader.table(decisions[0], tables[0])
    return (None if reader.problems else table), reader.problems


class _Reader:
    """Reads one decisionTable, collecting a problem for every cell, column or rule that cannot be used."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace
        self.problems: list[DiagramProblem] = []

    def _all(self, element: etree._Element, tag: str) -> list[etree._Element]:
        return list(element.iterfind(f"{{{self.ns}}}{tag}"))

    def _text(self, element: etree._Element | None) -> str:
        found = None if element is None else element.find(f"{{{self.ns}}}text")
        return (found.text or "").strip() if found is not None else ""

    def _problem(self, element: etree._Element, message: str) -> None:
        self.problems.append(DiagramProblem(element.get("id"), message, element.sourceline))

    def table(self, decision: etree._Element, table: etree._Element) -> DecisionTable:
        name = decision.get("name") or decision.get("id") or ""
        policy = table.get("hitPolicy", "UNIQUE")
        if policy not in HIT_POLICIES:
            self._problem(table, N_("политика попаданий «%(policy)s» не поддерживается; допустимы %(policies)s",
                                    policy=policy, policies=", ".join(HIT_POLICIES)))
        if table.get("aggregation"):
            self._problem(table, N_("агрегирование COLLECT %(aggregation)s не поддерживается: COLLECT возвращает "
                                    "список результатов всех подошедших правил", aggregation=table.get("aggregation")))
        inputs, labels, known = [], [], set(BUILTIN_FUNCTIONS) | {_VALUE}
        for column in self._all(table, "input"):
            label = column.get("label") or column.get("id") or ""
            labels.append(label)
            source = self._text(column.find(f"{{{self.ns}}}inputExpression"))
            expression = self._compile(column, N_("входное выражение «%(label)s»", label=label), source, None)
            if expression is not None:
                inputs.append(expression)
                known |= expression.names
        outputs = []
        for column in self._all(table, "output"):
            if not column.get("name"):
                self._problem(column, N_("у выхода «%(label)s» нет имени (name): по нему форма получает результат",
                                         label=column.get("label") or column.get("id")))
            outputs.append(column.get("name") or "")
            labels.append(column.get("label") or column.get("name") or column.get("id") or "")
        rules = [rule for number, element in enumerate(self._all(table, "rule"), start=1)
                 if (rule := self._rule(element, number, labels, len(inputs), frozenset(known))) is not None]
        return DecisionTable(decision.get("id") or "", name, policy, tuple(inputs), tuple(outputs), tuple(rules))

    def _rule(self, rule: etree._Element, number: int, labels: list[str], inputs: int,
              known: frozenset[str]) -> Rule | None:
        cells = self._all(rule, "inputEntry")
        results = self._all(rule, "outputEntry")
        if len(cells) + len(results) != len(labels):
            self._problem(rule, N_("правило %(number)s: число ячеек не совпадает с числом столбцов", number=number))
            return None
        where = N_("правило %(number)s (%(id)s)", number=number, id=rule.get("id"))
        tests = [self._compile(cell, joined([where, f"«{label}»"], ", "), _test_source(self._text(cell)), known)
                 for cell, label in zip(cells, labels)]
        outputs = [self._compile(cell, joined([where, f"«{label}»"], ", "), self._text(cell) or None, known)
                   for cell, label in zip(results, labels[inputs:])]
        return Rule(rule.get("id") or "", number, tuple(tests), tuple(outputs))

    def _compile(self, element: etree._Element, where: str, source: str | Callable[[], str | None] | None,
                 known: frozenset[str] | None) -> Expression | None:
        """Compile a cell (None: an empty one); `known` limits the names it may read (None: any)."""
        try:
            text = source() if callable(source) else source
            if text is None:
                return None
            expression = compile_expression(text)
        except ExpressionError as exc:
            self._problem(element, joined([where, exc.reason], ": "))
            return None
        if known is not None:
            for name in sorted(expression.names - known):
                self._problem(element, joined([where, _unknown(name)], ": "))
        return expression


def _test_source(text: str) -> Callable[[], str | None]:
    """The expression a rule's input cell stands for, checked lazily so that the refusal names the cell."""
    def source() -> str | None:
        if text in _ANY:
            return None
        outside = "".join(_outside_strings(text))
        if ".." in outside:
            raise ExpressionError(N_("диапазон [a..b] — запись FEEL; пишите 1 <= ? <= 10"))
        if "?" in outside:
            return "".join(part.replace("?", f" {_VALUE} ") if plain else part
                           for part, plain in _parts(text))
        if _OPERATOR_FIRST.match(text):
            return f"{_VALUE} {text}"
        _refuse_feel_literal(text)
        return f"{_VALUE} == ({text})"
    return source


def _refuse_feel_literal(text: str) -> None:
    """A list of values or not(...) as a whole cell: FEEL that a plain comparison would silently never match."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return  # compile_expression names the syntax error
    if isinstance(tree, ast.Tuple):
        raise ExpressionError(N_("перечисление через запятую — запись FEEL; пишите in (%(text)s)", text=text))
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not):
        raise ExpressionError(N_("not(…) — отрицание FEEL; пишите != \"значение\" или not in (\"a\", \"b\")"))


def _unknown(name: str) -> str:
    if name in _FEEL_NAMES:
        return N_("«%(name)s» — запись FEEL; пишите %(python)s", name=name, python=_FEEL_NAMES[name])
    if name in _FEEL_FUNCTIONS:
        return N_("функции дат FEEL (%(functions)s) не поддерживаются", functions=", ".join(_FEEL_FUNCTIONS))
    return N_("неизвестное имя «%(name)s»: ячейка видит только входы таблицы; строку пишите в кавычках: "
              "\"%(name)s\"", name=name)


def _parts(text: str) -> Iterator[tuple[str, bool]]:
    """The text split into (piece, outside a string literal) pieces."""
    start, quote, i = 0, "", 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                yield text[start:i + 1], False
                start, quote = i + 1, ""
        elif char in "\"'":
            yield text[start:i], True
            start, quote = i, char
        i += 1
    yield text[start:], not quote


def _outside_strings(text: str) -> list[str]:
    """The pieces of the text outside string literals."""
    return [part for part, outside in _parts(text) if outside]
