"""The Governor's posts (clause 7): registering a post, recording the bodies' checks, the curator's overview."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import WorkingCalendar
from engine.clock import MOSCOW, Clock
from engine.texts import N_
from engine.timers import DeadlineParameters, due_after
from models import Body, Breach, Case, Channel, HumanTask, MonitoringCheck, Timer, User
from services.cases import TENANT_WIDE_ROLES, insert_case, normalize_link, parse_moment, visible_case
from services.errors import Duplicate, Forbidden, Invalid, NotFound
from services.library.versions import current_version_id
from services.workflow import add_event, apply_snapshot, run_step, runner_for

GOVERNOR_PROCESS = "governor_post"
GOVERNOR_AUTHOR = "Губернатор Ленинградской области"  # not translated: stored as the post's author, a name
MONITORING_FORM = "monitoring.schema.json"
FIRST_STEP, CHECK_STEP = "governor_first", "governor_check"
SLOT_TIMER = "check_slot"  # the diagram's timer that waits for the next check interval
# The Governor's accounts (clause 7): channel code -> hosts a post link may point to.
ACCOUNTS: dict[str, tuple[str, ...]] = {"vk": ("vk.com", "vk.ru"), "telegram": ("t.me", "telegram.me")}
ACCOUNT_TITLES = {"vk": N_("ВКонтакте"), "telegram": "Telegram"}
MAX_EXCERPT = 2000


class DuplicatePost(Duplicate):
    """The link was already registered, as a Governor's post or as a message."""

    def __init__(self, message: str, *, case_id: int, is_post: bool) -> None:
        super().__init__(message, case_id=case_id)
        self.is_post = is_post


def monitored_bodies(*, session: Session, tenant_id: int) -> list[Body]:
    """The bodies a post may be monitored by: every body of the tenant except the curator, by short name."""
    return list(session.scalars(select(Body).where(Body.tenant_id == tenant_id, Body.is_curator.is_(False),
                                                   Body.active)
                                .order_by(Body.short_name)))


def register_post(*, session: Session, clock: Clock, actor: User, account: Any, url: Any, published_at: Any,
                  text: Any, bodies: Sequence[str] | None = None) -> Case:
    """Register a post in the Governor's account and start monitoring by the chosen bodies (all by default)."""
    if actor.role != "curator":
        raise Forbidden(N_("Регистрировать посты Губернатора может куратор"))
    errors: dict[str, str] = {}
    code = str(account or "")
    channel = session.scalar(select(Channel).where(Channel.code == code)) if code in ACCOUNTS else None
    if channel is None:
        errors["account"] = N_("Выберите аккаунт Губернатора: ВКонтакте или Telegram")
    link = str(url or "").strip()
    key = normalize_link(link)
    if not link.startswith(("http://", "https://")) or len(link) > 2000 or any(c.isspace() for c in link):
        errors["url"] = N_("Укажите ссылку на пост, начинающуюся с http:// или https://")
    elif channel is not None and _host(link) not in ACCOUNTS[code]:
        errors["url"] = N_("Ссылка должна вести на пост в аккаунте %(account)s (%(host)s)",
                           account=ACCOUNT_TITLES[code], host=ACCOUNTS[code][0])
    excerpt = str(text or "").strip()
    if not excerpt or len(excerpt) > MAX_EXCERPT:
        errors["text"] = N_("Вставьте начало текста поста (до %(count)s символов)", count=MAX_EXCERPT)
    moment = _moment(published_at)
    now = clock.now()
    if moment is None:
        errors["published_at"] = N_("Укажите время выхода поста, например 2026-11-24T10:15")
    elif moment > now + timedelta(minutes=5):
        errors["published_at"] = N_("Время выхода поста не может быть в будущем")
    available = monitored_bodies(session=session, tenant_id=actor.tenant_id)
    codes = _chosen_bodies(available, bodies, errors)
    if errors:
        raise Invalid(N_("Пост не зарегистрирован: исправьте поля"), fields=errors)
    assert channel is not None and moment is not None
    _refuse_duplicate(session, actor.tenant_id, key)
    version_id = current_version_id(session=session, tenant_id=actor.tenant_id, process_id=GOVERNOR_PROCESS)
    case = Case(tenant_id=actor.tenant_id, kind="governor_post", channel_id=channel.id, url=link, url_key=key,
                author=GOVERNOR_AUTHOR, text=excerpt, published_at=moment, attachments=[], registered_at=now,
                registered_by_id=actor.id, source="form", status="open", process_version_id=version_id, state="")
    runner = runner_for(session=session, case=case, clock=clock)
    _refuse_finished_period(runner.parameters, runner.context.calendar_for(None), moment, now)
    insert_case(session=session, case=case, refuse_duplicate=_refuse_duplicate)
    add_event(session=session, case=case, at=now, actor=actor, kind="registered",
              details={"source": "form", "channel": channel.name, "bodies": codes})
    data = {"case_id": case.id, "channel": code, "bodies": codes,
            # ISO moments in Moscow time: the diagram compares them with the deadline functions' results.
            "post_at": moment.astimezone(MOSCOW).isoformat(), "registered_at": now.astimezone(MOSCOW).isoformat()}
    snapshot = run_step(lambda: runner.start(data))
    apply_snapshot(session=session, case=case, snapshot=snapshot, clock=clock, actor=actor)
    return case


