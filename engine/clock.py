"""The only place that reads the system time; tests use a fixed, movable clock."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _spiff_timer

# Times are stored in UTC and shown to people in Moscow time (the oblast's zone).
MOSCOW = ZoneInfo("Europe/Moscow")


class Clock(Protocol):
    """Anything that tells the current aware time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to an aware moment."""
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move forward by a span."""
        self._now += delta


_SYSTEM = SystemClock()
_current: contextvars.ContextVar[Clock] = contextvars.ContextVar("otklik_clock")


class _EngineDatetime(datetime):
    """SpiffWorkflow's timer module calls datetime.now(); this answers from the clock in scope."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        moment = _current.get(_SYSTEM).now()
        return moment.astimezone(tz) if tz else moment


# SpiffWorkflow 3.2 reads the wall clock inside its timer definitions with no hook to inject one.
_spiff_timer.datetime = _EngineDatetime


@contextmanager
def clock_scope(clock: Clock) -> Iterator[None]:
    """Make SpiffWorkflow's timers see `clock` for the duration of an engine step."""
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)
