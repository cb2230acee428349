"""E-mail through the outbox to a real SMTP server on loopback: delivered once, retried after failures, deduplicated."""

from __future__ import annotations

import email
import email.header
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import create_app
from engine.clock import FixedClock
from engine.texts import Text
from models import OutboxMessage, User
from scheduler import _sweep
from services.notifications import MAIL_ENABLED, enqueue_mail, message_id, notify
from services.outbox import LEASE, SmtpSettings, claim_due, retry_delay, send_outbox, smtp_settings
from tests.conftest import login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

LEADER_MAIL = "leader@lenreg.example"


class Mailbox:
    """An aiosmtpd handler that keeps what arrives and can refuse the next few letters with a 451."""

    def __init__(self) -> None:
        self.letters: list[Message] = []
        self.refuse = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.letters.append(email.message_from_bytes(envelope.original_content))
        return "250 2.0.0 OK"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"otklik", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, SmtpSettings]]:
    """A real SMTP server on 127.0.0.1 at a free port, and the settings that reach it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, SmtpSettings(host="127.0.0.1", port=controller.port, sender="otklik@lenreg.example",
                                    tls="none", timeout=5)
    finally:
        controller.stop()


def mail_session(sessions: Any) -> Session:
    """A session whose notifications also queue e-mail, as when SMTP is configured."""
    return sessions(info={MAIL_ENABLED: True})


def queue(sessions: Any, clock: FixedClock, number: int = 1) -> list[str]:
    """Notify the leader `number` times with e-mail on; returns the idempotency keys."""
    with mail_session(sessions) as session:
        leader = session.scalar(select(User).where(User.username == "leader"))
        assert leader is not None
        for n in range(number):
            notify(session=session, people=[leader], kind="surge", text=Text(f"Всплеск № {n}"), now=clock.now())
        session.flush()
        keys = list(session.scalars(select(OutboxMessage.idempotency_key).order_by(OutboxMessage.id)))
        session.commit()
        return keys


def outbox(sessions: Callable[[], Session]) -> list[OutboxMessage]:
    """Every queued message, oldest first."""
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def leader_mail(app: Flask, sessions: Any) -> Iterator[str]:
    """For one test only the leader has an e-mail address (people outlive tests: their own come back after)."""
    with sessions() as session:
        addresses = dict(session.execute(select(User.id, User.email).where(User.email.is_not(None))).all())
        session.execute(update(User).values(email=None))
        session.execute(update(User).where(User.username == "leader").values(email=LEADER_MAIL))
        session.commit()
    yield LEADER_MAIL
    with sessions() as session:
        session.execute(update(User).values(email=None))
        for user_id, address in addresses.items():
            session.execute(update(User).where(User.id == user_id).values(email=address))
        session.commit()


@pytest.mark.parametrize(("language", "subject", "footer"), [
    ("ru", "Общественно значимое сообщение (п. 14): случай № %s", "Отклик: все уведомления в разделе «Уведомления»."),
    ("en", "Socially significant message (cl. 14): case No. %s",
     "Otklik: all notifications are under «Notifications».")])
def test_socially_significant_message_mails_the_leader_once(app: Flask, clock: FixedClock, sessions: Any,
                                                            smtp_server: tuple[Mailbox, SmtpSettings],
                                                            leader_mail: str, language: str, subject: str,
                                                            footer: str) -> None:
    """The leader's letter comes once, in the language they last chose (Russian unless they switched)."""
    mailbox, settings = smtp_server
    # The app as deployed with SMTP_* set: its notifications queue e-mail and its sweep sends it.
    kept = ("DATABASE_URL", "SECRET_KEY", "TESTING", "SESSION_COOKIE_SECURE")
    mailing = create_app({**{k: app.config[k] for k in kept}, "CLOCK": clock, "WTF_CSRF_ENABLED": False,
                          "OTKLIK_SCHEDULER": False, "SMTP_HOST": settings.host, "SMTP_PORT": settings.port,
                          "SMTP_TLS": "none", "SMTP_FROM": settings.sender})
    try:
        if language == "en":
            assert login(mailing, "leader").post("/lang/en").status_code == 302
        curator = login(mailing, "curator")
        case_id = register(curator)
        triage = open_inbox_task(curator, "Отбор и классификация сообщения")
        response = curator.post(f"/tasks/{triage}", data={**TRIAGE, "socially_significant": "on"})
        assert response.status_code == 302
        [queued] = outbox(sessions)  # nobody else has an address
        assert (queued.recipient, queued.sent_at) == (leader_mail, None)

        _sweep(mailing)
        _sweep(mailing)
    finally:
        mailing.extensions["otklik.engine"].dispose()
    assert len(mailbox.letters) == 1, "delivered once"
    letter = mailbox.letters[0]
    assert letter["To"] == leader_mail and letter["From"] == "otklik@lenreg.example"
    assert str(email.header.make_header(email.header.decode_header(letter["Subject"]))) == subject % case_id
    assert letter["Message-ID"] == message_id(queued.idempotency_key)
    payload = letter.get_payload(decode=True)
    assert isinstance(payload, bytes) and "Нет горячей воды третий день" in payload.decode("utf-8")  # as written
    assert payload.decode("utf-8").rstrip().endswith(footer)
    [sent] = outbox(sessions)
    assert (sent.attempts, sent.sent_at, sent.last_error) == (1, clock.now(), None)


