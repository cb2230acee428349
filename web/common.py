"""Per-request database session, the clock, login, CSRF, security headers, i18n, template filters and error pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, Request, current_app, g, has_request_context, render_template, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_babel import Babel, gettext
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from engine.clock import MOSCOW, Clock
from models import User
from services.auth import user_by_session
from services.db import ATTEMPTS, MAX_ID, parse_id, retryable, run_retrying
from services.errors import Busy, Invalid, ServiceError, TooManyAttempts
from services.inbox import INBOX_PAGE, MAX_INBOX_PAGE, Filters, parse_filters
from services.language import LANGUAGES
from web.labels import N_, actor_name, event_title, field_label, notice, part_state, shown, translated, value_label

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SESSION_KEY = "login"  # the cookie session's entry holding the key of its login session (services.auth)
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


def local_target(target: str | None, default: str) -> str:
    """A redirect target only if it is a path on this site, else the default: no //host, no backslash, and no control
    character or white space (browsers drop tabs and newlines, so "/\t/evil.example" would lead to //evil.example)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and target.isprintable() and " " not in target:
        return target
    return default


def msk(moment: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A moment as Moscow time, 24.11.2026 14:05."""
    return moment.astimezone(MOSCOW).strftime(fmt) if moment else "—"


def _locale() -> str:
    """Pages: the language the person chose, Russian first whatever the browser prefers. The API: the client's
    Accept-Language, Russian by default."""
    if not has_request_context():
        return "ru"
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES) or "ru"
    return session.get("lang") or "ru"


class _PageSessions(SecureCookieSessionInterface):
    """The pages' signed-cookie session; the API authenticates by bearer token and has none (no cookie to verify
    or to write on every call)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/api/"):
            return None  # Flask gives the request a read-only empty session
        return super().open_session(app, request)


# Every response carries them, error pages and static files included, unless a view set its own (attachments are
# served with a sandbox policy). Added at the WSGI level: a plain list of pairs, not werkzeug's Headers.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
     "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
)
_SECURITY_NAMES = tuple((name.lower(), (name, value)) for name, value in SECURITY_HEADERS)
# Every answer but a static file is personal or carries a CSRF token: no browser or proxy keeps a copy.
NO_STORE = ("Cache-Control", "no-store")
# Sent over HTTPS, and always once cookies are Secure (the site is then served over HTTPS; browsers ignore the header
# on plain HTTP). Subdomains are left out: other sites of the same domain are not ours to pin.
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def _with_security_headers(wsgi_app: WSGIApplication, *, static: str, hsts_always: bool) -> WSGIApplication:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        personal = not environ.get("PATH_INFO", "").startswith(static)
        secure = hsts_always or environ.get("wsgi.url_scheme") == "https"

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.extend(pair for name, pair in _SECURITY_NAMES if name not in present)
            if personal:  # replaces send_file's "no-cache" on attachments
                headers[:] = [pair for pair in headers if pair[0].lower() != "cache-control"]
                headers.append(NO_STORE)
            if secure:
                headers.append(HSTS)
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return app


class BadInput(ServiceError):
    """A request no form or service can take: text with a NUL byte or a lone surrogate, JSON nested too deep, a
    malformed query parameter."""

    status = 400
    code = "bad_request"


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: an id within the database's integer range; a larger one matches no route (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **{"max": MAX_ID, **kwargs})


MAX_JSON_DEPTH = 32  # a form is flat and a message two levels deep; deeper nesting only costs the parser
TOO_DEEP = N_("JSON вложен глубже %(depth)s уровней", depth=MAX_JSON_DEPTH)
_BODY_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_bad_input() -> None:
    """Refuse at the door what would otherwise fail deep inside: a streamed body over the size limit, JSON nested
    beyond MAX_JSON_DEPTH, and text that no database column takes (NUL, lone surrogates) in the query, form or JSON."""
    _check_fields(request.args.items(multi=True))
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(request.get_data()) >= limit:
        raise RequestEntityTooLarge()  # werkzeug cuts a chunked body at the limit without a word
    if request.mimetype in _BODY_TYPES:
        _check_fields(request.form.items(multi=True))
        _check_fields((name, file.filename or "") for name, file in request.files.items(multi=True))
    elif request.is_json:
        try:
            body = request.get_json(silent=True)  # cached for the view
        except RecursionError:  # the parser's own limit, far deeper than ours
            raise BadInput(TOO_DEEP) from None
        _check_json(body, "", 0)


