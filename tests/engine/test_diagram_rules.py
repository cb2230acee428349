"""Static diagram checks: one small inline BPMN snippet per rule, plus hostile XML."""

from __future__ import annotations

import pytest

from engine.diagram_rules import DiagramProblem, check_diagram

FUNCTIONS = frozenset({"deadline", "notify", "limit"})
SCRIPT_MESSAGE = "сценарии на Python в диаграммах запрещены; используйте именованное действие (служебную задачу)"


def diagram(body: str, *, definitions: str = "") -> bytes:
    """A BPMN document with `body` inside one process."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs">
  {definitions}
  <bpmn:process id="p" isExecutable="true">{body}</bpmn:process>
</bpmn:definitions>""".encode()


def check(body: str, **kwargs: str) -> list[DiagramProblem]:
    """Problems of a one-process diagram against FUNCTIONS."""
    return check_diagram(diagram(body, **kwargs), functions=FUNCTIONS)


GOOD = """
  <bpmn:startEvent id="start"/>
  <bpmn:userTask id="draft" name="Подготовить ответ">
    <bpmn:extensionElements>
      <spiffworkflow:properties><spiffworkflow:property name="role" value="executor"/></spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:multiInstanceLoopCharacteristics>
      <bpmn:loopCardinality>len(bodies)</bpmn:loopCardinality>
      <bpmn:completionCondition>decision == "reject"</bpmn:completionCondition>
    </bpmn:multiInstanceLoopCharacteristics>
  </bpmn:userTask>
  <bpmn:boundaryEvent id="overdue" attachedToRef="draft">
    <bpmn:timerEventDefinition id="td"><bpmn:timeDate>deadline("draft")</bpmn:timeDate></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:exclusiveGateway id="gw" default="f_no"/>
  <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="notify_task">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">
      importance == "high" and len(bodies) &gt; 1
    </bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:serviceTask id="notify_task">
    <bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="notify" resultVariable="sent">
        <spiffworkflow:parameters>
          <spiffworkflow:parameter id="to" type="str" value="curator"/>
          <spiffworkflow:parameter id="template" type="str" value="&quot;overdue&quot;"/>
        </spiffworkflow:parameters>
      </spiffworkflow:serviceTaskOperator>
    </bpmn:extensionElements>
  </bpmn:serviceTask>
  <bpmn:intermediateCatchEvent id="wait">
    <bpmn:timerEventDefinition><bpmn:timeDate>deadline("draft", body)</bpmn:timeDate></bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="end"/>
"""


def test_a_clean_diagram_has_no_problems() -> None:
    assert check(GOOD) == []
    assert check_diagram(diagram(GOOD), functions=["deadline", "notify"]) == []


@pytest.mark.parametrize(
    ("body", "element_id"),
    [
        ('<bpmn:scriptTask id="s1"><bpmn:script>pid = __import__("os").getpid()</bpmn:script></bpmn:scriptTask>',
         "s1"),
        ('<bpmn:scriptTask id="s1"/>', "s1"),
        (('<bpmn:userTask id="u1"><bpmn:extensionElements><spiffworkflow:preScript>x = 1</spiffworkflow:preScript>'
         "</bpmn:extensionElements></bpmn:userTask>"), "u1"),
        (('<bpmn:serviceTask id="t1"><bpmn:extensionElements><spiffworkflow:postScript>x = 1</spiffworkflow:postScript>'
         '<spiffworkflow:serviceTaskOperator id="notify"/></bpmn:extensionElements></bpmn:serviceTask>'), "t1"),
        (('<bpmn:userTask id="u2"><bpmn:extensionElements><spiffworkflow:script>x = 1</spiffworkflow:script>'
         "</bpmn:extensionElements></bpmn:userTask>"), "u2"),
        ('<bpmn:endEvent id="e1"><bpmn:script>x = 1</bpmn:script></bpmn:endEvent>', "e1"),
    ],
)
def test_python_scripts_are_refused_once_per_element(body: str, element_id: str) -> None:
    assert check(body) == [DiagramProblem(element_id, SCRIPT_MESSAGE)]


@pytest.mark.parametrize(("tag", "element_id"), [("task", "t"), ("manualTask", "m")])
def test_plain_and_manual_tasks_are_refused(tag: str, element_id: str) -> None:
    [problem] = check(f'<bpmn:{tag} id="{element_id}" name="Ждать"/>')
    assert problem.element_id == element_id
    assert f"bpmn:{tag}" in problem.message and "молча ждёт" in problem.message


def _flow(condition: str) -> str:
    return (f'<bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="b"><bpmn:conditionExpression>{condition}'
            "</bpmn:conditionExpression></bpmn:sequenceFlow>")


def _timer(kind: str, text: str) -> str:
    return (f'<bpmn:boundaryEvent id="timer1" attachedToRef="a"><bpmn:timerEventDefinition id="td1">'
            f"<bpmn:{kind}>{text}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:boundaryEvent>")


def _loop(kind: str, text: str) -> str:
    return (f'<bpmn:userTask id="mi"><bpmn:multiInstanceLoopCharacteristics>'
            f"<bpmn:{kind}>{text}</bpmn:{kind}></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>")


