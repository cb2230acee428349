"""The administrator's working-time page: override days, schedules, calendar files and deadline recalculation."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.calendar import shipped_year_files
from engine.clock import FixedClock
from engine.texts import restored_note
from models import Body, CalendarYear, Case, CaseEvent, HumanTask, OverrideDay, Tenant, Timer
from tests.conftest import api_token, login
from tests.web.test_language import CYRILLIC, _text
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

MSK = ZoneInfo("Europe/Moscow")
REASON = "Распоряжение Губернатора № 12-р"
BACK = {"back_year": "2026", "back_body": ""}
DAY_OFF = {**BACK, "day": "2026-11-25", "kind": "non_working", "reason": REASON, "body": ""}
# Tue 24.11.2026 16:00: 2 working hours left that day, so a 5-hour draft and a 9-hour case end on Wednesday.
TRIAGED_AT = datetime(2026, 11, 24, 16, 0, tzinfo=MSK)
PLAIN = {("warning", "draft"): "25.11.2026 11:00", ("deadline", "draft"): "25.11.2026 12:00",
         ("case_warning", "work"): "25.11.2026 15:00", ("case", "work"): "25.11.2026 16:48"}
# Wednesday off: Tue 2 h, then Thursday from 09:00.
WEDNESDAY_OFF = {("warning", "draft"): "26.11.2026 11:00", ("deadline", "draft"): "26.11.2026 12:00",
                 ("case_warning", "work"): "26.11.2026 15:00", ("case", "work"): "26.11.2026 16:48"}


@pytest.fixture
def admin(app: Flask, sessions: Any) -> Iterator[FlaskClient]:
    """The administrator; afterwards the shipped production calendar and default schedules are back."""
    yield login(app, "admin")
    with sessions() as session:
        for body in session.scalars(select(Body)):
            body.schedule = None
        for year, (xml, source) in shipped_year_files().items():
            row = session.get(CalendarYear, year) or CalendarYear(year=year)
            row.xml, row.source, row.loaded_at = xml, source, TRIAGED_AT
            session.add(row)
        session.commit()


def sent_to(app: Flask, clock: FixedClock, body: str = "kgkh") -> int:
    """A message registered at 10:00 and sent to a body at 16:00 on Tuesday; returns the case id."""
    curator = login(app, "curator")
    case_id = register(curator)
    clock.set(TRIAGED_AT)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{triage}", data={**TRIAGE, "bodies": body}).status_code == 302
    return case_id


def msk(moment: datetime | None) -> str:
    assert moment is not None
    return moment.astimezone(MSK).strftime("%d.%m.%Y %H:%M")


def deadlines(sessions: Any, case_id: int) -> dict[tuple[str, str | None], str]:
    """The case's armed timers as (kind, step) -> Moscow time; checks the inbox and the case agree with them."""
    with sessions() as session:
        timers = {(t.kind, t.step): msk(t.due_at) for t in session.scalars(select(Timer).where(
            Timer.case_id == case_id))}
        draft = session.scalar(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.step == "draft",
                                                       HumanTask.state == "open"))
        case = session.get(Case, case_id)
        assert draft is not None and case is not None
        assert msk(draft.due_at) == timers[("deadline", "draft")]
        assert msk(case.due_at) == timers[("case", "work")]
        return timers


def changes(sessions: Any, case_id: int) -> list[dict[str, Any]]:
    """The case's deadline_changed history entries, with their moments in Moscow time and their reasons in
    Russian."""
    with sessions() as session:
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                         CaseEvent.kind == "deadline_changed")
                                 .order_by(CaseEvent.id))
        return [{"step": e.step, "timer": e.details["timer"], "reason": str(restored_note(e.details["reason"])),
                 "old": msk(datetime.fromisoformat(e.details["old"])),
                 "new": msk(datetime.fromisoformat(e.details["new"]))} for e in events]


def post(client: FlaskClient, url: str, data: dict[str, Any], status: int = 302) -> str:
    """Post a form; on success follow the redirect; return the page text."""
    response = client.post(url, data=data, follow_redirects=status == 302)
    assert response.status_code == (200 if status == 302 else status), response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def override_id(sessions: Any, day: str) -> int:
    with sessions() as session:
        ids = list(session.scalars(select(OverrideDay.id).where(OverrideDay.day == datetime.fromisoformat(day).date())))
        assert len(ids) == 1
        return ids[0]


