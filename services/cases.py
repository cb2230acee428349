"""Intake of messages and what a case page shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import ColumnElement, bindparam, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload

from engine.clock import MOSCOW, Clock
from engine.forms import parse_moment as parse_text_moment
from engine.texts import N_
from models import Case, CaseEvent, CaseLink, Channel, Draft, HumanTask, Location, Theme, User
from services.db import add_inserted, savepoint
from services.errors import Duplicate, Forbidden, Invalid, NotFound
from services.lexicon import detect_flags
from services.library.versions import CASE_PROCESS, bundle_for, current_version_id, version_number
from services.parts import BodyPart, body_parts, composer_decision
from services.workflow import add_event, apply_snapshot, run_step, runner_for

TENANT_WIDE_ROLES = ("curator", "admin", "leader", "methodologist")
MAX_TEXT = 20_000
MAX_ATTACHMENTS = 20


def normalize_link(url: str) -> str:
    """The identity of a post's link: scheme, www., mobile host, fragment and tracking parameters ignored."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m."):
        host = host.removeprefix(prefix)
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not k.startswith("utm_")))
    return urlunsplit(("", host, parts.path.rstrip("/"), query, ""))


def parse_moment(value: Any) -> datetime:
    """An aware moment from a form or JSON value; a time without a zone is Moscow time; ValueError outside the years
    a moment may lie in."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=MOSCOW)
    return parse_text_moment(str(value).strip())


_CHANNEL = select(Channel).where(Channel.code == bindparam("code"))
_CASE_OF_LINK = select(Case.id).where(Case.tenant_id == bindparam("tenant_id"), Case.url_key == bindparam("url_key"))


def register_message(*, session: Session, clock: Clock, actor: User, source: str, channel: Any, url: Any,
                     author: Any, text: Any, published_at: Any, attachments: Any = None,
                     process_id: str = CASE_PROCESS) -> Case:
    """Register a message as a new case and start its workflow; the same link twice is a Duplicate."""
    require_curator(actor)
    errors: dict[str, str] = {}
    channel_row = session.scalar(_CHANNEL, {"code": str(channel or "")})
    if channel_row is None:
        errors["channel"] = N_("Выберите источник из списка")
    link = str(url or "").strip()
    if not link.startswith(("http://", "https://")) or len(link) > 2000 or " " in link:
        errors["url"] = N_("Укажите ссылку на сообщение, начинающуюся с http:// или https://")
    author_text = str(author or "").strip()
    if not author_text or len(author_text) > 300:
        errors["author"] = N_("Укажите автора сообщения (до 300 символов)")
    body_text = str(text or "").strip()
    if not body_text or len(body_text) > MAX_TEXT:
        errors["text"] = N_("Вставьте текст сообщения (до %(count)s символов)", count=MAX_TEXT)
    moment = None
    try:
        moment = parse_moment(published_at)
        if moment > clock.now() + timedelta(minutes=5):
            errors["published_at"] = N_("Время публикации не может быть в будущем")
    except (TypeError, ValueError):
        errors["published_at"] = N_("Укажите время публикации, например 2026-11-24T10:15")
    links = attachments if isinstance(attachments, list) else [a for a in str(attachments or "").split()]
    if len(links) > MAX_ATTACHMENTS or any(not str(a).startswith(("http://", "https://")) for a in links):
        errors["attachments"] = N_("Вложения: до %(count)s ссылок, каждая с http:// или https://",
                                   count=MAX_ATTACHMENTS)
    if errors:
        raise Invalid(N_("Сообщение не зарегистрировано: исправьте поля"), fields=errors)
    assert channel_row is not None and moment is not None
    key = normalize_link(link)
    _refuse_duplicate(session, actor.tenant_id, key)
    version_id = current_version_id(session=session, tenant_id=actor.tenant_id, process_id=process_id)
    case = Case(tenant_id=actor.tenant_id, channel_id=channel_row.id, url=link, url_key=key, author=author_text,
                text=body_text, published_at=moment, attachments=[str(a) for a in links],
                registered_at=clock.now(), registered_by_id=actor.id, source=source, status="open",
                process_version_id=version_id, state="",
                flags=detect_flags(session=session, tenant_id=actor.tenant_id, text=body_text))
    start_case(session=session, clock=clock, case=case, channel=channel_row, actor=actor,
               details={"source": source, "channel": channel_row.name})
    return case


def start_case(*, session: Session, clock: Clock, case: Case, channel: Channel, actor: User | None,
               details: dict[str, object]) -> None:
    """Insert a new case, record its registration and start its workflow (a duplicate link is a Duplicate)."""
    insert_case(session=session, case=case, refuse_duplicate=_refuse_duplicate)
    add_event(session=session, case=case, at=clock.now(), actor=actor, kind="registered", details=details)
    runner = runner_for(session=session, case=case, clock=clock)
    snapshot = run_step(lambda: runner.start({"case_id": case.id, "channel": channel.code}))
    apply_snapshot(session=session, case=case, snapshot=snapshot, clock=clock, actor=actor)


def require_curator(user: User) -> None:
    """Messages are registered by the curator (clause 8.1), by hand or through a monitoring system's account."""
    if user.role != "curator":
        raise Forbidden(N_("Регистрировать сообщения может куратор"))


