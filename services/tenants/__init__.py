"""Municipalities (order 4.1) and the bodies of every tenant: create, list, edit, abolish.

A municipality runs on the regional process library and the oblast's theme classifier (one classifier, so the
oblast's reports compare municipalities by the same themes); it gets its own bodies, people, settlements (its
locations), word lists (seeded from the shipped lists, then its own) and working time.
Codes of tenants and bodies, like usernames, are unique in the whole installation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_
from models import Body, Breach, Case, CaseEvent, Draft, HumanTask, Location, MonitoringCheck, OverrideDay, Tenant, User
from services.auth import create_user, password_problem, username_taken
from services.errors import Forbidden, Invalid, NotFound
from services.lexicon import seed as seed_lexicon

TENANT_CODE = re.compile(r"[a-z][a-z0-9-]{1,29}")
BODY_CODE = re.compile(r"[a-z][a-z0-9._-]{0,39}")
CODE_HELP = N_("латинские строчные буквы, цифры, точка, дефис или подчёркивание; начинается с буквы")
MAX_NAME = 300
MAX_SHORT_NAME = 100


def require_admin(actor: User) -> None:
    """Refuse anyone but an administrator (of the oblast or of a municipality: each manages their own tenant)."""
    if actor.role != "admin":
        raise Forbidden(N_("Органы и сотрудников настраивает администратор"))


def require_region_admin(actor: User) -> None:
    """Refuse anyone but the oblast's administrator."""
    if actor.role != "admin" or actor.tenant.kind != "region":
        raise Forbidden(N_("Муниципальные образования создаёт администратор области"))


def tenants(*, session: Session) -> list[Tenant]:
    """Every tenant: the oblast first, then the municipalities by name."""
    return list(session.scalars(select(Tenant).order_by((Tenant.kind == "region").desc(), Tenant.name)))


def tenant_by_code(*, session: Session, code: str) -> Tenant:
    """The tenant with this code, or NotFound."""
    tenant = session.scalar(select(Tenant).where(Tenant.code == code))
    if tenant is None:
        raise NotFound(N_("Организации с кодом «%(code)s» нет (flask --app app tenants list)", code=code))
    return tenant


def municipalities(*, session: Session) -> list[tuple[Tenant, int, int]]:
    """Each municipality with its number of bodies and of active people, by name."""
    bodies = select(func.count()).where(Body.tenant_id == Tenant.id, Body.active).scalar_subquery()
    people = select(func.count()).where(User.tenant_id == Tenant.id, User.active).scalar_subquery()
    rows = session.execute(select(Tenant, bodies, people).where(Tenant.kind == "municipality").order_by(Tenant.name))
    return [(tenant, n_bodies, n_people) for tenant, n_bodies, n_people in rows]


