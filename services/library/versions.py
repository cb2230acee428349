"""Process versions: publishing a checked library as the new current version of each of its processes (atomically),
loading the shipped library (bpmn/, forms/), and the parsed bundle a case runs on."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.parser import LibraryError, ProcessBundle, content_hash, load_bundle, read_library
from engine.validation import Problem, check_library
from models import ProcessVersion, User
from services.db import savepoint
from services.errors import Conflict, Forbidden, Invalid
from services.notifications import library_people, notify

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("otklik.library")
LIBRARY_DIRS = [ROOT / "bpmn", ROOT / "forms"]
CASE_PROCESS = "case_148rg"
SHIPPED_COMMENT = "Библиотека процессов из поставки (bpmn/, forms/)"
PUBLISHERS = ("methodologist", "admin")


class LibraryRefused(Invalid):
    """A library validation refuses: every problem names its file and element; nothing was published."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"Библиотека процессов не прошла проверку (проблем: {len(problems)}); "
                         "опубликованные версии не изменились")
        self.problems = list(problems)


@dataclass(frozen=True)
class Published:
    """The outcome of publishing for one process: its current version, and whether it is new."""

    process_id: str
    number: int
    created: bool


def publish(*, session: Session, clock: Clock, files: Mapping[str, str], comment: str,
            author: User | None) -> list[Published]:
    """Check a library and make it the current version of each of its processes, all or none (the caller's
    transaction); a process whose files did not change keeps its current version. Author None: the command line."""
    check_publisher(author)
    comment = comment.strip()
    if not comment:
        raise Invalid("Укажите комментарий к публикации: что изменилось и почему",
                      fields={"comment": "Обязательное поле"})
    library = check_library(files)
    if library.problems:
        raise LibraryRefused(library.problems)
    try:
        with savepoint(session):
            outcome = [_publish_one(session, clock, process_id, {name: files[name] for name in sorted(names)},
                                    comment, author, keep_known=False)
                       for process_id, names in sorted(library.processes.items())]
            session.flush()
    except IntegrityError:
        raise Conflict("Одновременно прошла другая публикация; проверьте список версий и повторите") from None
    return outcome


def check_publisher(author: User | None) -> None:
    """Only methodologists and administrators publish (the command line, author None, is an operator's)."""
    if author is not None and author.role not in PUBLISHERS:
        raise Forbidden("Публиковать процессы могут только методологи и администраторы")


def sync_library(*, session: Session, clock: Clock, directories: list[Path] | None = None) -> list[Published]:
    """Load the shipped library (bpmn/, forms/) as a new version of each process whose files no version holds yet,
    so that init-db is idempotent and never undoes a later publication."""
    files = read_library(directories or LIBRARY_DIRS)
    library = check_library(files)
    try:
        if library.problems:
            raise LibraryRefused(library.problems)
        with savepoint(session):
            outcome = [_publish_one(session, clock, process_id, {name: files[name] for name in sorted(names)},
                                    SHIPPED_COMMENT, None, keep_known=True)
                       for process_id, names in sorted(library.processes.items())]
    except Invalid as exc:
        if session.scalar(select(func.count()).select_from(ProcessVersion)) == 0:
            raise  # nothing to fall back on: a fresh install cannot start on a broken library
        _report_refused(session, clock, exc, directories or LIBRARY_DIRS)
        return []
    session.flush()
    return outcome


def _report_refused(session: Session, clock: Clock, exc: Invalid, directories: list[Path]) -> None:
    """The shipped library was refused: the last good versions stay; the log, administrators and methodologists
    hear of it loudly."""
    problems = [str(p) for p in getattr(exc, "problems", [])] or [exc.message]
    log.error("ВНИМАНИЕ: библиотека процессов из %s отклонена, работа продолжается на последних проверенных "
              "версиях. Проблемы:\n  %s", ", ".join(str(d) for d in directories), "\n  ".join(problems))
    text = (f"Файлы процессов на сервере отклонены при запуске: {'; '.join(problems)}. Работа продолжается на "
            "последних проверенных версиях; исправьте файлы или опубликуйте исправление в конструкторе.")
    notify(session=session, people=library_people(session), kind="library_refused", text=text, now=clock.now())


def _publish_one(session: Session, clock: Clock, process_id: str, files: dict[str, str], comment: str,
                 author: User | None, *, keep_known: bool) -> Published:
    """A new current version of one process, unless the current one (or, keep_known, any) holds these files."""
    digest = content_hash(files)
    held = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
    for version in session.scalars(held if keep_known else held.where(ProcessVersion.is_current)):
        # A version stored before versions were per process froze the whole library: these files inside it count.
        if version.content_hash == digest or all(version.files.get(name) == text for name, text in files.items()):
            return Published(process_id, version.number, False)
    try:
        load_bundle(files, process_id)  # the version loads on its own, as every case on it will (and is cached)
    except LibraryError as exc:
        raise Invalid(str(exc)) from None
    number = (session.scalar(select(func.max(ProcessVersion.number))
                             .where(ProcessVersion.process_id == process_id)) or 0) + 1
    session.execute(update(ProcessVersion).where(ProcessVersion.process_id == process_id, ProcessVersion.is_current)
                    .values(is_current=False).execution_options(synchronize_session="fetch"))
    session.add(ProcessVersion(process_id=process_id, number=number, content_hash=digest, files=files,
                               created_at=clock.now(), author_id=author.id if author else None, comment=comment,
                               is_current=True))
    session.flush()
    return Published(process_id, number, True)


_CURRENT = select(ProcessVersion.id).where(ProcessVersion.process_id == bindparam("process_id"),
                                           ProcessVersion.is_current)


def current_version_id(*, session: Session, process_id: str = CASE_PROCESS) -> int:
    """The id of the version new cases of a process start on."""
    version_id = session.connection().execute(_CURRENT, {"process_id": process_id}).scalar()
    if version_id is None:
        raise LookupError(f"Процесс «{process_id}» не загружен: выполните flask --app app init-db")
    return int(version_id)


_NUMBER = select(ProcessVersion.number).where(ProcessVersion.id == bindparam("version_id"))
_numbers: dict[tuple[str, int], int] = {}


def version_number(*, session: Session, version_id: int) -> int:
    """The number (vN) of a version id; numbers never change, so each is read once per database."""
    key = (str(session.get_bind().engine.url), version_id)
    if key not in _numbers:
        _numbers[key] = int(session.connection().execute(_NUMBER, {"version_id": version_id}).scalar_one())
    return _numbers[key]


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