def insert_case(*, session: Session, case: Case,
                refuse_duplicate: Callable[[Session, int, str], None]) -> None:
    """Insert a new case; when someone registered the same link meanwhile, refuse it as that duplicate."""
    try:
        with savepoint(session):
            add_inserted(session, case)
    except IntegrityError:
        refuse_duplicate(session, case.tenant_id, case.url_key)
        raise


def _refuse_duplicate(session: Session, tenant_id: int, key: str) -> None:
    existing = session.connection().execute(_CASE_OF_LINK, {"tenant_id": tenant_id, "url_key": key}).scalar()
    if existing is not None:
        raise Duplicate(N_("Это сообщение уже зарегистрировано: случай № %(case)s", case=existing), case_id=existing)


_CASE = select(Case).where(Case.id == bindparam("case_id"))  # built once: Session.get builds its query every time
_BODY_HAS_TASK = select(exists().where(HumanTask.case_id == bindparam("case_id"),
                                       HumanTask.body_id == bindparam("body_id")))


def visible_case(*, session: Session, user: User, case_id: int) -> Case:
    """The case if the user may see it, else NotFound."""
    case = session.scalar(_CASE, {"case_id": case_id})
    if case is None or not may_see(session=session, user=user, case=case):
        raise NotFound(N_("Случай не найден"))
    return case


def may_see(*, session: Session, user: User, case: Case) -> bool:
    """Whether the user may see a case already in hand: tenant-wide roles all, body roles their body's."""
    if case.tenant_id != user.tenant_id:
        return False
    if user.role in TENANT_WIDE_ROLES:
        return True
    if user.body_id is None:
        return False
    if case.body_id == user.body_id:
        return True
    return bool(session.connection().execute(_BODY_HAS_TASK, {"case_id": case.id, "body_id": user.body_id}).scalar())


@dataclass
class CaseRecord:
    """A case with its open tasks, history and draft versions: what the API answers."""

    case: Case
    open_tasks: list[HumanTask]
    history: list[CaseEvent]
    drafts: list[Draft]
    process_version: int  # the number (vN) of the process version the case runs on


@dataclass
class CaseView(CaseRecord):
    """Everything the case page shows: the record, the diagram with the path so far, and linked cases."""

    diagram_xml: str
    completed_steps: list[str]
    active_steps: list[str]
    step_names: dict[str, str]
    repeats_of: list[Case]
    repeated_by: list[Case]
    parts: list[BodyPart]  # the bodies of a several-bodies case and their parts (8.9)
    composition: CaseEvent | None  # the curator's decision on the common reply (8.9)
    clarification: CaseEvent | None  # the author's latest clarification (7.3), for the reply that follows it


