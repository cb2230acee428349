"""Log in and out, and switch the interface language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from services.auth import end_session, log_in, start_session
from services.errors import TooManyAttempts
from services.language import LANGUAGES, keep_language
from web.common import SESSION_KEY, clock, db, local_target, me

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The login form."""
    if request.method == "GET":
        return render_template("login.html", error=None)
    try:
        user = log_in(session=db(), clock=clock(), username=request.form.get("username", ""),
                      password=request.form.get("password", ""), address=request.remote_addr)
    except TooManyAttempts as exc:
        return render_template("login.html", error=exc.message), 429, \
            {"Retry-After": str(exc.retry_after)}
    if user is None:
        db().commit()  # the failure stays counted although the answer is an error
        return render_template("login.html", error=gettext("Неверное имя пользователя или пароль")), 401
    language = user.language or session.get("lang")  # the person's own choice, else the one made on this page
    session.clear()  # a fresh session on login; the chosen language stays
    if language:
        session["lang"] = language
        keep_language(session=db(), user=user, language=language)
    session[SESSION_KEY] = start_session(session=db(), clock=clock(), user=user)
    login_user(user)
    return redirect(local_target(request.args.get("next"), url_for("inbox.index")))





@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End this login session; the person's sessions in other browsers stay."""
    end_session(session=db(), clock=clock(), key=session.pop(SESSION_KEY, ""))
    logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
def language(code: str) -> ResponseReturnValue:
    """Switch between Russian and English; a logged-in person keeps the choice for their next login and e-mails."""
    if code in LANGUAGES:
        session["lang"] = code
        if current_user.is_authenticated:
            keep_language(session=db(), user=me(), language=code)
    referrer = urlsplit(request.referrer or "")
    back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return redirect(local_target(back, url_for("inbox.index")))


__all__ = ["bp", "me"]
