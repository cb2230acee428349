"""Notifications: who hears of what (new task, returned draft, deadlines, surge, clause 14) in-app and by e-mail."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from engine.clock import MOSCOW
from engine.texts import N_, Text
from models import (
    Body,
    Case,
    HumanTask,
    LeadershipAlert,
    Location,
    Notification,
    OutboxMessage,
    SurgeAlert,
    Theme,
    User,
)
from services.errors import NotFound
from services.language import in_language

# Session.info key: set on the app's sessionmaker when SMTP is configured, so notifications also queue e-mail.
MAIL_ENABLED = "otklik.mail"
# Kinds of notification and the subject line of their e-mail (in the recipient's language).
SUBJECTS = {
    "new_task": N_("Новая задача"),
    "draft_returned": N_("Проект ответа возвращён на доработку"),
    "deadline_warning": N_("Подходит срок"),
    "escalation": N_("Подходит срок в органе (копия ответственному лицу)"),
    "overdue": N_("Срок нарушен"),
    "surge": N_("Всплеск активности (п. 14)"),
    "socially_significant": N_("Общественно значимое сообщение (п. 14)"),
    "stalled": N_("Случай остановился"),
    "library_refused": N_("Файлы процессов отклонены"),
}
PAGE_SIZE = 200
# A returned draft's rework task is announced by the "draft returned" notice, which carries the curator's comment.
REWORK_STEP = "rework"


class Person(Protocol):
    """Someone a notification goes to: a loaded user, or a recipient read for notifying."""

    @property
    def id(self) -> int: ...

    @property
    def full_name(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def active(self) -> bool: ...

    @property
    def language(self) -> str | None: ...


@dataclass(frozen=True)
class Recipient:
    """A person read with Core for notifying: nothing else of the user is needed."""

    id: int
    full_name: str
    email: str | None
    active: bool
    body_id: int | None
    language: str | None


def notify(*, session: Session, people: Iterable[Person], kind: str, text: str, now: datetime,
           case_id: int | None = None, surge_alert_id: int | None = None) -> list[Notification]:
    """Notify each active person once: an in-app row (the Text's msgid and parameters, read in each reader's
    language), and an e-mail in the person's language (services.language; Russian unless they chose English) through
    the outbox when mail is on."""
    assert kind in SUBJECTS and isinstance(text, Text), kind
    unique = {person.id: person for person in people if person.active}
    rows = [Notification(user_id=person.id, case_id=case_id, kind=kind, text=text.msgid, params=text.stored(),
                         created_at=now, surge_alert_id=surge_alert_id) for person in unique.values()]
    session.add_all(rows)
    if not rows or not session.info.get(MAIL_ENABLED):
        return rows
    session.flush()  # the ids make the e-mails' idempotency keys
    subject = N_("%(subject)s: случай № %(case)s", subject=SUBJECTS[kind], case=case_id) if case_id \
        else SUBJECTS[kind]
    body = N_("%(text)s\n\n—\nОтклик: все уведомления в разделе «Уведомления».", text=text)
    for row in rows:
        person = unique[row.user_id]
        email = (person.email or "").strip()
        if email:
            language = person.language or "ru"
            enqueue_mail(session=session, key=f"notification:{row.id}", recipient=email,
                         subject=in_language(subject, language), body=in_language(body, language), now=now)
    return rows


def enqueue_mail(*, session: Session, key: str, recipient: str, subject: str, body: str,
                 now: datetime) -> OutboxMessage:
    """Queue an e-mail once per idempotency key; the same key again returns the queued message."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(idempotency_key=key, recipient=recipient, subject=subject[:300], body=body,
                            created_at=now, available_at=now, attempts=0)
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # a concurrent transaction queued the same key first
        found = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        assert found is not None
        return found
    return message


