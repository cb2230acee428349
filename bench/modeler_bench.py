"""Modeler page benchmark: how soon the draft's modeler is interactive (case.bpmn imported) in real Chromium, and
what a save costs (the server stores the diagram and checks the draft).

The app runs on a temporary SQLite database behind a local HTTP server (127.0.0.1); a methodologist opens the
draft of the case process ROUNDS times in fresh page loads (first one cold: empty browser cache). "Interactive" is
the page's own mark: performance.now() when importXML has finished and the problems are drawn (data-ready-ms).

    .venv/bin/python bench/modeler_bench.py [--rounds 10]

The figures are printed and kept in bench/results/modeler.txt.
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app
from engine.clock import SystemClock
from services.auth import create_user
from services.setup import load_reference
from web.cli import migrate

PASSWORD = "bench-password-1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-of-sufficient-length-1",
                          "OTKLIK_SCHEDULER": False, "CLOCK": SystemClock()})
        with app.app_context():
            session = app.extensions["otklik.sessions"]()
            load_reference(session=session, clock=SystemClock())
            create_user(session=session, username="bench", password=PASSWORD, role="methodologist",
                        full_name="Методолог", body_code=None)
            session.commit()
            session.close()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            lines = run(base, args.rounds)
        finally:
            server.shutdown()
            app.extensions["otklik.engine"].dispose()
    report = "\n".join([f"# {time.strftime('%Y-%m-%d %H:%M')} {platform.processor() or platform.machine()}, "
                        f"{platform.python_version()}", *lines])
    print(report)
    (ROOT / "bench" / "results" / "modeler.txt").write_text(report + "\n", encoding="utf-8")


def run(base: str, rounds: int) -> list[str]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}).new_page()
        page.goto("/login")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/cases/")
        page.goto("/processes/")
        page.locator("section#process-case_148rg").get_by_role("button", name="Создать черновик").click()
        page.wait_for_selector('#workbench[data-ready="true"]')
        draft_url = page.url
        ready = [float(str(page.locator("#workbench").get_attribute("data-ready-ms")))]
        for _ in range(rounds):
            page.goto(draft_url)
            page.wait_for_selector('#workbench[data-ready="true"]', timeout=20_000)
            ready.append(float(str(page.locator("#workbench").get_attribute("data-ready-ms"))))
        saves = []
        for _ in range(rounds):
            started = time.perf_counter()
            page.get_by_role("button", name="Сохранить").click()
            page.locator(f'#workbench[data-revision="{len(saves) + 2}"] #save-status[data-state="saved"]').wait_for()
            saves.append((time.perf_counter() - started) * 1000)
        browser.close()
    warm = ready[1:]
    return [f"modeler page interactive (case.bpmn imported), cold: {ready[0]:.0f} ms",
            f"modeler page interactive, {len(warm)} reloads: median {statistics.median(warm):.0f} ms, "
            f"max {max(warm):.0f} ms (target < 2000 ms)",
            f"save round trip (blur, saveXML, POST, store, check the draft, problems drawn), {len(saves)} saves: "
            f"median {statistics.median(saves):.0f} ms, max {max(saves):.0f} ms"]


if __name__ == "__main__":
    main()
