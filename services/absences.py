"""Absences and substitutes (clause 6): who does a body's executor task while its person is away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import MOSCOW, Clock
from engine.texts import N_, declined, stored_note
from models import Absence, Case, HumanTask, User
from models.org import BODY_ROLES
from services.db import parse_id
from services.errors import Conflict, Forbidden, Invalid, NotFound

KIND_TITLES = {"illness": N_("Болезнь"), "leave": N_("Отпуск"), "business_trip": N_("Командировка"),
               "study": N_("Обучение"), "other": N_("Другая причина")}
# The same reasons inside a sentence («отпуск до 30.11.2026»).
KIND_WORDS = {"illness": N_("болезнь"), "leave": N_("отпуск"), "business_trip": N_("командировка"),
              "study": N_("обучение"), "other": N_("другая причина")}
MAX_REASON = 300
# A substitute may be away too; the chain is followed this far and never round in a circle.
MAX_CHAIN = 10


@dataclass(frozen=True)
class AbsencesPage:
    """The absences page: current and future absences of the people the actor manages, and those people."""

    today: date
    absences: list[Absence]
    people: list[User]


@dataclass(frozen=True)
class Candidate:
    """An executor a task may be passed to, and their absence today if they are away."""

    user: User
    away: Absence | None


class Recorded(NamedTuple):
    """A new absence and how many open tasks moved to the substitute at once."""

    absence: Absence
    moved: int


def today(clock: Clock) -> date:
    """The current date in Moscow."""
    return clock.now().astimezone(MOSCOW).date()


def short_name(full_name: str, grammatical_case: str = "nom") -> str:
    """"Козлова Татьяна Юрьевна" as "Козлова Т. Ю.", or with the surname in the genitive ("gen") or dative ("dat")
    for a Russian sentence (a Text that other languages read in the nominative)."""
    surname, *names = full_name.split()
    initials = " ".join(f"{name[0]}." for name in names[:2])
    nominative = f"{surname} {initials}".strip()
    if grammatical_case == "nom":
        return nominative
    female = _is_female(surname, names)
    surname = "-".join(_decline(part, female, grammatical_case) for part in surname.split("-"))
    return declined(f"{surname} {initials}".strip(), nominative)


def _is_female(surname: str, names: list[str]) -> bool:
    """The patronymic tells; without one, the surname's ending."""
    if len(names) >= 2:
        return names[1].endswith(("вна", "чна", "кызы"))  # not translated: Russian surname endings
    return surname.endswith(("ова", "ева", "ёва", "ина", "ына", "ая"))  # not translated: Russian surname endings


def _decline(surname: str, female: bool, grammatical_case: str) -> str:
    """A Russian surname in the genitive or dative; foreign and frozen ones (-ых, -ко, -ян for women) stay."""
    genitive = grammatical_case == "gen"
    low = surname.lower()
    if female:
        if low.endswith(("ова", "ева", "ёва", "ина", "ына")):  # not translated: Russian surname endings
            return surname[:-1] + "ой"  # not translated: Russian surname endings
        if low.endswith("ая"):  # not translated: Russian surname endings
            return surname[:-2] + "ой"  # not translated: Russian surname endings
        if low.endswith("яя"):  # not translated: Russian surname endings
            return surname[:-2] + "ей"  # not translated: Russian surname endings
        if low.endswith(("а", "я")) and not low.endswith(("иа", "уа")):  # not translated: Russian surname endings
            return _first_declension(surname, genitive)
        return surname
    if low.endswith(("ых", "их")) or low[-1] in "оеиуыэю":  # not translated: Russian surname endings
        return surname
    if (low.endswith("ый") or (low.endswith("ой") and len(low) > 4)  # not translated: Russian surname endings
            or (low.endswith("ий") and low[-3:-2] in "кгх")):  # not translated: Russian surname endings
        return surname[:-2] + ("ого" if genitive else "ому")  # not translated: Russian surname endings
    if low.endswith("ий"):  # not translated: Russian surname endings
        return surname[:-2] + ("его" if genitive else "ему")  # not translated: Russian surname endings
    if low.endswith(("а", "я")):  # not translated: Russian surname endings
        return _first_declension(surname, genitive)
    if low.endswith(("ь", "й")):  # not translated: Russian surname endings
        return surname[:-1] + ("я" if genitive else "ю")  # not translated: Russian surname endings
    return surname + ("а" if genitive else "у")  # not translated: Russian surname endings


def _first_declension(surname: str, genitive: bool) -> str:
    """Surnames in -а/-я: Гроза, Гроза -> Грозы, Грозе."""
    if not genitive:
        return surname[:-1] + "е"  # not translated: Russian surname endings
    soft = surname[-1] == "я" or surname[-2:-1].lower() in "гкхжшчщ"  # not translated: Russian surname endings
    return surname[:-1] + ("и" if soft else "ы")  # not translated: Russian surname endings


