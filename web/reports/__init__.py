"""«Отчёты»: the monthly summary, the quarterly rating, the process heatmap, what-if; exports, the cases behind each
figure, published editions; the API."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_login import login_required

from engine.clock import MOSCOW
from engine.texts import joined
from engine.timers import Duration
from models import User
from services.errors import Invalid
from services.reports.editions import edition_summary, list_editions, publish_edition
from services.reports.exports import DEFINITIONS, cases_csv, chart_svgs, pdf_of, rating_xlsx, summary_xlsx
from services.reports.heatmap import heatmap_diagram, process_heatmap
from services.reports.monthly import FIGURES, MonthlySummary, cases_behind, monthly_summary
from services.reports.rating import BY_KEY, COMPONENTS, TIER_NAMES, current_quarter, quarterly_rating, rating_cases
from services.reports.whatif import (
    CALENDARS,
    PARAMETERS,
    WhatIf,
    calendar_asked,
    case_drafts,
    changes_asked,
    current_parameters,
    oblast_hours,
    replay,
)
from web.api import _user, token_required
from web.common import clock, csrf, db, error_json, me
from web.labels import translated, translated_all
from web.library_text import library_diagram

bp = Blueprint("reports", __name__, url_prefix="/reports")
api_bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")
csrf.exempt(api_bp)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _current_month() -> str:
    return clock().now().astimezone(MOSCOW).strftime("%Y-%m")


def export(summary: MonthlySummary, fmt: str, name: str) -> Response:
    """The summary as XLSX or PDF, a download in the reader's language (a page's choice, the API's Accept-Language)."""
    if fmt == "xlsx":
        content, mimetype = summary_xlsx(summary, translated), XLSX
    elif fmt == "pdf":
        html = render_template("reports/monthly_pdf.html", summary=summary, charts=chart_svgs(summary, translated),
                               definitions=DEFINITIONS, lang=str(get_locale()))
        content, mimetype = pdf_of(html), "application/pdf"
    else:
        raise Invalid(gettext("Формат выгрузки: xlsx, pdf или csv"))
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def monthly_answer(month: str | None, body: str | None, fmt: str | None) -> Response:
    """The summary in the asked format: JSON, XLSX, PDF, or the month's cases as CSV."""
    if fmt == "csv":
        content = cases_csv(session=db(), user=_person(), clock=clock(), month=month, body=body, say=translated)
        return Response(content, mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="cases-{month}.csv"'})
    summary = monthly_summary(session=db(), user=_person(), clock=clock(), month=month, body=body)
    if not fmt or fmt == "json":
        return jsonify(translated_all(summary.as_json()))
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
                           editions=list_editions(session=db(), user=me()), definitions=DEFINITIONS,
                           chart_data=translated_all({"bodies": summary.bodies, "dynamics": summary.dynamics}))


@bp.get("/monthly/cases")
@login_required
def cases() -> ResponseReturnValue:
    """The cases behind one figure of the summary."""
    figure = request.args.get("figure", "received")
    found = cases_behind(session=db(), user=me(), clock=clock(), month=request.args.get("month"), figure=figure,
                         body=request.args.get("body") or None, dimension=request.args.get("dimension"),
                         code=request.args.get("code"))
    return render_template("reports/cases.html", cases=found, figure=FIGURES.get(figure, figure),
                           month=request.args.get("month"))


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
        return jsonify(translated_all({"number": found.number, **summary.as_json()}))
    return export(summary, fmt, f"monthly-{found.period}-edition-{found.number}")



