"""The process library's command line contract: validate, publish, versions, export and import."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from engine.clock import FixedClock
from models import ProcessVersion
from services.library.versions import publish
from tests.engine.test_validation import BAD_INPUTS, REGIONAL, changed
from tests.test_cli import run

INTERIM_7 = '"after_interim": {"value": 7, "unit": "days"'
INTERIM_5 = '"after_interim": {"value": 5, "unit": "days"'
PROCESSES = ("body_part", "case_148rg", "governor_post", "reply_publication")


def write_library(directory: Path, files: dict[str, str]) -> Path:
    """A library folder laid out like the product's: diagrams and parameters in bpmn/, forms in forms/."""
    for name, text in files.items():
        folder = directory / ("forms" if name.endswith(".json") and name != "parameters.json" else "bpmn")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return directory


def restore_regional(app: Flask) -> None:
    """Make the regional library current again (a test may have published another)."""
    session = app.extensions["otklik.sessions"]()
    publish(session=session, clock=app.config["CLOCK"], files=REGIONAL, comment="Восстановлено после теста",
            author=None)
    session.commit()
    session.close()


@pytest.fixture(autouse=True)
def _regional_after(app: Flask) -> Iterator[None]:
    yield
    restore_regional(app)


def current_numbers(app: Flask) -> dict[str, int]:
    code, out = run(app, "processes", "versions")
    assert code == 0, out
    return {line.split("\t")[0]: int(line.split("\t")[1][1:]) for line in out.splitlines() if line.endswith("\t*")}


def test_validate_accepts_the_regional_library_in_subfolders(app: Flask, tmp_path: Path) -> None:
    code, out = run(app, "processes", "validate", str(write_library(tmp_path, REGIONAL)))
    assert code == 0, out
    assert out.strip() == "Можно публиковать: " + ", ".join(PROCESSES)


@pytest.mark.parametrize(("files", "file", "element_id", "fragments"), BAD_INPUTS)
def test_validate_names_each_problem_with_its_file_and_element(app: Flask, tmp_path: Path, files: dict[str, str],
                                                               file: str, element_id: str | None,
                                                               fragments: list[str]) -> None:
    code, out = run(app, "processes", "validate", str(write_library(tmp_path, files)))
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{file}:") and f": {element_id or '—'}: " in first, out
    assert all(fragment in first for fragment in fragments), first


def test_publish_makes_new_versions_current_and_lists_them(app: Flask, clock: FixedClock, tmp_path: Path) -> None:
    before = current_numbers(app)
    folder = write_library(tmp_path, changed("parameters.json", INTERIM_7, INTERIM_5))
    code, out = run(app, "processes", "publish", str(folder), "--comment", "Промежуточный ответ: 5 рабочих дней")
    assert code == 0, out
    assert out.splitlines() == [f"{pid} v{before[pid] + 1}" for pid in PROCESSES]  # parameters belong to each
    code, out = run(app, "processes", "versions", "case_148rg")
    lines = out.splitlines()
    assert code == 0 and len(lines) == before["case_148rg"] + 1
    assert lines[-1] == f"v{before['case_148rg'] + 1}\t24.11.2026 10:00\tcli\tПромежуточный ответ: 5 рабочих дней\t*"
    assert sum(line.endswith("\t*") for line in lines) == 1
    code, out = run(app, "processes", "publish", str(folder), "--comment", "Ещё раз")
    assert out.splitlines() == [f"{pid} v{before[pid] + 1} (без изменений)" for pid in PROCESSES]
    assert run(app, "init-db")[0] == 0  # the shipped library is known: init-db does not undo a publication
    assert current_numbers(app) == {pid: before[pid] + 1 for pid in PROCESSES}


