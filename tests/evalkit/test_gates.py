"""The gate's statistics against independent implementations (scipy, statsmodels, a direct resampling loop), and
its false-alarm and detection rates over 2,000 simulated comparisons with known true pass rates."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from fixtures.gates_sim import binary_pairs, clustered_pairs, repeated_pairs
from scipy import stats
from statsmodels.stats.multitest import multipletests

from evalkit.suites.gates import (
    ALL,
    cluster_bootstrap_ci,
    cluster_se,
    drop_p_values,
    gate_decision,
    holm,
    paired_drop_test,
    unit_differences,
)
from evalkit.suites.power import mde

SIMS = 2000


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_holm_matches_statsmodels_multipletests(seed):
    p = np.random.default_rng(seed).random(9) ** 3
    p[2] = p[5]  # a tie
    want = multipletests(p, alpha=0.05, method="holm")[1]
    np.testing.assert_allclose(holm(p), want, rtol=1e-12)


@pytest.mark.parametrize("allowed", [0.0, 0.03])
def test_paired_drop_test_matches_scipy_one_sided_ttest(allowed):
    rng = np.random.default_rng(5)
    d = binary_pairs(rng, 1, 150, 0.25, 0.04)[0]
    want = stats.ttest_1samp(d, -allowed, alternative="less").pvalue
    assert paired_drop_test(d, allowed)["p_value"] == pytest.approx(want, rel=1e-10)
    assert drop_p_values(np.zeros((1, 10)))[0] == 1.0 and drop_p_values(-np.ones((1, 10)))[0] == 0.0


def test_cluster_bootstrap_matches_a_direct_resampling_of_groups():
    rng = np.random.default_rng(2)
    groups = [f"g{i // 4}" for i in range(60)] + [f"solo{i}" for i in range(20)]
    a = (rng.random(80) < 0.7).astype(float)
    b = np.where(rng.random(80) < 0.2, 1 - a, a)
    ours = cluster_bootstrap_ci(a, b, groups, n_boot=3000, seed=9)
    # direct: draw groups (same generator stream, groups in sorted-name order), pool their cases, take the mean
    names = sorted(set(groups))
    members = {g: [i for i, x in enumerate(groups) if x == g] for g in names}
    draw = np.random.default_rng(9).integers(0, len(names), size=(3000, len(names)))
    direct = [np.mean([b[i] - a[i] for j in row for i in members[names[j]]]) for row in draw]
    lo, hi = np.quantile(direct, [0.025, 0.975])
    assert ours == pytest.approx((lo, hi), abs=1e-12)


def test_cluster_se_matches_statsmodels_cluster_robust_errors():
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(25), rng.integers(1, 7, 25))
    x = (rng.random(len(groups)) < 0.6).astype(float)
    fit = sm.OLS(x, np.ones((len(x), 1))).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert cluster_se(x, groups) == pytest.approx(float(fit.bse[0]), rel=1e-10)
    assert cluster_se(x) == pytest.approx(stats.sem(x), rel=1e-12)


def test_unit_differences_average_each_group_once():
    d = unit_differences([1, 1, 0, 0, 1], [0, 1, 1, 1, 1], ["x", "y", "x", "z", "y"])
    np.testing.assert_allclose(d, [0.0, 0.0, 1.0])  # x: (-1 + 1) / 2, y: 0, z: +1, in order of appearance


def test_gate_holm_family_and_critical_tags_alone():
    rng = np.random.default_rng(11)
    n = 120
    a = np.ones(n)
    b = np.where(rng.random(n) < 0.08, 0.0, 1.0)
    tags = [["facts"] if i < 60 else ["math"] for i in range(n)]
    b[60:75] = 0.0  # math drops hard
    rep = gate_decision(a, b, tags, config={"tags": ["facts", "math"], "critical": ["math"], "alpha": 0.05})
    family = [rep["tests"][t]["p_value"] for t in (ALL, "facts", "math")]
    np.testing.assert_allclose([rep["tests"][t]["p_holm"] for t in (ALL, "facts", "math")], holm(family))
    np.testing.assert_allclose(holm(family), multipletests(family, method="holm")[1])
    assert rep["critical"]["math"]["failed"] and rep["failed"]
    assert any("critical tag 'math'" in r for r in rep["reasons"])
    calm = gate_decision(a, a, tags, config={"allowed_drop": 0.02})
    assert not calm["failed"] and calm["reasons"] == []


# -- simulations: known true pass rates, 2,000 comparisons each ----------------------------------------------------


def _alarm_rate(d: np.ndarray, alpha: float = 0.05) -> float:
    return float((drop_p_values(d) < alpha).mean())


def test_false_alarms_without_repeats_are_near_alpha():
    assert 0.03 <= _alarm_rate(binary_pairs(np.random.default_rng(0), SIMS, 200, 0.2)) <= 0.07


def test_false_alarms_with_repeats_are_near_alpha():
    assert 0.03 <= _alarm_rate(repeated_pairs(np.random.default_rng(1), SIMS, 150, 3)) <= 0.07


def test_false_alarms_with_clustered_cases_need_the_groups():
    d, groups = clustered_pairs(np.random.default_rng(2), SIMS, 60, 5, 0.2)
    by_group = np.stack([unit_differences(np.zeros(d.shape[1]), row, groups) for row in d])
    assert 0.03 <= _alarm_rate(by_group) <= 0.07
    assert _alarm_rate(d) > 0.15  # counting 5 variants as 5 independent cases cries wolf


@pytest.mark.parametrize("n,psi", [(200, 0.2), (400, 0.1)])
def test_detection_at_the_planned_mde_matches_the_planned_power(n, psi):
    drop = mde(n, psi, 0.05, 0.8)
    rate = _alarm_rate(binary_pairs(np.random.default_rng(n), SIMS, n, psi, drop))
    assert abs(rate - 0.8) <= 0.05


def test_detection_with_clustered_cases_at_the_mde_of_its_groups():
    drop = mde(60, 0.2)
    d, groups = clustered_pairs(np.random.default_rng(7), SIMS, 60, 5, 0.2, drop, noise=0.0)
    by_group = np.stack([unit_differences(np.zeros(d.shape[1]), row, groups) for row in d])
    assert abs(_alarm_rate(by_group) - 0.8) <= 0.05
