"""Does a step cost more when many cases are stored? Triage (with the clause-14 surge check) and a draft, timed
server-side through Flask's test client, over 1,000 and over 1,000,000 stored (closed) cases.

    .venv/bin/python bench/step_scale_bench.py                       # SQLite, 1,000 and 1,000,000
    .venv/bin/python bench/step_scale_bench.py --pg URL --sizes 1000 1000000
The seeding is bench/inbox_bench.py's `fill`.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inbox_bench import NOW, ROOT, app_for, fill, login, percentile

TRIAGE = {"triage_decision": "send", "theme": "heating", "location": "gatchinsky", "importance": "normal",
          "bodies": "kgkh", "triage_comment": "Проверить"}
DRAFT = {"draft_outcome": "draft", "reply_kind": "reply", "reply_text": "Здравствуйте! Проверим и ответим."}


def task_of(client, case_id: int, headers: dict[str, str]) -> int:  # type: ignore[no-untyped-def]
    return int(client.get(f"/api/v1/tasks?case_id={case_id}", headers=headers).json["tasks"][0]["id"])


def steps(url: str, runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds of `runs` triages and as many drafts (after two unmeasured of each)."""
    app = app_for(url)
    curator, executor = login(app, "bench.curator"), login(app, "kgkh.bench0")
    tokens = {who: {"Authorization": "Bearer " + client.post("/api/v1/auth/token", json={
        "username": who, "password": "bench-password-1"}).json["token"]}
        for who, client in (("bench.curator", curator), ("kgkh.bench0", executor))}
    triages, drafts = [], []
    for n in range(runs + 2):
        app.config["CLOCK"].set(NOW + timedelta(minutes=n))
        response = curator.post("/cases/new", data={"channel": "vk", "url": f"https://vk.com/wall-9_{n}",
                                                    "author": "Ирина Петрова", "text": "Нет горячей воды",
                                                    "published_at": "2026-11-24T09:30"})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        case_id = int(response.headers["Location"].rsplit("/", 1)[1])
        triage = task_of(curator, case_id, tokens["bench.curator"])
        began = time.perf_counter()
        assert curator.post(f"/tasks/{triage}", data=TRIAGE).status_code == 302
        spent_triage = (time.perf_counter() - began) * 1000
        draft = task_of(executor, case_id, tokens["kgkh.bench0"])
        began = time.perf_counter()
        assert executor.post(f"/tasks/{draft}", data=DRAFT).status_code == 302
        spent_draft = (time.perf_counter() - began) * 1000
        if n >= 2:
            triages.append(spent_triage)
            drafts.append(spent_draft)
    app.extensions["otklik.engine"].dispose()
    return triages, drafts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", help="a PostgreSQL URL (its public schema is dropped)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    lines = [f"A step over many stored cases ({'postgresql' if args.pg else 'sqlite'}): server-side ms, "
             f"{args.runs} runs each after 2 unmeasured; python {platform.python_version()}",
             f"{'stored cases':>14} {'fill s':>7} {'triage p50':>11} {'p95':>7} {'draft p50':>10} {'p95':>7}"]
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            url = args.pg or f"sqlite:///{tmp}/scale_{size}.db"
            began = time.perf_counter()
            fill(url, open_tasks=0, closed_cases=size)
            filled = time.perf_counter() - began
            triages, drafts = steps(url, args.runs)
            lines.append(f"{size:>14,} {filled:7.0f} {statistics.median(triages):11.1f} "
                         f"{percentile(triages, 0.95):7.1f} {statistics.median(drafts):10.1f} "
                         f"{percentile(drafts, 0.95):7.1f}")
            print(lines[-1], flush=True)
    print("\n".join(lines))
    name = f"step_scale_{'pg' if args.pg else 'sqlite'}.txt"
    (ROOT / "bench" / "results" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
