"""The workbench's sandbox: a draft run step by step on the real working calendar from a chosen moment, with no case,
inbox task, history entry or notification; its state and clock are kept per draft and person."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.clock import Clock, FixedClock
from engine.forms import FormSchema
from engine.parser import LibraryError, ProcessBundle, content_hash, load_bundle
from engine.runner import Runner, Snapshot
from engine.texts import N_, text_of
from engine.validation import Problem
from models import Body, ProcessDraft, SandboxRun, User
from services.cases import parse_moment
from services.errors import Conflict, Invalid, NotFound
from services.library.drafts import TASK_ROLES, draft_problems, get_draft
from services.library.versions import LibraryRefused
from services.reference import channels, form_options
from services.workflow import engine_context, run_step

SANDBOX_CASE_ID = 0  # the case id the diagram sees: no case exists
MAX_LOG = 300


@dataclass(frozen=True)
class SandboxTask:
    """An open task of the trial run: who would get it, its deadlines and its form."""

    id: str
    step: str
    name: str
    role: str
    body: str
    form: FormSchema
    values: dict[str, Any]
    due_at: datetime | None
    warning_at: datetime | None


@dataclass(frozen=True)
class SandboxTimer:
    """An armed timer of the trial run."""

    kind: str
    step: str
    parameter: str | None
    due_at: datetime


@dataclass(frozen=True)
class Sandbox:
    """What the sandbox page shows: the run (if any) with its open tasks and timers, or why it cannot run."""

    draft: ProcessDraft
    run: SandboxRun | None
    problems: list[Problem]
    stale: bool
    tasks: list[SandboxTask]
    timers: list[SandboxTimer]
    completed: bool
    channels: list[tuple[str, str]]

    @property
    def log(self) -> list[dict[str, Any]]:
        """What happened in the run, each entry's moment as a datetime."""
        entries = self.run.log if self.run is not None and not self.stale else []
        return [{**entry, "at": datetime.fromisoformat(entry["at"])} for entry in entries]


def sandbox(*, session: Session, clock: Clock, user: User, draft_id: int) -> Sandbox:
    """The sandbox of a draft for this person."""
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    run = _run_of(session, draft, user)
    choices = [(c.code, c.name) for c in channels(session=session)]
    try:
        bundle = load_bundle(draft.files, draft.process_id)
    except LibraryError:
        return Sandbox(draft, run, draft_problems(draft.files), False, [], [], False, choices)
    if run is None or run.files_hash != bundle.content_hash:
        return Sandbox(draft, run, [], run is not None, [], [], False, choices)
    snapshot = _runner(session, user, bundle, run.clock_at).snapshot(run.state)
    return Sandbox(draft, run, [], False, _tasks(session, user, bundle, snapshot), _timers(bundle, snapshot),
                   snapshot.completed, choices)


def start_sandbox(*, session: Session, clock: Clock, user: User, draft_id: int, start_at: Any, channel: Any,
                  extra: Any = "") -> SandboxRun:
    """Start (or restart) the person's trial run of the draft at a moment, with the data a new case starts with."""
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    bundle = _bundle(draft)
    errors: dict[str, str] = {}
    try:
        moment = parse_moment(start_at) if str(start_at or "").strip() else clock.now()
    except (TypeError, ValueError):
        errors["start_at"] = N_("Укажите момент начала, например 2026-11-24T10:15")
    codes = [c.code for c in channels(session=session)]
    if str(channel or "") not in codes:
        errors["channel"] = N_("Выберите источник из списка")
    try:
        more = json.loads(str(extra or "").strip() or "{}")
        if not isinstance(more, dict):
            raise ValueError
    except ValueError:
        more = {}
        errors["extra"] = N_("Дополнительные данные: объект JSON, например {\"importance\": \"high\"}")
    if errors:
        raise Invalid(N_("Проверка не начата: исправьте поля"), fields=errors)
    data = {**more, "case_id": SANDBOX_CASE_ID, "channel": str(channel)}
    snapshot = run_step(lambda: _runner(session, user, bundle, moment).start(data))
    session.execute(delete(SandboxRun).where(SandboxRun.draft_id == draft.id, SandboxRun.user_id == user.id))
    run = SandboxRun(draft_id=draft.id, user_id=user.id, files_hash=bundle.content_hash, started_at=moment,
                     clock_at=moment, data=data, state=snapshot.state, log=[])
    _record(run, bundle, snapshot, {"kind": "started"})
    session.add(run)
    session.flush()
    return run


def complete_in_sandbox(*, session: Session, user: User, draft_id: int, task_id: str,
                        form_data: dict[str, Any]) -> SandboxRun:
    """Complete an open task of the trial run with a form as its executor would fill it (Invalid lists the fields)."""
    run, bundle, runner = _current(session, user, draft_id)
    task = next((t for t in runner.snapshot(run.state).open_tasks if t.id == task_id), None)
    if task is None:
        raise Conflict(N_("Эта задача в проверке уже выполнена или закрыта"))
    form = _form(session, user, bundle, task.form)
    data, errors = form.validate(form_data)
    if errors:
        raise Invalid(N_("Форма заполнена с ошибками"), fields=errors)
    snapshot = run_step(lambda: runner.complete(run.state, task_id, data))
    _record(run, bundle, snapshot, {"kind": "completed", "step": task.name})
    return run


