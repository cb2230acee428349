"""Task forms: JSON Schema files with uiSchema hints, coerced and validated on the server."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.clock import MOSCOW
from engine.texts import N_, from_library, text_of

SUPPORTED_TYPES = ("string", "integer", "number", "boolean", "array")
SUPPORTED_FORMATS = ("uri", "date-time")
# Moments people enter (publication, clarification times) lie within these years; anything else is a typo and would
# overflow time zone arithmetic near the ends of Python's range.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class FormError(ValueError):
    """A form file outside the supported subset; the message (a Text) names the field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Field:
    """One field of a form as the renderer sees it."""

    name: str
    type: str
    title: str
    required: bool
    help: str = ""
    widget: str = ""
    format: str = ""
    choices: Sequence[tuple[str, str]] = ()
    max_length: int | None = None
    default: Any = None
    max_items: int | None = None
    # Shown only while another field has one of these values (uiSchema "ui:showIf": {"field": [values]}).
    show_if: tuple[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class FormSchema:
    """A parsed form: its JSON Schema, the dynamic option lists it needs and its fields in order."""

    name: str
    schema: Mapping[str, Any]
    ui: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, name: str, text: str, ui_text: str | None = None) -> FormSchema:
        """Parse a form file and refuse anything the renderer does not support."""
        try:
            schema = json.loads(text)
            ui = json.loads(ui_text) if ui_text else schema.pop("ui", {})
        except json.JSONDecodeError as exc:
            raise FormError(N_("Форма %(name)s: файл не является JSON (%(error)s)", name=name, error=str(exc))) from exc
        if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
            raise FormError(N_("Форма %(name)s: нужна схема type=object со свойствами properties", name=name))
        for key, prop in schema["properties"].items():
            if not isinstance(prop, dict):
                raise FormError(N_("Форма %(name)s, поле %(field)s: описание поля должно быть объектом", name=name,
                                   field=key), key)
            kind = prop.get("type")
            if kind not in SUPPORTED_TYPES:
                raise FormError(N_("Форма %(name)s, поле %(field)s: тип «%(kind)s» не поддерживается", name=name,
                                   field=key, kind=kind), key)
            if prop.get("format") and prop["format"] not in SUPPORTED_FORMATS:
                raise FormError(N_("Форма %(name)s, поле %(field)s: формат «%(format)s» не поддерживается", name=name,
                                   field=key, format=prop["format"]), key)
            if kind == "array" and prop.get("items", {}).get("type") != "string":
                raise FormError(N_("Форма %(name)s, поле %(field)s: поддерживаются только списки строк", name=name,
                                   field=key), key)
        Draft202012Validator.check_schema(schema)
        return cls(name, schema, ui)

    @property
    def option_lists(self) -> set[str]:
        """Names of the reference lists (x-options) the form's choices come from."""
        return {p["x-options"] for p in self._properties().values() if "x-options" in p}

    def with_options(self, options: Mapping[str, Sequence[tuple[str, str]]]) -> FormSchema:
        """A copy whose x-options fields list the given (value, title) choices."""
        if not self.option_lists:
            return self
        # New dicts only for the fields that change: this form is shared, never changed (cheaper than a deep copy).
        properties = dict(self.schema["properties"])
        for key, prop in self.schema["properties"].items():
            source = prop.get("x-options")
            if source is None:
                continue
            target = properties[key] = dict(prop)
            if prop.get("type") == "array":
                target = properties[key]["items"] = dict(prop["items"])
            target["enum"] = [value for value, _ in options.get(source, ())]
            target["x-titles"] = {value: title for value, title in options.get(source, ())}
        return FormSchema(self.name, {**self.schema, "properties": properties}, self.ui)

    def fields(self) -> list[Field]:
        """The fields in display order."""
        props = self._properties()
        order = [k for k in self.ui.get("ui:order", []) if k in props] + [k for k in props
                                                                         if k not in self.ui.get("ui:order", [])]
        required = set(self.schema.get("required", []))
        out = []
        for key in order:
            prop, hints = props[key], self.ui.get(key, {})
            target = prop.get("items", {}) if prop["type"] == "array" else prop
            titles = target.get("x-titles") or prop.get("x-enumTitles") or {}
            choices = [(str(v), str(titles.get(v, v))) for v in target.get("enum", [])]
            show_if = _show_if(hints.get("ui:showIf"))
            # A field shown only for one decision is required whenever that decision requires it (allOf if/then).
            needed = key in required or (show_if is not None and key in self._required_when(*show_if))
            out.append(Field(key, prop["type"], prop.get("title", key), needed,
                             hints.get("ui:help", prop.get("description", "")), hints.get("ui:widget", ""),
                             prop.get("format", ""), choices, prop.get("maxLength"), prop.get("default"),
                             prop.get("maxItems"), show_if))
        return out

    def _required_when(self, name: str, values: tuple[str, ...]) -> set[str]:
        """Fields an allOf if/then makes required whenever `name` has any of `values`."""
        needed: set[str] | None = None
        for value in values:
            found: set[str] = set()
            for rule in self.schema.get("allOf", []):
                condition = rule.get("if", {}).get("properties", {}).get(name, {})
                if condition.get("const") == value:
                    found |= set(rule.get("then", {}).get("required", []))
            needed = found if needed is None else needed & found
        return needed or set()

    def _properties(self) -> dict[str, Any]:
        return dict(self.schema["properties"])

    def validate(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Coerce submitted values and check them: (data with every field present, errors by field)."""
        errors: dict[str, str] = {}
        data: dict[str, Any] = {}
        for key, prop in self._properties().items():
            try:
                value = _coerce(prop, raw.get(key))
            except ValueError as exc:
                errors[key] = text_of(exc)
                continue
            if value is not None:
                data[key] = value
        unknown = set(raw) - set(self._properties()) - {"csrf_token", "version"}
        for key in sorted(unknown):
            errors[key] = N_("Такого поля нет в форме")
        validator = _validator(json.dumps(self.schema, sort_keys=True))
        for error in validator.iter_errors(data):
            key = _field_of(error)
            errors.setdefault(key, _message(error, self._properties().get(key, {})))
        return {key: data.get(key) for key in self._properties()}, errors


@functools.lru_cache(maxsize=256)
def _validator(schema: str) -> Draft202012Validator:
    """A validator per distinct schema (building one costs more than validating a form)."""
    return Draft202012Validator(json.loads(schema), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _coerce(prop: Mapping[str, Any], value: Any) -> Any:
    """Turn an HTML form string (or a JSON value) into the schema's type; empty means absent."""
    kind = prop["type"]
    if kind == "array":
        items = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        return [str(v) for v in items if str(v).strip()] or None
    if kind == "boolean":
        if isinstance(value, bool) or value is None:
            return value
        return str(value).lower() in ("1", "true", "on", "yes", "да")  # not translated: a word parsed from input
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind == "integer":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(N_("Введите целое число")) from None
    if kind == "number":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(N_("Введите число")) from None
    if not isinstance(value, str):
        raise ValueError(N_("Ожидается текст"))
    value = value.strip()
    if prop.get("format") == "date-time":
        return parse_moment(value).isoformat()
    return value


def _show_if(hint: Any) -> tuple[str, tuple[str, ...]] | None:
    """The uiSchema "ui:showIf" hint {"field": value or [values]} as (field, values)."""
    if not isinstance(hint, dict) or len(hint) != 1:
        return None
    (name, values), = hint.items()
    return str(name), tuple(str(v) for v in (values if isinstance(values, list) else [values]))


# How people write a moment (dd.mm.yyyy HH:MM, Moscow time); ISO 8601 is accepted as well, for the API.
RUSSIAN_MOMENT = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ ,]+(\d{1,2})[:.](\d{2}))?")


