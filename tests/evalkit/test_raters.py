"""Consensus (Dawid-Skene vs crowd-kit, vs majority on simulated truth), per-rater figures (kappa vs scikit-learn,
Wilson and Newcombe intervals' coverage on 1,000 simulated sessions), flags by name, gold accuracy, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from fixtures.raters_sim import LABELS, default_panel, simulate

from evalkit.agreement import agreement_report, prepare
from evalkit.agreement.consensus import dawid_skene, majority_vote
from evalkit.agreement.raters import newcombe_diff, wilson
from workbench.errors import InputError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def _truth_codes(r, truth) -> np.ndarray:
    code = {lab: i for i, lab in enumerate(r.labels)}
    return np.array([code[LABELS[truth[int(i[1:])]]] for i in r.items])


@pytest.fixture(scope="module")
def session():
    df, truth = simulate(default_panel(), 300, 3, np.random.default_rng(7))
    return df, truth


def test_dawid_skene_matches_crowdkit():
    """Same posteriors, confusion matrices (every cell crowd-kit keeps) and labels, same initialisation (majority
    vote) and the same number of EM rounds."""
    from crowdkit.aggregation import DawidSkene

    rng = np.random.default_rng(3)
    n_raters, n_items, k = 6, 200, 3
    truth = rng.integers(0, k, n_items)
    codes = np.full((n_raters, n_items), np.nan)
    for r, acc in enumerate((0.9, 0.8, 0.7, 0.6, 0.34, 0.5)):
        seen = rng.random(n_items) < 0.7
        codes[r, seen] = np.where(rng.random(n_items) < acc, truth, rng.integers(0, k, n_items))[seen]
    rr, nn = np.nonzero(~np.isnan(codes))
    data = pd.DataFrame({"task": nn, "worker": rr, "label": codes[rr, nn].astype(int)})
    peer = DawidSkene(n_iter=25, tol=-np.inf).fit(data)
    ours = dawid_skene(codes, k, n_iter=25, tol=0)
    assert ours.iterations == 25
    probas = peer.probas_.sort_index()
    np.testing.assert_allclose(ours.posterior[probas.index.to_numpy()], probas[list(range(k))].to_numpy(), atol=1e-6)
    for (worker, observed), row in peer.errors_.iterrows():
        np.testing.assert_allclose(ours.errors[worker, observed, list(row.index)], row.to_numpy(), atol=1e-6)
    labels = peer.labels_.sort_index()
    assert (ours.labels[labels.index.to_numpy()] == labels.to_numpy()).all()


def test_majority_vote_by_enumeration():
    codes = np.array([[0, 1, np.nan, 2], [0, 1, 1, np.nan], [1, 0, 0, np.nan]])
    mv = majority_vote(codes, 3)
    assert mv.labels.tolist() == [0, 1, 0, 2]  # item 2: a 1-1 tie goes to the lowest code
    np.testing.assert_allclose(mv.posterior[0], [2 / 3, 1 / 3, 0])


def test_dawid_skene_recovers_truth_better_than_majority(session):
    df, truth = session
    r = prepare(df)
    t = _truth_codes(r, truth)
    ds, mv = dawid_skene(r.codes, len(r.values)), majority_vote(r.codes, len(r.values))
    acc_ds, acc_mv = (ds.labels == t).mean(), (mv.labels == t).mean()
    assert acc_ds > acc_mv + 0.03, (acc_ds, acc_mv)
    # the spammers' estimated confusion matrices are near rank one: P(label | truth) hardly depends on the truth
    spam = r.raters.index("spammer-1")
    good = r.raters.index("good-1")
    assert np.abs(np.diff(ds.errors[spam][:, :2], axis=1)).max() < np.abs(np.diff(ds.errors[good][:, :2], axis=1)).max()


def test_flags_name_the_spammers_and_the_biased_rater(session):
    df, _ = session
    rep = agreement_report(df, consensus="dawid-skene", bootstrap=0)
    flagged = {name for name, f in rep["raters"].items() if "spammer" in f["flags"]}
    assert {"spammer-1", "spammer-2"} <= flagged
    assert not any(name.startswith("good") for name in flagged)
    assert [n for n, f in rep["raters"].items() if "position_bias" in f["flags"]] == ["lefty"]
    assert set(rep["consensus"]["labels"]) == set(df["item_id"])


def test_per_rater_kappa_and_shares_by_independent_counts(session):
    from sklearn.metrics import cohen_kappa_score

    df, _ = session
    rep = agreement_report(df, consensus="majority", bootstrap=0)
    wide = df.pivot(index="item_id", columns="rater", values="rating")
    for a, fig in rep["raters"].items():
        for b, kappa in fig["cohen_kappa_vs"].items():
            both = wide[[a, b]].dropna()
            assert kappa == pytest.approx(cohen_kappa_score(both[a], both[b]), abs=1e-6)
        mine = df[df.rater == a]
        assert fig["tie_rate"]["value"] == pytest.approx((mine.rating == "tie").mean(), abs=1e-6)
        decisive = mine[mine.rating != "tie"]
        left = ((decisive.rating == "A") == (decisive.position == "left")).mean()
        assert fig["position_bias"]["value"] == pytest.approx(left, abs=1e-6)
        assert fig["seconds_median"] == pytest.approx(mine.seconds.median())


def test_leave_one_out_agreement_by_hand():
    """Three raters on four items: each rater's agreement with the majority of the other two (ties → lowest)."""
    rows = [
        ("q1", "x", "A"), ("q1", "y", "A"), ("q1", "z", "B"),
        ("q2", "x", "B"), ("q2", "y", "B"), ("q2", "z", "B"),
        ("q3", "x", "A"), ("q3", "y", "B"), ("q3", "z", "B"),
        ("q4", "x", "tie"), ("q4", "y", "A"), ("q4", "z", "A"),
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=["item_id", "rater", "rating"])
    rep = agreement_report(df, consensus="majority", bootstrap=0)
    # x vs majority(y, z): q1 A/B tie→A ✓, q2 B ✓, q3 B ✗, q4 A ✗ → 2/4
    assert rep["raters"]["x"]["agreement_with_consensus"]["value"] == 0.5
    assert rep["consensus"]["labels"] == {"q1": "A", "q2": "B", "q3": "B", "q4": "A"}