def advance_sandbox(*, session: Session, user: User, draft_id: int) -> SandboxRun:
    """Move the sandbox's clock to the next armed timer and fire what is due then."""
    run, bundle, runner = _current(session, user, draft_id)
    timers = runner.snapshot(run.state).timers
    if not timers:
        raise Conflict(N_("В проверке нет взведённых таймеров"))
    # A timer fires once its moment has passed (SpiffWorkflow compares strictly): one second after it.
    moment = max(run.clock_at, min(t.due_at for t in timers) + timedelta(seconds=1))
    snapshot = run_step(lambda: _runner(session, user, bundle, moment).wake(run.state))
    run.clock_at = moment
    _record(run, bundle, snapshot, {"kind": "clock"})
    return run


def stop_sandbox(*, session: Session, user: User, draft_id: int) -> None:
    """Forget the person's trial run of the draft."""
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    session.execute(delete(SandboxRun).where(SandboxRun.draft_id == draft.id, SandboxRun.user_id == user.id))


def _run_of(session: Session, draft: ProcessDraft, user: User) -> SandboxRun | None:
    return session.scalar(select(SandboxRun).where(SandboxRun.draft_id == draft.id, SandboxRun.user_id == user.id))


def _bundle(draft: ProcessDraft) -> ProcessBundle:
    """The draft parsed as publishing would; a draft with problems is refused with them."""
    try:
        return load_bundle(draft.files, draft.process_id)
    except LibraryError as exc:
        problems = draft_problems(draft.files)
        if not problems:
            raise Invalid(text_of(exc)) from None
        raise LibraryRefused(problems) from None


def _current(session: Session, user: User, draft_id: int) -> tuple[SandboxRun, ProcessBundle, Runner]:
    """The person's running trial of the draft, on the files it was started on."""
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    run = _run_of(session, draft, user)
    if run is None:
        raise NotFound(N_("Проверка черновика не начата"))
    if run.files_hash != content_hash(draft.files):
        raise Conflict(N_("Черновик изменился после начала проверки: начните проверку заново"))
    bundle = _bundle(draft)
    return run, bundle, _runner(session, user, bundle, run.clock_at)


def _runner(session: Session, user: User, bundle: ProcessBundle, moment: datetime) -> Runner:
    """A runner on the draft with the person's tenant calendars and deadline values, at the sandbox's moment."""
    return Runner(bundle, engine_context(session=session, tenant_id=user.tenant_id, clock=FixedClock(moment)))


def _record(run: SandboxRun, bundle: ProcessBundle, snapshot: Snapshot, entry: dict[str, Any]) -> None:
    """Store the new state and log the step, the tasks it opened and what the product would have done."""
    names = bundle.step_names
    at = run.clock_at.isoformat()
    entries = [{**entry, "at": at}]
    entries += [{"kind": effect.action, "at": at, "step": names.get(str(effect.params.get("step", "")),
                                                                      str(effect.params.get("step", "")))}
                for effect in snapshot.effects if effect.action in ("record_breach", "notify")]
    before = set(snapshot.open_before)
    entries += [{"kind": "opened", "at": at, "step": t.name} for t in snapshot.open_tasks if t.id not in before]
    if snapshot.completed:
        entries.append({"kind": "finished", "at": at, "step": ", ".join(names.get(e, e) for e in snapshot.end_events)})
    run.state = snapshot.state
    run.log = (list(run.log) + entries)[-MAX_LOG:]


def _form(session: Session, user: User, bundle: ProcessBundle, name: str) -> FormSchema:
    """A task's form with its reference choices, as the executor gets it."""
    form = bundle.forms[name]
    return form.with_options(form_options(session=session, tenant_id=user.tenant_id, lists=form.option_lists))


def _tasks(session: Session, user: User, bundle: ProcessBundle, snapshot: Snapshot) -> list[SandboxTask]:
    bodies = {code: name for code, name in session.execute(
        select(Body.code, Body.short_name).where(Body.tenant_id == user.tenant_id))}
    out = []
    for task in snapshot.open_tasks:
        form = _form(session, user, bundle, task.form)
        due = {t.kind: t.due_at for t in snapshot.timers if t.attached_task_id == task.id}
        body: str = bodies.get(task.body, task.body) if task.body else N_("Куратор")
        out.append(SandboxTask(task.id, task.step, task.name, TASK_ROLES.get(task.role, task.role), body, form,
                               {f.name: f.default for f in form.fields() if f.default is not None},
                               due.get("deadline"), due.get("warning")))
    return out


def _timers(bundle: ProcessBundle, snapshot: Snapshot) -> list[SandboxTimer]:
    return sorted((SandboxTimer(t.kind, bundle.step_names.get(t.step or "", t.step or ""), t.parameter, t.due_at)
                   for t in snapshot.timers), key=lambda t: t.due_at)
