"""The inbox, opening a task's form, and completing a task."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import MOSCOW, Clock
from engine.forms import FormSchema
from engine.texts import N_
from models import Body, Case, Draft, HumanTask, Location, Theme, ThemeGroup, User
from services.absences import assigned_elsewhere, may_work_on
from services.approval import edit_draft, same_text
from services.breaches import check_competence, settle
from services.cases import may_see
from services.cooperation import after_triage, fit_triage_form, triage_errors
from services.db import add_inserted, savepoint, update_loaded
from services.errors import CaseChanged, Conflict, Forbidden, Invalid, NotFound
from services.governor import MONITORING_FORM, record_monitoring_check
from services.library.decisions import competent_bodies
from services.library.versions import bundle_for
from services.notifications import notify_draft_returned, notify_leadership
from services.parts import last_body
from services.reference import CLASSIFIER_TENANTS, form_options
from services.repeats import is_repeat
from services.reports import facts
from services.surge import check_surge
from services.workflow import add_event, apply_snapshot, run_step, runner_for


def _inbox_order(task: HumanTask) -> tuple[bool, datetime, datetime, int]:
    """The inbox's ORDER BY for tasks already in hand: by deadline, tasks without one last."""
    return task.due_at is None, task.due_at or task.created_at, task.created_at, task.id


# The case comes with its task, without the case's own channel and body (read on demand, rarely).
_TASK = select(HumanTask).where(HumanTask.id == bindparam("task_id")) \
    .options(joinedload(HumanTask.case).options(lazyload(Case.channel), lazyload(Case.body)))
# To complete it: with the case's state, and its channel, which a reply's length check and its report fact read (a
# joined row costs less than a draft's or a publication's lazy load of it).
_TASK_AND_STATE = select(HumanTask).where(HumanTask.id == bindparam("task_id")) \
    .options(joinedload(HumanTask.case).options(lazyload(Case.body)).undefer(Case.state))


def _visible_task(session: Session, user: User, task_id: int, *, with_state: bool = False) -> HumanTask:
    task = session.scalar(_TASK_AND_STATE if with_state else _TASK, {"task_id": task_id})
    if task is None or not may_see(session=session, user=user, case=task.case):
        raise NotFound(N_("Задача не найдена"))
    if user.role in ("executor", "responsible") and task.body_id != user.body_id:
        raise NotFound(N_("Задача не найдена"))
    return task


def _may_complete(user: User, task: HumanTask) -> bool:
    if task.role == "curator":
        return user.role == "curator"
    return user.role in ("executor", "responsible") and task.body_id == user.body_id and may_work_on(user, task)


@dataclass
class TaskForm:
    """A task with its form (reference choices filled in) and the values to prefill."""

    task: HumanTask
    case: Case
    form: FormSchema
    values: dict[str, Any]
    may_complete: bool
    notes: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> choice -> data shown beside it


def open_task(*, session: Session, user: User, task_id: int, clock: Clock,
              typed: dict[str, Any] | None = None) -> TaskForm:
    """The task's form and prefilled values (or the `typed` ones of a refused submission), if the user may see the
    task; with a theme or location chosen and no body yet, the bodies are the decision table's answer."""
    task = _visible_task(session, user, task_id)
    form = _form_of(session, task)
    if typed is not None:
        values = dict(typed)
    else:
        values = {f.name: f.default for f in form.fields() if f.default is not None}
        props = form.schema["properties"]
        last = current_draft(session, task.case, task) if "reply_kind" in props or "approval_text" in props else None
        if last is not None and task.form == "rework.schema.json":  # a rework starts from the returned version
            values.update(reply_kind=last.kind, reply_text=last.text)
        if last is not None and "approval_text" in props:  # the curator may edit the text while approving
            values["approval_text"] = last.text
        if "published_at" in form.schema["properties"]:
            values["published_at"] = clock.now().isoformat()
    if {"bodies", "theme", "location"} <= form.schema["properties"].keys() and not any(values.get("bodies") or ()):
        values["bodies"] = _competent_bodies(session, task, values.get("theme") or None,
                                             values.get("location") or None)
    notes = {}
    if "composer" in form.schema["properties"]:  # 8.9: name the body that composes when the curator picks «last»
        body = last_body(session=session, case=task.case)
        notes["composer"] = {"last_body": body.short_name} if body is not None else {}
    return TaskForm(task, task.case, form, values, _may_complete(user, task) and task.state == "open", notes)


