"""Working together (order 4.3): the Directorate sends a message in a municipality's competence there, follows the
municipal case by its projections, and gets it back when the municipality finds it is not its competence.

The oblast's case ends with the outcome "transferred"; the municipality registers a case of its own on the same
message (source "oblast"). A return ends the municipal case ("returned") and starts the oblast's case's workflow
again from triage, so the Directorate has it as work at once and no case is left open with nothing to move it on.
The Directorate sees the municipal case's status, current step and deadlines; its history and drafts only once
the municipality has sent it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, undefer

from engine.clock import Clock
from engine.forms import FormSchema
from engine.texts import N_
from models import Case, CaseEvent, CaseTransfer, Draft, HumanTask, Tenant, User
from services.cases import start_case
from services.lexicon import detect_flags
from services.library.versions import CASE_PROCESS, bundle_for, current_version_id
from services.workflow import add_event, apply_snapshot, run_step, runner_for, write_case

TRANSFER = "transfer"  # the triage decisions (forms/triage.schema.json) and the end events they lead to
RETURN = "return_to_oblast"
TRANSFERRED_END = "transferred_end"
RETURNED_END = "returned_end"
SOURCE = "oblast"  # the source of a case the Directorate transferred

_MUNICIPALITY = select(Tenant).where(Tenant.code == bindparam("code"), Tenant.kind == "municipality")
_SAME_MESSAGE = select(Case.id).where(Case.tenant_id == bindparam("tenant_id"), Case.url_key == bindparam("url_key"))
_OPEN_TRANSFER = select(CaseTransfer.id).where(CaseTransfer.case_id == bindparam("case_id"),
                                               CaseTransfer.returned_at.is_(None))
_INCOMING = select(CaseTransfer).where(CaseTransfer.municipal_case_id == bindparam("case_id"))


def fit_triage_form(*, session: Session, case: Case, form: FormSchema) -> FormSchema:
    """The triage form as this case may use it: a transfer only in the oblast, a return only for a case the
    Directorate transferred (the other choice and its field are left out)."""
    decision = form.schema["properties"].get("triage_decision", {})
    if TRANSFER not in decision.get("enum", ()) and RETURN not in decision.get("enum", ()):
        return form
    tenant = session.get(Tenant, case.tenant_id)
    unusable = {} if tenant is not None and tenant.kind == "region" else {TRANSFER: "municipality"}
    if incoming(session=session, case=case) is None:
        unusable[RETURN] = "return_reason"
    # New dicts only where they differ: the stored form is shared, never changed (a deep copy cost a triage 0.2 ms).
    properties = {key: prop for key, prop in form.schema["properties"].items() if key not in unusable.values()}
    properties["triage_decision"] = {**decision, "enum": [v for v in decision["enum"] if v not in unusable]}
    return FormSchema(form.name, {**form.schema, "properties": properties}, form.ui)


def triage_errors(*, session: Session, case: Case, data: dict[str, Any]) -> dict[str, str]:
    """Why a triage decision to transfer or to return cannot be carried out, by field (before the engine step)."""
    decision = data.get("triage_decision")
    if decision == TRANSFER:
        tenant = session.get(Tenant, case.tenant_id)
        if tenant is None or tenant.kind != "region":
            return {"triage_decision": N_("Передать сообщение в муниципальное образование может только Дирекция")}
        municipality = session.scalar(_MUNICIPALITY, {"code": data.get("municipality") or ""})
        if municipality is None:
            return {"municipality": N_("Выберите муниципальное образование из списка")}
        if session.scalar(_OPEN_TRANSFER, {"case_id": case.id}) is not None:
            return {"triage_decision": N_("Случай уже передан в муниципальное образование")}
        if session.scalar(_SAME_MESSAGE, {"tenant_id": municipality.id, "url_key": case.url_key}) is not None:
            return {"municipality": N_("Это сообщение уже зарегистрировано в «%(municipality)s»: повторно его не "
                                       "передать", municipality=municipality.name)}
    elif decision == RETURN and incoming(session=session, case=case) is None:
        return {"triage_decision": N_("Вернуть в Дирекцию можно только случай, переданный из Дирекции")}
    return {}


def after_triage(*, session: Session, clock: Clock, user: User, case: Case, data: dict[str, Any]) -> None:
    """Carry out a triage that ended the case by a transfer to a municipality or by a return to the Directorate."""
    if case.outcome == TRANSFERRED_END:
        transfer_case(session=session, clock=clock, user=user, case=case, municipality_code=data["municipality"],
                      comment=data.get("triage_comment"))
    elif case.outcome == RETURNED_END:
        return_case(session=session, clock=clock, case=case, reason=str(data.get("return_reason") or ""))


def transfer_case(*, session: Session, clock: Clock, user: User, case: Case, municipality_code: str,
                  comment: str | None) -> CaseTransfer:
    """Register the oblast's message as a case of the municipality, on its current process version."""
    municipality = session.scalar(_MUNICIPALITY, {"code": municipality_code})
    assert municipality is not None  # triage_errors checked it before the step
    now = clock.now()
    municipal = Case(tenant_id=municipality.id, kind=case.kind, channel_id=case.channel_id, url=case.url,
                     url_key=case.url_key, author=case.author, text=case.text, published_at=case.published_at,
                     attachments=list(case.attachments), registered_at=now, registered_by_id=None, source=SOURCE,
                     status="open", process_version_id=current_version_id(session=session, tenant_id=municipality.id,
                                                                      process_id=CASE_PROCESS),
                     state="", flags=detect_flags(session=session, tenant_id=municipality.id, text=case.text))
    start_case(session=session, clock=clock, case=municipal, channel=case.channel, actor=None,
               details={"source": SOURCE, "channel": case.channel.name})
    transfer = CaseTransfer(case_id=case.id, municipality_id=municipality.id, municipal_case_id=municipal.id,
                            sent_at=now, sent_by_id=user.id, comment=comment)
    session.add(transfer)
    session.flush()
    add_event(session=session, case=case, at=now, actor=user, kind="transferred",
              details={"municipality": municipality.name})
    return transfer


