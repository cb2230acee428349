"""Demo data that looks like the oblast: people of every role and a dozen messages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from models import User
from services.auth import create_user
from services.cases import register_message
from services.setup import DATA


def load_demo(*, session: Session, clock: Clock, process_id: str) -> list[tuple[str, str, str]]:
    """Create the demo people and messages once; returns (username, password, role) of every demo login."""
    demo: dict[str, Any] = json.loads((DATA / "demo.json").read_text(encoding="utf-8"))
    password = demo["password"]
    logins = [(p["username"], password, p["role"]) for p in demo["people"]]
    if session.scalar(select(User).where(User.username == demo["people"][0]["username"])) is not None:
        return logins
    for person in demo["people"]:
        create_user(session=session, username=person["username"], password=password, role=person["role"],
                    full_name=person["full_name"], body_code=person.get("body"))
    curator = session.scalar(select(User).where(User.username == "curator"))
    assert curator is not None
    for message in demo["messages"]:
        register_message(session=session, clock=clock, actor=curator, source="monitoring",
                         channel=message["channel"], url=message["url"], author=message["author"],
                         text=message["text"], published_at=clock.now() - timedelta(hours=message["hours_ago"]),
                         process_id=process_id)
    return logins
