"""The bodies' parts of a common reply (clause 8.9): who was asked, what each sent, what the curator decided."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models import Body, Case, CaseEvent, Draft, HumanTask

# A part's state, as the case summary names it.
WAITING, PREPARING, SENT, NOT_COMPETENT = "waiting", "preparing", "sent", "not_competent"
DECISION_STEP = "compose_decision"


@dataclass
class BodyPart:
    """One body of a several-bodies case and how far its part has come."""

    body: Body
    state: str
    draft: Draft | None = None


_PART_TASKS = select(HumanTask.body_id, HumanTask.state).where(
    HumanTask.case_id == bindparam("case_id"), HumanTask.step == "part").order_by(HumanTask.id)
_BODIES = select(Body).where(Body.tenant_id == bindparam("tenant_id"), Body.code.in_(bindparam("codes",
                                                                                               expanding=True)))


def body_parts(*, session: Session, case: Case, drafts: list[Draft]) -> list[BodyPart]:
    """Every body of a several-bodies case in the curator's order (a body a part was passed on to after them),
    with its part's state; empty for a case of one body."""
    if len(case.bodies) < 2:
        return []
    tasks = session.execute(_PART_TASKS, {"case_id": case.id}).all()
    named = {b.code: b for b in session.scalars(_BODIES, {"tenant_id": case.tenant_id, "codes": list(case.bodies)})}
    order = [named[code].id for code in case.bodies if code in named]
    order += list(dict.fromkeys(body_id for body_id, _ in tasks if body_id is not None and body_id not in order))
    bodies = {b.id: b for b in named.values()}
    for body_id in order:
        if body_id not in bodies:
            found = session.get(Body, body_id)
            if found is not None:
                bodies[body_id] = found
    sent = {d.body_id: d for d in drafts if d.kind == "part"}
    parts = []
    for body_id in order:
        states = [state for task_body, state in tasks if task_body == body_id]
        if body_id in sent:
            parts.append(BodyPart(bodies[body_id], SENT, sent[body_id]))
        elif "open" in states:
            parts.append(BodyPart(bodies[body_id], PREPARING))
        elif states:
            parts.append(BodyPart(bodies[body_id], NOT_COMPETENT))
        else:
            parts.append(BodyPart(bodies[body_id], WAITING))
    return parts


def composer_decision(history: list[CaseEvent]) -> CaseEvent | None:
    """The curator's latest decision on who composes the common reply, from the case's history."""
    return next((e for e in reversed(history) if e.kind == "task_completed" and e.step == DECISION_STEP), None)


def last_body(*, session: Session, case: Case) -> Body | None:
    """The body last in the curator's order: it composes the common reply unless the curator decides otherwise."""
    if not case.bodies:
        return None
    return session.scalar(_BODIES, {"tenant_id": case.tenant_id, "codes": [case.bodies[-1]]})
