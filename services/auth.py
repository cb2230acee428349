"""People and credentials: password login, bearer tokens, user creation."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, lazyload

from engine.clock import Clock
from models import ApiToken, Body, Tenant, User
from models.org import BODY_ROLES, ROLES
from services.errors import Invalid

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY = _hasher.hash("otklik-timing-equaliser")


def hash_password(password: str) -> str:
    """An argon2id hash."""
    return _hasher.hash(password)


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (in about the same time either way)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def issue_token(*, session: Session, user: User, clock: Clock) -> str:
    """A new bearer token for the user; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token), created_at=clock.now()))
    session.flush()
    return token


# Built once: every API request runs one, and building a statement costs as much as running this one.
# The body is loaded only if asked for (the API answers by ids); the tenant comes along where the request may step a
# workflow (its settings and calendars), and is left out of reads, where its joined row would cost a third of the query.
_USER_BY_TOKEN = select(User).join(ApiToken, ApiToken.user_id == User.id).where(
    ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None), User.active
).options(lazyload(User.body))
_READER_BY_TOKEN = _USER_BY_TOKEN.options(lazyload(User.tenant))


def user_by_token(*, session: Session, token: str, reading: bool = False) -> User | None:
    """The active user a bearer token belongs to; `reading`: for a request that changes nothing."""
    return session.scalar(_READER_BY_TOKEN if reading else _USER_BY_TOKEN, {"digest": _digest(token)})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(*, session: Session, username: str, password: str, role: str, full_name: str = "",
                body_code: str | None = None, tenant_code: str | None = None, email: str | None = None) -> User:
    """Create a person with a role; body roles need a body."""
    errors = {}
    if not username.strip() or len(username) > 80:
        errors["username"] = "Укажите имя пользователя (до 80 символов)"
    elif session.scalar(select(User).where(User.username == username.strip())):
        errors["username"] = f"Пользователь {username} уже есть"
    if len(password) < 8:
        errors["password"] = "Пароль не короче 8 символов"
    if role not in ROLES:
        errors["role"] = f"Роль одна из: {', '.join(ROLES)}"
    body = session.scalar(select(Body).where(Body.code == body_code)) if body_code else None
    if body_code and body is None:
        errors["body"] = f"Органа с кодом {body_code} нет (flask --app app bodies list)"
    if role in BODY_ROLES and body is None:
        errors["body"] = "Для исполнителя и ответственного лица укажите орган (--body)"
    if role == "curator" and body is None:
        body = session.scalar(select(Body).where(Body.is_curator))
    tenant = session.scalar(select(Tenant).where(Tenant.code == tenant_code)) if tenant_code else None
    if tenant is None:
        tenant = session.get(Tenant, body.tenant_id) if body else session.scalar(select(Tenant).order_by(Tenant.id))
    if tenant is None:
        errors["tenant"] = "Нет ни одной организации: выполните flask --app app init-db"
    if errors:
        raise Invalid("Пользователь не создан", fields=errors)
    assert tenant is not None
    user = User(tenant_id=tenant.id, username=username.strip(), full_name=full_name or username,
                password_hash=hash_password(password), role=role, body_id=body.id if body else None, email=email)
    session.add(user)
    session.flush()
    return user
