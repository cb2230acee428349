"""Login throttling: failed logins are counted per account name and per client address in the database, so every
worker process sees the same counts; after a few failures each attempt must wait twice as long as the last, up to
a cap. Refusals are logged."""

from __future__ import annotations

import logging
from datetime import timedelta
from math import ceil

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.clock import Clock
from models import LoginFailure
from services.errors import TooManyAttempts

ACCOUNT_FREE = 5  # failures of one account name before attempts have to wait
ADDRESS_FREE = 20  # one address may be a whole office behind NAT
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)  # a counter with no failure for this long starts from zero again

log = logging.getLogger(__name__)


def throttle_keys(*, username: str, address: str | None) -> tuple[str, str]:
    """The counters an attempt is judged by: its account name's and its client address's."""
    return f"account:{username.strip().lower()[:150]}", f"address:{address or 'unknown'}"


def wait_after(key: str, failures: int) -> timedelta:
    """How long the next attempt waits after `failures` recent failures: 1 s, 2 s, 4 s, ... up to MAX_WAIT."""
    free = ACCOUNT_FREE if key.startswith("account:") else ADDRESS_FREE
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_WAIT)


def check_throttle(*, session: Session, clock: Clock, keys: tuple[str, ...]) -> None:
    """Raise TooManyAttempts while any of the keys must still wait."""
    now = clock.now()
    rows = session.execute(select(LoginFailure.key, LoginFailure.failures, LoginFailure.last_failure_at)
                           .where(LoginFailure.key.in_(keys))).all()
    until = max((at + wait_after(key, failures) for key, failures, at in rows if now - at < FORGET_AFTER),
                default=now)
    if until > now:
        retry_after = ceil((until - now).total_seconds())
        log.warning("login refused for %d s after repeated failures: %s", retry_after, " ".join(keys))
        raise TooManyAttempts(retry_after=retry_after)


def record_failure(*, session: Session, clock: Clock, keys: tuple[str, ...]) -> None:
    """Count a failed attempt against each key (atomically, whichever worker runs it); forget stale counters."""
    now = clock.now()
    forgotten = now - FORGET_AFTER
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    upsert = insert(LoginFailure).values([{"key": key, "failures": 1, "last_failure_at": now} for key in keys])
    session.execute(upsert.on_conflict_do_update(index_elements=[LoginFailure.key], set_={
        "failures": case((LoginFailure.last_failure_at < forgotten, 1), else_=LoginFailure.failures + 1),
        "last_failure_at": now}))
    session.execute(delete(LoginFailure).where(LoginFailure.last_failure_at < forgotten))


def clear_failures(*, session: Session, keys: tuple[str, ...]) -> None:
    """Forget the counters of these keys (a successful login clears its account name's)."""
    session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))