_OPEN_TASKS = select(HumanTask).where(HumanTask.case_id == bindparam("case_id"), HumanTask.state == "open") \
    .options(lazyload(HumanTask.case)).order_by(HumanTask.id)  # the case itself is already in the session
_HISTORY = select(CaseEvent).where(CaseEvent.case_id == bindparam("case_id")).order_by(CaseEvent.at, CaseEvent.id) \
    .options(joinedload(CaseEvent.actor).options(joinedload(User.body), lazyload(User.tenant)))
_DRAFTS = select(Draft).where(Draft.case_id == bindparam("case_id")).order_by(Draft.number).options(
    *(joinedload(person).options(lazyload(User.body), lazyload(User.tenant))
      for person in (Draft.author, Draft.decided_by)))  # the people by name only


def case_record(*, session: Session, user: User, case_id: int) -> CaseRecord:
    """The case, its open tasks, its history and its draft versions, if the user may see it."""
    case = visible_case(session=session, user=user, case_id=case_id)
    params = {"case_id": case.id}
    # A case closes when its workflow ends, which closes every task of it.
    open_tasks = [] if case.status == "closed" else list(session.scalars(_OPEN_TASKS, params))
    return CaseRecord(case=case, open_tasks=open_tasks,
                      history=list(session.scalars(_HISTORY, params)), drafts=list(session.scalars(_DRAFTS, params)),
                      process_version=version_number(session=session, version_id=case.process_version_id))


def case_view(*, session: Session, user: User, case_id: int) -> CaseView:
    """The case record with its diagram, the path so far and the cases it repeats or is repeated by."""
    record = case_record(session=session, user=user, case_id=case_id)
    case = record.case
    bundle = bundle_for(session=session, version_id=case.process_version_id)
    earlier, later = linked_cases(session=session, case=case)
    return CaseView(case=case, open_tasks=record.open_tasks, history=record.history, drafts=record.drafts,
                    process_version=record.process_version,
                    diagram_xml=bundle.diagram_xml(), completed_steps=list(case.path),
                    active_steps=list(case.active_steps), step_names=dict(bundle.step_names),
                    repeats_of=earlier, repeated_by=later,
                    parts=body_parts(session=session, case=case, drafts=record.drafts),
                    composition=composer_decision(record.history),
                    clarification=next((e for e in reversed(record.history)
                                        if e.kind == "task_completed" and e.step == "clarification"), None))


def linked_cases(*, session: Session, case: Case) -> tuple[list[Case], list[Case]]:
    """(earlier cases this one repeats, later cases that repeat this one)."""
    earlier = session.scalars(select(Case).join(CaseLink, CaseLink.linked_case_id == Case.id)
                              .where(CaseLink.case_id == case.id).order_by(Case.id)).all()
    later = session.scalars(select(Case).join(CaseLink, CaseLink.case_id == Case.id)
                            .where(CaseLink.linked_case_id == case.id).order_by(Case.id)).all()
    return list(earlier), list(later)


def list_cases(*, session: Session, user: User, status: str | None = None, theme: str | None = None,
               location: str | None = None, kind: str = "message", where: ColumnElement[bool] | None = None,
               limit: int = 200) -> list[Case]:
    """Recent cases of a kind the user may see, optionally of one status, theme or location (codes), or meeting a
    condition (the cases behind a dashboard number)."""
    query = select(Case).where(Case.tenant_id == user.tenant_id, Case.kind == kind) \
        .order_by(Case.registered_at.desc()).limit(limit)
    if where is not None:
        query = query.where(where)
    if status:
        query = query.where(Case.status == status)
    if theme:
        query = query.join(Theme, Case.theme_id == Theme.id).where(Theme.code == theme)
    if location:
        query = query.join(Location, Case.location_id == Location.id).where(Location.code == location)
    if user.role not in TENANT_WIDE_ROLES:
        query = query.where((Case.body_id == user.body_id) | exists().where(
            HumanTask.case_id == Case.id, HumanTask.body_id == user.body_id))
    return list(session.scalars(query))