def message_id(key: str) -> str:
    """A Message-ID derived from the idempotency key, so a resent copy is recognisably the same letter."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@otklik>"


# Who hears of what.

# People to notify are read as recipients with Core (every new task reads them; the ORM's loading of users costs
# several times the statement).
_RECIPIENT = (User.id, User.full_name, User.email, User.active, User.body_id, User.language)
_TENANT_PEOPLE = select(*_RECIPIENT).where(User.tenant_id == bindparam("tenant_id"), User.role == bindparam("role"),
                                           User.active).order_by(User.id)
_LIBRARY_PEOPLE = select(*_RECIPIENT).where(User.role.in_(("admin", "methodologist")), User.active).order_by(User.id)
_BODY_PEOPLE = select(*_RECIPIENT).where(User.body_id.in_(bindparam("body_ids", expanding=True)),
                                         User.role == bindparam("role"), User.active).order_by(User.id)


def _recipients(session: Session, query: Select[int, str, str | None, bool, int | None, str | None],
                params: dict[str, object]) -> list[Recipient]:
    """The people a query finds."""
    return [Recipient(*row) for row in session.connection().execute(query, params)]


def curators(session: Session, tenant_id: int) -> list[Recipient]:
    """The tenant's curators."""
    return _recipients(session, _TENANT_PEOPLE, {"tenant_id": tenant_id, "role": "curator"})


def leaders(session: Session, tenant_id: int) -> list[Recipient]:
    """The tenant's leadership."""
    return _recipients(session, _TENANT_PEOPLE, {"tenant_id": tenant_id, "role": "leader"})


def administrators(session: Session, tenant_id: int) -> list[Recipient]:
    """The tenant's administrators."""
    return _recipients(session, _TENANT_PEOPLE, {"tenant_id": tenant_id, "role": "admin"})


def library_people(session: Session) -> list[Recipient]:
    """Everyone who answers for the process library: administrators and methodologists of every tenant."""
    return _recipients(session, _LIBRARY_PEOPLE, {})


def body_people(session: Session, body_id: int | None, role: str) -> list[Recipient]:
    """A body's active people of one role (executor | responsible)."""
    if body_id is None:
        return []
    return _recipients(session, _BODY_PEOPLE, {"body_ids": [body_id], "role": role})


def task_people(session: Session, task: HumanTask) -> Sequence[Person]:
    """Who works on a task: its assignee if any, else the body's executors, or the curators for curator tasks."""
    if task.assignee_id is not None:
        assignee = session.get(User, task.assignee_id)
        if assignee is not None and assignee.active:
            return [assignee]
    if task.role == "curator":
        return curators(session, task.tenant_id)
    return body_people(session, task.body_id, "executor")


def _moment(moment: datetime | None) -> str:
    return moment.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M") if moment else ""


def _step(task: HumanTask | None) -> str:
    """The step a deadline belongs to: a task's name (a library text), or the reply as a whole."""
    return task.name if task else N_("ответ по сообщению")


def notify_opened_tasks(*, session: Session, case: Case, tasks: Sequence[HumanTask], actor: User | None,
                        now: datetime) -> None:
    """A new task: its assignee, else the body's executors, or the curators; never the person who just acted."""
    # Everyone is looked up before anything is added, so the lookups do not flush one task's rows at a time;
    # the executors of every body with an unassigned task (the 8.9 fan-out opens one per body) in one query.
    tasks = [task for task in tasks if task.step != REWORK_STEP]
    queues = {t.body_id for t in tasks if t.assignee_id is None and t.role == "executor" and t.body_id is not None}
    queued: dict[int | None, list[Recipient]] = {body_id: [] for body_id in queues}
    for person in _recipients(session, _BODY_PEOPLE, {"body_ids": list(queues), "role": "executor"}) if queues else []:
        queued[person.body_id].append(person)
    looked_up: dict[tuple[int | None, int | None, str], Sequence[Person]] = {
        (None, body_id, "executor"): people for body_id, people in queued.items()}
    recipients = []
    for task in tasks:
        key = (task.assignee_id, task.body_id, task.role)
        if key not in looked_up:
            looked_up[key] = task_people(session, task)
        recipients.append((task, looked_up[key]))
    for task, people in recipients:
        text = N_("Новая задача «%(step)s» по случаю № %(case)s, срок %(due)s", step=task.name, case=case.id,
                  due=_moment(task.due_at)) if task.due_at else \
            N_("Новая задача «%(step)s» по случаю № %(case)s", step=task.name, case=case.id)
        notify(session=session, people=[p for p in people if actor is None or p.id != actor.id], kind="new_task",
               case_id=case.id, now=now, text=text)


