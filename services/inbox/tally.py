"""The inbox's counts per filter value, kept by the database: summed for a scope instead of counting its tasks.

Triggers on human_task (migration 0025) add a row of +1 or -1 per value whenever an open task appears, changes what
it is counted under or leaves the inbox; steps only ever insert here, so two steps never wait on each other's
counts. `merge` folds the rows into one per value (the scheduler runs it every minute); `problems` compares the
sums with the tasks themselves (`flask cases check` and every test's teardown run it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, cast, delete, func, insert, literal, select
from sqlalchemy import String as SqlString
from sqlalchemy.orm import Session

from engine.texts import N_
from models import HumanTask, InboxTally

KEY = ("tenant_id", "role", "body_id", "assignee_id", "step", "dimension", "value", "label")
# The dimensions counted per value, as (filter name, column); the triggers store the same (migration 0025).
DIMENSIONS = {"step": HumanTask.step, "body": HumanTask.body_id, "theme": HumanTask.theme_id,
              "location": HumanTask.location_id, "channel": HumanTask.channel_id, "importance": HumanTask.importance}


def tallied(session: Session, where: list[ColumnElement[bool]]) -> list[tuple[str, str | None, str | None, int]]:
    """(dimension, value, label, tasks) for the open tasks of a scope given as conditions on InboxTally's key."""
    total = func.sum(InboxTally.n)
    query = (select(InboxTally.dimension, InboxTally.value, InboxTally.label, total).where(*where)
             .group_by(InboxTally.dimension, InboxTally.value, InboxTally.label).having(total != 0))
    return [(dimension, value, label, int(n)) for dimension, value, label, n in session.connection().execute(query)]


def merge(session: Session) -> int:
    """Fold the rows into one per counted value (dropping those that sum to nothing); the rows taken are exactly
    the rows deleted, so steps adding rows meanwhile lose nothing. Returns how many rows there were."""
    columns = [getattr(InboxTally, name) for name in KEY]
    taken = session.connection().execute(delete(InboxTally).returning(*columns, InboxTally.n)).all()
    sums: Counter[tuple[Any, ...]] = Counter()
    for row in taken:
        sums[tuple(row[:-1])] += row[-1]
    merged = [dict(zip(KEY, key, strict=True), n=n) for key, n in sums.items() if n]
    if merged:
        session.connection().execute(insert(InboxTally), merged)
    return len(taken)


def problems(session: Session) -> Iterator[str]:
    """Where the sums differ from the open tasks themselves, a line each (a trigger missing or dropped)."""
    scope = [HumanTask.tenant_id, HumanTask.role, HumanTask.body_id, HumanTask.assignee_id, HumanTask.step]
    live: Counter[tuple[Any, ...]] = Counter()
    for dimension, column in DIMENSIONS.items():
        value = column if dimension in ("step", "importance") else cast(column, SqlString)
        grouped = [*scope, value, HumanTask.name] if dimension == "step" else [*scope, value]
        label = HumanTask.name if dimension == "step" else literal(None, SqlString)
        query = select(*scope, literal(dimension), value, label, func.count()).where(HumanTask.state == "open")
        for *key, n in session.connection().execute(query.group_by(*grouped)):
            live[tuple(key)] += n
    kept: Counter[tuple[Any, ...]] = Counter()
    columns = [getattr(InboxTally, name) for name in KEY]
    for *key, n in session.connection().execute(select(*columns, func.sum(InboxTally.n)).group_by(*columns)):
        kept[tuple(key)] += int(n)
    for counted in sorted(set(live) | set(kept), key=repr):
        if live[counted] != kept[counted]:
            yield N_("входящие: %(key)s: задач %(live)s, в счётчиках %(kept)s",
                     key=repr(dict(zip(KEY, counted, strict=True))), live=live[counted], kept=kept[counted])

