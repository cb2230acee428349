"""Registering messages and the case pages."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from engine.texts import N_
from services.cases import CaseView, case_view, list_cases, register_message, require_curator
from services.dashboard import LENS_TITLES, lens
from services.db import parse_id
from services.errors import Duplicate, Invalid
from services.reference import channels
from services.repeats import Suggestion, link_case, suggestions
from services.timeline import case_timeline
from web.common import BadInput, clock, db, local_target, me
from web.labels import translated
from web.library_text import library_diagram

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """Recent cases the person may see; ?theme= or ?location= (codes) narrow them, as a surge alert links here;
    ?lens= (with ?body= and ?person=) lists the cases behind a number of the leaders' dashboard."""
    status = request.args.get("status") or None
    args = request.args
    where = None
    if args.get("lens"):
        person = parse_id(args["person"]) if args.get("person") else None
        if args.get("person") and person is None:
            raise BadInput(N_("Неверные параметры запроса"), fields={"person": N_("Номер сотрудника — целое число")})
        where = lens(user=me(), now=clock().now(), name=args["lens"], body=args.get("body") or None, person=person)
    cases = list_cases(session=db(), user=me(), status=status, theme=args.get("theme") or None,
                       location=args.get("location") or None, where=where)
    return render_template("cases.html", cases=cases, status=status, lens=args.get("lens"),
                           lens_titles=LENS_TITLES)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """The curator registers a message found in an open source."""
    require_curator(me())
    errors: dict[str, str] = {}
    refused: str | None = None  # why the message was not registered, when no field is to blame
    if request.method == "POST":
        try:
            case = register_message(session=db(), clock=clock(), actor=me(), source="form",
                                    channel=request.form.get("channel"), url=request.form.get("url"),
                                    author=request.form.get("author"), text=request.form.get("text"),
                                    published_at=request.form.get("published_at"),
                                    attachments=request.form.get("attachments", ""),
                                    process_id=current_app.config["OTKLIK_PROCESS"])
        except Duplicate as exc:
            flash(translated(exc.message), "warning")
            return redirect(url_for("cases.show", case_id=exc.case_id))
        except Invalid as exc:
            errors, refused = exc.fields, None if exc.fields else exc.message
        else:
            flash(gettext("Сообщение зарегистрировано: случай № %(id)s", id=case.id), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("case_new.html", channels=channels(session=db()), errors=errors, refused=refused,
                           values=request.form), 422 if errors or refused else 200


def repeat_suggestions(view: CaseView) -> list[Suggestion]:
    """Earlier cases the curator may link an open case to."""
    if me().role != "curator" or view.case.status != "open":
        return []
    return suggestions(session=db(), user=me(), case_id=view.case.id)


@bp.get("/<int:case_id>")
@login_required
def show(case_id: int) -> ResponseReturnValue:
    """The message, its open tasks, history, drafts, the diagram with the path so far and the steps' timeline."""
    view = case_view(session=db(), user=me(), case_id=case_id)
    return render_template("case.html", view=view, suggestions=repeat_suggestions(view),
                           timeline=case_timeline(session=db(), case=view.case, now=clock().now()))


@bp.post("/<int:case_id>/links")
@login_required
def link(case_id: int) -> ResponseReturnValue:
    """The curator marks the case as a repeat of an earlier case (clause 8.10)."""
    earlier = parse_id(request.form.get("earlier_id"))
    if earlier is None:
        raise Invalid(gettext("Укажите номер более раннего случая"),
                      fields={"earlier_id": gettext("Введите номер случая")})
    link_case(session=db(), clock=clock(), user=me(), case_id=case_id, earlier_id=earlier)
    flash(gettext("Случай № %(case)s связан со случаем № %(earlier)s как повторное сообщение", case=case_id,
                  earlier=earlier), "success")
    return redirect(local_target(request.form.get("back"), url_for("cases.show", case_id=case_id)))


@bp.get("/<int:case_id>/diagram.bpmn")
@login_required
def diagram(case_id: int) -> ResponseReturnValue:
    """The BPMN of the case's own process version, for the viewer."""
    view = case_view(session=db(), user=me(), case_id=case_id)
    return Response(library_diagram(view.diagram_xml), mimetype="application/xml")