def describe(absence: Absence) -> str:
    """"отпуск до 30.11.2026"."""
    return N_("%(kind)s до %(day)s", kind=KIND_WORDS.get(absence.kind, absence.kind), day=f"{absence.ends_on:%d.%m.%Y}")


def absence_on(*, session: Session, user_id: int, day: date) -> Absence | None:
    """The person's absence covering the day, if any."""
    return session.scalar(select(Absence).where(Absence.user_id == user_id, Absence.starts_on <= day,
                                                Absence.ends_on >= day).order_by(Absence.starts_on).limit(1))


def stand_in(*, session: Session, person: User, day: date) -> tuple[User | None, Absence | None]:
    """Who does the person's work on the day, and the person's absence; None when everyone down the chain is away."""
    absence = absence_on(session=session, user_id=person.id, day=day)
    if absence is None:
        return (person if person.active else None), None
    seen = {person.id}
    candidate = absence.substitute
    for _ in range(MAX_CHAIN):
        if candidate.id in seen or not candidate.active or candidate.body_id != person.body_id:
            break
        seen.add(candidate.id)
        away = absence_on(session=session, user_id=candidate.id, day=day)
        if away is None:
            return candidate, absence
        candidate = away.substitute
    return None, absence


def _record(*, session: Session, case: Case, task: HumanTask, actor: User | None, kind: str, note: str,
            at: datetime) -> None:
    """One history entry about who has the task; the note (a Text) is kept with its msgid, read in each reader's
    language."""
    # Imported here: services.workflow calls this module when it opens a task.
    from services.workflow import add_event

    add_event(session=session, case=case, at=at, actor=actor, kind=kind, step=task.step, body_id=task.body_id,
              details={"assignment": stored_note(note)})


def _hand_to(*, session: Session, case: Case, task: HumanTask, person: User, clock: Clock,
             actor: User | None) -> bool:
    """Give the task to the person, or to their substitute while they are away; True if a substitute was needed."""
    doer, absence = stand_in(session=session, person=person, day=today(clock))
    task.assignee_id, task.assignee = (doer.id if doer else None), doer
    if absence is None:
        return False
    absent, why = short_name(person.full_name, "gen"), describe(absence)
    note = (N_("Назначено %(person)s вместо %(absent)s (%(absence)s)", person=short_name(doer.full_name, "dat"),
               absent=absent, absence=why) if doer else
            N_("Передано в очередь органа вместо %(absent)s (%(absence)s): замещающие тоже отсутствуют",
               absent=absent, absence=why))
    _record(session=session, case=case, task=task, actor=actor, kind="assigned", note=note, at=clock.now())
    return True


def assign_opened_tasks(*, session: Session, case: Case, tasks: list[HumanTask], clock: Clock) -> None:
    """Give each new executor task to the body's executor who last completed a task of the case, else the queue."""
    bodies = {t.body_id for t in tasks if t.role == "executor" and t.body_id is not None}
    if not bodies:
        return
    drafters: dict[int | None, User] = {}
    rows = session.execute(
        select(HumanTask.body_id, User).join(User, HumanTask.completed_by_id == User.id)
        .where(HumanTask.case_id == case.id, HumanTask.state == "completed", HumanTask.body_id.in_(bodies),
               User.role == "executor", User.body_id == HumanTask.body_id, User.active)
        .order_by(HumanTask.completed_at, HumanTask.id))
    for body_id, user in rows:
        drafters[body_id] = user  # ordered by completion: the last one wins
    for task in tasks:
        drafter = drafters.get(task.body_id) if task.role == "executor" and task.body_id is not None else None
        if drafter is not None:
            _hand_to(session=session, case=case, task=task, person=drafter, clock=clock, actor=None)


def apply_absences(*, session: Session, clock: Clock, actor: User | None = None, user_id: int | None = None) -> int:
    """Move open tasks of people away today to their substitutes; returns how many moved (the sweep calls this)."""
    day = today(clock)
    away = select(Absence.user_id).where(Absence.starts_on <= day, Absence.ends_on >= day)
    if user_id is not None:
        away = away.where(Absence.user_id == user_id)
    query = select(HumanTask).where(HumanTask.state == "open", HumanTask.assignee_id.in_(away)).order_by(HumanTask.id)
    moved = 0
    for task in session.scalars(query).all():
        assert task.assignee is not None
        moved += _hand_to(session=session, case=task.case, task=task, person=task.assignee, clock=clock, actor=actor)
    session.flush()
    return moved


