"""Which version of a process a municipality's new cases start on: the regional version it adopted (by hand, or at
once on each regional publication when it adopts automatically) or its own variant. Running cases keep theirs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_
from models import ProcessAdoption, User
from services.errors import Forbidden
from services.library.catalog import version_of
from services.library.versions import PUBLISHERS, library_of


def require_municipal_editor(user: User) -> int:
    """Only a municipality's methodologists and administrators choose its versions; its tenant id."""
    tenant_id = library_of(user)
    if tenant_id is None or user.role not in PUBLISHERS:
        raise Forbidden(N_("Версию процесса для муниципалитета выбирают его методолог и администратор"))
    return tenant_id


def adopt(*, session: Session, clock: Clock, user: User, process_id: str, number: int,
          auto_adopt: bool | None = None) -> ProcessAdoption:
    """The municipality's new cases start on regional version vN from now on (also the way back from a variant);
    auto_adopt, when given, sets whether later regional versions are adopted at once."""
    tenant_id = require_municipal_editor(user)
    version = version_of(session=session, process_id=process_id, number=number)
    return use_version(session=session, clock=clock, user=user, tenant_id=tenant_id, process_id=process_id,
                       version_id=version.id, auto_adopt=auto_adopt)


def set_auto_adopt(*, session: Session, clock: Clock, user: User, process_id: str, auto_adopt: bool
                   ) -> ProcessAdoption:
    """Adopt every regional version at once from now on (moving to the current one now), or only by hand."""
    tenant_id = require_municipal_editor(user)
    if auto_adopt:
        current = version_of(session=session, process_id=process_id)
        return use_version(session=session, clock=clock, user=user, tenant_id=tenant_id, process_id=process_id,
                           version_id=current.id, auto_adopt=True)
    adoption = _adoption(session, tenant_id, process_id)
    if adoption is None:  # following the regional library so far: stay on what it runs, by hand from now on
        current = version_of(session=session, process_id=process_id)
        return use_version(session=session, clock=clock, user=user, tenant_id=tenant_id, process_id=process_id,
                           version_id=current.id, auto_adopt=False)
    adoption.auto_adopt = False
    session.flush()
    return adoption


def use_version(*, session: Session, clock: Clock, user: User, tenant_id: int, process_id: str, version_id: int,
                auto_adopt: bool | None = None) -> ProcessAdoption:
    """Record the version a municipality's new cases of a process start on (a variant is never adopted
    automatically over)."""
    adoption = _adoption(session, tenant_id, process_id)
    if adoption is None:
        adoption = ProcessAdoption(tenant_id=tenant_id, process_id=process_id, auto_adopt=False)
        session.add(adoption)
    adoption.version_id = version_id
    adoption.adopted_at = clock.now()
    adoption.adopted_by_id = user.id
    if auto_adopt is not None:
        adoption.auto_adopt = auto_adopt
    session.flush()
    session.refresh(adoption)
    return adoption


def _adoption(session: Session, tenant_id: int, process_id: str) -> ProcessAdoption | None:
    return session.scalar(select(ProcessAdoption).where(ProcessAdoption.tenant_id == tenant_id,
                                                        ProcessAdoption.process_id == process_id)
                          .with_for_update())