def notify_draft_returned(*, session: Session, case: Case, body_id: int | None, comment: str | None,
                          now: datetime) -> None:
    """A returned draft: whoever has the rework task, else the body's executors."""
    rework = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == "open",
                                                     HumanTask.step == REWORK_STEP)).all()
    tasks = [t for t in rework if t.body_id == body_id] or list(rework)
    people = [p for task in tasks for p in task_people(session, task)] or body_people(session, body_id, "executor")
    text = N_("Проект ответа по случаю № %(case)s возвращён на доработку: %(comment)s", case=case.id,
              comment=comment) if comment else \
        N_("Проект ответа по случаю № %(case)s возвращён на доработку", case=case.id)
    notify(session=session, people=people, kind="draft_returned", case_id=case.id, now=now, text=text)


def notify_deadline(*, session: Session, case: Case, task: HumanTask | None, body_id: int | None,
                    due: datetime | None, now: datetime) -> None:
    """80 % of a step's time is gone: the body's executors, with a copy to its responsible official (escalation)."""
    text = N_("Подходит срок: случай № %(case)s, шаг «%(step)s», срок %(due)s", case=case.id, step=_step(task),
              due=_moment(due))
    if body_id is None or (task is not None and task.role == "curator"):
        notify(session=session, people=curators(session, case.tenant_id), kind="deadline_warning", text=text,
               case_id=case.id, now=now)
        return
    notify(session=session, people=body_people(session, body_id, "executor"), kind="deadline_warning", text=text,
           case_id=case.id, now=now)
    body = session.get(Body, body_id)
    if body is not None:
        text = N_("Подходит срок в органе «%(body)s»: случай № %(case)s, шаг «%(step)s», срок %(due)s",
                  body=body.short_name, case=case.id, step=_step(task), due=_moment(due))
    notify(session=session, people=body_people(session, body_id, "responsible"), kind="escalation", case_id=case.id,
           now=now, text=text)


def notify_overdue(*, session: Session, case: Case, task: HumanTask | None, body_id: int | None,
                   due: datetime | None, clause: str, now: datetime) -> None:
    """A missed deadline: the body's executors and responsible official, and the curators."""
    people = curators(session, case.tenant_id)
    if body_id is not None and (task is None or task.role != "curator"):
        people = body_people(session, body_id, "executor") + body_people(session, body_id, "responsible") + people
    text = N_("Срок нарушен (п. %(clause)s): случай № %(case)s, шаг «%(step)s», срок был %(due)s", clause=clause,
              case=case.id, step=_step(task), due=_moment(due)) if clause else \
        N_("Срок нарушен: случай № %(case)s, шаг «%(step)s», срок был %(due)s", case=case.id, step=_step(task),
           due=_moment(due))
    notify(session=session, people=people, kind="overdue", case_id=case.id, now=now, text=text)


def alert_leadership(*, session: Session, tenant_id: int, kind: str, text: str, now: datetime,
                     case_id: int | None = None, surge_alert_id: int | None = None) -> list[Recipient]:
    """A clause-14 event: every leader of the tenant hears of it at once (in-app and e-mail), and it stays on the
    leaders' dashboard until one of them acknowledges it; returns who was told."""
    people = leaders(session, tenant_id)
    notify(session=session, people=people, kind=kind, text=text, now=now, case_id=case_id,
           surge_alert_id=surge_alert_id)
    assert isinstance(text, Text)
    session.add(LeadershipAlert(tenant_id=tenant_id, kind=kind, case_id=case_id, surge_alert_id=surge_alert_id,
                                text=text.msgid, params=text.stored(), raised_at=now))
    return people


