"""The Directorate's overview of every municipality (order 4.3): counts from projections, grouped per municipality
in a few indexed queries, never a municipality's drafts or its people's work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from engine.clock import MOSCOW, Clock
from engine.texts import N_
from models import Breach, Case, CaseTransfer, HumanTask, Tenant, User
from services.errors import Forbidden
from services.library.versions import bundle_for

OVERVIEW_ROLES = ("curator", "admin", "leader")
ANSWERED = "published_end"
LISTED_TRANSFERS = 50


@dataclass
class MunicipalityFigures:
    """One municipality's row: open and overdue now, breaches and timeliness this month, its transferred cases."""

    municipality: Tenant
    open: int = 0
    overdue_cases: int = 0  # open cases past their answer deadline (8.3)
    overdue_tasks: int = 0  # open tasks past their step's deadline
    breaches: int = 0  # recorded this month
    answered: int = 0  # cases answered (the final reply published) this month
    on_time: int = 0  # of those, without a breach of the answer deadline
    transferred: dict[str, int] = field(default_factory=dict)  # in_work | answered | closed | returned -> count

    @property
    def timeliness(self) -> float | None:
        """The share of this month's answered cases answered on time, in per cent; None when none was answered."""
        return round(100 * self.on_time / self.answered, 1) if self.answered else None


@dataclass
class TransferInWork:
    """A transferred case the municipality is working on: where it is and by when."""

    transfer: CaseTransfer
    steps: list[str]
    due_at: datetime | None


@dataclass
class Overview:
    """The whole page: the month it counts from, a row per municipality and the transfers in work."""

    month_start: datetime
    rows: list[MunicipalityFigures]
    in_work: list[TransferInWork]


def month_start(moment: datetime) -> datetime:
    """The first moment of the Moscow calendar month the moment lies in."""
    local = moment.astimezone(MOSCOW)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


_MUNICIPAL_IDS = select(Tenant.id).where(Tenant.kind == "municipality").scalar_subquery()
_OPEN = select(Case.tenant_id, func.count(), func.count(sql_case((Case.due_at < bindparam("now"), 1)))) \
    .where(Case.tenant_id.in_(_MUNICIPAL_IDS), Case.status == "open").group_by(Case.tenant_id)
_OVERDUE_TASKS = select(HumanTask.tenant_id, func.count()).where(
    HumanTask.tenant_id.in_(_MUNICIPAL_IDS), HumanTask.state == "open", HumanTask.due_at < bindparam("now")) \
    .group_by(HumanTask.tenant_id)
_BREACHES = select(Case.tenant_id, func.count()).select_from(Breach).join(Case, Breach.case_id == Case.id).where(
    Breach.recorded_at >= bindparam("since"), Case.tenant_id.in_(_MUNICIPAL_IDS)).group_by(Case.tenant_id)
_LATE = exists().where(Breach.case_id == Case.id, Breach.step == "case")
_ANSWERED = select(Case.tenant_id, func.count(), func.count(sql_case((~_LATE, 1)))).where(
    Case.closed_at >= bindparam("since"), Case.outcome == ANSWERED, Case.tenant_id.in_(_MUNICIPAL_IDS)) \
    .group_by(Case.tenant_id)
_municipal = aliased(Case)
_STATE = sql_case((CaseTransfer.returned_at.is_not(None), "returned"), (_municipal.status == "open", "in_work"),
                  (_municipal.outcome == ANSWERED, "answered"), else_="closed")
_TRANSFERS = select(CaseTransfer.municipality_id, _STATE, func.count()).join(
    _municipal, CaseTransfer.municipal_case_id == _municipal.id).group_by(CaseTransfer.municipality_id, _STATE)
_IN_WORK = select(CaseTransfer, _municipal.process_version_id, _municipal.active_steps, _municipal.due_at) \
    .join(_municipal, CaseTransfer.municipal_case_id == _municipal.id) \
    .where(CaseTransfer.returned_at.is_(None), _municipal.status == "open") \
    .order_by(CaseTransfer.sent_at.desc()).limit(LISTED_TRANSFERS)


def overview(*, session: Session, user: User, clock: Clock) -> Overview:
    """Every municipality's figures for the Directorate: the oblast's curator, administrator and leadership."""
    if user.tenant.kind != "region" or user.role not in OVERVIEW_ROLES:
        raise Forbidden(N_("Обзор муниципальных образований видят куратор, администратор и руководство области"))
    now = clock.now()
    since = month_start(now)
    params = {"now": now, "since": since}
    rows = {tenant.id: MunicipalityFigures(tenant) for tenant in session.scalars(
        select(Tenant).where(Tenant.kind == "municipality").order_by(Tenant.name))}
    for tenant_id, n_open, n_overdue in session.execute(_OPEN, params):
        rows[tenant_id].open, rows[tenant_id].overdue_cases = n_open, n_overdue
    for tenant_id, n in session.execute(_OVERDUE_TASKS, params):
        rows[tenant_id].overdue_tasks = n
    for tenant_id, n in session.execute(_BREACHES, params):
        rows[tenant_id].breaches = n
    for tenant_id, n_answered, n_on_time in session.execute(_ANSWERED, params):
        rows[tenant_id].answered, rows[tenant_id].on_time = n_answered, n_on_time
    for tenant_id, state, n in session.execute(_TRANSFERS):
        rows[tenant_id].transferred[state] = n
    in_work = []
    for transfer, version_id, steps, due_at in session.execute(_IN_WORK):
        names = bundle_for(session=session, version_id=version_id).step_names
        in_work.append(TransferInWork(transfer, [names.get(step, step) for step in steps], due_at))
    return Overview(since, list(rows.values()), in_work)
