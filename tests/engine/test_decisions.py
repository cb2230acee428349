"""Decision tables evaluated by the expression language: matching cells, hit policies, refused FEEL and Python."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from engine.decisions import DecisionError, check_table, load_table

ROOT = Path(__file__).resolve().parents[2]


def table(rules: list[tuple[str, str, str]], policy: str = "FIRST", extra: str = "") -> str:
    """A table of (theme cell, location cell, body cell) rules over the inputs theme and location."""
    rows = "".join(
        f'<rule id="r{n}"><inputEntry id="r{n}_theme"><text>{escape(theme)}</text></inputEntry>'
        f'<inputEntry id="r{n}_location"><text>{escape(location)}</text></inputEntry>'
        f'<outputEntry id="r{n}_body"><text>{escape(body)}</text></outputEntry></rule>'
        for n, (theme, location, body) in enumerate(rules, start=1))
    return ('<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">'
            f'<decision id="bodies" name="Органы"><decisionTable id="t" hitPolicy="{policy}"{extra}>'
            '<input id="i_theme" label="Тема"><inputExpression id="e1"><text>theme</text></inputExpression></input>'
            '<input id="i_location" label="Локация"><inputExpression id="e2"><text>location</text></inputExpression>'
            '</input><output id="o_body" label="Орган" name="body"/>'
            f'{rows}</decisionTable></decision></definitions>')


@pytest.mark.parametrize(("cell", "theme", "matches"), [
    ("-", "snow", True), ("", None, True),
    ('"snow"', "snow", True), ('"snow"', "water", False), ("'snow'", "snow", True),
    ('!= "snow"', "water", True), ('!= "snow"', "snow", False),
    ('in ("snow", "road_repair")', "road_repair", True), ('in ("snow", "road_repair")', "water", False),
    ('not in ("snow",)', "snow", False), ('not in ("snow",)', "water", True),
    ('? in ("snow", "x?y")', "snow", True), ('len(?) > 4', "water", True), ('len(?) > 4', "snow", False),
    ('"a?b"', "a?b", True),  # a question mark inside a string is a character, not the input
    ("5", 5, True), ("5", "5", False), ("< 10", 7, True), ("1 <= ? <= 10", 11, False),
])
def test_a_cell_matches_as_written(cell: str, theme: object, matches: bool) -> None:
    decided = load_table(table([(cell, "-", '"kdh"')])).decide({"theme": theme, "location": "luzhsky"})
    assert decided == ([{"body": "kdh"}] if matches else [])


def test_first_gives_the_first_match_collect_every_one_and_unique_refuses_two() -> None:
    rules = [('"lighting"', "-", '"kgkh"'), ('"lighting"', 'in ("vsevolozhsky", "tosnensky")', '"kdh"'),
             ("-", "-", "")]
    data = {"theme": "lighting", "location": "vsevolozhsky"}
    assert load_table(table(rules)).decide(data) == [{"body": "kgkh"}]
    assert load_table(table(rules, "COLLECT")).decide(data) == [{"body": "kgkh"}, {"body": "kdh"}, {"body": None}]
    assert load_table(table(rules, "COLLECT")).decide({**data, "location": "luzhsky"}) == [
        {"body": "kgkh"}, {"body": None}]
    with pytest.raises(DecisionError, match="подходят сразу несколько правил: 1, 2, 3"):
        load_table(table(rules, "UNIQUE")).decide(data)
    assert load_table(table(rules[1:2], "UNIQUE")).decide({**data, "location": "luzhsky"}) == []


def test_outputs_are_expressions_over_the_inputs_and_failures_name_the_rule() -> None:
    decided = load_table(table([("-", "-", '["kdh", "kgkh"] if location == "luzhsky" else theme')]))
    assert decided.decide({"theme": "snow", "location": "luzhsky"}) == [{"body": ["kdh", "kgkh"]}]
    assert decided.decide({"theme": "snow", "location": "tosnensky"}) == [{"body": "snow"}]
    with pytest.raises(DecisionError, match="входное выражение: неизвестное имя «location»"):
        decided.decide({"theme": "snow"})
    with pytest.raises(DecisionError, match="правило 1: недопустимые типы"):
        load_table(table([("< 10", "-", '"x"')])).decide({"theme": "snow", "location": None})


@pytest.mark.parametrize(("cell", "column", "message"), [
    ('"snow","water"', "theme", 'перечисление через запятую — запись FEEL; пишите in ("snow","water")'),
    ('not("snow")', "theme", "not(…) — отрицание FEEL"),
    ("[1..10]", "theme", "диапазон [a..b] — запись FEEL; пишите 1 <= ? <= 10"),
    ("true", "theme", "«true» — запись FEEL; пишите True"),
    ('date("2026-01-01")', "theme", "функции дат FEEL"),
    ("snow", "theme", 'неизвестное имя «snow»: ячейка видит только входы таблицы; строку пишите в кавычках: "snow"'),
    ('__import__("os")', "theme", "двойным подчёркиванием"),
    ("?.upper()", "theme", "обращение к атрибутам запрещено"),
    ("null", "body", "«null» — запись FEEL; пишите None"),
    ('"a" +', "body", "синтаксическая ошибка"),
    ('open("/etc/passwd")', "body", "неизвестное имя «open»"),
])
def test_feel_and_python_are_refused_at_the_cell(cell: str, column: str, message: str) -> None:
    cells = {"theme": "-", "location": "-", "body": '"kdh"', column: cell}
    problems = check_table(table([('"snow"', "-", '"kdh"'), (cells["theme"], cells["location"], cells["body"])]))
    assert [(p.element_id, p.line) for p in problems] == [(f"r2_{column}", 1)]
    label = {"theme": "Тема", "body": "Орган"}[column]
    assert problems[0].message.startswith(f"правило 2 (r2), «{label}»: ") and message in problems[0].message
    with pytest.raises(DecisionError, match="не прошла проверку"):
        load_table(table([(cells["theme"], cells["location"], cells["body"])]))


@pytest.mark.parametrize(("change", "element_id", "message"), [
    (("hitPolicy=\"FIRST\"", "hitPolicy=\"ANY\""), "t", "политика попаданий «ANY» не поддерживается"),
    (("hitPolicy=\"FIRST\"", "hitPolicy=\"COLLECT\" aggregation=\"SUM\""), "t", "агрегирование COLLECT SUM"),
    ((' name="body"', ""), "o_body", "у выхода «Орган» нет имени"),
    (("<text>theme</text>", "<text></text>"), "i_theme", "входное выражение «Тема»: пустое выражение"),
    (('<inputEntry id="r1_location"><text>-</text></inputEntry>', ""), "r1", "число ячеек не совпадает"),
    (("</decision>", '</decision><decision id="more"><decisionTable id="t2"/></decision>'), "d", "ровно одно"),
])
def test_the_table_itself_is_checked(change: tuple[str, str], element_id: str, message: str) -> None:
    text = table([('"snow"', "-", '"kdh"')])
    assert change[0] in text
    problems = check_table(text.replace(*change))
    assert [p.element_id for p in problems] == [element_id] and message in problems[0].message


def test_the_regional_table_answers_the_competent_bodies() -> None:
    regional = load_table((ROOT / "bpmn" / "competent_body.dmn").read_text(encoding="utf-8"))
    assert regional.hit_policy == "COLLECT" and regional.outputs == ("body",)
    assert regional.decide({"theme": "snow", "location": "luzhsky"}) == [{"body": "kdh"}]
    assert regional.decide({"theme": "lighting", "location": "vsevolozhsky"}) == [{"body": "kgkh"}, {"body": "kdh"}]
    assert regional.decide({"theme": None, "location": None}) == []
