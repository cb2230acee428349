"""Frozen process versions and the working-time data administrators maintain."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.org import User

# A library is the region's (tenant_id NULL) or one municipality's variants: numbers and drafts are per library.
LIBRARY = text("coalesce(tenant_id, 0)")


class ProcessVersion(Base):
    """A published process version (v1, v2, ... per process and library), frozen by content hash: its diagrams,
    forms, decision tables and deadline parameters together. A municipal variant carries its municipality and the
    regional version it was forked from."""

    __tablename__ = "process_version"
    __table_args__ = (
        Index("uq_process_version_number", "process_id", LIBRARY, "number", unique=True),
        # One current version per process and library: two publications at once cannot both win.
        Index("uq_process_version_current", "process_id", LIBRARY, unique=True, sqlite_where=text("is_current"),
              postgresql_where=text("is_current")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)  # none: the regional library
    forked_from_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))  # a variant's template
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    files: Mapped[dict[str, str]] = mapped_column(JSON, deferred=True)  # read once per process when parsed
    created_at: Mapped[datetime]  # the moment it was published
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # none: the command line
    comment: Mapped[str] = mapped_column(Text, default="")
    is_current: Mapped[bool] = mapped_column(default=True)
    author: Mapped[User | None] = relationship(viewonly=True)


class ProcessDraft(Base):
    """A methodologist's working copy of a process library, one per process and library, saved revision by
    revision; a municipal draft is a variant forked from a regional version (its template)."""

    __tablename__ = "process_draft"
    __table_args__ = (Index("uq_process_draft_process_id", "process_id", LIBRARY, unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)  # none: the regional library
    base_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    forked_from_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))  # a variant's template
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(default=1)  # a save names the revision it started from
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    saved_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(String(500), default="")
    saved_by: Mapped[User] = relationship(foreign_keys=[saved_by_id], lazy="joined", viewonly=True)


class ProcessAdoption(Base):
    """The version of a process a municipality's new cases start on: a regional version it adopted (by hand, or at
    once when auto_adopt) or its own variant. No row: it follows the regional library's current version."""

    __tablename__ = "process_adoption"
    __table_args__ = (UniqueConstraint("tenant_id", "process_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    process_id: Mapped[str] = mapped_column(String(100))
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    auto_adopt: Mapped[bool] = mapped_column(default=False)
    adopted_at: Mapped[datetime]
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # none: adopted automatically
    adopted_by: Mapped[User | None] = relationship(viewonly=True)


class SandboxRun(Base):
    """A methodologist's trial run of a draft: the workflow state and the sandbox's own clock, never a case."""

    __tablename__ = "sandbox_run"
    __table_args__ = (UniqueConstraint("draft_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("process_draft.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    files_hash: Mapped[str] = mapped_column(String(64))  # the draft's files the run was started on
    started_at: Mapped[datetime]  # the start moment chosen
    clock_at: Mapped[datetime]  # the sandbox's now
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the initial data
    state: Mapped[str] = mapped_column(Text)
    log: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # what happened, step by step


class CalendarYear(Base):
    """One year of the official production calendar in the xmlcalendar.ru format."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    xml: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(300))
    loaded_at: Mapped[datetime]


class OverrideDay(Base):
    """A day an administrator set for the whole region (body_id empty) or for one body."""

    __tablename__ = "override_day"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    start: Mapped[time | None]
    end: Mapped[time | None]
    reason: Mapped[str] = mapped_column(String(300), default="")
