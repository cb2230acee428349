"""Process versions: publishing a checked library as the new current version of each of its processes (atomically),
loading the shipped library (bpmn/, forms/), the version a tenant's new cases start on, and the parsed bundle a case
runs on. The regional library (tenant NULL) is the oblast's; a municipality runs the regional version it adopted or
its own variant."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.parser import LibraryError, ProcessBundle, content_hash, load_bundle, read_library
from engine.texts import N_, Text, joined, text_of
from engine.validation import Problem, check_library
from models import ProcessAdoption, ProcessVersion, Tenant, User
from services.db import savepoint
from services.errors import Conflict, Forbidden, Invalid
from services.notifications import library_people, notify

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("otklik.library")
LIBRARY_DIRS = [ROOT / "bpmn", ROOT / "forms"]
CASE_PROCESS = "case_148rg"
# The comments the system writes itself (the shipped library, a draft started, a save without a comment): stored as
# the Russian sentence, as a person's comment is, and shown in the reader's language (comment_text).
COMMENTS = {"shipped": N_("Библиотека процессов из поставки (bpmn/, forms/)"),
            "draft": N_("Черновик создан из текущей версии"), "variant": N_("Вариант создан из версии %(version)s"),
            "rebased": N_("Вариант m%(variant)s перенесён на региональную версию v%(regional)s"),
            "form_changed": N_("Изменена форма %(name)s"), "form_added": N_("Добавлена форма %(name)s"),
            "parameters": N_("Изменены параметры сроков")}
_COMMENT_PATTERNS = [(msgid, re.compile(re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>.+)", re.escape(msgid))))
                     for msgid in COMMENTS.values()]
PUBLISHERS = ("methodologist", "admin")
REGION = "region"  # the kind of the oblast's tenant; the others are municipalities


class LibraryRefused(Invalid):
    """A library validation refuses: every problem names its file and element; nothing was published."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(N_("Библиотека процессов не прошла проверку (проблем: %(count)s); опубликованные версии не "
                            "изменились", count=len(problems)))
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
    comment = publication_comment(comment)
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
        raise Conflict(N_("Одновременно прошла другая публикация; проверьте список версий и повторите")) from None
    return outcome


def publish_variant(*, session: Session, clock: Clock, author: User, process_id: str, files: Mapping[str, str],
                    forked_from_id: int | None, comment: str) -> Published:
    """A new version of a municipality's own variant of a process (files already checked), for it alone."""
    tenant_id = library_of(author)
    if tenant_id is None or author.role not in PUBLISHERS:
        raise Forbidden(N_("Вариант процесса публикуют методолог и администратор муниципалитета"))
    comment = publication_comment(comment)
    try:
        with savepoint(session):
            published = _publish_one(session, clock, process_id, dict(sorted(files.items())), comment, author,
                                     keep_known=False, tenant_id=tenant_id, forked_from_id=forked_from_id)
    except IntegrityError:
        raise Conflict(N_("Одновременно прошла другая публикация варианта; проверьте версии и повторите")) from None
    return published


def publication_comment(comment: str) -> str:
    """A publication's comment, required."""
    comment = comment.strip()
    if not comment:
        raise Invalid(N_("Укажите комментарий к публикации: что изменилось и почему"),
                      fields={"comment": N_("Обязательное поле")})
    return comment


def check_publisher(author: User | None) -> None:
    """Only the oblast's methodologists and administrators publish regional versions (the command line, author None,
    is an operator's)."""
    if author is not None and author.role not in PUBLISHERS:
        raise Forbidden(N_("Публиковать процессы могут только методологи и администраторы"))
    if library_of(author) is not None:
        raise Forbidden(N_("Региональную библиотеку публикует область; муниципалитет публикует свой вариант "
                           "процесса"))


def library_of(user: User | None) -> int | None:
    """The library a person edits: None, the regional one, for the oblast's people (and the command line); the
    municipality's own variants for a municipality's people."""
    return None if user is None or user.tenant.kind == REGION else user.tenant_id


def in_library(tenant_id: int | None) -> Any:
    """The condition selecting one library's versions."""
    return ProcessVersion.tenant_id.is_(None) if tenant_id is None else ProcessVersion.tenant_id == tenant_id


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
                                    COMMENTS["shipped"], None, keep_known=True)
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
    problems = [p.described() for p in getattr(exc, "problems", [])] or [exc.message]
    log.error("ВНИМАНИЕ: библиотека процессов из %s отклонена, "  # not translated: the operators' log
              "работа продолжается на последних проверенных версиях. Проблемы:\n  %s",
              ", ".join(str(d) for d in directories), "\n  ".join(problems))
    text = N_("Файлы процессов на сервере отклонены при запуске: %(problems)s. Работа продолжается на последних "
              "проверенных версиях; исправьте файлы или опубликуйте исправление в конструкторе.",
              problems=joined(problems))
    notify(session=session, people=library_people(session), kind="library_refused", text=text, now=clock.now())


