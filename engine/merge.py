"""A municipal variant carried onto a new regional version (a three-way merge: the template it was forked from, the
variant, the new regional version). It relies on the variant keeping the template's element ids (a copy, never a
redrawing): an element the variant changed is carried over by its id; what cannot be carried is listed."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.compare import ADDED, REMOVED, compare_libraries
from engine.texts import N_, joined

_MISSING = object()
# Children of a flow element that name its flows: the new regional version's are kept, whatever the variant had.
_LINKS = ("incoming", "outgoing")
# Elements holding other tracked elements: only their own attributes are carried.
_CONTAINERS = ("process", "subProcess")


@dataclass(frozen=True)
class Unmerged:
    """A change of the variant that the merge could not carry as it is, and what was done instead (Texts)."""

    file: str
    element_id: str | None
    subject: str
    reason: str


def merge_libraries(base: Mapping[str, str], ours: Mapping[str, str], theirs: Mapping[str, str],
                    ) -> tuple[dict[str, str], list[Unmerged]]:
    """The new regional version (theirs) with the variant's changes since the template (base -> ours) applied, file
    by file; where both changed the same element or value, the variant's stays and is listed."""
    merged: dict[str, str] = {}
    unmerged: list[Unmerged] = []
    for name in sorted(set(base) | set(ours) | set(theirs)):
        b, o, t = base.get(name), ours.get(name), theirs.get(name)
        if o == b:
            text = t
        elif t == b or o == t:
            text = o
        elif b is not None and o is not None and t is not None and name.endswith(".bpmn"):
            text = _merge_diagram(name, b, o, t, unmerged)
        elif b is not None and o is not None and t is not None and name.endswith(".json"):
            text = _merge_json(name, b, o, t, unmerged)
        else:
            text = o
            unmerged.append(Unmerged(name, None, name, N_("файл изменён и в варианте, и в региональной версии (или "
                                                          "удалён в одной из них): оставлен вариант")))
        if text is not None:
            merged[name] = text
    return merged, unmerged


def _merge_diagram(name: str, base: str, ours: str, theirs: str, unmerged: list[Unmerged]) -> str:
    """The regional diagram with each element the variant changed replaced by the variant's (by id)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        tree, own = etree.fromstring(theirs.encode(), parser), etree.fromstring(ours.encode(), parser)
    except etree.XMLSyntaxError:
        unmerged.append(Unmerged(name, None, name, N_("диаграмма не читается как XML: оставлен вариант")))
        return ours
    upstream = {c.element_id for c in compare_libraries({name: base}, {name: theirs})}
    local = compare_libraries({name: base}, {name: ours})
    done: set[str] = set()
    for change in local:
        element_id = change.element_id
        if element_id is None or element_id in done:
            continue
        done.add(element_id)
        if change.kind in (ADDED, REMOVED):
            unmerged.append(Unmerged(name, element_id, change.subject, N_(
                "добавлен в варианте, а региональная версия тоже изменила эту диаграмму: не перенесено, повторите в "
                "черновике") if change.kind == ADDED else N_(
                "удалён в варианте, а региональная версия тоже изменила эту диаграмму: не перенесено, повторите в "
                "черновике")))
            continue
        target, source = _by_id(tree, element_id), _by_id(own, element_id)
        if target is None or source is None:
            unmerged.append(Unmerged(name, element_id, change.subject, N_("удалён в региональной версии: изменение "
                                                                         "варианта не перенесено")))
            continue
        _carry(source, target)
        if element_id in upstream:
            unmerged.append(Unmerged(name, element_id, change.subject, N_("изменён и в варианте, и в региональной "
                                                                         "версии: оставлен вариант, проверьте")))
    return str(etree.tostring(tree, xml_declaration=True, encoding="UTF-8").decode())


def _by_id(root: etree._Element, element_id: str) -> etree._Element | None:
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0] if isinstance(found, list) and found and isinstance(found[0], etree._Element) else None


def _carry(source: etree._Element, target: etree._Element) -> None:
    """Make the target element the source's: its attributes and, but for a container, its content; the target's
    links to its flows stay."""
    target.attrib.clear()
    target.attrib.update(dict(source.attrib))
    if etree.QName(target).localname in _CONTAINERS:
        return
    links = [child for child in target if isinstance(child.tag, str) and etree.QName(child).localname in _LINKS]
    for child in list(target):
        target.remove(child)
    target.text = source.text
    for child in source:
        if not (isinstance(child.tag, str) and etree.QName(child).localname in _LINKS):
            target.append(copy.deepcopy(child))
    position = next((i for i, child in enumerate(target) if isinstance(child.tag, str)
                     and etree.QName(child).localname not in ("documentation", "extensionElements")), len(target))
    for offset, link in enumerate(links):
        target.insert(position + offset, link)


def _merge_json(name: str, base: str, ours: str, theirs: str, unmerged: list[Unmerged]) -> str:
    """A form or the parameters merged key by key; a value changed on both sides stays the variant's."""
    try:
        b, o, t = json.loads(base), json.loads(ours), json.loads(theirs)
    except json.JSONDecodeError:
        unmerged.append(Unmerged(name, None, name, N_("файл не читается как JSON: оставлен вариант")))
        return ours
    conflicts: list[str] = []
    merged = _merge_value(b, o, t, "", conflicts)
    unmerged += [Unmerged(name, None, joined([name, path], ": "), N_("изменено и в варианте, и в региональной "
                                                                    "версии: оставлен вариант, проверьте"))
                 for path in conflicts]
    return json.dumps(merged, ensure_ascii=False, indent=2) + "\n"


def _merge_value(b: Any, o: Any, t: Any, path: str, conflicts: list[str]) -> Any:
    if o == b:
        return t
    if t == b or o == t:
        return o
    if isinstance(b, dict) and isinstance(o, dict) and isinstance(t, dict):
        merged = {}
        for key in [*t, *(k for k in o if k not in t)]:
            value = _merge_value(b.get(key, _MISSING), o.get(key, _MISSING), t.get(key, _MISSING),
                                 f"{path}.{key}" if path else str(key), conflicts)
            if value is not _MISSING:
                merged[key] = value
        return merged
    conflicts.append(path or N_("весь файл"))
    return o
