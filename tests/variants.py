"""Versions of the shipped library as a methodologist would edit them, for migration and sandbox tests."""

from __future__ import annotations

import json
from pathlib import Path

from engine.parser import read_library

ROOT = Path(__file__).resolve().parents[1]
LEGAL_REVIEW = """<bpmn:userTask id="legal_review" name="Юридическая проверка ответа">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="role" value="curator"/>
          <spiffworkflow:property name="formJsonSchemaFilename" value="approval.schema.json"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f_approved</bpmn:incoming>
      <bpmn:outgoing>f_reviewed</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_reviewed" sourceRef="legal_review" targetRef="publication"/>
    """


def shipped() -> dict[str, str]:
    """The regional library shipped in bpmn/ and forms/."""
    return read_library([ROOT / "bpmn", ROOT / "forms"])


def interim_days(files: dict[str, str], days: int) -> dict[str, str]:
    """The library with the final reply after an interim one due in `days` working days (clause 8.8)."""
    parameters = json.loads(files["parameters.json"])
    parameters["deadlines"]["after_interim"]["value"] = days
    return {**files, "parameters.json": json.dumps(parameters, ensure_ascii=False)}


def legal_review(files: dict[str, str]) -> dict[str, str]:
    """The library with a curator's legal review between approval and publication."""
    xml = files["reply_publication.bpmn"]
    xml = xml.replace('<bpmn:sequenceFlow id="f_approved" name="Согласован" sourceRef="gw_approval" '
                      'targetRef="publication">',
                      '<bpmn:sequenceFlow id="f_approved" name="Согласован" sourceRef="gw_approval" '
                      'targetRef="legal_review">')
    xml = xml.replace('<bpmn:incoming>f_approved</bpmn:incoming>', '<bpmn:incoming>f_reviewed</bpmn:incoming>')
    xml = xml.replace('<bpmn:userTask id="publication"', LEGAL_REVIEW + '<bpmn:userTask id="publication"')
    assert xml.count("legal_review") == 3
    return {**files, "reply_publication.bpmn": xml}


def renamed_triage(files: dict[str, str]) -> dict[str, str]:
    """The library whose triage step has another BPMN id: a case waiting at triage cannot move to it."""
    return {**files, "case.bpmn": files["case.bpmn"].replace('"triage"', '"selection"')}
