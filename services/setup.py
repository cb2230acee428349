"""Idempotent loading of the reference lists, the production calendar and the process library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import shipped_year_files
from engine.clock import Clock
from models import Body, CalendarYear, Channel, Location, Tenant, Theme, ThemeGroup
from services.lexicon import seed as seed_lexicon
from services.library.versions import sync_library

DATA = Path(__file__).resolve().parent.parent / "data"


def load_reference(*, session: Session, clock: Clock, library: list[Path] | None = None) -> Tenant:
    """Create or update the regional tenant, its bodies, channels, locations, themes and word lists."""
    ref: dict[str, Any] = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))
    tenant: Tenant = _upsert(session, Tenant, {"code": ref["tenant"]["code"]}, ref["tenant"])
    session.flush()
    for body in [{**ref["curator"], "is_curator": True}, *ref["bodies"]]:
        row = _upsert(session, Body, {"code": body["code"]},
                      {**{k: v for k, v in body.items() if k != "deputy"}, "tenant_id": tenant.id})
        if row.deputy is None:  # the administrator's later choice of deputy stays
            row.deputy = body.get("deputy")
    for channel in ref["channels"]:
        _upsert(session, Channel, {"code": channel["code"]}, channel)
    for code, name in ref["locations"]:
        _upsert(session, Location, {"tenant_id": tenant.id, "code": code}, {"name": name})
    for group in ref["themes"]:
        row = _upsert(session, ThemeGroup, {"tenant_id": tenant.id, "code": group["code"]}, {"name": group["name"]})
        session.flush()
        for code, name in group["themes"]:
            _upsert(session, Theme, {"code": code}, {"group_id": row.id, "name": name})
    for year, (xml, source) in shipped_year_files().items():
        if session.get(CalendarYear, year) is None:
            session.add(CalendarYear(year=year, xml=xml, source=source, loaded_at=clock.now()))
    for row in session.scalars(select(Tenant).order_by(Tenant.id)).all():
        seed_lexicon(session=session, tenant=row)
    sync_library(session=session, clock=clock, directories=library)
    session.flush()
    return tenant


def _upsert(session: Session, model: Any, key: dict[str, Any], values: dict[str, Any]) -> Any:
    row = session.scalar(select(model).filter_by(**key))
    if row is None:
        row = model(**key, **{k: v for k, v in values.items() if k not in key})
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row
