"""A diagram's loops bounded: SpiffWorkflow stalls silently on long loops (research/spiffworkflow MEMO, pitfall 1), so
every cycle of sequence flows, and every repeated task, is bounded by a deadline parameter or a list's length."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator, Mapping

from lxml import etree

from engine.diagram_rules import BPMN, NAMESPACES, DiagramProblem, expression_tree, problem_at
from engine.texts import N_
from engine.timers import PARAMETERS_FILE


def _bounds_loop(source: str) -> bool:
    """A condition that compares with limit(...) (a parameter) or len(...) (a walk through a list in the case data)."""
    return any(isinstance(node, ast.Compare) and any(
        isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in ("limit", "len")
        for call in ast.walk(node)) for node in ast.walk(expression_tree(source)))


def unbounded_loops(root: etree._Element) -> Iterator[DiagramProblem]:
    """Every cycle of sequence flows must pass a flow whose condition bounds it (_bounds_loop): SpiffWorkflow stalls
    silently on long loops (research/spiffworkflow MEMO, pitfall 1), so rounds are bounded by the parameters."""
    edges: dict[str, list[str]] = {}
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        condition = flow.find("bpmn:conditionExpression", NAMESPACES)
        if condition is None or not _bounds_loop(condition.text or ""):
            edges.setdefault(flow.get("sourceRef", ""), []).append(flow.get("targetRef", ""))
    for event in root.iter(f"{{{BPMN}}}boundaryEvent"):
        edges.setdefault(event.get("attachedToRef", ""), []).append(event.get("id", ""))
    reach = {node: _reachable(node, edges) for node in edges}
    elements = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id") in reach}
    looped: set[str] = set()
    for node, element in elements.items():  # in document order
        if node in looped or node not in reach[node]:
            continue
        component = {other for other in reach[node] if node in reach.get(other, ())}
        looped |= component
        path = " → ".join(_cycle(node, edges, component))
        yield problem_at(element, N_("цикл без предела: %(path)s; на одном из его переходов нужно условие с "
                                     "пределом из %(file)s (count(\"…\") < limit(\"…\")) или по длине списка "
                                     "(turn < len(bodies))", path=path, file=PARAMETERS_FILE))
    for loop in root.iter(f"{{{BPMN}}}standardLoopCharacteristics"):
        condition = loop.find("bpmn:loopCondition", NAMESPACES)
        if loop.get("loopMaximum") is None and (condition is None or not _bounds_loop(condition.text or "")):
            yield problem_at(loop, N_("повторение задачи без предела: задайте loopMaximum или условие с limit(\"…\")"))


def _reachable(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    """The nodes reachable from start in one step or more."""
    seen: set[str] = set()
    queue = deque(edges.get(start, ()))
    while queue:
        node = queue.popleft()
        if node not in seen:
            seen.add(node)
            queue.extend(edges.get(node, ()))
    return seen


def _cycle(start: str, edges: Mapping[str, list[str]], component: set[str]) -> list[str]:
    """A shortest way from start back to itself inside its component."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in edges.get(node, ()):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target in component and target not in came_from:
                came_from[target] = node
                queue.append(target)
    return [start]