def create_municipality(*, session: Session, clock: Clock, code: str, name: str, curator_name: str = "",
                        curator_code: str = "", departments: Sequence[tuple[str, str]] = (),
                        settlements: Iterable[str] = (), admin_username: str = "", admin_full_name: str = "",
                        admin_password: str = "", admin_email: str = "") -> Tenant:
    """Create a municipality with its curator body (the administration's press service), its departments, its
    settlements and its first administrator (when a username is given); every field is checked before anything
    is written."""
    code, name = code.strip(), name.strip()
    curator_name = curator_name.strip() or f"Пресс-служба администрации: {name}"  # not translated: a body's name
    explicit_curator_code = bool(curator_code.strip())
    curator_code = curator_code.strip() or f"{code}.press"
    errors: dict[str, str] = {}
    if not TENANT_CODE.fullmatch(code):
        errors["code"] = N_("Код организации: 2-30 символов, латинские строчные буквы, цифры или дефис; начинается "
                            "с буквы")
    elif session.scalar(select(Tenant.id).where(Tenant.code == code)) is not None:
        errors["code"] = N_("Код «%(code)s» уже занят другой организацией", code=code)
    if not name or len(name) > 200:
        errors["name"] = N_("Укажите название (до 200 символов)")
    codes = [curator_code, *(c.strip() for c, _ in departments)]
    names = [curator_name, *(n.strip() for _, n in departments)]
    for index, (body_code, body_name) in enumerate(zip(codes, names, strict=True)):
        field = "curator" if index == 0 else "departments"
        if index == 0 and not explicit_curator_code and "code" in errors:
            continue  # derived from a bad tenant code: the code's own message says it
        problem = _body_code_problem(session, body_code) or _name_problem(body_name)
        if problem is None and body_code in codes[:index]:
            problem = N_("Код органа «%(code)s» повторяется", code=body_code)
        if problem and field not in errors:
            errors[field] = problem
    if admin_username and session.scalar(select(User.id).where(User.username == admin_username.strip())):
        errors["admin_username"] = username_taken(admin_username.strip())
    if admin_username and (problem := password_problem(admin_password)):
        errors["admin_password"] = problem
    if errors:
        raise Invalid(N_("Муниципальное образование не создано: исправьте поля"), fields=errors)
    tenant = Tenant(code=code, name=name, kind="municipality", settings={})
    session.add(tenant)
    session.flush()
    create_body(session=session, tenant_id=tenant.id, code=curator_code, name=curator_name, is_curator=True)
    for body_code, body_name in zip(codes[1:], names[1:], strict=True):
        create_body(session=session, tenant_id=tenant.id, code=body_code, name=body_name)
    for index, settlement in enumerate(dict.fromkeys(s.strip() for s in settlements if s.strip()), start=1):
        session.add(Location(tenant_id=tenant.id, code=f"{code}-{index}", name=settlement[:200]))
    seed_lexicon(session=session, tenant=tenant)
    if admin_username:
        try:
            create_user(session=session, username=admin_username, password=admin_password, role="admin",
                        full_name=admin_full_name, tenant_code=code, email=admin_email)
        except Invalid as exc:
            raise Invalid(N_("Муниципальное образование не создано: исправьте поля"),
                          fields={f"admin_{key}": text for key, text in exc.fields.items()}) from None
    session.flush()
    return tenant


def _body_code_problem(session: Session, code: str) -> str | None:
    if not BODY_CODE.fullmatch(code):
        return N_("Код органа «%(code)s»: до 40 символов, %(rule)s", code=code, rule=CODE_HELP)
    if session.scalar(select(Body.id).where(Body.code == code)) is not None:
        return N_("Код органа «%(code)s» уже занят: коды органов едины для всей области и всех муниципалитетов",
                  code=code)
    return None


def _name_problem(name: str) -> str | None:
    return None if name and len(name) <= MAX_NAME else N_("Укажите название органа (до %(count)s символов)",
                                                           count=MAX_NAME)


def create_body(*, session: Session, tenant_id: int, code: str, name: str, short_name: str = "",
                is_curator: bool = False) -> Body:
    """Add a body (a department, or the tenant's curator) to a tenant; the code must be free in the installation."""
    code, name, short_name = code.strip(), name.strip(), short_name.strip() or name.strip()[:MAX_SHORT_NAME]
    errors = {}
    if problem := _body_code_problem(session, code):
        errors["code"] = problem
    if problem := _name_problem(name):
        errors["name"] = problem
    if len(short_name) > MAX_SHORT_NAME:
        errors["short_name"] = N_("Краткое название до %(count)s символов", count=MAX_SHORT_NAME)
    if is_curator and session.scalar(select(Body.id).where(Body.tenant_id == tenant_id, Body.is_curator)):
        errors["code"] = N_("Куратор у организации уже есть")
    if errors:
        raise Invalid(N_("Орган не создан: исправьте поля"), fields=errors)
    body = Body(tenant_id=tenant_id, code=code, name=name, short_name=short_name, is_curator=is_curator)
    session.add(body)
    session.flush()
    return body


