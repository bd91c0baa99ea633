"""The regression gate on simulated comparisons with known true pass rates: false alarms at α = 0.05 (one sample,
repeats, clustered cases) and detection at the planned minimum detectable effect, against the unpaired two-proportion
z-test (statsmodels' proportions_ztest, what lm-evaluation-harness's comparison helper runs) on the same data.

Settings follow tests/evalkit/test_gates.py; the simulators are tests/fixtures/gates_sim.py. Writes
benchmarks/results/gates.json.

    .venv/bin/python benchmarks/bench_gates.py [--sims 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from statsmodels.stats.proportion import proportions_ztest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the simulators
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import record  # noqa: E402
from fixtures.gates_sim import binary_pairs, clustered_pairs, repeated_pairs  # noqa: E402

from evalkit.suites.gates import drop_p_values, unit_differences  # noqa: E402
from evalkit.suites.power import mde  # noqa: E402

TITLE = "Regression gate: false alarms and detection over simulated comparisons (paired vs unpaired test)"
ALPHA, POWER = 0.05, 0.8


def alarm_rate(d: np.ndarray) -> float:
    """Share of simulated comparisons the gate fails (one-sided paired t-test at ALPHA)."""
    return float((drop_p_values(d) < ALPHA).mean())


def unpaired_rate(rng: np.random.Generator, d: np.ndarray, base_rate: float) -> float:
    """The unpaired two-proportion z-test on the same comparisons: A's results drawn to match d and the base rate."""
    psi = float(np.mean(d != 0))
    both = rng.random(d.shape) < (base_rate - np.mean(d == -1)) / (1 - psi)
    a = np.where(d == -1, 1, np.where(d == 1, 0, both)).sum(axis=1)
    b = np.where(d == -1, 0, np.where(d == 1, 1, both)).sum(axis=1)
    n = d.shape[1]
    p = [proportions_ztest([x, y], [n, n], alternative="larger")[1] for x, y in zip(a, b)]
    return float((np.asarray(p) < ALPHA).mean())


def grouped(d: np.ndarray, groups: list[str]) -> np.ndarray:
    return np.stack([unit_differences(np.zeros(d.shape[1]), row, groups) for row in d])


def measure(sims: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n, psi, base = 200, 0.2, 0.8
    drop = mde(n, psi, ALPHA, POWER)
    null_d, alt_d = binary_pairs(rng, sims, n, psi), binary_pairs(rng, sims, n, psi, drop)
    cl_null, labels = clustered_pairs(rng, sims, 60, 5, psi)
    g_drop = mde(60, psi, ALPHA, POWER)
    cl_alt, _ = clustered_pairs(rng, sims, 60, 5, psi, g_drop, noise=0.0)
    return {
        "sims": sims,
        "alpha": ALPHA,
        "planned_power": POWER,
        "cases": n,
        "discordance": psi,
        "planned_mde_points": round(100 * drop, 2),
        "false_alarm_one_sample": alarm_rate(null_d),
        "false_alarm_repeats_k3": alarm_rate(repeated_pairs(rng, sims, 150, 3)),
        "false_alarm_clustered_by_group": alarm_rate(grouped(cl_null, labels)),
        "false_alarm_clustered_cases_as_independent": alarm_rate(cl_null),
        "detection_at_mde": alarm_rate(alt_d),
        "detection_at_mde_unpaired_ztest": unpaired_rate(rng, alt_d, base),
        "false_alarm_unpaired_ztest": unpaired_rate(rng, null_d, base),
        "clustered_groups": 60,
        "clustered_group_size": 5,
        "clustered_planned_mde_points": round(100 * g_drop, 2),
        "detection_at_mde_clustered": alarm_rate(grouped(cl_alt, labels)),
    }


def table_rows(d: dict) -> list[dict]:
    """The rows of one run: false alarms (lower is better while near α) and detection (higher is better)."""
    z = "unpaired two-proportion z-test (statsmodels)"
    return [
        record.row(
            "false_alarm",
            f"false alarms at α {ALPHA}, one sample per case, {d['cases']} cases (the unpaired z-test: see details)",
            "rate",
            d["false_alarm_one_sample"],
        ),
        record.row(
            "false_alarm_repeats",
            "false alarms at α 0.05, 150 cases × 3 repeats (pass rates)",
            "rate",
            d["false_alarm_repeats_k3"],
        ),
        record.row(
            "false_alarm_clustered",
            "false alarms, 60 groups × 5 variants, tested by group",
            "rate",
            d["false_alarm_clustered_by_group"],
            d["false_alarm_clustered_cases_as_independent"],
            "same test, the 300 variants counted as independent cases",
        ),
        record.row(
            "detection",
            f"detection of a {d['planned_mde_points']}-point drop (planned power 0.8)",
            "rate",
            d["detection_at_mde"],
            d["detection_at_mde_unpaired_ztest"],
            z,
            better=record.HIGHER,
        ),
        record.row(
            "detection_clustered",
            f"detection of a {d['clustered_planned_mde_points']}-point drop, 60 groups (planned power 0.8)",
            "rate",
            d["detection_at_mde_clustered"],
            better=record.HIGHER,
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    started = record.begin()
    t0 = time.perf_counter()
    result = measure(args.sims, args.seed)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    record.append(
        Path(__file__).with_name("results") / "gates.json",
        started,
        title=TITLE,
        rows=table_rows(result),
        details=result,
        command=record.command_line(),
    )
    for k, v in result.items():
        print(f"  {k}: {v}")


if __name__ == "__main__":
    main()
