"""Report facts written at event time (one row per case, one per deadline-bearing step) and published editions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CaseFact(Base):
    """One message case as the reports count it: stamps, outcome and quality flags, with Moscow-time buckets."""

    __tablename__ = "case_fact"
    __table_args__ = (Index("ix_case_fact_month_body", "local_month", "body_id"),
                      Index("ix_case_fact_tenant_month", "tenant_id", "local_month"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), primary_key=True, autoincrement=False)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"))  # the body holding the case
    importance: Mapped[str | None] = mapped_column(String(10))  # as applied at triage
    registered_at: Mapped[datetime]
    local_day: Mapped[int]  # YYYYMMDD of registration, Moscow time
    local_month: Mapped[int]  # YYYYMM of registration, Moscow time
    sent_at: Mapped[datetime | None]  # sent to the body (8.1): the case deadline runs from here
    due_at: Mapped[datetime | None]  # the first case deadline (8.3)
    first_reply_at: Mapped[datetime | None]  # the first reply published (interim or final)
    reply_wh_min: Mapped[int | None]  # working minutes from sending to the first published reply
    final_reply_at: Mapped[datetime | None]
    interim: Mapped[bool] = mapped_column(default=False)  # an interim reply was published (8.8)
    overdue: Mapped[bool] = mapped_column(default=False)  # the case deadline (8.3) passed without a reply
    breaches: Mapped[int] = mapped_column(default=0)  # every breach of the case, steps and case
    approved: Mapped[int] = mapped_column(default=0)  # drafts approved by the curator (8.5)
    returned: Mapped[int] = mapped_column(default=0)  # drafts returned for rework (8.6)
    reassigned: Mapped[int] = mapped_column(default=0)  # "not our competence" answers (8.2)
    defects: Mapped[bool | None]  # the first published reply failed a clause 9/11 check; None before publication
    repeat: Mapped[bool] = mapped_column(default=False)  # linked as a repeat of an earlier case (8.10)
    socially_significant: Mapped[bool] = mapped_column(default=False)  # clause 14
    not_subject: Mapped[bool] = mapped_column(default=False)  # closed as not subject to processing (clause 10)
    outcome: Mapped[str | None] = mapped_column(String(60))  # the end event when the case closed
    closed_at: Mapped[datetime | None]


class StepFact(Base):
    """One deadline-bearing step of a case: who held it, its deadline, when it ended and how it went."""

    __tablename__ = "step_fact"
    __table_args__ = (UniqueConstraint("case_id", "task_guid"),  # a step closes its fact by case and task
                      Index("ix_step_fact_month_body", "local_month", "body_id"),
                      Index("ix_step_fact_tenant_month", "tenant_id", "local_month"))
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    task_guid: Mapped[str] = mapped_column(String(36))  # the user task, or "<guid>:8.2" for 8.2
    step: Mapped[str] = mapped_column(String(100))
    clause: Mapped[str] = mapped_column(String(20))  # the regulation clause of its deadline
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | completed | cancelled
    wh_used_min: Mapped[int | None]  # working minutes from start to completion on the body's calendar
    breached: Mapped[bool] = mapped_column(default=False)
    local_day: Mapped[int]  # YYYYMMDD of the start, Moscow time
    local_month: Mapped[int]  # YYYYMM of the start, Moscow time


class ReportEdition(Base):
    """A published edition of a monthly summary: frozen numbers with their formula, calendar and cut-off."""

    __tablename__ = "report_edition"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # monthly
    period: Mapped[str] = mapped_column(String(10))  # YYYY-MM
    number: Mapped[int]  # 1, 2, ... per tenant, kind and period
    formula_version: Mapped[str] = mapped_column(String(20))
    calendar_revision: Mapped[int]
    cut_off: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
