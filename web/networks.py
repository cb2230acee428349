"""«Аккаунты органов» (clause 5) and the channel list (clause 4): pages, the CSV export, and the JSON API."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from models import BodyAccount, Channel
from services.errors import Invalid
from services.networks.accounts import (
    CSV_HEADER,
    EDITORS,
    accounts_csv,
    add_account,
    edit_account,
    editable_bodies,
    get_account,
    remove_account,
)
from services.networks.accounts import accounts as account_list
from services.networks.channels import add_channel, edit_channel, may_edit_channels
from services.reference import channels
from web.api import _json_body, _user, token_required
from web.common import csrf, db, me
from web.labels import translated

bp = Blueprint("networks", __name__)
api_bp = Blueprint("networks_api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)


@bp.get("/accounts")
@login_required
def accounts() -> ResponseReturnValue:
    """The tenant's accounts grouped by body, optionally of one channel, with the forms to keep them."""
    return _accounts_page()


@bp.get("/accounts/export.csv")
@login_required
def export() -> ResponseReturnValue:
    """The registry (of one channel, with ?channel=) as a CSV file for Excel."""
    text = accounts_csv(session=db(), user=me(), channel=request.args.get("channel") or None,
                        header=[translated(title) for title in CSV_HEADER])
    return Response(text.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=accounts.csv"})


@bp.post("/accounts")
@login_required
def add() -> ResponseReturnValue:
    """Add an account."""
    form = request.form
    try:
        account = add_account(session=db(), user=me(), body=form.get("body"), channel=form.get("channel"),
                              name=form.get("name"), url=form.get("url"))
    except Invalid as exc:
        db().rollback()
        return _accounts_page(error=exc, failed="add")
    flash(gettext("Аккаунт добавлен: %(name)s", name=account.name), "success")
    return redirect(url_for("networks.accounts", _anchor=f"account-{account.id}"))


@bp.post("/accounts/<int:account_id>")
@login_required
def edit(account_id: int) -> ResponseReturnValue:
    """Change an account."""
    form = request.form
    try:
        account = edit_account(session=db(), user=me(), account_id=account_id, body=form.get("body"),
                               channel=form.get("channel"), name=form.get("name"), url=form.get("url"))
    except Invalid as exc:
        db().rollback()
        return _accounts_page(error=exc, failed=f"edit-{account_id}")
    flash(gettext("Аккаунт сохранён: %(name)s", name=account.name), "success")
    return redirect(url_for("networks.accounts", _anchor=f"account-{account.id}"))


@bp.post("/accounts/<int:account_id>/delete")
@login_required
def remove(account_id: int) -> ResponseReturnValue:
    """Remove an account."""
    account = remove_account(session=db(), user=me(), account_id=account_id)
    flash(gettext("Аккаунт удалён: %(name)s", name=account.name), "success")
    return redirect(url_for("networks.accounts"))


def _accounts_page(*, error: Invalid | None = None, failed: str = "") -> ResponseReturnValue:
    channel = request.args.get("channel") or None
    user = me()
    editable = {body.id for body in editable_bodies(session=db(), user=user)} if user.role in EDITORS else set()
    found = account_list(session=db(), user=user, channel=channel)
    groups = [(body, list(rows)) for body, rows in groupby(found, key=lambda account: account.body)]
    return render_template("accounts.html", groups=groups, total=len(found),
                           channels=channels(session=db()), channel=channel, error=error, failed=failed,
                           bodies=editable_bodies(session=db(), user=user), editable=editable,
                           values=request.form if error else {}), 422 if error else 200


@bp.get("/channels")
@login_required
def channel_page() -> ResponseReturnValue:
    """The channel list with each channel's reply-length limit; the oblast's administrator edits it."""
    return _channels_page()


@bp.post("/channels")
@login_required
def channel_add() -> ResponseReturnValue:
    """Add a channel."""
    form = request.form
    try:
        channel = add_channel(session=db(), user=me(), code=form.get("code"), name=form.get("name"),
                              reply_max_length=form.get("reply_max_length"))
    except Invalid as exc:
        db().rollback()
        return _channels_page(error=exc, failed="add")
    flash(gettext("Канал добавлен: %(name)s", name=channel.name), "success")
    return redirect(url_for("networks.channel_page"))


@bp.post("/channels/<int:channel_id>")
@login_required
def channel_edit(channel_id: int) -> ResponseReturnValue:
    """Change a channel's name or reply-length limit."""
    form = request.form
    try:
        channel = edit_channel(session=db(), user=me(), channel_id=channel_id, name=form.get("name"),
                               reply_max_length=form.get("reply_max_length"))
    except Invalid as exc:
        db().rollback()
        return _channels_page(error=exc, failed=f"edit-{channel_id}")
    flash(gettext("Канал сохранён: %(name)s", name=channel.name), "success")
    return redirect(url_for("networks.channel_page"))


def _channels_page(*, error: Invalid | None = None, failed: str = "") -> ResponseReturnValue:
    return render_template("channels.html", channels=channels(session=db()), may_edit=may_edit_channels(me()),
                           error=error, failed=failed, values=request.form if error else {}), 422 if error else 200


def _account_json(account: BodyAccount) -> dict[str, Any]:
    return {"id": account.id, "body": account.body.code, "body_name": account.body.short_name,
            "channel": account.channel.code, "name": account.name, "url": account.url}


def _channel_json(channel: Channel) -> dict[str, Any]:
    return {"code": channel.code, "name": channel.name, "reply_max_length": channel.reply_max_length}


@api_bp.get("/accounts")
@token_required
def api_accounts() -> ResponseReturnValue:
    """The tenant's accounts; ?channel= narrows them to one channel."""
    found = account_list(session=db(), user=_user(), channel=request.args.get("channel") or None)
    return {"accounts": [_account_json(a) for a in found]}


@api_bp.post("/accounts")
@token_required
def api_add() -> ResponseReturnValue:
    """Add an account."""
    body = _json_body()
    account = add_account(session=db(), user=_user(), body=body.get("body"), channel=body.get("channel"),
                          name=body.get("name"), url=body.get("url"))
    return _account_json(account), 201


@api_bp.get("/accounts/<int:account_id>")
@token_required
def api_account(account_id: int) -> ResponseReturnValue:
    """One account."""
    return _account_json(get_account(session=db(), user=_user(), account_id=account_id))


@api_bp.put("/accounts/<int:account_id>")
@token_required
def api_edit(account_id: int) -> ResponseReturnValue:
    """Replace an account's body, channel, name and link."""
    body = _json_body()
    account = edit_account(session=db(), user=_user(), account_id=account_id, body=body.get("body"),
                           channel=body.get("channel"), name=body.get("name"), url=body.get("url"))
    return _account_json(account)


@api_bp.delete("/accounts/<int:account_id>")
@token_required
def api_remove(account_id: int) -> ResponseReturnValue:
    """Remove an account; answers with what was removed."""
    return _account_json(remove_account(session=db(), user=_user(), account_id=account_id))


@api_bp.get("/channels")
@token_required
def api_channels() -> ResponseReturnValue:
    """The channel list with the reply-length limits."""
    return {"channels": [_channel_json(c) for c in channels(session=db())]}
