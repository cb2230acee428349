"""Per-request database session, the clock, login, CSRF, i18n, template filters and error pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from engine.clock import Clock
from models import User
from services.errors import ServiceError

MOSCOW = ZoneInfo("Europe/Moscow")
LANGUAGES = ("ru", "en")
csrf = CSRFProtect()
login_manager = LoginManager()


def db() -> Session:
    """The request's session; the request commits it when the response is a success."""
    if "db" not in g:
        g.db = current_app.extensions["otklik.sessions"]()
    return cast(Session, g.db)


def clock() -> Clock:
    """The app's clock (a fixed one in tests)."""
    return cast(Clock, current_app.config["CLOCK"])


def me() -> User:
    """The logged-in person."""
    return cast(User, current_user._get_current_object())


def msk(moment: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A moment as Moscow time, 24.11.2026 14:05."""
    return moment.astimezone(MOSCOW).strftime(fmt) if moment else "—"


def _locale() -> str:
    return session.get("lang") or request.accept_languages.best_match(LANGUAGES) or "ru"


def install(app: Flask) -> None:
    """Wire the per-request machinery into the app."""
    Babel(app, locale_selector=_locale, default_locale="ru", default_timezone="Europe/Moscow")
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Войдите, чтобы продолжить"

    @login_manager.user_loader
    def _load(key: str) -> User | None:
        user_id, _, version = key.partition(":")
        user = db().get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.active or str(user.session_version) != version:
            return None
        return user

    @app.after_request
    def _finish(response: Any) -> Any:
        if "db" in g:
            if response.status_code < 400:
                g.db.commit()
            else:
                g.db.rollback()
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
        return response

    @app.teardown_request
    def _close(_: BaseException | None) -> None:
        session_ = g.pop("db", None)
        if session_ is not None:
            session_.close()

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}, exc.status
        return render_template("error.html", message=exc.message, status=exc.status), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        messages = {404: "Страница не найдена", 403: "Нет доступа", 400: "Неверный запрос",
                    405: "Метод не поддерживается", 413: "Слишком большой запрос"}
        message = messages.get(exc.code or 500, exc.description or "Ошибка")
        if request.path.startswith("/api/"):
            return {"error": {"code": (exc.name or "error").lower().replace(" ", "_"), "message": message}}, \
                exc.code or 500
        return render_template("error.html", message=message, status=exc.code), exc.code or 500

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error")
        message = "Внутренняя ошибка. Ничего не сохранено; попробуйте ещё раз или сообщите администратору."
        if request.path.startswith("/api/"):
            return {"error": {"code": "internal", "message": message}}, 500
        return render_template("error.html", message=message, status=500), 500

    app.jinja_env.filters["msk"] = msk
    app.jinja_env.filters["datetime_local"] = datetime_local
    app.jinja_env.globals.update(now=lambda: clock().now(), event_title=event_title,
                                 field_label=lambda key: FIELD_LABELS.get(key, key),
                                 value_label=lambda value: VALUE_LABELS.get(value, value)
                                 if isinstance(value, str) else value)


def datetime_local(value: object) -> str:
    """An ISO moment as the value of an <input type=datetime-local>, in Moscow time."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return (moment.astimezone(MOSCOW) if moment.tzinfo else moment).strftime("%Y-%m-%dT%H:%M")


EVENT_TITLES = {"registered": "Сообщение зарегистрировано", "overdue": "Срок нарушен", "warning": "Срок подходит",
                "closed": "Случай закрыт", "deadline_changed": "Срок пересчитан", "linked": "Связь с другим случаем",
                "assigned": "Назначен исполнитель", "reassigned": "Задача передана",
                "flag_dismissed": "Отметка «не подлежит обработке» (п. 10) отклонена куратором",
                "leadership_notified": "Руководство уведомлено (п. 14)"}
FIELD_LABELS = {"source": "Способ", "channel": "Источник", "triage_decision": "Решение", "importance": "Важность",
                "not_subject_ground": "Основание", "triage_comment": "Комментарий", "draft_outcome": "Результат",
                "reply_kind": "Вид ответа", "not_competent_reason": "Причина", "reassign_comment": "Комментарий",
                "approval_decision": "Решение", "approval_comment": "Комментарий", "published_url": "Ссылка",
                "clause": "Пункт", "outcome": "Итог", "old": "Было", "new": "Стало", "reason": "Причина",
                "timer": "Срок", "assignment": "Назначение", "matches": "Найдено", "notified": "Уведомлены",
                "repeat_of": "Повтор случая №",
                "repeated_by": "Повторное сообщение №",
                "late_minutes": "Опоздание, раб. мин", "composer": "Ответ готовит", "part_outcome": "Результат",
                "measures_taken": "Принятые меры", "clarification_text": "Уточнение автора"}
VALUE_LABELS = {"send": "направить в орган", "not_subject": "не подлежит обработке", "normal": "обычная",
                "high": "высокая", "draft": "проект направлен куратору", "not_competent": "не в компетенции органа",
                "reply": "ответ", "interim": "промежуточный ответ", "clarification": "запрос уточнения",
                "approve": "согласовать", "return": "вернуть на доработку", "harm": "намерение причинить вред",
                "obscene": "нецензурные или оскорбительные выражения", "threat": "угрозы должностному лицу",
                "form": "форма куратора", "api": "API", "monitoring": "система мониторинга",
                "published_end": "ответ опубликован", "not_subject_end": "не подлежит обработке",
                "last_body": "последний орган", "curator": "куратор", "separate": "отдельные ответы органов",
                "part": "информация направлена куратору"}


def event_title(event: Any, step_names: dict[str, str]) -> str:
    """What a history entry says happened."""
    if event.kind == "task_completed":
        return f"Выполнено: {event.details.get('task') or step_names.get(event.step, event.step)}"
    title = EVENT_TITLES.get(event.kind, event.kind)
    return f"{title}: {step_names.get(event.step, 'ответ по сообщению')}" if event.step else title
