"""The clause-12 breach register page: the period's breaches by deputy, body and person; explanations, verdicts and
measures; the XLSX for each deputy's letter; the administrator's list of supervising deputies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from engine.calendar import duration_text
from engine.clock import MOSCOW
from services.errors import Invalid
from services.reference import bodies
from services.register import (
    REASONS,
    VERDICTS,
    Entry,
    Period,
    Register,
    bodies_with_deputies,
    explain,
    judge,
    parse_period,
    record_measures,
    register,
    set_deputy,
    with_history,
)
from services.register.export import filename, workbook
from web.common import clock, db, me
from web.labels import translated
from web.library_text import plain_library_text

bp = Blueprint("register", __name__, url_prefix="/register")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def today() -> date:
    """Today in Moscow."""
    return clock().now().astimezone(MOSCOW).date()


def period_from(args: Any) -> Period:
    """?from= and ?to= of a request; the current month so far when both are absent."""
    if not args.get("from") and not args.get("to"):
        day = today()
        return Period(day.replace(day=1), day)
    return parse_period(start=args.get("from"), end=args.get("to"), today=today())


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The register for a period (this month by default), optionally of one body."""
    body = request.args.get("body") or None
    try:
        period = period_from(request.args)
        result = register(session=db(), clock=clock(), user=me(), period=period, body=body)
    except Invalid as exc:
        return _page(None, exc.fields), 422
    return _page(with_history(session=db(), result=result), {})


def _page(result: Register | None, errors: dict[str, str]) -> str:
    user = me()
    choices = [b for b in bodies(session=db(), tenant_id=user.tenant_id)
               if user.role != "responsible" or b.id == user.body_id]
    return render_template("register.html", result=result, errors=errors, values=request.args, bodies=choices,
                           reasons=REASONS, verdicts=VERDICTS, duration_text=duration_text, query=dict(request.args),
                           history_text=history_text)


@bp.get("/export.xlsx")
@login_required
def export() -> ResponseReturnValue:
    """The register as XLSX: every deputy with a summary, or ?deputy= alone for that deputy's letter."""
    result = register(session=db(), clock=clock(), user=me(), period=period_from(request.args),
                      body=request.args.get("body") or None)
    deputy = request.args.get("deputy") or None
    return xlsx_response(result, deputy)


def xlsx_response(result: Register, deputy: str | None) -> Response:
    """The workbook as a download, in the reader's language (a page's choice, the API's Accept-Language)."""
    return Response(workbook(result, deputy=deputy, say=translated), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{filename(result, deputy)}"'})


def _change(breach_id: int, change: Any, done: str) -> ResponseReturnValue:
    """Run one change of a breach; a refusal shows the register again with the message next to the field. The form
    posts to a URL carrying the page's period, so both answers keep it."""
    try:
        change()
    except Invalid as exc:
        db().rollback()
        fields = {f"{breach_id}:{name}": message for name, message in exc.fields.items()}
        result = register(session=db(), clock=clock(), user=me(), period=period_from(request.args),
                          body=request.args.get("body") or None)
        return _page(with_history(session=db(), result=result), fields), 422
    flash(done, "success")
    return redirect(url_for("register.index", **request.args) + f"#breach-{breach_id}")


@bp.post("/<int:breach_id>/explanation")
@login_required
def explanation(breach_id: int) -> ResponseReturnValue:
    """The body's responsible official explains a breach."""
    return _change(breach_id, lambda: explain(session=db(), clock=clock(), user=me(), breach_id=breach_id,
                                              reason=request.form.get("reason"),
                                              text=request.form.get("explanation")),
                   gettext("Объяснение по нарушению № %(id)s сохранено", id=breach_id))


@bp.post("/<int:breach_id>/verdict")
@login_required
def verdict(breach_id: int) -> ResponseReturnValue:
    """The curator marks the reason justified or not."""
    return _change(breach_id, lambda: judge(session=db(), clock=clock(), user=me(), breach_id=breach_id,
                                            verdict=request.form.get("verdict"),
                                            comment=request.form.get("verdict_comment")),
                   gettext("Оценка причины нарушения № %(id)s сохранена", id=breach_id))


@bp.post("/<int:breach_id>/measures")
@login_required
def measures(breach_id: int) -> ResponseReturnValue:
    """The supervising deputy's measures are recorded."""
    return _change(breach_id, lambda: record_measures(session=db(), clock=clock(), user=me(), breach_id=breach_id,
                                                      text=request.form.get("measures")),
                   gettext("Меры по нарушению № %(id)s записаны", id=breach_id))


@bp.route("/deputies", methods=["GET", "POST"])
@login_required
def deputies() -> ResponseReturnValue:
    """The administrator names the deputy who supervises each body."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        code = request.form.get("body", "")
        try:
            row = set_deputy(session=db(), user=me(), body=code, deputy=request.form.get("deputy"))
        except Invalid as exc:
            errors = {code: exc.fields.get("deputy", exc.message)}
        else:
            flash(gettext("Курирующий заместитель органа «%(body)s» сохранён", body=row.short_name), "success")
            return redirect(url_for("register.deputies"))
    rows = bodies_with_deputies(session=db(), user=me())
    return render_template("register_deputies.html", rows=rows, errors=errors, values=request.form,
                           editable=me().role == "admin"), 422 if errors else 200


def history_text(event: Any) -> str:
    """What a history entry of a breach says."""
    details = event.details or {}
    if event.kind == "explanation":
        return gettext("Объяснение: %(reason)s — %(text)s", reason=gettext(REASONS.get(details.get("reason"), "")),
                       text=details.get("text") or "")
    if event.kind == "verdict":
        verdict_name = gettext(VERDICTS.get(details.get("verdict"), ""))
        note = details.get("text")
        return gettext("Оценка куратора: %(verdict)s", verdict=verdict_name) + (f" — {note}" if note else "")
    return gettext("Меры: %(text)s", text=details.get("text") or "")


def entry_json(entry: Entry) -> dict[str, Any]:
    """One register entry for the API, the system's words (no deputy, nobody, the delay) in the client's language."""
    breach = entry.breach
    return {"id": breach.id, "case_id": breach.case_id, "deputy": translated(entry.deputy), "body": entry.body_code,
            "body_name": entry.body_name, "person": translated(entry.person), "step": breach.step,
            "step_title": plain_library_text(entry.step_title), "clause": breach.clause, "due_at": iso(breach.due_at),
            "done_at": iso(breach.done_at), "late_minutes": entry.late_minutes,
            "late": translated(duration_text(entry.late_minutes)), "settled": entry.settled,
            "reason": breach.reason, "explanation": breach.explanation,
            "explained_by": entry.by(breach.explained_by_id),
            "explained_at": iso(breach.explained_at), "verdict": breach.verdict,
            "verdict_comment": breach.verdict_comment, "verdict_by": entry.by(breach.verdict_by_id),
            "verdict_at": iso(breach.verdict_at), "measures": breach.measures,
            "measures_by": entry.by(breach.measures_by_id), "measures_at": iso(breach.measures_at)}


def iso(moment: datetime | None) -> str | None:
    """A moment as ISO 8601, or None."""
    return moment.isoformat() if moment else None