def day_kind(page: str, day: str) -> str:
    match = re.search(rf'data-date="{day}" data-kind="(\w+)"', page)
    assert match, day
    return match.group(1)


def test_a_regional_day_off_moves_open_deadlines_not_yet_passed(app: Flask, clock: FixedClock, sessions: Any,
                                                                admin: FlaskClient) -> None:
    case_id = sent_to(app, clock)
    assert deadlines(sessions, case_id) == PLAIN
    clock.set(datetime(2026, 11, 25, 11, 30, tzinfo=MSK))  # the draft warning has passed, the rest have not

    page = post(admin, "/admin/calendar/overrides", DAY_OFF)

    assert "Добавлен особый день: 25.11.2026 нерабочий (весь регион)" in page
    assert "Открытых случаев с пересчитанными сроками: 1." in page
    assert day_kind(page, "2026-11-25") == "override"
    assert deadlines(sessions, case_id) == {**WEDNESDAY_OFF, ("warning", "draft"): "25.11.2026 11:00"}
    reason = f"Добавлен особый день: 25.11.2026 нерабочий (весь регион) — {REASON}"
    assert changes(sessions, case_id) == [
        {"step": "draft", "timer": "deadline", "reason": reason, "old": "25.11.2026 12:00", "new": "26.11.2026 12:00"},
        {"step": "work", "timer": "case_warning", "reason": reason, "old": "25.11.2026 15:00",
         "new": "26.11.2026 15:00"},
        {"step": "work", "timer": "case", "reason": reason, "old": "25.11.2026 16:48",
         "new": "26.11.2026 16:48"},
    ]
    case_page = login(app, "curator").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "26.11.2026 16:48" in case_page and REASON in case_page


def test_editing_and_removing_an_override_day_recalculates_again(app: Flask, clock: FixedClock, sessions: Any,
                                                                 admin: FlaskClient) -> None:
    case_id = sent_to(app, clock)
    post(admin, "/admin/calendar/overrides", DAY_OFF)
    assert deadlines(sessions, case_id) == WEDNESDAY_OFF
    day = override_id(sessions, "2026-11-25")

    # Wednesday works 12:00-18:00 (lunch 13:00-13:48 still cut out): draft Tue 2 h + 1 h + 2 h = 15:48.
    page = post(admin, f"/admin/calendar/overrides/{day}", {**BACK, "day": "2026-11-25", "kind": "working",
                                                            "start": "12:00", "end": "18:00", "reason": REASON})
    assert "было 25.11.2026 нерабочий (весь регион)" in page
    assert "стало 25.11.2026 рабочий 12:00–18:00 (весь регион)" in page
    after_edit = deadlines(sessions, case_id)
    assert after_edit[("deadline", "draft")] == "25.11.2026 15:48"
    assert after_edit[("case", "work")] == "26.11.2026 10:48"  # Tue 2 h + Wed 5 h 12 min + Thu 1 h 48 min

    page = post(admin, f"/admin/calendar/overrides/{day}/delete", BACK)
    assert "Удалён особый день: 25.11.2026 рабочий 12:00–18:00" in page
    assert "Открытых случаев с пересчитанными сроками: 1." in page
    assert deadlines(sessions, case_id) == PLAIN
    assert [(c["timer"], c["old"], c["new"]) for c in changes(sessions, case_id) if c["step"] == "draft"] == [
        ("warning", "25.11.2026 11:00", "26.11.2026 11:00"), ("deadline", "25.11.2026 12:00", "26.11.2026 12:00"),
        ("warning", "26.11.2026 11:00", "25.11.2026 14:48"), ("deadline", "26.11.2026 12:00", "25.11.2026 15:48"),
        ("warning", "25.11.2026 14:48", "25.11.2026 11:00"), ("deadline", "25.11.2026 15:48", "25.11.2026 12:00"),
    ]


