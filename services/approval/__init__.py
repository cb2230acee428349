"""The curator's own edit of a draft while approving it (8.5), and what changed between versions, word by word."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Draft, User

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Change:
    """A stretch of text the same in both versions ("same"), only in the earlier one ("removed") or only in the
    later one ("added")."""

    kind: str
    text: str


def same_text(first: str, second: str) -> bool:
    """Whether two reply texts differ only in line endings and surrounding white space."""
    return first.replace("\r\n", "\n").strip() == second.replace("\r\n", "\n").strip()


def edit_draft(*, session: Session, draft: Draft, text: str, curator: User, now: datetime) -> Draft:
    """The curator's text as the draft's next version, with the curator as its author; the edited version is marked
    as edited by the curator, so its executor sees who changed it and what (word_changes)."""
    number = (session.scalar(select(func.max(Draft.number)).where(Draft.case_id == draft.case_id)) or 0) + 1
    draft.decision, draft.decided_by_id, draft.decided_at = "edited", curator.id, now
    edited = Draft(case_id=draft.case_id, number=number, body_id=draft.body_id, author_id=curator.id, kind=draft.kind,
                   text=text.replace("\r\n", "\n").strip(), created_at=now)
    session.add(edited)
    session.flush()
    return edited


def word_changes(before: str, after: str) -> list[Change]:
    """What changed from one text to the next, compared word by word (white space kept with its word)."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    changes: list[Change] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            changes.append(Change("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            changes.append(Change("removed", "".join(old[i1:i2])))
        if j2 > j1:
            changes.append(Change("added", "".join(new[j1:j2])))
    return changes


def draft_changes(drafts: Sequence[Draft]) -> dict[int, list[Change]]:
    """For each version the curator edited: its changes from the version it replaced (drafts in number order)."""
    out: dict[int, list[Change]] = {}
    previous: dict[int | None, Draft] = {}
    for draft in drafts:
        if draft.kind == "part":
            continue
        before = previous.get(draft.body_id)
        if before is not None and before.decision == "edited":
            out[draft.id] = word_changes(before.text, draft.text)
        previous[draft.body_id] = draft
    return out
