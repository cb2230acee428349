"""A municipal variant carried onto a new regional version: by element id, conflicts listed, forms key by key."""

from __future__ import annotations

import json

from engine.merge import merge_libraries
from engine.validation import check_library
from tests.engine.test_validation import REGIONAL

TRIAGE = 'name="Отбор и классификация сообщения"'
DRAFT = 'name="Подготовка проекта ответа"'


def changed(files: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    assert old in files[name]
    return {**files, name: files[name].replace(old, new, 1)}


def test_the_variants_changes_and_the_regional_ones_are_both_kept() -> None:
    ours = changed(REGIONAL, "case.bpmn", TRIAGE, 'name="Отбор (МО)"')
    theirs = changed(REGIONAL, "case.bpmn", DRAFT, 'name="Проект ответа органа"')
    merged, unmerged = merge_libraries(REGIONAL, ours, theirs)
    assert unmerged == []
    assert 'name="Отбор (МО)"' in merged["case.bpmn"] and 'name="Проект ответа органа"' in merged["case.bpmn"]
    assert not check_library(merged).problems


def test_the_same_element_changed_on_both_sides_keeps_the_variant_and_is_listed() -> None:
    ours = changed(REGIONAL, "case.bpmn", TRIAGE, 'name="Отбор (МО)"')
    theirs = changed(REGIONAL, "case.bpmn", TRIAGE, 'name="Отбор (область)"')
    theirs = changed(theirs, "case.bpmn", DRAFT, 'name="Проект ответа органа"')
    merged, unmerged = merge_libraries(REGIONAL, ours, theirs)
    assert [(u.file, u.element_id) for u in unmerged] == [("case.bpmn", "triage")]
    assert "оставлен вариант" in unmerged[0].reason
    assert 'name="Отбор (МО)"' in merged["case.bpmn"] and 'name="Проект ответа органа"' in merged["case.bpmn"]


def test_forms_merge_field_by_field_and_an_untouched_file_takes_the_regional_one() -> None:
    form = json.loads(REGIONAL["draft.schema.json"])
    field = next(iter(form["properties"]))
    ours_form = json.loads(REGIONAL["draft.schema.json"])
    ours_form["properties"][field]["title"] = "Поле муниципалитета"
    theirs_form = json.loads(REGIONAL["draft.schema.json"])
    theirs_form["title"] = "Форма области"
    ours = {**REGIONAL, "draft.schema.json": json.dumps(ours_form, ensure_ascii=False)}
    theirs = changed({**REGIONAL, "draft.schema.json": json.dumps(theirs_form, ensure_ascii=False)},
                     "case.bpmn", DRAFT, 'name="Проект ответа органа"')
    merged, unmerged = merge_libraries(REGIONAL, ours, theirs)
    assert unmerged == []
    result = json.loads(merged["draft.schema.json"])
    assert result["title"] == "Форма области" and result["properties"][field]["title"] == "Поле муниципалитета"
    assert merged["case.bpmn"] == theirs["case.bpmn"]


def test_an_element_the_variant_added_to_a_diagram_the_region_changed_is_listed_not_lost_silently() -> None:
    task = '<bpmn:userTask id="triage"'
    ours = changed(REGIONAL, "case.bpmn", task, '<bpmn:manualTask id="mo_note" name="Заметка МО" />\n    ' + task)
    theirs = changed(REGIONAL, "case.bpmn", DRAFT, 'name="Проект ответа органа"')
    merged, unmerged = merge_libraries(REGIONAL, ours, theirs)
    assert [(u.element_id, "добавлен" in u.reason) for u in unmerged] == [("mo_note", True)]
    assert "mo_note" not in merged["case.bpmn"]
