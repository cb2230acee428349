"""The administrators' list of stalled cases, with the repair that moves each on."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from services.integrity import repair_case, stalled_cases
from web.common import clock, db, me

bp = Blueprint("integrity", __name__, url_prefix="/admin/stalled")


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """Open cases that nothing moves on, the longest stalled first."""
    return render_template("stalled.html", cases=stalled_cases(session=db(), user=me()))


@bp.post("/<int:case_id>/repair")
@login_required
def repair(case_id: int) -> ResponseReturnValue:
    """Repair one case and say what it opened, or that it still waits for nothing."""
    done = repair_case(session=db(), case_id=case_id, clock=clock(), user=me())
    if done.still_stalled:
        flash(gettext("Случай № %(id)s по-прежнему стоит: обратитесь к разработчикам, приложив номер случая.",
                      id=case_id), "error")
    elif done.opened:
        flash(gettext("Случай № %(id)s продолжен. Открыты задачи: %(tasks)s.", id=case_id,
                      tasks=", ".join(done.opened)), "ok")
    else:
        flash(gettext("Случай № %(id)s продолжен: он ждёт своих сроков.", id=case_id), "ok")
    return redirect(url_for("integrity.index"))
