"""Drafts of the process library that a methodologist edits in the browser: start, read, save, check."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.clock import MOSCOW, Clock
from engine.diagram_rules import DiagramProblem, expression_problems, parse_xml, xml_problem
from engine.texts import N_, joined
from engine.timers import PARAMETERS_FILE
from engine.validation import DIAGRAM_FUNCTIONS, Problem, check_library
from models import ProcessDraft, ProcessVersion, User
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.library.catalog import process_title
from services.library.versions import COMMENTS, PUBLISHERS, current_version_id, in_library, library_of

# The roles a user task may go to, as the panel offers them.
TASK_ROLES = {"curator": N_("Куратор"), "executor": N_("Исполнитель (орган)")}
MAX_COMMENT = 500
# Names a methodologist gives: deadline parameters, form fields, form files.
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_RULE = N_("латинские строчные буквы, цифры и _, начиная с буквы")


def require_editor(user: User) -> None:
    """Only methodologists and administrators edit the process library."""
    if user.role not in PUBLISHERS:
        raise Forbidden(N_("Черновики процессов ведут методолог и администратор"))


def _drafts_of(user: User) -> Any:
    """The drafts of the person's library: the regional one's for the oblast, the municipality's own otherwise."""
    tenant_id = library_of(user)
    return select(ProcessDraft).where(ProcessDraft.tenant_id.is_(None) if tenant_id is None
                                      else ProcessDraft.tenant_id == tenant_id)


def library_drafts(*, session: Session, user: User) -> dict[str, ProcessDraft]:
    """The draft of each process in the person's library, by process id; nothing for people who do not edit it."""
    if user.role not in PUBLISHERS:
        return {}
    return {d.process_id: d for d in session.scalars(_drafts_of(user))}


def start_draft(*, session: Session, clock: Clock, user: User, process_id: str) -> ProcessDraft:
    """The process's draft in the person's library: the one already open, or a new copy of the version in use. For a
    municipality that is its variant: a copy (never a redrawing: the element ids stay) of the regional version it
    runs, or of its own variant, with the regional template it was forked from."""
    require_editor(user)
    draft: ProcessDraft | None = session.scalar(_drafts_of(user).where(ProcessDraft.process_id == process_id))
    if draft is not None:
        return draft
    tenant_id = library_of(user)
    if tenant_id is None:
        version = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                              in_library(None), ProcessVersion.is_current))
    else:
        try:
            version = session.get(ProcessVersion, current_version_id(session=session, tenant_id=tenant_id,
                                                                     process_id=process_id))
        except LookupError:
            version = None
    if version is None:
        raise NotFound(N_("Процесс не найден"))
    template = None if tenant_id is None else (version.forked_from_id or version.id)
    return add_draft(session=session, clock=clock, user=user, process_id=process_id, base_version_id=version.id,
                     forked_from_id=template, files=dict(version.files),
                     comment=COMMENTS["draft"] if tenant_id is None else
                     COMMENTS["variant"] % {"version": f"{'m' if version.tenant_id else 'v'}{version.number}"})


def add_draft(*, session: Session, clock: Clock, user: User, process_id: str, base_version_id: int,
              forked_from_id: int | None, files: dict[str, str], comment: str) -> ProcessDraft:
    """A new draft of the person's library."""
    now = clock.now()
    draft = ProcessDraft(process_id=process_id, tenant_id=library_of(user), base_version_id=base_version_id,
                         forked_from_id=forked_from_id, files=files, revision=1, created_by_id=user.id,
                         created_at=now, saved_by_id=user.id, saved_at=now, comment=comment)
    session.add(draft)
    session.flush()
    return draft


def get_draft(*, session: Session, user: User, draft_id: int) -> ProcessDraft:
    """A draft of the person's library by id (another library's: not found, as if it did not exist)."""
    require_editor(user)
    draft = session.get(ProcessDraft, draft_id)
    if draft is None or draft.tenant_id != library_of(user):
        raise NotFound(N_("Черновик не найден"))
    return draft


def draft_diagram(*, session: Session, user: User, draft_id: int, name: str) -> tuple[ProcessDraft, str]:
    """One diagram file of a draft and the draft it belongs to."""
    return _draft_file(session, user, draft_id, name, ".bpmn", N_("Диаграмма не найдена в черновике"))


def _draft_file(session: Session, user: User, draft_id: int, name: str, suffix: str,
                missing: str) -> tuple[ProcessDraft, str]:
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    if not name.endswith(suffix) or name not in draft.files:
        raise NotFound(missing)
    return draft, draft.files[name]


def save_diagram(*, session: Session, clock: Clock, user: User, draft_id: int, name: str, xml: str,
                 revision: int, comment: str = "") -> tuple[ProcessDraft, list[Problem]]:
    """Store a diagram in the draft if the draft is still at `revision`; the problems it has are returned, not
    refused: only a text that is not a BPMN diagram at all is."""
    draft, _ = draft_diagram(session=session, user=user, draft_id=draft_id, name=name)
    refusal = xml_problem(xml.encode())
    if refusal is not None:
        raise Invalid(N_("Диаграмма %(name)s не сохранена: %(problem)s", name=name, problem=refusal.message),
                      fields={"xml": refusal.message})
    draft = store_files(session=session, clock=clock, user=user, draft=draft, files={**draft.files, name: xml},
                        revision=revision, comment=comment)
    return draft, draft_problems(draft.files)


