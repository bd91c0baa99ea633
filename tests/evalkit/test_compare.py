"""Regression compare: McNemar against statsmodels, the bootstrap against scipy, flips/tags, and the exit codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar
from test_runner import mixed_suite

from evalkit.cli import main
from evalkit.suites import compare_runs
from evalkit.suites.compare import compare_cases, verdict
from evalkit.suites.stats import bootstrap_delta_ci, flips, mcnemar_exact, mean_delta, tag_deltas
from workbench.errors import BAD_INPUT, GATE_FAILED, OK
from workbench.store import schema


@pytest.mark.parametrize("b,c", [(0, 0), (1, 0), (3, 9), (10, 2), (25, 25), (4, 40)])
def test_exact_mcnemar_matches_statsmodels(b, c):
    table = [[7, b], [c, 5]]  # rows: A pass/fail; columns: B pass/fail → b = pass→fail, c = fail→pass
    want = mcnemar(table, exact=True).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(want, rel=1e-12)


def test_bootstrap_ci_matches_scipy():
    rng = np.random.default_rng(1)
    a = (rng.random(200) < 0.7).astype(float)
    b = np.where(rng.random(200) < 0.15, 1 - a, a)
    ours = bootstrap_delta_ci(a, b, n_boot=20000, seed=3)
    res = sps.bootstrap(
        (a, b),
        lambda x, y, axis: y.mean(axis) - x.mean(axis),
        paired=True,
        vectorized=True,
        n_resamples=20000,
        method="percentile",
        confidence_level=0.95,
        random_state=np.random.default_rng(4),
    )
    assert ours[0] == pytest.approx(res.confidence_interval.low, abs=0.006)
    assert ours[1] == pytest.approx(res.confidence_interval.high, abs=0.006)
    assert bootstrap_delta_ci(a, b, n_boot=500, seed=3) == bootstrap_delta_ci(a, b, n_boot=500, seed=3)


def test_statistics_refuse_what_they_cannot_use():
    """Pure statistics raise ValueError (the CLI shows it as a message), never the CLI's error."""
    with pytest.raises(ValueError, match="same length"):
        bootstrap_delta_ci([1.0, 0.0], [1.0])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_delta_ci([1.0], [0.0], confidence=95)
    with pytest.raises(ValueError, match="negative"):
        mcnemar_exact(-1, 3)
    with pytest.raises(ValueError, match="tag lists"):
        tag_deltas(np.ones(2), np.ones(2), [["a"]])
    with pytest.raises(ValueError, match="no paired values"):
        mean_delta([])
    assert bootstrap_delta_ci([], []) == (0.0, 0.0)


def test_flips_and_tag_deltas_by_hand():
    a, b = np.array([1.0, 1.0, 0.0, 0.0]), np.array([0.0, 1.0, 1.0, 0.0])
    assert flips(["w", "x", "y", "z"], a, b) == (["w"], ["y"])
    by_tag = tag_deltas(a, b, [["t"], ["t", "u"], [], ["u"]])
    assert list(by_tag) == ["t", "u"]
    assert by_tag["t"] == {
        "n": 2,
        "pass_rate_a": 1.0,
        "pass_rate_b": 0.5,
        "delta": -0.5,
        "pass_to_fail": 1,
        "fail_to_pass": 0,
    }
    assert mean_delta([(0.0, 1.0), (1.0, 1.0)]) == {"a": 0.5, "b": 1.0, "delta": 0.5, "n": 2}


def test_verdict_order():
    assert verdict(0.1, 0.001, 0.05, ["x"]) == "critical regression"
    assert verdict(-0.1, 0.001, 0.05, []) == "significant drop"
    assert verdict(0.1, 0.001, 0.05, []) == "significant gain"
    assert verdict(-0.1, 0.2, 0.05, []) == verdict(0.0, 0.001, 0.05, []) == "no significant change"


def cases(statuses: dict[str, str], tags: dict[str, list] | None = None) -> dict:
    return {cid: {"status": s, "tags": (tags or {}).get(cid, []), "details": {}} for cid, s in statuses.items()}


def test_flips_tags_and_verdicts():
    a = cases(
        {"x": "pass", "y": "pass", "z": "fail", "w": "error", "only_a": "pass"},
        {"x": ["critical", "facts"], "y": ["facts"], "z": ["facts"]},
    )
    b = cases({"x": "fail", "y": "pass", "z": "pass", "w": "pass", "only_b": "fail"})
    rep = compare_cases(a, b)
    assert rep["n"] == 4 and rep["only_a"] == ["only_a"] and rep["only_b"] == ["only_b"]
    assert rep["flips"] == {"pass_to_fail": ["x"], "fail_to_pass": ["z", "w"]}
    assert rep["delta"] == pytest.approx(0.25) and rep["critical_regressions"] == ["x"]
    assert rep["gate_failed"] and rep["verdict"] == "critical regression"
    facts = rep["by_tag"]["facts"]
    assert facts == {
        "n": 3,
        "pass_rate_a": pytest.approx(2 / 3),
        "pass_rate_b": pytest.approx(2 / 3),
        "delta": 0.0,
        "pass_to_fail": 1,
        "fail_to_pass": 1,
    }


