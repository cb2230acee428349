"""A small whitelisted expression language for BPMN diagrams; it never uses Python's eval."""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine.texts import N_

MAX_SOURCE = 2000  # characters of source text
MAX_NODES = 200  # expression nodes in the syntax tree
MAX_DEPTH = 30  # nesting levels of the syntax tree
MAX_LENGTH = 10_000  # items in a string, list or tuple built by + or *
MAX_INT_BITS = 4096  # size of an integer built by *

Evaluator = Callable[[Mapping[str, Any]], Any]
_SEQUENCES = (str, list, tuple)
_CONTAINERS = (list, tuple, dict, set, frozenset)


class ExpressionError(ValueError):
    """A rejected or failed expression; its message (a Text, engine.texts) names the source and the problem."""

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        self.reason, self.source = reason, source
        super().__init__(reason if source is None else N_("Выражение «%(source)s»: %(reason)s",
                                                           source=_shorten(source), reason=reason))


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_length(size: int) -> None:
    if size > MAX_LENGTH:
        raise ExpressionError(N_("результат длиннее %(count)s элементов", count=MAX_LENGTH))


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_length(len(a) + len(b))
    return a + b


def _mul(a: Any, b: Any) -> Any:
    seq, count = (a, b) if isinstance(a, _SEQUENCES) else (b, a)
    if isinstance(seq, _SEQUENCES) and isinstance(count, int):
        _check_length(len(seq) * count)
        # Repeating a list of lists shares the inner ones: a cheap way to build a huge structure.
        if count > 1 and not isinstance(seq, str) and any(isinstance(item, _CONTAINERS) for item in seq):
            raise ExpressionError(N_("повторять (*) можно только списки из чисел и строк"))
    elif isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise ExpressionError(N_("слишком большое число"))
    return a * b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, (str, bytes)):  # printf-style formatting can request huge widths
        raise ExpressionError(N_("форматирование строк оператором % запрещено"))
    return a % b


def _str(value: object = "") -> str:
    if isinstance(value, _CONTAINERS):
        raise ExpressionError(N_("str() принимает только числа, строки и даты"))
    return str(value)


def _round(number: Any, ndigits: Any = None) -> Any:
    if isinstance(ndigits, int) and abs(ndigits) > 100:  # round(5, -10**9) computes 10**(10**9)
        raise ExpressionError(N_("round(): слишком большое число знаков"))
    return round(number, ndigits)


