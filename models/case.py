"""A case per message: its workflow state and the projections written with it in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.org import Body, Channel, Location, Theme, User


class Case(Base):
    """A message from an open source and the work on it."""

    __tablename__ = "case_file"
    # Per-tenant counts (the municipalities' overview); the surge check (clause 14) counts a tenant's cases of one
    # theme or location sent within a window.
    __table_args__ = (UniqueConstraint("tenant_id", "url_key"),
                      Index("ix_case_file_tenant_status_due", "tenant_id", "status", "due_at"),
                      Index("ix_case_file_tenant_closed", "tenant_id", "closed_at"),
                      Index("ix_case_file_theme_sent", "tenant_id", "theme_id", "sent_at"),
                      Index("ix_case_file_location_sent", "tenant_id", "location_id", "sent_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="message")  # message | governor_post
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"))
    url: Mapped[str] = mapped_column(String(2000))
    url_key: Mapped[str] = mapped_column(String(2000))
    author: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime]
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # clause 10: likely grounds found
    socially_significant: Mapped[bool] = mapped_column(default=False)  # clause 14
    registered_at: Mapped[datetime] = mapped_column(index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    importance: Mapped[str | None] = mapped_column(String(10))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"), index=True)
    bodies: Mapped[list[str]] = mapped_column(JSON, default=list)  # codes the curator sent it to, in order (8.9)
    sent_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None] = mapped_column(index=True)  # this month's answers on the leaders' dashboard
    stalled_at: Mapped[datetime | None] = mapped_column(index=True)  # open, yet nothing can move it on
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    state: Mapped[str] = mapped_column(Text, deferred=True)  # read only when the engine steps the case
    path: Mapped[list[str]] = mapped_column(JSON, default=list)  # diagram elements passed, for the case page
    active_steps: Mapped[list[str]] = mapped_column(JSON, default=list)  # elements under way (tasks, subprocesses)
    version: Mapped[int] = mapped_column(default=1)
    channel: Mapped[Channel] = relationship(lazy="joined", viewonly=True)
    theme: Mapped[Theme | None] = relationship(viewonly=True)
    location: Mapped[Location | None] = relationship(viewonly=True)
    body: Mapped[Body | None] = relationship(lazy="joined", viewonly=True)
    __mapper_args__ = {"version_id_col": version}


_COUNTED = ("assignee_id", "step", "name", "theme_id", "location_id", "channel_id", "importance")


class HumanTask(Base):
    """The inbox projection: one row per user task the workflow opened."""

    __tablename__ = "human_task"
    # The inbox's order, then what it filters and counts by: a filtered inbox is counted from an index alone.
    __table_args__ = (Index("ix_human_task_inbox", "tenant_id", "state", "role", "body_id", "due_at", *_COUNTED),
                      Index("ix_human_task_due", "tenant_id", "state", "role", "due_at", "body_id", *_COUNTED))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    step: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    form: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[str | None] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(20), default="open")
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The case's classification, copied so the inbox filters, counts and sorts on this table alone (a new task
    # copies it; services.inbox.classify updates the open ones when a step changes it).
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    importance: Mapped[str | None] = mapped_column(String(10))
    significant: Mapped[bool] = mapped_column(default=False)
    posted_at: Mapped[datetime | None]  # when the message was published: untimed work is ordered by its age
    case: Mapped[Case] = relationship(lazy="joined", viewonly=True)
    body: Mapped[Body | None] = relationship(lazy="joined", viewonly=True)
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], viewonly=True)
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id], viewonly=True)


class InboxTally(Base):
    """The inbox's counts per filter value: +1 or -1 per value whenever an open task appears, changes what it is
    counted under or leaves the inbox. Database triggers on human_task write them (migration 0025), so no way of
    changing a task escapes them; the inbox sums them and the scheduler merges them (services.inbox.tally)."""

    __tablename__ = "inbox_tally"
    __table_args__ = (Index("ix_inbox_tally_scope", "tenant_id", "role", "body_id", "step"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    tenant_id: Mapped[int]
    role: Mapped[str] = mapped_column(String(20))
    body_id: Mapped[int | None]
    assignee_id: Mapped[int | None]
    step: Mapped[str] = mapped_column(String(100))
    dimension: Mapped[str] = mapped_column(String(20))  # step, body, theme, location, channel, importance
    value: Mapped[str | None] = mapped_column(String(100))  # the step's code, the importance, or the value's id
    label: Mapped[str | None] = mapped_column(String(300))  # the step's name
    n: Mapped[int]


class Timer(Base):
    """The timer projection: the due moment of every armed timer; the scheduler reads only this."""

    __tablename__ = "timer"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))
    parameter: Mapped[str | None] = mapped_column(String(60))
    step: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(index=True)
    armed_at: Mapped[datetime]


class CaseEvent(Base):
    """Append-only history: who did what, when, against which deadline."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    step: Mapped[str | None] = mapped_column(String(100))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"))
    due_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[Body | None] = relationship(lazy="joined", viewonly=True)  # the body whose step it was
    actor: Mapped[User | None] = relationship(viewonly=True)  # who did it; their own body is named beside them