def test_wilson_interval_coverage_on_simulated_sessions():
    """Gold accuracy and left-pick share are proportions with Wilson intervals: over 1,000 simulated sessions of a
    rater with known accuracy / left rate, the 95 % interval covers the truth 93-97 % of the time."""
    rng = np.random.default_rng(11)
    for p, n in ((0.6, 80), (0.75, 120), (0.7, 40)):
        k = rng.binomial(n, p, size=1000)
        lo, hi = wilson(k, n)
        coverage = ((lo <= p) & (p <= hi)).mean()
        assert 0.93 <= coverage <= 0.97, (p, n, coverage)


def test_drift_interval_coverage_on_simulated_sessions():
    rng = np.random.default_rng(12)
    for p1, p2, n in ((0.8, 0.7, 80), (0.6, 0.6, 120)):
        k1, k2 = rng.binomial(n, p1, size=1000), rng.binomial(n, p2, size=1000)
        lo, hi = newcombe_diff(k1, n, k2, n)
        coverage = ((lo <= p2 - p1) & (p2 - p1 <= hi)).mean()
        assert 0.93 <= coverage <= 0.97, (p1, p2, coverage)


def test_wilson_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = wilson(17, 40)
    assert (lo, hi) == pytest.approx(proportion_confint(17, 40, method="wilson"), abs=1e-9)


def test_gold_accuracy_counts_and_missing_verdict(session):
    df, truth = session
    gold = [(f"gold.csv:{i + 2}", {"item_id": f"q{i:04d}", "verdict": LABELS[truth[i]]}) for i in range(40)]
    gold.append(("gold.csv:42", {"item_id": "q9999", "verdict": "A"}))
    rep = agreement_report(df, gold=gold, bootstrap=0)
    assert rep["gold"] == {"n_gold": 41, "n_gold_rated": 40, "gold_not_rated": ["q9999"]}
    assert rep["consensus"]["method"] == "dawid-skene"
    mine = df[(df.rater == "good-1") & df.item_id.isin({f"q{i:04d}" for i in range(40)})]
    right = sum(row.rating == LABELS[truth[int(row.item_id[1:])]] for row in mine.itertuples())
    assert rep["raters"]["good-1"]["gold_accuracy"]["value"] == pytest.approx(right / len(mine))
    gold[3] = ("gold.csv:5", {"item_id": "q0003", "verdict": ""})
    with pytest.raises(InputError, match=r"gold.csv:5: gold item has no verdict \(1 of 41"):
        agreement_report(df, gold=gold, bootstrap=0)


def test_rater_with_no_items_is_named():
    df = pd.DataFrame(
        [("q1", "x", "A"), ("q1", "y", "B"), ("q2", "x", "B"), ("q2", "y", "B"), ("q1", "z", "unparsed")],
        columns=["item_id", "rater", "rating"],
    )
    rep = agreement_report(df, consensus="majority", bootstrap=0)
    assert rep["raters_without_items"] == ["z"]
    assert rep["n_dropped_no_verdict"] == 1


