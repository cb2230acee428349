"""Median cost of a diagram expression: cached evaluation, and a cold parse + validate + evaluate."""

from __future__ import annotations

import statistics
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Imported after the path is set, so the script runs from any directory.
from engine.expressions import _compile, compile_expression

CASES = {
    "gateway": ('importance == "high" and len(bodies) > 1', {"importance": "high", "bodies": ["a", "b"]}),
    "timer": ('deadline("draft") if importance == "high" else "P10D"',
              {"importance": "high", "deadline": lambda step: "2026-11-24T18:00:00+03:00"}),
    "membership": ('reply_kind in ["reply", "interim"] and case["region"] == "47"',
                   {"reply_kind": "reply", "case": {"region": "47"}}),
}
REPEATS, NUMBER = 15, 2000


def median_us(statement: object) -> float:
    """Median microseconds per call over REPEATS runs of NUMBER calls."""
    runs = timeit.repeat(statement, repeat=REPEATS, number=NUMBER)  # type: ignore[arg-type]
    return statistics.median(runs) / NUMBER * 1e6


def main() -> None:
    """Print the figures and keep them in bench/results/expressions.txt."""
    lines = [f"python {sys.version.split()[0]}; median of {REPEATS} x {NUMBER} calls", ""]
    for label, (source, names) in CASES.items():
        expression = compile_expression(source)
        cached = median_us(lambda e=expression, n=names: e.evaluate(n))
        via_cache = median_us(lambda s=source, n=names: compile_expression(s).evaluate(n))
        cold = median_us(lambda s=source, n=names: _compile(s).evaluate(n))
        lines.append(f"{label:<11} cached evaluate {cached:6.2f} us | evaluate via cache {via_cache:6.2f} us"
                     f" | cold parse+evaluate {cold:7.2f} us   {source}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "expressions.txt").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
