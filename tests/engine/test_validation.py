"""Validation of a whole library: the regional one passes; copies of it with one change each are refused with the
file, the element and a Russian message; the load path refuses exactly the same libraries."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.parser import LibraryError, load_bundle, parse_bundle, read_library
from engine.validation import Problem, check_library

ROOT = Path(__file__).resolve().parents[2]
REGIONAL = read_library([ROOT / "bpmn", ROOT / "forms"])
DEADLINE = '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">deadline("approval")</bpmn:timeDate>'
TRIAGE_FORM = '<spiffworkflow:property name="formJsonSchemaFilename" value="triage.schema.json"/>'
REASSIGN = 'draft_outcome == "not_competent" and count("reassign") &lt; limit("reassignments")'
TABLE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="bodies" name="Органы" namespace="http://otklik">
  <decision id="body_by_theme" name="Орган по теме">
    <decisionTable id="table" hitPolicy="FIRST">
      <input id="theme_input" label="Тема">
        <inputExpression id="theme_expr" typeRef="string"><text>theme</text></inputExpression>
      </input>
      <output id="body_output" name="body" typeRef="string"/>
      <rule id="roads"><inputEntry id="roads_in"><text>"roads"</text></inputEntry>
        <outputEntry id="roads_out"><text>"kdh"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


def changed(name: str, old: str, new: str, files: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the regional library with one replacement in one file."""
    library = dict(files or REGIONAL)
    assert old in library[name], f"{old!r} is not in {name}"
    library[name] = library[name].replace(old, new, 1)
    return library


def test_the_regional_library_passes_and_each_process_freezes_its_own_files() -> None:
    library = check_library(REGIONAL)
    assert library.problems == ()
    assert sorted(library.processes) == ["body_part", "case_148rg", "governor_post", "reply_publication"]
    assert library.processes["governor_post"] == {"governor_post.bpmn", "monitoring.schema.json", "parameters.json",
                                                  "competent_body.dmn"}
    case = library.processes["case_148rg"]
    assert {"case.bpmn", "body_part.bpmn", "reply_publication.bpmn", "triage.schema.json", "approval.schema.json",
            "parameters.json"} <= case and "governor_post.bpmn" not in case and "monitoring.schema.json" not in case


BAD_INPUTS = [
    pytest.param(changed("case.bpmn", "</bpmn:definitions>", ""), "case.bpmn", None,
                 ["не является корректным XML", "строка"], id="broken-xml"),
    pytest.param(changed("case.bpmn", TRIAGE_FORM, TRIAGE_FORM + "</spiffworkflow:properties>"
                         "<spiffworkflow:preScript>import os</spiffworkflow:preScript><spiffworkflow:properties>"),
                 "case.bpmn", "triage", ["сценарии на Python"], id="python-script"),
    pytest.param(changed("reply_publication.bpmn", DEADLINE, DEADLINE.replace('deadline("approval")', '"PT1H"')),
                 "reply_publication.bpmn", "approval_overdue", ["задан числом", "параметром"], id="literal-timer"),
    pytest.param(changed("case.bpmn", "turn &lt; len(bodies)", "__import__('os').system('id')"),
                 "case.bpmn", "f_next_body", ["условие перехода"], id="condition-outside-the-language"),
    pytest.param(changed("case.bpmn", TRIAGE_FORM, ""), "case.bpmn", "triage", ["нет формы"], id="task-without-form"),
    pytest.param(changed("case.bpmn", TRIAGE_FORM, TRIAGE_FORM.replace("triage.schema", "nowhere.schema")),
                 "case.bpmn", "triage", ["«nowhere.schema.json» нет"], id="form-file-missing"),
    pytest.param(changed("case.bpmn", '<spiffworkflow:property name="role" value="curator"/>', ""),
                 "case.bpmn", "triage", ["не указана роль"], id="task-without-role"),
    pytest.param(changed("case.bpmn", REASSIGN, 'draft_outcome == "not_competent"'), "case.bpmn", "draft",
                 ["цикл без предела", "reassign"], id="unbounded-loop"),
    pytest.param(changed("approval.schema.json", '"required": ["approval_decision"]', '"required": "yes"'),
                 "approval.schema.json", None, ["JSON Schema (Draft 7)", "/required"], id="form-not-json-schema"),
    pytest.param(changed("approval.schema.json", '"type": "object"', '"type": "objet"'),
                 "approval.schema.json", None, ["JSON Schema (Draft 7)", "/type"], id="form-bad-type"),
    pytest.param(changed("triage.schema.json", "{", "{,"), "triage.schema.json", None,
                 ["не является корректным JSON", "строка 1"], id="form-not-json"),
    pytest.param(changed("reply_publication.bpmn", DEADLINE, DEADLINE.replace("approval", "approvl")),
                 "reply_publication.bpmn", "approval_overdue", ["срок «approvl» не задан в parameters.json"],
                 id="deadline-not-in-parameters"),
    pytest.param(changed("parameters.json", '"value": 1, "unit": "hours", "clause": "8.5"',
                         '"value": 1, "unit": "weeks", "clause": "8.5"'),
                 "parameters.json", "approval", ["срок «approval»", "weeks"], id="bad-parameter"),
    pytest.param(changed("case.bpmn", '<bpmn:userTask id="triage" name=', '<bpmn:userTask id="triage" colour="red" '
                                                                         'name='),
                 "case.bpmn", "triage", ["схеме BPMN", "атрибут «colour» не допускается"], id="schema"),
    pytest.param(changed("competent_body.dmn", '<text>"lighting"</text>', "<text>lighting</text>"),
                 "competent_body.dmn", "rule_lighting_theme", ["правило 3 (rule_lighting), «Тема»",
                                                               "неизвестное имя «lighting»"], id="table-cell-name"),
    pytest.param(changed("competent_body.dmn", 'in ("road_repair", "snow")', '"road_repair","snow"'),
                 "competent_body.dmn", "rule_roads_theme", ["запись FEEL"], id="table-cell-feel"),
]


