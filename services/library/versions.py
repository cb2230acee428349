"""The process library: files in bpmn/ and forms/ frozen into process versions."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.parser import ProcessBundle, content_hash, library_processes, load_bundle, read_library
from models import ProcessVersion

ROOT = Path(__file__).resolve().parents[2]
LIBRARY_DIRS = [ROOT / "bpmn", ROOT / "forms"]
CASE_PROCESS = "case_148rg"


def sync_library(*, session: Session, clock: Clock, directories: list[Path] | None = None) -> list[ProcessVersion]:
    """Freeze the library on disk as the current version of each of its processes (once per content)."""
    files = read_library(directories or LIBRARY_DIRS)
    digest = content_hash(files)
    versions = []
    for process_id in library_processes(files):
        found = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                            ProcessVersion.content_hash == digest))
        if found is None:
            load_bundle(files, process_id)
            found = ProcessVersion(process_id=process_id, content_hash=digest, files=files, created_at=clock.now())
            session.add(found)
        for other in session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                                  ProcessVersion.is_current)):
            other.is_current = other is found
        found.is_current = True
        versions.append(found)
    session.flush()
    return versions


_CURRENT = select(ProcessVersion.id).where(ProcessVersion.process_id == bindparam("process_id"),
                                           ProcessVersion.is_current)


def current_version_id(*, session: Session, process_id: str = CASE_PROCESS) -> int:
    """The id of the version new cases of a process start on."""
    version_id = session.connection().execute(_CURRENT, {"process_id": process_id}).scalar()
    if version_id is None:
        raise LookupError(f"Процесс «{process_id}» не загружен: выполните flask --app app init-db")
    return int(version_id)


_bundles: dict[tuple[str, int], ProcessBundle] = {}


def bundle_of(version: ProcessVersion) -> ProcessBundle:
    """The parsed bundle of a stored version."""
    return load_bundle(version.files, version.process_id)


def bundle_for(*, session: Session, version_id: int) -> ProcessBundle:
    """The parsed bundle of a version id; versions never change, so it is read and parsed once per database."""
    bind = session.get_bind()
    key = (str(bind.engine.url), version_id)
    if key not in _bundles:
        version = session.get(ProcessVersion, version_id)
        if version is None:
            raise LookupError(f"Версия процесса {version_id} не найдена")
        _bundles[key] = bundle_of(version)
    return _bundles[key]
