"""Database engines and sessions: the SQLite recipe (WAL, BEGIN IMMEDIATE) and PostgreSQL."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


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


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
