"""Issue 14, «Wrong or lost today»: each defect a person met in a working day, reproduced over HTTP."""

from __future__ import annotations

from typing import Any

from flask import Flask

from engine.clock import FixedClock
from tests.conftest import MSK, login
from tests.web.test_main_path import TRIAGE, open_inbox_task, register
from tests.web.test_regulation import case_json


def triaged(app: Flask, published_at: str = "2026-11-24T08:30", **triage: Any) -> int:
    """A message posted at `published_at`, registered and sent to a body by the curator now."""
    curator = login(app, "curator")
    case_id = register(curator, published_at=published_at)
    task = open_inbox_task(curator, "Отбор и классификация сообщения")
    assert curator.post(f"/tasks/{task}", data={**TRIAGE, **triage}).status_code == 302
    return case_id


def test_an_urgent_case_bounds_the_step_deadline_and_the_history_says_so(app: Flask, clock: FixedClock) -> None:
    """Defect 1: sent at 09:00 with high importance, the case is due 13:00 (4 WH) and so is the draft (not 14:48)."""
    clock.set(clock.now().replace(hour=9, tzinfo=MSK))
    case_id = triaged(app, importance="high")
    executor = login(app, "kgkh.exec1")
    draft = open_inbox_task(executor, "Подготовка проекта ответа")
    page = executor.get(f"/tasks/{draft}").get_data(as_text=True)
    assert "24.11.2026 14:48" not in page and page.count("24.11.2026 13:00") == 3
    assert "общий срок ответа (п. 8.3): он наступает раньше срока шага" in page
    response = executor.post(f"/tasks/{draft}", data={"draft_outcome": "draft", "reply_kind": "reply",
                                                      "reply_text": "Здравствуйте! Ответ."})
    assert response.status_code == 302
    history: list[dict[str, Any]] = case_json(login(app, "curator"), case_id)["history"]
    done = next(e for e in history if e["step"] == "draft")
    assert done["due_at"] == "2026-11-24T10:00:00+00:00" and done["details"]["due_by"] == "case_deadline"
    assert "Срок шага:</span> общий срок ответа" in login(app, "curator").get(f"/cases/{case_id}").get_data(
        as_text=True)
