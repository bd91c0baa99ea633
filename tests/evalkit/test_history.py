"""`evalkit history`: a suite's runs in time order with their interval (against statsmodels' cluster-robust errors),
drops marked against the previous accepted run, and the discordance `evalkit power` reads from past runs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import statsmodels.api as sm

from evalkit.cli import main
from evalkit.suites import records
from evalkit.suites.history import past_discordance, suite_history
from workbench.errors import BAD_INPUT, OK


def add_run(store, statuses: list[str], *, model: str = "m", groups: list[str] | None = None, name: str = "s") -> str:
    """A finished suite run with these case statuses, stored as the runner stores one."""
    run = store.start_run("suite", name, model=model, fingerprint=f"fp-{model}", config={})
    rows = [
        {"id": f"c{i}", "tags": [], "output": "", "latency_s": 0.0, "status": s, "score": float(s == "pass")}
        | ({"group": groups[i]} if groups else {})
        for i, s in enumerate(statuses)
    ]
    records.record_cases(store, run, name, model, rows)
    records.finish_run(store, run, {}, {})
    return run


def test_history_lists_runs_in_time_order_with_clustered_intervals(store):
    groups = [f"q{i // 4}" for i in range(80)]
    good = ["pass"] * 64 + ["fail"] * 16
    r1 = add_run(store, good, groups=groups)
    r2 = add_run(store, good, model="other", groups=groups)
    r3 = add_run(store, ["fail"] * 24 + ["pass"] * 40 + ["fail"] * 16, groups=groups)
    hist = suite_history(store, "s")
    assert [r["run_id"] for r in hist["runs"]] == [r1, r2, r3]
    first = hist["runs"][0]
    x = np.array([s == "pass" for s in good], dtype=float)
    se = sm.OLS(x, np.ones((80, 1))).fit(cov_type="cluster", cov_kwds={"groups": np.repeat(np.arange(20), 4)}).bse[0]
    assert first["pass_rate"] == pytest.approx(0.8)
    assert first["ci"] == pytest.approx([0.8 - 1.959964 * se, 0.8 + 1.959964 * se])
    assert first["baseline"] is None and not first["drop"]
    assert hist["runs"][1]["delta"] == 0.0 and not hist["runs"][1]["drop"]
    assert (
        hist["runs"][2]["baseline"] == r2
        and hist["runs"][2]["drop"]
        and hist["runs"][2]["delta"] == pytest.approx(-0.3)
    )
    assert [r["model"] for r in suite_history(store, "s", "other")["runs"]] == ["other"]


def test_a_drop_is_marked_against_the_previous_accepted_run(store):
    r1 = add_run(store, ["pass"] * 50)
    r2 = add_run(store, ["fail"] * 20 + ["pass"] * 30)
    records.mark_gate(store, {"id": r2}, {"failed": True, "baseline": r1, "reasons": ["dropped"]})
    r3 = add_run(store, ["fail"] * 20 + ["pass"] * 30)
    runs = {r["run_id"]: r for r in suite_history(store, "s")["runs"]}
    assert not runs[r2]["accepted"] and runs[r2]["drop"]
    assert runs[r3]["baseline"] == r1 and runs[r3]["drop"]  # r2 was rejected: r3 still answers to r1


def test_past_discordance_averages_consecutive_runs(store):
    add_run(store, ["pass", "pass", "fail", "fail"])
    add_run(store, ["pass", "fail", "fail", "pass"])
    add_run(store, ["pass", "fail", "fail", "pass"])
    assert past_discordance(store, "s") == (pytest.approx((0.5 + 0.0) / 2), 2)
    assert past_discordance(store, "nothing") == (None, 0)


def test_cli_history_json_and_text(store, tmp_path, capsys):
    add_run(store, ["pass"] * 40, name="sanity")
    add_run(store, ["fail"] * 15 + ["pass"] * 25, name="sanity")
    out = tmp_path / "h.json"
    assert main(["history", "suites/sanity.yaml", "--store", store.url, "--json", str(out)]) == OK
    hist = json.loads(out.read_text(encoding="utf-8"))
    assert [r["pass_rate"] for r in hist["runs"]] == [1.0, 0.625]
    assert {"run_id", "created_at", "model", "fingerprint", "ci", "delta", "drop"} <= set(hist["runs"][0])
    assert "DROP" in capsys.readouterr().out
    assert main(["history", "nope", "--store", store.url]) == BAD_INPUT
    assert "no finished run of suite 'nope'" in capsys.readouterr().err


def test_cli_power_reads_the_baseline_and_past_discordance(store, tmp_path):
    add_run(store, ["pass"] * 9 + ["fail"] * 2, name="sanity")
    base = add_run(store, ["pass"] * 8 + ["fail"] * 3, name="sanity")
    out = tmp_path / "p.json"
    code = main(["power", "suites/sanity.yaml", "--baseline", base[:10], "--store", store.url, "--json", str(out)])
    assert code == OK
    got = json.loads(out.read_text(encoding="utf-8"))
    assert got["baseline_rate"] == pytest.approx(8 / 11)
    assert got["discordance"] == pytest.approx(1 / 11) and got["discordance_from"] == "past runs"
