"""The draft's task forms (JSON Schema files) edited field by field, previewed as executors will see them."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.forms import FormSchema
from engine.texts import N_, joined
from engine.validation import check_form
from models import ProcessDraft, User
from services.errors import Invalid, NotFound
from services.library.drafts import NAME, NAME_RULE, get_draft, store_files
from services.library.versions import COMMENTS
from services.reference import form_options

FORM_SUFFIX = ".schema.json"
# What a methodologist chooses for a field, in the words of the form, and how the renderer shows each.
KINDS = {"text": N_("Текст (строка)"), "textarea": N_("Длинный текст"), "number": N_("Число"),
         "datetime": N_("Дата и время"), "boolean": N_("Да / нет"), "choice": N_("Выбор одного"),
         "multiple": N_("Выбор нескольких")}


@dataclass(frozen=True)
class Choice:
    """One choice of a field: the value stored in the case and the title people see."""

    value: str
    title: str


@dataclass(frozen=True)
class FormField:
    """One field as the editor shows it; `original` is its name in the saved file (its other settings are kept)."""

    name: str
    title: str
    kind: str
    required: bool = False
    help: str = ""
    choices: Sequence[Choice] = ()
    options_list: str = ""  # choices from a reference list of the product (x-options), not edited here
    original: str = ""


@dataclass(frozen=True)
class FormDraft:
    """A form as the editor shows it: its title and fields in order, and the saved file it started from."""

    title: str
    fields: list[FormField]
    base: Mapping[str, Any] = field(default_factory=dict)


def draft_form(*, session: Session, user: User, draft_id: int, name: str) -> tuple[ProcessDraft, FormDraft, str]:
    """A form file of a draft as the editor's fields, and its text."""
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    if not name.endswith(FORM_SUFFIX) or name not in draft.files:
        raise NotFound(N_("Форма не найдена в черновике"))
    text = draft.files[name]
    try:
        schema = json.loads(text)
    except json.JSONDecodeError:
        schema = {}
    return draft, form_draft(schema if isinstance(schema, dict) else {}), text


def form_draft(schema: Mapping[str, Any]) -> FormDraft:
    """The editor's view of a schema."""
    props, ui = _object(schema.get("properties")), _object(schema.get("ui"))
    order = [k for k in ui.get("ui:order", []) if k in props] + [k for k in props if k not in ui.get("ui:order", [])]
    required = set(schema.get("required", []))
    fields = []
    for key in order:
        prop = props[key] if isinstance(props[key], dict) else {}
        hints = ui.get(key, {})
        target = prop.get("items", {}) if prop.get("type") == "array" else prop
        titles = target.get("x-titles") or prop.get("x-enumTitles") or {}
        fields.append(FormField(key, str(prop.get("title", "")), _kind(prop, hints), key in required,
                                str(hints.get("ui:help", prop.get("description", ""))),
                                [Choice(str(v), str(titles.get(v, v))) for v in target.get("enum", [])],
                                str(prop.get("x-options", "")), key))
    return FormDraft(str(schema.get("title", "")), fields, schema)


def _object(value: Any) -> dict[str, Any]:
    """A JSON object of the schema, or an empty one when the file has something else there."""
    return value if isinstance(value, dict) else {}


def _kind(prop: Mapping[str, Any], hints: Mapping[str, Any]) -> str:
    if prop.get("type") == "array":
        return "multiple"
    if "enum" in prop or "x-options" in prop:
        return "choice"
    if prop.get("type") == "boolean":
        return "boolean"
    if prop.get("type") in ("integer", "number"):
        return "number"
    if prop.get("format") == "date-time":
        return "datetime"
    return "textarea" if hints.get("ui:widget") == "textarea" else "text"


