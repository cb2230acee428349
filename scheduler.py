"""The timer worker: in-process in the embedded default, or alone in production (`python scheduler.py`)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from services.absences import apply_absences
from services.db import run_retrying
from services.inbox.tally import merge as merge_tallies
from services.integrity import sweep_stalled
from services.outbox import send_outbox, smtp_settings
from services.timers import fire_due_timers

log = logging.getLogger("otklik.scheduler")


def _sweep(app: Any) -> None:
    try:
        fired = fire_due_timers(sessions=app.extensions["otklik.sessions"], clock=app.config["CLOCK"])
        if fired:
            log.info("woke %d case(s) with due timers", fired)
        with app.extensions["otklik.sessions"]() as session:
            moved = run_retrying(partial(_move_absent, session, app.config["CLOCK"]), rollback=session.rollback,
                                 what="moving tasks of absent people")
        if moved:
            log.info("moved %d task(s) of absent people to their substitutes", moved)
    except Exception:
        log.exception("timer sweep failed; the next sweep retries")
    mail = smtp_settings(app.config)
    if mail is not None:
        try:  # e-mail has its own try: a mail server that is down must not stop the timers, nor they the mail
            sent = send_outbox(sessions=app.extensions["otklik.sessions"], clock=app.config["CLOCK"],
                               smtp_settings=mail)
            if sent:
                log.info("sent %d e-mail(s)", sent)
        except Exception:
            log.exception("e-mail sweep failed; the next sweep retries")


def _move_absent(session: Any, clock: Any) -> int:
    """Hand the tasks of absent people to their substitutes and commit."""
    moved = apply_absences(session=session, clock=clock)
    session.commit()
    return moved


def _find_stalled(app: Any) -> None:
    try:
        found = sweep_stalled(sessions=app.extensions["otklik.sessions"], clock=app.config["CLOCK"])
        if found:
            log.error("found %d stalled case(s); the administrators are notified", found)
    except Exception:
        log.exception("stalled-case sweep failed; the next sweep retries")


def _merge_tallies(app: Any) -> None:
    try:
        with app.extensions["otklik.sessions"]() as session:
            run_retrying(partial(_merge, session), rollback=session.rollback, what="merging the inbox's counts")
    except Exception:
        log.exception("merging the inbox's counts failed; the next run retries")


def _merge(session: Any) -> None:
    merge_tallies(session)
    session.commit()


def _add_job(scheduler: Any, app: Any) -> None:
    # A late sweep still runs (APScheduler would skip a run more than 1 s late); runs missed meanwhile merge into one.
    scheduler.add_job(_sweep, "interval", args=[app], seconds=app.config["OTKLIK_SCHEDULER_SECONDS"],
                      id="timers", max_instances=1, coalesce=True, misfire_grace_time=None)
    # Steps report the cases they leave stalled; this finds those stored before (or by a process that crashed).
    scheduler.add_job(_find_stalled, "interval", args=[app], minutes=app.config["OTKLIK_STALL_SWEEP_MINUTES"],
                      id="stalled", max_instances=1, coalesce=True, misfire_grace_time=None,
                      next_run_time=app.config["CLOCK"].now())
    # The inbox's counts grow a row per counted change; folding them keeps reading them cheap.
    scheduler.add_job(_merge_tallies, "interval", args=[app], minutes=1, id="tallies", max_instances=1, coalesce=True,
                      misfire_grace_time=None)


def start_in_process(app: Any) -> BackgroundScheduler:
    """Start sweeping inside the app process; the first sweep catches up timers that came due while down."""
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_job(scheduler, app)
    scheduler.start()
    app.extensions["otklik.scheduler"] = scheduler
    return scheduler


def main() -> None:
    """Run the worker alone, for production next to gunicorn."""
    from app import create_app

    logging.basicConfig(level=logging.INFO)
    app = create_app({"OTKLIK_SCHEDULER": False})
    scheduler = BlockingScheduler(timezone="UTC")
    _add_job(scheduler, app)
    _sweep(app)
    scheduler.start()


if __name__ == "__main__":
    main()