def suggest_bodies(*, session: Session, user: User, task_id: int, theme: str | None,
                   location: str | None) -> list[str]:
    """The decision table's competent bodies for a theme and location chosen in a task's form."""
    return _competent_bodies(session, _visible_task(session, user, task_id), theme, location)


def _competent_bodies(session: Session, task: HumanTask, theme: str | None, location: str | None) -> list[str]:
    """The decision table's bodies that are the task tenant's own active bodies (the regional table names the
    oblast's bodies; a municipality is offered none of them)."""
    codes = competent_bodies(session=session, version_id=task.case.process_version_id, theme=theme,
                             location=location)
    if not codes:
        return []
    own = set(session.scalars(select(Body.code).where(Body.tenant_id == task.tenant_id, Body.active,
                                                      Body.code.in_(codes))))
    return [code for code in codes if code in own]


def _form_of(session: Session, task: HumanTask) -> FormSchema:
    form = bundle_for(session=session, version_id=task.case.process_version_id).forms[task.form]
    form = fit_triage_form(session=session, case=task.case, form=form)
    return form.with_options(form_options(session=session, tenant_id=task.tenant_id, lists=form.option_lists))


@dataclass
class Completed:
    """A completed task and the case's open tasks the same person may do next, by deadline as in the inbox."""

    task: HumanTask
    next_tasks: list[HumanTask]


def complete_task(*, session: Session, user: User, task_id: int, form_data: dict[str, Any],
                  clock: Clock) -> Completed:
    """Validate the form, advance the workflow, and record what the step means for the case."""
    task = _visible_task(session, user, task_id, with_state=True)
    if task.state != "open":
        raise _already_done(task)
    if not _may_complete(user, task):
        raise Forbidden(assigned_elsewhere(user, task) or N_("Эту задачу выполняет другая роль"))
    form = _form_of(session, task)
    data, errors = form.validate(form_data)
    errors.update(_rule_errors(session, task, data, clock))
    if errors:
        raise Invalid(N_("Форма заполнена с ошибками"), fields=errors)
    case = task.case
    runner = runner_for(session=session, case=case, clock=clock)
    snapshot = run_step(lambda: runner.complete(case.state, task.task_guid, data))
    now = clock.now()
    # Everything read before the first write: the case's changes, the draft decided on, the report fact's changes.
    changes = _case_changes(session, case, data, now)
    decided = current_draft(session, case, task) \
        if data.get("approval_decision") or data.get("published_url") else None
    fact = facts.task_completed(session=session, case=case, data=data, changes=changes,
                                published=decided if data.get("published_url") else None)
    try:
        with savepoint(session):
            add_event(session=session, case=case, at=now, actor=user, kind="task_completed", step=task.step,
                      body_id=task.body_id, due_at=task.due_at,
                      details={"task": task.name, **({"due_by": "case_deadline"} if capped_by_case(task) else {}),
                               **{k: v for k, v in data.items() if v is not None and k in SUMMARY}})
            # The case row's version check is written first: a concurrent completion fails before any draft insert.
            still_open = apply_snapshot(session=session, case=case, snapshot=snapshot, clock=clock, actor=user,
                                        completed_guid=task.task_guid, changes=changes, fact=fact)
            _record_domain(session, user, task, case, data, changes, decided, now)
            after_triage(session=session, clock=clock, user=user, case=case, data=data)
            if data.get("draft_outcome") == "not_competent":
                check_competence(session=session, case=case, task=task, user=user, now=now)
            settle(session=session, case=case, task=task, user=user, now=now)
    except StaleDataError:
        session.refresh(task)
        if task.state == "open":  # another task of the case (e.g. a parallel part, 8.9) moved it on first
            raise CaseChanged(N_("Случай только что изменил другой участник: проверьте форму и отправьте её ещё раз")) \
                from None
        raise _already_done(task) from None
    return Completed(task, sorted((t for t in still_open if _may_complete(user, t)), key=_inbox_order))


def capped_by_case(task: HumanTask) -> bool:
    """Whether the step's deadline is the case's reply deadline, which comes before the step's own (clause 8.3)."""
    return task.due_at is not None and task.due_at == task.case.due_at


SUMMARY = ("triage_decision", "importance", "not_subject_ground", "return_reason", "triage_comment", "draft_outcome",
           "reply_kind",
           "not_competent_reason", "reassign_comment", "approval_decision", "approval_comment", "published_url",
           "part_outcome", "composer", "compose_comment", "measures_taken", "clarification_text",
           "clarification_url", "clarification_at", "silent_decision", "silent_comment")


