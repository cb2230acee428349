"""What changed between two versions of a process library, in the product's terms: diagram elements (names, forms,
roles, deadlines, timers, conditions, called processes), deadline parameters and form fields."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.diagram_rules import BPMN, SPIFF
from engine.texts import N_
from engine.timers import PARAMETERS_FILE

ADDED, REMOVED, CHANGED = "added", "removed", "changed"

# The labels of element kinds and of their properties, shown in a list of changes (translated there).
KINDS = {
    "process": N_("Процесс"), "userTask": N_("Задача"), "serviceTask": N_("Служебная задача"),
    "manualTask": N_("Ручная задача"), "scriptTask": N_("Задача-сценарий"), "businessRuleTask": N_("Задача правил"),
    "sendTask": N_("Задача отправки"), "receiveTask": N_("Задача получения"), "task": N_("Задача"),
    "callActivity": N_("Вызов процесса"), "subProcess": N_("Подпроцесс"), "startEvent": N_("Начальное событие"),
    "endEvent": N_("Конечное событие"), "boundaryEvent": N_("Граничное событие"),
    "intermediateCatchEvent": N_("Промежуточное событие"), "intermediateThrowEvent": N_("Промежуточное событие"),
    "exclusiveGateway": N_("Исключающий шлюз"), "parallelGateway": N_("Параллельный шлюз"),
    "inclusiveGateway": N_("Включающий шлюз"), "eventBasedGateway": N_("Шлюз по событию"), "sequenceFlow": N_("Поток"),
}
TASK_PROPERTIES = {"formJsonSchemaFilename": N_("форма"), "formUiSchemaFilename": N_("вид формы"), "role": N_("роль"),
                   "deadline": N_("срок"), "body": N_("орган")}
ATTRIBUTES = {"name": N_("название"), "calledElement": N_("вызываемый процесс"), "default": N_("поток по умолчанию"),
              "sourceRef": N_("откуда"), "targetRef": N_("куда"), "attachedToRef": N_("прикреплено к"),
              "cancelActivity": N_("прерывает задачу"), "messageRef": N_("сообщение")}
TIMERS = {"timeDate": N_("таймер (момент)"), "timeDuration": N_("таймер (длительность)"),
          "timeCycle": N_("таймер (цикл)")}
DEADLINE_FIELDS = {"value": N_("значение"), "unit": N_("единица"), "clause": N_("пункт"), "title": N_("название")}
FIELD_FACTS = {"type": N_("тип"), "title": N_("название"), "description": N_("описание"), "enum": N_("варианты"),
               "x-options": N_("справочник"), "format": N_("формат"), "default": N_("по умолчанию"),
               "minLength": N_("наименьшая длина"), "maxLength": N_("наибольшая длина"),
               "minimum": N_("наименьшее значение"), "maximum": N_("наибольшее значение"), "allOf": N_("условия"),
               "ui:help": N_("подсказка"), "ui:widget": N_("вид")}
# Attribute values the BPMN standard assumes when they are left out: bpmn-js leaves them out when it saves.
DEFAULTS = {"isSequential": "false", "cancelActivity": "true", "isInterrupting": "true", "isForCompensation": "false",
            "startQuantity": "1", "completionQuantity": "1", "isImmediate": "true", "isClosed": "false"}
# Children a tracked element is made of; elements nested in a subprocess are tracked on their own.
_SKIPPED_CHILDREN = {"extensionElements", "incoming", "outgoing", "documentation"}


@dataclass(frozen=True)
class Change:
    """One difference: a diagram element (element_id) or a file's part added, removed, or one property changed."""

    file: str
    element_id: str | None
    kind: str  # added | removed | changed
    subject: str  # what it is, for people: «Задача «Согласование»», «Срок after_interim»
    detail: str = ""  # the property that changed, for a changed one
    old: str | None = None
    new: str | None = None


def compare_libraries(old: Mapping[str, str], new: Mapping[str, str]) -> list[Change]:
    """Every difference between two libraries (file name -> text), file by file in name order."""
    changes: list[Change] = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if before is None or after is None:
            changes.append(Change(name, None, ADDED if before is None else REMOVED, _file_kind(name)))
        elif name.endswith(".bpmn"):
            changes += _diagram_changes(name, before, after)
        elif name == PARAMETERS_FILE:
            changes += _parameter_changes(name, before, after)
        elif name.endswith(".json"):
            changes += _form_changes(name, before, after)
        else:
            changes.append(Change(name, None, CHANGED, _file_kind(name), N_("содержимое")))
    return changes


