"""Moving open cases of a process to its current version: which can move, and moving the chosen ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import Clock
from engine.migration import MigrationRefused, migrate
from engine.runner import EngineFailure, Runner, Snapshot, StepRefused
from engine.texts import N_, text_of
from models import Case, ProcessVersion, User
from services.db import savepoint
from services.errors import Forbidden
from services.library.catalog import process_title, version_of
from services.library.versions import PUBLISHERS, bundle_for, current_version_id
from services.workflow import add_event, apply_snapshot, engine_context, write_case


@dataclass(frozen=True)
class CaseMove:
    """An open case on an earlier version: where it waits, and whether it can move (or why not, in Russian)."""

    case_id: int
    version: int
    waiting: list[str]
    reason: str | None

    @property
    def movable(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class MigrationPreview:
    """The open cases of a process on earlier versions, checked against its current version."""

    process_id: str
    title: str
    current: ProcessVersion
    cases: list[CaseMove]


def require_mover(user: User) -> None:
    """Only methodologists and administrators move cases between versions."""
    if user.role not in PUBLISHERS:
        raise Forbidden(N_("Переводить случаи на другую версию процесса могут методолог и администратор"))


def migration_preview(*, session: Session, clock: Clock, user: User, process_id: str) -> MigrationPreview:
    """Every open case of the user's tenant on another version of the process than the one its new cases start on,
    tried against that one (the same move the button makes, then discarded)."""
    require_mover(user)
    current = _in_use(session, user, process_id)
    cases = [_outcome(session, case, _try(session, clock, case, current)[1]) for case in _open_cases(
        session, user, process_id, current)]
    return MigrationPreview(process_id, process_title(current), current, cases)


def move_cases(*, session: Session, clock: Clock, user: User, process_id: str,
               case_ids: Iterable[int]) -> list[CaseMove]:
    """Move the chosen open cases to the current version, each on its own: a case that cannot move stays as it was.
    Each moved case's projections are rewritten and its history records the move."""
    require_mover(user)
    current = _in_use(session, user, process_id)
    chosen = set(case_ids)
    outcome = []
    for case in _open_cases(session, user, process_id, current):
        if case.id not in chosen:
            continue
        before = _outcome(session, case, None)
        snapshot, reason = _try(session, clock, case, current)
        if snapshot is not None:
            try:
                with savepoint(session):
                    write_case(session=session, case=case, changes={"process_version_id": current.id})
                    apply_snapshot(session=session, case=case, snapshot=snapshot, clock=clock, actor=user)
                    add_event(session=session, case=case, at=clock.now(), actor=user, kind="migrated",
                              details={"old": f"v{before.version}", "new": f"v{current.number}"})
            except StaleDataError:
                session.refresh(case)
                reason = N_("Случай изменился во время перевода; он остался на своей версии, повторите")
        outcome.append(CaseMove(case.id, before.version, before.waiting, reason))
    return outcome


def _in_use(session: Session, user: User, process_id: str) -> ProcessVersion:
    """The version the tenant's new cases of the process start on."""
    version_of(session=session, process_id=process_id)  # a process the regional library has, or not found
    version = session.get(ProcessVersion, current_version_id(session=session, tenant_id=user.tenant_id,
                                                             process_id=process_id))
    assert version is not None
    return version


def _open_cases(session: Session, user: User, process_id: str, current: ProcessVersion) -> list[Case]:
    """The tenant's open cases on other versions of the process, oldest first."""
    return list(session.scalars(
        select(Case).join(ProcessVersion, Case.process_version_id == ProcessVersion.id)
        .where(ProcessVersion.process_id == process_id, ProcessVersion.id != current.id, Case.status != "closed",
               Case.tenant_id == user.tenant_id).order_by(Case.id)))


def _try(session: Session, clock: Clock, case: Case, current: ProcessVersion) -> tuple[Snapshot | None, str | None]:
    """The case's workflow moved to the current version in memory, or why it cannot move."""
    runner = Runner(bundle_for(session=session, version_id=current.id),
                    engine_context(session=session, tenant_id=case.tenant_id, clock=clock))
    try:
        return migrate(runner, bundle_for(session=session, version_id=case.process_version_id), case.state), None
    except (MigrationRefused, EngineFailure, StepRefused) as exc:
        return None, text_of(exc)


def _outcome(session: Session, case: Case, reason: str | None) -> CaseMove:
    """A case's line in the preview: its version number and the steps it waits at."""
    version = session.get(ProcessVersion, case.process_version_id)
    assert version is not None
    names = bundle_for(session=session, version_id=version.id).step_names
    return CaseMove(case.id, version.number, [names.get(step, step) for step in case.active_steps], reason)