def _host(link: str) -> str:
    """The link's host without www. or the mobile m. prefix."""
    host = (urlsplit(link).hostname or "").lower()
    for prefix in ("www.", "m."):
        host = host.removeprefix(prefix)
    return host


def _moment(value: Any) -> datetime | None:
    """An aware moment from a form or JSON value; a time without a zone is Moscow time."""
    try:
        return parse_moment(value)
    except (TypeError, ValueError):
        return None


def _chosen_bodies(available: list[Body], chosen: Sequence[str] | None, errors: dict[str, str]) -> list[str]:
    """Body codes in reference order: all bodies when none are chosen, else the chosen ones, checked."""
    if chosen is None:
        return [b.code for b in available]
    wanted = {str(c) for c in chosen}
    known = {b.code for b in available}
    if not wanted:
        errors["bodies"] = N_("Отметьте хотя бы один орган или выберите «все органы»")
    elif wanted - known:
        errors["bodies"] = N_("Выберите органы из списка")
    return [b.code for b in available if b.code in wanted]


def _refuse_duplicate(session: Session, tenant_id: int, key: str) -> None:
    found = session.execute(select(Case.id, Case.kind).where(Case.tenant_id == tenant_id, Case.url_key == key)).first()
    if found is None:
        return
    case_id, kind = found
    if kind == "governor_post":
        raise DuplicatePost(N_("Этот пост уже зарегистрирован: № %(case)s", case=case_id), case_id=case_id,
                            is_post=True)
    raise DuplicatePost(N_("Эта ссылка уже зарегистрирована как сообщение: случай № %(case)s", case=case_id),
                        case_id=case_id, is_post=False)


def _refuse_finished_period(parameters: DeadlineParameters, calendar: WorkingCalendar, published: datetime,
                            now: datetime) -> None:
    """A post whose whole monitoring period has passed gives nobody anything to do."""
    first_end = due_after(calendar, published, parameters.duration(FIRST_STEP))
    period_end = due_after(calendar, first_end, parameters.duration("governor_period"))
    if period_end <= now:
        ended = period_end.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M")
        raise Invalid(N_("Пост не зарегистрирован: исправьте поля"),
                      fields={"published_at": N_("Пост вышел слишком давно: проверки по нему закончились %(ended)s",
                                                 ended=ended)})


def split_links(value: Any) -> list[str]:
    """Links from a textarea, one per line (any whitespace separates), without repeats."""
    if isinstance(value, list):
        items: Iterable[Any] = value
    else:
        items = str(value or "").split()
    return list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def record_monitoring_check(*, session: Session, user: User, task: HumanTask, data: dict[str, Any],
                            now: datetime) -> MonitoringCheck:
    """Keep what a body found and answered in one check (or that nothing was new) in its own table."""
    assert task.body_id is not None, "monitoring tasks belong to a body"
    check = MonitoringCheck(case_id=task.case_id, body_id=task.body_id, task_guid=task.task_guid, checked_at=now,
                            checked_by_id=user.id, found_links=split_links(data.get("found_links")),
                            answered_links=split_links(data.get("answered_links")),
                            nothing_new=bool(data.get("nothing_new")))
    session.add(check)
    return check


# Overview ---------------------------------------------------------------------------------------------------------


@dataclass
class CheckRow:
    """One monitoring task of a body: the first window or one check interval, and how it went."""

    task: HumanTask
    status: str  # in_time | late | missing | open | overdue
    check: MonitoringCheck | None = None

    @property
    def is_first(self) -> bool:
        """Whether this is the first window after the post (clause 7.2)."""
        return self.task.step == FIRST_STEP


