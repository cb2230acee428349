"""Reply templates of a body by theme, kept by the body's responsible official (and the administrator), that
executors start a draft from. A template passes the same clause 9 and 11 checks as a reply (services.reply_checks)
when it is saved, and the draft started from it is checked again as it is typed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_, joined
from models import Body, Channel, ReplyTemplate, Theme, ThemeGroup, User
from services.errors import Forbidden, Invalid, NotFound
from services.lexicon import load_lexicon
from services.reference import form_options
from services.reply_checks import ReplyCheck, check_reply
from services.tasks import TaskForm, open_task

MANAGERS = ("responsible", "admin")
MAX_TITLE, MAX_TEXT = 200, 4096


def may_manage(user: User) -> bool:
    """Whether the person keeps templates: a body's responsible official (their body), an administrator (all)."""
    return user.role in MANAGERS


@dataclass
class TemplatesPage:
    """A body's templates (every body's for an administrator) and the choices for keeping them."""

    templates: list[ReplyTemplate]
    bodies: Sequence[tuple[str, str]]
    themes: Sequence[tuple[str, str]]
    may_manage: bool


def templates_page(*, session: Session, user: User) -> TemplatesPage:
    """The templates a person keeps or uses: their body's, or all of the tenant's for an administrator."""
    if user.role not in ("executor", *MANAGERS) or (user.role != "admin" and user.body_id is None):
        raise Forbidden(N_("Шаблоны ответов есть у органов: у исполнителей и ответственных"))
    query = select(ReplyTemplate).where(ReplyTemplate.tenant_id == user.tenant_id)
    if user.role != "admin":
        query = query.where(ReplyTemplate.body_id == user.body_id)
    options = form_options(session=session, tenant_id=user.tenant_id, lists=("bodies", "themes"))
    templates = list(session.scalars(query.order_by(ReplyTemplate.body_id, ReplyTemplate.title, ReplyTemplate.id)))
    return TemplatesPage(templates, options["bodies"], options["themes"], may_manage(user))


def template_of(*, session: Session, user: User, template_id: int) -> ReplyTemplate:
    """One template the person may see, or NotFound (another tenant's or body's too)."""
    template = session.get(ReplyTemplate, template_id)
    if template is None or template.tenant_id != user.tenant_id or (
            user.role != "admin" and template.body_id != user.body_id):
        raise NotFound(N_("Шаблон не найден"))
    return template


def save_template(*, session: Session, clock: Clock, user: User, template_id: int | None, body: str | None,
                  theme: str | None, title: str, text: str) -> ReplyTemplate:
    """Create or change a template; refused with every problem by field, a text failing a check included."""
    if not may_manage(user):
        raise Forbidden(N_("Шаблоны ответов ведут ответственный орган и администратор"))
    template = template_of(session=session, user=user, template_id=template_id) if template_id else None
    errors: dict[str, str] = {}
    body_id = user.body_id if user.role != "admin" else session.scalar(
        select(Body.id).where(Body.tenant_id == user.tenant_id, Body.code == (body or "")))
    if body_id is None:
        errors["body"] = N_("Выберите орган")
    theme_id: int | None = None
    if theme:
        theme_id = session.scalar(select(Theme.id).join(ThemeGroup).where(ThemeGroup.tenant_id == user.tenant_id,
                                                                           Theme.code == theme))
        if theme_id is None:
            errors["theme"] = N_("Выберите тему из списка")
    title, text = (title or "").strip(), (text or "").replace("\r\n", "\n").strip()
    if not title or len(title) > MAX_TITLE:
        errors["title"] = N_("Укажите название до %(count)s символов", count=MAX_TITLE)
    if not text or len(text) > MAX_TEXT:
        errors["text"] = N_("Введите текст шаблона до %(count)s символов", count=MAX_TEXT)
    else:
        failed = [check.message for check in template_checks(session=session, user=user, text=text) if not check.ok]
        if failed:
            errors["text"] = N_("Шаблон не проходит проверки пп. 9 и 11: %(failed)s", failed=joined(failed))
    if errors:
        raise Invalid(N_("Шаблон не сохранён: исправьте отмеченные поля"), fields=errors)
    assert body_id is not None
    if template is None:
        template = ReplyTemplate(tenant_id=user.tenant_id)
        session.add(template)
    template.body_id, template.theme_id, template.title, template.text = body_id, theme_id, title, text
    template.updated_by_id, template.updated_at = user.id, clock.now()
    session.flush()
    return template


def delete_template(*, session: Session, user: User, template_id: int) -> None:
    """Remove a template the person keeps."""
    if not may_manage(user):
        raise Forbidden(N_("Шаблоны ответов ведут ответственный орган и администратор"))
    session.delete(template_of(session=session, user=user, template_id=template_id))
    session.flush()


def template_checks(*, session: Session, user: User, text: str) -> list[ReplyCheck]:
    """The reply checks of a template's text: no author yet (so «Вы» must address them), and the length that every
    channel allows."""
    shortest = session.scalar(select(Channel).order_by(Channel.reply_max_length, Channel.id).limit(1))
    assert shortest is not None
    return check_reply(text=text, author="", channel=shortest,
                       lexicon=load_lexicon(session=session, tenant_id=user.tenant_id))


def templates_for_task(*, session: Session, user: User, task_form: TaskForm) -> list[ReplyTemplate]:
    """The templates an executor may start this draft from: the task's body's, for the case's theme or every theme."""
    task = task_form.task
    if task.body_id is None or "reply_text" not in task_form.form.schema["properties"]:
        return []
    return list(session.scalars(select(ReplyTemplate).where(
        ReplyTemplate.tenant_id == user.tenant_id, ReplyTemplate.body_id == task.body_id,
        or_(ReplyTemplate.theme_id.is_(None), ReplyTemplate.theme_id == task_form.case.theme_id))
        .order_by(ReplyTemplate.theme_id.is_(None), func.lower(ReplyTemplate.title), ReplyTemplate.id)))


def start_from_template(*, session: Session, user: User, clock: Clock, task_id: int, template_id: int) -> TaskForm:
    """The task's form with the draft's text taken from one of its templates («Начать с шаблона»)."""
    form = open_task(session=session, user=user, task_id=task_id, clock=clock)
    chosen = next((t for t in templates_for_task(session=session, user=user, task_form=form) if t.id == template_id),
                  None)
    if chosen is None:
        raise NotFound(N_("Шаблон не найден"))
    form.values["reply_text"] = chosen.text
    return form
