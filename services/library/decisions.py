"""The library's decision tables where the product asks them: the default competent bodies by theme and location."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from engine.decisions import DecisionError, load_table
from services.library.versions import bundle_for

COMPETENT_BODY_TABLE = "competent_body.dmn"  # inputs theme and location (codes), output body (a code or a list)
log = logging.getLogger(__name__)


def competent_bodies(*, session: Session, version_id: int, theme: str | None, location: str | None) -> list[str]:
    """The body codes the version's table answers, in its order; none without a theme or location or a table."""
    if not (theme or location):
        return []
    text = bundle_for(session=session, version_id=version_id).files.get(COMPETENT_BODY_TABLE)
    if text is None:
        return []
    try:
        rows = load_table(text).decide({"theme": theme, "location": location})
    except DecisionError as exc:  # a suggestion only: the curator chooses the bodies anyway
        log.warning("%s: %s", COMPETENT_BODY_TABLE, exc)
        return []
    bodies: list[str] = []
    for row in rows:
        value = row.get("body")
        for code in value if isinstance(value, list) else [value]:
            if isinstance(code, str) and code and code not in bodies:
                bodies.append(code)
    return bodies