def test_a_body_override_applies_to_that_body_only(app: Flask, clock: FixedClock, sessions: Any,
                                                   admin: FlaskClient) -> None:
    case_id = sent_to(app, clock, body="kgkh")
    page = post(admin, "/admin/calendar/overrides", {**DAY_OFF, "body": "kdh", "back_body": "kdh"})
    assert "25.11.2026 нерабочий (орган «" in page and "Открытых случаев с пересчитанными сроками: 0." in page
    assert day_kind(page, "2026-11-25") == "override"
    assert day_kind(admin.get("/admin/calendar?year=2026").get_data(as_text=True), "2026-11-25") == "working"
    assert deadlines(sessions, case_id) == PLAIN and changes(sessions, case_id) == []

    page = post(admin, "/admin/calendar/overrides", {**DAY_OFF, "body": "kgkh"})
    assert "Открытых случаев с пересчитанными сроками: 1." in page
    assert deadlines(sessions, case_id) == WEDNESDAY_OFF

    page = post(admin, "/admin/calendar/overrides", {**DAY_OFF, "body": "kgkh"}, status=422)
    assert "На этот день уже задан особый день (орган «" in page
    post(admin, "/admin/calendar/overrides", DAY_OFF)  # the region's own day beside the body's is allowed


def test_a_body_schedule_edit_moves_its_deadlines(app: Flask, clock: FixedClock, sessions: Any,
                                                  admin: FlaskClient) -> None:
    case_id = sent_to(app, clock)
    hours = {f"{day}_{part}": value for day in ("mon", "tue", "wed", "thu", "fri")
             for part, value in (("start", "09:00"), ("end", "17:00"), ("lunch_start", "12:00"),
                                 ("lunch_end", "13:00"))}
    form = {**BACK, "back_body": "kgkh", "body": "kgkh", **hours}
    bad = post(admin, "/admin/calendar/schedule", {**form, "wed_end": "08:00"}, status=422)
    assert '<small class="error" role="alert">Среда: окончание работы (08:00) должно быть позже начала (09:00)' in bad
    assert 'name="wed_end" type="time" value="08:00"' in bad  # the refused form keeps what was typed
    assert deadlines(sessions, case_id) == PLAIN

    page = post(admin, "/admin/calendar/schedule", form)
    assert "Изменено расписание органа" in page and 'value="12:00"' in page
    # Tue 16:00-17:00 1 h; Wed 09:00-12:00 3 h, 13:00 + 1 h = 14:00; the case: Wed 13:00-17:00, Thu 09:00 + 1 h.
    after = deadlines(sessions, case_id)
    assert after[("deadline", "draft")] == "25.11.2026 14:00" and after[("case", "work")] == "26.11.2026 10:00"
    with sessions() as session:
        body = session.scalar(select(Body).where(Body.code == "kgkh"))
        assert body is not None and body.schedule is not None
        assert body.schedule["fri"] == {"start": "09:00", "end": "17:00", "lunch_start": "12:00", "lunch_end": "13:00"}


def shipped(year: int) -> str:
    return shipped_year_files()[year][0]


def upload(client: FlaskClient, year: str, text: str, name: str = "calendar.xml", status: int = 302) -> str:
    data = {**BACK, "year": year, "file": (io.BytesIO(text.encode("utf-8")), name)}
    response = client.post("/admin/calendar/import", data=data, content_type="multipart/form-data",
                           follow_redirects=status == 302)
    assert response.status_code == (200 if status == 302 else status), response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_import_of_a_new_year_and_refusal_of_bad_files(app: Flask, sessions: Any, admin: FlaskClient) -> None:
    with sessions() as session:
        row = session.get(CalendarYear, 2027)
        assert row is not None
        session.delete(row)
        session.commit()
    page = admin.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "Нет данных производственного календаря на 2027 год" in page and 'data-date="2027-' not in page
    refused = post(admin, "/admin/calendar/overrides", {**DAY_OFF, "day": "2027-03-01"}, status=422)
    assert "Нет данных производственного календаря на 2027 год" in refused

    partial = shipped(2027).replace('<day d="01.05" t="1" h="1"/>', "")
    assert partial != shipped(2027)
    for text, name, message in [
        ("<calendar year='2027'><days>", "calendar.xml", "Файл календаря повреждён"),
        (partial, "calendar.xml", "Календарь на 2027 год неполный: не отмечены нерабочими праздничные дни 05.01"),
        (shipped(2026), "calendar.xml", "В файле календарь на 2026 год, а загружается 2027 год"),
        (shipped(2027), "calendar.txt", "«calendar.txt» — не файл .xml"),
        ("", "calendar.xml", "Календарь не загружен: Файл пуст"),
    ]:
        assert message in upload(admin, "2027", text, name, status=422), message
    assert "Неверный год «20x7»" in upload(admin, "20x7", shipped(2027), status=422)
    with sessions() as session:
        assert session.get(CalendarYear, 2027) is None

    page = upload(admin, "2027", shipped(2027))
    assert "Загружен производственный календарь на 2027 год" in page
    assert day_kind(page, "2027-01-01") == "non_working" and day_kind(page, "2027-12-31") == "non_working"
    with sessions() as session:
        row = session.get(CalendarYear, 2027)
        assert row is not None and row.xml == shipped(2027)


