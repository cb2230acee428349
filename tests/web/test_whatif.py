"""What-if on another working calendar and with the case deadline capping the steps': three cases of Tue 24 Nov 2026
replayed, every expected figure worked out by hand from the oblast's hours (Mon-Thu 09:00-18:00, lunch 13:00-13:48)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FixedClock
from services.reports.whatif import CALENDARS
from tests.conftest import MSK, api_token, login
from tests.web.test_admin_calendar import BACK, DAY_OFF, post
from tests.web.test_admin_calendar import admin as admin
from tests.web.test_main_path import TRIAGE
from tests.web.test_reports import DRAFT, PUBLISHED, Desk, _fire

MONTH = "/reports/whatif?month=2026-11&format=json"
OTHER_DAY = "&calendar=hours&day_start=09:00&lunch_start=13:00&lunch_end=13:48"


@pytest.fixture
def three(app: Flask, clock: FixedClock) -> None:
    """All kgkh, replied on time; only one step late.

    - "cap": sent 10:00; draft due 15:48 (3 WH to 13:00, 2 after lunch), case due 25 Nov 10:48; all done 14:50.
    - "late": sent 14:00; draft due 25 Nov 10:00 (4 WH + 1), case 25 Nov 14:48; all done 25 Nov 10:30: the draft late.
    - "quick": sent 14:00 as well; all done 25 Nov 09:30, on time.
    """
    desk = Desk(app, clock)

    def at(hour: int, minute: int = 0, day: int = 24) -> None:
        clock.set(datetime(2026, 11, day, hour, minute, tzinfo=MSK))

    at(10)
    cap = desk.register("cap")
    desk.do("curator", cap, "triage", {**TRIAGE, "bodies": ["kgkh"]})
    at(14)
    late, quick = desk.register("late"), desk.register("quick")
    for case_id in (late, quick):
        desk.do("curator", case_id, "triage", {**TRIAGE, "bodies": ["kgkh"]})
    at(14, 50)
    desk.reply(cap)
    at(9, 30, day=25)
    desk.reply(quick)
    _fire(app, clock, datetime(2026, 11, 25, 10, 30, tzinfo=MSK))  # the late draft's deadline passed at 10:00
    desk.reply(late)
    at(12, day=30)


def clause(report: dict[str, Any], number: str) -> tuple[int, int, int, int]:
    """Breached and on time, now and what-if, of one clause's steps."""
    row = next(s for s in report["steps"] if s["clause"] == number)
    return row["breached"], row["breached_whatif"], row["on_time"], row["on_time_whatif"]


def cases(report: dict[str, Any]) -> tuple[int, int]:
    return report["totals"]["cases"]["breached"], report["totals"]["cases"]["breached_whatif"]


def test_a_working_day_of_other_hours(app: Flask, three: None) -> None:
    leader = login(app, "leader")
    # Until 17:00 (Friday 16:00): the late draft, due 11:00 (3 WH on the 24th, 2 on the 25th), is on time at 10:30;
    # the cases, due 15:48, stay on time.
    shorter = leader.get(f"{MONTH}{OTHER_DAY}&day_end=17:00&friday_end=16:00").json
    assert clause(shorter, "8.4") == (1, 0, 2, 3)
    assert cases(shorter) == (0, 0)
    assert shorter["changes"] == [] and shorter["calendar"] == {
        "variant": "hours", "title": "Другой рабочий день для всех органов", "start": "09:00", "end": "17:00",
        "lunch_start": "13:00", "lunch_end": "13:48", "friday_end": "16:00"}
    # Until 19:00: the quick draft, sent at 14:00, is due at 19:00 the same day: done the next morning, it is late.
    # Its case, due 13:00 on the 25th, is still on time; the cap draft is due 15:48 as before.
    longer = leader.get(f"{MONTH}{OTHER_DAY}&day_end=19:00").json
    assert clause(longer, "8.4") == (1, 2, 2, 1)
    assert cases(longer) == (0, 0) and longer["calendar"]["friday_end"] == "19:00"  # empty: as the other days
    # Round the clock the deadlines run in calendar time: both afternoon cases were due at 23:00 and their drafts at
    # 19:00; the cap draft, due 15:00, was done at 14:50. Approvals and publications keep their hour and half hour.
    always = leader.get(f"{MONTH}&calendar=round_the_clock").json
    assert clause(always, "8.4") == (1, 2, 2, 1) and cases(always) == (0, 2)
    assert clause(always, "8.5") == clause(always, "8.7") == (0, 0, 3, 3)
    # The page says what was replayed.
    page = leader.get(f"/reports/whatif?month=2026-11{OTHER_DAY}&day_end=17:00&friday_end=16:00")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Другой рабочий день для всех органов (09:00–17:00, обед 13:00–13:48, в пятницу до 16:00)" in text
    assert 'name="day_end" value="17:00"' in text
    again = leader.get("/reports/monthly?month=2026-11&format=json").json  # nothing real changed
    assert again["totals"]["overdue"] == 0 and again["totals"]["breaches"] == 1


