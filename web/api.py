"""The JSON API under /api/v1 with bearer tokens; the same services and rules as the pages."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Response, current_app, g, request
from flask.typing import ResponseReturnValue

from engine.texts import N_
from models import ApiToken, CaseEvent, Draft, HumanTask, Notification, User
from services.auth import issue_token, live_tokens, log_in, revoke_token, user_by_token
from services.cases import case_record, register_message
from services.errors import Duplicate, Invalid, ServiceError
from services.inbox import Row, inbox
from services.inbox.claims import release_task, take_task
from services.notifications import notification_centre
from services.register import parse_period, register
from services.tasks import complete_task, open_task
from web.common import clock, csrf, db, inbox_filters
from web.labels import actor_name, detail_text, notice, translated
from web.library_text import library_schema, plain_library_text
from web.register import entry_json, today, xlsx_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
OPENAPI = Path(__file__).resolve().parent / "openapi.json"


class Unauthorized(ServiceError):
    """No valid bearer token."""

    status = 401
    code = "unauthorized"


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(N_("Ожидается JSON-объект в теле запроса"))
    return body


def token_required(view: Any) -> Any:
    """Resolve the bearer token to a user, or answer 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        user = user_by_token(session=db(), clock=clock(), token=header[7:], reading=request.method == "GET") \
            if header.startswith("Bearer ") else None
        if user is None:
            raise Unauthorized(N_("Нужен действующий токен: POST /api/v1/auth/token"))
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper


def _user() -> User:
    return cast(User, g.api_user)


def _task_json(task: HumanTask) -> dict[str, Any]:
    return {"id": task.id, "case_id": task.case_id, "step": task.step, "name": plain_library_text(task.name),
            "state": task.state,
            "body": task.body.code if task.body else None,
            "assignee": task.assignee.username if task.assignee_id else None, "due_at": _iso(task.due_at),
            "case_due_at": _iso(task.case.due_at)}


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI document of this API."""
    return Response(OPENAPI.read_text(encoding="utf-8"), mimetype="application/json")


@bp.post("/auth/token")
def token() -> ResponseReturnValue:
    """Exchange a username and password for a bearer token (throttled like the login page)."""
    body = _json_body()
    user = log_in(session=db(), clock=clock(), username=str(body.get("username", "")),
                  password=str(body.get("password", "")), address=request.remote_addr)
    if user is None:
        db().commit()  # the failure stays counted although the answer is an error
        raise Unauthorized(N_("Неверное имя пользователя или пароль"))
    secret, row = issue_token(session=db(), clock=clock(), user=user, days=current_app.config["OTKLIK_TOKEN_DAYS"],
                              name=str(body.get("name") or ""))
    return {"token": secret, **_token_json(row)}, 201


@bp.get("/auth/tokens")
@token_required
def tokens() -> ResponseReturnValue:
    """The caller's live tokens; an administrator's: every person's of the tenant."""
    return {"tokens": [_token_json(t) for t in live_tokens(session=db(), clock=clock(), user=_user())]}


@bp.delete("/auth/tokens/<int:token_id>")
@token_required
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one of those tokens; it stops working at once."""
    return _token_json(revoke_token(session=db(), clock=clock(), user=_user(), token_id=token_id))


def _token_json(token: ApiToken) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "username": token.user.username, "created_at": _iso(token.created_at),
            "expires_at": _iso(token.expires_at), "revoked_at": _iso(token.revoked_at)}


@bp.post("/messages")
@token_required
def messages() -> ResponseReturnValue:
    """Register a message found by a monitoring system; the same link again returns the existing case."""
    body = _json_body()
    attachments = body.get("attachments", [])
    if not isinstance(attachments, list):  # the form's text field may be a string; JSON says what it is
        raise Invalid(N_("Сообщение не зарегистрировано: исправьте поля"),
                      fields={"attachments": N_("Вложения — список ссылок")})
    try:
        case = register_message(session=db(), clock=clock(), actor=_user(), source="api",
                                channel=body.get("channel"), url=body.get("url"), author=body.get("author"),
                                text=body.get("text"), published_at=body.get("published_at"),
                                attachments=attachments,
                                process_id=current_app.config["OTKLIK_PROCESS"])
    except Duplicate as exc:
        return {"case_id": exc.case_id, "duplicate": True}, 200
    return {"case_id": case.id, "duplicate": False}, 201


@bp.get("/tasks")
@token_required
def tasks() -> ResponseReturnValue:
    """The caller's open tasks, due first, as the inbox filters and searches them; counts per filter value."""
    filters, limit = inbox_filters()
    found = inbox(session=db(), user=_user(), clock=clock(), filters=filters, limit=limit)
    return {"tasks": [_inbox_json(row) for row in found.rows], "total": found.total, "counts": found.counts,
            "overdue": found.overdue}


def _inbox_json(row: Row) -> dict[str, Any]:
    task, timing = row.task, row.timing
    return {**_task_json(task), "importance": task.importance, "socially_significant": task.significant,
            "timing": timing.state, "left_minutes": _minutes(timing.left), "age_minutes": _minutes(timing.age)}


