"""Reply templates per body and theme (issue 14): kept by the body's responsible official and the administrator,
checked by the clause 9/11 rules when saved, and the start of an executor's draft («Начать с шаблона»)."""

from __future__ import annotations

import re

from flask import Flask

from tests.conftest import login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register

GOOD = "Здравствуйте! Благодарим Вас за сообщение. Подачу горячей воды проверит управляющая компания сегодня."
HEATING, OTHER = "heating", "lighting"


def _template_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-template="(\d+)"', page)]


def test_the_responsible_official_keeps_the_bodys_templates_checked_like_replies(app: Flask) -> None:
    responsible, other, executor = login(app, "kgkh.resp"), login(app, "kdh.resp"), login(app, "kgkh.exec1")
    bad = responsible.post("/reply-templates", data={"theme": HEATING, "title": "Вода", "text": "воду дадут"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Шаблон не проходит проверки пп. 9 и 11" in page and "Начните ответ с приветствия" in page
    assert "Обратитесь к автору" in page and "воду дадут" in page  # what was typed stays
    assert responsible.post("/reply-templates", data={"theme": HEATING, "title": "Горячая вода", "text": GOOD}) \
        .status_code == 302
    assert responsible.post("/reply-templates", data={"title": "Общий", "text": GOOD}).status_code == 302
    mine = _template_ids(responsible.get("/reply-templates").get_data(as_text=True))
    assert len(mine) == 2
    # Another body sees none of them and cannot change them; an executor sees them but cannot keep them.
    assert _template_ids(other.get("/reply-templates").get_data(as_text=True)) == []
    assert other.post("/reply-templates", data={"template_id": mine[0], "title": "Чужой", "text": GOOD}) \
        .status_code == 404
    assert other.post(f"/reply-templates/{mine[0]}/delete").status_code == 404
    assert _template_ids(executor.get("/reply-templates").get_data(as_text=True)) == mine
    assert executor.post("/reply-templates", data={"title": "Мой", "text": GOOD}).status_code == 403
    assert login(app, "curator").get("/reply-templates").status_code == 403
    # The administrator keeps every body's.
    admin = login(app, "admin")
    assert admin.post("/reply-templates", data={"title": "Дороги", "text": GOOD}).status_code == 422  # no body
    assert admin.post("/reply-templates", data={"body": "kdh", "theme": OTHER, "title": "Дороги", "text": GOOD}) \
        .status_code == 302
    assert len(_template_ids(admin.get("/reply-templates").get_data(as_text=True))) == 3
    assert len(_template_ids(other.get("/reply-templates").get_data(as_text=True))) == 1


def test_the_executor_starts_the_draft_from_a_template_of_the_cases_theme(app: Flask) -> None:
    responsible, curator, executor = login(app, "kgkh.resp"), login(app, "curator"), login(app, "kgkh.exec1")
    for theme, title in ((HEATING, "Горячая вода"), (OTHER, "Освещение"), ("", "Общий")):
        assert responsible.post("/reply-templates", data={"theme": theme, "title": title, "text": f"{GOOD} {title}."}) \
            .status_code == 302
    by_title = dict(re.findall(r'data-template="(\d+)">.*?<h2 class="h5 card-title">([^<]+)</h2>',
                               responsible.get("/reply-templates").get_data(as_text=True), re.S))
    ids = {title: int(i) for i, title in by_title.items()}
    register(curator)
    assert curator.post(f"/tasks/{open_inbox_task(curator, 'Отбор и классификация сообщения')}", data=TRIAGE) \
        .status_code == 302
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    page = executor.get(f"/tasks/{draft}").get_data(as_text=True)
    offered = re.findall(r'<option value="(\d+)">([^<]+)</option>', page[page.index('id="start-template"'):])
    assert [int(i) for i, _ in offered] == [ids["Горячая вода"], ids["Общий"]]  # the case's theme, then any theme
    page = executor.get(f"/tasks/{draft}?template={ids['Горячая вода']}").get_data(as_text=True)
    assert f"{GOOD} Горячая вода.</textarea>" in page
    assert 'data-check="greeting" data-ok="true"' in page  # the draft from the template is checked again
    assert executor.get(f"/tasks/{draft}?template={ids['Освещение']}").status_code == 404  # another theme
    kdh = login(app, "admin")
    assert kdh.post("/reply-templates", data={"body": "kdh", "title": "Дороги", "text": GOOD}).status_code == 302
    roads = max(_template_ids(kdh.get("/reply-templates").get_data(as_text=True)))
    assert executor.get(f"/tasks/{draft}?template={roads}").status_code == 404  # another body's
