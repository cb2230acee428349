"""Editable word lists: clause-10 grounds found in messages at intake and clause-11 phrases found in replies.

An entry is a word or a phrase. A word matches whole; `*` at the end of a word allows any ending (`убь*` finds
«убью», «убьёт»), `*` at its start any prefix (`*пизд*`). Words of a phrase may be separated by spaces and
punctuation. Letter case and ё/е do not matter, and Latin look-alike letters inside a Cyrillic word are read as
Cyrillic, so «cука» with a Latin «c» is still found.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import Clock
from engine.texts import N_
from models import Case, LexiconEntry, Tenant, User
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.workflow import add_event

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "lexicon.json"
LISTS = ("obscene", "threat", "harm", "template", "bureaucratese", "redirection")
LIST_TITLES = {
    "obscene": N_("Нецензурные и оскорбительные выражения (п. 10)"),
    "threat": N_("Угрозы жизни, здоровью и имуществу (п. 10)"),
    "harm": N_("Намерение причинить вред другому лицу (п. 10)"),
    "template": N_("Шаблонные фразы (п. 11)"),
    "bureaucratese": N_("Канцеляризмы (п. 11)"),
    "redirection": N_("Переадресация в другой орган (п. 11)"),
}
GROUNDS = ("threat", "harm", "obscene")  # clause-10 lists, most serious first: the first flag pre-selects the ground
EDITORS = ("methodologist", "admin")
MAX_PATTERN = 200
MAX_FLAGS = 20
_LOOKALIKES = str.maketrans("aceopxykm", "асеорхукм")  # not translated: Cyrillic letters for Latin look-alikes
_CYRILLIC = re.compile(r"[а-яё]")  # not translated: a regex of Cyrillic letters
_LATIN = re.compile(r"[a-z]")
_PATTERN_WORD = re.compile(r"\*?[\w-]+\*?")
_ITEM = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Lower case, ё as е, Latin look-alikes inside Cyrillic words as Cyrillic; the length is kept."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter that lowers to two (İ): keep such letters as they are
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    lowered = lowered.replace("ё", "е")  # not translated: letters compared as one
    if not _LATIN.search(lowered):  # no Latin letter, no look-alike (most texts: the words need no second look)
        return lowered

    def _word(match: re.Match[str]) -> str:
        word = match.group(0)
        return word.translate(_LOOKALIKES) if _CYRILLIC.search(word) and _LATIN.search(word) else word

    return _ITEM.sub(_word, lowered)


def canonical(pattern: str) -> str:
    """The stored form of an entry: normalized, single spaces."""
    return " ".join(normalize(str(pattern or "")).split())


def _regex(pattern: str) -> str:
    parts = []
    for word in pattern.split():
        core = re.escape(word.strip("*"))
        parts.append((r"\w*" if word.startswith("*") else "") + core + (r"\w*" if word.endswith("*") else ""))
    return r"(?<!\w)" + r"\W+".join(parts) + r"(?!\w)"


@dataclass(frozen=True)
class Lexicon:
    """One tenant's lists, compiled: one alternation per list."""

    regexes: dict[str, re.Pattern[str]]

    @classmethod
    def of(cls, entries: dict[str, list[str]]) -> Lexicon:
        """Compile the lists; longer entries first so a phrase wins over a word inside it."""
        regexes = {}
        for name, patterns in entries.items():
            if patterns:
                ordered = sorted(patterns, key=len, reverse=True)
                regexes[name] = re.compile("|".join(f"(?:{_regex(p)})" for p in ordered))
        return cls(regexes)

    def find(self, list_name: str, text: str) -> list[str]:
        """The distinct fragments of `text` (as written) that an entry of the list matches, in order."""
        regex = self.regexes.get(list_name)
        if regex is None or not text:
            return []
        found: dict[str, str] = {}
        for match in regex.finditer(normalize(text)):
            found.setdefault(match.group(0), text[match.start():match.end()])
        return list(found.values())


_ENTRIES = select(LexiconEntry.list_name, LexiconEntry.pattern).where(LexiconEntry.tenant_id == bindparam("tenant_id"))
_lexicons: dict[tuple[str, int, int], Lexicon] = {}
_CHANGED = "otklik.lexicon_changed"


def load_lexicon(*, session: Session, tenant_id: int) -> Lexicon:
    """The tenant's lists, compiled once per revision of them (every message and reply is checked against them)."""
    tenant = session.get(Tenant, tenant_id)  # usually already loaded with the person
    if tenant is None or session.info.get(_CHANGED):  # lists changed by a transaction that may still roll back
        return _read(session, tenant_id)
    key = (str(session.get_bind().engine.url), tenant_id, tenant.lexicon_revision)
    if key not in _lexicons:
        for stale in [k for k in _lexicons if k[:2] == key[:2] and k[2] < key[2]]:
            del _lexicons[stale]  # lists of earlier revisions are never asked for again
        _lexicons[key] = _read(session, tenant_id)
    return _lexicons[key]


def _read(session: Session, tenant_id: int) -> Lexicon:
    entries: dict[str, list[str]] = {name: [] for name in LISTS}
    for list_name, pattern in session.execute(_ENTRIES, {"tenant_id": tenant_id}):
        entries.setdefault(list_name, []).append(pattern)
    return Lexicon.of(entries)


def _bump_revision(session: Session, tenant_id: int) -> None:
    """Compiled lists of the tenant are stale after an edit."""
    session.execute(update(Tenant).where(Tenant.id == tenant_id)
                    .values(lexicon_revision=Tenant.lexicon_revision + 1))
    session.info[_CHANGED] = True


