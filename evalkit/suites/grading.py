"""Grading: a case's assertions on one output → its result (pass, fail or error, weighted score); a suite's results →
its metrics. Pure apart from the checks themselves (a judge check calls its model)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.suites.assertions import Check, Grade, Output
from evalkit.suites.format import Case
from workbench.errors import ModelError, UserError

__all__ = ["error_result", "grade_case", "suite_metrics"]


def _assertion_row(check: Check, g: Grade) -> dict:
    """One graded assertion as the results keep it (choice data goes to the top of the case instead)."""
    return {
        "type": check.type,
        "passed": g.passed,
        "score": round(g.score, 6),
        "weight": check.weight,
        "reason": g.reason,
        **({"reason_key": g.message} if g.message else {}),
        **({"data": g.data} if g.data and "acc" not in g.data else {}),
    }


def _run_checks(case: Case, out: Output) -> tuple[list[dict], list[tuple[Check, Grade]], str | None]:
    """(a row per assertion, the grades of the checks that ran, the error of the last one that raised). A judge
    endpoint that failed or custom code that raised makes the case an error, not a fail; a UserError propagates."""
    rows, grades, error = [], [], None
    for check in case.checks:
        try:
            g = check.run(out)
        except ModelError as e:
            error = f"{check.type}: {e.message}"
        except UserError:
            raise
        except Exception as e:  # noqa: BLE001 - custom code failed: the case is an error
            error = f"{check.type}: {type(e).__name__}: {e}"
        else:
            grades.append((check, g))
            rows.append(_assertion_row(check, g))
            continue
        rows.append({"type": check.type, "passed": None, "score": None, "weight": check.weight, "reason": error})
    return rows, grades, error


def _verdict(case: Case, grades: list[tuple[Check, Grade]]) -> tuple[bool, float]:
    """(passed, score): the weighted mean score; the case passes when every weighted check passes, or, with a
    threshold, when the score reaches it."""
    weight = sum(c.weight for c, _ in grades)
    score = sum(c.weight * g.score for c, g in grades) / weight if weight else float(all(g.passed for _, g in grades))
    if case.threshold is None:
        return all(g.passed for c, g in grades if c.weight > 0 or weight == 0), score
    return score >= case.threshold, score


def grade_case(case: Case, out: Output) -> dict:
    """Every assertion of a case on one output → the case result (status pass|fail|error, weighted score)."""
    rows, grades, error = _run_checks(case, out)
    result: dict[str, Any] = {
        "id": case.id,
        "tags": case.tags,
        "output": out.text,
        "latency_s": round(out.latency_s, 4),
        "assertions": rows,
    }
    for _, g in grades:  # choice data (acc, acc_norm, loglikelihoods) at the top of the case
        result.update(g.data if "acc" in g.data else {})
    if error:
        result.update(status="error", score=None, error=error)
        return result
    passed, score = _verdict(case, grades)
    if not out.text.strip() and case.needs_generation:
        result["warning"] = "the model returned an empty answer"
    result.update(status="pass" if passed else "fail", score=round(score, 6))
    return result


def error_result(case: Case, message: str) -> dict:
    """The result of a case that could not be graded (the model or endpoint failed, it ran out of time)."""
    return {
        "id": case.id,
        "tags": case.tags,
        "output": "",
        "latency_s": 0.0,
        "assertions": [],
        "status": "error",
        "score": None,
        "error": message,
    }


def suite_metrics(cases: Sequence[dict]) -> dict:
    """pass_rate, passed, failed, errors for every suite; acc and acc_norm (means over the choice cases) when any."""
    n = len(cases)
    passed = sum(c["status"] == "pass" for c in cases)
    failed = sum(c["status"] == "fail" for c in cases)
    errors = sum(c["status"] == "error" for c in cases)
    m: dict[str, Any] = {
        "total": n,
        "passed": passed,
        "failed": failed,
        "errors": errors,
        "pass_rate": passed / n if n else 0.0,
    }
    scores = [c["score"] for c in cases if c.get("score") is not None]
    m["score"] = sum(scores) / len(scores) if scores else None
    rated = [c for c in cases if "pass_rate" in c]  # run with --repeats
    if rated:
        m["mean_pass_rate"] = sum(c["pass_rate"] for c in rated) / len(rated)
        m["pass_any_rate"] = sum(bool(c["pass_any"]) for c in rated) / len(rated)
        m["flaky"] = sum(bool(c["flaky"]) for c in rated)
    mc = [c for c in cases if "acc" in c]
    if mc:
        m["acc"] = sum(c["acc"] for c in mc) / len(mc)
        m["acc_norm"] = sum(c["acc_norm"] for c in mc) / len(mc)
        m["choice_cases"] = len(mc)
    return m
