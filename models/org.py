"""The organisation: tenants, executive bodies, people, tokens and reference lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

ROLES = ("curator", "executor", "responsible", "methodologist", "admin", "leader")
BODY_ROLES = ("executor", "responsible")


class Tenant(Base):
    """The oblast, or a municipality reusing the regional diagrams."""

    __tablename__ = "tenant"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="region")
    calendar_revision: Mapped[int] = mapped_column(default=1)
    lexicon_revision: Mapped[int] = mapped_column(default=1)  # bumped by every edit of the word lists
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # e.g. surge_threshold, surge_window_hours


class Body(Base):
    """An executive body, or the curator (the Information Policy Directorate)."""

    __tablename__ = "body"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(100))
    is_curator: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)  # False: abolished, kept for its history, offered nowhere
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    deputy: Mapped[str | None] = mapped_column(String(200))  # the vice-governor's deputy who supervises it (cl. 12)


class User(Base):
    """A person who logs in; body roles belong to a body."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(String(2))  # the one last chosen (ru | en); NULL: never chose
    body: Mapped[Body | None] = relationship(lazy="joined", viewonly=True)
    tenant: Mapped[Tenant] = relationship(lazy="joined", viewonly=True)

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Whether the person may log in."""
        return self.active

    def get_id(self) -> str:
        """The id Flask-Login keeps in the cookie; the login session it belongs to is checked apart (LoginSession)."""
        return str(self.id)


class LoginSession(Base):
    """A login in one browser; the cookie carries its key, only the key's SHA-256 is stored. Logging out ends it."""

    __tablename__ = "login_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored. It works until it expires or is revoked."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined", viewonly=True)


class LoginFailure(Base):
    """Recent failed logins of one account name ("account:<name>") or one client address ("address:<ip>")."""

    __tablename__ = "login_failure"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime]


class Channel(Base):
    """A social network or other open source, with its reply format limits (clauses 4 and 9)."""

    __tablename__ = "channel"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    reply_max_length: Mapped[int] = mapped_column(default=4096)


class Location(Base):
    """A municipal district or city district of the tenant."""

    __tablename__ = "location"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))


class ThemeGroup(Base):
    """A group of themes (clause 8.1)."""

    __tablename__ = "theme_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))


class Theme(Base):
    """A theme of messages within a group."""

    __tablename__ = "theme"
    __table_args__ = (UniqueConstraint("group_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("theme_group.id"), index=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    group: Mapped[ThemeGroup] = relationship(lazy="joined", viewonly=True)


class Absence(Base):
    """A period a person is away (clause 6), with the substitute who takes their tasks."""

    __tablename__ = "absence"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # illness | leave | business_trip | study | other
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    substitute_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", viewonly=True)
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id], lazy="joined", viewonly=True)


class LexiconEntry(Base):
    """An editable word or phrase list entry: clause-10 grounds (obscene, threat, harm) and clause-11 phrases."""

    __tablename__ = "lexicon_entry"
    __table_args__ = (UniqueConstraint("tenant_id", "list_name", "pattern"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    # obscene | threat | harm (clause 10); template | bureaucratese | redirection (clause 11)
    list_name: Mapped[str] = mapped_column(String(30))
    pattern: Mapped[str] = mapped_column(String(200))