def detect_flags(*, session: Session, tenant_id: int, text: str) -> list[dict[str, Any]]:
    """Likely clause-10 grounds in a message: [{"ground", "match"}], most serious ground first."""
    lexicon = load_lexicon(session=session, tenant_id=tenant_id)
    flags = [{"ground": ground, "match": fragment[:MAX_PATTERN]}
             for ground in GROUNDS for fragment in lexicon.find(ground, text)]
    return flags[:MAX_FLAGS]


def seed(*, session: Session, tenant: Tenant) -> int:
    """Add the shipped entries a tenant has not been offered yet; returns how many were added.

    The shipped file's version is remembered in the tenant's settings, so entries people removed stay removed
    and entries they added stay, until a newer file version offers its entries again.
    """
    data: dict[str, Any] = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    version = int(data["version"])
    settings = dict(tenant.settings or {})
    if int(settings.get("lexicon_seed", 0)) >= version:
        return 0
    existing = {(name, pattern) for name, pattern in session.execute(
        select(LexiconEntry.list_name, LexiconEntry.pattern).where(LexiconEntry.tenant_id == tenant.id))}
    added = 0
    for list_name, patterns in data["lists"].items():
        for pattern in patterns:
            key = (list_name, canonical(pattern))
            if key not in existing:
                session.add(LexiconEntry(tenant_id=tenant.id, list_name=list_name, pattern=key[1]))
                existing.add(key)
                added += 1
    tenant.settings = {**settings, "lexicon_seed": version}
    session.flush()
    if added:
        _bump_revision(session, tenant.id)
    return added


def require_editor(user: User) -> None:
    """Only methodologists and administrators edit the lists."""
    if user.role not in EDITORS:
        raise Forbidden(N_("Словари ведут методолог и администратор"))


def lists(*, session: Session, user: User) -> dict[str, list[LexiconEntry]]:
    """The tenant's lists, each sorted alphabetically."""
    require_editor(user)
    out: dict[str, list[LexiconEntry]] = {name: [] for name in LISTS}
    rows = session.scalars(select(LexiconEntry).where(LexiconEntry.tenant_id == user.tenant_id)
                           .order_by(LexiconEntry.list_name, LexiconEntry.pattern))
    for row in rows:
        out.setdefault(row.list_name, []).append(row)
    return out


def validate_pattern(pattern: Any) -> str:
    """The canonical entry, or Invalid with a message for the `pattern` field."""
    value = canonical(str(pattern or ""))
    if not value:
        raise Invalid(N_("Запись не добавлена"), fields={"pattern": N_("Введите слово или фразу")})
    if len(value) > MAX_PATTERN:
        raise Invalid(N_("Запись не добавлена"), fields={"pattern": N_("Не длиннее %(count)s символов",
                                                                      count=MAX_PATTERN)})
    for word in value.split():
        if not _PATTERN_WORD.fullmatch(word) or "_" in word:
            raise Invalid(N_("Запись не добавлена"), fields={
                "pattern": N_("Допустимы буквы, цифры, дефис и звёздочка «*» в начале или в конце слова")})
        if "*" in word and len(word.strip("*-")) < 3:
            raise Invalid(N_("Запись не добавлена"), fields={
                "pattern": N_("Слово со звёздочкой должно содержать не меньше трёх букв")})
    return value


def add_entry(*, session: Session, user: User, list_name: Any, pattern: Any) -> LexiconEntry:
    """Add an entry to one of the tenant's lists."""
    require_editor(user)
    if list_name not in LISTS:
        raise Invalid(N_("Запись не добавлена"), fields={"list_name": N_("Выберите словарь из списка")})
    value = validate_pattern(pattern)
    duplicate = Invalid(N_("Запись не добавлена"), fields={
        "pattern": N_("«%(value)s» уже есть в словаре «%(list)s»", value=value, list=LIST_TITLES[list_name])})
    if session.scalar(select(LexiconEntry.id).where(LexiconEntry.tenant_id == user.tenant_id,
                                                    LexiconEntry.list_name == list_name,
                                                    LexiconEntry.pattern == value)) is not None:
        raise duplicate
    entry = LexiconEntry(tenant_id=user.tenant_id, list_name=list_name, pattern=value)
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        raise duplicate from None
    _bump_revision(session, user.tenant_id)
    return entry


def remove_entry(*, session: Session, user: User, entry_id: int) -> LexiconEntry:
    """Remove an entry from the tenant's lists; returns the removed entry."""
    require_editor(user)
    entry = session.get(LexiconEntry, entry_id)
    if entry is None or entry.tenant_id != user.tenant_id:
        raise NotFound(N_("Запись не найдена: возможно, её уже удалили"))
    session.delete(entry)
    session.flush()
    _bump_revision(session, user.tenant_id)
    return entry


def dismiss_flags(*, session: Session, clock: Clock, user: User, case_id: int) -> Case:
    """The curator finds the clause-10 flags unfounded: the notice goes, the history keeps what was found."""
    if user.role != "curator":
        raise Forbidden(N_("Отметку отклоняет куратор"))
    case = session.get(Case, case_id)
    if case is None or case.tenant_id != user.tenant_id:
        raise NotFound(N_("Случай не найден"))
    if not case.flags:
        raise Conflict(N_("Отметки уже нет: её отклонили или её не было"))
    matches = ", ".join(dict.fromkeys(str(flag.get("match", "")) for flag in case.flags))
    try:
        with session.begin_nested():
            case.flags = []
            add_event(session=session, case=case, at=clock.now(), actor=user, kind="flag_dismissed",
                      details={"matches": matches})
            session.flush()
    except StaleDataError:
        raise Conflict(N_("Случай только что изменил другой участник: обновите страницу")) from None
    return case