def _check_fields(pairs: Iterable[tuple[str, str]]) -> None:
    for name, value in pairs:
        _check_text(name, name)
        _check_text(value, name)


def _check_json(value: Any, name: str, depth: int) -> None:
    """Check a JSON value inside `depth` arrays or objects; `name` is the top-level field it belongs to."""
    if isinstance(value, str):
        _check_text(value, name)
    elif isinstance(value, (dict, list)):
        if depth == MAX_JSON_DEPTH:
            raise BadInput(TOO_DEEP)
        for key, item in value.items() if isinstance(value, dict) else ((name, item) for item in value):
            _check_text(key, key)
            _check_json(item, name or key, depth + 1)


def _check_text(text: str, name: str) -> None:
    if text.isascii() and "\x00" not in text:
        return
    if "\x00" in text:
        raise BadInput(N_("Текст содержит нулевой символ (NUL)"), fields={name: N_("Недопустимый символ NUL")})
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(N_("Текст содержит одиночный суррогатный символ Юникода"),
                       fields={name: N_("Недопустимый символ")}) from None


def inbox_filters(page: int = INBOX_PAGE) -> tuple[Filters, int]:
    """The inbox's filters, ?case_id= and ?limit= (`page` when absent), checked: a malformed one is a 400, never a
    silently wider inbox."""
    errors: dict[str, str] = {}
    try:
        filters = parse_filters(request.args)
    except Invalid as exc:
        errors.update(exc.fields)
        filters = Filters()
    case_id = None
    if "case_id" in request.args:
        case_id = parse_id(request.args["case_id"])
        if case_id is None or case_id < 1:
            errors["case_id"] = N_("Номер случая — целое положительное число")
    limit: int | None = page
    if "limit" in request.args:
        limit = parse_id(request.args["limit"])
        if limit is None or not 1 <= limit <= MAX_INBOX_PAGE:
            errors["limit"] = N_("Число задач — целое число от 1 до %(count)s", count=MAX_INBOX_PAGE)
    if errors:
        raise BadInput(N_("Неверные параметры запроса"), fields=errors)
    assert limit is not None
    return replace(filters, case_id=case_id), limit