def test_replacing_a_year_recalculates_and_a_failed_import_changes_nothing(
        app: Flask, clock: FixedClock, sessions: Any, admin: FlaskClient) -> None:
    case_id = sent_to(app, clock)
    with sessions() as session:
        revision = session.scalar(select(Tenant.calendar_revision))
    broken = shipped(2026).replace('<day d="11.04" t="1" h="8"/>', "")
    assert "неполный" in upload(admin, "2026", broken, status=422)
    with sessions() as session:
        row = session.get(CalendarYear, 2026)
        assert row is not None and row.xml == shipped(2026)
        assert session.scalar(select(Tenant.calendar_revision)) == revision

    amended = shipped(2026).replace("</days>", '<day d="11.25" t="1"/></days>')
    page = upload(admin, "2026", amended)
    assert "Заменён производственный календарь на 2026 год" in page
    assert "Открытых случаев с пересчитанными сроками: 1." in page
    assert deadlines(sessions, case_id) == WEDNESDAY_OFF
    assert all(c["reason"].startswith("Заменён производственный календарь на 2026 год")
               for c in changes(sessions, case_id))


@pytest.mark.parametrize("username", ["kgkh.exec1", "curator", "leader", "methodologist"])
def test_only_the_administrator_may_change_working_time(app: Flask, sessions: Any, username: str) -> None:
    client = login(app, username)
    for response in (client.get("/admin/calendar"), client.post("/admin/calendar/overrides", data=DAY_OFF),
                     client.post("/admin/calendar/import", data={"year": "2026"})):
        assert response.status_code == 403
        assert "Рабочее время и производственный календарь настраивает администратор" in response.get_data(
            as_text=True)
    assert "/admin/calendar" not in client.get("/cases/").get_data(as_text=True)
    with sessions() as session:
        assert session.scalar(select(OverrideDay.id)) is None
    anonymous = app.test_client().get("/admin/calendar")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_page_shows_a_legend_and_every_form_carries_csrf(admin: FlaskClient) -> None:
    page = admin.get("/admin/calendar?year=2026&body=kgkh").get_data(as_text=True)
    assert 'href="/admin/calendar"' in page  # the administrator's menu entry
    assert len(re.findall(r'data-date="2026-', page)) == 365
    assert day_kind(page, "2026-01-01") == "non_working" and day_kind(page, "2026-11-24") == "working"
    assert day_kind(page, "2026-11-03") == "shortened" and day_kind(page, "2026-11-07") == "non_working"
    for title in ("рабочий день", "нерабочий день", "сокращённый день", "рабочий выходной", "особый день"):
        assert title in page
    assert page.count('method="post"') == page.count('name="csrf_token"')


@pytest.mark.parametrize(("form", "message"), [
    ({"day": "25.11.2026"}, "Укажите дату, например 2026-11-25"),
    ({"day": "2031-01-15"}, "Нет данных производственного календаря на 2031 год"),
    ({"kind": "holiday"}, "Выберите вид дня: нерабочий, сокращённый, рабочий"),
    ({"kind": "working", "start": "25:00", "end": "18:00"}, "Неверное время «25:00»"),
    ({"start": "10:00", "end": "15:00"}, "Свои часы работы можно задать только рабочему дню"),
    ({"kind": "working", "start": "18:00", "end": "10:00"}, "окончание работы должно быть позже начала"),
    ({"kind": "working", "start": "10:00"}, "укажите и начало, и окончание работы"),
    ({"reason": "я" * 301}, "Основание — не длиннее 300 символов"),
    ({"body": "uip"}, "куратор: его сроки считаются по календарю всего региона"),
])
def test_bad_override_input_is_refused_with_a_reason(sessions: Any, admin: FlaskClient, form: dict[str, str],
                                                     message: str) -> None:
    page = post(admin, "/admin/calendar/overrides", {**DAY_OFF, **form}, status=422)
    assert message in page
    with sessions() as session:
        assert session.scalar(select(OverrideDay.id)) is None


