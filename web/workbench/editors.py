"""The draft's deadline parameters and task forms, edited as a table and field by field, with a live preview."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from engine.texts import N_
from services.errors import Conflict, Invalid, ServiceError
from services.library.deadline_table import (
    DeadlineRow,
    LimitRow,
    ParameterTable,
    parameter_table,
    save_parameters,
)
from services.library.drafts import get_draft
from services.library.form_editor import (
    KINDS,
    Choice,
    FormDraft,
    FormField,
    add_form,
    draft_form,
    preview_form,
    save_form,
)
from web.common import clock, db, me

editors = Blueprint("editors", __name__)


def _rows(form: MultiDict[str, str], prefix: str, skip: str | None = None) -> list[int]:
    """The row numbers of a table posted as prefix-<n>-<column>, in order, without the one being removed."""
    found = {int(m.group(1)) for key in form if (m := re.fullmatch(rf"{prefix}-(\d+)-name", key))}
    return [n for n in sorted(found) if f"{prefix}-{n}" != skip]


@editors.get("/drafts/<int:draft_id>/parameters")
def parameters(draft_id: int) -> ResponseReturnValue:
    """The table of the draft's deadline parameters."""
    draft, table = parameter_table(session=db(), user=me(), draft_id=draft_id)
    return _parameters_page(draft, table, draft.revision)


@editors.post("/drafts/<int:draft_id>/parameters")
def edit_parameters(draft_id: int) -> ResponseReturnValue:
    """Save the table (action=save), or add or remove a row and show the table again, not yet saved."""
    form, action = request.form, request.form.get("action", "save")
    table = ParameterTable(
        [DeadlineRow(form.get(f"deadline-{n}-name", ""), form.get(f"deadline-{n}-value", ""),
                     form.get(f"deadline-{n}-unit", ""), f"deadline-{n}-working" in form,
                     form.get(f"deadline-{n}-clause", ""), form.get(f"deadline-{n}-title", ""))
         for n in _rows(form, "deadline", action.removeprefix("remove-"))],
        [LimitRow(form.get(f"limit-{n}-name", ""), form.get(f"limit-{n}-value", ""))
         for n in _rows(form, "limit", action.removeprefix("remove-"))],
        form.get("warning_share", ""))
    revision = _revision(form)
    if action == "add-deadline":
        table.deadlines.append(DeadlineRow("", "", "hours", True, "", ""))
    elif action == "add-limit":
        table.limits.append(LimitRow("", ""))
    if action != "save":
        draft = get_draft(session=db(), user=me(), draft_id=draft_id)
        return _parameters_page(draft, table, revision, unsaved=True)
    try:
        draft = save_parameters(session=db(), clock=clock(), user=me(), draft_id=draft_id, revision=revision,
                                table=table, comment=form.get("comment", ""))
    except (Invalid, Conflict) as exc:
        draft = get_draft(session=db(), user=me(), draft_id=draft_id)
        return _parameters_page(draft, table, revision, error=exc)
    flash(gettext("Параметры сохранены: редакция %(revision)s", revision=draft.revision), "success")
    return redirect(url_for("workbench.editors.parameters", draft_id=draft_id), 303)


def _parameters_page(draft: Any, table: ParameterTable, revision: int, *, unsaved: bool = False,
                     error: ServiceError | None = None) -> ResponseReturnValue:
    return render_template("workbench_parameters.html", draft=draft, table=table, revision=revision,
                           unsaved=unsaved, error=error,
                           errors=error.fields if error else {}), error.status if error else 200


def _revision(form: MultiDict[str, str]) -> int:
    try:
        return int(form.get("revision", ""))
    except ValueError:
        raise Invalid(N_("Не указана редакция черновика: обновите страницу")) from None


@editors.get("/drafts/<int:draft_id>/forms")
def forms(draft_id: int) -> ResponseReturnValue:
    """The draft's forms, and a new one to add."""
    draft = get_draft(session=db(), user=me(), draft_id=draft_id)
    return render_template("workbench_forms.html", draft=draft, errors={}, values={})


@editors.post("/drafts/<int:draft_id>/forms")
def new_form(draft_id: int) -> ResponseReturnValue:
    """Add an empty form file to the draft and open it in the editor."""
    form = request.form
    try:
        _, name = add_form(session=db(), clock=clock(), user=me(), draft_id=draft_id, stem=form.get("stem", ""),
                           title=form.get("title", ""), revision=_revision(form))
    except (Invalid, Conflict) as exc:
        draft = get_draft(session=db(), user=me(), draft_id=draft_id)
        return render_template("workbench_forms.html", draft=draft, error=exc, errors=exc.fields,
                               values=form), exc.status
    flash(gettext("Форма %(name)s добавлена в черновик", name=name), "success")
    return redirect(url_for("workbench.editors.form", draft_id=draft_id, name=name), 303)