def notify_leadership(*, session: Session, case: Case, now: datetime) -> list[Recipient]:
    """A socially significant message (clause 14): the leadership, at once; returns who was told."""
    excerpt = case.text if len(case.text) <= 300 else case.text[:299] + "…"
    text = N_("Общественно значимое сообщение (п. 14), случай № %(case)s: %(author)s, %(channel)s, %(url)s — "
              "«%(excerpt)s»", case=case.id, author=case.author, channel=case.channel.name, url=case.url,
              excerpt=excerpt)
    return alert_leadership(session=session, tenant_id=case.tenant_id, kind="socially_significant", case_id=case.id,
                            now=now, text=text)


def notify_stalled(*, session: Session, case: Case, now: datetime) -> None:
    """Tell the administrators that an open case waits for nothing and how to move it on."""
    notify(session=session, people=administrators(session, case.tenant_id), kind="stalled", now=now, case_id=case.id,
           text=N_("Случай № %(case)s остановился: в процессе нет ни задачи, ни срока, ни ожидаемого события. "
                   "Восстановите его в разделе «Остановившиеся случаи».", case=case.id))


def surge_text(alert: SurgeAlert, name: str, hours: float) -> str:
    """What curators read about a surge."""
    where = N_("на тему «%(name)s»", name=name) if alert.dimension == "theme" else \
        N_("в локации «%(name)s»", name=name)
    return N_("Всплеск активности (п. 14): %(messages)s за %(hours)s ч %(where)s, с %(start)s по %(end)s",
              messages=messages(alert.count), hours=f"{hours:g}", where=where, start=_moment(alert.window_start),
              end=_moment(alert.window_end))


def messages(count: int) -> str:
    """«1 сообщение», «2 сообщения» or «5 сообщений» (a surge counts at least two, so English always has a plural)."""
    if count % 10 == 1 and count % 100 != 11:
        return N_("%(count)s сообщение", count=count)
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return N_("%(count)s сообщения", count=count)
    return N_("%(count)s сообщений", count=count)


def alert_value_name(session: Session, alert: SurgeAlert) -> str:
    """The theme's or location's name an alert is about."""
    if alert.dimension == "theme":
        name = session.scalar(select(Theme.name).where(Theme.code == alert.value))
    else:
        name = session.scalar(select(Location.name).where(Location.tenant_id == alert.tenant_id,
                                                          Location.code == alert.value))
    return name or alert.value


# The notification centre.

@dataclass(frozen=True)
class NotificationItem:
    """One notification as the centre lists it, with the surge alert it announces, if any."""

    notification: Notification
    surge: SurgeAlert | None = None


def unread_count(*, session: Session, user: User) -> int:
    """How many of the person's notifications are unread."""
    return int(session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id,
                                                                      Notification.read_at.is_(None))) or 0)


def notification_centre(*, session: Session, user: User, limit: int = PAGE_SIZE) -> list[NotificationItem]:
    """The person's notifications, newest first."""
    rows = session.scalars(select(Notification).where(Notification.user_id == user.id)
                           .options(joinedload(Notification.surge_alert))
                           .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return [NotificationItem(n, n.surge_alert) for n in rows]


def open_notification(*, session: Session, user: User, notification_id: int, now: datetime) -> NotificationItem:
    """Mark one of the person's notifications read and return it with the surge alert it announces."""
    row = mark_read(session=session, user=user, notification_id=notification_id, now=now)
    return NotificationItem(row, row.surge_alert)


def mark_read(*, session: Session, user: User, notification_id: int, now: datetime) -> Notification:
    """Mark one of the person's notifications read."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound(N_("Уведомление не найдено"))
    if row.read_at is None:
        row.read_at = now
        session.flush()
    return row


def mark_all_read(*, session: Session, user: User, now: datetime) -> int:
    """Mark every unread notification of the person read; returns how many."""
    result = session.execute(update(Notification).where(Notification.user_id == user.id,
                                                        Notification.read_at.is_(None)).values(read_at=now))
    return int(getattr(result, "rowcount", 0) or 0)
