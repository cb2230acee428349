"""«Отчёты»: the monthly summary page, its exports, the cases behind each figure, published editions; the API."""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from engine.clock import MOSCOW
from models import User
from services.errors import Invalid
from services.reports.editions import edition_summary, list_editions, publish_edition
from services.reports.exports import DEFINITIONS, cases_csv, chart_svgs, pdf_of, summary_xlsx
from services.reports.monthly import MonthlySummary, cases_behind, monthly_summary
from web.api import _user, token_required
from web.common import clock, csrf, db, me

bp = Blueprint("reports", __name__, url_prefix="/reports")
api_bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")
csrf.exempt(api_bp)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _current_month() -> str:
    return clock().now().astimezone(MOSCOW).strftime("%Y-%m")


def export(summary: MonthlySummary, fmt: str, name: str) -> Response:
    """The summary as XLSX or PDF, a download."""
    if fmt == "xlsx":
        content, mimetype = summary_xlsx(summary), XLSX
    elif fmt == "pdf":
        html = render_template("reports/monthly_pdf.html", summary=summary, charts=chart_svgs(summary),
                               definitions=DEFINITIONS)
        content, mimetype = pdf_of(html), "application/pdf"
    else:
        raise Invalid(gettext("Формат выгрузки: xlsx, pdf или csv"))
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def monthly_answer(month: str | None, body: str | None, fmt: str | None) -> Response:
    """The summary in the asked format: JSON, XLSX, PDF, or the month's cases as CSV."""
    if fmt == "csv":
        content = cases_csv(session=db(), user=_person(), clock=clock(), month=month, body=body)
        return Response(content, mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="cases-{month}.csv"'})
    summary = monthly_summary(session=db(), user=_person(), clock=clock(), month=month, body=body)
    if not fmt or fmt == "json":
        return jsonify(summary.as_json())
    return export(summary, fmt, f"monthly-{summary.month}{'-' + summary.body if summary.body else ''}")


def _api() -> bool:
    return request.blueprint == "reports_api"


def _person() -> User:
    return _user() if _api() else me()


@api_bp.get("/monthly")
@token_required
def api_monthly() -> ResponseReturnValue:
    """GET /api/v1/reports/monthly?month=YYYY-MM[&body=CODE][&format=xlsx|pdf|csv]."""
    return monthly_answer(request.args.get("month"), request.args.get("body") or None, request.args.get("format"))


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """«Отчёты» opens on the monthly summary."""
    return redirect(url_for("reports.monthly"))


@bp.get("/monthly")
@login_required
def monthly() -> ResponseReturnValue:
    """The monthly summary page: tiles with deltas, bodies, steps, charts, theme x district, clause-14 events."""
    month = request.args.get("month") or _current_month()
    body = request.args.get("body") or None
    fmt = request.args.get("format")
    if fmt:
        return monthly_answer(month, body, fmt)
    try:
        summary = monthly_summary(session=db(), user=me(), clock=clock(), month=month, body=body)
    except Invalid as exc:
        return render_template("reports/monthly.html", summary=None, month=month, error=exc.message,
                               editions=[]), 422
    return render_template("reports/monthly.html", summary=summary, month=summary.month, error=None,
                           editions=list_editions(session=db(), user=me()), definitions=DEFINITIONS)


@bp.get("/monthly/cases")
@login_required
def cases() -> ResponseReturnValue:
    """The cases behind one figure of the summary."""
    figure = request.args.get("figure", "received")
    found = cases_behind(session=db(), user=me(), clock=clock(), month=request.args.get("month"), figure=figure,
                         body=request.args.get("body") or None, dimension=request.args.get("dimension"),
                         code=request.args.get("code"))
    return render_template("reports/cases.html", cases=found, figure=figure, month=request.args.get("month"))


@bp.post("/editions")
@login_required
def publish() -> ResponseReturnValue:
    """«Опубликовать выпуск»: freeze the month's summary as a new edition."""
    edition = publish_edition(session=db(), user=me(), clock=clock(), month=request.form.get("month"))
    flash(gettext("Опубликован выпуск № %(number)s за %(month)s", number=edition.number, month=edition.period),
          "success")
    return redirect(url_for("reports.monthly", month=edition.period))


@bp.get("/editions/<int:edition_id>.<fmt>")
@login_required
def edition(edition_id: int, fmt: str) -> ResponseReturnValue:
    """A published edition as JSON, XLSX or PDF: its frozen numbers, whatever changed since."""
    found, summary = edition_summary(session=db(), user=me(), edition_id=edition_id)
    if fmt == "json":
        return jsonify({"number": found.number, **summary.as_json()})
    return export(summary, fmt, f"monthly-{found.period}-edition-{found.number}")

