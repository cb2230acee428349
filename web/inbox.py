"""The inbox of each role."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from services.tasks import inbox
from web.common import clock, db, inbox_filters, me

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """People who work from an inbox land on it, the leadership on its dashboard, the others on the case list."""
    if me().role in ("curator", "executor", "responsible"):
        return redirect(url_for("inbox.show"))
    if me().role == "leader":
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("cases.index"))


@bp.get("/inbox")
@login_required
def show() -> ResponseReturnValue:
    """Open tasks sorted by deadline, with counts per step; ?case_id= and ?limit= as in the API."""
    case_id, limit = inbox_filters()
    return render_template("inbox.html", inbox=inbox(session=db(), user=me(), clock=clock(), case_id=case_id,
                                                     limit=limit))