def _already_done(task: HumanTask) -> Conflict:
    if task.state == "cancelled":
        return Conflict(N_("Задача «%(step)s» закрыта: её срок истёк или процесс пошёл дальше без неё",
                           step=task.name))
    if task.completed_by is None or task.completed_at is None:
        return Conflict(N_("Задача «%(step)s» уже выполнена другим участником", step=task.name))
    return Conflict(N_("Задача «%(step)s» уже выполнена: %(person)s %(moment)s", step=task.name,
                       person=task.completed_by.full_name, moment=_msk(task.completed_at)))


def _rule_errors(session: Session, task: HumanTask, data: dict[str, Any], clock: Clock) -> dict[str, str]:
    """Rules beyond the form schema that need the clock or the case."""
    errors = {}
    now = clock.now()
    shortened = data.get("shortened_due_at")
    if shortened and datetime.fromisoformat(shortened) <= now:
        errors["shortened_due_at"] = N_("Сокращённый срок должен быть позже текущего момента")
    for key in ("reply_text", "approval_text"):
        text = data.get(key) or ""
        limit = task.case.channel.reply_max_length if text else 0  # the channel is read only for a reply
        if len(text) > limit:
            errors[key] = N_("Ответ длиннее, чем допускает %(channel)s: %(length)s из %(limit)s символов",
                             channel=task.case.channel.name, length=len(text), limit=limit)
    published = data.get("published_at")
    if published and datetime.fromisoformat(published) > now + timedelta(minutes=5):
        errors["published_at"] = N_("Время публикации не может быть в будущем")
    elif published and datetime.fromisoformat(published) < task.case.published_at:
        errors["published_at"] = N_("Ответ не может быть опубликован раньше сообщения: оно опубликовано %(moment)s",
                                    moment=_msk(task.case.published_at))
    clarified = data.get("clarification_at")
    if clarified:
        asked = _clarification_asked(session, task.case)
        if datetime.fromisoformat(clarified) > now + timedelta(minutes=5):
            errors["clarification_at"] = N_("Время ответа автора не может быть в будущем")
        elif asked is not None and datetime.fromisoformat(clarified) < asked:
            errors["clarification_at"] = N_("Автор не мог ответить раньше, чем был опубликован запрос уточнения: "
                                            "%(moment)s", moment=_msk(asked))
    if task.step in ("reassign", "part_reassign") and data.get("body") == (task.body.code if task.body else None):
        errors["body"] = N_("Выберите другой орган: этот сообщил, что вопрос не в его компетенции")
    competent = data.get("draft_outcome", data.get("part_outcome")) != "not_competent"
    if "measures_taken" in data and not data["measures_taken"] and competent and is_repeat(session, task.case):
        errors["measures_taken"] = N_("Повторное сообщение: укажите принятые меры или ход решения вопроса (п. 8.10)")
    errors.update(triage_errors(session=session, case=task.case, data=data))
    return errors


def _msk(moment: datetime) -> str:
    return moment.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M")


_CLARIFICATION_ASKED = select(func.max(Draft.published_at)).where(
    Draft.case_id == bindparam("case_id"), Draft.kind == "clarification")


def _clarification_asked(session: Session, case: Case) -> datetime | None:
    """When the latest request for the author's clarification (7.3) was published."""
    return session.scalar(_CLARIFICATION_ASKED, {"case_id": case.id})


def _case_changes(session: Session, case: Case, data: dict[str, Any], now: datetime) -> dict[str, object]:
    """What a completed form changes in the case row: the body it goes to, triage's classification and sending
    (8.1), social significance (clause 14). Looked up before the step's first write, which writes them with the
    workflow's state in the one UPDATE of the case row."""
    changes: dict[str, object] = {}
    chosen = data.get("body") or (data.get("bodies") or [None])[0]
    if chosen:
        changes["body_id"] = _id_of(session, _BODY_ID, chosen, case.tenant_id)
    if data.get("triage_decision") == "send":
        changes.update(theme_id=_id_of(session, _THEME_ID, data.get("theme"), case.tenant_id),
                       location_id=_id_of(session, _LOCATION_ID, data.get("location"), case.tenant_id),
                       importance=data.get("importance"), bodies=list(data.get("bodies") or []), sent_at=now)
    if data.get("socially_significant") and not case.socially_significant:
        changes["socially_significant"] = True
    return changes


