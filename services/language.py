"""The texts the system writes (engine.texts.Text) in a chosen language, with or without a request: the pages and the
API read them in the reader's language (web/labels.py), e-mails in the recipient's, the CLI in OTKLIK_LANG's. One
catalog for all of them: translations/en/LC_MESSAGES/messages.mo (compiled by scripts/bootstrap.sh) and, for the
process library's texts (step names, forms), translations/library.en.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from sqlalchemy.orm import Session

from engine.texts import DECLINED, LIBRARY_PARAMS, Text
from models import User

LANGUAGES = ("ru", "en")  # Russian first: the default of every page, answer, e-mail and command
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LIBRARY_EN = TRANSLATIONS / "library.en.json"


@cache
def library_english() -> dict[str, str]:
    """The library's English texts by their Russian originals."""
    return dict(json.loads(LIBRARY_EN.read_text(encoding="utf-8")))


@cache
def _catalog(language: str) -> NullTranslations:
    return NullTranslations() if language == "ru" else Translations.load(str(TRANSLATIONS), [language])


def library_in_language(text: str, language: str) -> str:
    """A text of the process library in `language` as plain text, Russian where it has no translation."""
    return library_english().get(text, text) if language == "en" else text


def in_language(text: str, language: str) -> str:
    """A Text the system wrote in `language` (its library parameters, such as step names, as the library translates
    them); any other text (what people wrote) as it is."""
    if not isinstance(text, Text):
        return text
    if text.msgid == DECLINED:
        return str(text.params["declined" if language == "ru" else "nominative"])
    params = {name: in_language(value, language) if isinstance(value, Text)
              else library_in_language(value, language) if name in LIBRARY_PARAMS and isinstance(value, str)
              else value for name, value in text.params.items()}
    translated = _catalog(language if language in LANGUAGES else "ru").gettext(text.msgid)
    return translated % params if params else translated


def keep_language(*, session: Session, user: User, language: str) -> None:
    """Remember the language a person chose, for their next login anywhere and for their e-mails."""
    if language in LANGUAGES and user.language != language:
        session.get_one(User, user.id).language = language
