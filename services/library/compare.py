"""Comparing two versions of a process, or its draft with a version: both diagrams and the list of changes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.compare import Change, compare_libraries
from engine.texts import N_, joined
from models import ProcessDraft, ProcessVersion, User
from services.errors import Invalid, NotFound
from services.library.catalog import history
from services.library.drafts import library_drafts, require_editor
from services.library.versions import current_version_id, library_of

DRAFT = "draft"
_VERSION = re.compile(r"[vm]([1-9][0-9]{0,8})")


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a published version (key vN) or the draft (key draft)."""

    key: str
    label: str
    files: dict[str, str]


@dataclass(frozen=True)
class Comparison:
    """Two sides of a process, the diagram shown, and every change from the old side to the new one."""

    process_id: str
    old: Side
    new: Side
    choices: list[tuple[str, str]]  # every side that can be compared: key, label
    diagrams: list[str]  # the diagram files of either side
    name: str  # the diagram shown
    changes: list[Change]
    draft: ProcessDraft | None


def compare(*, session: Session, user: User, process_id: str, old: str | None = None, new: str | None = None,
            name: str | None = None) -> Comparison:
    """Compare two sides of a process: by default its draft with the version it started from (for a municipal
    variant: the regional template it was forked from), or, without a draft, the version in use with the one before
    it (a variant: with its template). Regional versions are vN, a municipality's own variant versions mN."""
    require_editor(user)
    tenant_id = library_of(user)
    versions = history(session=session, process_id=process_id)
    own = history(session=session, process_id=process_id, tenant_id=tenant_id) if tenant_id is not None else []
    draft = library_drafts(session=session, user=user).get(process_id)
    in_use = current_version_id(session=session, tenant_id=user.tenant_id, process_id=process_id)
    keys = {v.id: key(v) for v in [*versions, *own]}
    sides = {key(v): _version_side(v, in_use) for v in [*versions, *own]}
    if draft is not None:
        sides[DRAFT] = Side(DRAFT, N_("черновик (редакция %(revision)s)", revision=draft.revision), dict(draft.files))
    new = new or (DRAFT if draft else keys[in_use])
    if old is None:
        old = _default_old(new, draft, {key(v): v for v in [*versions, *own]}, keys, versions)
    for side in (old, new):
        _number(side)
        if side not in sides:
            raise NotFound(N_("Черновика этого процесса нет") if side == DRAFT
                           else N_("Версии %(version)s процесса нет", version=side))
    diagrams = sorted({n for side in (old, new) for n in sides[side].files if n.endswith(".bpmn")})
    own_diagram = re.compile(r'<(\w+:)?process\b[^>]*\bid="' + re.escape(process_id) + '"')
    name = name or next((n for n in diagrams if own_diagram.search(sides[new].files.get(n)
                                                                   or sides[old].files.get(n, ""))),
                        diagrams[0] if diagrams else "")
    if name not in diagrams:
        raise NotFound(N_("Диаграмма не найдена ни в одной из сравниваемых версий"))
    return Comparison(process_id, sides[old], sides[new], [(k, side.label) for k, side in sides.items()],
                      diagrams, name, compare_libraries(sides[old].files, sides[new].files), draft)


def key(version: ProcessVersion) -> str:
    """A version's key on the comparison page: vN for a regional version, mN for a municipality's variant."""
    return f"{'v' if version.tenant_id is None else 'm'}{version.number}"


def _default_old(new: str, draft: ProcessDraft | None, by_key: dict[str, ProcessVersion], keys: dict[int, str],
                 regional: list[ProcessVersion]) -> str:
    """What a side is compared with by default: a draft with the version it started from or the variant's
    template, a variant version with its template, a regional version with the one before it."""
    current = next(v for v in regional if v.is_current)
    if new == DRAFT:
        start = draft.forked_from_id or draft.base_version_id if draft else None
        return keys.get(start or 0, key(current))
    version = by_key.get(new)
    if version is not None and version.forked_from_id in keys:
        return keys[version.forked_from_id or 0]
    number = _number(new) - 1
    return f"v{number if any(v.number == number for v in regional) else current.number}"


def _version_side(version: ProcessVersion, in_use: int) -> Side:
    if version.tenant_id is None:
        label = N_("v%(number)s (текущая региональная)", number=version.number) if version.is_current \
            else f"v{version.number}"
    else:
        label = N_("вариант муниципалитета m%(number)s", number=version.number)
    if version.id == in_use:
        label = joined([label, N_("используется")], ", ")
    return Side(key(version), label, version.files)


def _number(key: str) -> int:
    """The number of a version key vN (0 for the draft); anything else is refused."""
    if key == DRAFT:
        return 0
    match = _VERSION.fullmatch(key)
    if match is None:
        rule = N_("vN, mN или draft")
        raise Invalid(N_("Сторона сравнения указывается как vN (региональная версия), mN (версия варианта "
                         "муниципалитета) или draft (черновик)"), fields={"old": rule, "new": rule})
    return int(match.group(1))
