"""The words of a case's history and of the parts of a common reply, and the texts the system writes (errors,
notices): Russian msgids, translated when a page or an API answer shows them."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale, gettext

from engine.texts import N_, Text, restored_note
from models import CaseEvent, LeadershipAlert, Notification
from services.language import in_language
from services.workflow import SYSTEM_ACTOR
from web.library_text import plain_library_text


def translated(text: str) -> str:
    """A Text the system wrote (an error, a notice) in the interface language, its library parameters (step names)
    as the pages show them; any other text (what people wrote) as it is."""
    return in_language(text, str(get_locale()))


def translated_all(value: Any) -> Any:
    """An API answer (dicts, lists) with every Text in it in the interface language; keys and other values as they
    are."""
    if isinstance(value, Text):
        return translated(value)
    if isinstance(value, dict):
        return {key: translated_all(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [translated_all(item) for item in value]
    return value


def shown(value: object) -> object:
    """Jinja's finalize: every Text a template prints is in the interface language."""
    return translated(value) if isinstance(value, Text) else value


def notice(row: Notification | LeadershipAlert) -> str:
    """A stored notice in the interface language; a row stored before notices kept their parameters reads as it
    was written."""
    return row.text if row.params is None else translated(Text.restored(row.text, row.params))


EVENT_TITLES = {"registered": N_("Сообщение зарегистрировано"), "overdue": N_("Срок нарушен"),
                "warning": N_("Срок подходит"), "closed": N_("Случай закрыт"),
                "deadline_changed": N_("Срок пересчитан"), "linked": N_("Связь с другим случаем"),
                "assigned": N_("Назначен исполнитель"), "reassigned": N_("Задача передана"),
                "flag_dismissed": N_("Отметка «не подлежит обработке» (п. 10) отклонена куратором"),
                "leadership_notified": N_("Руководство уведомлено (п. 14)"),
                "stalled": N_("Случай остановился: в процессе нет ни задачи, ни срока, ни события"),
                "repaired": N_("Случай восстановлен"),
                "transferred": N_("Передано в муниципальное образование (п. 4.3)"),
                "returned": N_("Возвращено муниципальным образованием в Дирекцию: снова на отборе"),
                "draft_edited": N_("Куратор исправил проект ответа при согласовании")}
FIELD_LABELS = {"source": N_("Способ"), "channel": N_("Источник"), "triage_decision": N_("Решение"),
                "importance": N_("Важность"), "not_subject_ground": N_("Основание"),
                "triage_comment": N_("Комментарий"), "draft_outcome": N_("Результат"), "reply_kind": N_("Вид ответа"),
                "not_competent_reason": N_("Причина"), "reassign_comment": N_("Комментарий"),
                "approval_decision": N_("Решение"), "approval_comment": N_("Комментарий"),
                "published_url": N_("Ссылка"), "clause": N_("Пункт"), "outcome": N_("Итог"), "old": N_("Было"),
                "new": N_("Стало"), "reason": N_("Причина"), "timer": N_("Срок"), "assignment": N_("Назначение"),
                "matches": N_("Найдено"), "notified": N_("Уведомлены"), "repeat_of": N_("Повтор случая №"),
                "repeated_by": N_("Повторное сообщение №"), "late_minutes": N_("Опоздание, раб. мин"),
                "composer": N_("Ответ готовит"), "part_outcome": N_("Результат"), "measures_taken": N_("Принятые меры"),
                "clarification_text": N_("Уточнение автора"), "steps": N_("Шаги"), "opened": N_("Открыты задачи"),
                "due_by": N_("Срок шага"), "compose_comment": N_("Комментарий"),
                "clarification_url": N_("Ссылка на уточнение"), "clarification_at": N_("Когда автор ответил"),
                "municipality": N_("Муниципальное образование"), "return_reason": N_("Причина возврата"),
                "version": N_("Новая версия"), "silent_decision": N_("Решение"),
                "silent_comment": N_("Комментарий")}
VALUE_LABELS = {"send": N_("направить в орган"), "not_subject": N_("не подлежит обработке"), "normal": N_("обычная"),
                "high": N_("высокая"), "draft": N_("проект направлен куратору"),
                "not_competent": N_("не в компетенции органа"), "reply": N_("ответ"),
                "interim": N_("промежуточный ответ"), "clarification": N_("запрос уточнения"),
                "approve": N_("согласовать"), "return": N_("вернуть на доработку"),
                "harm": N_("намерение причинить вред"), "obscene": N_("нецензурные или оскорбительные выражения"),
                "threat": N_("угрозы должностному лицу"), "form": N_("форма куратора"), "api": "API",
                "monitoring": N_("система мониторинга"), "published_end": N_("ответ опубликован"),
                "not_subject_end": N_("не подлежит обработке"),
                "author_silent_end": N_("автор не ответил на запрос уточнения"), "close": N_("закрыть случай"),
                "wait": N_("ждать уточнения ещё"), "last_body": N_("последний орган"),
                "curator": N_("куратор"), "separate": N_("отдельные ответы органов"),
                "part": N_("информация направлена куратору"),
                "case_deadline": N_("общий срок ответа (п. 8.3): он наступает раньше срока шага"),
                "transfer": N_("передать в муниципальное образование"), "return_to_oblast": N_("вернуть в Дирекцию"),
                "transferred_end": N_("передано в муниципальное образование"),
                "returned_end": N_("возвращено в Дирекцию"), "oblast": N_("передано из Дирекции")}


PART_STATES = {"waiting": N_("ждёт своей очереди"), "preparing": N_("готовит информацию"),
               "sent": N_("информация направлена куратору"),
               "not_competent": N_("сообщил, что вопрос не в его компетенции")}


def part_state(state: str) -> str:
    """A body's part of a common reply (8.9) in words, in the interface language."""
    return str(gettext(PART_STATES[state]))


def event_title(event: Any, step_names: dict[str, str]) -> str:
    """What a history entry says happened, in the interface language (step names stay as the diagram has them)."""
    if event.kind == "migrated":
        return str(gettext("Случай переведён на версию %(version)s", version=event.details.get("new", "")))
    if event.kind == "task_completed":
        return str(gettext("Выполнено: %(task)s", task=plain_library_text(
            event.details.get("task") or step_names.get(event.step, event.step))))
    title = str(gettext(EVENT_TITLES[event.kind])) if event.kind in EVENT_TITLES else str(event.kind)
    if not event.step:
        return title
    step = plain_library_text(step_names[event.step]) if event.step in step_names else gettext("ответ по сообщению")
    return f"{title}: {step}"


def actor_name(event: CaseEvent) -> str:
    """Who did what a history entry records: the person as named then, or the system in the interface language."""
    return translated(SYSTEM_ACTOR) if event.actor_id is None else event.actor_name


def field_label(key: str) -> str:
    """The label of a history detail field, in the interface language."""
    return str(gettext(FIELD_LABELS[key])) if key in FIELD_LABELS else key


def detail_text(value: object) -> object:
    """A history detail the system wrote as a Text (engine.texts.stored_note) in the interface language; any other
    value as it is."""
    restored = restored_note(value)
    return translated(restored) if isinstance(restored, Text) else value


def value_label(value: object) -> object:
    """A history detail value as words, in the interface language; other values as they are."""
    if isinstance(value, str) and value in VALUE_LABELS:
        return gettext(VALUE_LABELS[value])
    return detail_text(value)
