"""Checks of a reply draft against clauses 9 and 11, shown to the executor and the curator before it goes on.

The checks advise; only the channel's length limit also refuses the form (services.tasks). The rules:
- greeting: a greeting from GREETINGS within the first GREETING_WINDOW characters;
- polite address: a word of the author's name, or «Вы», «Вас», «Вам», «Ваш»... written with a capital letter;
- template phrases and bureaucratese: no entry of the tenant's `template` and `bureaucratese` lists;
- bare redirection: a reply that contains an entry of the `redirection` list must still say at least
  BARE_REDIRECTION_MIN_WORDS words outside the greeting and outside the sentences that redirect;
- length: no longer than the channel's reply_max_length.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_
from models import Case, Channel, Draft, HumanTask, User
from services.lexicon import Lexicon, load_lexicon, normalize
from services.tasks import current_draft, open_task

GREETINGS = (
    "здравствуйте", "добрый день", "добрый вечер", "доброе утро",  # not translated: Russian greetings looked for
    "доброго дня", "доброго времени суток", "приветствуем", "приветствую",  # not translated: as above
    "приветствуем вас", "приветствую вас",  # not translated: as above
)
GREETING_WINDOW = 150
BARE_REDIRECTION_MIN_WORDS = 15
NAME_MIN_LETTERS = 3
_GREETING = re.compile(r"(?<!\w)(?:" + "|".join(sorted(map(re.escape, GREETINGS), key=len, reverse=True))
                       + r")(?!\w)")
_POLITE = re.compile(  # the polite «Вы» in its forms, capitalised
    r"(?<!\w)(?:Вы|Вас|Вам|Вами|Ваш|Ваша|Ваше|Ваши|Вашего|Вашей|Вашему|Вашим|Вашими|Вашу|Ваших"  # not translated: regex
    r"|Вашем)(?!\w)")  # not translated: as above
_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


@dataclass(frozen=True)
class ReplyCheck:
    """One check: a stable code, whether the draft passes, and what to tell the person (a Text, translated where it
    is shown)."""

    code: str
    ok: bool
    message: str

    def as_dict(self) -> dict[str, object]:
        """The check as JSON-ready data."""
        return asdict(self)


def _quoted(fragments: list[str]) -> str:
    return ", ".join(f"«{' '.join(f.split())}»" for f in fragments)


def _greeting(text: str) -> ReplyCheck:
    if _GREETING.search(normalize(text[:GREETING_WINDOW])):
        return ReplyCheck("greeting", True, N_("Есть приветствие"))
    return ReplyCheck("greeting", False, N_("Начните ответ с приветствия: «Здравствуйте», «Добрый день»… (п. 11)"))


def _polite_address(text: str, author: str) -> ReplyCheck:
    words = set(_WORD.findall(normalize(text)))
    names = [w for w in _WORD.findall(author) if len(w) >= NAME_MIN_LETTERS and normalize(w) in words]
    if names:
        return ReplyCheck("polite_address", True, N_("Есть обращение к автору по имени: %(found)s",
                                                     found=_quoted(names[:1])))
    polite = _POLITE.search(text)
    if polite:
        return ReplyCheck("polite_address", True, N_("Есть вежливое обращение: %(found)s",
                                                     found=_quoted([polite.group(0)])))
    return ReplyCheck("polite_address", False,
                      N_("Обратитесь к автору по имени или на «Вы» с прописной буквы (п. 11)"))


def _phrases(code: str, found: list[str], clean: str, dirty: str) -> ReplyCheck:
    if found:
        return ReplyCheck(code, False, N_("%(phrases)s: %(found)s — скажите проще и по существу (п. 11)",
                                          phrases=dirty, found=_quoted(found)))
    return ReplyCheck(code, True, clean)


def substantive_words(text: str, lexicon: Lexicon) -> int:
    """Words outside the greeting and outside the sentences that redirect to another body."""
    count = 0
    for sentence in _SENTENCE_END.split(text):
        if lexicon.find("redirection", sentence):
            continue
        count += len(_WORD.findall(_GREETING.sub(" ", normalize(sentence))))
    return count


def _redirection(text: str, lexicon: Lexicon) -> ReplyCheck:
    found = lexicon.find("redirection", text)
    if not found:
        return ReplyCheck("redirection", True, N_("Нет переадресации в другой орган"))
    words = substantive_words(text, lexicon)
    if words < BARE_REDIRECTION_MIN_WORDS:
        return ReplyCheck("redirection", False,
                          N_("Ответ сводится к переадресации (%(found)s): по существу в нём %(words)s слов, нужно не "
                             "меньше %(minimum)s. Ответьте на вопрос и объясните, почему нужен другой орган (п. 11)",
                             found=_quoted(found), words=words, minimum=BARE_REDIRECTION_MIN_WORDS))
    return ReplyCheck("redirection", True,
                      N_("Переадресация (%(found)s) сопровождается ответом по существу", found=_quoted(found)))


def _length(text: str, channel: Channel) -> ReplyCheck:
    limit = channel.reply_max_length
    if len(text) > limit:
        return ReplyCheck("length", False, N_("Ответ длиннее, чем допускает %(channel)s: %(length)s из %(limit)s "
                                              "символов; так его не отправить (п. 9)",
                                              channel=channel.name, length=len(text), limit=limit))
    return ReplyCheck("length", True, N_("Длина подходит для источника %(channel)s: %(length)s из %(limit)s символов",
                                         channel=channel.name, length=len(text), limit=limit))


def check_reply(*, text: str, author: str, channel: Channel, lexicon: Lexicon) -> list[ReplyCheck]:
    """All checks of a reply text for a message by `author` in `channel`."""
    return [
        _greeting(text),
        _polite_address(text, author),
        _phrases("template", lexicon.find("template", text), N_("Нет шаблонных фраз"), N_("Шаблонные фразы")),
        _phrases("bureaucratese", lexicon.find("bureaucratese", text), N_("Нет канцеляризмов"), N_("Канцеляризмы")),
        _redirection(text, lexicon),
        _length(text, channel),
    ]


def reply_checks(*, session: Session, case: Case, text: str) -> list[ReplyCheck]:
    """The checks of a reply to this case, with the case tenant's lists."""
    lexicon = load_lexicon(session=session, tenant_id=case.tenant_id)
    return check_reply(text=text, author=case.author, channel=case.channel, lexicon=lexicon)


def checks_for_task(*, session: Session, clock: Clock, user: User, task_id: int, text: str) -> list[ReplyCheck]:
    """The checks of the text being typed into a task's form, if the user may see the task."""
    form = open_task(session=session, user=user, task_id=task_id, clock=clock)
    return reply_checks(session=session, case=form.case, text=text)


def checks_for_decision(*, session: Session, task: HumanTask) -> tuple[Draft | None, list[ReplyCheck]]:
    """The draft a curator's task decides on (as services.tasks picks it) and its checks."""
    draft = current_draft(session, task.case, task)
    if draft is None:
        return None, []
    return draft, reply_checks(session=session, case=task.case, text=draft.text)