def parse_moment(text: str) -> datetime:
    """An aware moment from «24.11.2026 14:05» (Moscow time) or ISO text (Moscow time when it has no offset);
    ValueError (with a Text) when it is not one or lies outside FIRST_YEAR..LAST_YEAR."""
    text = text.strip()
    russian = RUSSIAN_MOMENT.fullmatch(text)
    if russian and russian.group(4) is None:
        raise ValueError(N_("Укажите и время: дд.мм.гггг чч:мм, например 24.11.2026 14:05"))
    try:
        if russian:
            day, month, year, hour, minute = russian.groups()
            moment = datetime(int(year), int(month), int(day), int(hour), int(minute))
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        if russian:
            raise ValueError(N_("Такой даты или времени нет: %(text)s; формат дд.мм.гггг чч:мм", text=text)) from None
        raise ValueError(N_("Введите дату и время в формате дд.мм.гггг чч:мм, например 24.11.2026 14:05")) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(N_("Укажите дату и время между %(first)s и %(last)s годами", first=FIRST_YEAR,
                            last=LAST_YEAR))
    return moment if moment.tzinfo else moment.replace(tzinfo=MOSCOW)


def _field_of(error: ValidationError) -> str:
    if error.validator == "required":
        return str(error.message.split("'")[1])
    return str(error.path[0]) if error.path else "__all__"


def _message(error: ValidationError, prop: Mapping[str, Any]) -> str:
    """The message for a JSON Schema error."""
    kind = error.validator
    if kind == "required":
        return N_("Заполните это поле")
    if kind == "enum":
        return N_("Выберите значение из списка")
    if kind == "maxLength":
        return N_("Не длиннее %(count)s символов", count=error.validator_value)
    if kind == "minLength":
        return N_("Заполните это поле") if error.validator_value == 1 else \
            N_("Не короче %(count)s символов", count=error.validator_value)
    if kind == "format":
        return N_("Укажите ссылку, начинающуюся с http:// или https://") if prop.get("format") == "uri" \
            else N_("Неверный формат даты и времени")
    if kind == "pattern":
        return from_library(str(prop["x-patternMessage"])) if "x-patternMessage" in prop \
            else N_("Значение в неверном формате")
    if kind in ("minimum", "maximum"):
        return N_("Допустимо от %(low)s до %(high)s", low=prop.get("minimum", "…"), high=prop.get("maximum", "…"))
    if kind == "type":
        return N_("Неверный тип значения")
    return N_("Неверное значение")
