"""A municipality's own variant of a regional process: how it differs from the regional template it was forked
from, the regional changes published since (three-way: upstream, local, conflicts), and carrying the variant onto the
new regional version as a new draft."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.compare import Change, compare_libraries
from engine.merge import Unmerged, merge_libraries
from engine.texts import N_
from models import ProcessDraft, ProcessVersion, User
from services.errors import Conflict, Invalid, NotFound
from services.library.adoption import require_municipal_editor
from services.library.catalog import process_title, version_of
from services.library.drafts import add_draft, library_drafts
from services.library.versions import COMMENTS, current_version_id, in_library


@dataclass(frozen=True)
class VariantPage:
    """The variant (its current published version, or else its draft), its template, and both sets of changes."""

    process_id: str
    title: str
    variant: ProcessVersion | None
    draft: ProcessDraft | None
    template: ProcessVersion
    regional: ProcessVersion  # the current regional version
    local: list[Change]  # template -> variant: the municipality's own changes
    upstream: list[Change]  # template -> current regional: published by the oblast since the fork
    conflicts: list[Change]  # the variant's changes to what the oblast also changed since
    in_use: bool  # whether the municipality's new cases start on the variant

    @property
    def conflict_keys(self) -> set[tuple[str, str]]:
        """What the conflicting changes are about, to mark them in both lists."""
        return {change_key(change) for change in self.conflicts}

    @property
    def variant_key(self) -> str:
        """The variant's side on the comparison page."""
        return f"m{self.variant.number}" if self.variant is not None else "draft"


def variant_page(*, session: Session, user: User, process_id: str) -> VariantPage:
    """The municipality's variant of a process and how it differs from its regional template and from the regional
    library now; not found when it has neither a published variant nor a draft of one."""
    tenant_id = require_municipal_editor(user)
    variant = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                          in_library(tenant_id), ProcessVersion.is_current))
    draft = library_drafts(session=session, user=user).get(process_id)
    source = variant if variant is not None else draft
    template = session.get(ProcessVersion, source.forked_from_id) if source and source.forked_from_id else None
    if source is None or template is None:
        raise NotFound(N_("У муниципалитета нет своего варианта этого процесса"))
    regional = version_of(session=session, process_id=process_id)
    local = compare_libraries(template.files, source.files)
    upstream = compare_libraries(template.files, regional.files) if regional.id != template.id else []
    touched = {change_key(change) for change in upstream}
    in_use = variant is not None and variant.id == current_version_id(session=session, tenant_id=user.tenant_id,
                                                                      process_id=process_id)
    return VariantPage(process_id, process_title(regional), variant, draft, template, regional, local, upstream,
                       [change for change in local if change_key(change) in touched], in_use)


def change_key(change: Change) -> tuple[str, str]:
    """What a change is about: a diagram element by its id, or a file's part by its subject."""
    return change.file, change.element_id or change.subject


def rebase(*, session: Session, clock: Clock, user: User, process_id: str) -> tuple[ProcessDraft, list[Unmerged]]:
    """A new draft of the variant on the current regional version: the regional files with the variant's own changes
    carried over by element id; what could not be carried (or was changed on both sides) is listed."""
    page = variant_page(session=session, user=user, process_id=process_id)
    if page.draft is not None:
        raise Conflict(N_("У варианта уже есть черновик: опубликуйте его, затем перенесите вариант на новую "
                          "региональную версию"))
    if page.variant is None or page.regional.id == page.template.id:
        raise Invalid(N_("Вариант уже основан на текущей региональной версии v%(number)s",
                         number=page.regional.number))
    files, unmerged = merge_libraries(page.template.files, page.variant.files, page.regional.files)
    draft = add_draft(session=session, clock=clock, user=user, process_id=process_id,
                      base_version_id=page.variant.id, forked_from_id=page.regional.id, files=files,
                      comment=COMMENTS["rebased"] % {"variant": page.variant.number,
                                                     "regional": page.regional.number})
    return draft, unmerged