def test_no_mail_is_queued_without_smtp(app: Flask, sessions: Any, leader_mail: str) -> None:
    curator = login(app, "curator")
    register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data={**TRIAGE, "socially_significant": "on"}).status_code == 302
    assert outbox(sessions) == []
    assert smtp_settings(app.config) is None


def test_a_refused_letter_is_retried_with_back_off(app: Flask, clock: FixedClock, sessions: Any,
                                                  smtp_server: tuple[Mailbox, SmtpSettings],
                                                  leader_mail: str) -> None:
    mailbox, settings = smtp_server
    queue(sessions, clock)
    mailbox.refuse = 2

    assert send_outbox(sessions=sessions, clock=clock, smtp_settings=settings) == 0
    [row] = outbox(sessions)
    assert row.attempts == 1 and row.sent_at is None and "451" in (row.last_error or "")
    assert row.available_at == clock.now() + timedelta(minutes=1)
    assert send_outbox(sessions=sessions, clock=clock, smtp_settings=settings) == 0, "not due before its retry"
    assert outbox(sessions)[0].attempts == 1

    clock.advance(timedelta(minutes=1))
    assert send_outbox(sessions=sessions, clock=clock, smtp_settings=settings) == 0
    assert outbox(sessions)[0].available_at == clock.now() + timedelta(minutes=2), "the wait doubles"

    clock.advance(timedelta(minutes=2))
    assert send_outbox(sessions=sessions, clock=clock, smtp_settings=settings) == 1
    [row] = outbox(sessions)
    assert (row.attempts, row.sent_at, row.last_error) == (3, clock.now(), None)
    assert len(mailbox.letters) == 1


def test_an_unreachable_server_fails_the_whole_batch_for_later(app: Flask, clock: FixedClock, sessions: Any,
                                                             leader_mail: str) -> None:
    queue(sessions, clock, 3)
    nobody = SmtpSettings(host="127.0.0.1", port=free_port(), sender="otklik@lenreg.example", tls="none", timeout=2)
    assert send_outbox(sessions=sessions, clock=clock, smtp_settings=nobody) == 0
    rows = outbox(sessions)
    assert [(r.attempts, r.sent_at) for r in rows] == [(1, None)] * 3
    assert all("ConnectionRefusedError" in (r.last_error or "") for r in rows)


def test_gives_up_after_the_last_attempt(app: Flask, clock: FixedClock, sessions: Any,
                                         smtp_server: tuple[Mailbox, SmtpSettings], leader_mail: str) -> None:
    mailbox, settings = smtp_server
    queue(sessions, clock)
    mailbox.refuse = 100
    for _ in range(5):
        send_outbox(sessions=sessions, clock=clock, smtp_settings=settings, max_attempts=3)
        clock.advance(timedelta(days=1))
    [row] = outbox(sessions)
    assert (row.attempts, row.sent_at) == (3, None) and "451" in (row.last_error or "")
    assert retry_delay(1) == timedelta(minutes=1) and retry_delay(4) == timedelta(minutes=8)
    assert retry_delay(30) == timedelta(hours=6)