def _minutes(delta: timedelta | None) -> int | None:
    return int(delta.total_seconds() // 60) if delta is not None else None


@bp.post("/tasks/<int:task_id>/take")
@token_required
def take(task_id: int) -> ResponseReturnValue:
    """Take the task into work; 409 if someone else already has."""
    return _task_json(take_task(session=db(), clock=clock(), user=_user(), task_id=task_id))


@bp.post("/tasks/<int:task_id>/release")
@token_required
def release(task_id: int) -> ResponseReturnValue:
    """Return a taken task to the queue."""
    return _task_json(release_task(session=db(), clock=clock(), user=_user(), task_id=task_id))


@bp.get("/tasks/<int:task_id>")
@token_required
def task(task_id: int) -> ResponseReturnValue:
    """One task with its form's JSON Schema."""
    form = open_task(session=db(), user=_user(), task_id=task_id, clock=clock())
    return {**_task_json(form.task), "form": library_schema(form.form.schema), "values": form.values,
            "may_complete": form.may_complete}


@bp.post("/tasks/<int:task_id>/complete")
@token_required
def complete(task_id: int) -> ResponseReturnValue:
    """Complete a task with the form's fields as a JSON object."""
    done = complete_task(session=db(), user=_user(), task_id=task_id, form_data=_json_body(), clock=clock())
    return {"task": _task_json(done.task), "case_status": done.task.case.status,
            "next_tasks": [_task_json(t) for t in done.next_tasks]}


@bp.get("/cases/<int:case_id>")
@token_required
def case(case_id: int) -> ResponseReturnValue:
    """A case's status, deadlines, open tasks, drafts and history."""
    view = case_record(session=db(), user=_user(), case_id=case_id)
    c = view.case
    return {
        "id": c.id, "status": c.status, "outcome": c.outcome, "channel": c.channel.code, "url": c.url,
        "author": c.author, "text": c.text, "published_at": _iso(c.published_at),
        "registered_at": _iso(c.registered_at), "sent_at": _iso(c.sent_at), "due_at": _iso(c.due_at),
        "closed_at": _iso(c.closed_at), "importance": c.importance, "body": c.body.code if c.body else None,
        "theme": c.theme.code if c.theme else None, "location": c.location.code if c.location else None,
        "process_version": view.process_version,
        "open_tasks": [_task_json(t) for t in view.open_tasks],
        "drafts": [_draft_json(d) for d in view.drafts],
        "history": [_event_json(e) for e in view.history],
    }


def _draft_json(draft: Draft) -> dict[str, Any]:
    return {"number": draft.number, "kind": draft.kind, "text": draft.text, "created_at": _iso(draft.created_at),
            "author": draft.author.full_name if draft.author else None, "decision": draft.decision,
            "comment": draft.comment, "published_url": draft.published_url,
            "published_at": _iso(draft.published_at)}


def _event_json(event: CaseEvent) -> dict[str, Any]:
    return {"at": _iso(event.at), "kind": event.kind, "step": event.step, "actor": actor_name(event),
            "actor_body": event.actor.body.code if event.actor and event.actor.body else None,
            "body": event.body.code if event.body else None, "due_at": _iso(event.due_at),
            "details": json.loads(json.dumps({key: plain_library_text(value) if key == "task" and isinstance(value, str)
                                              else detail_text(value) for key, value in event.details.items()},
                                             default=str))}


@bp.get("/notifications")
@token_required
def notifications() -> ResponseReturnValue:
    """The caller's notifications, newest first, in the language the client asks for (Accept-Language)."""
    items = notification_centre(session=db(), user=_user())
    return {"notifications": [_notification_json(item.notification) for item in items]}


def _notification_json(row: Notification) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "case_id": row.case_id, "text": notice(row),
            "created_at": _iso(row.created_at), "read_at": _iso(row.read_at)}


@bp.get("/breaches")
@token_required
def breaches() -> ResponseReturnValue:
    """The clause-12 register for a period (?from=, ?to= as YYYY-MM-DD, ?body= code); ?format=xlsx for the export."""
    fmt = request.args.get("format") or "json"
    if fmt not in ("json", "xlsx"):
        raise Invalid(N_("Неверный формат"), fields={"format": N_("Допустимо json или xlsx")})
    period = parse_period(start=request.args.get("from"), end=request.args.get("to"), today=today())
    result = register(session=db(), clock=clock(), user=_user(), period=period,
                      body=request.args.get("body") or None)
    if fmt == "xlsx":
        return xlsx_response(result, request.args.get("deputy") or None)
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "as_of": _iso(result.as_of),
            "body": result.body, "total": len(result.entries),
            "deputies": [{"deputy": translated(g.deputy), "breaches": len(g.entries), "unjustified": g.unjustified,
                          "late_minutes": g.late_minutes} for g in result.deputies],
            "breaches": [entry_json(e) for e in result.entries]}
