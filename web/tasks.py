"""Task forms: open, fill in, complete."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from services.approval import draft_changes
from services.cases import case_view
from services.errors import CaseChanged, Conflict, Invalid
from services.reply_templates import start_from_template
from services.tasks import capped_by_case, complete_task, open_task, suggest_bodies
from web.cases import repeat_suggestions
from web.common import clock, db, me
from web.labels import translated
from web.library_text import plain_library_text

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
bp.add_app_template_global(capped_by_case, "capped_by_case")
bp.add_app_template_global(draft_changes, "draft_changes")


def _form_data() -> dict[str, object]:
    data: dict[str, object] = {}
    for key in request.form:
        if key == "csrf_token":
            continue
        values = request.form.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    return data


@bp.route("/<int:task_id>", methods=["GET", "POST"])
@login_required
def show(task_id: int) -> ResponseReturnValue:
    """The task's form beside the message, its deadlines and earlier drafts."""
    errors: dict[str, str] = {}
    typed: dict[str, object] | None = None
    if request.method == "POST":
        try:
            task = complete_task(session=db(), user=me(), task_id=task_id, form_data=_form_data(),
                                 clock=clock()).task
        except (Invalid, CaseChanged) as exc:  # nothing saved: show the form again with what was typed
            errors = exc.fields or {"__all__": exc.message}
            typed = _form_data()
        except Conflict as exc:
            flash(translated(exc.message), "warning")
            return redirect(url_for("tasks.show", task_id=task_id))
        else:
            flash(gettext("Готово: «%(task)s»", task=plain_library_text(task.name)), "success")
            return redirect(url_for("inbox.show"))
    template = request.args.get("template", "")
    if request.method == "GET" and template.isdigit():  # «Начать с шаблона», without JavaScript too
        form = start_from_template(session=db(), user=me(), clock=clock(), task_id=task_id, template_id=int(template))
    else:
        form = open_task(session=db(), user=me(), task_id=task_id, clock=clock(), typed=typed)
    view = case_view(session=db(), user=me(), case_id=form.task.case_id)
    return render_template("task.html", form=form, view=view, errors=errors, suggestions=repeat_suggestions(view),
                           values=form.values), 422 if errors else 200


@bp.get("/<int:task_id>/competent-bodies")
@login_required
def competent_bodies(task_id: int) -> ResponseReturnValue:
    """The decision table's bodies for the theme and location chosen in the form: {"bodies": [codes]}."""
    return {"bodies": suggest_bodies(session=db(), user=me(), task_id=task_id,
                                     theme=request.args.get("theme") or None,
                                     location=request.args.get("location") or None)}
