"""A municipality's variant of a regional process: its page (its difference from the regional template, the regional
changes since the fork) and carrying it onto the new regional version as a new draft."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from engine.texts import N_, joined
from services.library.variants import rebase, variant_page
from web.common import clock, db, me
from web.labels import translated

bp = Blueprint("variants", __name__)


@bp.get("/processes/<process_id>/variant")
def variant(process_id: str) -> ResponseReturnValue:
    """How the variant differs from its regional template, and what the oblast published since the fork."""
    return render_template("workbench_variant.html", page=variant_page(session=db(), user=me(), process_id=process_id))


@bp.post("/processes/<process_id>/rebase")
def rebase_variant(process_id: str) -> ResponseReturnValue:
    """A new draft of the variant on the current regional version, the variant's own changes carried over."""
    draft, unmerged = rebase(session=db(), clock=clock(), user=me(), process_id=process_id)
    flash(gettext("Черновик варианта создан на новой региональной версии; перенесены все изменения варианта.")
          if not unmerged else
          translated(N_("Черновик варианта создан на новой региональной версии. Проверьте: %(items)s",
                        items=joined(joined([u.subject, u.reason], " — ") for u in unmerged))),
          "warning" if unmerged else "success")
    return redirect(url_for("workbench.draft", draft_id=draft.id), 303)
