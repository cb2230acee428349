"""English for the texts of the process library (form titles, fields, choices, step and process names).

Forms and diagrams are data methodologists edit in Russian; their English lives in one file,
translations/library.en.json, keyed by the Russian text. A text without an entry is shown in Russian, marked as
untranslated, so an English reader is told plainly rather than left guessing."""

from __future__ import annotations

import html
import re

from flask import Flask
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from services.language import library_english, library_in_language


def plain_library_text(text: str) -> str:
    """A library text in the interface language as plain text (a message, a history line), Russian if untranslated."""
    return library_in_language(text, str(get_locale()))


_SCHEMA_TEXTS = ("title", "description", "x-patternMessage")


def library_schema(schema: object) -> object:
    """A form's JSON Schema as an API client reads it: its titles, descriptions, choice titles and messages in the
    interface language (a copy; the stored form stays as it is)."""
    if isinstance(schema, list):
        return [library_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {key: plain_library_text(value) if key in _SCHEMA_TEXTS and isinstance(value, str)
            else {choice: plain_library_text(title) for choice, title in value.items()}
            if key == "x-enumTitles" and isinstance(value, dict)
            else library_schema(value) for key, value in schema.items()}


_NAME = re.compile(r'(\bname=")([^"]*)(")')


def library_diagram(xml: str) -> str:
    """A diagram for a viewer (the case page, the heatmap, the library), its elements' names in the interface
    language where the library has them in English; the modeler edits the stored Russian."""
    if str(get_locale()) != "en":
        return xml
    english = library_english()

    def named(match: re.Match[str]) -> str:
        text = html.unescape(match.group(2))
        return match.group(1) + str(escape(english[text])) + match.group(3) if text in english \
            else match.group(0)

    return _NAME.sub(named, xml)


def library_text(text: object) -> object:
    """A library text in the interface language; in English, an untranslated one is marked as such."""
    if not isinstance(text, str) or not text or str(get_locale()) != "en":
        return text
    if text in library_english():
        return library_english()[text]
    return Markup('<span class="untranslated" lang="ru" title="{}">{}</span>').format(
        gettext("Для этого текста нет английского перевода"), escape(text))


def install(app: Flask) -> None:
    """Make `library_text` (and its filter `lib`) available to every template."""
    app.jinja_env.globals["library_text"] = library_text
    app.jinja_env.filters["lib"] = library_text