# The only builtins an expression sees; a name in `names` with the same spelling takes precedence.
BUILTIN_FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {"len": len, "min": min, "max": max, "abs": abs, "round": _round, "int": int, "str": _str, "bool": bool}
)

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: _add, ast.Sub: operator.sub, ast.Mult: _mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: _mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos,
}
_FORBIDDEN: dict[type[ast.AST], str] = {
    ast.Attribute: N_("обращение к атрибутам запрещено"),
    ast.Lambda: N_("лямбда-функции запрещены"),
    **dict.fromkeys((ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp), N_("генераторы (for) запрещены")),
    **dict.fromkeys((ast.JoinedStr, ast.FormattedValue), N_("f-строки запрещены")),
    **dict.fromkeys((ast.Await, ast.Yield, ast.YieldFrom), N_("await и yield запрещены")),
    ast.NamedExpr: N_("присваивание (:=) запрещено"),
    ast.Starred: N_("распаковка (*) запрещена"),
    ast.Slice: N_("срезы запрещены"),
    ast.Set: N_("множества не поддерживаются"),
    ast.Pow: N_("возведение в степень (**) запрещено"),
}
_SYMBOLS = {"BitOr": "|", "BitAnd": "&", "BitXor": "^", "LShift": "<<", "RShift": ">>", "Invert": "~", "MatMult": "@"}
# Why an evaluation failed, given the Python error's own words (kept as they are, in English).
_RUNTIME_REASONS: tuple[tuple[type[Exception], Callable[[str], str]], ...] = (
    (ZeroDivisionError, lambda error: N_("деление на ноль")),
    (IndexError, lambda error: N_("индекс за пределами списка или строки")),
    (OverflowError, lambda error: N_("слишком большое число")),
    (TypeError, lambda error: N_("недопустимые типы значений (%(error)s)", error=error)),
    (ValueError, lambda error: N_("недопустимое значение (%(error)s)", error=error)),
    (Exception, lambda error: N_("ошибка при вычислении (%(error)s)", error=error)),
)


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed and validated expression; `names` are all free names it reads, `calls` those it calls."""

    source: str
    names: frozenset[str]
    calls: frozenset[str]
    _run: Evaluator = field(repr=False, compare=False)

    def evaluate(self, names: Mapping[str, Any]) -> Any:
        """Evaluate against `names` (task data and functions); every failure is an ExpressionError."""
        try:
            return self._run(names)
        except ExpressionError as exc:
            if exc.source is not None:  # from an expression evaluated inside a called function
                raise
            raise ExpressionError(exc.reason, source=self.source) from exc.__cause__
        except Exception as exc:
            raise ExpressionError(_describe(exc), source=self.source) from exc


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return N_("нет ключа %(key)s", key=_shorten(repr(exc.args[0]) if exc.args else "", 80))
    reason = next(text for kind, text in _RUNTIME_REASONS if isinstance(exc, kind))
    return reason(_shorten(f"{type(exc).__name__}: {exc}", 200))


class _Builder:
    """Turns a validated syntax tree into nested closures, collecting the names and calls."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.calls: set[str] = set()

    def build(self, node: ast.AST) -> Evaluator:
        method: Callable[[Any], Evaluator] | None = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise ExpressionError(_FORBIDDEN.get(type(node), N_("конструкция %(name)s не поддерживается",
                                                                        name=type(node).__name__)))
        return method(node)

    def _Constant(self, node: ast.Constant) -> Evaluator:
        value = node.value
        if value is not None and type(value) not in (str, int, float, bool):
            raise ExpressionError(N_("литерал типа %(name)s не поддерживается", name=type(value).__name__))
        return lambda ns: value

    def _Name(self, node: ast.Name) -> Evaluator:
        name = _identifier(node.id)
        self.names.add(name)
        fallback = BUILTIN_FUNCTIONS.get(name)

        def run(ns: Mapping[str, Any]) -> Any:
            try:
                return ns[name]
            except KeyError:
                if fallback is None:
                    raise ExpressionError(N_("неизвестное имя «%(name)s»", name=name)) from None
                return fallback
        return run

    def _BinOp(self, node: ast.BinOp) -> Evaluator:
        op, left, right = _lookup(_BINARY, node.op), self.build(node.left), self.build(node.right)
        return lambda ns: op(left(ns), right(ns))

    def _UnaryOp(self, node: ast.UnaryOp) -> Evaluator:
        op, operand = _lookup(_UNARY, node.op), self.build(node.operand)
        return lambda ns: op(operand(ns))

    def _BoolOp(self, node: ast.BoolOp) -> Evaluator:
        values = [self.build(value) for value in node.values]
        stop_on = isinstance(node.op, ast.Or)  # `or` stops at the first truthy value, `and` at a falsy one

        def run(ns: Mapping[str, Any]) -> Any:
            for value in values:
                result = value(ns)
                if bool(result) is stop_on:
                    return result
            return result
        return run

    def _Compare(self, node: ast.Compare) -> Evaluator:
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.Is, ast.IsNot)) and not (isinstance(right, ast.Constant) and right.value is None):
                raise ExpressionError(N_("«is» допустим только как «is None» или «is not None»"))
        left = self.build(node.left)
        pairs = [(_lookup(_COMPARE, op), self.build(right)) for op, right in zip(node.ops, node.comparators)]

        def run(ns: Mapping[str, Any]) -> Any:
            a, result = left(ns), True
            for op, right in pairs:  # a < b < c means a < b and b < c, with b evaluated once
                b = right(ns)
                result = op(a, b)
                if not result:
                    return result
                a = b
            return result
        return run

    def _IfExp(self, node: ast.IfExp) -> Evaluator:
        test, body, orelse = self.build(node.test), self.build(node.body), self.build(node.orelse)
        return lambda ns: body(ns) if test(ns) else orelse(ns)

    def _Subscript(self, node: ast.Subscript) -> Evaluator:
        value, key = self.build(node.value), self.build(node.slice)

        def run(ns: Mapping[str, Any]) -> Any:
            container = value(ns)
            if not isinstance(container, (dict, list, tuple, str, Mapping)):
                raise ExpressionError(N_("индексировать можно только словари, списки и строки"))
            return container[key(ns)]
        return run

    def _List(self, node: ast.List) -> Evaluator:
        items = [self.build(item) for item in node.elts]
        return lambda ns: [item(ns) for item in items]

    def _Tuple(self, node: ast.Tuple) -> Evaluator:
        items = [self.build(item) for item in node.elts]
        return lambda ns: tuple(item(ns) for item in items)

    def _Dict(self, node: ast.Dict) -> Evaluator:
        if any(key is None for key in node.keys):
            raise ExpressionError(N_("распаковка словаря (**) запрещена"))
        pairs = [(self.build(k), self.build(v)) for k, v in zip(node.keys, node.values) if k is not None]
        return lambda ns: {k(ns): v(ns) for k, v in pairs}

    def _Call(self, node: ast.Call) -> Evaluator:
        if not isinstance(node.func, ast.Name):
            self.build(node.func)  # report an attribute or another forbidden callee first
            raise ExpressionError(N_("вызывать можно только функцию по имени, например deadline(\"draft\")"))
        name = node.func.id
        func, args = self.build(node.func), [self.build(arg) for arg in node.args]
        self.calls.add(name)
        if any(keyword.arg is None for keyword in node.keywords):
            raise ExpressionError(N_("распаковка аргументов (**) запрещена"))
        keywords = [(_identifier(str(kw.arg)), self.build(kw.value)) for kw in node.keywords]

        def run(ns: Mapping[str, Any]) -> Any:
            function = func(ns)
            if not callable(function):
                raise ExpressionError(N_("«%(name)s» не является функцией", name=name))
            return function(*[arg(ns) for arg in args], **{key: value(ns) for key, value in keywords})
        return run