def may_work_on(user: User, task: HumanTask) -> bool:
    """An executor works on their own tasks and the body's queue; everyone else as their role allows."""
    return user.role != "executor" or task.assignee_id in (None, user.id)


def assigned_elsewhere(user: User, task: HumanTask) -> str | None:
    """Why an executor may not complete a colleague's task, or None."""
    if may_work_on(user, task) or task.assignee is None:
        return None
    surname, *names = task.assignee.full_name.split()
    person = short_name(task.assignee.full_name, "dat")
    if _is_female(surname, names):
        return N_("Задача назначена %(person)s: выполнить её может она или ответственное лицо органа", person=person)
    return N_("Задача назначена %(person)s: выполнить её может он или ответственное лицо органа", person=person)


def _require_manager(actor: User) -> None:
    if actor.role not in ("responsible", "admin"):
        raise Forbidden(N_("Отсутствия ведут ответственное лицо органа и администратор"))


def _people(session: Session, actor: User) -> list[User]:
    """Everyone whose absences the actor records: the body's people, or for an administrator the tenant's."""
    query = select(User).where(User.tenant_id == actor.tenant_id, User.active, User.body_id.is_not(None))
    if actor.role != "admin":
        query = query.where(User.body_id == actor.body_id)
    return sorted(session.scalars(query), key=lambda u: ((u.body.short_name if u.body else ""), u.full_name))


def absences_page(*, session: Session, clock: Clock, actor: User) -> AbsencesPage:
    """Current and future absences of the people the actor manages."""
    _require_manager(actor)
    day = today(clock)
    people = _people(session, actor)
    query = (select(Absence).join(User, User.id == Absence.user_id)
             .where(User.tenant_id == actor.tenant_id, Absence.ends_on >= day)
             .order_by(Absence.starts_on, User.full_name))
    if actor.role != "admin":
        query = query.where(User.body_id == actor.body_id)
    return AbsencesPage(today=day, absences=list(session.scalars(query)), people=people)


