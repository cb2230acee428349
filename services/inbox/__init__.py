"""The inbox: a person's open tasks by what is due first, filtered, searched and counted per filter value."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, false, func, literal_column, select, table, tuple_, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, defaultload, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from engine.clock import Clock
from engine.texts import N_
from models import Body, Case, Channel, HumanTask, InboxTally, Location, Theme, ThemeGroup, User
from services.errors import Invalid
from services.inbox.tally import DIMENSIONS, tallied
from services.inbox.timing import Timing, timing_of

INBOX_PAGE = 100
MAX_INBOX_PAGE = 500
MAX_QUERY = 200
SCOPES = ("mine", "body")  # mine: the tasks I took; body: all of my body's (an executor's default: mine and the queue)
IMPORTANCE = ("high", "normal")


@dataclass(frozen=True)
class Filters:
    """What a person narrowed the inbox to: codes of steps and reference values, flags, a search text."""

    step: str | None = None
    body: str | None = None
    theme: str | None = None
    location: str | None = None
    channel: str | None = None
    importance: str | None = None
    overdue: bool = False
    scope: str | None = None
    q: str = ""
    case_id: int | None = None

    @property
    def narrowed(self) -> bool:
        """Whether anything beyond whose tasks and which step narrows the list (then counts are counted afresh)."""
        return any((self.body, self.theme, self.location, self.channel, self.importance, self.overdue, self.q,
                    self.case_id is not None))

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments (the ones set), as a saved view keeps them."""
        return {k: ("1" if v is True else str(v)) for k, v in asdict(self).items() if v not in (None, False, "")}


WORD = re.compile(r"[^\W_]+")  # a word as both databases' full-text search splits text: letters and digits
SHOWN = (Case.author, Case.text, Case.published_at, Case.channel_id, Case.source, Case.due_at)  # what lists show
TEXT_FILTERS = ("step", "body", "theme", "location", "channel")


def parse_filters(args: Mapping[str, str]) -> Filters:
    """The inbox's filter arguments, checked: a malformed one is refused with the field named, never ignored
    (case_id and limit are the web layer's)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in TEXT_FILTERS:
        value = (args.get(name) or "").strip()
        if len(value) > 100:
            errors[name] = N_("Слишком длинное значение")
        values[name] = value or None
    importance = (args.get("importance") or "").strip() or None
    if importance is not None and importance not in IMPORTANCE:
        errors["importance"] = N_("Важность: high или normal")
    scope = (args.get("scope") or "").strip() or None
    if scope is not None and scope not in SCOPES:
        errors["scope"] = N_("Область: mine (мои) или body (все задачи органа)")
    overdue = (args.get("overdue") or "").strip()
    if overdue not in ("", "0", "1", "true", "false"):
        errors["overdue"] = N_("Просроченные: 1 или 0")
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY:
        errors["q"] = N_("Строка поиска: не более %(count)s символов", count=MAX_QUERY)
    if errors:
        raise Invalid(N_("Неверные параметры запроса"), fields=errors)
    return Filters(**values, importance=importance, overdue=overdue in ("1", "true"), scope=scope, q=q)


@dataclass(frozen=True)
class Row:
    """A task in the inbox with its timing in working time."""

    task: HumanTask
    timing: Timing


@dataclass
class Inbox:
    """The first `limit` open tasks by what is due first, the number of all that match, and counts per value."""

    rows: list[Row]
    total: int
    overdue: int
    filters: Filters
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # dimension -> value code -> tasks
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # dimension -> value code -> name

    @property
    def tasks(self) -> list[HumanTask]:
        """The tasks shown, in order."""
        return [row.task for row in self.rows]


def inbox(*, session: Session, user: User, clock: Clock, filters: Filters | None = None,
          limit: int = INBOX_PAGE, counted: bool = True) -> Inbox:
    """Curators see curator tasks; executors their own and the body's queue (or the whole body's with scope=body);
    a responsible official all of the body's; filtered, searched, sorted by deadline, untimed work by age. Without
    `counted`, only the total and the overdue are counted (the list refreshing itself shows no more)."""
    filters = filters or Filters()
    if user.role not in ("curator", "executor", "responsible"):
        return Inbox([], 0, 0, filters)
    ids = _reference(session, user.tenant_id)
    narrowing = _narrowing(session, filters, ids, clock.now())
    if narrowing is None:
        return Inbox([], 0, 0, filters, names=_names(ids))
    where = [HumanTask.state == "open", *_scope(HumanTask, user, filters), *narrowing]
    # The page's tasks first, then their cases and people: joined before the limit, every match would be joined.
    shown = list(session.scalars(select(HumanTask.id).where(*where).order_by(*_first_due(filters)).limit(limit)))
    loaded = {task.id: task for task in session.scalars(
        select(HumanTask).where(HumanTask.id.in_(shown))
        .options(joinedload(HumanTask.case).load_only(*SHOWN, raiseload=True),
                 defaultload(HumanTask.case).lazyload(Case.body), joinedload(HumanTask.assignee)))}
    tasks = [loaded[task_id] for task_id in shown]
    now = clock.now()
    timing = timing_of(session=session, tenant_id=user.tenant_id, tasks=tasks, now=now)
    rows = [Row(t, timing[t.id]) for t in tasks]
    if filters.narrowed:
        if not counted:
            total, overdue = session.connection().execute(select(
                func.count(), func.count(sql_case((HumanTask.due_at < now, 1)))).where(*where)).one()
            return Inbox(rows, total, overdue, filters, names=_names(ids))
        counts, steps, overdue = _counts(session, where, now, ids)
    else:  # the whole scope (or one step of it): the kept counts, and the overdue, which time alone changes
        counts, steps = _tallied(session, user, filters, ids)
        overdue = session.connection().execute(
            select(func.count()).where(*where, HumanTask.due_at < now)).scalar_one()
    return Inbox(rows, sum(counts["step"].values()), overdue, filters, counts, {**_names(ids), "step": steps})


def _first_due(filters: Filters) -> tuple[Any, ...]:
    """Due first, untimed work last by the message's age. A search sorts what it found: the same order, written so
    that no index yields it, because PostgreSQL cannot tell how many tasks a prefix search matches and would
    otherwise walk every task of the scope by deadline, reading each one's words (290 ms for a rare name)."""
    if filters.q:
        return HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.posted_at, HumanTask.id
    return HumanTask.due_at.asc().nulls_last(), HumanTask.posted_at, HumanTask.id