@pytest.mark.parametrize("bad", [p.values[0] for p in BAD_INPUTS[:8]], ids=[p.id for p in BAD_INPUTS[:8]])
def test_publish_refuses_a_bad_library_and_changes_nothing(app: Flask, tmp_path: Path, bad: dict[str, str]) -> None:
    before = run(app, "processes", "versions")
    code, out = run(app, "processes", "publish", str(write_library(tmp_path, bad)), "--comment", "Не пройдёт")
    assert code == 1 and out.strip(), out
    _, expected = run(app, "processes", "validate", str(tmp_path))
    assert out == expected  # the same problem lines
    assert run(app, "processes", "versions") == before


def test_a_failure_half_way_leaves_the_previous_versions_current(app: Flask, tmp_path: Path) -> None:
    before = run(app, "processes", "versions")
    inserted: list[str] = []

    def fail_on_the_second(mapper: object, connection: object, version: ProcessVersion) -> None:
        inserted.append(version.process_id)
        if len(inserted) == 2:
            raise OperationalError("INSERT INTO process_version", {}, Exception("диск заполнен"))

    event.listen(ProcessVersion, "before_insert", fail_on_the_second)
    try:
        code, out = run(app, "processes", "publish",
                        str(write_library(tmp_path, changed("parameters.json", INTERIM_7, INTERIM_5))),
                        "--comment", "Сбой посередине")
    finally:
        event.remove(ProcessVersion, "before_insert", fail_on_the_second)
    assert code == 2 and "публикация не удалась, текущие версии не изменились" in out
    assert inserted == ["body_part", "case_148rg"]  # the first process's version was written, then rolled back
    assert run(app, "processes", "versions") == before


def test_export_and_import_a_version_through_the_same_validation(app: Flask, tmp_path: Path) -> None:
    first = tmp_path / "v1.zip"
    code, out = run(app, "processes", "export", "case_148rg", "--version", "1", "--output", str(first))
    assert (code, out.strip()) == (0, f"case_148rg-v1 -> {first}")
    names = zipfile.ZipFile(first).namelist()
    assert {"case.bpmn", "body_part.bpmn", "parameters.json", "triage.schema.json"} <= set(names)
    assert "governor_post.bpmn" not in names
    assert run(app, "processes", "publish", str(write_library(tmp_path / "five", changed(
        "parameters.json", INTERIM_7, INTERIM_5))), "--comment", "5 дней")[0] == 0
    before = current_numbers(app)
    code, out = run(app, "processes", "import", str(first), "--comment", "Как в v1")
    called = ("body_part", "case_148rg", "reply_publication")
    assert (code, out.splitlines()) == (0, [f"{pid} v{before[pid] + 1}" for pid in called])
    current = tmp_path / "current.zip"
    assert run(app, "processes", "export", "case_148rg", "--output", str(current))[0] == 0
    with zipfile.ZipFile(first) as old, zipfile.ZipFile(current) as new:
        assert {n: old.read(n) for n in old.namelist()} == {n: new.read(n) for n in new.namelist()}
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(first) as source, zipfile.ZipFile(broken, "w") as target:
        for name in source.namelist():
            text = source.read(name).decode()
            target.writestr(f"library/{name}", text.replace("deadline(\"approval\")", "\"PT1H\""))
    code, out = run(app, "processes", "import", str(broken), "--comment", "Срок числом")
    assert code == 1 and out.startswith("reply_publication.bpmn:") and "approval_overdue" in out
    code, out = run(app, "processes", "export", "case_148rg", "--version", "99", "--output", str(tmp_path / "x.zip"))
    assert code == 2 and "Версии процесса «case_148rg» v99 нет" in out


def test_versions_of_an_unknown_process_and_a_missing_comment(app: Flask, tmp_path: Path) -> None:
    code, out = run(app, "processes", "versions", "nope")
    assert code == 2 and "Процесса «nope» нет в библиотеке" in out
    code, out = run(app, "processes", "publish", str(write_library(tmp_path, REGIONAL)), "--comment", "  ")
    assert code == 2 and "Укажите комментарий" in out
