"""Publishing a draft from the workbench: checked as any publication, never over a version published meanwhile
unless the methodologist confirmed replacing it; the draft closes once its versions are current."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import MOSCOW, Clock
from engine.texts import N_
from engine.validation import check_library
from models import ProcessDraft, ProcessVersion, User
from services.errors import Conflict, Invalid
from services.library.adoption import use_version
from services.library.drafts import get_draft
from services.library.versions import LibraryRefused, Published, check_publisher, in_library, publish, publish_variant


class StaleDraft(Conflict):
    """Versions published after the draft was started that publishing the draft would replace."""

    def __init__(self, versions: Sequence[ProcessVersion]) -> None:
        named = ", ".join(f"{v.process_id} v{v.number} ({v.created_at.astimezone(MOSCOW):%d.%m.%Y %H:%M}, "
                          f"{v.author.full_name if v.author else 'cli'})" for v in versions)
        super().__init__(N_("После того как черновик был начат, опубликовано: %(versions)s. Публикация черновика "
                            "заменила бы эти версии его содержимым, поэтому она остановлена. Сравните черновик с "
                            "текущей версией и подтвердите замену, если черновик должен их заменить.", versions=named))
        self.versions = list(versions)


def publish_draft(*, session: Session, clock: Clock, user: User, draft_id: int, revision: int, comment: str,
                  replacing: Collection[int] = ()) -> list[Published]:
    """Publish the draft's files (at `revision`) as the new current versions and close the draft; refused with the
    problems when the check fails, and when it would replace a version published meanwhile that is not in
    `replacing`."""
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    if draft.tenant_id is None:
        check_publisher(user)
    if draft.revision != revision:
        raise Conflict(N_("Черновик изменён после того, как вы его открыли (теперь редакция %(revision)s): "
                          "обновите страницу и проверьте изменения перед публикацией", revision=draft.revision))
    library = check_library(draft.files)
    if library.problems:
        raise LibraryRefused(library.problems)
    processes = library.processes
    if draft.tenant_id is not None:  # a municipal variant: its own process only, its subprocesses' files inside
        processes = {draft.process_id: processes.get(draft.process_id, frozenset())}
    stale = [version for version in _replaced(session, draft, processes) if version.id not in replacing]
    if stale:
        raise StaleDraft(stale)
    if draft.tenant_id is not None:
        return [_publish_variant(session, clock, user, draft, processes[draft.process_id], comment)]
    published = publish(session=session, clock=clock, files=draft.files, comment=comment, author=user)
    if not any(p.created for p in published):
        raise Invalid(N_("Черновик не отличается от текущих версий: публиковать нечего"))
    session.delete(draft)
    session.flush()
    return published


def _publish_variant(session: Session, clock: Clock, user: User, draft: ProcessDraft, names: frozenset[str],
                     comment: str) -> Published:
    """The municipal draft as the new version of the municipality's variant, which its new cases start on."""
    files = {name: draft.files[name] for name in names}
    template = session.get(ProcessVersion, draft.forked_from_id) if draft.forked_from_id else None
    if template is not None and template.files == files:
        raise Invalid(N_("Вариант не отличается от региональной версии v%(number)s: публиковать нечего (чтобы "
                         "работать по региональной версии, примите её на странице «Процессы»)",
                         number=template.number))
    published = publish_variant(session=session, clock=clock, author=user, process_id=draft.process_id, files=files,
                                forked_from_id=draft.forked_from_id, comment=comment)
    if not published.created:
        raise Invalid(N_("Черновик не отличается от текущей версии варианта: публиковать нечего"))
    version = session.scalar(select(ProcessVersion).where(
        ProcessVersion.process_id == draft.process_id, in_library(draft.tenant_id),
        ProcessVersion.number == published.number))
    assert version is not None and draft.tenant_id is not None
    use_version(session=session, clock=clock, user=user, tenant_id=draft.tenant_id, process_id=draft.process_id,
                version_id=version.id, auto_adopt=False)
    session.delete(draft)
    session.flush()
    return published


def _replaced(session: Session, draft: ProcessDraft, processes: Mapping[str, frozenset[str]]) -> list[ProcessVersion]:
    """Current versions that publishing the draft would change and that hold files other than the draft's base
    version had: someone published them after the draft was started."""
    base = session.get(ProcessVersion, draft.base_version_id)
    base_files = base.files if base is not None else {}
    currents = {v.process_id: v for v in session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_id.in_(processes), in_library(draft.tenant_id),
                                     ProcessVersion.is_current))}
    replaced = []
    for process_id, names in sorted(processes.items()):
        current = currents.get(process_id)
        if current is None or all(current.files.get(name) == draft.files.get(name) for name in names):
            continue  # a new process, or one publishing keeps as it is
        if any(base_files.get(name) != text for name, text in current.files.items()):
            replaced.append(current)
    return replaced
