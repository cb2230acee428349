"""People of one tenant as its administrator manages them: create, edit, deactivate, reset a password."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_
from models import ApiToken, Body, HumanTask, LoginSession, Tenant, User
from models.org import BODY_ROLES, ROLES
from services.auth import create_user, email_problem, hash_password, password_problem
from services.db import parse_id
from services.errors import Forbidden, Invalid, NotFound
from services.tenants import body_in

# Role titles as the pages show them.
ROLE_TITLES = {"curator": N_("Куратор"), "executor": N_("Исполнитель"), "responsible": N_("Ответственное лицо"),
               "methodologist": N_("Методолог"), "admin": N_("Администратор"), "leader": N_("Руководство")}
assert set(ROLE_TITLES) == set(ROLES)


def generate_password() -> str:
    """A temporary password, shown once to the administrator who hands it over."""
    return secrets.token_urlsafe(9)


def people(*, session: Session, tenant_id: int) -> list[User]:
    """The tenant's people: active first, then by body and name."""
    return list(session.scalars(select(User).outerjoin(Body, Body.id == User.body_id).where(User.tenant_id == tenant_id)
                                .order_by(User.active.desc(), Body.name.nulls_first(), User.full_name)))


def person_in(*, session: Session, tenant_id: int, user_id: int) -> User:
    """The tenant's person with this id; another tenant's is NotFound, as if they did not exist."""
    user = session.get(User, user_id)
    if user is None or user.tenant_id != tenant_id:
        raise NotFound(N_("Такого сотрудника нет"))
    return user


def _body_code(session: Session, tenant_id: int, body_id: Any, role: str) -> str | None:
    """The code of the tenant's active body chosen for a body role; None for other roles."""
    if role not in BODY_ROLES:
        return None
    number = parse_id(body_id) if body_id not in (None, "") else None
    if number is None:
        raise Invalid(N_("Сотрудник не сохранён"),
                      fields={"body": N_("Для исполнителя и ответственного лица выберите орган")})
    try:
        body = body_in(session=session, tenant_id=tenant_id, body_id=number)
    except NotFound:
        raise Invalid(N_("Сотрудник не сохранён"), fields={"body": N_("Такого органа нет")}) from None
    if not body.active or body.is_curator:
        raise Invalid(N_("Сотрудник не сохранён"),
                      fields={"body": N_("В орган «%(body)s» назначить нельзя", body=body.short_name)})
    return body.code


def add_person(*, session: Session, tenant_id: int, username: str, full_name: str, role: str, body_id: Any = None,
               email: str = "", password: str = "") -> tuple[User, str]:
    """Create a person of the tenant; an empty password is generated. Returns the person and the password set."""
    password = password or generate_password()
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    user = create_user(session=session, username=username, password=password, role=role, full_name=full_name,
                       body_code=_body_code(session, tenant_id, body_id, role), tenant_code=tenant.code,
                       email=email)
    return user, password


def _open_tasks(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).where(HumanTask.assignee_id == user.id, HumanTask.state == "open")) or 0


def edit_person(*, session: Session, actor: User, user_id: int, full_name: str, role: str, body_id: Any = None,
                email: str = "") -> User:
    """Change a person's name, role, body and e-mail address; one with open tasks keeps role and body until they are
    passed on; administrators cannot take their own administrator role away."""
    user = person_in(session=session, tenant_id=actor.tenant_id, user_id=user_id)
    full_name, email = full_name.strip(), email.strip()
    errors = {}
    if not full_name or len(full_name) > 200:
        errors["full_name"] = N_("Укажите фамилию, имя и отчество (до 200 символов)")
    if role not in ROLES:
        errors["role"] = N_("Выберите роль")
    if problem := email_problem(email):
        errors["email"] = problem
    if user.id == actor.id and role != "admin":
        errors["role"] = N_("Свою роль администратора снять нельзя: это сделает другой администратор")
    if errors:
        raise Invalid(N_("Сотрудник не сохранён: исправьте поля"), fields=errors)
    code = _body_code(session, actor.tenant_id, body_id, role)
    body = session.scalar(select(Body).where(Body.code == code)) if code else None
    if role == "curator":
        body = session.scalar(select(Body).where(Body.tenant_id == actor.tenant_id, Body.is_curator))
    new_body_id = body.id if body else None
    if (role, new_body_id) != (user.role, user.body_id) and (count := _open_tasks(session, user)):
        raise Invalid(N_("Роль и орган не изменены: у сотрудника открытых задач — %(count)s. Сначала передайте их "
                         "(страница «Отсутствия»: замещающий получит задачи).", count=count),
                      fields={"role": N_("Открытых задач: %(count)s", count=count)})
    user.full_name, user.role, user.body_id, user.email = full_name, role, new_body_id, email or None
    session.flush()
    return user


def set_active(*, session: Session, clock: Clock, actor: User, user_id: int, active: bool) -> User:
    """Deactivate a person (they cannot log in; their sessions and tokens end) or let them back in; one with open
    tasks is not deactivated until the tasks are passed on."""
    user = person_in(session=session, tenant_id=actor.tenant_id, user_id=user_id)
    if not active:
        if user.id == actor.id:
            raise Forbidden(N_("Себя отключить нельзя"))
        if count := _open_tasks(session, user):
            raise Invalid(N_("Сотрудник не отключён: у него открытых задач — %(count)s. Сначала передайте их "
                             "(страница «Отсутствия»).", count=count),
                          fields={"active": N_("Открытых задач: %(count)s", count=count)})
        _end_logins(session, clock, user)
    elif user.body is not None and not user.body.active:
        raise Invalid(N_("Сотрудник не включён: его орган упразднён. Сначала переведите его в другой орган."),
                      fields={"body": N_("Орган упразднён")})
    user.active = active
    session.flush()
    return user


def reset_password(*, session: Session, clock: Clock, actor: User, user_id: int, password: str = "") -> str:
    """Set a temporary password (generated when none is given) and end the person's logins and tokens; returns it."""
    user = person_in(session=session, tenant_id=actor.tenant_id, user_id=user_id)
    password = password or generate_password()
    if problem := password_problem(password):
        raise Invalid(N_("Пароль не сменён"), fields={"password": problem})
    user.password_hash = hash_password(password)
    _end_logins(session, clock, user)
    session.flush()
    return password


def _end_logins(session: Session, clock: Clock, user: User) -> None:
    now = clock.now()
    session.execute(update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
                    .values(ended_at=now))
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))