@editors.get("/drafts/<int:draft_id>/forms/<name>")
def form(draft_id: int, name: str) -> ResponseReturnValue:
    """The form editor: fields in order, a live preview and the raw JSON for experts."""
    draft, edited, text = draft_form(session=db(), user=me(), draft_id=draft_id, name=name)
    return _form_page(draft, name, edited, text, draft.revision)


@editors.post("/drafts/<int:draft_id>/forms/<name>")
def edit_form(draft_id: int, name: str) -> ResponseReturnValue:
    """Save the fields (action=save) or the raw JSON (action=save-json), or change the list of fields or choices and
    show the editor again, not yet saved."""
    draft, saved, text = draft_form(session=db(), user=me(), draft_id=draft_id, name=name)
    action, revision = request.form.get("action", "save"), _revision(request.form)
    edited = _posted_form(request.form, saved.base, action)
    try:
        if action == "save-json":
            text = request.form.get("json", "")
            draft = save_form(session=db(), clock=clock(), user=me(), draft_id=draft_id, name=name,
                              revision=revision, text=text, comment=request.form.get("comment", ""))
        elif action == "save":
            draft = save_form(session=db(), clock=clock(), user=me(), draft_id=draft_id, name=name,
                              revision=revision, form=edited, comment=request.form.get("comment", ""))
        else:
            return _form_page(draft, name, edited, text, revision, unsaved=True)
    except (Invalid, Conflict) as exc:
        return _form_page(draft, name, edited, text, revision, error=exc)
    flash(gettext("Форма %(name)s сохранена: редакция %(revision)s", name=name, revision=draft.revision), "success")
    return redirect(url_for("workbench.editors.form", draft_id=draft_id, name=name), 303)


@editors.post("/drafts/<int:draft_id>/forms/<name>/preview")
def preview(draft_id: int, name: str) -> ResponseReturnValue:
    """The edited form rendered as the task page renders it (an HTML fragment), or why it cannot be."""
    _, saved, _ = draft_form(session=db(), user=me(), draft_id=draft_id, name=name)
    return _preview(draft_id, name, _posted_form(request.form, saved.base, "preview"))


def _preview(draft_id: int, name: str, edited: FormDraft) -> str:
    try:
        rendered = preview_form(session=db(), user=me(), draft_id=draft_id, name=name, form=edited)
    except Invalid as exc:
        return render_template("_form_preview.html", form=None, error=exc)
    values = {f.name: f.default for f in rendered.fields() if f.default is not None}
    return render_template("_form_preview.html", form=rendered, values=values, error=None)


def _posted_form(form: MultiDict[str, str], base: Any, action: str) -> FormDraft:
    """The editor's fields as posted (field-<n>-name, ...-choice-<m>-value), with the action's change applied."""
    fields = []
    for n in _rows(form, "field", action.removeprefix("remove-")):
        row = f"field-{n}"
        choices = [Choice(form.get(f"{row}-choice-{m}-value", ""), form.get(f"{row}-choice-{m}-title", ""))
                   for m in _choice_rows(form, row, action)]
        if action == f"add-choice-{n}":
            choices.append(Choice("", ""))
        fields.append(FormField(form.get(f"{row}-name", ""), form.get(f"{row}-title", ""),
                                form.get(f"{row}-kind", ""), f"{row}-required" in form, form.get(f"{row}-help", ""),
                                choices, form.get(f"{row}-options", ""), form.get(f"{row}-original", "")))
        if action == f"up-{n}" and len(fields) > 1:
            fields[-2], fields[-1] = fields[-1], fields[-2]
    if action == "add-field":
        fields.append(FormField("", "", "text"))
    return FormDraft(form.get("title", ""), fields, base)


def _choice_rows(form: MultiDict[str, str], row: str, action: str) -> list[int]:
    """The choice numbers of one field as posted, without the one being removed."""
    found = {int(m.group(1)) for key in form if (m := re.fullmatch(rf"{row}-choice-(\d+)-value", key))}
    return [m for m in sorted(found) if action != f"remove-{row}-choice-{m}"]


def _form_page(draft: Any, name: str, edited: FormDraft, text: str, revision: int, *, unsaved: bool = False,
               error: ServiceError | None = None) -> ResponseReturnValue:
    page = render_template("workbench_form.html", draft=draft, name=name, form=edited, text=text,
                           revision=revision, kinds=KINDS, unsaved=unsaved, error=error,
                           errors=error.fields if error else {}, preview=_preview(draft.id, name, edited))
    return page, error.status if error else 200