def draft_table(*, session: Session, user: User, draft_id: int, name: str) -> tuple[ProcessDraft, str]:
    """One decision table (.dmn) of a draft and the draft it belongs to."""
    return _draft_file(session, user, draft_id, name, ".dmn", N_("Таблица решений не найдена в черновике"))


def save_table(*, session: Session, clock: Clock, user: User, draft_id: int, name: str, xml: str,
               revision: int, comment: str = "") -> tuple[ProcessDraft, list[Problem]]:
    """Store a decision table in the draft as save_diagram stores a diagram; only a text that is not XML is refused."""
    draft, _ = draft_table(session=session, user=user, draft_id=draft_id, name=name)
    refusal = parse_xml(xml.encode())
    if isinstance(refusal, DiagramProblem):
        raise Invalid(N_("Таблица %(name)s не сохранена: %(problem)s", name=name, problem=refusal.message),
                      fields={"xml": refusal.message})
    draft = store_files(session=session, clock=clock, user=user, draft=draft, files={**draft.files, name: xml},
                        revision=revision, comment=comment)
    return draft, draft_problems(draft.files)


def store_files(*, session: Session, clock: Clock, user: User, draft: ProcessDraft, files: dict[str, str],
                revision: int, comment: str = "") -> ProcessDraft:
    """Replace the draft's files if the draft is still at `revision` (Conflict, in Russian, when it is not)."""
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid(N_("Комментарий длиннее %(count)s знаков", count=MAX_COMMENT),
                      fields={"comment": N_("Слишком длинный")})
    saved = session.execute(
        update(ProcessDraft).where(ProcessDraft.id == draft.id, ProcessDraft.revision == revision)
        .values(files=files, revision=revision + 1, saved_by_id=user.id, saved_at=clock.now(), comment=comment)
        .execution_options(synchronize_session=False))
    session.expire(draft)
    if saved.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(draft)
        raise Conflict(N_("Черновик уже изменил(а) %(person)s %(day)s в %(time)s (редакция %(revision)s); ваши "
                          "изменения не сохранены. Обновите страницу, чтобы продолжить с новой редакции.",
                          person=draft.saved_by.full_name, day=f"{draft.saved_at.astimezone(MOSCOW):%d.%m.%Y}",
                          time=f"{draft.saved_at.astimezone(MOSCOW):%H:%M}", revision=draft.revision))
    session.refresh(draft)
    return draft


@dataclass(frozen=True)
class DraftPage:
    """Everything the modeler page shows: the draft, the diagram opened, the panel's choices and the problems."""

    draft: ProcessDraft
    name: str
    diagrams: list[str]
    options: dict[str, Any]
    problems: list[Problem]


def draft_page(*, session: Session, user: User, draft_id: int, name: str | None) -> DraftPage:
    """The modeler page of a draft on one diagram, by default the one that defines the draft's process."""
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    diagrams = sorted(n for n in draft.files if n.endswith(".bpmn"))
    own = re.compile(r'<(\w+:)?process\b[^>]*\bid="' + re.escape(draft.process_id) + '"')
    name = name or next((n for n in diagrams if own.search(draft.files[n])), diagrams[0] if diagrams else "")
    draft_diagram(session=session, user=user, draft_id=draft_id, name=name)
    return DraftPage(draft, name, diagrams, panel_options(session=session, draft=draft),
                     draft_problems(draft.files))


def draft_problems(files: dict[str, str]) -> list[Problem]:
    """Every problem of a draft's files that would stop it from being published (as publishing checks them)."""
    return list(check_library(files).problems)


def _titled(title: str, name: str) -> str:
    """A library text followed by the name it is known by in files, «Подготовка проекта ответа (draft)»."""
    return N_("%(library)s (%(name)s)", library=title, name=name)


def panel_options(*, session: Session, draft: ProcessDraft) -> dict[str, Any]:
    """What the properties panel offers: the draft's forms, the task roles, deadline parameters, processes (titles as
    texts of the library, each with its name)."""
    try:
        deadlines = json.loads(draft.files.get(PARAMETERS_FILE, "{}")).get("deadlines", {})
    except (json.JSONDecodeError, AttributeError):
        deadlines = {}
    return {
        "forms": sorted(name for name in draft.files if name.endswith(".schema.json")),
        "roles": TASK_ROLES,
        "deadlines": {name: _titled(str(spec.get("title") or name), name) for name, spec in sorted(deadlines.items())
                      if isinstance(spec, dict)},
        "processes": {v.process_id: _titled(process_title(v), v.process_id) for v in session.scalars(
            select(ProcessVersion).where(ProcessVersion.is_current, in_library(None))
            .order_by(ProcessVersion.process_id))},
    }


def check_condition(*, user: User, source: str) -> str | None:
    """Why a gateway condition may not be written in a diagram (a Text); None when it may."""
    require_editor(user)
    if not source.strip():
        return N_("Условие пусто")
    reasons = expression_problems(source, functions=DIAGRAM_FUNCTIONS)
    return joined(reasons) if reasons else None
