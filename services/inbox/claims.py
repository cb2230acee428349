"""«Взять в работу»: one person of a body (or one curator) takes a task, so two never draft the same reply."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_, stored_note
from models import HumanTask, User
from services.absences import short_name
from services.errors import Conflict, Forbidden, NotFound
from services.workflow import add_event


def _task(session: Session, user: User, task_id: int) -> HumanTask:
    """The open task the person may work on; another tenant's or body's is not found, as if it did not exist."""
    task = session.scalar(select(HumanTask).where(HumanTask.id == task_id, HumanTask.tenant_id == user.tenant_id))
    if task is None or (user.role in ("executor", "responsible") and task.body_id != user.body_id):
        raise NotFound(N_("Задача не найдена"))
    if user.role not in ("curator", "executor", "responsible") or (task.role == "curator") != (user.role == "curator"):
        raise Forbidden(N_("Эту задачу выполняет другая роль"))
    if task.state != "open":
        raise Conflict(N_("Задача «%(step)s» уже закрыта", step=task.name))
    return task


def _taker(task: HumanTask) -> str:
    """Who has the task, in the genitive: «Козловой Т. Ю.»."""
    return short_name(task.assignee.full_name, "gen") if task.assignee else "—"


def take_task(*, session: Session, clock: Clock, user: User, task_id: int) -> HumanTask:
    """Take the task into work; if a colleague took it first, say who (409 in the API). Taking one's own is a no-op."""
    task = _task(session, user, task_id)
    # One statement decides between two people taking it at once: the second finds it no longer free.
    taken = session.connection().execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.state == "open",
        HumanTask.assignee_id.is_(None) | (HumanTask.assignee_id == user.id)).values(assignee_id=user.id)).rowcount
    session.refresh(task)
    if not taken:
        if task.state != "open":
            raise Conflict(N_("Задача «%(step)s» уже закрыта", step=task.name))
        raise Conflict(N_("Задача уже в работе у %(person)s: откройте её для просмотра или выберите другую",
                          person=_taker(task)))
    _note(session, task, user, clock, N_("Взято в работу: %(person)s", person=short_name(user.full_name)))
    return task


def release_task(*, session: Session, clock: Clock, user: User, task_id: int) -> HumanTask:
    """Return a taken task to the queue: the person who took it, the body's responsible official, or a curator
    for a curator's task."""
    task = _task(session, user, task_id)
    if task.assignee_id is None:
        raise Conflict(N_("Задача уже в очереди: её никто не взял в работу"))
    if task.assignee_id != user.id and user.role == "executor":
        raise Forbidden(N_("Задача в работе у %(person)s: вернуть её в очередь может он сам или ответственное лицо "
                           "органа", person=_taker(task)))
    previous = task.assignee
    task.assignee_id, task.assignee = None, None
    session.flush()
    who = short_name(previous.full_name, "gen") if previous else "—"
    _note(session, task, user, clock, N_("Возвращено в очередь от %(person)s", person=who))
    return task


def _note(session: Session, task: HumanTask, user: User, clock: Clock, note: str) -> None:
    add_event(session=session, case=task.case, at=clock.now(), actor=user, kind="assigned", step=task.step,
              body_id=task.body_id, details={"assignment": stored_note(note)})