def _record_domain(session: Session, user: User, task: HumanTask, case: Case, data: dict[str, Any],
                   changes: dict[str, object], current: Draft | None, now: datetime) -> None:
    """Keep drafts, decisions (on `current`, the draft decided on) and publication in their own tables; alert on
    what the case's new classification means (`changes`, already written)."""
    if task.form == MONITORING_FORM:
        record_monitoring_check(session=session, user=user, task=task, data=data, now=now)
    if "sent_at" in changes:
        check_surge(session=session, case=case, now=now, theme=data.get("theme"), location=data.get("location"))
    if "socially_significant" in changes:  # clause 14: the leadership hears of it at once
        told = notify_leadership(session=session, case=case, now=now)
        add_event(session=session, case=case, at=now, actor=user, kind="leadership_notified", step=task.step,
                  details={"notified": ", ".join(person.full_name for person in told)})
    text = data.get("reply_text") or data.get("part_text")
    if text and data.get("draft_outcome", data.get("part_outcome")) != "not_competent":
        number = (session.connection().execute(_LAST_DRAFT_NUMBER, {"case_id": case.id}).scalar() or 0) + 1
        kind = "part" if data.get("part_text") else data.get("reply_kind") or "reply"
        if data.get("measures_taken"):
            text = f"{text}\n\nПринятые меры: {data['measures_taken']}"  # not translated: words of the reply itself
        # A reply the curator composes (8.9) belongs to no body; the publishing body takes it from there.
        draft = Draft(case_id=case.id, number=number, body_id=task.body_id if task.role == "executor" else None,
                      author_id=user.id, kind=kind, text=text, created_at=now)
        add_inserted(session, draft)
        from services.attachments import bind_pending  # here: services.attachments imports this module

        bind_pending(session=session, task=task, draft=draft)
    if data.get("approval_decision") and current is not None:
        edited = data.get("approval_text")
        if edited and not same_text(edited, current.text):  # the curator's edit: a new version by the curator
            current = edit_draft(session=session, draft=current, text=edited, curator=user, now=now)
            add_event(session=session, case=case, at=now, actor=user, kind="draft_edited", step=task.step,
                      body_id=current.body_id, details={"version": current.number})
        update_loaded(session, current, {"decision": data["approval_decision"], "comment": data.get("approval_comment"),
                                         "decided_by_id": user.id, "decided_at": now})
        if current.decision == "return":
            notify_draft_returned(session=session, case=case, body_id=current.body_id or task.body_id,
                                  comment=current.comment, now=now)
    if data.get("published_url") and current is not None:
        update_loaded(session, current, {"published_url": data["published_url"],
                                         "published_at": datetime.fromisoformat(data["published_at"])})


# The draft alone: its readers here use its own columns, not its people or body.
_CURRENT_DRAFT = select(Draft).where(Draft.case_id == bindparam("case_id"),
                                     (Draft.body_id == bindparam("body_id")) | Draft.body_id.is_(None)) \
    .order_by(Draft.number.desc()).limit(1) \
    .options(lazyload(Draft.author), lazyload(Draft.decided_by), lazyload(Draft.body))


def current_draft(session: Session, case: Case, task: HumanTask) -> Draft | None:
    """The draft a curator's decision or a publication is about: the newest of the task's body or of nobody."""
    return session.scalar(_CURRENT_DRAFT, {"case_id": case.id, "body_id": task.body_id})


# Reference lookups of a step: column reads on the step's connection (the ORM's row loading is not needed for an id).
_BODY_ID = select(Body.id).where(Body.code == bindparam("code"), Body.tenant_id == bindparam("tenant_id"))
_THEME_ID = select(Theme.id).join(ThemeGroup).where(Theme.code == bindparam("code"),
                                                    ThemeGroup.tenant_id.in_(CLASSIFIER_TENANTS))
_LOCATION_ID = select(Location.id).where(Location.code == bindparam("code"),
                                         Location.tenant_id == bindparam("tenant_id"))
_LAST_DRAFT_NUMBER = select(func.max(Draft.number)).where(Draft.case_id == bindparam("case_id"))


def _id_of(session: Session, lookup: Select[int], code: Any, tenant_id: int) -> int | None:
    if not code:
        return None
    return session.connection().execute(lookup, {"code": code, "tenant_id": tenant_id}).scalar()