def seed_run(store, name: str, statuses: list[str], tags: list[list] | None = None, model: str = "m") -> str:
    run = store.start_run("suite", name, model=model)
    store.insert(
        schema.case_results,
        [
            dict(
                run_id=run,
                suite=name,
                case_id=f"c{i}",
                model=model,
                status=s,
                score=float(s == "pass"),
                output="",
                details={},
                tags=(tags[i] if tags else []),
                latency_s=0.0,
            )
            for i, s in enumerate(statuses)
        ],
    )
    store.finish_run(run)
    return run


def cli_compare(store, a: str, b: str, *extra) -> int:
    return main(["compare", a[:10], b[:10], "--store", store.url, *extra])


def test_compare_exit_codes(store, tmp_path, capsys):
    base = seed_run(store, "s", ["pass"] * 30 + ["fail"] * 10)
    same = seed_run(store, "s", ["pass"] * 30 + ["fail"] * 10)
    assert cli_compare(store, base, same) == OK
    one_worse = seed_run(store, "s", ["fail"] + ["pass"] * 29 + ["fail"] * 10)
    assert cli_compare(store, base, one_worse) == OK  # one flip is no evidence
    much_worse = seed_run(store, "s", ["fail"] * 12 + ["pass"] * 18 + ["fail"] * 10)
    assert cli_compare(store, base, much_worse, "--json", str(tmp_path / "c.json")) == GATE_FAILED
    rep = compare_runs(store, base, much_worse)
    assert rep["mcnemar"]["p_value"] == pytest.approx(mcnemar([[18, 12], [0, 10]], exact=True).pvalue)
    assert rep["delta"] == pytest.approx(-12 / 40) and rep["ci"][1] < 0 and rep["significant_drop"]
    assert cli_compare(store, base, much_worse, "--alpha", "0.0001") == OK  # p ≈ 0.0005
    assert cli_compare(store, much_worse, base) == OK  # a significant gain passes the gate
    out = capsys.readouterr().out
    assert "significant drop" in out and "significant gain" in out and "pass → fail" in out

    crit_a = seed_run(store, "s", ["pass"] * 40, tags=[["critical"]] + [[]] * 39)
    crit_b = seed_run(store, "s", ["fail"] + ["pass"] * 39, tags=[["critical"]] + [[]] * 39)
    assert cli_compare(store, crit_a, crit_b) == GATE_FAILED
    assert cli_compare(store, crit_a, crit_b, "--critical-tag", "nothing-is") == OK


def test_compare_bad_run_ids(store, capsys):
    assert main(["compare", "nope", "nada", "--store", store.url]) == BAD_INPUT
    assert "no suite run 'nope'" in capsys.readouterr().err


def test_run_with_baseline_fails_on_a_critical_regression(tiny_model_dir, store, tmp_path, capsys):
    """`evalkit run --baseline`: the baseline passed everything; the tiny model fails the critical gen-1 case."""
    suite = mixed_suite(tmp_path)
    ids = [f"mc-{i}" for i in range(12)] + ["gen-1", "gen-2", "gen-3"]
    run = store.start_run("suite", "mixed", model="perfect")
    store.insert(
        schema.case_results,
        [
            dict(
                run_id=run,
                suite="mixed",
                case_id=cid,
                model="perfect",
                status="pass",
                score=1.0,
                output="",
                details={},
                tags=["critical"] if cid == "gen-1" else [],
                latency_s=0.0,
            )
            for cid in ids
        ],
    )
    store.finish_run(run)
    code = main(
        ["run", str(suite), "--model", str(tiny_model_dir), "--store", store.url, "--baseline", run[:8], "--quiet"]
    )
    out = capsys.readouterr().out
    assert code == GATE_FAILED and "critical cases now failing: gen-1" in out