@pytest.mark.parametrize(("files", "file", "element_id", "fragments"), BAD_INPUTS)
def test_each_bad_input_is_named_with_its_file_and_element(files: dict[str, str], file: str, element_id: str | None,
                                                           fragments: list[str]) -> None:
    problems = check_library(files).problems
    assert problems, "refused"
    problem = problems[0]
    assert (problem.file, problem.element_id) == (file, element_id), problems
    for fragment in fragments:
        assert fragment in problem.message, problem
    assert all(p.file == file for p in problems), problems


@pytest.mark.parametrize(("files", "file", "element_id", "fragments"), BAD_INPUTS)
def test_the_load_path_refuses_what_validation_refuses(files: dict[str, str], file: str, element_id: str | None,
                                                       fragments: list[str]) -> None:
    with pytest.raises(LibraryError, match=fragments[0].replace("(", r"\(").replace(")", r"\)")):
        parse_bundle(files, "case_148rg" if file != "parameters.json" else "governor_post")


def test_every_problem_is_listed_not_only_the_first() -> None:
    files = changed("case.bpmn", TRIAGE_FORM, "")
    files = changed("reply_publication.bpmn", DEADLINE, DEADLINE.replace('deadline("approval")', '"PT1H"'), files)
    files = changed("case.bpmn", '<bpmn:userTask id="triage" name=', '<bpmn:userTask id="triage" a="1" b="2" name=',
                    files)
    files = changed("approval.schema.json", '"type": "object"', '"type": 5', files)
    problems = check_library(files).problems
    where = [(p.file, p.element_id) for p in problems]
    assert where.count(("case.bpmn", "triage")) == 3  # two schema errors and the missing form
    assert ("reply_publication.bpmn", "approval_overdue") in where and ("approval.schema.json", None) in where
    assert all(p.line for p in problems if p.file.endswith(".bpmn"))


def test_a_problem_reads_as_one_line_naming_file_and_element() -> None:
    [problem] = check_library(changed("case.bpmn", TRIAGE_FORM, "")).problems
    assert str(problem) == f"case.bpmn:{problem.line}: triage: у пользовательской задачи нет формы " \
                           "(свойство formJsonSchemaFilename)"
    assert str(Problem("parameters.json", None, "нет")) == "parameters.json: —: нет"


def test_a_library_without_parameters_or_diagrams_is_refused() -> None:
    files = {name: text for name, text in REGIONAL.items() if name != "parameters.json"}
    assert [str(p) for p in check_library(files).problems] == [
        "parameters.json: —: в библиотеке нет файла параметров сроков parameters.json"]
    assert "нет ни одной диаграммы" in str(check_library({"parameters.json": REGIONAL["parameters.json"]}).problems)


def test_a_call_to_a_process_outside_the_library_is_named() -> None:
    files = {name: text for name, text in REGIONAL.items() if name != "body_part.bpmn"}
    problems = check_library(files).problems
    assert [(p.file, p.element_id) for p in problems] == [("case.bpmn", "parts_at_once"), ("case.bpmn", "part_in_turn")]
    assert "«body_part» нет в библиотеке" in problems[0].message


def test_decision_tables_are_parsed_and_frozen_with_every_process() -> None:
    library = check_library({**REGIONAL, "bodies.dmn": TABLE})
    assert library.problems == () and "bodies.dmn" in library.processes["governor_post"]
    problems = check_library({**REGIONAL, "bodies.dmn": TABLE.replace('hitPolicy="FIRST"', 'hitPolicy="SOME"')}
                             ).problems
    assert [(p.file, p.element_id) for p in problems] == [("bodies.dmn", "table")]
    assert "не соответствует схеме" in problems[0].message
    assert "корректным XML" in check_library({**REGIONAL, "bodies.dmn": "<definitions"}).problems[0].message


def test_a_stored_version_still_loads_through_the_cache() -> None:
    assert load_bundle(REGIONAL, "case_148rg") is load_bundle(dict(REGIONAL), "case_148rg")