@pytest.mark.parametrize(
    ("body", "element_id", "fragments"),
    [
        (_flow("x.y"), "f1", ["условие перехода", "«x.y»", "обращение к атрибутам запрещено"]),
        (_flow("().__class__.__bases__[0].__subclasses__()"), "f1", ["обращение к атрибутам запрещено"]),
        (_flow("x ="), "f1", ["синтаксическая ошибка"]),
        (_flow(""), "f1", ["пустое выражение"]),
        (_flow("lookup(x) == 1"), "f1", ["функция «lookup» неизвестна"]),
        (_timer("timeDate", "getattr(x, 'y')"), "timer1", ["дата таймера", "функция «getattr» неизвестна"]),
        (_timer("timeDuration", "[i for i in x]"), "timer1", ["длительность таймера", "генераторы (for) запрещены"]),
        (_timer("timeCycle", "'R3/' + 2 ** 8"), "timer1", ["цикл таймера", "(**)"]),
        (_timer("timeDuration", "PT1H"), "timer1", ["«PT1H» похоже на срок ISO 8601 без кавычек"]),
        (_timer("timeDuration", '"PT1H"'), "timer1", ["задан числом", "параметром процесса"]),
        (_timer("timeDate", "deadline(5)"), "timer1", ["задан числом"]),
        (_loop("loopCardinality", "lambda: 3"), "mi", ["число экземпляров", "лямбда"]),
        (_loop("completionCondition", "(done := 1)"), "mi", ["условие завершения", "присваивание"]),
        (('<bpmn:userTask id="loop"><bpmn:standardLoopCharacteristics><bpmn:loopCondition>f"{x}"'
         "</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:userTask>"), "loop", ["f-строки"]),
        (('<bpmn:intermediateThrowEvent id="send"><bpmn:messageEventDefinition messageRef="m">'
         "<bpmn:extensionElements><spiffworkflow:messagePayload>x.__dict__</spiffworkflow:messagePayload>"
         "</bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>"),
         "send", ["содержимое сообщения", "атрибутам"]),
    ],
)
def test_expressions_must_compile_and_call_known_functions(body: str, element_id: str, fragments: list[str]) -> None:
    [problem] = check(body)
    assert problem.element_id == element_id
    for fragment in fragments:
        assert fragment in problem.message


def test_builtins_and_known_functions_need_no_registration() -> None:
    assert check(_flow("len(bodies) &gt; limit(&quot;rounds&quot;) and max(1, 2) == 2")) == []
    assert check(_timer("timeDate", 'deadline("draft") if urgent else deadline("case")')) == []


def test_correlation_expressions_are_checked() -> None:
    correlation = """<bpmn:correlationProperty id="case_key" name="case">
      <bpmn:correlationPropertyRetrievalExpression messageRef="m">
        <bpmn:formalExpression>payload.case_id</bpmn:formalExpression>
      </bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>"""
    [problem] = check("", definitions=correlation)
    assert problem.element_id == "case_key"
    assert "ключ корреляции" in problem.message and "атрибутам" in problem.message


def _service(operator: str) -> str:
    return f'<bpmn:serviceTask id="svc"><bpmn:extensionElements>{operator}</bpmn:extensionElements></bpmn:serviceTask>'


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('<bpmn:serviceTask id="svc"/>', "не указано действие (spiffworkflow:serviceTaskOperator)"),
        (_service('<spiffworkflow:serviceTaskOperator id="shell"/>'), "функция «shell» неизвестна"),
        (_service('<spiffworkflow:serviceTaskOperator/>'), "функция «» неизвестна"),
        (_service('<spiffworkflow:serviceTaskOperator id="notify"><spiffworkflow:parameters>'
                  '<spiffworkflow:parameter id="to" type="str" value="open(&quot;/etc/passwd&quot;)"/>'
                  "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"),
         "параметр «to»: функция «open» неизвестна"),
        (_service('<spiffworkflow:serviceTaskOperator id="notify"><spiffworkflow:parameters>'
                  '<spiffworkflow:parameter id="to" type="str" value="case.owner"/>'
                  "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"),
         "параметр «to»: выражение «case.owner» — обращение к атрибутам запрещено"),
    ],
)
def test_service_tasks_name_a_known_action_with_valid_parameters(body: str, fragment: str) -> None:
    [problem] = check(body)
    assert problem.element_id == "svc"
    assert fragment in problem.message


def test_all_problems_are_reported_in_document_order() -> None:
    problems = check('<bpmn:scriptTask id="s1"/>' + _flow("x.y") + '<bpmn:task id="t"/>')
    assert [p.element_id for p in problems] == ["s1", "f1", "t"]


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p"><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:process>
</bpmn:definitions>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</bpmn:definitions>"""
EXTERNAL_DTD = (b'<?xml version="1.0"?><!DOCTYPE definitions SYSTEM "http://127.0.0.1:9/evil.dtd">'
                b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')


@pytest.mark.parametrize("payload", [XXE, LAUGHS, EXTERNAL_DTD, XXE.decode().encode("utf-16")])
def test_any_doctype_is_refused(payload: bytes) -> None:
    assert check_diagram(payload, functions=FUNCTIONS) == [
        DiagramProblem(None, "Объявление DOCTYPE в диаграмме запрещено")
    ]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"", "не является корректным XML"),
        (b"<bpmn:definitions", "не является корректным XML"),
        (b"not xml at all", "не является корректным XML"),
        (b"<definitions/>", "Корневой элемент должен быть bpmn:definitions"),
    ],
)
def test_broken_or_foreign_xml_is_refused(payload: bytes, fragment: str) -> None:
    [problem] = check_diagram(payload, functions=FUNCTIONS)
    assert problem.element_id is None
    assert fragment in problem.message