def test_unknown_body_or_override_is_named(admin: FlaskClient) -> None:
    assert "Органа с кодом «nope» нет" in post(admin, "/admin/calendar/overrides", {**DAY_OFF, "body": "nope"},
                                               status=404)
    assert "Органа с кодом «nope» нет" in admin.get("/admin/calendar?body=nope").get_data(as_text=True)
    assert "Особый день не найден" in post(admin, "/admin/calendar/overrides/999999/delete", BACK, status=404)
    assert "Неверный год «1700»" in admin.get("/admin/calendar?year=1700").get_data(as_text=True)


def titles(page: str) -> dict[str, str]:
    """The year page's day descriptions (the grid's title attributes) by ISO date."""
    return {day: html.unescape(title) for day, title in re.findall(r'data-date="([\d-]+)"[^>]*title="([^"]*)"', page)}


def test_the_calendar_page_reads_in_english(app: Flask, clock: FixedClock, sessions: Any, admin: FlaskClient) -> None:
    """Issue 14, defect 10: the days' kinds and sources, the changes and the refusals in English; Russian stays the
    default."""
    russian = login(app, "admin")
    assert admin.post("/lang/en").status_code == 302
    page = post(admin, "/admin/calendar/overrides", {**DAY_OFF, "day": "2026-11-26", "kind": "shortened",
                                                     "reason": ""})
    assert "Special day added: 26.11.2026 shortened (whole region). Open cases with recalculated deadlines: 0." \
        in html.unescape(page)
    days = titles(page)
    assert days["2026-11-03"] == ("03.11.2026 shortened 09:00–17:00 — Pre-holiday day, shortened by 1 hour "
                                  "(production calendar), 09:00–17:00")
    assert days["2026-11-26"] == ("26.11.2026 shortened 09:00–17:00 — Shortened working day (the region's decision), "
                                  "09:00–17:00")
    assert days["2026-11-24"] == "24.11.2026 working day, 09:00–18:00" and days["2026-11-28"] == "28.11.2026 day off"
    assert days["2026-11-04"] == "04.11.2026 non-working — День народного единства (production calendar)"  # the file's
    assert not CYRILLIC.search(days["2026-11-26"])

    days = titles(russian.get("/admin/calendar?year=2026").get_data(as_text=True))
    assert days["2026-11-26"] == ("26.11.2026 сокращённый 09:00–17:00 — Сокращённый рабочий день "
                                  "(решение региона), 09:00–17:00")
    assert days["2026-11-24"] == "24.11.2026 рабочий день, 09:00–18:00"


