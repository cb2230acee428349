"""The registry of each body's official accounts by channel (clause 5), per tenant, and its export as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.texts import N_
from models import Body, BodyAccount, Channel, User
from services.db import savepoint
from services.errors import Conflict, Forbidden, Invalid, NotFound

EDITORS = ("admin", "responsible")  # the administrator for every body, a responsible official for their own
MAX_NAME = 200
MAX_URL = 500
CSV_HEADER = (N_("Орган"), N_("Канал"), N_("Название"), N_("Ссылка"))
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a cell starting so is a formula to Excel: kept as text


def accounts(*, session: Session, user: User, channel: str | None = None) -> list[BodyAccount]:
    """The tenant's accounts by body (the curator first), then channel and name; optionally of one channel."""
    query = select(BodyAccount).join(Body, Body.id == BodyAccount.body_id) \
        .join(Channel, Channel.id == BodyAccount.channel_id).where(BodyAccount.tenant_id == user.tenant_id) \
        .order_by(Body.is_curator.desc(), Body.name, Channel.id, BodyAccount.name, BodyAccount.id)
    if channel:
        query = query.where(BodyAccount.channel_id == _channel(session, channel, "channel").id)
    return list(session.scalars(query))


def get_account(*, session: Session, user: User, account_id: int) -> BodyAccount:
    """One account of the user's tenant; another tenant's is not found."""
    account = session.get(BodyAccount, account_id)
    if account is None or account.tenant_id != user.tenant_id:
        raise NotFound(N_("Аккаунт не найден"))
    return account


def editable_bodies(*, session: Session, user: User) -> list[Body]:
    """The bodies whose accounts the user may add: all of the tenant for its administrator, their own for a
    responsible official, none for others."""
    if user.role == "admin":
        return list(session.scalars(select(Body).where(Body.tenant_id == user.tenant_id)
                                    .order_by(Body.is_curator.desc(), Body.name)))
    if user.role == "responsible" and user.body is not None:
        return [user.body]
    return []


def add_account(*, session: Session, user: User, body: object, channel: object, name: object,
                url: object) -> BodyAccount:
    """Add an account to the registry."""
    account = BodyAccount(tenant_id=user.tenant_id)
    _fill(session, user, account, body, channel, name, url)
    return account


def edit_account(*, session: Session, user: User, account_id: int, body: object, channel: object, name: object,
                 url: object) -> BodyAccount:
    """Change an account's body, channel, name or link."""
    account = get_account(session=session, user=user, account_id=account_id)
    _check_body(user, account.body)
    _fill(session, user, account, body, channel, name, url)
    return account


def remove_account(*, session: Session, user: User, account_id: int) -> BodyAccount:
    """Remove an account from the registry."""
    account = get_account(session=session, user=user, account_id=account_id)
    _check_body(user, account.body)
    session.delete(account)
    session.flush()
    return account


def accounts_csv(*, session: Session, user: User, channel: str | None = None,
                 header: Sequence[str] = CSV_HEADER) -> str:
    """The registry as CSV that Excel opens as it is: a BOM, semicolons, CRLF; formulas kept as text. `header`: the
    column titles in the reader's language (CSV_HEADER translated), Russian by default."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for account in accounts(session=session, user=user, channel=channel):
        writer.writerow([_cell(account.body.short_name), _cell(account.channel.name), _cell(account.name),
                         _cell(account.url)])
    return "\ufeff" + out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA) else text


def _check_body(user: User, body: Body) -> None:
    """Only the tenant's administrator and the body's responsible official change its accounts."""
    if user.role not in EDITORS:
        raise Forbidden(N_("Реестр аккаунтов ведут администратор и ответственные лица органов"))
    if user.role == "responsible" and user.body_id != body.id:
        raise Forbidden(N_("Ответственное лицо ведёт аккаунты только своего органа"))


def _fill(session: Session, user: User, account: BodyAccount, body: object, channel: object, name: object,
          url: object) -> None:
    """Check every field, then write them all; nothing is written when one is wrong."""
    if user.role not in EDITORS:
        raise Forbidden(N_("Реестр аккаунтов ведут администратор и ответственные лица органов"))
    errors: dict[str, str] = {}
    body_row = session.scalar(select(Body).where(Body.code == str(body or "").strip(),
                                                 Body.tenant_id == user.tenant_id))
    if body_row is None:
        errors["body"] = N_("Выберите орган из списка")
    try:
        channel_row = _channel(session, channel, "channel")
    except Invalid as exc:
        errors.update(exc.fields)
    title = str(name or "").strip()
    if not title or len(title) > MAX_NAME:
        errors["name"] = N_("Укажите название аккаунта (до %(count)s символов)", count=MAX_NAME)
    link = str(url or "").strip()
    if problem := _link_problem(link):
        errors["url"] = problem
    elif account.url != link:
        taken = session.scalar(select(BodyAccount).where(BodyAccount.tenant_id == user.tenant_id,
                                                         BodyAccount.url == link))
        if taken is not None:
            errors["url"] = N_("Этот аккаунт уже есть в реестре: %(body)s, «%(name)s»", body=taken.body.short_name,
                               name=taken.name)
    if errors:
        raise Invalid(N_("Аккаунт не сохранён: исправьте поля"), fields=errors)
    assert body_row is not None
    _check_body(user, body_row)
    account.body_id, account.channel_id, account.name, account.url = body_row.id, channel_row.id, title, link
    try:
        with savepoint(session):
            session.add(account)
            session.flush()
    except IntegrityError:
        raise Conflict(N_("Этот аккаунт только что внесли в реестр; обновите страницу")) from None
    session.refresh(account)  # its body and channel as now linked


def _channel(session: Session, code: object, field: str) -> Channel:
    row = session.scalar(select(Channel).where(Channel.code == str(code or "").strip()))
    if row is None:
        raise Invalid(N_("Неизвестный канал"), fields={field: N_("Выберите канал из списка")})
    return row


def _link_problem(link: str) -> str | None:
    """What is wrong with an account's link, None when it is a web address."""
    rule = N_("Укажите ссылку на аккаунт, например https://vk.com/lenobl")
    if not link or len(link) > MAX_URL:
        return N_("Укажите ссылку на аккаунт, например https://vk.com/lenobl (до %(count)s символов)", count=MAX_URL)
    try:
        parts = urlsplit(link)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return rule
    if parts.scheme not in ("http", "https") or "." not in host.strip(".") or "@" in parts.netloc \
            or not link.isprintable() or " " in link:
        return rule
    return None
