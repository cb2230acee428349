"""The process library as people see it: every process, its current version, its history and its open cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, lazyload

from models import Case, ProcessVersion, User
from services.errors import NotFound
from services.library.versions import bundle_of


@dataclass(frozen=True)
class VersionRow:
    """One published version and the open cases of the tenant that run on it."""

    version: ProcessVersion
    open_cases: int


@dataclass(frozen=True)
class ProcessEntry:
    """A process of the library: its name, its current version and every version, newest first."""

    process_id: str
    title: str
    current: ProcessVersion
    versions: list[VersionRow]


def library_overview(*, session: Session, user: User) -> list[ProcessEntry]:
    """Every process with its current version, its version history and the open cases of each version."""
    versions = session.scalars(
        select(ProcessVersion).options(joinedload(ProcessVersion.author).options(lazyload(User.body),
                                                                                  lazyload(User.tenant)))
        .order_by(ProcessVersion.process_id, ProcessVersion.number.desc())).all()
    open_cases = {version_id: count for version_id, count in session.execute(
        select(Case.process_version_id, func.count()).where(Case.tenant_id == user.tenant_id, Case.status == "open")
        .group_by(Case.process_version_id))}
    entries: dict[str, list[VersionRow]] = {}
    for version in versions:
        entries.setdefault(version.process_id, []).append(VersionRow(version, open_cases.get(version.id, 0)))
    overview = []
    for process_id, rows in entries.items():
        current = next(row.version for row in rows if row.version.is_current)
        overview.append(ProcessEntry(process_id, process_title(current), current, rows))
    return overview


def version_of(*, session: Session, process_id: str, number: int | None = None) -> ProcessVersion:
    """A version of a process by its number; the current one without a number."""
    query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
    query = query.where(ProcessVersion.is_current if number is None else ProcessVersion.number == number)
    version = session.scalar(query)
    if version is None:
        suffix = f" v{number}" if number is not None else ""
        raise NotFound(f"Версии процесса «{process_id}»{suffix} нет")
    return version


def history(*, session: Session, process_id: str | None = None) -> list[ProcessVersion]:
    """Every version (of one process, or of all), oldest first."""
    query = select(ProcessVersion).options(joinedload(ProcessVersion.author).options(lazyload(User.body),
                                                                                      lazyload(User.tenant)))
    if process_id is not None:
        query = query.where(ProcessVersion.process_id == process_id)
    versions = list(session.scalars(query.order_by(ProcessVersion.process_id, ProcessVersion.number)))
    if process_id is not None and not versions:
        raise NotFound(f"Процесса «{process_id}» нет в библиотеке")
    return versions


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
