"""Photos and videos for a reply: upload on the draft's task, download for whoever may see the case."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from models import Attachment, HumanTask
from services.attachments import (
    ACCEPT,
    MB,
    PHOTO_MAX,
    REQUEST_MAX,
    VIDEO_MAX,
    by_draft,
    for_download,
    pending,
    remove_pending,
    stored_path,
    upload,
)
from services.errors import NotFound, ServiceError
from services.tasks import open_task
from web.common import clock, db, me

bp = Blueprint("attachments", __name__)


@bp.record_once
def _limit_before_csrf(state: BlueprintSetupState) -> None:
    """Raise the body limit for uploads ahead of every other hook: CSRF reads the form, and the app's 2 MB limit."""
    state.app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)


def _upload_limit() -> None:
    if request.endpoint == "attachments.upload_file":
        request.max_content_length = REQUEST_MAX


def uploads_dir() -> Path:
    """Where files are stored: OTKLIK_UPLOADS, or instance/uploads; never under static/."""
    configured = current_app.config.get("OTKLIK_UPLOADS")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _block(task_id: int, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    form = open_task(session=db(), user=me(), task_id=task_id, clock=clock())
    return render_template("_attachments.html", block_task=form.task, may_upload=form.may_complete,
                           error=error), status


def _changed(task_id: int, note: str) -> ResponseReturnValue:
    """After an upload or a removal: the block again for htmx, else the task page with a note."""
    if _htmx():
        return _block(task_id)
    flash(note, "success")
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="attachments"))


@bp.post("/tasks/<int:task_id>/attachments")
@login_required
def upload_file(task_id: int) -> ResponseReturnValue:
    """Upload one photo or video for the next version of the reply."""
    file = request.files.get("file")
    try:
        attachment = upload(session=db(), clock=clock(), user=me(), task_id=task_id,
                            filename=file.filename if file else None, stream=file.stream if file else BytesIO(),
                            directory=uploads_dir())
    except ServiceError as exc:
        if _htmx() and exc.status in (413, 415, 422):
            return _block(task_id, exc.message, exc.status)
        raise
    return _changed(task_id, gettext("Файл прикреплён: %(name)s", name=attachment.filename))


@bp.post("/tasks/<int:task_id>/attachments/<int:attachment_id>/delete")
@login_required
def delete_file(task_id: int, attachment_id: int) -> ResponseReturnValue:
    """Remove a file that is not yet part of a sent version."""
    attachment = remove_pending(session=db(), clock=clock(), user=me(), task_id=task_id,
                                attachment_id=attachment_id)
    # The row goes with this request's commit; a file left behind by a failed commit is only unreachable.
    stored_path(uploads_dir(), attachment).unlink(missing_ok=True)
    return _changed(task_id, gettext("Файл удалён: %(name)s", name=attachment.filename))


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> ResponseReturnValue:
    """The file, always as a download, never rendered by the browser."""
    attachment = for_download(session=db(), user=me(), attachment_id=attachment_id)
    path = stored_path(uploads_dir(), attachment)
    if not path.is_file():
        raise NotFound(gettext("Файл не найден в хранилище"))
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_template_global("draft_attachments")
def _draft_attachments(case_id: int) -> dict[int, list[Attachment]]:
    """The case's files by draft id, for the draft versions."""
    return by_draft(session=db(), case_id=case_id)


@bp.app_template_global("pending_attachments")
def _pending_attachments(task: HumanTask) -> list[Attachment]:
    """Files waiting for the next version of this task's reply."""
    return pending(session=db(), task=task)


@bp.app_template_global("attachment_limits")
def _attachment_limits() -> dict[str, object]:
    """What the upload field accepts and the size limits, for the page and its script."""
    return {"accept": ACCEPT, "photo_bytes": PHOTO_MAX, "video_bytes": VIDEO_MAX, "photo_mb": PHOTO_MAX // MB,
            "video_mb": VIDEO_MAX // MB}
