"""A municipal administrator on the existing pages: absences, working time, word lists, in their own tenant only."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from models import Absence, LexiconEntry, OverrideDay, Tenant, User
from tests.conftest import login


def _user(sessions: Any, username: str) -> int:
    with sessions() as session:
        return int(session.scalar(select(User.id).where(User.username == username)))


def test_absences_of_their_own_people_only(app: Flask, sessions: Any) -> None:
    admin = login(app, "gtn.admin")
    page = admin.get("/absences").get_data(as_text=True)
    assert "Крылова Евгения Олеговна" in page and "Егоров Иван Александрович" not in page  # gtn.blag.exec1, kgkh
    form = {"kind": "leave", "starts_on": "2026-11-24", "ends_on": "2026-11-30", "reason": "Приказ № 7"}
    mine = {**form, "user": _user(sessions, "gtn.zhkh.exec1"), "substitute": _user(sessions, "gtn.zhkh.exec2")}
    assert admin.post("/absences", data=mine).status_code == 302
    theirs = {**form, "user": _user(sessions, "kgkh.exec1"), "substitute": _user(sessions, "kgkh.exec2")}
    assert admin.post("/absences", data=theirs).status_code == 422
    oblast = login(app, "admin")
    assert "Приказ № 7" not in oblast.get("/absences").get_data(as_text=True)
    with sessions() as session:
        absence_id = session.scalar(select(Absence.id).where(Absence.reason == "Приказ № 7"))
    assert oblast.post(f"/absences/{absence_id}/end").status_code == 404


def test_working_time_of_their_own_tenant_and_bodies(app: Flask, sessions: Any) -> None:
    admin, oblast = login(app, "vsv.admin"), login(app, "admin")
    page = admin.get("/admin/calendar?year=2026&body=vsv.dor").get_data(as_text=True)
    assert "Управление дорожного хозяйства" in page and "kgkh" not in page
    assert admin.get("/admin/calendar?year=2026&body=kgkh").status_code == 404
    day = {"back_year": "2026", "back_body": "", "day": "2026-11-27", "kind": "non_working",
           "reason": "День района", "body": ""}
    assert admin.post("/admin/calendar/overrides", data=day).status_code == 302
    assert admin.post("/admin/calendar/overrides", data={**day, "body": "kgkh"}).status_code == 404
    hours = {"body": "kdh", **{f"{d}_{k}": v for d in ("mon", "tue", "wed", "thu", "fri")
                               for k, v in (("start", "09:00"), ("end", "18:00"))}}
    assert admin.post("/admin/calendar/schedule", data=hours).status_code == 404
    assert "День района" not in oblast.get("/admin/calendar?year=2026").get_data(as_text=True)
    with sessions() as session:
        row = session.scalar(select(OverrideDay).where(OverrideDay.reason == "День района"))
        assert row.tenant_id == session.scalar(select(Tenant.id).where(Tenant.code == "vsevolozhsk"))
    assert oblast.post(f"/admin/calendar/overrides/{row.id}/delete", data=day).status_code == 404
    assert admin.post(f"/admin/calendar/overrides/{row.id}/delete", data=day).status_code == 302


def test_word_lists_of_their_own_tenant(app: Flask, sessions: Any) -> None:
    admin, oblast = login(app, "gtn.admin"), login(app, "admin")
    assert admin.post("/lexicon/entries", data={"list_name": "bureaucratese", "pattern": "гатчинизм"}
                      ).status_code == 302
    assert "гатчинизм" in admin.get("/lexicon").get_data(as_text=True)
    assert "гатчинизм" not in oblast.get("/lexicon").get_data(as_text=True)
    with sessions() as session:
        mine = session.scalar(select(LexiconEntry.id).where(LexiconEntry.pattern == "гатчинизм"))
        theirs = session.scalar(select(LexiconEntry.id).join(Tenant, Tenant.id == LexiconEntry.tenant_id)
                                .where(Tenant.code == "lenobl"))
    assert admin.post(f"/lexicon/entries/{theirs}/delete").status_code == 404
    assert oblast.post(f"/lexicon/entries/{mine}/delete").status_code == 404
    assert admin.post(f"/lexicon/entries/{mine}/delete").status_code == 302
