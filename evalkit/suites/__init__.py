"""Held-out regression test suites.

The format (`format`, over the base `workbench.suitefile`), the assertion registry (`assertions`), grading
(`grading`), the runner (`runner`, storing through `records`), the held-out check (`heldout`), the compare's pure
statistics (`stats`) and its report (`compare`), the regression gate's statistics (`gates`) and power (`power`), a
suite's runs over time (`history`), and the files a run writes (`outputs`).
"""

from __future__ import annotations

from evalkit.suites.assertions import REGISTRY, Grade, Output, assertion, known_types
from evalkit.suites.format import Case, Suite, load_suite
from evalkit.suites.runner import run_suites


def compare_runs(store, run_a: str, run_b: str, **kwargs) -> dict:
    """Per-case flips, pass-rate delta with an exact McNemar test and a bootstrap CI, per-tag breakdown."""
    from evalkit.suites.compare import compare_runs as _compare

    return _compare(store, run_a, run_b, **kwargs)


def power_plan(cases: int, baseline_rate: float, **kwargs) -> dict:
    """Before a run: the smallest drop the gate detects and the cases a drop needs (`evalkit power`'s report)."""
    from evalkit.suites.power import power_plan as _plan

    return _plan(cases, baseline_rate, **kwargs)


def suite_history(store, suite: str, model: str | None = None, **kwargs) -> dict:
    """Every finished run of a suite in time order, drops marked against the previous accepted run."""
    from evalkit.suites.history import suite_history as _history

    return _history(store, suite, model, **kwargs)


__all__ = [
    "REGISTRY",
    "Case",
    "Grade",
    "Output",
    "Suite",
    "assertion",
    "compare_runs",
    "known_types",
    "load_suite",
    "power_plan",
    "run_suites",
    "suite_history",
]