def test_model_vs_model_uses_the_same_report(tiny_model_dir, store, tmp_path, capsys):
    """Two models in one run print the compare report of the second against the first (here the same weights)."""
    suite = mixed_suite(tmp_path)
    code = main(
        [
            "run",
            str(suite),
            "--model",
            str(tiny_model_dir),
            "--model",
            str(Path(tiny_model_dir)) + "/",
            "--store",
            store.url,
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == OK and "# Compare mixed" in out and "no significant change" in out and "Δ +0.0 points" in out


def test_verdict_comes_with_its_message_key():
    from evalkit.suites.compare import MESSAGES
    from workbench.messages import render

    same = cases({"x": "pass", "y": "fail"})
    for a, b in ((cases({"x": "pass"}, {"x": ["critical"]}), cases({"x": "fail"})), (same, same)):
        rep = compare_cases(a, b)
        assert rep["verdict_key"]["key"].startswith("compare.verdict.")
        assert render(rep["verdict_key"], MESSAGES) == rep["verdict"]


# -- pass rates, groups, the MDE line and the gate (issue 21) ------------------------------------------------------


def rated(rates: dict[str, float], groups: dict[str, str] | None = None) -> dict:
    """Cases run with repeats: their pass rate (and group) in the details, as the runner stores them."""
    out = {}
    for cid, r in rates.items():
        details = {"pass_rate": r, "pass_all": r == 1, "pass_any": r > 0, "flaky": 0 < r < 1}
        if groups and cid in groups:
            details["group"] = groups[cid]
        out[cid] = {"status": "pass" if r == 1 else "fail", "score": r, "tags": [], "details": details}
    return out


def test_repeats_compare_pass_rates_with_a_paired_test():
    rng = np.random.default_rng(4)
    ra = rng.integers(0, 4, 80) / 3
    rb = np.clip(ra - rng.integers(0, 2, 80) / 3, 0, 1)
    ids = [f"c{i}" for i in range(80)]
    rep = compare_cases(rated(dict(zip(ids, ra))), rated(dict(zip(ids, rb))))
    assert rep["test"] == "paired t-test on pass rates"
    assert rep["p_value"] == pytest.approx(sps.ttest_rel(rb, ra).pvalue, rel=1e-10)
    assert rep["delta"] == pytest.approx(rb.mean() - ra.mean())
    assert rep["flaky"]["a"] == sorted(c for c, r in zip(ids, ra) if 0 < r < 1)
    assert rep["verdict"] == "significant drop" and rep["gate_failed"]


def test_groups_count_once_in_the_test_and_move_together_in_the_bootstrap():
    from evalkit.suites.gates import cluster_bootstrap_ci

    rng = np.random.default_rng(8)
    ids = [f"c{i}" for i in range(60)]
    groups = {c: f"q{i // 5}" for i, c in enumerate(ids)}
    ra = (rng.random(60) < 0.7).astype(float)
    rb = np.where(rng.random(60) < 0.2, 1 - ra, ra)
    rep = compare_cases(rated(dict(zip(ids, ra)), groups), rated(dict(zip(ids, rb)), groups), seed=3)
    means = (rb - ra).reshape(12, 5).mean(axis=1)
    assert rep["power"]["unit"] == "group" and rep["power"]["units"] == 12
    assert rep["p_value"] == pytest.approx(sps.ttest_1samp(means, 0).pvalue, rel=1e-10)
    assert rep["ci"] == list(cluster_bootstrap_ci(ra, rb, [groups[c] for c in ids], seed=3))


def test_every_compare_opens_with_what_the_suite_can_detect(store):
    from evalkit.suites.outputs import compare_markdown
    from evalkit.suites.power import mde

    base = seed_run(store, "s", ["pass"] * 150 + ["fail"] * 50)
    cand = seed_run(store, "s", ["fail"] * 10 + ["pass"] * 140 + ["pass"] * 6 + ["fail"] * 44)
    rep = compare_runs(store, base, cand)
    psi = 16 / 200  # 10 pass→fail, 6 fail→pass
    assert rep["power"]["mde"] == pytest.approx(mde(200, psi))
    text = compare_markdown(rep).splitlines()
    assert text[2] == (
        f"this suite can detect drops of ≥ {100 * mde(200, psi):.1f} points (200 cases, α = 0.05, power 80%); "
        "the observed -2.0 is inside its noise."
    )


def test_a_gate_block_decides_with_holm_and_an_allowed_drop():
    a = cases({f"c{i}": "pass" for i in range(100)}, {f"c{i}": ["x" if i < 50 else "y"] for i in range(100)})
    b = cases({f"c{i}": ("fail" if i < 6 else "pass") for i in range(100)}, {})
    strict = compare_cases(a, b, gate={"tags": ["x", "y"]})
    assert strict["gate_failed"] and "tag 'x' dropped 12.0 points" in " ".join(strict["gate"]["reasons"])
    lenient = compare_cases(a, b, gate={"tags": ["x", "y"], "allowed_drop": 0.1})
    assert not lenient["gate_failed"] and lenient["gate"]["reasons"] == []
