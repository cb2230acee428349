"""The draft's deadline parameters (parameters.json) edited as a table: deadlines, the warning share, loop limits."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_, joined
from engine.timers import PARAMETERS_FILE, UNITS
from engine.validation import Problem, check_library
from models import ProcessDraft, User
from services.errors import Invalid
from services.library.drafts import NAME, NAME_RULE, get_draft, store_files
from services.library.versions import COMMENTS


@dataclass(frozen=True)
class DeadlineRow:
    """One deadline as the table shows it; values stay text until they are checked."""

    name: str
    value: str
    unit: str
    working: bool
    clause: str
    title: str


@dataclass(frozen=True)
class LimitRow:
    """One loop limit as the table shows it."""

    name: str
    value: str


@dataclass(frozen=True)
class ParameterTable:
    """The whole table of a draft's parameters."""

    deadlines: list[DeadlineRow]
    limits: list[LimitRow]
    warning_share: str


def parameter_table(*, session: Session, user: User, draft_id: int) -> tuple[ProcessDraft, ParameterTable]:
    """The draft and its parameters file as a table."""
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    raw = _raw(draft)
    deadlines = [DeadlineRow(name, str(spec.get("value", "")), str(spec.get("unit", "")),
                             spec.get("working", True) is not False, str(spec.get("clause", "")),
                             str(spec.get("title", "")))
                 for name, spec in raw.get("deadlines", {}).items() if isinstance(spec, dict)]
    limits = [LimitRow(name, str(value)) for name, value in raw.get("limits", {}).items()]
    return draft, ParameterTable(deadlines, limits, str(raw.get("warning_share", 0.8)))


def save_parameters(*, session: Session, clock: Clock, user: User, draft_id: int, revision: int,
                    table: ParameterTable, comment: str = "") -> ProcessDraft:
    """Store the table as the draft's parameters.json if every cell is right and no diagram of the draft loses a
    deadline or limit it uses; Invalid names each bad cell (fields deadline-<row>-<column>, limit-<row>-<column>,
    warning_share) and nothing is saved."""
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    errors: dict[str, str] = {}
    deadlines: dict[str, dict[str, Any]] = {}
    for row, line in enumerate(table.deadlines):
        name = _name(f"deadline-{row}", line.name, deadlines, errors)
        value = _positive(f"deadline-{row}-value", line.value, errors)
        if line.unit not in UNITS:
            errors[f"deadline-{row}-unit"] = N_("Выберите единицу: минуты, часы или дни")
        if not line.title.strip():
            errors[f"deadline-{row}-title"] = N_("Укажите название срока")
        spec: dict[str, Any] = {"value": value, "unit": line.unit, "clause": line.clause.strip(),
                                "title": line.title.strip()}
        if not line.working:
            spec["working"] = False
        deadlines[name] = spec
    limits: dict[str, int | None] = {}
    for row, limit in enumerate(table.limits):
        limits[_name(f"limit-{row}", limit.name, limits, errors)] = _positive(f"limit-{row}-value", limit.value,
                                                                              errors)
    try:
        share = float(table.warning_share.replace(",", "."))
    except ValueError:
        share = 0.0
    if not 0 < share < 1:
        errors["warning_share"] = N_("Доля срока для предупреждения: число больше 0 и меньше 1, например 0,8")
    if errors:
        raise Invalid(N_("Исправьте отмеченные ячейки: ничего не сохранено"), fields=errors)
    text = _dump({**_raw(draft), "deadlines": deadlines, "warning_share": share, "limits": limits})
    files = {**draft.files, PARAMETERS_FILE: text}
    added = _new_problems(draft.files, files)
    if added:
        problems = joined(N_("%(file)s, элемент %(element)s: %(problem)s", file=p.file,
                             element=p.element_id or "—", problem=p.message) for p in added)
        raise Invalid(N_("Параметры не сохранены: %(problems)s", problems=problems), fields=_cells(added, table))
    return store_files(session=session, clock=clock, user=user, draft=draft, files=files, revision=revision,
                       comment=comment or COMMENTS["parameters"])


def _raw(draft: ProcessDraft) -> dict[str, Any]:
    """The draft's parameters file as JSON (empty when it is missing or broken: the table then starts afresh)."""
    try:
        raw = json.loads(draft.files.get(PARAMETERS_FILE, "{}"))
    except json.JSONDecodeError:
        return {}
    return raw if isinstance(raw, dict) else {}


def _name(cell: str, text: str, taken: Mapping[str, Any], errors: dict[str, str]) -> str:
    name = text.strip()
    if not NAME.match(name):
        errors[f"{cell}-name"] = N_("Имя: %(rule)s", rule=NAME_RULE)
    elif name in taken:
        errors[f"{cell}-name"] = N_("Имя «%(name)s» уже есть в таблице", name=name)
    return name


def _positive(cell: str, text: str, errors: dict[str, str]) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value <= 0:
        errors[cell] = N_("Целое положительное число")
        return None
    return value


def _new_problems(before: Mapping[str, str], after: Mapping[str, str]) -> list[Problem]:
    """Problems the change brings (a deadline removed that a diagram still calls, and so on); old ones stay shown on
    the draft's page and do not stop the table from being saved."""
    known = set(check_library(before).problems)
    return [p for p in check_library(after).problems if p not in known]


def _cells(problems: Sequence[Problem], table: ParameterTable) -> dict[str, str]:
    """The table's cells the problems point at (a parameters.json problem names its deadline as the element)."""
    rows = {line.name.strip(): row for row, line in enumerate(table.deadlines)}
    return {f"deadline-{rows[p.element_id]}-value": p.message for p in problems
            if p.file == PARAMETERS_FILE and p.element_id in rows}


def _dump(raw: Mapping[str, Any]) -> str:
    """parameters.json as it is shipped: one line per deadline, so that a change reads as one line in a diff."""
    lines = []
    for key, value in raw.items():
        if isinstance(value, dict) and key == "deadlines":
            inner = ",\n".join(f"    {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
                               for k, v in value.items())
            lines.append(f'  "{key}": {{\n{inner}\n  }}')
        else:
            lines.append(f"  {json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"
