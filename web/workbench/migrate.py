"""Moving open cases of a process to its current version: the preview and the move (methodologists, admins)."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from services.library.migrate import migration_preview, move_cases
from web.common import clock, db, me
from web.workbench.blueprints import bp


@bp.route("/processes/<process_id>/migration", methods=["GET", "POST"])
def migration(process_id: str) -> ResponseReturnValue:
    """Which open cases on earlier versions can move to the current one; POST moves the chosen ones (case=ID...)."""
    moved = None
    if request.method == "POST":
        chosen = [int(value) for value in request.form.getlist("case") if value.isdigit()]
        moved = move_cases(session=db(), clock=clock(), user=me(), process_id=process_id, case_ids=chosen)
    preview = migration_preview(session=db(), clock=clock(), user=me(), process_id=process_id)
    return render_template("workbench_migrate.html", preview=preview, moved=moved)
