"""A person's own account: the password, and the API tokens (an administrator manages the whole tenant's)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from services.auth import MIN_PASSWORD, change_password, live_tokens, revoke_token
from services.errors import Invalid, TooManyAttempts
from web.common import SESSION_KEY, clock, db, me

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
@login_required
def _logged_in() -> None:
    """Every page here is the logged-in person's own."""


@bp.route("/password", methods=["GET", "POST"])
def password() -> ResponseReturnValue:
    """Change one's password; the other login sessions end and the API tokens are revoked."""
    if request.method == "GET":
        return _password_page(None)
    form = request.form
    try:
        change_password(session=db(), clock=clock(), user=me(), current=form.get("current", ""),
                        new=form.get("new", ""), repeated=form.get("repeated", ""), address=request.remote_addr,
                        keep_session=session.get(SESSION_KEY, ""))
    except TooManyAttempts as exc:
        return _password_page(Invalid(exc.message)), 429, {"Retry-After": str(exc.retry_after)}
    except Invalid as exc:
        db().commit()  # a wrong current password stays counted although the answer is an error
        return _password_page(exc), 422
    flash(gettext("Пароль изменён. Сеансы в других браузерах завершены, токены API отозваны."), "success")
    return redirect(url_for("account.password"))


def _password_page(error: Invalid | None) -> str:
    return render_template("account_password.html", error=error, min_length=MIN_PASSWORD)


@bp.get("/tokens")
def tokens() -> ResponseReturnValue:
    """The live API tokens: one's own; an administrator sees every person's of the tenant."""
    return render_template("account_tokens.html", tokens=live_tokens(session=db(), clock=clock(), user=me()),
                           days=current_app.config["OTKLIK_TOKEN_DAYS"])


@bp.post("/tokens/<int:token_id>/revoke")
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke a token; it stops working at once."""
    token = revoke_token(session=db(), clock=clock(), user=me(), token_id=token_id)
    flash(gettext("Токен «%(name)s» (%(owner)s) отозван.", name=token.name or token.id, owner=token.user.full_name),
          "success")
    return redirect(url_for("account.tokens"))
