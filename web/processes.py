"""The process library: every process with its current version, its history and open cases, each version's
diagrams in the bpmn-js viewer; methodologists and administrators publish a library from a zip."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from engine.texts import N_
from models import ProcessVersion
from services.db import parse_id
from services.errors import Invalid
from services.library.adoption import adopt, set_auto_adopt
from services.library.archive import export_version, import_archive
from services.library.catalog import diagram, diagram_title, library_overview
from services.library.drafts import library_drafts
from services.library.versions import PUBLISHERS, Published, library_of
from web.common import clock, db, me
from web.library_text import library_diagram

bp = Blueprint("processes", __name__, url_prefix="/processes")


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """Every process: its current version, its version history with the open cases on each, its diagrams."""
    return _library()


@bp.post("/publish")
@login_required
def publish() -> ResponseReturnValue:
    """Check a library uploaded as a zip and publish it; refused with every problem listed, nothing published."""
    upload = request.files.get("archive")
    try:
        published = import_archive(session=db(), clock=clock(), data=upload.read() if upload else b"",
                                   comment=request.form.get("comment", ""), author=me())
    except Invalid as exc:  # LibraryRefused lists every problem; nothing was published
        return _library(problems=getattr(exc, "problems", []), message=exc.message), 422
    flash(_published_message(published), "success")
    return redirect(url_for("processes.index"))


@bp.post("/<process_id>/adopt")
@login_required
def adopt_version(process_id: str) -> ResponseReturnValue:
    """A municipality adopts regional version vN (number=N) for its new cases; its running cases keep theirs."""
    number = parse_id(request.form.get("number", ""))
    if number is None:
        raise Invalid(N_("Не указан номер региональной версии"), fields={"number": N_("Номер версии")})
    adoption = adopt(session=db(), clock=clock(), user=me(), process_id=process_id, number=number)
    flash(gettext("Принята региональная версия v%(number)s: новые случаи начнутся на ней, начатые продолжат свою.",
                  number=number), "success")
    return redirect(url_for("processes.index", _anchor=f"process-{adoption.process_id}"), 303)


@bp.post("/<process_id>/auto")
@login_required
def auto_adopt(process_id: str) -> ResponseReturnValue:
    """Adopt each new regional version at once (auto=1, moving to the current one now), or only by hand (auto=0)."""
    on = request.form.get("auto") == "1"
    set_auto_adopt(session=db(), clock=clock(), user=me(), process_id=process_id, auto_adopt=on)
    flash(gettext("Новые региональные версии принимаются автоматически") if on else
          gettext("Новые региональные версии принимаются вручную"), "success")
    return redirect(url_for("processes.index", _anchor=f"process-{process_id}"), 303)


@bp.app_template_global("diagram_title")
def _diagram_title(version: ProcessVersion, name: str) -> str:
    """The process name a diagram file defines, for links and titles."""
    return diagram_title(version, name)


def _library(**refusal: object) -> str:
    user = me()
    return render_template("processes.html", entries=library_overview(session=db(), user=user),
                           drafts=library_drafts(session=db(), user=user), may_publish=user.role in PUBLISHERS,
                           municipal=library_of(user) is not None, comment=request.form.get("comment", ""),
                           **refusal)


def _published_message(published: list[Published]) -> str:
    created = ", ".join(f"{p.process_id} v{p.number}" for p in published if p.created)
    if not created:
        return gettext("Изменений нет: текущие версии совпадают с архивом")
    return gettext("Опубликованы новые версии: %(versions)s", versions=created)


@bp.get("/<process_id>/v<int:number>.zip")
@login_required
def export(process_id: str, number: int) -> ResponseReturnValue:
    """A version as a zip of its files, importable on another installation."""
    name, data = export_version(session=db(), process_id=process_id, number=number)
    return Response(data, mimetype="application/zip", headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/<int:version_id>/view")
@login_required
def view(version_id: int) -> ResponseReturnValue:
    """One diagram of a version in the viewer."""
    name = request.args.get("file", "")
    version, _ = diagram(session=db(), user=me(), version_id=version_id, name=name)
    return render_template("process_view.html", version=version, name=name)


@bp.get("/<int:version_id>/files/<name>")
@login_required
def file(version_id: int, name: str) -> ResponseReturnValue:
    """The BPMN XML of one diagram."""
    _, xml = diagram(session=db(), user=me(), version_id=version_id, name=name)
    return Response(library_diagram(xml), mimetype="application/xml")
