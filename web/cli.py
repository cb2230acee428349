"""Command line: init-db, users, cases, processes (calendar: web.calendar_cli; tenants and bodies: web.tenants.cli);
each command is one transaction. It speaks Russian, or English when the environment variable OTKLIK_LANG is `en`."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.parser import LibraryError, read_library
from engine.texts import N_, joined, text_of
from engine.validation import check_library
from services.auth import create_user
from services.demo import load_demo
from services.errors import ServiceError
from services.integrity import check_cases, repair_case, stalled_ids, sweep_stalled
from services.language import in_language
from services.library.archive import export_version, import_archive
from services.library.catalog import history
from services.library.versions import LibraryRefused, Published, publish
from services.reports.facts import backfill
from services.setup import load_reference
from web.common import msk

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@contextmanager
def transaction() -> Iterator[Session]:
    session: Session = current_app.extensions["otklik.sessions"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def spoken(text: str) -> str:
    """A text the command line prints, in its language: English when OTKLIK_LANG=en, Russian otherwise."""
    return in_language(text, "en" if os.environ.get("OTKLIK_LANG", "").strip().lower() == "en" else "ru")


def say(text: str, *, err: bool = False) -> None:
    """Print one line (or several) in the command line's language."""
    click.echo(spoken(text), err=err)


def fail(message: str) -> None:
    say(N_("Ошибка: %(message)s", message=message), err=True)
    sys.exit(2)


NO_SCHEMA = N_("база данных ещё не создана. Сначала выполните: flask --app app init-db")
OLD_SCHEMA = N_("схема базы данных устарела. Сначала выполните: flask --app app init-db (она обновит схему)")


def _schema_problem() -> str | None:
    """Why the database cannot serve the commands (no schema, or an older one), None when it is at the head."""
    engine = current_app.extensions["otklik.engine"]
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return NO_SCHEMA
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        return N_("база данных недоступна (%(error)s): проверьте DATABASE_URL", error=exc.__class__.__name__)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return None if current == ScriptDirectory.from_config(config).get_current_head() else OLD_SCHEMA


def _needs_database(callback: Callable[..., Any]) -> Callable[..., Any]:
    """A command that names what to run first when the database has no schema yet, instead of a traceback."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except SQLAlchemyError:
            problem = _schema_problem()
            if problem is None:
                raise
            fail(problem)

    return run


def _guard(group: click.Group) -> None:
    """Guard every command of a group (and of its subgroups) but init-db, which creates the schema."""
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            _guard(cmd)
        elif name != "init-db" and cmd.callback is not None:
            cmd.callback = _needs_database(cmd.callback)


def migrate(url: str) -> None:
    """Create or upgrade the schema to the latest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def register(app: Flask) -> None:
    """Attach the command groups to the app."""

    @app.cli.command("init-db")
    @click.option("--demo", is_flag=True, help="Also load demo people and messages (first time only).")
    def init_db(demo: bool) -> None:
        """Create or upgrade the schema and load the process library and reference lists."""
        migrate(app.config["DATABASE_URL"])
        clock = app.config["CLOCK"]
        try:
            with transaction() as session:
                load_reference(session=session, clock=clock, library=app.config["OTKLIK_LIBRARY"] or None)
        except LibraryRefused as exc:  # a fresh install has no earlier version to start on
            for problem in exc.problems:
                say(problem.described(), err=True)
            fail(exc.message)
        say(N_("База данных готова."))
        if demo:
            with transaction() as session:
                logins = load_demo(session=session, clock=clock, process_id=app.config["OTKLIK_PROCESS"])
            say(N_("Демо-входы (логин / пароль / роль):"))
            for username, password, role in logins:
                click.echo(f"  {username:<20} {password}  {role}")

    users = AppGroup("users", help="People and their roles.")

    @users.command("create")
    @click.option("--username", required=True)
    @click.option("--password", required=True)
    @click.option("--role", required=True)
    @click.option("--body", default=None, help="Body code (flask --app app bodies list).")
    @click.option("--full-name", default="")
    @click.option("--email", default="")
    @click.option("--tenant", default=None, help="Tenant code (default: the oblast; flask --app app tenants list).")
    def users_create(username: str, password: str, role: str, body: str | None, full_name: str, email: str,
                     tenant: str | None) -> None:
        """Create a person."""
        try:
            with transaction() as session:
                user = create_user(session=session, username=username, password=password, role=role,
                                   body_code=body, full_name=full_name, email=email, tenant_code=tenant)
                say(N_("Создан пользователь %(username)s (%(role)s)", username=user.username, role=user.role))
        except ServiceError as exc:
            fail(joined([exc.message, *exc.fields.values()]))

    app.cli.add_command(users)

    app.cli.add_command(_cases_group())
    app.cli.add_command(_processes_group())
    app.cli.add_command(_reports_group())
    _guard(app.cli)


