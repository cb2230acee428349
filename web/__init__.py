"""Flask blueprints by role; thin views that parse input, call one service and render."""

from __future__ import annotations

from flask import Flask

from web import absences, admin, api, auth, cases, cli, inbox, processes, tasks
from web.common import install


def register(app: Flask) -> None:
    """Attach sessions, login, i18n, error pages, blueprints and CLI commands to the app."""
    install(app)
    for blueprint in (auth.bp, inbox.bp, cases.bp, tasks.bp, api.bp, admin.bp, absences.bp, processes.bp):
        app.register_blueprint(blueprint)
    cli.register(app)
