"""Benchmark of the working-time calendar: median and p95 microseconds per call, after warm-up."""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.calendar import ProductionCalendar, WorkingCalendar, shipped_years

CALLS = 20_000
TARGET_MEDIAN_US = 20.0
MSK = ZoneInfo("Europe/Moscow")
FIRST, LAST = datetime(2024, 1, 1, tzinfo=MSK), datetime(2027, 11, 30, tzinfo=MSK)


def measure(call: Callable[..., object], inputs: list[tuple[object, ...]]) -> tuple[float, float]:
    """Time one call per input after a warm-up; return the median and p95 in microseconds."""
    for args in inputs[:1000]:
        call(*args)
    samples = []
    for args in inputs:
        began = time.perf_counter_ns()
        call(*args)
        samples.append((time.perf_counter_ns() - began) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def main() -> None:
    """Run the benchmark, print the figures and keep them in bench/results/calendar.txt."""
    rng = random.Random(148)
    calendar = WorkingCalendar(ProductionCalendar(shipped_years()))
    span = int((LAST - FIRST).total_seconds())
    starts = [FIRST + timedelta(seconds=rng.randrange(span)) for _ in range(CALLS)]
    # Warm-up builds the interval tables of every year.
    for year in range(2024, 2028):
        calendar.add_working_time(datetime(year, 6, 1, tzinfo=MSK), timedelta(hours=1))
    cases: dict[str, tuple[Callable[..., object], list[tuple[object, ...]]]] = {
        "add_working_time (1 min to 82 working hours)": (
            calendar.add_working_time,
            [(s, timedelta(minutes=rng.randrange(1, 82 * 60))) for s in starts],
        ),
        "add_working_days (1 to 10 working days)": (
            calendar.add_working_days,
            [(s, rng.randrange(1, 11)) for s in starts],
        ),
        "working_time_between (up to 14 calendar days apart)": (
            calendar.working_time_between,
            [(s, s + timedelta(minutes=rng.randrange(14 * 24 * 60))) for s in starts],
        ),
    }
    lines = [
        f"calendar benchmark, {datetime.now(MSK):%Y-%m-%d %H:%M %Z}",
        f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        f"{CALLS} calls each, random starts 2024-01-01..2027-11-30 (Europe/Moscow), oblast schedule, after warm-up",
    ]
    for name, (call, inputs) in cases.items():
        median, p95 = measure(call, inputs)
        lines.append(f"{name:52} median {median:6.2f} us   p95 {p95:6.2f} us")
    lines.append(f"target: add_working_time median <= {TARGET_MEDIAN_US:.0f} us")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "calendar.txt").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