def _cases_group() -> AppGroup:
    group = AppGroup("cases", help="Open cases: check them against their workflows, repair stalled ones.")

    @group.command("check")
    def check() -> None:
        """Restore every open case's workflow and compare it with its inbox rows, timers and history; exit 1 and one
        problem a line when any disagrees or a case is stalled."""
        with transaction() as session:
            problems = 0
            for problem in check_cases(session=session, clock=current_app.config["CLOCK"]):
                say(problem)
                problems += 1
            session.rollback()  # a check changes nothing
        if problems:
            sys.exit(1)
        say(N_("Открытые случаи согласованы со своими процессами"))

    @group.command("repair")
    @click.argument("case_ids", nargs=-1, type=int)
    @click.option("--all", "every", is_flag=True, help="Every open case found stalled.")
    def repair(case_ids: tuple[int, ...], every: bool) -> None:
        """Move stalled cases on: merge loop instances that finished unmerged and run the engine on."""
        if every:
            with transaction() as session:
                found = sweep_stalled(sessions=current_app.extensions["otklik.sessions"],
                                      clock=current_app.config["CLOCK"])
                case_ids = (*case_ids, *stalled_ids(session=session))
            say(N_("Найдено остановившихся случаев: %(found)s новых, %(total)s всего", found=found,
                   total=len(case_ids)))
        stuck = 0
        for case_id in dict.fromkeys(case_ids):
            try:
                with transaction() as session:
                    done = repair_case(session=session, case_id=case_id, clock=current_app.config["CLOCK"])
            except ServiceError as exc:
                say(N_("случай %(case)s: %(outcome)s", case=case_id, outcome=exc.message))
                stuck += 1
                continue
            stuck += done.still_stalled
            outcome = N_("по-прежнему стоит") if done.still_stalled else \
                N_("открыты задачи: %(steps)s", steps=", ".join(done.opened)) if done.opened else \
                N_("ждёт своих сроков")
            say(N_("случай %(case)s: %(outcome)s", case=case_id, outcome=outcome))
        if stuck:
            sys.exit(1)

    return group


def _reports_group() -> AppGroup:
    group = AppGroup("reports", help="Reports: the facts they are built on.")

    @group.command("backfill")
    def backfill_facts() -> None:
        """Compute the report facts of cases that have none (cases older than the facts) from their history."""
        with transaction() as session:
            done = backfill(session=session)
        say(N_("Факты отчётов записаны, случаев: %(count)s", count=done))

    return group


def _processes_group() -> AppGroup:
    group = AppGroup("processes", help="The process library: check, publish, list, export and import versions.")

    def read(directory: Path) -> dict[str, str]:
        try:
            return read_library([directory])
        except LibraryError as exc:
            say(text_of(exc))
            sys.exit(1)

    def publish_with(act: Callable[[Session], list[Published]]) -> None:
        """Publish in one transaction: every problem one a line and exit 1, or one line per process."""
        try:
            with transaction() as session:
                published = act(session)
        except LibraryRefused as exc:
            for problem in exc.problems:
                say(problem.described())
            sys.exit(1)
        except ServiceError as exc:
            fail(exc.message)
        except SQLAlchemyError as exc:
            fail(N_("публикация не удалась, текущие версии не изменились (%(error)s)", error=type(exc).__name__))
        for item in published:
            say(f"{item.process_id} v{item.number}" if item.created else
                N_("%(process)s v%(number)s (без изменений)", process=item.process_id, number=item.number))

    @group.command("validate")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
    def validate(directory: Path) -> None:
        """Check a library folder (and its subfolders) exactly as publishing would; exit 1 and one problem a line."""
        library = check_library(read(directory))
        for problem in library.problems:
            say(problem.described())
        if library.problems:
            sys.exit(1)
        say(N_("Можно публиковать: %(processes)s", processes=", ".join(sorted(library.processes))))

    @group.command("publish")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--comment", required=True, help="What changed and why.")
    def publish_folder(directory: Path, comment: str) -> None:
        """Publish a library folder as the new current version of each of its processes."""
        files = read(directory)
        publish_with(lambda session: publish(session=session, clock=current_app.config["CLOCK"], files=files,
                                             comment=comment, author=None))

    @group.command("versions")
    @click.argument("process_id", required=False)
    def versions(process_id: str | None) -> None:
        """One version a line: vN, date, author or cli, comment, and * on the current one."""
        try:
            with transaction() as session:
                rows = history(session=session, process_id=process_id)
        except ServiceError as exc:
            fail(exc.message)
        for version in rows:
            fields = [f"v{version.number}", msk(version.created_at), version.author.username if version.author
                      else "cli", version.comment, *(["*"] if version.is_current else [])]
            click.echo("\t".join(fields if process_id else [version.process_id, *fields]))

    @group.command("export")
    @click.argument("process_id")
    @click.option("--version", "number", type=int, default=None, help="Version number (default: the current one).")
    @click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
    def export(process_id: str, number: int | None, output: Path) -> None:
        """Write a published version as a zip of its files."""
        try:
            with transaction() as session:
                name, data = export_version(session=session, process_id=process_id, number=number)
        except ServiceError as exc:
            fail(exc.message)
        output.write_bytes(data)
        click.echo(f"{name.removesuffix('.zip')} -> {output}")

    @group.command("import")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--comment", required=True, help="What changed and why.")
    def import_zip(archive: Path, comment: str) -> None:
        """Publish a zip of a library (an exported version) through the same validation."""
        data = archive.read_bytes()
        publish_with(lambda session: import_archive(session=session, clock=current_app.config["CLOCK"], data=data,
                                                    comment=comment, author=None))

    return group