def _publish_one(session: Session, clock: Clock, process_id: str, files: dict[str, str], comment: str,
                 author: User | None, *, keep_known: bool, tenant_id: int | None = None,
                 forked_from_id: int | None = None) -> Published:
    """A new current version of one process in a library (the regional one, or a municipality's variants), unless
    the current one (or, keep_known, any) holds these files. A new regional version moves the municipalities that
    adopt automatically; the others keep the version they run."""
    digest = content_hash(files)
    scope = (ProcessVersion.process_id == process_id, in_library(tenant_id))
    held = select(ProcessVersion).where(*scope)
    for version in session.scalars(held if keep_known else held.where(ProcessVersion.is_current)):
        # A version stored before versions were per process froze the whole library: these files inside it count.
        if version.content_hash == digest or all(version.files.get(name) == text for name, text in files.items()):
            return Published(process_id, version.number, False)
    try:
        load_bundle(files, process_id)  # the version loads on its own, as every case on it will (and is cached)
    except LibraryError as exc:
        raise Invalid(text_of(exc)) from None
    number = (session.scalar(select(func.max(ProcessVersion.number)).where(*scope)) or 0) + 1
    previous = session.scalar(select(ProcessVersion.id).where(*scope, ProcessVersion.is_current))
    session.execute(update(ProcessVersion).where(*scope, ProcessVersion.is_current)
                    .values(is_current=False).execution_options(synchronize_session="fetch"))
    version = ProcessVersion(process_id=process_id, tenant_id=tenant_id, forked_from_id=forked_from_id, number=number,
                             content_hash=digest, files=files, created_at=clock.now(),
                             author_id=author.id if author else None, comment=comment, is_current=True)
    session.add(version)
    session.flush()
    if tenant_id is None and previous is not None:
        _follow(session, clock, process_id, previous, version.id)
    return Published(process_id, number, True)


def _follow(session: Session, clock: Clock, process_id: str, previous: int, new: int) -> None:
    """After a new regional version: municipalities that adopt automatically move to it at once; the others, that
    followed the regional library without a choice of their own so far, keep the version they ran."""
    adopted = select(ProcessAdoption.tenant_id).where(ProcessAdoption.process_id == process_id)
    following = list(session.scalars(select(Tenant.id).where(Tenant.kind != REGION, Tenant.id.not_in(adopted))))
    session.add_all(ProcessAdoption(tenant_id=tenant_id, process_id=process_id, version_id=previous,
                                    adopted_at=clock.now()) for tenant_id in following)
    session.flush()
    session.execute(update(ProcessAdoption).where(ProcessAdoption.process_id == process_id, ProcessAdoption.auto_adopt)
                    .values(version_id=new, adopted_at=clock.now(), adopted_by_id=None)
                    .execution_options(synchronize_session="fetch"))


# A municipality's adopted version, or else the regional library's current one: one round trip per new case.
_CURRENT = select(func.coalesce(
    select(ProcessAdoption.version_id).where(ProcessAdoption.tenant_id == bindparam("tenant_id"),
                                             ProcessAdoption.process_id == bindparam("process_id"))
    .scalar_subquery(),
    select(ProcessVersion.id).where(ProcessVersion.process_id == bindparam("process_id"),
                                    ProcessVersion.tenant_id.is_(None), ProcessVersion.is_current)
    .scalar_subquery()))


def current_version_id(*, session: Session, tenant_id: int, process_id: str = CASE_PROCESS) -> int:
    """The id of the version a tenant's new cases of a process start on."""
    version_id = session.connection().execute(_CURRENT, {"tenant_id": tenant_id, "process_id": process_id}).scalar()
    if version_id is None:
        raise LookupError(N_("Процесс «%(process)s» не загружен: выполните flask --app app init-db",
                             process=process_id))
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
            raise LookupError(N_("Версия процесса %(id)s не найдена", id=version_id))
        _bundles[key] = bundle_of(version)
    return _bundles[key]


def comment_text(comment: str) -> str:
    """A stored version's or draft's comment: one the system wrote as a Text, translated where it is shown; what a
    person wrote as it is."""
    for msgid, pattern in _COMMENT_PATTERNS:
        if match := pattern.fullmatch(comment):
            return Text(msgid, match.groupdict())
    return comment
