"""The process library as people see it: every process, the version their tenant runs, the regional history, a
municipality's own variants, and the open cases on each version."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, lazyload

from engine.texts import N_
from models import Case, ProcessAdoption, ProcessVersion, User
from services.errors import NotFound
from services.library.versions import bundle_of, in_library, library_of


@dataclass(frozen=True)
class VersionRow:
    """One published version and the open cases of the tenant that run on it."""

    version: ProcessVersion
    open_cases: int


@dataclass(frozen=True)
class ProcessEntry:
    """A process of the library: its name, its current regional version, every regional version newest first; for
    a municipality the version it runs (and since when, by whose choice) and its own variant's versions."""

    process_id: str
    title: str
    current: ProcessVersion
    versions: list[VersionRow]
    in_use: ProcessVersion
    adoption: ProcessAdoption | None = None
    variants: tuple[VersionRow, ...] = ()

    @property
    def newer(self) -> ProcessVersion | None:
        """The current regional version when the municipality runs an earlier one (or a variant of one)."""
        template = self.in_use if self.in_use.tenant_id is None else self.template
        return self.current if template is not None and template.number < self.current.number else None

    @property
    def template(self) -> ProcessVersion | None:
        """The regional version the variant in use was forked from."""
        return next((row.version for row in self.versions if row.version.id == self.in_use.forked_from_id), None)


def library_overview(*, session: Session, user: User) -> list[ProcessEntry]:
    """Every process with its current regional version, its history, the open cases of each version and, for a
    municipality, the version it runs and its variants."""
    tenant_id = library_of(user)
    versions = session.scalars(
        select(ProcessVersion).options(joinedload(ProcessVersion.author).options(lazyload(User.body),
                                                                                  lazyload(User.tenant)))
        .where(or_(in_library(None), in_library(tenant_id)))
        .order_by(ProcessVersion.process_id, ProcessVersion.number.desc())).all()
    open_cases = {version_id: count for version_id, count in session.execute(
        select(Case.process_version_id, func.count()).where(Case.tenant_id == user.tenant_id, Case.status == "open")
        .group_by(Case.process_version_id))}
    adoptions = {a.process_id: a for a in session.scalars(
        select(ProcessAdoption).where(ProcessAdoption.tenant_id == user.tenant_id))}
    regional: dict[str, list[VersionRow]] = {}
    variants: dict[str, list[VersionRow]] = {}
    for version in versions:
        library = regional if version.tenant_id is None else variants
        library.setdefault(version.process_id, []).append(VersionRow(version, open_cases.get(version.id, 0)))
    overview = []
    for process_id, rows in regional.items():
        current = next(row.version for row in rows if row.version.is_current)
        adoption = adoptions.get(process_id)
        own = variants.get(process_id, [])
        in_use = next((row.version for row in [*rows, *own] if adoption and row.version.id == adoption.version_id),
                      current)
        overview.append(ProcessEntry(process_id, process_title(current), current, rows, in_use, adoption, tuple(own)))
    return overview


def version_of(*, session: Session, process_id: str, number: int | None = None) -> ProcessVersion:
    """A regional version of a process by its number; the current one without a number."""
    query = select(ProcessVersion).where(ProcessVersion.process_id == process_id, in_library(None))
    query = query.where(ProcessVersion.is_current if number is None else ProcessVersion.number == number)
    version = session.scalar(query)
    if version is None:
        raise NotFound(N_("Версии процесса «%(process)s» нет", process=process_id) if number is None else
                       N_("Версии процесса «%(process)s» v%(number)s нет", process=process_id, number=number))
    return version


def history(*, session: Session, process_id: str | None = None, tenant_id: int | None = None) -> list[ProcessVersion]:
    """Every version of a library (the regional one by default), of one process or of all, oldest first."""
    query = select(ProcessVersion).options(joinedload(ProcessVersion.author).options(lazyload(User.body),
                                                                                      lazyload(User.tenant)))
    query = query.where(in_library(tenant_id))
    if process_id is not None:
        query = query.where(ProcessVersion.process_id == process_id)
    versions = list(session.scalars(query.order_by(ProcessVersion.process_id, ProcessVersion.number)))
    if process_id is not None and not versions and tenant_id is None:
        raise NotFound(N_("Процесса «%(process)s» нет в библиотеке", process=process_id))
    return versions


def diagram(*, session: Session, user: User, version_id: int, name: str) -> tuple[ProcessVersion, str]:
    """One diagram file of a stored version: a regional one, or a variant of the person's own municipality."""
    version = session.get(ProcessVersion, version_id)
    if (version is None or version.tenant_id not in (None, user.tenant_id) or not name.endswith(".bpmn")
            or name not in version.files):
        raise NotFound(N_("Диаграмма не найдена"))
    return version, version.files[name]


def process_title(version: ProcessVersion) -> str:
    """The process's own name from its diagram."""
    spec = bundle_of(version).spec
    return str(spec.description or version.process_id)


_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True)


def diagram_title(version: ProcessVersion, name: str) -> str:
    """A diagram file's process name in the person's words (its first process's name), the file name if it has none."""
    return _process_name(version.files.get(name, "")) or name


@functools.lru_cache(maxsize=128)
def _process_name(xml: str) -> str | None:
    try:
        root = etree.fromstring(xml.encode(), _SAFE)
    except etree.XMLSyntaxError:
        return None
    process = root.find(f"{_BPMN}process")
    return process.get("name") if process is not None else None