def _file_kind(name: str) -> str:
    if name.endswith(".bpmn"):
        return N_("Диаграмма %(name)s", name=name)
    if name == PARAMETERS_FILE:
        return N_("Параметры сроков")
    if name.endswith(".dmn"):
        return N_("Таблица решений %(name)s", name=name)
    return N_("Форма %(name)s", name=name) if name.endswith(".json") else N_("Файл %(name)s", name=name)


def _pairs(name: str, old: dict[str, tuple[str, dict[str, str]]], new: dict[str, tuple[str, dict[str, str]]],
           ) -> Iterator[Change]:
    """Changes between two keyed sets of (subject, facts): added, removed, and each changed fact."""
    for key, (subject, facts) in new.items():
        if key not in old:
            yield Change(name, key if name.endswith(".bpmn") else None, ADDED, subject)
            continue
        before = old[key][1]
        for label in [*before, *(f for f in facts if f not in before)]:
            if before.get(label) != facts.get(label):
                yield Change(name, key if name.endswith(".bpmn") else None, CHANGED, subject, label,
                             before.get(label), facts.get(label))
    for key, (subject, _) in old.items():
        if key not in new:
            yield Change(name, key if name.endswith(".bpmn") else None, REMOVED, subject)


# Diagrams


def _diagram_changes(name: str, old: str, new: str) -> list[Change]:
    before, after = _elements(old), _elements(new)
    if before is None or after is None:
        return [Change(name, None, CHANGED, _file_kind(name), N_("содержимое"), None, N_("не читается как XML"))]
    return list(_pairs(name, before, after))


