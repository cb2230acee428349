"""The semantic diff of two libraries: diagram elements, deadline parameters and form fields, in the product's terms."""

from __future__ import annotations

import json

from engine.compare import ADDED, CHANGED, REMOVED, Change, compare_libraries
from tests.engine.test_validation import REGIONAL, changed

LEGAL_REVIEW = """<bpmn:userTask id="legal_review" name="Юридическая проверка">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="role" value="curator"/>
          <spiffworkflow:property name="formJsonSchemaFilename" value="approval.schema.json"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_approved" name="Согласован" sourceRef="gw_approval" targetRef="legal_review">"""


def edited() -> dict[str, str]:
    """The regional library with the interim deadline 7 -> 5 days, a legal review before publication, and the
    approval comment required and shorter, a new field added."""
    library = changed("parameters.json", '"after_interim": {"value": 7,', '"after_interim": {"value": 5,')
    library = changed("reply_publication.bpmn",
                      '<bpmn:sequenceFlow id="f_approved" name="Согласован" sourceRef="gw_approval" '
                      'targetRef="publication">', LEGAL_REVIEW, library)
    form = json.loads(library["approval.schema.json"])
    form["required"].append("approval_comment")
    form["properties"]["approval_comment"]["maxLength"] = 1000
    form["properties"]["legal_note"] = {"type": "string", "title": "Заключение юриста"}
    del form["properties"]["approval_decision"]["x-enumTitles"]["return"]
    library["approval.schema.json"] = json.dumps(form, ensure_ascii=False)
    return library


def test_the_same_library_has_no_changes() -> None:
    assert compare_libraries(REGIONAL, dict(REGIONAL)) == []


def test_every_change_is_named_in_the_products_terms() -> None:
    changes = compare_libraries(REGIONAL, edited())
    assert {c.file for c in changes} == {"parameters.json", "reply_publication.bpmn", "approval.schema.json"}
    assert Change("parameters.json", None, CHANGED, "Срок «Окончательный ответ после промежуточного» (after_interim)",
                  "значение", "7", "5") in changes
    assert Change("reply_publication.bpmn", "legal_review", ADDED, "Задача «Юридическая проверка»") in changes
    assert Change("reply_publication.bpmn", "f_approved", CHANGED, "Поток «Согласован»", "куда", "publication",
                  "legal_review") in changes
    field = "Форма approval.schema.json: поле «Комментарий куратора» (approval_comment)"
    assert Change("approval.schema.json", None, CHANGED, field, "обязательное", "Нет", "Да") in changes
    assert Change("approval.schema.json", None, CHANGED, field, "наибольшая длина", "2000", "1000") in changes
    assert Change("approval.schema.json", None, ADDED,
                  "Форма approval.schema.json: поле «Заключение юриста» (legal_note)") in changes
    decision = "Форма approval.schema.json: поле «Решение» (approval_decision)"
    assert Change("approval.schema.json", None, CHANGED, decision, "варианты",
                  "approve (Согласовать), return (Вернуть на доработку)",
                  "approve (Согласовать), return") in changes
    assert len(changes) == 7, changes


def test_nested_changes_belong_to_their_element_and_removals_are_listed() -> None:
    library = changed("case.bpmn", '<spiffworkflow:property name="deadline" value="draft"/>',
                      '<spiffworkflow:property name="deadline" value="part"/>')
    library = changed("case.bpmn", 'deadline("draft" if round', 'deadline("part" if round', library)
    library = changed("case.bpmn", '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">round == "first"'
                      '</bpmn:conditionExpression>', '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                      'round != "first"</bpmn:conditionExpression>', library)
    library = changed("case.bpmn", 'id="part_in_turn" name="Информация органа в очереди" calledElement="body_part"',
                      'id="part_in_turn" name="Информация органа в очереди" calledElement="reply_publication"', library)
    changes = {(c.element_id, c.detail): (c.old, c.new) for c in compare_libraries(REGIONAL, library)}
    assert changes[("draft", "срок")] == ("draft", "part")
    assert changes[("draft_overdue", "таймер (момент)")] == (
        'deadline("draft" if round == "first" else "after_" + round, body)',
        'deadline("part" if round == "first" else "after_" + round, body)')
    assert changes[("f_single", "условие")] == ('round == "first"', 'round != "first"')
    assert changes[("part_in_turn", "вызываемый процесс")] == ("body_part", "reply_publication")
    assert len(changes) == 4, changes
    without = {name: text for name, text in REGIONAL.items() if name != "clarification.schema.json"}
    assert compare_libraries(REGIONAL, without) == [
        Change("clarification.schema.json", None, REMOVED, "Форма clarification.schema.json")]


def test_a_modelers_rewriting_without_defaults_and_whitespace_is_no_change() -> None:
    library = changed("case.bpmn", '<bpmn:multiInstanceLoopCharacteristics isSequential="false">\n          ',
                      "<bpmn:multiInstanceLoopCharacteristics>")
    assert compare_libraries(REGIONAL, library) == []
    library = changed("case.bpmn", '<bpmn:multiInstanceLoopCharacteristics isSequential="false">',
                      '<bpmn:multiInstanceLoopCharacteristics isSequential="true">')
    assert [(c.element_id, c.detail) for c in compare_libraries(REGIONAL, library)] == [("parts_at_once", "повторение")]