def _date(value: Any) -> date | None:
    text = str(value or "").strip()
    for parse in (date.fromisoformat, lambda s: datetime.strptime(s, "%d.%m.%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _person(people: dict[int, User], value: Any) -> User | None:
    person_id = parse_id(value)
    return people.get(person_id) if person_id is not None else None


def add_absence(*, session: Session, clock: Clock, actor: User, user_id: Any, kind: Any, starts_on: Any,
                ends_on: Any, substitute_id: Any, reason: Any = "") -> Recorded:
    """Record an absence; if it covers today, the person's open tasks move to the substitute at once."""
    _require_manager(actor)
    day = today(clock)
    people = {u.id: u for u in _people(session, actor)}
    errors: dict[str, str] = {}
    person = _person(people, user_id)
    if person is None:
        errors["user"] = N_("Выберите сотрудника из списка")
    if str(kind or "") not in KIND_TITLES:
        errors["kind"] = N_("Выберите причину отсутствия")
    start, end = _date(starts_on), _date(ends_on)
    if start is None:
        errors["starts_on"] = N_("Укажите дату начала, например 30.11.2026")
    if end is None:
        errors["ends_on"] = N_("Укажите дату окончания, например 30.11.2026")
    if start and end and end < start:
        errors["ends_on"] = N_("Дата окончания не может быть раньше даты начала")
    elif end and end < day:
        errors["ends_on"] = N_("Отсутствие уже закончилось: дата окончания не раньше сегодняшней (%(day)s)",
                                 day=f"{day:%d.%m.%Y}")
    substitute_key = parse_id(substitute_id)
    substitute = session.get(User, substitute_key) if substitute_key is not None else None
    if substitute is None:
        errors["substitute"] = N_("Выберите замещающего сотрудника")
    elif person is not None and substitute.id == person.id:
        errors["substitute"] = N_("Сотрудник не может замещать сам себя")
    elif person is not None and (not substitute.active or substitute.body_id != person.body_id
                                 or substitute.tenant_id != person.tenant_id):
        errors["substitute"] = N_("Замещающий должен быть действующим сотрудником того же органа")
    note = str(reason or "").strip()
    if len(note) > MAX_REASON:
        errors["reason"] = N_("Основание: не более %(limit)s символов", limit=MAX_REASON)
    if person is not None and start and end and not errors.keys() & {"starts_on", "ends_on"}:
        overlap = session.scalar(select(Absence).where(Absence.user_id == person.id, Absence.starts_on <= end,
                                                       Absence.ends_on >= start).limit(1))
        if overlap is not None:
            errors["starts_on"] = N_("У %(person)s уже есть отсутствие в эти дни: %(kind)s с %(start)s по %(end)s",
                                     person=short_name(person.full_name, "gen"),
                                     kind=KIND_WORDS.get(overlap.kind, overlap.kind),
                                     start=f"{overlap.starts_on:%d.%m.%Y}", end=f"{overlap.ends_on:%d.%m.%Y}")
    if errors:
        raise Invalid(N_("Отсутствие не добавлено: исправьте поля"), fields=errors)
    assert person is not None and substitute is not None and start is not None and end is not None
    absence = Absence(user_id=person.id, kind=str(kind), starts_on=start, ends_on=end, substitute_id=substitute.id,
                      reason=note, created_by_id=actor.id, created_at=clock.now())
    session.add(absence)
    session.flush()
    moved = apply_absences(session=session, clock=clock, actor=actor, user_id=person.id) if start <= day else 0
    return Recorded(absence, moved)


def end_absence(*, session: Session, clock: Clock, actor: User, absence_id: int) -> str:
    """End an absence early: from today the person is back; one not yet begun is cancelled. Says what happened."""
    _require_manager(actor)
    day = today(clock)
    absence = session.get(Absence, absence_id)
    if absence is None or absence.user_id not in {u.id for u in _people(session, actor)}:
        raise NotFound(N_("Отсутствие не найдено"))
    who = short_name(absence.user.full_name)
    if absence.ends_on < day:
        raise Conflict(N_("Отсутствие %(person)s уже закончилось", person=short_name(absence.user.full_name, "gen")))
    if absence.starts_on >= day:
        session.delete(absence)
        session.flush()
        return N_("Отсутствие отменено: %(person)s", person=who)
    absence.ends_on = day - timedelta(days=1)
    session.flush()
    return N_("Отсутствие завершено: %(person)s снова на месте. Задачи, переданные замещающему, остаются у него; "
              "вернуть их можно кнопкой «Передать задачу»", person=who)


def reassign_options(*, session: Session, clock: Clock, actor: User, task: HumanTask) -> list[Candidate] | None:
    """The body's active executors a responsible official may pass an open executor task to; None if they may not."""
    if (actor.role != "responsible" or task.body_id != actor.body_id or task.role != "executor"
            or task.state != "open" or task.tenant_id != actor.tenant_id):
        return None
    day = today(clock)
    executors = session.scalars(select(User).where(User.body_id == task.body_id, User.role == "executor",
                                                   User.active).order_by(User.full_name))
    return [Candidate(u, absence_on(session=session, user_id=u.id, day=day)) for u in executors]


def reassign_task(*, session: Session, clock: Clock, actor: User, task_id: int, assignee_id: Any) -> HumanTask:
    """The responsible official passes an open executor task to another executor of the body, or to its queue."""
    task = session.get(HumanTask, task_id)
    if task is None or task.tenant_id != actor.tenant_id or (actor.body_id != task.body_id
                                                             and actor.role in BODY_ROLES):
        raise NotFound(N_("Задача не найдена"))
    if task.state != "open":
        raise Conflict(N_("Задача «%(step)s» уже выполнена", step=task.name))
    options = reassign_options(session=session, clock=clock, actor=actor, task=task)
    if options is None:
        raise Forbidden(N_("Передать задачу может ответственное лицо органа, которому она направлена"))
    text = str(assignee_id or "").strip()
    target = next((c for c in options if str(c.user.id) == text), None)
    if text and target is None:
        raise Invalid(N_("Выберите исполнителя органа из списка"),
                      fields={"assignee": N_("Выберите исполнителя из списка")})
    if target is not None and target.away is not None:
        raise Invalid(N_("%(person)s отсутствует (%(absence)s): выберите другого исполнителя",
                         person=short_name(target.user.full_name), absence=describe(target.away)),
                      fields={"assignee": N_("Исполнитель отсутствует")})
    new_id = target.user.id if target else None
    if new_id == task.assignee_id:
        raise Invalid(N_("Задача уже у %(person)s", person=short_name(target.user.full_name, "gen")) if target
                      else N_("Задача уже в очереди органа"))
    previous = task.assignee
    task.assignee_id, task.assignee = new_id, target.user if target else None
    if previous is not None and target is None:
        note = N_("Возвращено в очередь органа от %(previous)s", previous=short_name(previous.full_name, "gen"))
    else:
        assert target is not None
        person = short_name(target.user.full_name, "dat")
        note = (N_("Передано %(person)s вместо %(previous)s", person=person,
                   previous=short_name(previous.full_name, "gen")) if previous else
                N_("Передано %(person)s из очереди органа", person=person))
    _record(session=session, case=task.case, task=task, actor=actor, kind="reassigned", note=note, at=clock.now())
    session.flush()
    return task