def _elements(text: str) -> dict[str, tuple[str, dict[str, str]]] | None:
    """Every process and flow element of a diagram by id: its subject and its facts."""
    try:
        root = etree.fromstring(text.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    elements: dict[str, tuple[str, dict[str, str]]] = {}
    for process in root.iter(f"{{{BPMN}}}process"):
        elements[process.get("id", "")] = (_subject(process), _facts(process))
        for element in process.iter():
            if _tracked(element):
                elements[element.get("id", "")] = (_subject(element), _facts(element))
    return elements


def _subject(element: etree._Element) -> str:
    kind = etree.QName(element).localname
    label = KINDS.get(kind, kind)
    name = (element.get("name") or "").strip()
    return N_("%(kind)s «%(step)s»", kind=label, step=name) if name else N_("%(kind)s %(id)s", kind=label,
                                                                            id=element.get("id"))


def _facts(element: etree._Element) -> dict[str, str]:
    """What an element means for a case, nested details (timers, properties, conditions) included."""
    facts = {N_("тип"): KINDS.get(etree.QName(element).localname, etree.QName(element).localname)}
    for key, value in _attributes(element):
        facts[ATTRIBUTES.get(key, key)] = value
    for node in element.iter():
        if node is element or not isinstance(node.tag, str) or _inside_tracked(node, element):
            continue
        tag = etree.QName(node)
        if tag.namespace == SPIFF and tag.localname == "property":
            key = node.get("name", "")
            facts[TASK_PROPERTIES.get(key) or N_("свойство %(name)s", name=key)] = node.get("value", "")
        elif tag.namespace == SPIFF and tag.localname != "properties":
            facts[tag.localname] = (node.text or "").strip()
        elif tag.localname in TIMERS:
            facts[TIMERS[tag.localname]] = (node.text or "").strip()
        elif tag.localname == "conditionExpression":
            facts[N_("условие")] = (node.text or "").strip()
        elif tag.localname.endswith("EventDefinition"):
            facts[N_("событие")] = " ".join([tag.localname, *(f"{k}={v}" for k, v in _attributes(node))])
        elif tag.localname.endswith("LoopCharacteristics"):
            facts[N_("повторение")] = _describe(node)
        elif tag.localname == "documentation":
            facts[N_("описание")] = (node.text or "").strip()
    return facts


def _attributes(node: etree._Element) -> list[tuple[str, str]]:
    """A node's attributes by local name, without its id and without values the standard assumes anyway."""
    pairs = [(etree.QName(k).localname, str(v)) for k, v in node.attrib.items()]
    return sorted((k, v) for k, v in pairs if k != "id" and DEFAULTS.get(k) != v)


def _describe(node: etree._Element) -> str:
    """A nested definition as one line, whatever the whitespace and defaults a modeler wrote it with."""
    parts = [etree.QName(node).localname, *(f"{k}={v}" for k, v in _attributes(node))]
    if (node.text or "").strip():
        parts.append(repr((node.text or "").strip()))
    parts += [f"[{_describe(child)}]" for child in node if isinstance(child.tag, str)]
    return " ".join(parts)


def _tracked(node: etree._Element) -> bool:
    """A flow element of a process or subprocess, listed on its own."""
    parent = node.getparent()
    return (isinstance(node.tag, str) and bool(node.get("id")) and parent is not None
            and etree.QName(parent).localname in ("process", "subProcess")
            and etree.QName(node).localname not in _SKIPPED_CHILDREN | {"laneSet"})


def _inside_tracked(node: etree._Element, element: etree._Element) -> bool:
    """Whether a node within an element belongs to another element listed on its own (one in a subprocess)."""
    while node is not None and node is not element:
        if _tracked(node):
            return True
        node = node.getparent()
    return False


# Deadline parameters


def _parameter_changes(name: str, old: str, new: str) -> list[Change]:
    before, after = _json(old), _json(new)
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [Change(name, None, CHANGED, _file_kind(name), N_("содержимое"))]
    return list(_pairs(name, _parameters(before), _parameters(after)))


def _parameters(data: dict[str, Any]) -> dict[str, tuple[str, dict[str, str]]]:
    entries: dict[str, tuple[str, dict[str, str]]] = {}
    for key, spec in _part(data, "deadlines").items():
        spec = spec if isinstance(spec, dict) else {"value": spec}
        title = spec.get("title")
        subject = N_("Срок «%(library)s» (%(key)s)", library=title, key=key) if title else N_("Срок %(key)s", key=key)
        entries[f"deadline:{key}"] = (subject, {DEADLINE_FIELDS.get(str(k), str(k)): _text(v) for k, v in spec.items()})
    for key, value in _part(data, "limits").items():
        entries[f"limit:{key}"] = (N_("Предел %(key)s", key=key), {N_("значение"): _text(value)})
    for key, value in data.items():
        if key not in ("deadlines", "limits"):
            entries[key] = (N_("Параметр %(key)s", key=key), {N_("значение"): _text(value)})
    return entries


# Forms


def _form_changes(name: str, old: str, new: str) -> list[Change]:
    before, after = _json(old), _json(new)
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [Change(name, None, CHANGED, _file_kind(name), N_("содержимое"))]
    return list(_pairs(name, _form(name, before), _form(name, after)))


def _form(name: str, schema: dict[str, Any]) -> dict[str, tuple[str, dict[str, str]]]:
    """The form itself (its title and rules) and each of its fields with its facts."""
    ui = _part(schema, "ui")
    required: list[Any] = schema["required"] if isinstance(schema.get("required"), list) else []
    entries = {"": (N_("Форма %(name)s", name=name), {FIELD_FACTS.get(str(k), str(k)): _text(v)
                                                       for k, v in schema.items()
                                                       if k not in ("properties", "required", "ui")})}
    for key in _part(schema, "properties"):
        field = _part(_part(schema, "properties"), key)
        title = field.get("title")
        facts = {FIELD_FACTS.get(str(k), str(k)): _text(v) for k, v in field.items()
                 if k not in ("enum", "x-enumTitles")}
        if "enum" in field:
            titles = field.get("x-enumTitles") or {}
            facts[N_("варианты")] = ", ".join(f"{v} ({titles[v]})" if isinstance(titles, dict) and v in titles
                                              else _text(v) for v in field["enum"])
        # Capitalised: the catalog's lower-case «нет» means "none".
        facts[N_("обязательное")] = N_("Да") if key in required else N_("Нет")
        for hint, value in _part(ui, key).items():
            facts[FIELD_FACTS.get(hint, hint)] = _text(value)
        entries[key] = (N_("Форма %(name)s: поле «%(library)s» (%(key)s)", name=name, library=title, key=key) if title
                        else N_("Форма %(name)s: поле %(key)s", name=name, key=key), facts)
    return entries


def _part(data: dict[str, Any], key: str) -> dict[str, Any]:
    """A nested object of a JSON document; empty when it is missing or not an object."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
