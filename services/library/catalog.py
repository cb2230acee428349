"""The process library as people see it: the current version of each process and its diagram files."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ProcessVersion
from services.errors import NotFound
from services.library.versions import bundle_of


def current_versions(*, session: Session) -> list[ProcessVersion]:
    """The version new cases of each process start on."""
    return list(session.scalars(select(ProcessVersion).where(ProcessVersion.is_current)
                                .order_by(ProcessVersion.process_id)))


def diagram(*, session: Session, version_id: int, name: str) -> tuple[ProcessVersion, str]:
    """One diagram file of a stored version."""
    version = session.get(ProcessVersion, version_id)
    if version is None or not name.endswith(".bpmn") or name not in version.files:
        raise NotFound("Диаграмма не найдена")
    return version, version.files[name]


def process_title(version: ProcessVersion) -> str:
    """The process's own name from its diagram."""
    spec = bundle_of(version).spec
    return str(spec.description or version.process_id)