def _scope(of: Any, user: User, filters: Filters) -> list[ColumnElement[bool]]:
    """Whose open tasks the person sees, as conditions on `of` (HumanTask or InboxTally, which share these columns)."""
    scope = [of.tenant_id == user.tenant_id]
    if user.role == "curator":
        scope.append(of.role == "curator")
        if filters.scope == "mine":
            scope.append(of.assignee_id == user.id)
        return scope
    scope += [of.role == "executor", of.body_id == user.body_id]
    if filters.scope == "mine":
        scope.append(of.assignee_id == user.id)
    elif user.role == "executor" and filters.scope != "body":
        scope.append(of.assignee_id.is_(None) | (of.assignee_id == user.id))
    return scope


@dataclass(frozen=True)
class _Ids:
    """The tenant's reference values by code and by id (the inbox filters by code and stores ids)."""

    by_code: dict[str, dict[str, int]]
    by_id: dict[str, dict[int, tuple[str, str]]]


def _reference(session: Session, tenant_id: int) -> _Ids:
    lists = {
        "body": select(Body.id, Body.code, Body.short_name).where(Body.tenant_id == tenant_id),
        "theme": select(Theme.id, Theme.code, Theme.name).join(ThemeGroup).where(ThemeGroup.tenant_id == tenant_id),
        "location": select(Location.id, Location.code, Location.name).where(Location.tenant_id == tenant_id),
        "channel": select(Channel.id, Channel.code, Channel.name),
    }
    by_code: dict[str, dict[str, int]] = {}
    by_id: dict[str, dict[int, tuple[str, str]]] = {}
    for name, query in lists.items():
        rows = session.execute(query).all()
        by_code[name] = {code: id_ for id_, code, _ in rows}
        by_id[name] = {id_: (code, title) for id_, code, title in rows}
    return _Ids(by_code, by_id)


def _names(ids: _Ids) -> dict[str, dict[str, str]]:
    names = {dimension: {code: title for code, title in rows.values()} for dimension, rows in ids.by_id.items()}
    names["importance"] = {"high": N_("высокая"), "normal": N_("обычная")}
    return names


def _narrowing(session: Session, filters: Filters, ids: _Ids,
               now: datetime) -> list[ColumnElement[bool]] | None:
    """The filters as conditions; None when a filter names a value the tenant does not have (nothing matches)."""
    where: list[ColumnElement[bool]] = []
    if filters.step:
        where.append(HumanTask.step == filters.step)
    for name in ("body", "theme", "location", "channel"):
        code = getattr(filters, name)
        if code:
            if code not in ids.by_code[name]:
                return None
            where.append(DIMENSIONS[name] == ids.by_code[name][code])
    if filters.importance == "high":
        where.append(HumanTask.importance == "high")
    elif filters.importance == "normal":
        where.append(HumanTask.importance.is_distinct_from("high"))
    if filters.overdue:
        where.append(HumanTask.due_at < now)
    if filters.case_id is not None:
        where.append(HumanTask.case_id == filters.case_id)
    if filters.q:
        where.append(_search(session, filters.q))
    return where


