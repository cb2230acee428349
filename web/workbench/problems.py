"""A library problem as the workbench's pages and JSON read it."""

from __future__ import annotations

from engine.validation import Problem
from web.labels import translated


def problem_json(problem: Problem) -> dict[str, str | None]:
    """The file, the element (if known) and the message in the reader's language."""
    return {"file": problem.file, "element_id": problem.element_id, "message": translated(problem.message)}