def install(app: Flask) -> None:
    """Wire the per-request machinery into the app."""
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its routes
    app.session_interface = _PageSessions()
    app.wsgi_app = _with_security_headers(  # type: ignore[method-assign]
        app.wsgi_app, static=f"{app.static_url_path}/", hsts_always=app.config["SESSION_COOKIE_SECURE"])
    if app.config["OTKLIK_PROXIES"]:  # trust that many reverse proxies for the client address and the scheme
        hops = app.config["OTKLIK_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    Babel(app, locale_selector=_locale, default_locale="ru", default_timezone="Europe/Moscow")
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Войдите, чтобы продолжить")
    login_manager.localize_callback = gettext
    app.before_request(refuse_bad_input)

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        user = user_by_session(session=db(), key=session.get(SESSION_KEY, ""))
        return user if user is not None and str(user.id) == user_id else None

    app.dispatch_request = _unit_of_work(app)  # type: ignore[method-assign]

    @app.after_request
    def _finish(response: Any) -> Any:
        if "db" in g and response.status_code >= 400:
            g.db.rollback()  # an error answered: what the view began is not kept
        return response

    @app.teardown_request
    def _close(_: BaseException | None) -> None:
        session_ = g.pop("db", None)
        if session_ is not None:
            session_.close()

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> ResponseReturnValue:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, (Busy, TooManyAttempts)) else {}
        return _error(exc.code, exc.message, exc.status, headers, exc.fields)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        message = HTTP_MESSAGES.get(exc.code or 500, exc.description or N_("Ошибка"))
        headers = [(name, value) for name, value in exc.get_headers() if name != "Content-Type"]  # 405's Allow
        return _error((exc.name or "error").lower().replace(" ", "_"), message, exc.code or 500, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error")
        return _error("internal", N_("Внутренняя ошибка. Ничего не сохранено; попробуйте ещё раз или сообщите "
                                     "администратору."), 500)

    app.jinja_env.filters["msk"] = msk
    app.jinja_env.filters["moment_input"] = moment_input
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.globals.update(now=lambda: clock().now(), actor_name=actor_name, event_title=event_title,
                                 field_label=field_label, value_label=value_label, part_state=part_state, notice=notice)
    app.jinja_env.finalize = shown  # every Text a template prints (errors, notices) in the reader's language


def _unit_of_work(app: Flask) -> Callable[[], ResponseReturnValue]:
    """The request's unit of work: run the view and, when it answers with a success, commit. A deadlock or
    serialization failure (PostgreSQL sacrificed this transaction to let another finish) rolls everything back and
    runs the view again on a fresh session, a few times; then the person hears the server is busy (503)."""
    view = app.dispatch_request

    def unit() -> ResponseReturnValue:
        response = app.make_response(view())
        if "db" in g and response.status_code < 400:
            g.db.commit()
        return response

    def dispatch_request() -> ResponseReturnValue:
        cookie = dict(session)
        try:
            return run_retrying(unit, rollback=lambda: _start_again(cookie), what=f"{request.method} {request.path}",
                                attempts=app.config.get("OTKLIK_DB_ATTEMPTS", ATTEMPTS))
        except DBAPIError as exc:
            if not retryable(exc):
                raise
            raise Busy(N_("Сервер занят: сохранить не удалось, ничего не изменилось. Повторите через несколько "
                          "секунд.")) from exc

    return dispatch_request


def _start_again(cookie: dict[str, Any]) -> None:
    """Forget what the failed attempt did: its session (and the person loaded in it), its flashed messages, how far
    its uploads were read."""
    failed = g.pop("db", None)
    if failed is not None:
        failed.close()
    g.pop("_login_user", None)
    if dict(session) != cookie:
        session.clear()
        session.update(cookie)
    for upload in request.files.values():
        upload.stream.seek(0)


HTTP_MESSAGES = {404: N_("Страница не найдена"), 403: N_("Нет доступа"), 400: N_("Неверный запрос"),
                 405: N_("Метод не поддерживается"), 413: N_("Слишком большой запрос")}


def error_json(code: str, message: str, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An error as the JSON endpoints answer it: a stable code, the message and each field's in the reader's
    language."""
    return {"error": {"code": code, "message": translated(message),
                      "fields": {name: translated(text) for name, text in (fields or {}).items()}}}


def _error(code: str, message: str, status: int, headers: Any = (),
           fields: Mapping[str, str] | None = None) -> ResponseReturnValue:
    """An error in the reader's language: JSON under /api/, else the error page."""
    if request.path.startswith("/api/"):
        return error_json(code, message, fields), status, headers
    return render_template("error.html", message=message, status=status), status, headers


def moment(value: object) -> datetime | None:
    """An ISO moment kept as text (a form's value in the history) as a datetime, None if it is not one."""
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def moment_input(value: object) -> str:
    """An ISO moment as the text of a date and time input: «24.11.2026 14:05», Moscow time; other text as typed."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
        return (moment.astimezone(MOSCOW) if moment.tzinfo else moment).strftime("%d.%m.%Y %H:%M")
    except (ValueError, OverflowError):  # a refused value shown back as typed, even one at the end of time
        return str(value)