def form_text(form: FormDraft) -> str:
    """The JSON Schema file of an edited form; settings the editor does not show (limits, conditions, widgets) are
    kept from the saved file as long as a field keeps its kind. Invalid names each bad field."""
    errors: dict[str, str] = {}
    base = copy.deepcopy(dict(form.base))
    old_props, old_ui = _object(base.get("properties")), _object(base.get("ui"))
    if not form.title.strip():
        errors["title"] = N_("Укажите заголовок формы")
    props: dict[str, Any] = {}
    ui: dict[str, Any] = {k: v for k, v in old_ui.items() if k.startswith("ui:") and k != "ui:order"}
    for row, item in enumerate(form.fields):
        name = item.name.strip()
        if not NAME.match(name):
            errors[f"field-{row}-name"] = N_("Имя поля: %(rule)s", rule=NAME_RULE)
        elif name in props:
            errors[f"field-{row}-name"] = N_("Поле «%(name)s» уже есть в форме", name=name)
        if not item.title.strip():
            errors[f"field-{row}-title"] = N_("Укажите подпись поля")
        if item.kind not in KINDS:
            errors[f"field-{row}-kind"] = N_("Выберите тип поля из списка")
            continue
        old = old_props.get(item.original, {}) if item.original else {}
        hints = dict(old_ui.get(item.original, {})) if item.original else {}
        same = isinstance(old, dict) and _kind(old, hints) == item.kind
        prop, hints = (copy.deepcopy(old), hints) if same else ({}, {})
        _shape(prop, hints, item, row, errors)
        prop["title"] = item.title.strip()
        help_text = item.help.strip()
        where, key = (hints, "ui:help") if "ui:help" in hints else (prop, "description")
        if help_text:
            where[key] = help_text
        else:
            where.pop(key, None)
        props[name] = prop
        if hints:
            ui[name] = hints
    if errors:
        raise Invalid(N_("Исправьте отмеченные поля формы: ничего не сохранено"), fields=errors)
    ui["ui:order"] = list(props)
    required = [f.name.strip() for f in form.fields if f.required]
    schema = {"title": form.title.strip(), "type": "object", **({"required": required} if required else {}),
              "properties": props,
              **{k: v for k, v in base.items() if k not in ("title", "type", "required", "properties", "ui")},
              "ui": ui}
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def _shape(prop: dict[str, Any], hints: dict[str, Any], item: FormField, row: int, errors: dict[str, str]) -> None:
    """Give a field the JSON Schema shape the renderer (engine.forms, the task page) reads for its kind."""
    kind = item.kind
    if kind in ("text", "textarea", "datetime", "choice"):
        prop["type"] = "string"
    elif kind == "number":
        prop["type"] = prop.get("type") if prop.get("type") in ("integer", "number") else "number"
    elif kind == "boolean":
        prop["type"] = "boolean"
    if kind == "datetime":
        prop["format"] = "date-time"
    if kind == "textarea":
        hints["ui:widget"] = "textarea"
    if kind not in ("choice", "multiple") or "x-options" in prop:
        return
    values: list[str] = []
    titles: dict[str, str] = {}
    for number, choice in enumerate(item.choices):
        value = choice.value.strip()
        if not value:
            errors[f"field-{row}-choice-{number}-value"] = N_("Укажите значение варианта")
        elif value in titles:
            errors[f"field-{row}-choice-{number}-value"] = N_("Вариант «%(value)s» уже есть", value=value)
        else:
            values.append(value)
            titles[value] = choice.title.strip() or value
    if not item.choices:
        errors[f"field-{row}-choices"] = N_("Добавьте хотя бы один вариант")
    if kind == "multiple":
        prop["type"] = "array"
        prop["items"] = {**(prop.get("items") or {}), "type": "string", "enum": values}
    else:
        prop["enum"] = values
    prop["x-enumTitles"] = titles


def checked_form(*, name: str, text: str) -> FormSchema:
    """The form the renderer would use for this text; Invalid (the field named) when the library check refuses it."""
    form, problems = check_form(name, text)
    if form is None:
        raise Invalid(N_("Форма не принята: %(problems)s", problems=joined(p.message for p in problems)),
                      fields={p.element_id or "__all__": p.message for p in problems})
    return form


def preview_form(*, session: Session, user: User, draft_id: int, name: str, form: FormDraft | None = None,
                 text: str | None = None) -> FormSchema:
    """The edited form (or its raw text) as the task page will render it, with the user's own reference lists."""
    get_draft(session=session, user=user, draft_id=draft_id)
    schema = checked_form(name=name, text=text if text is not None else form_text(form or FormDraft("", [])))
    return schema.with_options(form_options(session=session, tenant_id=user.tenant_id, lists=schema.option_lists))


def save_form(*, session: Session, clock: Clock, user: User, draft_id: int, name: str, revision: int,
              form: FormDraft | None = None, text: str | None = None, comment: str = "") -> ProcessDraft:
    """Store the edited form (or, for experts, its raw JSON text) in the draft if the library check accepts it."""
    draft, _, _ = draft_form(session=session, user=user, draft_id=draft_id, name=name)
    text = text if text is not None else form_text(form or FormDraft("", []))
    checked_form(name=name, text=text)
    return store_files(session=session, clock=clock, user=user, draft=draft, files={**draft.files, name: text},
                       revision=revision, comment=comment or COMMENTS["form_changed"] % {"name": name})


def add_form(*, session: Session, clock: Clock, user: User, draft_id: int, stem: str, title: str,
             revision: int) -> tuple[ProcessDraft, str]:
    """A new, empty form file in the draft (stem.schema.json) for the modeler's tasks to choose."""
    draft = get_draft(session=session, user=user, draft_id=draft_id)
    stem, title = stem.strip(), title.strip()
    errors = {}
    if not NAME.match(stem):
        errors["stem"] = N_("Имя файла: %(rule)s", rule=NAME_RULE)
    elif stem + FORM_SUFFIX in draft.files:
        errors["stem"] = N_("Форма %(name)s уже есть в черновике", name=stem + FORM_SUFFIX)
    if not title:
        errors["title"] = N_("Укажите заголовок формы")
    if errors:
        raise Invalid(N_("Форма не добавлена: исправьте отмеченные поля"), fields=errors)
    name = stem + FORM_SUFFIX
    text = json.dumps({"title": title, "type": "object", "properties": {}}, ensure_ascii=False, indent=2) + "\n"
    draft = store_files(session=session, clock=clock, user=user, draft=draft, files={**draft.files, name: text},
                        revision=revision, comment=COMMENTS["form_added"] % {"name": name})
    return draft, name