def _rating_answer(quarter: str | None, fmt: str | None) -> Response:
    """The rating as JSON or XLSX."""
    rating = quarterly_rating(session=db(), user=_person(), clock=clock(), quarter=quarter)
    if not fmt or fmt == "json":
        return jsonify(translated_all(rating.as_json()))
    if fmt != "xlsx":
        raise Invalid(gettext("Формат выгрузки рейтинга: xlsx"))
    return Response(rating_xlsx(rating, translated), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="rating-{rating.quarter}.xlsx"'})


@api_bp.get("/rating")
@token_required
def api_rating() -> ResponseReturnValue:
    """GET /api/v1/reports/rating?quarter=YYYY-Qn[&format=xlsx]."""
    return _rating_answer(request.args.get("quarter"), request.args.get("format"))


@bp.get("/rating")
@login_required
def rating() -> ResponseReturnValue:
    """«Рейтинг органов»: the formula and weights, scores with their components, ranks, tiers and movement."""
    quarter = request.args.get("quarter") or current_quarter(clock())
    if request.args.get("format"):
        return _rating_answer(quarter, request.args.get("format"))
    try:
        found = quarterly_rating(session=db(), user=me(), clock=clock(), quarter=quarter)
    except Invalid as exc:
        return render_template("reports/rating.html", rating=None, quarter=quarter, error=exc.message), 422
    return render_template("reports/rating.html", rating=found, quarter=found.quarter, error=None,
                           components=COMPONENTS, tier_names=TIER_NAMES)


@bp.get("/rating/cases")
@login_required
def rating_cases_page() -> ResponseReturnValue:
    """The cases behind one component of a body's score."""
    quarter, component = request.args.get("quarter"), request.args.get("component", "")
    found = rating_cases(session=db(), user=me(), clock=clock(), quarter=quarter, component=component,
                         body=request.args.get("body") or None, outcome=request.args.get("outcome", "bad"))
    title = BY_KEY[component].title
    return render_template("reports/cases.html", cases=found, figure=title, month=quarter,
                           back=url_for("reports.rating", quarter=quarter))


@bp.get("/heatmap")
@login_required
def heatmap() -> ResponseReturnValue:
    """The process heatmap: the diagrams with each step coloured by its breach share, counts and median wait."""
    period = request.args.get("period") or _current_month()
    body = request.args.get("body") or None
    try:
        found = process_heatmap(session=db(), user=me(), clock=clock(), period=period, body=body)
    except Invalid as exc:
        return render_template("reports/heatmap.html", heatmap=None, period=period, body=body,
                               error=exc.message), 422
    if request.args.get("format") == "json":
        return jsonify(translated_all(found.as_json()))
    return render_template("reports/heatmap.html", heatmap=found, period=found.period, body=found.body, error=None)


@bp.get("/heatmap/diagrams/<name>")
@login_required
def heatmap_diagram_xml(name: str) -> ResponseReturnValue:
    """One BPMN diagram of the tenant's current process version, for the heatmap's viewer."""
    return Response(library_diagram(heatmap_diagram(session=db(), user=me(), name=name)), mimetype="application/xml")


def _whatif(args: Mapping[str, str]) -> WhatIf:
    """The month replayed as the query asks: a deadline's value or a workbench draft's, and a calendar; the errors of
    both parts at once."""
    errors: list[Invalid] = []
    changes: dict[str, Duration] = {}
    calendar = None
    if args.get("parameter") or args.get("draft"):
        try:
            changes = changes_asked(session=db(), user=_person(), clock=clock(), parameter=args.get("parameter"),
                                    value=args.get("value"), unit=args.get("unit"),
                                    draft_id=int(args["draft"]) if args.get("draft", "").isdigit() else None)
        except Invalid as exc:
            errors.append(exc)
    try:
        calendar = calendar_asked(variant=args.get("calendar"), start=args.get("day_start"),
                                  end=args.get("day_end"), lunch_start=args.get("lunch_start"),
                                  lunch_end=args.get("lunch_end"), friday_end=args.get("friday_end"))
    except Invalid as exc:
        errors.append(exc)
    if errors:
        raise Invalid(joined(e.message for e in errors), fields={k: v for e in errors for k, v in e.fields.items()})
    return replay(session=db(), user=_person(), clock=clock(), month=args.get("month") or _current_month(),
                  changes=changes, calendar=calendar)


@api_bp.get("/whatif")
@token_required
def api_whatif() -> ResponseReturnValue:
    """GET /api/v1/reports/whatif?month=YYYY-MM[&parameter=NAME&value=N&unit=U | &draft=ID][&calendar=VARIANT
    [&day_start=HH:MM&day_end=HH:MM&lunch_start=HH:MM&lunch_end=HH:MM&friday_end=HH:MM]]."""
    return jsonify(translated_all(_whatif(request.args).as_json()))


@bp.get("/whatif")
@login_required
def whatif() -> ResponseReturnValue:
    """What-if: a past month replayed under another deadline value or a workbench draft's deadlines, and on another
    working calendar."""
    args = request.args
    month = args.get("month") or _current_month()
    drafts = case_drafts(session=db(), user=me())
    current = current_parameters(session=db(), tenant_id=me().tenant_id, clock=clock())
    choices = [(name, current.durations[name]) for name in PARAMETERS if name in current.durations]
    result, error = None, None
    if any(name in args for name in ("parameter", "draft", "calendar")):
        try:
            result = _whatif(args)
        except Invalid as exc:
            error = exc
    if args.get("format") == "json":
        if error is not None:
            return jsonify(error_json(error.code, error.message, error.fields)), 422
        if result is not None:
            return jsonify(translated_all(result.as_json()))
    return render_template("reports/whatif.html", result=result, error=error, month=month, drafts=drafts,
                           choices=choices, calendars=CALENDARS, args=args, hours=oblast_hours()), 422 if error else 200
