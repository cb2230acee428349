"""People and credentials: password login with throttling, login sessions, bearer tokens, passwords, user creation."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, bindparam, select, update
from sqlalchemy.orm import Session, lazyload

from engine.clock import Clock
from engine.texts import N_
from models import ApiToken, Body, LoginSession, Tenant, User
from models.org import BODY_ROLES, ROLES
from services.errors import Invalid, NotFound
from services.throttle import check_throttle, clear_failures, record_failure, throttle_keys

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY = _hasher.hash("otklik-timing-equaliser")
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    """An argon2id hash."""
    return _hasher.hash(password)


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (in about the same time either way)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if not _verify(user.password_hash if user else _DUMMY, password) or user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def log_in(*, session: Session, clock: Clock, username: str, password: str, address: str | None) -> User | None:
    """authenticate() behind the throttle: raises TooManyAttempts while the account name or the client address must
    wait; counts a failure against both, and a success clears the account name's counter. The caller commits even
    when the answer is None, so that the failure stays counted."""
    keys = throttle_keys(username=username, address=address)
    check_throttle(session=session, clock=clock, keys=keys)
    user = authenticate(session=session, username=username, password=password)
    if user is None:
        record_failure(session=session, clock=clock, keys=keys)
    else:
        clear_failures(session=session, keys=keys[:1])
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(*, session: Session, clock: Clock, user: User) -> str:
    """A new login session of the user; returns its key for the session cookie (only its hash is stored)."""
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, key_hash=_digest(key), created_at=clock.now()))
    session.flush()
    return key


# Built once: every page request of a logged-in person runs it.
_USER_BY_SESSION = select(User).join(LoginSession, LoginSession.user_id == User.id).where(
    LoginSession.key_hash == bindparam("digest"), LoginSession.ended_at.is_(None), User.active)


def user_by_session(*, session: Session, key: str) -> User | None:
    """The active user whose login session has this key, while the session has not ended."""
    return session.scalar(_USER_BY_SESSION, {"digest": _digest(key)}) if key else None


def end_session(*, session: Session, clock: Clock, key: str) -> None:
    """End the login session with this key (logging out): a copy of its cookie no longer works."""
    session.execute(update(LoginSession).where(LoginSession.key_hash == _digest(key), LoginSession.ended_at.is_(None))
                    .values(ended_at=clock.now()))


def change_password(*, session: Session, clock: Clock, user: User, current: str, new: str, repeated: str,
                    address: str | None, keep_session: str) -> None:
    """Set a new password after checking the current one (throttled like a login); ends the person's other login
    sessions and revokes their API tokens. The caller commits a refusal too, so that a wrong guess stays counted."""
    keys = throttle_keys(username=user.username, address=address)
    check_throttle(session=session, clock=clock, keys=keys)
    errors = {}
    if not _verify(user.password_hash, current):
        record_failure(session=session, clock=clock, keys=keys)
        errors["current"] = N_("Текущий пароль введён неверно")
    if problem := password_problem(new):
        errors["new"] = problem
    elif new != repeated:
        errors["repeated"] = N_("Пароли не совпадают")
    if errors:
        raise Invalid(N_("Пароль не изменён"), fields=errors)
    now = clock.now()
    user.password_hash = hash_password(new)
    clear_failures(session=session, keys=keys[:1])
    session.execute(update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None),
                                               LoginSession.key_hash != _digest(keep_session)).values(ended_at=now))
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, if anything."""
    return N_("Пароль не короче %(count)s символов", count=MIN_PASSWORD) if len(password) < MIN_PASSWORD else None


def issue_token(*, session: Session, clock: Clock, user: User, days: int, name: str = "") -> tuple[str, ApiToken]:
    """A new bearer token for the user, valid for `days`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken(user_id=user.id, token_hash=_digest(token), name=name.strip()[:100], created_at=now,
                   expires_at=now + timedelta(days=days))
    session.add(row)
    session.flush()
    return token, row


# Built once: every API request runs one, and building a statement costs as much as running this one.
# The body is loaded only if asked for (the API answers by ids); the tenant comes along where the request may step a
# workflow (its settings and calendars), and is left out of reads, where its joined row would cost a third of the query.
_USER_BY_TOKEN = select(User).join(ApiToken, ApiToken.user_id == User.id).where(
    ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None), ApiToken.expires_at > bindparam("now"),
    User.active
).options(lazyload(User.body))
_READER_BY_TOKEN = _USER_BY_TOKEN.options(lazyload(User.tenant))


def user_by_token(*, session: Session, clock: Clock, token: str, reading: bool = False) -> User | None:
    """The active user a live bearer token belongs to; `reading`: for a request that changes nothing."""
    return session.scalar(_READER_BY_TOKEN if reading else _USER_BY_TOKEN,
                          {"digest": _digest(token), "now": clock.now()})


def _live_tokens(user: User, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The live tokens the user manages: their own; an administrator, every person's of the tenant."""
    owners = User.tenant_id == user.tenant_id if user.role == "admin" else User.id == user.id
    return owners, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now