def test_a_sender_that_died_mid_batch_leaves_its_letters_for_the_next(app: Flask, clock: FixedClock, sessions: Any,
                                                                      smtp_server: tuple[Mailbox, SmtpSettings],
                                                                      leader_mail: str) -> None:
    mailbox, settings = smtp_server
    queue(sessions, clock, 2)
    with sessions() as session:  # claimed, then the process died before sending
        assert len(claim_due(session=session, now=clock.now(), limit=10)) == 2
        session.commit()
    assert send_outbox(sessions=sessions, clock=clock, smtp_settings=settings) == 0, "leased to the dead sender"
    clock.advance(LEASE)
    assert send_outbox(sessions=sessions, clock=clock, smtp_settings=settings) == 2
    assert [r.attempts for r in outbox(sessions)] == [2, 2]
    assert len(mailbox.letters) == 2


def test_one_key_one_letter_even_with_two_senders(app: Flask, clock: FixedClock, sessions: Any,
                                                  smtp_server: tuple[Mailbox, SmtpSettings],
                                                  leader_mail: str) -> None:
    mailbox, settings = smtp_server
    with sessions() as session:
        first = enqueue_mail(session=session, key="report:2026-11", recipient=leader_mail, subject="Сводка",
                             body="Сводка за ноябрь", now=clock.now())
        again = enqueue_mail(session=session, key="report:2026-11", recipient=leader_mail, subject="Сводка",
                             body="Сводка за ноябрь", now=clock.now())
        session.commit()
        assert again.id == first.id
    queue(sessions, clock, 30)
    assert len({row.idempotency_key for row in outbox(sessions)}) == 31

    results: list[int] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            while sent := send_outbox(sessions=sessions, clock=clock, smtp_settings=settings, limit=4):
                results.append(sent)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    workers = [threading.Thread(target=sender) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert sum(results) == 31
    ids = [letter["Message-ID"] for letter in mailbox.letters]
    assert len(ids) == 31 and len(set(ids)) == 31, "every letter arrived exactly once"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.sent_at.is_(None))) == 0


def test_logs_in_when_a_user_is_set(app: Flask, clock: FixedClock, sessions: Any, leader_mail: str) -> None:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), authenticator=_authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        settings = SmtpSettings(host="127.0.0.1", port=controller.port, sender="otklik@lenreg.example", tls="none",
                                user="otklik", password="wrong", timeout=5)
        queue(sessions, clock)
        assert send_outbox(sessions=sessions, clock=clock, smtp_settings=settings) == 0
        assert "SMTPAuthenticationError" in (outbox(sessions)[0].last_error or "")
        clock.advance(timedelta(minutes=1))
        good = SmtpSettings(**{**settings.__dict__, "password": "s3cret"})
        assert send_outbox(sessions=sessions, clock=clock, smtp_settings=good) == 1
    finally:
        controller.stop()
    assert len(mailbox.letters) == 1


def test_settings_from_the_environment_names() -> None:
    assert smtp_settings({"SMTP_HOST": ""}) is None
    assert smtp_settings({"SMTP_HOST": "mail.lenreg.ru"}) == SmtpSettings(host="mail.lenreg.ru", port=587,
                                                                         sender="otklik@localhost")
    assert smtp_settings({"SMTP_HOST": "mail", "SMTP_TLS": "ssl", "SMTP_USER": "u", "SMTP_PASSWORD": "p",
                          "SMTP_FROM": "a@b"}) == SmtpSettings(host="mail", port=465, sender="a@b", user="u",
                                                               password="p", tls="ssl")
    with pytest.raises(ValueError, match="SMTP_TLS"):
        smtp_settings({"SMTP_HOST": "mail", "SMTP_TLS": "yes"})
