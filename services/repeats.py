"""Repeat messages (clause 8.10): earlier cases on the same question, and the links between cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_
from models import Case, CaseLink, User
from services.cases import visible_case
from services.errors import Forbidden, Invalid
from services.reports import facts
from services.workflow import add_event

# How far back the same theme and location count as the same question.
SAME_QUESTION_DAYS = 90


def is_repeat(session: Session, case: Case) -> bool:
    """Whether the case is linked to an earlier one, so its reply must say what was done."""
    return bool(session.scalar(select(exists().where(CaseLink.case_id == case.id))))


def thread_key(url_key: str) -> str:
    """A link without its query: comments of one post share it (vk.com/wall-1_2?reply=3 -> vk.com/wall-1_2)."""
    return url_key.split("?", 1)[0]


@dataclass
class Suggestion:
    """An earlier case that may be on the same question, and why."""

    case: Case
    reasons: list[str]


def suggestions(*, session: Session, user: User, case_id: int, limit: int = 10) -> list[Suggestion]:
    """Earlier cases by the same author, from the same post or thread, or on the same theme and location."""
    case = visible_case(session=session, user=user, case_id=case_id)
    linked = set(session.scalars(select(CaseLink.linked_case_id).where(CaseLink.case_id == case.id)))
    thread = thread_key(case.url_key)
    same_question = (Case.theme_id == case.theme_id) & (Case.location_id == case.location_id) \
        if case.theme_id and case.location_id else None
    conditions = [Case.author == case.author, Case.url_key.startswith(thread)]
    if same_question is not None:
        since = case.registered_at - timedelta(days=SAME_QUESTION_DAYS)
        conditions.append(same_question & (Case.registered_at >= since))
    rows = session.scalars(select(Case).where(Case.tenant_id == case.tenant_id, Case.id != case.id,
                                              Case.registered_at <= case.registered_at, or_(*conditions))
                           .order_by(Case.registered_at.desc()).limit(limit + len(linked)))
    out = []
    for row in rows:
        if row.id in linked:
            continue
        reasons = []
        if row.author == case.author:
            reasons.append(N_("тот же автор"))
        if thread_key(row.url_key) == thread:
            reasons.append(N_("та же публикация или ветка"))
        if case.theme_id and row.theme_id == case.theme_id and row.location_id == case.location_id:
            reasons.append(N_("та же тема и локация"))
        out.append(Suggestion(row, reasons))
    return out[:limit]


def link_case(*, session: Session, clock: Clock, user: User, case_id: int, earlier_id: int) -> CaseLink:
    """The curator marks a case as a repeat of an earlier one; both cases show the link."""
    if user.role != "curator":
        raise Forbidden(N_("Связывать повторные сообщения может куратор"))
    case = visible_case(session=session, user=user, case_id=case_id)
    earlier = visible_case(session=session, user=user, case_id=earlier_id)
    if earlier.id == case.id:
        raise Invalid(N_("Случай нельзя связать с самим собой"), fields={"earlier_id": N_("Выберите другой случай")})
    if earlier.registered_at > case.registered_at:
        raise Invalid(N_("Повторное сообщение связывают с более ранним случаем"),
                      fields={"earlier_id": N_("Выберите более ранний случай")})
    if session.scalar(select(exists().where(CaseLink.case_id == case.id, CaseLink.linked_case_id == earlier.id))):
        raise Invalid(N_("Случай № %(case)s уже связан со случаем № %(earlier)s", case=case.id, earlier=earlier.id))
    link = CaseLink(case_id=case.id, linked_case_id=earlier.id, created_by_id=user.id, created_at=clock.now())
    session.add(link)
    facts.repeat_linked(session=session, case=case)
    add_event(session=session, case=case, at=clock.now(), actor=user, kind="linked",
              details={"repeat_of": earlier.id})
    add_event(session=session, case=earlier, at=clock.now(), actor=user, kind="linked",
              details={"repeated_by": case.id})
    session.flush()
    return link
