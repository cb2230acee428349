"""The curator's triage form takes the competent bodies from the library's decision table (competent_body.dmn)."""

from __future__ import annotations

import re

from flask import Flask

from tests.conftest import api_token, login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register


def selected_bodies(html: str) -> list[str]:
    """The bodies chosen in the form's one multiple select, in their order (the bodies' turn, 8.9)."""
    field = re.search(r'<select class="form-select ordered-choice" id="f-bodies" name="bodies" multiple(.*?)</select>',
                      html, re.DOTALL)
    assert field, "no bodies field"
    return re.findall(r'<option value="(\w+)" selected>', field.group(1))


def test_the_triage_form_is_prefilled_from_the_table_and_the_curator_may_change_it(app: Flask) -> None:
    curator = login(app, "curator")
    case_id = register(curator)
    triage = open_inbox_task(curator, "Отбор и классификация сообщения")
    page = curator.get(f"/tasks/{triage}").get_data(as_text=True)
    assert f'data-bodies-url="/tasks/{triage}/competent-bodies"' in page and "js/triage.js" in page
    assert selected_bodies(page) == []  # nothing chosen yet, so nothing to answer

    def answer(**query: str) -> list[str]:
        response = curator.get(f"/tasks/{triage}/competent-bodies", query_string=query)
        assert response.status_code == 200
        return response.get_json()["bodies"]

    assert answer(theme="lighting", location="vsevolozhsky") == ["kgkh", "kdh"]  # COLLECT, in the table's order
    assert answer(theme="lighting", location="luzhsky") == ["kgkh"]
    assert answer(theme="snow") == ["kdh"] and answer(location="luzhsky") == answer() == []

    # Without the script: the theme and location sent without bodies come back with the table's bodies chosen.
    chosen = {**TRIAGE, "theme": "lighting", "location": "vsevolozhsky", "bodies": ""}
    response = curator.post(f"/tasks/{triage}", data=chosen)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert selected_bodies(html) == ["kgkh", "kdh"]
    assert '<option value="vsevolozhsky" selected>' in html  # what was typed stays

    # The curator's own choice is kept (here refused for another field) and sent as chosen.
    response = curator.post(f"/tasks/{triage}", data={**chosen, "bodies": "ksoc", "importance": ""})
    assert response.status_code == 422
    assert selected_bodies(response.get_data(as_text=True)) == ["ksoc"]
    assert curator.post(f"/tasks/{triage}", data={**chosen, "bodies": "ksoc"}).status_code == 302
    case = curator.get(f"/api/v1/cases/{case_id}", headers=api_token(curator, "curator")).get_json()
    assert (case["body"], case["theme"], case["location"]) == ("ksoc", "lighting", "vsevolozhsky")


def test_only_those_who_see_the_task_hear_the_answer(app: Flask) -> None:
    register(login(app, "curator"))
    triage = open_inbox_task(login(app, "curator"), "Отбор и классификация сообщения")
    response = login(app, "kgkh.exec1").get(f"/tasks/{triage}/competent-bodies?theme=heating")
    assert response.status_code == 404
