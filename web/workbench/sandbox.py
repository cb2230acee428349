"""The draft's sandbox page: start a trial run, complete its tasks, move its clock to the next timer."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from services.errors import Conflict, Invalid
from services.library.sandbox import advance_sandbox, complete_in_sandbox, sandbox, start_sandbox, stop_sandbox
from services.library.versions import LibraryRefused
from web.common import clock, db, me
from web.labels import translated
from web.workbench.blueprints import bp


def _page(draft_id: int, status: int = 200, **extra: Any) -> ResponseReturnValue:
    view = sandbox(session=db(), clock=clock(), user=me(), draft_id=draft_id)
    context = {"errors": {}, "task_errors": {}, "values": None, "start": {}, "message": None, **extra}
    return render_template("workbench_sandbox.html", view=view, **context), status


@bp.get("/drafts/<int:draft_id>/sandbox")
def sandbox_page(draft_id: int) -> ResponseReturnValue:
    """The person's trial run of the draft: open tasks, deadlines, timers and what happened so far."""
    return _page(draft_id)


@bp.post("/drafts/<int:draft_id>/sandbox/start")
def sandbox_start(draft_id: int) -> ResponseReturnValue:
    """Start the trial anew: {start_at, channel, extra}."""
    try:
        start_sandbox(session=db(), clock=clock(), user=me(), draft_id=draft_id, start_at=request.form.get("start_at"),
                      channel=request.form.get("channel"), extra=request.form.get("extra"))
    except LibraryRefused as exc:
        return _page(draft_id, 422, message=exc.message, start=request.form)
    except Invalid as exc:
        return _page(draft_id, 422, message=exc.message, errors=exc.fields, start=request.form)
    return redirect(url_for("workbench.sandbox_page", draft_id=draft_id))


@bp.post("/drafts/<int:draft_id>/sandbox/tasks/<task_id>")
def sandbox_complete(draft_id: int, task_id: str) -> ResponseReturnValue:
    """Complete an open task of the trial with its form."""
    form = {key: (values if len(values) > 1 else values[0])
            for key, values in request.form.lists() if key != "csrf_token"}
    try:
        complete_in_sandbox(session=db(), user=me(), draft_id=draft_id, task_id=task_id, form_data=form)
    except Conflict as exc:
        flash(translated(exc.message), "warning")
    except Invalid as exc:
        return _page(draft_id, 422, task_errors={task_id: exc.fields or {"__all__": exc.message}},
                     values={task_id: form})
    return redirect(url_for("workbench.sandbox_page", draft_id=draft_id))


@bp.post("/drafts/<int:draft_id>/sandbox/advance")
def sandbox_advance(draft_id: int) -> ResponseReturnValue:
    """Move the trial's clock to the next timer."""
    try:
        advance_sandbox(session=db(), user=me(), draft_id=draft_id)
    except (Conflict, Invalid) as exc:
        flash(translated(exc.message), "warning")
    return redirect(url_for("workbench.sandbox_page", draft_id=draft_id))


@bp.post("/drafts/<int:draft_id>/sandbox/stop")
def sandbox_stop(draft_id: int) -> ResponseReturnValue:
    """Forget the trial."""
    stop_sandbox(session=db(), user=me(), draft_id=draft_id)
    return redirect(url_for("workbench.sandbox_page", draft_id=draft_id))
