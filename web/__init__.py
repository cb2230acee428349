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
    dashboard,
    deadlines,
    governor,
    inbox,
    integrity,
    lexicon,
    networks,
    notifications,
    processes,
    reply_templates,
    reports,
    tasks,
    tenants,
    workbench,
)
from web import (
    register as register_page,
)
from web.calendar_cli import calendar_group
from web.common import install
from web.library_text import install as install_library_text
from web.tenants.cli import bodies_group, tenants_group


def register(app: Flask) -> None:
    """Attach sessions, login, i18n, error pages, blueprints and CLI commands to the app."""
    install(app)
    install_library_text(app)
    for blueprint in (auth.bp, inbox.bp, cases.bp, tasks.bp, api.bp, admin.bp, absences.bp, processes.bp,
                      lexicon.bp, attachments.bp, notifications.bp, governor.bp, integrity.bp, account.bp,
                      workbench.bp, deadlines.bp, networks.bp, networks.api_bp, register_page.bp, dashboard.bp,
                      tenants.bp, reports.bp, reports.api_bp, cooperation.bp, reply_templates.bp):
        app.register_blueprint(blueprint)
    app.cli.add_command(calendar_group())
    app.cli.add_command(tenants_group())
    app.cli.add_command(bodies_group())
    cli.register(app)  # last: it guards every command against a database without a schema
    if smtp_settings(app.config):  # notifications then also queue e-mail for people with an address
        app.extensions["otklik.sessions"].configure(info={MAIL_ENABLED: True})