def return_case(*, session: Session, clock: Clock, case: Case, reason: str) -> CaseTransfer:
    """Record the municipality's return and start the oblast's case again from triage."""
    transfer = incoming(session=session, case=case)
    assert transfer is not None  # triage_errors checked it before the step
    now = clock.now()
    transfer.returned_at = now
    transfer.return_reason = reason
    oblast = session.scalar(select(Case).where(Case.id == transfer.case_id).options(undefer(Case.state)))
    assert oblast is not None
    runner = runner_for(session=session, case=oblast, clock=clock)
    snapshot = run_step(lambda: runner.start({"case_id": oblast.id, "channel": oblast.channel.code}))
    write_case(session=session, case=oblast, changes={"status": "open", "closed_at": None, "outcome": None})
    add_event(session=session, case=oblast, at=now, actor=None, kind="returned",
              details={"municipality": transfer.municipality.name, "reason": reason})
    apply_snapshot(session=session, case=oblast, snapshot=snapshot, clock=clock, actor=None)
    return transfer


def incoming(*, session: Session, case: Case) -> CaseTransfer | None:
    """The transfer a municipal case came from and that is not yet returned, if any."""
    if case.source != SOURCE:
        return None
    transfer = session.scalar(_INCOMING, {"case_id": case.id})
    return transfer if transfer is not None and transfer.returned_at is None else None


@dataclass
class MunicipalProgress:
    """What the Directorate sees of a case it transferred: the municipal case's projections, and its history and
    drafts only once the municipality sent it back."""

    transfer: CaseTransfer
    status: str
    outcome: str | None
    steps: list[str]
    due_at: datetime | None  # the municipal case's answer deadline
    step_due_at: datetime | None  # the nearest deadline of its open tasks
    closed_at: datetime | None
    history: list[CaseEvent]
    drafts: list[Draft]


@dataclass
class Cooperation:
    """A case's transfers: those of an oblast's case, or the one a municipal case came from."""

    outgoing: list[MunicipalProgress]
    incoming: CaseTransfer | None


_OUTGOING = select(CaseTransfer).where(CaseTransfer.case_id == bindparam("case_id")).order_by(CaseTransfer.id)
_MUNICIPAL_CASES = select(Case).where(Case.id.in_(bindparam("ids", expanding=True)))
_STEP_DUE = select(HumanTask.case_id, func.min(HumanTask.due_at)).where(
    HumanTask.case_id.in_(bindparam("ids", expanding=True)), HumanTask.state == "open").group_by(HumanTask.case_id)


def cooperation_of(*, session: Session, user: User, case: Case) -> Cooperation:
    """The transfers of a case the user already may see (its page checked that)."""
    if case.tenant_id != user.tenant_id:
        return Cooperation([], None)
    if case.source == SOURCE:
        return Cooperation([], session.scalar(_INCOMING, {"case_id": case.id}))
    transfers = list(session.scalars(_OUTGOING, {"case_id": case.id}))
    if not transfers:
        return Cooperation([], None)
    ids = [t.municipal_case_id for t in transfers]
    cases = {c.id: c for c in session.scalars(_MUNICIPAL_CASES, {"ids": ids})}
    step_due = {case_id: due for case_id, due in session.execute(_STEP_DUE, {"ids": ids})}
    out = []
    for transfer in transfers:
        municipal = cases[transfer.municipal_case_id]
        names = bundle_for(session=session, version_id=municipal.process_version_id).step_names
        returned = transfer.returned_at is not None
        out.append(MunicipalProgress(
            transfer=transfer, status=municipal.status, outcome=municipal.outcome,
            steps=[names.get(step, step) for step in municipal.active_steps] if municipal.status == "open" else [],
            due_at=municipal.due_at, step_due_at=step_due.get(municipal.id), closed_at=municipal.closed_at,
            history=list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == municipal.id)
                                         .order_by(CaseEvent.at, CaseEvent.id))) if returned else [],
            drafts=list(session.scalars(select(Draft).where(Draft.case_id == municipal.id)
                                        .order_by(Draft.number))) if returned else []))
    return Cooperation(out, None)


def transfer_notes(*, session: Session, cases: Iterable[Case]) -> dict[int, str]:
    """For an inbox: the Directorate's comment on each of these cases it transferred (empty when it wrote none)."""
    ids = [case.id for case in cases if case.source == SOURCE]
    if not ids:
        return {}
    rows = session.execute(select(CaseTransfer.municipal_case_id, CaseTransfer.comment)
                           .where(CaseTransfer.municipal_case_id.in_(ids)))
    return {case_id: comment or "" for case_id, comment in rows}
