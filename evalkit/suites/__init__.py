"""Held-out regression test suites: the YAML format, assertion registry, runner, outputs and regression compare."""

from __future__ import annotations

from evalkit.suites.assertions import REGISTRY, Grade, Output, assertion, known_types
from evalkit.suites.format import Case, Suite, load_suite
from evalkit.suites.runner import run_suites


def compare_runs(store, run_a: str, run_b: str, **kwargs) -> dict:
    """Per-case flips, pass-rate delta with an exact McNemar test and a bootstrap CI, per-tag breakdown."""
    from evalkit.suites.compare import compare_runs as _compare

    return _compare(store, run_a, run_b, **kwargs)


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
    "run_suites",
]
