"""Saved inbox views: a person's named sets of filters."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_
from models import InboxView, User
from services.errors import Invalid, NotFound
from services.inbox import Filters

MAX_NAME = 80
MAX_VIEWS = 30


def saved_views(*, session: Session, user: User) -> list[InboxView]:
    """The person's views by name."""
    return list(session.scalars(select(InboxView).where(InboxView.user_id == user.id).order_by(InboxView.name)))


def save_view(*, session: Session, clock: Clock, user: User, name: str, filters: Filters) -> InboxView:
    """Save the filters under a name; a view of the same name is replaced."""
    name = " ".join(str(name or "").split())
    if not name:
        raise Invalid(N_("Вид не сохранён: укажите название"), fields={"name": N_("Укажите название вида")})
    if len(name) > MAX_NAME:
        raise Invalid(N_("Вид не сохранён"),
                      fields={"name": N_("Название: не более %(count)s символов", count=MAX_NAME)})
    views = saved_views(session=session, user=user)
    view = next((v for v in views if v.name == name), None)
    if view is None:
        if len(views) >= MAX_VIEWS:
            raise Invalid(N_("Вид не сохранён: у вас уже %(count)s видов, удалите ненужные", count=MAX_VIEWS),
                          fields={"name": N_("Слишком много видов")})
        view = InboxView(user_id=user.id, name=name, created_at=clock.now())
        session.add(view)
    view.filters = filters.as_args()
    session.flush()
    return view


def delete_view(*, session: Session, user: User, view_id: int) -> str:
    """Delete one of the person's views; returns its name. Someone else's view is not found."""
    view = session.get(InboxView, view_id)
    if view is None or view.user_id != user.id:
        raise NotFound(N_("Вид не найден"))
    session.delete(view)
    session.flush()
    return view.name