def body_in(*, session: Session, tenant_id: int, body_id: int) -> Body:
    """The tenant's body with this id; another tenant's is NotFound, as if it did not exist."""
    body = session.get(Body, body_id)
    if body is None or body.tenant_id != tenant_id:
        raise NotFound(N_("Такого органа нет"))
    return body


@dataclass(frozen=True)
class BodyRow:
    """A body on the bodies page with what depends on it."""

    body: Body
    people: int
    open_tasks: int


def body_rows(*, session: Session, tenant_id: int) -> list[BodyRow]:
    """The tenant's bodies (the curator first, abolished last) with their active people and open tasks."""
    people = select(func.count()).where(User.body_id == Body.id, User.active).scalar_subquery()
    tasks = select(func.count()).where(HumanTask.body_id == Body.id, HumanTask.state == "open").scalar_subquery()
    rows = session.execute(select(Body, people, tasks).where(Body.tenant_id == tenant_id)
                           .order_by(Body.active.desc(), Body.is_curator.desc(), Body.name))
    return [BodyRow(body, n_people, n_tasks) for body, n_people, n_tasks in rows]


def edit_body(*, session: Session, tenant_id: int, body_id: int, name: str, short_name: str = "") -> Body:
    """Rename a body; its code stays (diagrams, forms and history refer to it)."""
    body = body_in(session=session, tenant_id=tenant_id, body_id=body_id)
    name, short_name = name.strip(), short_name.strip() or name.strip()[:MAX_SHORT_NAME]
    errors = {}
    if problem := _name_problem(name):
        errors["name"] = problem
    if len(short_name) > MAX_SHORT_NAME:
        errors["short_name"] = N_("Краткое название до %(count)s символов", count=MAX_SHORT_NAME)
    if errors:
        raise Invalid(N_("Орган не изменён: исправьте поля"), fields=errors)
    body.name, body.short_name = name, short_name
    session.flush()
    return body


def delete_body(*, session: Session, tenant_id: int, body_id: int) -> str:
    """Remove a body: refused while it has open tasks or active people (with their number); a body with history
    (cases, tasks, drafts, events, former people) is abolished instead: kept for its history and the reports,
    offered nowhere. Returns "deleted" or "abolished"."""
    body = body_in(session=session, tenant_id=tenant_id, body_id=body_id)
    if body.is_curator:
        raise Forbidden(N_("Куратора удалить нельзя: без него сообщения некому регистрировать и согласовывать"))
    open_tasks = session.scalar(select(func.count()).where(HumanTask.body_id == body.id, HumanTask.state == "open"))
    if open_tasks:
        raise Invalid(N_("Орган не удалён: у него открытых задач — %(count)s. Дождитесь их выполнения или передайте "
                         "случаи другому органу.", count=open_tasks),
                      fields={"body": N_("Открытых задач: %(count)s", count=open_tasks)})
    people = session.scalar(select(func.count()).where(User.body_id == body.id, User.active))
    if people:
        raise Invalid(N_("Орган не удалён: в нём работают сотрудники — %(people)s. Переведите их в другой орган "
                         "или отключите.", people=people), fields={"body": N_("Сотрудников: %(count)s", count=people)})
    history = any(session.scalar(select(column).where(where).limit(1)) is not None for column, where in (
        (Case.id, Case.body_id == body.id), (HumanTask.id, HumanTask.body_id == body.id),
        (CaseEvent.id, CaseEvent.body_id == body.id), (Draft.id, Draft.body_id == body.id),
        (Breach.id, Breach.body_id == body.id), (MonitoringCheck.id, MonitoringCheck.body_id == body.id),
        (User.id, User.body_id == body.id)))
    if history:
        body.active = False
        session.flush()
        return "abolished"
    session.execute(delete(OverrideDay).where(OverrideDay.body_id == body.id))
    session.delete(body)
    session.flush()
    return "deleted"


def restore_body(*, session: Session, tenant_id: int, body_id: int) -> Body:
    """Bring an abolished body back."""
    body = body_in(session=session, tenant_id=tenant_id, body_id=body_id)
    body.active = True
    session.flush()
    return body

