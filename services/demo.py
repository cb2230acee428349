"""Demo data that looks like the oblast: people of every role, two municipalities with theirs, and messages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from models import Tenant, User
from services.auth import create_user
from services.cases import register_message
from services.setup import DATA
from services.tenants import create_municipality


def _demo() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "demo.json").read_text(encoding="utf-8"))
    return data


def load_people(*, session: Session, clock: Clock, password: str | None = None) -> None:
    """Create the demo municipalities and the demo people (every one with an e-mail address)."""
    demo = _demo()
    for town in demo["municipalities"]:
        if session.scalar(select(Tenant.id).where(Tenant.code == town["code"])) is None:
            create_municipality(session=session, clock=clock, code=town["code"], name=town["name"],
                                curator_code=town["curator"][0], curator_name=town["curator"][1],
                                departments=[tuple(pair) for pair in town["departments"]],
                                settlements=town["settlements"])
    for person in demo["people"]:
        create_user(session=session, username=person["username"], password=password or demo["password"],
                    role=person["role"], full_name=person["full_name"], body_code=person.get("body"),
                    tenant_code=person.get("tenant"), email=person.get("email"))


def load_demo(*, session: Session, clock: Clock, process_id: str) -> list[tuple[str, str, str]]:
    """Create the demo people and messages once; returns (username, password, role) of every demo login."""
    demo = _demo()
    password = demo["password"]
    logins = [(p["username"], password, p["role"]) for p in demo["people"]]
    if session.scalar(select(User).where(User.username == demo["people"][0]["username"])) is not None:
        return logins
    load_people(session=session, clock=clock)
    load_messages(session=session, clock=clock, process_id=process_id)
    return logins


def load_messages(*, session: Session, clock: Clock, process_id: str) -> None:
    """Register the demo messages, each by the first curator of its tenant (the oblast's unless it names one)."""
    curators: dict[str | None, User] = {}
    for user in session.scalars(select(User).where(User.role == "curator").order_by(User.id.desc())):
        curators[None if user.tenant.kind == "region" else user.tenant.code] = user
    for message in _demo()["messages"]:
        register_message(session=session, clock=clock, actor=curators[message.get("tenant")], source="monitoring",
                         channel=message["channel"], url=message["url"], author=message["author"],
                         text=message["text"], published_at=clock.now() - timedelta(hours=message["hours_ago"]),
                         process_id=process_id)