@dataclass
class BodyStatus:
    """A body's monitoring of one post: its rows, counts and whether it is behind."""

    body: Body
    rows: list[CheckRow] = field(default_factory=list)
    unlinked_breaches: int = 0  # breaches recorded without a task row (e.g. after a long scheduler pause)

    def count(self, status: str) -> int:
        """How many rows have this status."""
        return sum(1 for r in self.rows if r.status == status)

    @property
    def missed(self) -> int:
        """Checks not done at all, including open ones past their deadline."""
        return self.count("missing") + self.count("overdue") + self.unlinked_breaches

    @property
    def behind(self) -> bool:
        """True when the body has not checked in time at least once."""
        return self.missed > 0 or self.count("late") > 0

    @property
    def current(self) -> CheckRow | None:
        """The open row still in time that is due first, if any (overdue ones count as missed)."""
        open_rows = [r for r in self.rows if r.status == "open"]
        return min(open_rows, key=lambda r: r.task.due_at or datetime.max.replace(tzinfo=MOSCOW), default=None)

    @property
    def first(self) -> CheckRow | None:
        """The first-window row."""
        return next((r for r in self.rows if r.is_first), None)

    @property
    def checks(self) -> list[CheckRow]:
        """The interval checks in order."""
        return [r for r in self.rows if not r.is_first]


@dataclass
class PostStatus:
    """A Governor's post with the monitoring status of every body."""

    case: Case
    bodies: list[BodyStatus]
    next_slot_at: datetime | None

    @property
    def behind(self) -> list[BodyStatus]:
        """Bodies that have not checked in time."""
        return [b for b in self.bodies if b.behind]


def list_posts(*, session: Session, user: User, clock: Clock, limit: int = 100) -> list[PostStatus]:
    """Recent Governor's posts with each body's checks, for the curator."""
    if user.role not in TENANT_WIDE_ROLES:
        raise Forbidden(N_("Посты Губернатора видит куратор"))
    cases = list(session.scalars(select(Case).where(Case.tenant_id == user.tenant_id, Case.kind == "governor_post")
                                 .order_by(Case.published_at.desc(), Case.id.desc()).limit(limit)))
    return _statuses(session, cases, clock.now())


def post_status(*, session: Session, user: User, clock: Clock, case_id: int) -> PostStatus:
    """One post with each body's checks, for anyone who may see the case."""
    case = visible_case(session=session, user=user, case_id=case_id)
    if case.kind != "governor_post":
        raise NotFound(N_("Пост Губернатора не найден"))
    return _statuses(session, [case], clock.now())[0]


def _statuses(session: Session, cases: list[Case], now: datetime) -> list[PostStatus]:
    """Build the statuses from the inbox, breach and check tables (never from the workflows)."""
    ids = [c.id for c in cases]
    if not ids:
        return []
    tasks = session.scalars(select(HumanTask).where(HumanTask.case_id.in_(ids),
                                                    HumanTask.step.in_((FIRST_STEP, CHECK_STEP)))
                            .order_by(HumanTask.created_at, HumanTask.id)).all()
    breaches = session.scalars(select(Breach).where(Breach.case_id.in_(ids))).all()
    checks = {c.task_guid: c for c in session.scalars(select(MonitoringCheck).where(MonitoringCheck.case_id.in_(ids)))}
    slots: dict[int, datetime] = {}
    for timer in session.scalars(select(Timer).where(Timer.case_id.in_(ids), Timer.step == SLOT_TIMER)):
        slots[timer.case_id] = min(timer.due_at, slots.get(timer.case_id, timer.due_at))
    breached = {b.task_guid for b in breaches if b.task_guid}
    by_case: dict[int, dict[int, BodyStatus]] = {case_id: {} for case_id in ids}
    for task in tasks:
        if task.body is None:
            continue
        status = by_case[task.case_id].setdefault(task.body.id, BodyStatus(task.body))
        status.rows.append(CheckRow(task, _row_status(task, task.task_guid in breached, now),
                                    checks.get(task.task_guid)))
    known = {t.task_guid for t in tasks}
    for breach in breaches:
        if breach.task_guid not in known and breach.body_id in by_case[breach.case_id]:
            by_case[breach.case_id][breach.body_id].unlinked_breaches += 1
    return [PostStatus(case, sorted(by_case[case.id].values(), key=lambda s: s.body.short_name),
                       slots.get(case.id) if case.status != "closed" else None) for case in cases]


def _row_status(task: HumanTask, breached: bool, now: datetime) -> str:
    """in_time, late (done after its deadline), missing (never done), open or overdue (open past due)."""
    if task.state == "completed":
        late = breached or (task.due_at is not None and task.completed_at is not None
                            and task.completed_at > task.due_at)
        return "late" if late else "in_time"
    if task.state == "open":
        return "overdue" if task.due_at is not None and task.due_at < now else "open"
    return "missing"
