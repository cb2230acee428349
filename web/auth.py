"""Log in and out, and switch the interface language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required, login_user, logout_user

from services.auth import authenticate
from web.common import LANGUAGES, db, local_target, me

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The login form."""
    error = None
    if request.method == "POST":
        user = authenticate(session=db(), username=request.form.get("username", ""),
                            password=request.form.get("password", ""))
        if user is not None:
            language = session.get("lang")
            session.clear()  # a fresh session on login; the chosen language stays
            if language:
                session["lang"] = language
            login_user(user)
            return redirect(local_target(request.args.get("next"), url_for("inbox.index")))
        error = gettext("Неверное имя пользователя или пароль")
    return render_template("login.html", error=error), 401 if error else 200


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the session."""
    logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
def language(code: str) -> ResponseReturnValue:
    """Switch between Russian and English."""
    if code in LANGUAGES:
        session["lang"] = code
    referrer = urlsplit(request.referrer or "")
    back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return redirect(local_target(back, url_for("inbox.index")))


__all__ = ["bp", "me"]
