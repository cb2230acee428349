"""The leaders' dashboard: open tasks, those due within the hour and those overdue, by body and person; the
clause-14 events until a leader acknowledges them; this month's tiles. The same condition (`lens`) lists the cases
behind each number (a case with two such tasks, as in a clause-8.9 fan-out, is listed once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true, update
from sqlalchemy.orm import Session, joinedload

from engine.clock import MOSCOW, Clock
from engine.texts import N_
from models import Body, Breach, Case, HumanTask, LeadershipAlert, User
from services.errors import Conflict, Forbidden, Invalid, NotFound

BOARD_ROLES = ("leader", "curator", "admin")
SOON = timedelta(hours=1)
PUBLISHED = "published_end"  # the end event of a case whose reply was published
TASK_LENSES = ("open", "due_soon", "overdue")
MONTH_LENSES = ("received", "answered", "on_time")
LENSES = (*TASK_LENSES, *MONTH_LENSES, "significant")
LENS_TITLES = {"open": N_("в работе"), "due_soon": N_("срок в течение часа"), "overdue": N_("просрочено"),
               "received": N_("поступило в этом месяце"), "answered": N_("отвечено в этом месяце"),
               "on_time": N_("отвечено в срок в этом месяце"), "significant": N_("общественно значимые")}
UNASSIGNED = 0  # `person` of a task nobody has taken: the body's queue


@dataclass(frozen=True)
class Urgency:
    """Open tasks, those due within the hour, those overdue."""

    open: int
    due_soon: int
    overdue: int


@dataclass(frozen=True)
class Holder:
    """Whose tasks are due within the hour or overdue: a body and a person (None: the body's queue)."""

    body_code: str | None
    body_name: str
    person_id: int | None
    person: str | None
    due_soon: int
    overdue: int


@dataclass(frozen=True)
class Month:
    """This month's tiles (Moscow time)."""

    start: date
    end: date  # the last day
    received: int
    answered: int
    on_time: int
    breaches: int

    @property
    def on_time_share(self) -> float | None:
        """The share of answers published on time, or None without answers."""
        return self.on_time / self.answered if self.answered else None


@dataclass(frozen=True)
class Board:
    """Everything the dashboard shows, as of a moment."""

    as_of: datetime
    urgency: Urgency
    holders: list[Holder]
    alerts: list[LeadershipAlert]
    month: Month


def require_board(user: User) -> None:
    """The dashboard is for the leadership, curators and administrators."""
    if user.role not in BOARD_ROLES:
        raise Forbidden(N_("Панель руководителя доступна руководству, куратору и администратору"))


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The first moment of the Moscow month of `now` and of the next one."""
    day = now.astimezone(MOSCOW).date().replace(day=1)
    following = (day + timedelta(days=32)).replace(day=1)
    return datetime.combine(day, time(), MOSCOW), datetime.combine(following, time(), MOSCOW)


def _task_state(lens: str, now: datetime) -> ColumnElement[bool]:
    if lens == "overdue":
        return HumanTask.due_at <= now
    if lens == "due_soon":
        return and_(HumanTask.due_at > now, HumanTask.due_at <= now + SOON)
    return true()


def lens(*, user: User, now: datetime, name: str, body: str | None = None,
         person: int | None = None) -> ColumnElement[bool]:
    """The condition on cases behind one number of the dashboard; an unknown name is Invalid."""
    require_board(user)
    if name in TASK_LENSES:
        task = [HumanTask.case_id == Case.id, HumanTask.tenant_id == user.tenant_id, HumanTask.state == "open",
                _task_state(name, now)]
        if body is not None:
            task.append(HumanTask.body_id == select(Body.id).where(Body.tenant_id == user.tenant_id,
                                                                    Body.code == body).scalar_subquery())
        if person is not None:
            task.append(HumanTask.assignee_id.is_(None) if person == UNASSIGNED else HumanTask.assignee_id == person)
        return exists().where(*task)
    start, end = month_bounds(now)
    if name == "received":
        return and_(Case.kind == "message", Case.registered_at >= start, Case.registered_at < end)
    answered = and_(Case.kind == "message", Case.outcome == PUBLISHED, Case.closed_at >= start, Case.closed_at < end)
    if name == "answered":
        return answered
    if name == "on_time":
        return and_(answered, Case.closed_at <= Case.due_at)
    if name == "significant":
        return Case.socially_significant.is_(True)
    raise Invalid(N_("Неизвестный отбор случаев"), fields={"lens": N_("Неизвестный отбор")})


def board(*, session: Session, clock: Clock, user: User) -> Board:
    """The dashboard of the user's tenant as of now."""
    require_board(user)
    now = clock.now()
    open_tasks = (HumanTask.tenant_id == user.tenant_id, HumanTask.state == "open")
    # Counts of tasks, not of distinct cases: these read the inbox index alone (measured in bench/dashboard_bench.py).
    total = session.execute(select(func.count(), func.count().filter(_task_state("due_soon", now)),
                                   func.count().filter(_task_state("overdue", now))).where(*open_tasks)).one()
    return Board(as_of=now, urgency=Urgency(*map(int, total)), holders=holders(session=session, user=user, now=now),
                 alerts=alerts(session=session, user=user, now=now), month=month_tiles(session=session, user=user,
                                                                                      now=now))


def holders(*, session: Session, user: User, now: datetime) -> list[Holder]:
    """Who holds the tasks due within the hour or overdue, the most overdue first."""
    rows = session.execute(
        select(HumanTask.body_id, HumanTask.assignee_id, func.count().filter(_task_state("due_soon", now)),
               func.count().filter(_task_state("overdue", now)))
        .where(HumanTask.tenant_id == user.tenant_id, HumanTask.state == "open", HumanTask.due_at <= now + SOON)
        .group_by(HumanTask.body_id, HumanTask.assignee_id)).all()
    bodies = {b.id: b for b in session.scalars(select(Body).where(Body.tenant_id == user.tenant_id))}
    ids = {person for _, person, *_ in rows if person is not None}
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).tuples().all()) \
        if ids else {}
    found = [Holder(bodies[body].code if body in bodies else None, bodies[body].short_name if body in bodies else "",
                    person, names.get(person) if person is not None else None, int(soon), int(overdue))
             for body, person, soon, overdue in rows]
    return sorted(found, key=lambda h: (-h.overdue, -h.due_soon, h.body_name, h.person or ""))