def _identifier(name: str) -> str:
    if name.startswith("__"):
        raise ExpressionError(N_("имена с двойным подчёркиванием запрещены («%(name)s»)", name=_shorten(name, 40)))
    return name


def _lookup(table: Mapping[type[Any], Any], op: ast.AST) -> Any:
    if type(op) not in table:
        symbol = _SYMBOLS.get(type(op).__name__, type(op).__name__)
        raise ExpressionError(_FORBIDDEN.get(type(op), N_("оператор «%(symbol)s» не поддерживается", symbol=symbol)))
    return table[type(op)]


def _parse(source: str) -> ast.expr:
    """Parse in eval mode and enforce the size limits before anything is built."""
    if len(source) > MAX_SOURCE:
        raise ExpressionError(N_("выражение длиннее %(count)s символов", count=MAX_SOURCE))
    text = source.strip()  # diagrams often wrap an expression in spaces and newlines
    if not text:
        raise ExpressionError(N_("пустое выражение"))
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        try:
            ast.parse(text, mode="exec")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raise ExpressionError(N_("синтаксическая ошибка %(where)s", where=_where(exc))) from None
        raise ExpressionError(N_("допустимо только выражение, а не инструкция (присваивание, импорт и т. п.)")
                              ) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(N_("выражение не удаётся разобрать")) from None
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]  # (node, depth)
    while stack:  # iterative, so a deeply nested tree cannot exhaust the Python stack here
        node, depth = stack.pop()
        counted = isinstance(node, (ast.expr, ast.keyword))
        count += counted
        if count > MAX_NODES:
            raise ExpressionError(N_("выражение слишком сложное (больше %(count)s элементов)", count=MAX_NODES))
        if depth > MAX_DEPTH:
            raise ExpressionError(N_("слишком глубокая вложенность (больше %(count)s уровней)", count=MAX_DEPTH))
        stack.extend((child, depth + counted) for child in ast.iter_child_nodes(node))
    return tree.body


def _where(exc: SyntaxError) -> str:
    if not exc.offset:
        return N_("в конце выражения")
    return N_("в позиции %(offset)s", offset=exc.offset) if (exc.lineno or 1) == 1 else \
        N_("в строке %(line)s, позиции %(offset)s", line=exc.lineno, offset=exc.offset)


def _compile(source: str) -> Expression:
    """Parse, validate and build without the cache (the benchmark uses it for the cold path)."""
    try:
        builder = _Builder()
        run = builder.build(_parse(source))
    except ExpressionError as exc:
        raise ExpressionError(exc.reason, source=source) from None
    return Expression(source, frozenset(builder.names), frozenset(builder.calls), run)


_compile_cached = functools.lru_cache(maxsize=4096)(_compile)


def compile_expression(source: str) -> Expression:
    """Parse and validate once (cached by source); raises ExpressionError."""
    if not isinstance(source, str):
        raise ExpressionError(N_("выражение должно быть строкой"))
    return _compile_cached(source)


def evaluate(source: str, names: Mapping[str, Any]) -> Any:
    """Compile (cached) and evaluate `source` against `names`."""
    return compile_expression(source).evaluate(names)