def live_tokens(*, session: Session, clock: Clock, user: User) -> list[ApiToken]:
    """The unexpired, unrevoked tokens the user may see and revoke, newest first."""
    return list(session.scalars(select(ApiToken).join(User, ApiToken.user_id == User.id)
                                .where(*_live_tokens(user, clock.now())).order_by(ApiToken.id.desc())))


def revoke_token(*, session: Session, clock: Clock, user: User, token_id: int) -> ApiToken:
    """Revoke a token the user manages (their own; an administrator's tenant's); it stops working at once."""
    token = session.scalar(select(ApiToken).join(User, ApiToken.user_id == User.id)
                           .where(ApiToken.id == token_id, *_live_tokens(user, clock.now())))
    if token is None:
        raise NotFound(N_("Такого действующего токена нет"))
    token.revoked_at = clock.now()
    session.flush()
    return token


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def username_taken(username: str) -> str:
    """The refusal of a username someone in any tenant already has."""
    return N_("Пользователь «%(username)s» уже есть: имена пользователей едины для всей области и муниципалитетов",
              username=username)


def email_problem(email: str) -> str | None:
    """What is wrong with an e-mail address, if anything (empty is allowed: no e-mail notifications)."""
    if email and (len(email) > 200 or not EMAIL.fullmatch(email)):
        return N_("Адрес электронной почты вида name@example.ru (до 200 символов)")
    return None


def create_user(*, session: Session, username: str, password: str, role: str, full_name: str = "",
                body_code: str | None = None, tenant_code: str | None = None, email: str | None = None) -> User:
    """Create a person with a role in a tenant (default: the oblast, or the body's tenant); body roles need a body of
    that tenant, a curator belongs to the tenant's curator body."""
    username, email = username.strip(), (email or "").strip()
    errors = {}
    if not username or len(username) > 80 or any(ch.isspace() for ch in username):
        errors["username"] = N_("Укажите имя пользователя без пробелов (до 80 символов)")
    elif session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = username_taken(username)
    if problem := password_problem(password):
        errors["password"] = problem
    if role not in ROLES:
        errors["role"] = N_("Роль одна из: %(roles)s", roles=", ".join(ROLES))
    if problem := email_problem(email):
        errors["email"] = problem
    tenant = session.scalar(select(Tenant).where(Tenant.code == tenant_code)) if tenant_code else None
    if tenant_code and tenant is None:
        errors["tenant"] = N_("Организации с кодом %(code)s нет (flask --app app tenants list)", code=tenant_code)
    body = session.scalar(select(Body).where(Body.code == body_code, Body.active)) if body_code else None
    if body_code and (body is None or (tenant is not None and body.tenant_id != tenant.id)):
        errors["body"] = N_("Органа с кодом %(code)s в этой организации нет (flask --app app bodies list)",
                            code=body_code)
    if tenant is None and not tenant_code:
        tenant = session.get(Tenant, body.tenant_id) if body else \
            session.scalar(select(Tenant).order_by((Tenant.kind == "region").desc(), Tenant.id))
    if tenant is None and "tenant" not in errors:
        errors["tenant"] = N_("Нет ни одной организации: выполните flask --app app init-db")
    if role in BODY_ROLES and body is None and "body" not in errors:
        errors["body"] = N_("Для исполнителя и ответственного лица укажите орган (--body)")
    if role == "curator" and body is None and tenant is not None:
        body = session.scalar(select(Body).where(Body.tenant_id == tenant.id, Body.is_curator))
    if role not in BODY_ROLES and role != "curator" and body is not None:
        body = None  # administrators, methodologists and leaders work for the whole tenant
    if errors:
        raise Invalid(N_("Пользователь не создан"), fields=errors)
    assert tenant is not None
    user = User(tenant_id=tenant.id, username=username, full_name=full_name.strip() or username,
                password_hash=hash_password(password), role=role, body_id=body.id if body else None,
                email=email or None)
    session.add(user)
    session.flush()
    return user
