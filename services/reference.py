"""Reference lists: bodies, themes, locations and channels, and the choices forms draw from them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models import Body, Channel, Location, Tenant, Theme, ThemeGroup


def bodies(*, session: Session, tenant_id: int | None = None) -> list[Body]:
    """All bodies, the curator first, then by name."""
    query = select(Body).order_by(Body.is_curator.desc(), Body.name)
    if tenant_id is not None:
        query = query.where(Body.tenant_id == tenant_id)
    return list(session.scalars(query))


def channels(*, session: Session) -> list[Channel]:
    """The channel list."""
    return list(session.scalars(select(Channel).order_by(Channel.id)))


# A municipality classifies by the oblast's themes (one classifier for the region's reports) and any of its own.
CLASSIFIER_TENANTS = select(Tenant.id).where((Tenant.id == bindparam("tenant_id")) | (Tenant.kind == "region")) \
    .scalar_subquery()
# Choices are read as plain rows: a form with all three lists reads about 60 of them on every open and submit.
_BODY_CHOICES = select(Body.code, Body.short_name).where(Body.tenant_id == bindparam("tenant_id"), ~Body.is_curator,
                                                        Body.active).order_by(Body.name)
_THEME_CHOICES = select(Theme.code, ThemeGroup.name, Theme.name).join(ThemeGroup) \
    .where(ThemeGroup.tenant_id.in_(CLASSIFIER_TENANTS)).order_by(ThemeGroup.name, Theme.name)
_LOCATION_CHOICES = select(Location.code, Location.name).where(Location.tenant_id == bindparam("tenant_id")) \
    .order_by(Location.name)
# Where the Directorate may transfer a message (order 4.3): the municipalities, offered to the oblast only.
_MUNICIPALITY_CHOICES = select(Tenant.code, Tenant.name).where(
    Tenant.kind == "municipality", select(Tenant.kind).where(Tenant.id == bindparam("tenant_id")).scalar_subquery()
    == "region").order_by(Tenant.name)


def form_options(*, session: Session, tenant_id: int, lists: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """(value, title) choices for each reference list a form names in x-options."""
    out: dict[str, list[tuple[str, str]]] = {}
    params = {"tenant_id": tenant_id}
    for name in lists:
        if name == "bodies":
            out[name] = [(code, title) for code, title in session.execute(_BODY_CHOICES, params)]
        elif name == "themes":
            out[name] = [(code, f"{group}: {title}") for code, group, title in session.execute(_THEME_CHOICES, params)]
        elif name == "locations":
            out[name] = [(code, title) for code, title in session.execute(_LOCATION_CHOICES, params)]
        elif name == "municipalities":
            out[name] = [(code, title) for code, title in session.execute(_MUNICIPALITY_CHOICES, params)]
        else:
            raise KeyError(f"unknown reference list {name!r}")
    return out
