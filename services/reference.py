"""Reference lists: bodies, themes, locations and channels, and the choices forms draw from them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Body, Channel, Location, Theme, ThemeGroup


def bodies(*, session: Session, tenant_id: int | None = None) -> list[Body]:
    """All bodies, the curator first, then by name."""
    query = select(Body).order_by(Body.is_curator.desc(), Body.name)
    if tenant_id is not None:
        query = query.where(Body.tenant_id == tenant_id)
    return list(session.scalars(query))


def channels(*, session: Session) -> list[Channel]:
    """The channel list."""
    return list(session.scalars(select(Channel).order_by(Channel.id)))


def form_options(*, session: Session, tenant_id: int, lists: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """(value, title) choices for each reference list a form names in x-options."""
    out: dict[str, list[tuple[str, str]]] = {}
    for name in lists:
        if name == "bodies":
            out[name] = [(b.code, b.short_name) for b in bodies(session=session, tenant_id=tenant_id)
                         if not b.is_curator]
        elif name == "themes":
            rows = session.scalars(select(Theme).join(ThemeGroup).where(ThemeGroup.tenant_id == tenant_id)
                                   .order_by(ThemeGroup.name, Theme.name))
            out[name] = [(t.code, f"{t.group.name}: {t.name}") for t in rows]
        elif name == "locations":
            rows = session.scalars(select(Location).where(Location.tenant_id == tenant_id).order_by(Location.name))
            out[name] = [(loc.code, loc.name) for loc in rows]
        else:
            raise KeyError(f"Неизвестный справочник «{name}»")
    return out
