"""Database engines and sessions: the SQLite recipe (WAL, BEGIN IMMEDIATE) and PostgreSQL; re-running a unit of
work after a deadlock."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Engine, Insert, Update, bindparam, create_engine, event, insert, text, update
from sqlalchemy import inspect as inspect_mapped
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

log = logging.getLogger("otklik.db")
T = TypeVar("T")
# PostgreSQL's serialization failure and deadlock: the transaction was sacrificed, running it again succeeds.
RETRIED_SQLSTATES = frozenset({"40001", "40P01"})
ATTEMPTS = 4
FIRST_PAUSE = 0.02  # seconds before the second attempt; doubled before each next one, jittered
# Every id column is an INTEGER: PostgreSQL's range (SQLite's is wider). A larger id names nothing and never reaches
# the database, whose driver would refuse it.
MAX_ID = 2**31 - 1


def parse_id(value: object) -> int | None:
    """An id sent as text: ASCII digits within the id range, else None."""
    digits = str(value if value is not None else "").strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) > len(str(MAX_ID)):
        return None
    number = int(digits)
    return number if number <= MAX_ID else None


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite apply the pragmas and explicit immediate transactions."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # pysqlite's own BEGIN handling loses updates between processes
        for pragma in ("busy_timeout=10000", "synchronous=NORMAL", "foreign_keys=ON"):
            dbapi_conn.execute(f"PRAGMA {pragma}")
        # Unicode lower case for the inbox's search (SQLite's own lower() folds ASCII only).
        dbapi_conn.create_function("otklik_fold", 1, _fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")  # straight to the driver: every request runs it

    return engine


def _fold(text: str | None) -> str | None:
    return text.lower() if text is not None else None


def concurrent_writers(session: Session) -> bool:
    """Whether another transaction can write between this one's statements: yes on PostgreSQL; no on SQLite,
    where the request began with BEGIN IMMEDIATE and is the only writer until it commits."""
    return session.get_bind().dialect.name != "sqlite"


def savepoint(session: Session) -> AbstractContextManager[object]:
    """A savepoint where another writer can interleave; on SQLite nothing can conflict mid-request."""
    return session.begin_nested() if concurrent_writers(session) else nullcontext()


def lock_transaction(session: Session, namespace: int, key: int) -> None:
    """Hold a lock on (namespace, key) until the transaction ends: a PostgreSQL advisory lock, which locks no row;
    on SQLite the transaction began with BEGIN IMMEDIATE and is already the only writer."""
    if concurrent_writers(session):
        session.connection().execute(_ADVISORY_LOCK, {"namespace": namespace, "key": key})


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:namespace, :key)")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def add_inserted(session: Session, obj: DeclarativeBase) -> None:
    """Insert a new object with one Core INSERT on the session's connection and add it to the session as loaded, so
    its id is known at once (a unit-of-work flush of one row costs three to four times as much). Columns left unset
    take their defaults on the object first, so nothing is read back."""
    mapper = inspect_mapped(type(obj))
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key:
            continue
        if prop.key not in obj.__dict__:
            assert column.server_default is None, f"{column} is filled in by the database"
            default = column.default
            setattr(obj, prop.key, None if default is None else
                    default.arg(None) if default.is_callable else default.arg)
        values[column.key] = obj.__dict__[prop.key]
    new_id = session.connection().execute(_insert(type(obj)), values).scalar_one()
    setattr(obj, mapper.get_property_by_column(mapper.primary_key[0]).key, new_id)
    make_transient_to_detached(obj)
    session.add(obj)


@cache
def _insert(model: type[DeclarativeBase]) -> Insert:
    """The INSERT of a model's row returning its id, built once per model."""
    return insert(model).returning(inspect_mapped(model).primary_key[0])


def update_loaded(session: Session, obj: DeclarativeBase, changes: Mapping[str, Any]) -> None:
    """Write changes of a loaded object's columns with one Core UPDATE by its primary key on the session's
    connection; the object takes them as stored (a unit-of-work flush of them costs several times as much). Not for
    a row whose version is checked (services.workflow.write_case)."""
    mapper = inspect_mapped(type(obj))
    row_id = getattr(obj, mapper.get_property_by_column(mapper.primary_key[0]).key)
    session.connection().execute(_update(type(obj), tuple(changes)),
                                 {"row_id": row_id, **{f"new_{k}": v for k, v in changes.items()}})
    for name, value in changes.items():
        set_committed_value(obj, name, value)


@cache
def _update(model: type[DeclarativeBase], columns: tuple[str, ...]) -> Update:
    """The UPDATE of these columns of a model's row by its primary key, built once per model and columns."""
    key = inspect_mapped(model).primary_key[0]
    return update(model).where(key == bindparam("row_id")).values({name: bindparam(f"new_{name}") for name in columns})


def retryable(exc: BaseException) -> bool:
    """Whether the error is a serialization failure or a deadlock, which running the whole transaction again cures."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in RETRIED_SQLSTATES


def run_retrying(unit: Callable[[], T], *, rollback: Callable[[], None], what: str, attempts: int = ATTEMPTS) -> T:
    """Run a unit of work that ends with its commit; after a serialization failure or deadlock roll it back and run it
    again, `attempts` times in all, pausing a little longer (and at random) each time; the last failure is raised."""
    for attempt in range(1, attempts):
        try:
            return unit()
        except DBAPIError as exc:
            if not retryable(exc):
                raise
            rollback()
            log.warning("%s: %s (SQLSTATE %s), running it again (attempt %d of %d)", what,
                        type(exc.orig).__name__, getattr(exc.orig, "sqlstate", None), attempt + 1, attempts)
            time.sleep(FIRST_PAUSE * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    return unit()


def empty_database(url: str) -> None:
    """Drop every table of a PostgreSQL database, for tests and benchmarks that start from nothing (a new SQLite file
    is empty anyway)."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
