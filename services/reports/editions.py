"""Published editions of the monthly summary: frozen snapshots that later data changes never alter."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_
from models import ReportEdition, User
from services.errors import Forbidden, Invalid, NotFound
from services.reports.monthly import MonthlySummary, monthly_summary, report_scope

PUBLISHERS = ("curator", "admin")  # the Information Policy Directorate publishes; leaders read


def publish_edition(*, session: Session, user: User, clock: Clock, month: str | None) -> ReportEdition:
    """Freeze the tenant's summary of a month as a new edition (numbers, formula, calendar, cut-off)."""
    if user.role not in PUBLISHERS:
        raise Forbidden(N_("Публикует выпуски куратор или администратор"))
    summary = monthly_summary(session=session, user=user, clock=clock, month=month)
    if not summary.has_data:
        raise Invalid(N_("За %(month)s нет данных: выпуск не опубликован", month=summary.month))
    number = (session.scalar(select(func.max(ReportEdition.number)).where(
        ReportEdition.tenant_id == user.tenant_id, ReportEdition.kind == "monthly",
        ReportEdition.period == summary.month)) or 0) + 1
    edition = ReportEdition(tenant_id=user.tenant_id, kind="monthly", period=summary.month, number=number,
                            formula_version=summary.formula_version, calendar_revision=summary.calendar_revision,
                            cut_off=summary.cut_off, published_by_id=user.id, summary=summary.as_json())
    session.add(edition)
    session.flush()
    return edition


def list_editions(*, session: Session, user: User) -> list[ReportEdition]:
    """The tenant's published editions, newest first; none for a body's official (editions cover the tenant)."""
    if report_scope(session=session, user=user, body=None) is not None:
        return []
    return list(session.scalars(select(ReportEdition).where(ReportEdition.tenant_id == user.tenant_id)
                                .order_by(ReportEdition.period.desc(), ReportEdition.number.desc())))


def edition_summary(*, session: Session, user: User, edition_id: int) -> tuple[ReportEdition, MonthlySummary]:
    """A published edition and its frozen summary; another tenant's edition is NotFound."""
    if report_scope(session=session, user=user, body=None) is not None:
        raise NotFound(N_("Выпуск не найден"))  # editions cover the whole tenant; a body's official reads the live one
    edition = session.get(ReportEdition, edition_id)
    if edition is None or edition.tenant_id != user.tenant_id:
        raise NotFound(N_("Выпуск не найден"))
    return edition, MonthlySummary.from_json(edition.summary)
