"""Flask blueprints by role; thin views that parse input, call one service and render."""

from __future__ import annotations

from flask import Flask

from services.notifications import MAIL_ENABLED
from services.outbox import smtp_settings
from web import (
    absences,
    account,
    admin,
    api,
    attachments,
    auth,
    cases,
    cli,
    cooperation,
    governor,
    inbox,
    integrity,
    lexicon,
    notifications,
    processes,
    tasks,
    tenants,
    workbench,
)
from web.common import install
from web.tenants.cli import bodies_group, tenants_group


def register(app: Flask) -> None:
    """Attach sessions, login, i18n, error pages, blueprints and CLI commands to the app."""
    install(app)
    for blueprint in (auth.bp, inbox.bp, cases.bp, tasks.bp, api.bp, admin.bp, absences.bp, processes.bp,
                      lexicon.bp, attachments.bp, notifications.bp, governor.bp, integrity.bp, account.bp,
                      workbench.bp, tenants.bp, cooperation.bp):
        app.register_blueprint(blueprint)
    cli.register(app)
    app.cli.add_command(tenants_group())
    app.cli.add_command(bodies_group())
    if smtp_settings(app.config):  # notifications then also queue e-mail for people with an address
        app.extensions["otklik.sessions"].configure(info={MAIL_ENABLED: True})