def test_a_shorter_case_deadline_pulls_the_steps_in(app: Flask, three: None) -> None:
    leader = login(app, "leader")
    # The reply within 3 WH: the cap case is due 13:00, the afternoon ones 17:00 the same day; every reply is late.
    # The drafts are due at their case's deadline, not at their own: the cap draft (own 15:48) is late at 14:50,
    # the quick one (own 10:00 the next day) late at 09:30. Approvals and publications began after the case's
    # deadline had passed: not capped, on time.
    shorter = leader.get(f"{MONTH}&parameter=case&value=3&unit=hours").json
    assert clause(shorter, "8.4") == (1, 3, 2, 0)
    assert clause(shorter, "8.5") == clause(shorter, "8.7") == (0, 0, 3, 3)
    assert cases(shorter) == (0, 3)
    # 6 WH: the cases are due 16:48 and 11:00 the next day, after every draft's own deadline: nothing moves.
    roomy = leader.get(f"{MONTH}&parameter=case&value=6&unit=hours").json
    assert clause(roomy, "8.4") == (1, 1, 2, 2) and cases(roomy) == (0, 0)
    # Together with another calendar: until 17:00 and the reply within 3 WH, the afternoon cases are due 17:00 too.
    both = leader.get(f"{MONTH}&parameter=case&value=3&unit=hours{OTHER_DAY}&day_end=17:00").json
    assert clause(both, "8.4") == (1, 3, 2, 0) and cases(both) == (0, 3)
    assert [c["parameter"] for c in both["changes"]] == ["case"] and both["calendar"]["variant"] == "hours"
    # The same over the API.
    client = app.test_client()
    api = client.get("/api/v1/reports/whatif?month=2026-11&parameter=case&value=3&unit=hours",
                     headers=api_token(client, "leader"))
    assert api.status_code == 200 and clause(api.json, "8.4") == (1, 3, 2, 0)


def test_without_the_override_days_or_the_body_schedules(app: Flask, clock: FixedClock,
                                                         admin: FlaskClient) -> None:
    # kgkh works 08:00-16:00 without lunch; Wednesday 25 Nov is the region's day off. Two cases sent Tue at 15:00,
    # answered on Wednesday at 11:30 and on Thursday: the draft at 08:30, approved and published at 09:50.
    hours = {f"{day}_{part}": value for day in ("mon", "tue", "wed", "thu", "fri")
             for part, value in (("start", "08:00"), ("end", "16:00"), ("lunch_start", ""), ("lunch_end", ""))}
    post(admin, "/admin/calendar/schedule", {**BACK, "back_body": "kgkh", "body": "kgkh", **hours})
    post(admin, "/admin/calendar/overrides", DAY_OFF)
    desk = Desk(app, clock)
    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=MSK))
    wednesday, thursday = desk.register("wednesday"), desk.register("thursday")
    for case_id in (wednesday, thursday):
        desk.do("curator", case_id, "triage", {**TRIAGE, "bodies": ["kgkh"]})
    clock.set(datetime(2026, 11, 25, 11, 30, tzinfo=MSK))
    desk.reply(wednesday)
    clock.set(datetime(2026, 11, 26, 8, 30, tzinfo=MSK))
    desk.do("kgkh.exec1", thursday, "draft", DRAFT)
    clock.set(datetime(2026, 11, 26, 9, 50, tzinfo=MSK))
    desk.do("curator", thursday, "approval", {"approval_decision": "approve"})
    desk.do("kgkh.exec1", thursday, "publication", PUBLISHED)
    clock.set(datetime(2026, 11, 30, 12, 0, tzinfo=MSK))
    leader = login(app, "leader")
    # Now: the drafts are due Thu 12:00 (Tue 1 WH, Thu 08:00 + 4), the cases Thu 16:00: all on time.
    # Without the day off: the drafts due Wed 12:00, the cases Wed 16:00: Thursday's draft and reply are late.
    kept = leader.get(f"{MONTH}&calendar=no_overrides").json
    assert clause(kept, "8.4") == (0, 1, 2, 1) and cases(kept) == (0, 1)
    # The curator's approval runs on the oblast's hours, not kgkh's: from Thursday 09:00, due 10:00, on time at 09:50.
    assert clause(kept, "8.5") == (0, 0, 2, 2)
    # The production calendar alone, on the oblast's hours: the drafts due Wed 11:00 (Tue 15:00-18:00, Wed 09:00 + 2),
    # both late; the cases Wed 15:48, Thursday's late.
    plain = leader.get(f"{MONTH}&calendar=production").json
    assert clause(plain, "8.4") == (0, 2, 2, 0) and cases(plain) == (0, 1)
    assert plain["calendar"] == {"variant": "production", "title": CALENDARS["production"]}


