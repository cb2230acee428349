"""The command line contract other tools rely on: init-db, users, bodies, calendar."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app import create_app


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_init_db_is_idempotent(app: Flask) -> None:
    for _ in range(2):
        code, out = run(app, "init-db")
        assert code == 0 and "База данных готова" in out, out


def test_users_create_and_refusals(app: Flask) -> None:
    code, out = run(app, "users", "create", "--username", "cli.exec", "--password", "secret-pass", "--role",
                    "executor", "--body", "kdh")
    assert code == 0 and "cli.exec" in out
    code, out = run(app, "users", "create", "--username", "cli.exec", "--password", "secret-pass", "--role",
                    "executor", "--body", "kdh")
    assert code == 2 and "уже есть" in out
    code, out = run(app, "users", "create", "--username", "cli.x", "--password", "secret-pass", "--role", "executor")
    assert code == 2 and "укажите орган" in out
    code, out = run(app, "users", "create", "--username", "cli.y", "--password", "secret-pass", "--role", "boss")
    assert code == 2 and "Роль одна из" in out


def test_bodies_list_code_first(app: Flask) -> None:
    code, out = run(app, "bodies", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) >= 7
    assert {line.split("\t")[0] for line in lines} >= {"uip", "kdh", "kgkh", "kzdrav", "kobr", "ktrans", "ksoc"}


@pytest.mark.parametrize(("args", "expected"), [
    (["--start", "2026-03-06T12:00+03:00", "--hours", "9"], "2026-03-10T14:36:00+03:00"),  # 9 March is a holiday
    (["--start", "2026-03-06T12:00+03:00", "--minutes", "30"], "2026-03-06T12:30:00+03:00"),
    (["--start", "2026-11-24T12:45+03:00", "--hours", "0.5"], "2026-11-24T14:03:00+03:00"),  # over lunch 13:00-13:48
    (["--start", "2026-03-06T12:00+03:00", "--days", "7"], "2026-03-18T18:00:00+03:00"),
    (["--start", "2026-03-06T12:00+03:00", "--hours", "9", "--body", "kgkh"], "2026-03-10T14:36:00+03:00"),
])
def test_calendar_due(app: Flask, args: list[str], expected: str) -> None:
    code, out = run(app, "calendar", "due", *args)
    assert (code, out.strip()) == (0, expected)


@pytest.mark.parametrize(("args", "message"), [
    (["--start", "2026-03-06T12:00+03:00", "--hours", "-5"], "от 0 до 10000 ч"),
    (["--start", "2031-03-06T12:00+03:00", "--hours", "5"], "Нет данных производственного календаря на 2031 год"),
    (["--start", "2026-03-06T12:00+03:00", "--hours", "5", "--body", "nope"], "Органа с кодом «nope» нет"),
    (["--start", "2026-03-06T12:00", "--hours", "5"], "укажите смещение часового пояса"),
    (["--start", "2026-03-06T12:00+03:00"], "Укажите срок"),
])
def test_calendar_due_refuses_bad_input(app: Flask, args: list[str], message: str) -> None:
    code, out = run(app, "calendar", "due", *args)
    assert code != 0 and message in out, out


def test_calendar_between_and_show(app: Flask) -> None:
    assert run(app, "calendar", "between", "2026-03-06T12:00+03:00", "2026-03-10T14:36+03:00") == (0, "9:00\n")
    code, out = run(app, "calendar", "show", "2026")
    assert code == 0
    assert "09.03.2026 нерабочий" in out and "30.04.2026 сокращённый" in out
    code, out = run(app, "calendar", "show", "2030")
    assert code == 2 and "2030" in out


def test_commands_before_init_db_say_what_to_run_first(tmp_path: Path) -> None:
    """Issue 14, defect 8: on an empty database every command but init-db answers in Russian, without a traceback."""
    empty = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "TESTING": True,
                        "SECRET_KEY": "test-secret-key-of-sufficient-length-123", "OTKLIK_SCHEDULER": False})
    try:
        for args in (["calendar", "due", "--start", "2026-11-24T10:00+03:00", "--hours", "0.5"], ["bodies", "list"],
                     ["cases", "check"], ["processes", "versions"], ["calendar", "show", "2026"],
                     ["users", "create", "--username", "a", "--password", "secret-pass", "--role", "admin"]):
            code, out = run(empty, *args)
            assert code == 2 and "Сначала выполните: flask --app app init-db" in out, (args, out)
            assert "Traceback" not in out
        code, out = run(empty, "init-db")
        assert code == 0 and "База данных готова" in out
        assert run(empty, "calendar", "due", "--start", "2026-11-24T10:00+03:00", "--hours", "0.5") == \
            (0, "2026-11-24T10:30:00+03:00\n")
    finally:
        empty.extensions["otklik.engine"].dispose()
