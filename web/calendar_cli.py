"""Command line: working time on the official production calendar (due, between, show); each command is one
transaction, in the command line's language (web.cli.say)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import click
from flask.cli import AppGroup

from engine.calendar import KIND_NAMES, CalendarError
from engine.texts import N_, joined, text_of
from services.calendars import calendar_resolver, resolve_body
from services.errors import ServiceError
from web.cli import fail, say, spoken, transaction


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(spoken(
            N_("«%(value)s» не является моментом ISO 8601, например 2026-03-06T12:00+03:00", value=value))) from None
    if moment.tzinfo is None:
        raise click.BadParameter(spoken(N_("«%(value)s»: укажите смещение часового пояса, например +03:00",
                                           value=value)))
    return moment


def _with_calendar(body: str | None, act: Callable[[Any], str]) -> None:
    try:
        with transaction() as session:
            tenant_id, code = resolve_body(session=session, body_code=body)
            say(act(calendar_resolver(session=session, tenant_id=tenant_id)(code)))
    except (CalendarError, ServiceError) as exc:
        fail(getattr(exc, "message", text_of(exc)))


def calendar_group() -> AppGroup:
    group = AppGroup("calendar", help="Working time on the official production calendar.")

    @group.command("due")
    @click.option("--start", required=True, help="ISO 8601 moment with offset.")
    @click.option("--hours", type=float, default=0, help="Working hours, fractions allowed (0.5 = 30 min).")
    @click.option("--minutes", type=int, default=0)
    @click.option("--days", type=int, default=0)
    @click.option("--body", default=None, help="Body code: its schedule and override days.")
    def due(start: str, hours: float, minutes: int, days: int, body: str | None) -> None:
        """Print the due moment a number of working hours, minutes or days after the start."""
        moment = _moment(start)
        if days and (hours or minutes):
            raise click.UsageError(spoken(N_("Укажите либо --days, либо --hours/--minutes")))
        if not (days or hours or minutes):
            raise click.UsageError(spoken(N_("Укажите срок: --hours, --minutes или --days")))

        def act(calendar: Any) -> str:
            if days:
                return str(calendar.add_working_days(moment, days).isoformat())
            return str(calendar.add_working_time(moment, timedelta(hours=hours, minutes=minutes)).isoformat())

        _with_calendar(body, act)

    @group.command("between")
    @click.argument("start")
    @click.argument("end")
    @click.option("--body", default=None)
    def between(start: str, end: str, body: str | None) -> None:
        """Print the working time between two moments as hours:minutes."""
        a, b = _moment(start), _moment(end)

        def act(calendar: Any) -> str:
            span = calendar.working_time_between(a, b)
            minutes = int(span.total_seconds() // 60)
            sign = "-" if minutes < 0 else ""
            return f"{sign}{abs(minutes) // 60}:{abs(minutes) % 60:02d}"

        _with_calendar(body, act)

    @group.command("show")
    @click.argument("year", type=int)
    @click.option("--body", default=None)
    def show(year: int, body: str | None) -> None:
        """List the year's non-working days, shortened days and working weekends."""

        def act(calendar: Any) -> str:
            return joined([_describe_day(info) for info in calendar.year_overview(year)], "\n")

        _with_calendar(body, act)

    return group


def _describe_day(info: Any) -> str:
    """One line of `calendar show`: date, kind, hours, title and where it comes from."""
    hours = [f"{info.start:%H:%M}-{info.end:%H:%M}"] if info.start and info.end else []
    return joined([f"{info.day:%d.%m.%Y}", KIND_NAMES.get(info.kind, info.kind), *hours, info.title,
                   f"[{info.source}]"], " ")