def month_tiles(*, session: Session, user: User, now: datetime) -> Month:
    """Received, answered, answered on time and breaches this month (small queries; the monthly summary has more)."""
    start, end = month_bounds(now)
    # "+ 0" on the answers and breaches: without statistics SQLite would walk every case of the tenant, where the
    # month's closed_at or due_at index reads only the month (measured: 66 ms against 0.1 ms at 100,000 cases).
    tenant = Case.tenant_id + 0 == user.tenant_id
    counts = [int(session.scalar(select(func.count(Case.id)).where(
        Case.tenant_id == user.tenant_id if name == "received" else tenant, lens(user=user, now=now, name=name))) or 0)
        for name in MONTH_LENSES]
    breaches = int(session.scalar(select(func.count(Breach.id)).join(Case, Case.id == Breach.case_id).where(
        tenant, Breach.due_at >= start, Breach.due_at < end)) or 0)
    received, answered, on_time = counts
    return Month(start.date(), (end - timedelta(days=1)).date(), received, answered, on_time, breaches)


def alerts(*, session: Session, user: User, now: datetime) -> list[LeadershipAlert]:
    """Clause-14 events not yet acknowledged, and today's acknowledged ones, newest first."""
    today = datetime.combine(now.astimezone(MOSCOW).date(), time(), MOSCOW)
    return list(session.scalars(
        select(LeadershipAlert).where(LeadershipAlert.tenant_id == user.tenant_id,
                                      or_(LeadershipAlert.acknowledged_at.is_(None),
                                          LeadershipAlert.raised_at >= today))
        .options(joinedload(LeadershipAlert.acknowledged_by), joinedload(LeadershipAlert.surge_alert))
        .order_by(LeadershipAlert.acknowledged_at.is_not(None), LeadershipAlert.raised_at.desc(),
                  LeadershipAlert.id.desc())))


def acknowledge(*, session: Session, clock: Clock, user: User, alert_id: int) -> LeadershipAlert:
    """A leader takes a clause-14 event into account («Принято к сведению»): who and when are recorded."""
    alert = session.get(LeadershipAlert, alert_id)
    if alert is None or alert.tenant_id != user.tenant_id or user.role not in BOARD_ROLES:
        raise NotFound(N_("Событие не найдено"))
    if user.role != "leader":
        raise Forbidden(N_("Принимает к сведению руководство"))
    # One UPDATE guarded by "not yet": of two leaders at once, the second hears who was first.
    done = session.execute(update(LeadershipAlert).where(LeadershipAlert.id == alert.id,
                                                         LeadershipAlert.acknowledged_at.is_(None))
                           .values(acknowledged_by_id=user.id, acknowledged_at=clock.now()))
    session.refresh(alert)
    if getattr(done, "rowcount", 0) != 1:
        name = alert.acknowledged_by.full_name if alert.acknowledged_by else ""
        moment = alert.acknowledged_at.astimezone(MOSCOW) if alert.acknowledged_at else None
        raise Conflict(N_("Уже принято к сведению: %(name)s, %(moment)s", name=name,
                          moment=f"{moment:%d.%m.%Y %H:%M}"))
    return alert
