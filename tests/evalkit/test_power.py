"""Power before the run: the gate's power, MDE and cases needed against statsmodels and an exact enumeration, and
`evalkit power` on a shipped suite."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import TTestPower

from evalkit.cli import main
from evalkit.suites.gates import drop_p_values
from evalkit.suites.power import cases_needed, independent_discordance, mde, power_paired, power_plan
from workbench.errors import BAD_INPUT, OK

REPO = Path(__file__).resolve().parents[2]


def _effect(drop: float, psi: float) -> float:
    """Cohen's d of the paired differences: δ / sd(d), with Var d = ψ - δ²."""
    return drop / math.sqrt(psi - drop**2)


@pytest.mark.parametrize(
    "drop,n,psi,alpha", [(0.05, 200, 0.2, 0.05), (0.02, 1000, 0.1, 0.05), (0.1, 40, 0.3, 0.1), (0.03, 500, 0.15, 0.01)]
)
def test_power_equals_statsmodels_ttest_power(drop, n, psi, alpha):
    want = TTestPower().power(effect_size=_effect(drop, psi), nobs=n, alpha=alpha, alternative="larger")
    assert power_paired(drop, n, psi, alpha) == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("drop,psi,power", [(0.05, 0.2, 0.8), (0.02, 0.1, 0.9), (0.1, 0.32, 0.8)])
def test_cases_needed_is_statsmodels_solve_power_rounded_up(drop, psi, power):
    n = TTestPower().solve_power(effect_size=_effect(drop, psi), power=power, alpha=0.05, alternative="larger")
    assert cases_needed(drop, psi, 0.05, power) == math.ceil(n)


@pytest.mark.parametrize("n,psi", [(200, 0.2), (1000, 0.05), (60, 0.4)])
def test_mde_inverts_statsmodels_solve_power(n, psi):
    es = TTestPower().solve_power(nobs=n, power=0.8, alpha=0.05, alternative="larger")
    want = math.sqrt(es**2 * psi / (1 + es**2))  # δ from es = δ / sqrt(ψ - δ²)
    assert mde(n, psi) == pytest.approx(want, rel=1e-4)  # statsmodels' solver stops at about 3e-5
    at_mde = TTestPower().power(effect_size=_effect(mde(n, psi), psi), nobs=n, alpha=0.05, alternative="larger")
    assert at_mde == pytest.approx(0.8, abs=1e-8)


def test_power_against_exact_enumeration_of_the_paired_test():
    """The normal-theory power against the test's exact power on 0/1 data: every (pass→fail, fail→pass) count of
    60 cases, weighted by its multinomial probability, run through the gate's own p-values."""
    n, psi, drop = 60, 0.3, 0.12
    p10, p01 = (psi + drop) / 2, (psi - drop) / 2
    b, c = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    ok = b + c <= n
    b, c = b[ok], c[ok]
    prob = stats.multinomial.pmf(np.stack([b, c, n - b - c], axis=1), n, [p10, p01, 1 - psi])
    rows = np.zeros((len(b), n))
    for i, (x, y) in enumerate(zip(b, c)):
        rows[i, :x], rows[i, x : x + y] = -1.0, 1.0
    exact = float((prob * (drop_p_values(rows) < 0.05)).sum())
    assert prob.sum() == pytest.approx(1.0)
    assert power_paired(drop, n, psi) == pytest.approx(exact, abs=0.03)


def test_plan_without_past_runs_assumes_independent_results():
    plan = power_plan(300, 0.8)
    assert plan["discordance"] == pytest.approx(independent_discordance(0.8)) == pytest.approx(0.32)
    assert plan["cases"] == 300 and set(plan["cases_needed"]) == {"0.02", "0.05", "0.1"}
    assert power_paired(plan["mde"], 300, 0.32) == pytest.approx(0.8, abs=1e-6)
    assert power_plan(11, 0.8)["mde"] is None  # 11 independent cases can't reach 80% for any drop


def test_power_refuses_what_it_cannot_use():
    with pytest.raises(ValueError, match="alpha"):
        power_paired(0.1, 10, 0.2, alpha=1.5)
    with pytest.raises(ValueError, match="baseline pass rate"):
        independent_discordance(1.2)
    with pytest.raises(ValueError, match="drop"):
        cases_needed(0.0, 0.2)
    assert cases_needed(0.3, 0.2) is None  # a 30-point drop can't happen when only 20% of cases change


def test_cli_power_writes_the_stable_interface(tmp_path, capsys):
    out = tmp_path / "power.json"
    code = main(["power", str(REPO / "suites" / "sanity.yaml"), "--baseline-rate", "0.9", "--json", str(out)])
    assert code == OK
    got = json.loads(out.read_text(encoding="utf-8"))
    assert got["cases"] == 11 and {"mde", "cases_needed"} <= set(got)
    assert got["cases_needed"]["0.05"] == cases_needed(0.05, independent_discordance(0.9))
    assert "to detect a drop of 5 points" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args,named",
    [
        ([], "--baseline-rate"),
        (["--baseline-rate", "1.5"], "--baseline-rate"),
        (["--baseline-rate", "0.8", "--power", "1"], "--power"),
        (["--baseline-rate", "0.8", "--drop", "5"], "--drop"),
    ],
)
def test_cli_power_bad_input_is_exit_2(args, named, capsys):
    with pytest.raises(SystemExit) as e:
        code = main(["power", str(REPO / "suites" / "sanity.yaml"), *args])
        raise SystemExit(code)
    assert e.value.code == BAD_INPUT
    assert named in capsys.readouterr().err