def test_judge_split_unanimous_and_split_items():
    rows = []
    for i, (h, j) in enumerate([("AAA", "A"), ("AAA", "B"), ("BBB", "B"), ("ABB", "B"), ("AAB", "B"), ("ABA", "A")]):
        rows += [(f"q{i}", f"h{n}", v, "human") for n, v in enumerate(h)] + [(f"q{i}", "judge", j, "llm")]
    df = pd.DataFrame(rows, columns=["item_id", "rater", "rating", "rater_kind"])
    rep = agreement_report(df, judge="judge", consensus="majority", bootstrap=200)
    split = rep["judge"]["by_human_agreement"]
    assert split["unanimous"]["n_items"] == 3 and split["split"]["n_items"] == 3
    assert split["unanimous"]["human_vs_human"]["percent_agreement"] == 1.0
    assert split["unanimous"]["judge_vs_humans"]["percent_agreement"] == pytest.approx(6 / 9)
    assert split["split"]["human_vs_human"]["percent_agreement"] == pytest.approx(1 / 3)  # 1 of 3 pairs per item
    assert split["split"]["judge_vs_humans"]["percent_agreement"] == pytest.approx(5 / 9)  # 2 + 1 + 2 of 9 pairs
    assert split["judge_vs_consensus"]["value"] == pytest.approx(4 / 6)  # human majorities A A B B A A


def test_no_new_keys_without_the_new_options(session):
    df, _ = session
    rep = agreement_report(df, bootstrap=0)
    assert not {"consensus", "gold", "raters_without_items"} & set(rep)
    assert isinstance(rep["raters"], list)  # today's list of names; --consensus makes it {name: figures}


def test_cli_consensus_and_bad_gold(tmp_path, session):
    df, truth = session
    ratings, gold, out = tmp_path / "r.csv", tmp_path / "gold.csv", tmp_path / "o.json"
    df.to_csv(ratings, index=False)
    gold.write_text("item_id,verdict\nq0000," + LABELS[truth[0]] + "\nq0001,\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "evalkit", "agree", str(ratings), "--bootstrap", "0"]
    done = subprocess.run([*cmd, "--gold", str(gold)], capture_output=True, text=True)
    assert done.returncode == 2 and "gold.csv:3: gold item has no verdict (1 of 2" in done.stderr
    done = subprocess.run([*cmd, "--consensus", "majority", "--json", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "FLAGS: spammer" in done.stdout
    got = json.loads(out.read_text())
    assert got["consensus"]["method"] == "majority" and set(got["raters"]) == {r.name for r in default_panel()}


def test_position_column_must_be_a_side():
    df = pd.DataFrame(
        [("q1", "x", "A", "left"), ("q1", "y", "B", "up")], columns=["item_id", "rater", "rating", "position"]
    )
    with pytest.raises(InputError, match="position 'up' is not a side"):
        agreement_report(df, consensus="majority", bootstrap=0)


def test_leniency_on_a_score_scale_against_scipy():
    """Leniency: a rater's mean score minus the others' mean on the same items, with scipy's t interval."""
    from scipy import stats as st

    rng = np.random.default_rng(5)
    truth = rng.integers(2, 9, 40)
    rows = []
    for name, shift in (("easy", 1), ("fair", 0), ("hard", -1)):
        for i, t in enumerate(truth):
            rows.append((f"q{i}", name, int(np.clip(t + shift + rng.integers(-1, 2), 1, 10))))
    df = pd.DataFrame(rows, columns=["item_id", "rater", "rating"])
    rep = agreement_report(df, level="interval", consensus="majority", bootstrap=0)
    wide = df.pivot(index="item_id", columns="rater", values="rating").astype(float)
    d = wide["easy"] - wide[["fair", "hard"]].mean(axis=1)
    ci = st.ttest_1samp(d, 0).confidence_interval(0.95)
    got = rep["raters"]["easy"]["leniency"]
    assert got["value"] == pytest.approx(d.mean()) and got["value"] > 1
    assert got["ci"] == pytest.approx([ci.low, ci.high], abs=1e-6)
    assert rep["raters"]["hard"]["leniency"]["value"] < -1
    assert rep["raters"]["fair"]["tie_rate"] is None and "no ties" in rep["raters"]["fair"]["undefined"]["tie_rate"]


def test_seconds_between_votes_by_hand():
    """Time on an item from when the votes were saved: a rater's first vote is unknown, a 30-minute gap a break."""
    from evalkit.agreement.raters import seconds_between

    raters = ["kim", "lee", "kim", "kim", "lee", "kim"]
    times = ["10:00:00", "10:00:05", "10:00:20", "11:00:00", "10:00:17", "11:00:09"]
    got = seconds_between(raters, [f"2026-12-01T{t}Z" for t in times])
    assert got[2:] == [20.0, pytest.approx(float("nan"), nan_ok=True), 12.0, 9.0]
    assert np.isnan(got[0]) and np.isnan(got[1])
