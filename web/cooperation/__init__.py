"""Working together (order 4.3): the Directorate's overview of the municipalities, and what the case pages and the
inbox show of a transferred case."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Case, HumanTask
from services.cooperation import Cooperation, cooperation_of, transfer_notes
from services.cooperation.overview import overview
from web.common import clock, db, me

bp = Blueprint("cooperation", __name__, url_prefix="/municipalities")


@bp.get("/overview")
@login_required
def index() -> ResponseReturnValue:
    """«Муниципальные образования — обзор»: each municipality's open, overdue, breaches and timeliness this month."""
    return render_template("cooperation_overview.html", overview=overview(session=db(), user=me(), clock=clock()))


@bp.app_template_global("cooperation")
def _cooperation(case: Case) -> Cooperation:
    """The transfers of a case on its page (the page already checked that the person may see the case)."""
    return cooperation_of(session=db(), user=me(), case=case)


@bp.app_template_global("transfer_notes")
def _transfer_notes(tasks: Iterable[HumanTask]) -> dict[int, str]:
    """For the inbox: the Directorate's comment on each case it transferred, by case id."""
    return transfer_notes(session=db(), cases=[task.case for task in tasks])
