"""English for the texts of the process library (form titles, fields, choices, step and process names).

Forms and diagrams are data methodologists edit in Russian; their English lives in one file,
translations/library.en.json, keyed by the Russian text. A text without an entry is shown in Russian, marked as
untranslated, so an English reader is told plainly rather than left guessing."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from services.language import library_english, library_in_language


def plain_library_text(text: str) -> str:
    """A library text in the interface language as plain text (a message, a history line), Russian if untranslated."""
    return library_in_language(text, str(get_locale()))


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
