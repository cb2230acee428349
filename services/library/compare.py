"""Comparing two versions of a process, or its draft with a version: both diagrams and the list of changes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.compare import Change, compare_libraries
from models import ProcessDraft, ProcessVersion, User
from services.errors import Invalid, NotFound
from services.library.catalog import history
from services.library.drafts import require_editor

DRAFT = "draft"
_VERSION = re.compile(r"v([1-9][0-9]{0,8})")


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
    """Compare two sides of a process: by default its draft with the current version, or, without a draft, the
    current version with the one before it."""
    require_editor(user)
    versions = history(session=session, process_id=process_id)
    draft = session.scalar(select(ProcessDraft).where(ProcessDraft.process_id == process_id))
    current = next(v for v in versions if v.is_current)
    new = new or (DRAFT if draft else f"v{current.number}")
    if old is None:
        number = current.number if new == DRAFT else _number(new) - 1
        old = f"v{number if any(v.number == number for v in versions) else current.number}"
    sides = {f"v{v.number}": _version_side(v) for v in versions}
    if draft is not None:
        sides[DRAFT] = Side(DRAFT, f"черновик (редакция {draft.revision})", dict(draft.files))
    for key in (old, new):
        _number(key)
        if key not in sides:
            raise NotFound("Черновика этого процесса нет" if key == DRAFT else f"Версии {key} процесса нет")
    diagrams = sorted({n for key in (old, new) for n in sides[key].files if n.endswith(".bpmn")})
    own = re.compile(r'<(\w+:)?process\b[^>]*\bid="' + re.escape(process_id) + '"')
    name = name or next((n for n in diagrams if own.search(sides[new].files.get(n) or sides[old].files.get(n, ""))),
                        diagrams[0] if diagrams else "")
    if name not in diagrams:
        raise NotFound("Диаграмма не найдена ни в одной из сравниваемых версий")
    return Comparison(process_id, sides[old], sides[new], [(key, side.label) for key, side in sides.items()],
                      diagrams, name, compare_libraries(sides[old].files, sides[new].files), draft)


def _version_side(version: ProcessVersion) -> Side:
    label = f"v{version.number}" + (" (текущая)" if version.is_current else "")
    return Side(f"v{version.number}", label, version.files)


def _number(key: str) -> int:
    """The number of a version key vN (0 for the draft); anything else is refused."""
    if key == DRAFT:
        return 0
    match = _VERSION.fullmatch(key)
    if match is None:
        raise Invalid("Сторона сравнения указывается как vN (номер версии) или draft (черновик)",
                      fields={"old": "vN или draft", "new": "vN или draft"})
    return int(match.group(1))
