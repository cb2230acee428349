"""The channel list (clause 4) with each channel's reply-format limit: one list for the whole installation, which
the oblast's administrator keeps; municipalities read it."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.texts import N_
from models import Channel, User
from services.errors import Forbidden, Invalid, NotFound

MAX_REPLY = 50_000
_CODE = re.compile(r"[a-z0-9_-]{1,40}")


def may_edit_channels(user: User) -> bool:
    """Whether the user keeps the channel list: the administrator of the oblast (the regional tenant)."""
    return user.role == "admin" and user.tenant.kind == "region"


def add_channel(*, session: Session, user: User, code: object, name: object, reply_max_length: object) -> Channel:
    """Add a channel."""
    _check_editor(user)
    text = str(code or "").strip()
    errors = {}
    if not _CODE.fullmatch(text):
        errors["code"] = N_("Код: до 40 строчных латинских букв, цифр, «_» или «-», например vk")
    elif session.scalar(select(Channel).where(Channel.code == text)) is not None:
        errors["code"] = N_("Канал с кодом «%(text)s» уже есть", text=text)
    channel = Channel(code=text)
    _fill(channel, name, reply_max_length, errors)
    session.add(channel)
    session.flush()
    return channel


def edit_channel(*, session: Session, user: User, channel_id: int, name: object,
                 reply_max_length: object) -> Channel:
    """Change a channel's name or reply-length limit (its code stays: cases and accounts refer to it)."""
    _check_editor(user)
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(N_("Канал не найден"))
    _fill(channel, name, reply_max_length, {})
    session.flush()
    return channel


def _check_editor(user: User) -> None:
    if not may_edit_channels(user):
        raise Forbidden(N_("Список каналов общий для области и муниципалитетов: его ведёт администратор области"))


def _fill(channel: Channel, name: object, reply_max_length: object, errors: dict[str, str]) -> None:
    title = str(name or "").strip()
    if not title or len(title) > 100:
        errors["name"] = N_("Укажите название канала (до 100 символов)")
    limit = str(reply_max_length if reply_max_length is not None else "").strip()
    if not (limit.isascii() and limit.isdigit() and len(limit) <= 6 and 1 <= int(limit) <= MAX_REPLY):
        errors["reply_max_length"] = N_("Длина ответа: целое число символов от 1 до %(count)s", count=MAX_REPLY)
    if errors:
        raise Invalid(N_("Канал не сохранён: исправьте поля"), fields=errors)
    channel.name, channel.reply_max_length = title, int(limit)
