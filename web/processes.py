"""The process library: every process with its current version, its history and open cases, each version's
diagrams in the bpmn-js viewer; methodologists and administrators publish a library from a zip."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from services.errors import Invalid
from services.library.archive import export_version, import_archive
from services.library.catalog import diagram, library_overview
from services.library.drafts import library_drafts
from services.library.versions import PUBLISHERS, Published
from web.common import clock, db, me

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


def _library(**refusal: object) -> str:
    return render_template("processes.html", entries=library_overview(session=db(), user=me()),
                           drafts=library_drafts(session=db(), user=me()), may_publish=me().role in PUBLISHERS,
                           comment=request.form.get("comment", ""), **refusal)


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
    return Response(xml, mimetype="application/xml")