class Draft(Base):
    """One version of a reply draft with the curator's decision on it."""

    __tablename__ = "draft"
    __table_args__ = (UniqueConstraint("case_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    number: Mapped[int]
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    decision: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    published_url: Mapped[str | None] = mapped_column(String(2000))
    published_at: Mapped[datetime | None]
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined", viewonly=True)
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined", viewonly=True)
    body: Mapped[Body | None] = relationship(lazy="joined", viewonly=True)


class Breach(Base):
    """A missed deadline for the clause-12 register: case, step, clause, body, person, how late."""

    __tablename__ = "breach"
    __table_args__ = (UniqueConstraint("case_id", "task_guid", "step"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    task_guid: Mapped[str | None] = mapped_column(String(36))
    step: Mapped[str] = mapped_column(String(100))
    clause: Mapped[str] = mapped_column(String(20))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_at: Mapped[datetime] = mapped_column(index=True)  # the register's period is by the missed deadline
    recorded_at: Mapped[datetime] = mapped_column(index=True)  # a month's breaches
    done_at: Mapped[datetime | None]
    late_minutes: Mapped[int | None]
    # Clause 12: the body's explanation, the curator's verdict on it, the supervising deputy's measures.
    reason: Mapped[str | None] = mapped_column(String(30))
    explanation: Mapped[str | None] = mapped_column(Text)
    explained_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    explained_at: Mapped[datetime | None]
    verdict: Mapped[str | None] = mapped_column(String(20))  # justified | unjustified
    verdict_comment: Mapped[str | None] = mapped_column(Text)
    verdict_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    verdict_at: Mapped[datetime | None]
    measures: Mapped[str | None] = mapped_column(Text)
    measures_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    measures_at: Mapped[datetime | None]


class BreachEvent(Base):
    """Append-only history of a register entry: each explanation, verdict and record of measures."""

    __tablename__ = "breach_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # explanation | verdict | measures
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LeadershipAlert(Base):
    """A clause-14 event put before the leadership (a socially significant message or a surge), shown on the
    leaders' dashboard until a leader acknowledges it («Принято к сведению»)."""

    __tablename__ = "leadership_alert"
    __table_args__ = (Index("ix_leadership_alert_open", "tenant_id", "acknowledged_at", "raised_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    kind: Mapped[str] = mapped_column(String(30))  # socially_significant | surge
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))
    surge_alert_id: Mapped[int | None] = mapped_column(ForeignKey("surge_alert.id"))
    text: Mapped[str] = mapped_column(String(1000))  # a msgid with `params`, as Notification.text
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    raised_at: Mapped[datetime]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[User | None] = relationship(viewonly=True)
    surge_alert: Mapped[SurgeAlert | None] = relationship(viewonly=True)


class Notification(Base):
    """An in-app notification for one person."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))
    kind: Mapped[str] = mapped_column(String(40))
    # The Russian msgid of what it says and its parameters (engine.texts.Text), translated for whoever reads it; a row
    # stored before notices kept their parameters has plain Russian text and params NULL.
    text: Mapped[str] = mapped_column(String(1000))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    surge_alert_id: Mapped[int | None] = mapped_column(ForeignKey("surge_alert.id"))  # what a surge notice announces
    surge_alert: Mapped[SurgeAlert | None] = relationship(viewonly=True)


class CaseLink(Base):
    """A repeat message (clause 8.10) linked to an earlier case on the same question."""

    __tablename__ = "case_link"
    __table_args__ = (UniqueConstraint("case_id", "linked_case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    linked_case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]


class Attachment(Base):
    """A photo or video attached to a reply draft (clause 9), stored outside static/ under a random name."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("draft.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime]


class MonitoringCheck(Base):
    """One body's check of the comments under a Governor's post (clause 7)."""

    __tablename__ = "monitoring_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"))
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    checked_at: Mapped[datetime]
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    found_links: Mapped[list[str]] = mapped_column(JSON, default=list)
    answered_links: Mapped[list[str]] = mapped_column(JSON, default=list)
    nothing_new: Mapped[bool] = mapped_column(default=False)


class SurgeAlert(Base):
    """Heightened activity (clause 14): many messages on one theme or location within a window."""

    __tablename__ = "surge_alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    dimension: Mapped[str] = mapped_column(String(20))  # theme | location
    value: Mapped[str] = mapped_column(String(60))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    count: Mapped[int]
    created_at: Mapped[datetime]


class InboxView(Base):
    """A person's saved inbox view: a named set of filters."""

    __tablename__ = "inbox_view"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    name: Mapped[str] = mapped_column(String(80))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """An e-mail to send, at least once, deduplicated by its idempotency key."""

    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    available_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
