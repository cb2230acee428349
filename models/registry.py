"""A tenant's own registers: the bodies' accounts in the networks (clause 5), changes of its act's deadlines and the
bodies' reply templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.org import Body, Channel, Theme, User


class BodyAccount(Base):
    """A body's official account in one channel (clause 5): a name and a link."""

    __tablename__ = "body_account"
    __table_args__ = (UniqueConstraint("tenant_id", "url"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[Body] = relationship(lazy="joined", viewonly=True)
    channel: Mapped[Channel] = relationship(lazy="joined", viewonly=True)


class DeadlineChange(Base):
    """One change of a deadline value of the tenant's act: who, when, from what to what (None: the regional value)."""

    __tablename__ = "deadline_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    step: Mapped[str] = mapped_column(String(60))
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the command line
    changed_at: Mapped[datetime]
    changed_by: Mapped[User | None] = relationship(lazy="joined", viewonly=True)


class ReplyTemplate(Base):
    """A body's reply template for a theme (or for every theme) that executors start a draft from."""

    __tablename__ = "reply_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"))  # None: every theme
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime]
    body: Mapped[Body] = relationship(lazy="joined", viewonly=True)
    theme: Mapped[Theme | None] = relationship(lazy="joined", viewonly=True)
    updated_by: Mapped[User | None] = relationship(lazy="joined", viewonly=True)
