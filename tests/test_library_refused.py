"""Issue 14, defect 9: a broken diagram file in the shipped library does not stop the app from starting."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from engine.texts import Text
from models import Notification, ProcessVersion, User
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[1]


def broken_library(tmp_path: Path) -> list[Path]:
    """The shipped library with a case diagram that is not even XML."""
    for folder in ("bpmn", "forms"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "bpmn" / "case.bpmn").write_text("<bpmn:definitions", encoding="utf-8")
    return [tmp_path / "bpmn", tmp_path / "forms"]


def test_init_db_keeps_the_last_good_version_and_says_so_loudly(app: Flask, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    sessions = app.extensions["otklik.sessions"]
    with sessions() as session:
        current = session.scalars(select(ProcessVersion.id).where(ProcessVersion.is_current)).all()
        before = session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
    app.config["OTKLIK_LIBRARY"] = broken_library(tmp_path)
    try:
        with caplog.at_level(logging.ERROR, logger="otklik.library"):
            result = app.test_cli_runner().invoke(args=["init-db"])
    finally:
        app.config["OTKLIK_LIBRARY"] = []
    assert result.exit_code == 0 and "База данных готова" in result.output, result.output
    assert "библиотека процессов" in caplog.text and "case.bpmn" in caplog.text
    with sessions() as session:
        assert session.scalars(select(ProcessVersion.id).where(ProcessVersion.is_current)).all() == current
        told = [(role, str(Text.restored(text, params))) for role, text, params in session.execute(
            select(User.role, Notification.text, Notification.params).join(User, User.id == Notification.user_id)
            .where(Notification.id > before, Notification.kind == "library_refused"))]
    assert {role for role, _ in told} == {"admin", "methodologist"}
    assert all("case.bpmn" in text and "последних проверенных версиях" in text for _, text in told)
    page = login(app, "methodologist").get("/notifications/").get_data(as_text=True)
    assert "Файлы процессов отклонены" in page and "case.bpmn" in page
    assert login(app, "curator").get("/inbox").status_code == 200  # cases still run on the last good version


def test_a_fresh_install_on_a_broken_library_refuses_with_the_problems(tmp_path: Path) -> None:
    empty = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "TESTING": True,
                        "SECRET_KEY": "test-secret-key-of-sufficient-length-123", "OTKLIK_SCHEDULER": False,
                        "OTKLIK_LIBRARY": broken_library(tmp_path)})
    try:
        result = empty.test_cli_runner().invoke(args=["init-db"])
    finally:
        empty.extensions["otklik.engine"].dispose()
    assert result.exit_code == 2 and "case.bpmn" in result.output and "Traceback" not in result.output
