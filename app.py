"""create_app(config) -> Flask: wiring only."""

from __future__ import annotations

import gc
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from engine.clock import SystemClock
from scheduler import start_in_process
from services.db import make_engine, make_sessionmaker
from web import register


def _settings(instance: Path) -> dict[str, Any]:
    """Settings from the environment, with the embedded defaults."""
    instance.mkdir(parents=True, exist_ok=True)
    secret = os.environ.get("SECRET_KEY")
    if not secret:
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
        secret = key_file.read_text().strip()
    return {
        "SECRET_KEY": secret,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'otklik.db'}"),
        "OTKLIK_SCHEDULER": os.environ.get("OTKLIK_SCHEDULER", "0") == "1",
        "OTKLIK_SCHEDULER_SECONDS": float(os.environ.get("OTKLIK_SCHEDULER_SECONDS", "1")),
        "OTKLIK_STALL_SWEEP_MINUTES": float(os.environ.get("OTKLIK_STALL_SWEEP_MINUTES", "10")),
        "OTKLIK_PROCESS": os.environ.get("OTKLIK_PROCESS", "case_148rg"),
        "OTKLIK_LIBRARY": [Path(p) for p in os.environ.get("OTKLIK_LIBRARY", "").split(",") if p],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("OTKLIK_SECURE_COOKIES", "1") == "1",
        "OTKLIK_PROXIES": int(os.environ.get("OTKLIK_PROXIES", "0")),
        "OTKLIK_TOKEN_DAYS": int(os.environ.get("OTKLIK_TOKEN_DAYS", "30")),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "CLOCK": SystemClock(),
        # E-mail for notifications; none is sent while SMTP_HOST is empty.
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ["SMTP_PORT"]) if os.environ.get("SMTP_PORT") else None,
        "SMTP_FROM": os.environ.get("SMTP_FROM", "otklik@localhost"),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_TLS": os.environ.get("SMTP_TLS", "starttls"),
    }


class _App(Flask):
    """Flask, deciding once per view or hook whether it is async; Flask inspects each one on every request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        sync = self._sync.get(func)
        if sync is None:
            sync = self._sync[func] = super().ensure_sync(func)
        return sync


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings, database, blueprints, CLI and (optionally) the in-process scheduler."""
    app = _App(__name__, instance_path=str(Path(__file__).resolve().parent / "instance"))
    app.config.update(_settings(Path(app.instance_path)))
    app.config.update(config or {})
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["otklik.engine"] = engine
    app.extensions["otklik.sessions"] = make_sessionmaker(engine)
    register(app)
    if app.config["OTKLIK_SCHEDULER"]:
        start_in_process(app)
    # What start-up built (modules, mappers, routes, templates) lives as long as the process: the collector's full
    # passes need not walk it again (one such pass cost a request's worth of CPU).
    gc.freeze()
    return app
