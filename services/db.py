"""Database engines and sessions: the SQLite recipe (WAL, BEGIN IMMEDIATE) and PostgreSQL."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any

from sqlalchemy import Engine, Insert, create_engine, event, insert, text
from sqlalchemy import inspect as inspect_mapped
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker


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

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")  # straight to the driver: every request runs it

    return engine


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
