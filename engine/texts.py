"""Sentences for people that the system writes (errors, notices): Russian gettext msgids with their parameters, so
that each reader sees them in their own language. The web translates them where it shows them (web/labels.py);
anywhere else (the CLI, e-mail, logs) a Text reads as the Russian it is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Parameters with these names hold a text of the process library (a step's name, a form's message): a reader sees the
# library's translation of it, as the pages show step names.
LIBRARY_PARAMS = frozenset({"step", "library"})


class Text(str):
    """The Russian sentence (`msgid` with `params` filled in), remembering what it was made of."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, params: Mapping[str, object] | None = None) -> Text:
        values = dict(params or {})
        text = super().__new__(cls, msgid % values if values else msgid)
        text.msgid, text.params = msgid, values
        return text

    def stored(self) -> dict[str, object]:
        """The parameters as JSON keeps them, a Text among them as {"msgid": ..., "params": ...}."""
        return {name: {"msgid": value.msgid, "params": value.stored()} if isinstance(value, Text) else value
                for name, value in self.params.items()}

    @classmethod
    def restored(cls, msgid: str, params: Mapping[str, object]) -> Text:
        """The Text that `stored` kept."""
        return cls(msgid, {name: cls.restored(value["msgid"], value["params"]) if isinstance(value, dict) else value
                           for name, value in params.items()})


def N_(msgid: str, **params: object) -> str:
    """Mark a Russian message for pybabel (N_ is one of its default keywords) and keep its %(name)s parameters: a Text,
    translated where it is shown."""
    return Text(msgid, params)


# A person's name declined for a Russian sentence («Назначено Козловой Т. Ю.»): languages that do not decline names
# read it in the nominative («Assigned to Козлова Т. Ю.»).
DECLINED = "%(declined)s"


def declined(russian: str, nominative: str) -> str:
    """A name in a Russian grammatical case, inside a sentence; read in the nominative in other languages."""
    return Text(DECLINED, {"declined": russian, "nominative": nominative})


def from_library(text: str) -> str:
    """A whole message that is a text of the process library (a form's own message)."""
    return Text("%(library)s", {"library": text})


def text_of(exc: BaseException) -> str:
    """An exception's message, a Text if it was raised with one (str(exc) would leave only the Russian)."""
    message = exc.args[0] if len(exc.args) == 1 else None
    return message if isinstance(message, str) else str(exc)


def joined(texts: Iterable[str], separator: str = "; ") -> str:
    """Several messages as one, each still translated where it is shown (the joining itself needs no words)."""
    values = {f"part{number}": text for number, text in enumerate(texts)}
    return Text(separator.join(f"%({name})s" for name in values), values)


def stored_note(text: str) -> object:
    """A text kept in a JSON field for later display (a case history entry's details): a Text as its msgid and
    parameters, so that each reader sees it in their own language; any other text as it is."""
    return {"msgid": text.msgid, "params": text.stored()} if isinstance(text, Text) else text


def restored_note(value: object) -> object:
    """The Text that `stored_note` kept; anything else (a note written before notes kept their msgid, another kind
    of value) as it is."""
    if isinstance(value, dict) and value.keys() == {"msgid", "params"}:
        return Text.restored(value["msgid"], value["params"])
    return value