def _search(session: Session, q: str) -> ColumnElement[bool]:
    """Tasks whose message or author has words beginning with each of the typed words, in any case: on PostgreSQL
    by the words an open task carries (human_task.words), on SQLite by the open messages' FTS5 table (both kept by
    triggers, migration 0025)."""
    words = WORD.findall(q.lower())
    if not words:
        return false()
    if session.get_bind().dialect.name == "postgresql":
        return literal_column("human_task.words").op("@@")(
            func.to_tsquery(literal_column("'simple'::regconfig"), " & ".join(f"{word}:*" for word in words)))
    match = " ".join(f'"{word}"*' for word in words)
    return HumanTask.case_id.in_(select(literal_column("rowid")).select_from(table("case_search"))
                                 .where(literal_column("case_search").op("MATCH")(match)))


def _tallied(session: Session, user: User, filters: Filters,
             ids: _Ids) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """Tasks per value of every dimension from the kept counts (services.inbox.tally), and the steps' names."""
    where = _scope(InboxTally, user, filters)
    if filters.step:
        where.append(InboxTally.step == filters.step)
    counts: dict[str, dict[str, int]] = {dimension: {} for dimension in DIMENSIONS}
    steps: dict[str, str] = {}
    for dimension, value, label, n in tallied(session, where):
        code = value if dimension in ("step", "importance") else _code(dimension, value and int(value), ids)
        counts[dimension][code or ""] = counts[dimension].get(code or "", 0) + n
        if dimension == "step" and value is not None:
            steps[value] = label or value
    return counts, steps


def _counts(session: Session, where: list[ColumnElement[bool]], now: datetime,
            ids: _Ids) -> tuple[dict[str, dict[str, int]], dict[str, str], int]:
    """Tasks per value of every dimension (and the steps' names), and the overdue ones: one pass on PostgreSQL
    (grouping sets), one statement of a pass per dimension on SQLite."""
    overdue = sql_case((HumanTask.due_at < now, "1"), else_="0")
    visible = select(*[column.label(name) for name, column in DIMENSIONS.items()], overdue.label("overdue"),
                     HumanTask.name).where(*where).subquery()
    columns = [visible.c[name] for name in (*DIMENSIONS, "overdue")]
    name = visible.c.name  # grouped with the step, which it names
    if session.get_bind().dialect.name == "postgresql":
        sets = func.grouping_sets(*[tuple_(c, name) if c.name == "step" else tuple_(c) for c in columns])
        query: Select[Any] = select(func.count(), name, *columns, *[func.grouping(c) for c in columns]).group_by(sets)
        found = [(c.name, row[2 + n], row[1], row[0]) for row in session.connection().execute(query)
                 for n, c in enumerate(columns) if row[2 + len(columns) + n] == 0]
    else:  # SQLite has no grouping sets: one grouped pass, its groups summed here per dimension
        tally: Counter[tuple[str, Any, str]] = Counter()
        for row in session.connection().execute(select(func.count(), name, *columns).group_by(name, *columns)):
            for n, c in enumerate(columns):
                tally[c.name, row[2 + n], row[1] if c.name == "step" else ""] += row[0]
        found = [(dimension, value, title, n) for (dimension, value, title), n in tally.items()]
    counts: dict[str, dict[str, int]] = {c.name: {} for c in columns}
    steps: dict[str, str] = {}
    for dimension, value, title, n in found:
        code = _code(dimension, value, ids)
        counts[dimension][code] = counts[dimension].get(code, 0) + n
        if dimension == "step":
            steps[code] = title
    return counts, steps, counts.pop("overdue").get("1", 0)


def _code(dimension: str, value: Any, ids: _Ids) -> str:
    if value is None:
        return ""
    if dimension in ids.by_id:
        return ids.by_id[dimension].get(value, ("", ""))[0]
    return str(value)


# The case's columns a task copies, and the task's names for them.
CLASSIFICATION = {"channel_id": "channel_id", "theme_id": "theme_id", "location_id": "location_id",
                  "importance": "importance", "socially_significant": "significant", "published_at": "posted_at"}
_CLASSIFY = update(HumanTask).where(HumanTask.id.in_(bindparam("task_ids", expanding=True))) \
    .values({name: bindparam(f"new_{name}") for name in CLASSIFICATION.values()})


def classify(*, session: Session, case: Case, tasks: Iterable[HumanTask]) -> None:
    """Copy the case's classification onto these open tasks of it, already loaded (after triage set it, or a later
    change): one Core UPDATE, the loaded rows take the values as stored."""
    values = classification(case)
    rows = list(tasks)
    session.connection().execute(_CLASSIFY, {"task_ids": [task.id for task in rows],
                                             **{f"new_{name}": value for name, value in values.items()}})
    for task in rows:
        for name, value in values.items():
            set_committed_value(task, name, value)


def classification(case: Case) -> dict[str, Any]:
    """The columns a new task of the case copies from it."""
    return {column: getattr(case, attribute) for attribute, column in CLASSIFICATION.items()}

