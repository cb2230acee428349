"""Sending queued e-mail: claim due messages, deliver over SMTP, retry with back-off, give up after N attempts."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from models import OutboxMessage
from services.notifications import message_id

log = logging.getLogger("otklik.outbox")
MAX_ATTEMPTS = 8
# Retry after 1, 2, 4, ... minutes (1 + 2 + ... + 64 min, about 2 hours, over 8 attempts), at most 6 hours apart.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
# A claimed message is not due again for this long: a sender that died mid-batch has its messages retried then.
LEASE = timedelta(minutes=10)
TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
# Refusals of one letter; anything else (disconnects, timeouts) ends the connection and the batch.
PER_MESSAGE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
               smtplib.SMTPNotSupportedError)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send e-mail."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    tls: str = "starttls"  # starttls | ssl | none
    timeout: float = 20.0


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings | None:
    """SMTP settings from the app's config (SMTP_HOST, SMTP_PORT, ...), or None when e-mail is not configured."""
    host = str(config.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    tls = str(config.get("SMTP_TLS") or "starttls").strip().lower()
    if tls not in TLS_MODES:
        raise ValueError(f"SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {tls!r}")
    port = config.get("SMTP_PORT")
    return SmtpSettings(host=host, port=int(port) if port else DEFAULT_PORTS[tls],
                        sender=str(config.get("SMTP_FROM") or "otklik@localhost"),
                        user=config.get("SMTP_USER") or None, password=config.get("SMTP_PASSWORD") or None, tls=tls)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts: doubling from FIRST_RETRY."""
    return min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 20)), LONGEST_RETRY)


def claim_due(*, session: Session, now: datetime, limit: int, max_attempts: int = MAX_ATTEMPTS) -> list[int]:
    """Lease up to `limit` due unsent messages to this sender (SKIP LOCKED on PG); the caller commits."""
    query = (select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.available_at <= now,
                                         OutboxMessage.attempts < max_attempts)
             .order_by(OutboxMessage.available_at, OutboxMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        # Rows another sender holds are skipped, not waited for; on SQLite BEGIN IMMEDIATE makes this the only writer.
        query = query.with_for_update(skip_locked=True)
    rows = session.scalars(query.execution_options(populate_existing=True)).all()
    for row in rows:
        # The attempt counts from the claim, so a sender that dies while sending still uses one up.
        row.attempts += 1
        row.available_at = now + LEASE
    session.flush()
    return [row.id for row in rows]


def send_outbox(*, sessions: Callable[[], Session], clock: Clock, smtp_settings: SmtpSettings,
                limit: int = 50, max_attempts: int = MAX_ATTEMPTS) -> int:
    """One pass: send the due messages, each at least once; returns how many were sent."""
    with sessions() as session:
        claimed = claim_due(session=session, now=clock.now(), limit=limit, max_attempts=max_attempts)
        batch = [_letter(session.get_one(OutboxMessage, mid), smtp_settings.sender) for mid in claimed]
        session.commit()  # the lease is taken before any network I/O; no lock is held while talking SMTP
    if not batch:
        return 0
    sent = 0
    settled: set[int] = set()
    try:
        with _connect(smtp_settings) as smtp:
            for mid, letter in batch:
                try:
                    smtp.send_message(letter)
                except PER_MESSAGE as exc:  # this letter was refused; the connection goes on with the next
                    _failed(sessions, clock, mid, exc, max_attempts)
                else:
                    _sent(sessions, clock, mid)
                    sent += 1
                settled.add(mid)
    except (smtplib.SMTPException, OSError) as exc:
        # No connection, or it dropped: every letter of the batch not yet settled waits for its retry.
        for mid, _ in batch:
            if mid not in settled:
                _failed(sessions, clock, mid, exc, max_attempts)
    return sent


def _letter(row: OutboxMessage, sender: str) -> tuple[int, EmailMessage]:
    letter = EmailMessage()
    letter["From"] = sender
    letter["To"] = row.recipient
    letter["Subject"] = row.subject
    letter["Date"] = format_datetime(row.created_at)
    letter["Message-ID"] = message_id(row.idempotency_key)
    letter["X-Otklik-Key"] = row.idempotency_key
    letter.set_content(row.body)
    return row.id, letter


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An SMTP connection, secured and logged in as the settings say."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.tls == "ssl":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        smtp.ehlo()
        if settings.tls == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _sent(sessions: Callable[[], Session], clock: Clock, mid: int) -> None:
    with sessions() as session:
        row = session.get_one(OutboxMessage, mid)
        row.sent_at = clock.now()
        row.last_error = None
        session.commit()


def _failed(sessions: Callable[[], Session], clock: Clock, mid: int, exc: BaseException, max_attempts: int) -> None:
    with sessions() as session:
        row = session.get_one(OutboxMessage, mid)
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.available_at = clock.now() + retry_delay(row.attempts)
        if row.attempts >= max_attempts:
            log.error("e-mail %s to %s not sent after %d attempts, giving up: %s", row.idempotency_key,
                      row.recipient, row.attempts, row.last_error)
        else:
            log.warning("e-mail %s to %s failed (attempt %d), retrying at %s: %s", row.idempotency_key,
                        row.recipient, row.attempts, row.available_at.isoformat(), row.last_error)
        session.commit()