def test_refused_calendar_files_schedules_and_days_in_english(app: Flask, sessions: Any, admin: FlaskClient) -> None:
    russian = login(app, "admin")
    assert admin.post("/lang/en").status_code == 302
    partial = shipped(2026).replace('<day d="11.04" t="1" h="8"/>', "")
    for text, message, in_russian in [
        (partial, "The calendar was not loaded: The calendar for 2026 is incomplete: the holidays 04.11 are not "
                  "marked as non-working (Labour Code, art. 112). Load the complete file.",
         "Календарь не загружен: Календарь на 2026 год неполный: не отмечены нерабочими праздничные дни 04.11"),
        ("<calendar year='2026'><days>", "The calendar was not loaded: The calendar file is damaged: it is not valid "
                                         "XML (line 1, position 28).",
         "Календарь не загружен: Файл календаря повреждён: это не корректный XML (строка 1, позиция 28)."),
        (shipped(2026).replace('<day d="11.04" t="1" h="8"/>', '<day d="11.04" t="7"/>'),
         "A wrong day type t=«7» for 04.11.2026: allowed are 1 (day off), 2 (shortened working day), 3 (working "
         "weekend day).", "Неверный тип дня t=«7» у дня 04.11.2026"),
    ]:
        refused = html.unescape(upload(admin, "2026", text, status=422))
        assert message in refused and "Календарь не загружен" not in refused, message
        assert in_russian in html.unescape(upload(russian, "2026", text, status=422))

    hours = {f"{day}_{part}": value for day in ("mon", "tue", "wed", "thu", "fri")
             for part, value in (("start", "09:00"), ("end", "18:00"))}
    form = {**BACK, "back_body": "kgkh", "body": "kgkh", **hours, "wed_lunch_start": "12:00"}
    refused = html.unescape(post(admin, "/admin/calendar/schedule", {**form, "tue_end": "08:00"}, status=422))
    assert "The schedule was not saved: Tuesday: the end of work (08:00) must be later than its start (09:00)." \
        in refused
    refused = html.unescape(post(admin, "/admin/calendar/schedule", form, status=422))
    assert "Wednesday: give both the start and the end of the lunch break (or no lunch break at all)." in refused
    assert "Среда: укажите и начало, и окончание обеда" in html.unescape(
        post(russian, "/admin/calendar/schedule", form, status=422))

    refused = html.unescape(post(admin, "/admin/calendar/overrides", {**DAY_OFF, "start": "10:00", "end": "15:00"},
                                 status=422))
    assert ("The special day was not saved: Own working hours can be given only to a working day, and 25.11.2026 is "
            "«non-working».") in refused
    assert "Свои часы работы можно задать только рабочему дню, а 25.11.2026 — «нерабочий»." in html.unescape(
        post(russian, "/admin/calendar/overrides", {**DAY_OFF, "start": "10:00", "end": "15:00"}, status=422))
    with sessions() as session:
        assert session.scalar(select(OverrideDay.id)) is None


def test_a_moved_deadlines_reason_reads_in_each_readers_language(app: Flask, clock: FixedClock, sessions: Any,
                                                                 admin: FlaskClient) -> None:
    """The history keeps the change's msgid and parameters: the curator reads it in English, a colleague in Russian,
    the API in the language it asks for; what the administrator wrote (the ground) stays as written."""
    case_id = sent_to(app, clock)
    post(admin, "/admin/calendar/overrides", DAY_OFF)
    english, russian = login(app, "curator"), login(app, "kgkh.resp")
    assert english.post("/lang/en").status_code == 302
    reason = f"Special day added: 25.11.2026 non-working (whole region) — {REASON}"
    assert f"Reason: {reason}" in _text(english.get(f"/cases/{case_id}").get_data(as_text=True))
    assert (f"Причина: Добавлен особый день: 25.11.2026 нерабочий (весь регион) — {REASON}"
            in _text(russian.get(f"/cases/{case_id}").get_data(as_text=True)))

    client = app.test_client()
    bearer = api_token(client, "curator")
    history = client.get(f"/api/v1/cases/{case_id}", headers={**bearer, "Accept-Language": "en"}).json["history"]
    assert {e["details"]["reason"] for e in history if e["kind"] == "deadline_changed"} == {reason}
    history = client.get(f"/api/v1/cases/{case_id}", headers=bearer).json["history"]
    assert {e["details"]["reason"] for e in history if e["kind"] == "deadline_changed"} == {
        f"Добавлен особый день: 25.11.2026 нерабочий (весь регион) — {REASON}"}


def test_a_reason_stored_before_reads_as_it_was_written(app: Flask, clock: FixedClock, sessions: Any,
                                                        admin: FlaskClient) -> None:
    case_id = sent_to(app, clock)
    post(admin, "/admin/calendar/overrides", DAY_OFF)
    with sessions() as session:
        for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                             CaseEvent.kind == "deadline_changed")):
            event.details = {**event.details, "reason": "Добавлен особый день: 25.11.2026 нерабочий"}
        session.commit()
    english = login(app, "curator")
    assert english.post("/lang/en").status_code == 302
    assert "Reason: Добавлен особый день: 25.11.2026 нерабочий" in _text(
        english.get(f"/cases/{case_id}").get_data(as_text=True))
