"""«Шаблоны ответов»: a body's reply templates by theme, kept by its responsible official and the administrator."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from models import ReplyTemplate
from services.errors import Invalid
from services.reply_templates import delete_template, save_template, templates_for_task, templates_page
from services.tasks import TaskForm
from web.common import clock, db, me

bp = Blueprint("reply_templates", __name__, url_prefix="/reply-templates")


@bp.app_template_global("reply_templates_for")
def _templates_for(task_form: TaskForm) -> list[ReplyTemplate]:
    """The templates an executor may start the task's draft from."""
    return templates_for_task(session=db(), user=me(), task_form=task_form)


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    """The templates with a form to add one (and, by ?edit=<id>, to change one)."""
    return _page()


@bp.post("")
@login_required
def save() -> ResponseReturnValue:
    """Add a template, or change the one named by template_id."""
    form = request.form
    template_id = int(form["template_id"]) if form.get("template_id", "").isdigit() else None
    try:
        template = save_template(session=db(), clock=clock(), user=me(), template_id=template_id,
                                 body=form.get("body") or None, theme=form.get("theme") or None,
                                 title=form.get("title", ""), text=form.get("text", ""))
    except Invalid as exc:
        return _page(errors=exc.fields or {"__all__": exc.message}, values=form.to_dict()), 422
    flash(gettext("Шаблон «%(title)s» сохранён", title=template.title), "success")
    return redirect(url_for("reply_templates.index"))


@bp.post("/<int:template_id>/delete")
@login_required
def delete(template_id: int) -> ResponseReturnValue:
    """Remove a template."""
    delete_template(session=db(), user=me(), template_id=template_id)
    flash(gettext("Шаблон удалён"), "success")
    return redirect(url_for("reply_templates.index"))


def _page(errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> str:
    page = templates_page(session=db(), user=me())
    editing = next((t for t in page.templates if str(t.id) == request.args.get("edit")), None)
    if values is None and editing is not None:
        values = {"template_id": str(editing.id), "body": editing.body.code, "title": editing.title,
                  "text": editing.text, "theme": editing.theme.code if editing.theme else ""}
    return render_template("reply_templates.html", page=page, errors=errors or {}, values=values or {})