def test_a_curators_shorter_deadline_stays(app: Flask, clock: FixedClock) -> None:
    # Sent at 10:00 with the reply due at 12:00 instead of 25 Nov 10:48; the draft is due then too (its own 15:48).
    # Drafted and published at 14:00: both late.
    desk = Desk(app, clock)
    case_id = desk.register("shortened")
    desk.do("curator", case_id, "triage", {**TRIAGE, "bodies": ["kgkh"],
                                           "shortened_due_at": "2026-11-24T12:00:00+03:00"})
    _fire(app, clock, datetime(2026, 11, 24, 14, 0, tzinfo=MSK))
    desk.reply(case_id)
    clock.set(datetime(2026, 11, 30, 12, 0, tzinfo=MSK))
    # Round the clock the reply would be due at 19:00 and the draft at 15:00, but the curator's 12:00 still holds.
    always = login(app, "leader").get(f"{MONTH}&calendar=round_the_clock").json
    assert cases(always) == (1, 1) and clause(always, "8.4") == (1, 1, 0, 0)


@pytest.mark.parametrize(("query", "field", "message"), [
    (f"{OTHER_DAY}&day_end=08:00", "hours", "окончание работы (08:00) должно быть позже начала (09:00)"),
    (f"{OTHER_DAY}&day_end=25:61", "day_end", "Неверное время «25:61»: нужен формат ЧЧ:ММ"),
    ("&calendar=hours&day_start=&day_end=18:00", "day_start", "Укажите начало рабочего дня"),
    (f"{OTHER_DAY}&day_end=18:00&friday_end=09:30", "friday_end", "рабочий день должен быть длиннее часа"),
    ("&calendar=hours&day_start=09:00&day_end=18:00&lunch_start=13:00", "hours",
     "укажите и начало, и окончание обеда"),
    ("&calendar=moon", "calendar", "Выберите календарь из списка"),
    ("&calendar=current&parameter=draft&value=0&unit=hours", "value", "Целое число от 1 до 10000"),
])
def test_bad_input_is_explained(app: Flask, query: str, field: str, message: str) -> None:
    leader = login(app, "leader")
    page = leader.get(f"/reports/whatif?month=2026-11{query}")
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    answer = leader.get(f"{MONTH}{query}")
    assert answer.status_code == 422 and answer.json["error"]["code"] == "invalid"
    assert message in answer.json["error"]["fields"][field]
    client = app.test_client()
    api = client.get(f"/api/v1/reports/whatif?month=2026-11{query}", headers=api_token(client, "leader"))
    assert api.status_code == 422 and message in api.json["error"]["fields"][field]


def test_nothing_changed_and_both_parts_wrong(app: Flask) -> None:
    leader: FlaskClient = login(app, "leader")
    same = leader.get(f"{MONTH}&calendar=current&parameter=")
    assert same.status_code == 422 and same.json["error"]["message"].startswith("Ничего не изменено")
    both = leader.get(f"{MONTH}&parameter=draft&value=x&unit=hours&calendar=hours&day_start=18:00&day_end=09:00")
    assert both.status_code == 422 and set(both.json["error"]["fields"]) == {"value", "hours"}
    assert leader.get("/reports/whatif").status_code == 200  # the empty form


def test_a_tenants_own_value_keeps_the_deadlines_name(app: Flask) -> None:
    """The oblast's own draft value (8 h) is offered under the regulation's title and clause, not as « (, …)»."""
    admin = login(app, "admin")
    assert admin.post("/admin/deadlines/draft", data={"value": "8", "unit": "hours"}).status_code == 302
    try:
        page = html.unescape(login(app, "leader").get("/reports/whatif").get_data(as_text=True))
        assert ">Подготовка проекта ответа (8.4, сейчас 8 раб. ч)</option>" in page and " (, " not in page
    finally:
        assert admin.post("/admin/deadlines/draft/reset").status_code == 302
