"""The Governor's posts (clause 7): the curator registers a post and watches which bodies check in time."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from services.errors import Forbidden, Invalid
from services.governor import ACCOUNT_TITLES, DuplicatePost, list_posts, monitored_bodies, post_status, register_post
from web.common import clock, db, me
from web.labels import translated

bp = Blueprint("governor", __name__, url_prefix="/governor")


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    """Recent posts with each body's checks; bodies that have not checked in time are red."""
    return render_template("governor.html", posts=list_posts(session=db(), user=me(), clock=clock()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """The curator registers a post in the Governor's VK or Telegram account."""
    if me().role != "curator":
        raise Forbidden(gettext("Регистрировать посты Губернатора может куратор"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = None if request.form.get("scope", "all") == "all" else request.form.getlist("bodies")
        try:
            case = register_post(session=db(), clock=clock(), actor=me(), account=request.form.get("account"),
                                 url=request.form.get("url"), published_at=request.form.get("published_at"),
                                 text=request.form.get("text"), bodies=chosen)
        except DuplicatePost as exc:
            flash(translated(exc.message), "warning")
            target = "governor.show" if exc.is_post else "cases.show"
            return redirect(url_for(target, case_id=exc.case_id))
        except Invalid as exc:
            errors = exc.fields or {"__all__": exc.message}
        else:
            flash(gettext("Пост зарегистрирован: № %(id)s. Органы получили задачи мониторинга", id=case.id),
                  "success")
            return redirect(url_for("governor.show", case_id=case.id))
    form = request.form if request.method == "POST" else {"scope": "all"}
    return render_template("governor_new.html", accounts=ACCOUNT_TITLES, errors=errors, values=form,
                           chosen=request.form.getlist("bodies"),
                           bodies=monitored_bodies(session=db(), tenant_id=me().tenant_id)), 422 if errors else 200


@bp.get("/<int:case_id>")
@login_required
def show(case_id: int) -> ResponseReturnValue:
    """One post: every body's first window and checks, with the links they found and answered."""
    return render_template("governor_post.html", post=post_status(session=db(), user=me(), clock=clock(),
                                                                  case_id=case_id))
