"""Ratings against independent implementations (choix, a direct scipy fit, scikit-learn), simulations with known
strengths, hand-computed online Elo, and every kind of bad input."""

from __future__ import annotations

import json
import math

import choix
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import spearmanr

from evalkit.ratings import DisconnectedError, bootstrap_bt, ci_rank, fit_bt, leaderboard, online_elo, prepare, to_elo

ALPHA = math.log(10) / 400


def simulate(true_elo, n, rng, *, tie_rate=0.1, style_bias=0.0, lengths=None) -> pd.DataFrame:
    """Battles from a Bradley-Terry model on the Elo scale; ties at random with probability tie_rate."""
    m = len(true_elo)
    a = rng.integers(0, m, n)
    b = rng.integers(0, m - 1, n)
    b = b + (b >= a)
    logit = ALPHA * (np.asarray(true_elo)[a] - np.asarray(true_elo)[b])
    df = {"model_a": [f"m{i}" for i in a], "model_b": [f"m{i}" for i in b]}
    if lengths is not None:
        # Every answer's length varies a lot around its model's typical length, so length and model separate.
        la = rng.poisson(np.asarray(lengths)[a] * rng.lognormal(0, 0.6, n))
        lb = rng.poisson(np.asarray(lengths)[b] * rng.lognormal(0, 0.6, n))
        s = (la - lb) / np.maximum(la + lb, 1)
        logit = logit + style_bias * s / math.sqrt(np.mean(s * s))
        df.update(len_a=la, len_b=lb)
    win = rng.random(n) < expit(logit)
    tie = rng.random(n) < tie_rate
    bad = tie & (rng.random(n) < 0.3)
    df["winner"] = np.where(bad, "tie (bothbad)", np.where(tie, "tie", np.where(win, "model_a", "model_b")))
    return pd.DataFrame(df)


def centred(x):
    x = np.asarray(x, dtype=float)
    return x - x.mean() + 1000


@pytest.fixture(scope="module")
def arena():
    rng = np.random.default_rng(7)
    true = rng.normal(1000, 120, 8)
    return true, simulate(true, 3000, rng)


# ------------------------------------------------------------------------------------------------------------------
# Bradley-Terry equals independent implementations
# ------------------------------------------------------------------------------------------------------------------
def test_bt_equals_choix_and_a_direct_scipy_fit(arena):
    _, df = arena
    bt = prepare(df)
    ours = to_elo(fit_bt(bt, prior=0), bt.models)

    # choix: ties as half a win each way, i.e. every battle counted twice: a win twice, a tie once each way.
    idx = {m: i for i, m in enumerate(bt.models)}
    data = []
    for a, b, w in zip(df.model_a, df.model_b, df.winner):
        i, j = idx[a], idx[b]
        data += [(i, j), (i, j)] if w == "model_a" else [(j, i), (j, i)] if w == "model_b" else [(i, j), (j, i)]
    theirs = choix.ilsr_pairwise(len(bt.models), data, alpha=0.0, tol=1e-12, max_iter=10_000)
    assert np.abs(ours - centred(theirs / ALPHA)).max() < 0.01

    # Chatbot Arena's likelihood written out on every battle (not deduplicated), Elo units directly.
    ia = df.model_a.map(idx).to_numpy()
    ib = df.model_b.map(idx).to_numpy()
    y = df.winner.map({"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}).to_numpy()

    def nll(r):
        p = expit(ALPHA * (r[ia] - r[ib]))
        loss = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum()
        g = np.zeros_like(r)
        np.add.at(g, ia, -ALPHA * (y - p))
        np.add.at(g, ib, ALPHA * (y - p))
        return loss, g

    direct = minimize(
        nll,
        np.full(len(bt.models), 1000.0),
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 10_000},
    ).x
    assert np.abs(ours - centred(direct)).max() < 0.01

    # The public entry point gives the same numbers, mean 1000; the default prior moves them by well under 0.1 Elo.
    lb = leaderboard(df, bootstrap=0, prior=0)
    assert np.abs(np.array([lb["ratings"][m] for m in bt.models]) - ours).max() < 0.01
    assert abs(np.mean(list(lb["ratings"].values())) - 1000) < 0.01
    default = leaderboard(df, bootstrap=0)
    assert max(abs(default["ratings"][m] - lb["ratings"][m]) for m in bt.models) < 0.1
    assert "ci" not in lb and "rank" not in lb


def test_bt_equals_sklearn_logistic_regression_on_the_duplicated_battle_matrix(arena):
    """Chatbot Arena's former method: logistic regression on battles stacked twice, a tie = one win each way."""
    from sklearn.linear_model import LogisticRegression

    _, df = arena
    lb = leaderboard(df, bootstrap=0, prior=0)
    models = lb["models"]
    idx = {m: i for i, m in enumerate(models)}
    d2 = pd.concat([df, df], ignore_index=True)
    X = np.zeros((len(d2), len(models)))
    X[np.arange(len(d2)), d2.model_a.map(idx)] = math.log(10)
    X[np.arange(len(d2)), d2.model_b.map(idx)] = -math.log(10)
    Y = (d2.winner == "model_a").to_numpy().astype(float)
    tie = np.array(d2.winner.str.startswith("tie"))
    tie[len(tie) // 2 :] = False
    Y[tie] = 1.0
    lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-12, max_iter=10_000).fit(X, Y)
    theirs = centred(400 * lr.coef_[0])
    assert np.abs(np.array([lb["ratings"][m] for m in models]) - theirs).max() < 0.05


def test_anchor_pins_one_model_and_keeps_differences(arena):
    _, df = arena
    free = leaderboard(df, bootstrap=0)
    pinned = leaderboard(df, bootstrap=50, anchor="m3=1200")
    assert pinned["ratings"]["m3"] == 1200.0
    assert pinned["ci"]["m3"] == [1200.0, 1200.0]  # the anchor has no uncertainty by construction
    shift = 1200.0 - free["ratings"]["m3"]
    for m, r in free["ratings"].items():
        assert pinned["ratings"][m] == pytest.approx(r + shift, abs=0.02)
    assert leaderboard(df, bootstrap=0, anchor={"m3": 1200})["ratings"]["m3"] == 1200.0
    with pytest.raises(ValueError, match="not in the battles"):
        leaderboard(df, bootstrap=0, anchor="nope=1000")
    with pytest.raises(ValueError, match="bad anchor"):
        leaderboard(df, bootstrap=0, anchor="m3")


def test_bootstrap_replicates_equal_single_lbfgs_fits(arena):
    """The batched Newton bootstrap gives each resample's own maximum-likelihood fit (scipy L-BFGS) to 0.01 Elo."""
    _, df = arena
    bt = prepare(df)
    boots = bootstrap_bt(bt, 20, np.random.default_rng(3))
    draws = np.random.default_rng(3).multinomial(bt.n, bt.counts / bt.counts.sum(), size=20).astype(float)
    for r in (0, 7, 19):
        single = to_elo(fit_bt(bt, weights=draws[r]), bt.models)
        assert np.abs(single - to_elo(boots[r], bt.models)).max() < 0.01


def test_same_seed_same_report_byte_for_byte(arena):
    _, df = arena
    a = json.dumps(leaderboard(df, bootstrap=200, seed=5), sort_keys=True)
    b = json.dumps(leaderboard(df, bootstrap=200, seed=5), sort_keys=True)
    c = json.dumps(leaderboard(df, bootstrap=200, seed=6), sort_keys=True)
    assert a == b and a != c


# ------------------------------------------------------------------------------------------------------------------
# Simulations from known strengths
# ------------------------------------------------------------------------------------------------------------------
def test_simulation_recovers_the_order():
    rng = np.random.default_rng(11)
    true = np.linspace(700, 1300, 10)
    df = simulate(true, 2000, rng)
    lb = leaderboard(df, bootstrap=0)
    est = [lb["ratings"][f"m{i}"] for i in range(10)]
    assert spearmanr(true, est).statistic >= 0.95
    elo = leaderboard(df.sample(frac=1, random_state=0), method="elo", bootstrap=0, k=16)
    assert spearmanr(true, [elo["ratings"][f"m{i}"] for i in range(10)]).statistic >= 0.9


def test_95_percent_intervals_cover_the_true_ratings_about_95_percent_of_the_time():
    rng = np.random.default_rng(2026)
    true = np.array([850.0, 920, 1000, 1040, 1100, 1090])
    truth = centred(true)
    covered = total = 0
    for rep in range(60):
        df = simulate(true, 600, rng)
        lb = leaderboard(df, bootstrap=200, seed=rep)
        for i in range(len(true)):
            lo, hi = lb["ci"][f"m{i}"]
            covered += lo <= truth[i] <= hi
            total += 1
    coverage = covered / total
    assert 0.88 <= coverage <= 0.99, coverage


def test_style_control_separates_length_from_quality_like_sklearn():
    """A judge that loves long answers: equal strengths, one verbose model. Style control finds the length effect
    and the same coefficients as an unpenalised logistic regression with the covariate (scikit-learn)."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    true = np.full(5, 1000.0)
    df = simulate(true, 4000, rng, style_bias=0.6, lengths=[300, 100, 100, 100, 100], tie_rate=0.0)
    plain = leaderboard(df, bootstrap=0)
    styled = leaderboard(df, bootstrap=100, style_control=True, prior=0)
    gap_plain = plain["ratings"]["m0"] - np.mean([plain["ratings"][f"m{i}"] for i in range(1, 5)])
    gap_styled = styled["ratings"]["m0"] - np.mean([styled["ratings"][f"m{i}"] for i in range(1, 5)])
    assert gap_plain > 60  # the verbose model looks better without control
    assert abs(gap_styled) < 30  # and isn't, once length is a covariate
    assert styled["style"]["length"]["coef"] == pytest.approx(0.6, abs=0.12)

    models = styled["models"]
    idx = {m: i for i, m in enumerate(models)}
    bt = prepare(df, style=True)
    d2 = pd.concat([df, df], ignore_index=True)
    s2 = np.concatenate([bt.style[:, 0], bt.style[:, 0]])
    X = np.zeros((len(d2), len(models) + 1))
    X[np.arange(len(d2)), d2.model_a.map(idx)] = 1.0
    X[np.arange(len(d2)), d2.model_b.map(idx)] = -1.0
    X[:, -1] = s2
    Y = (d2.winner == "model_a").to_numpy().astype(float)
    tie = np.array(d2.winner.str.startswith("tie"))
    tie[len(tie) // 2 :] = False
    Y[tie] = 1.0
    lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-12, max_iter=10_000).fit(X, Y)
    theirs = centred(lr.coef_[0][:-1] / ALPHA)
    assert np.abs(np.array([styled["ratings"][m] for m in models]) - theirs).max() < 0.05
    assert styled["style"]["length"]["coef"] == pytest.approx(lr.coef_[0][-1], abs=1e-3)


# ------------------------------------------------------------------------------------------------------------------
# Online Elo
# ------------------------------------------------------------------------------------------------------------------
def test_online_elo_matches_a_hand_computed_sequence_and_depends_on_order():
    df = pd.DataFrame({"model_a": ["A", "B", "C"], "model_b": ["B", "C", "A"], "winner": ["model_a", "tie", "model_a"]})
    bt = prepare(df)
    r = dict(zip(bt.models, online_elo(bt, k=32)))
    # 1. A beats B: E = 0.5, A 1016, B 984.
    # 2. B ties C: E_B = 1 / (1 + 10^(16/400)) = 0.476990..., B += 32 * (0.5 - E_B) = 0.736307 -> 984.736307.
    # 3. C beats A: E_C = 1 / (1 + 10^((1016 - 999.263693) / 400)) = 0.475946..., C += 16.769... -> 1016.033833.
    assert r["A"] == pytest.approx(999.229860, abs=1e-5)
    assert r["B"] == pytest.approx(984.736307, abs=1e-5)
    assert r["C"] == pytest.approx(1016.033833, abs=1e-5)
    assert sum(r.values()) == pytest.approx(3000)
    rev = dict(zip(bt.models, online_elo(prepare(df.iloc[::-1]), k=32)))
    assert rev != pytest.approx(r, abs=0.5)  # same battles, other order, other ratings
    lb = leaderboard(df, method="elo", bootstrap=0, k=32)
    assert lb["ratings"]["C"] == pytest.approx(1016.03, abs=0.01)


def test_elo_bootstrap_gives_intervals_around_the_ratings(arena):
    _, df = arena
    lb = leaderboard(df, method="elo", bootstrap=100, seed=1)
    for _m, (lo, hi) in lb["ci"].items():
        assert lo < hi
    assert set(lb["rank"]) == set(lb["ratings"])


# ------------------------------------------------------------------------------------------------------------------
# Presentation: ranks and matrices
# ------------------------------------------------------------------------------------------------------------------
def test_ci_rank_counts_models_clearly_above():
    lo = np.array([1100.0, 1050, 900, 700])
    hi = np.array([1200.0, 1150, 1000, 800])
    # model 1's interval overlaps model 0's: both rank 1; model 2 is below two; model 3 below three.
    assert ci_rank(lo, hi).tolist() == [1, 1, 3, 4]


def test_matrices_on_a_hand_example():
    df = pd.DataFrame(
        {
            "model_a": ["x", "x", "y", "x", "z"],
            "model_b": ["y", "y", "x", "z", "y"],
            "winner": ["model_a", "tie", "model_a", "model_b", "tie (bothbad)"],
        }
    )
    lb = leaderboard(df, bootstrap=0)
    # x vs y: x won once, tied once, lost once (y won as model_a): (1 + 0.5) / 3.
    assert lb["winrate"]["x"]["y"] == pytest.approx(0.5)
    assert lb["winrate"]["y"]["x"] == pytest.approx(0.5)
    assert lb["winrate"]["z"]["x"] == 1.0 and lb["winrate"]["x"]["z"] == 0.0
    assert lb["counts"]["x"]["y"] == 3 and lb["counts"]["y"]["z"] == 1 and lb["counts"]["x"]["z"] == 1
    assert lb["winrate"]["x"]["x"] is None
    for a in lb["models"]:
        for b in lb["models"]:
            if a != b:
                assert lb["predicted"][a][b] + lb["predicted"][b][a] == pytest.approx(1.0, abs=2e-4)
    ra, rb = lb["ratings"]["z"], lb["ratings"]["x"]
    assert lb["predicted"]["z"]["x"] == pytest.approx(1 / (1 + 10 ** ((rb - ra) / 400)), abs=1e-3)
    assert lb["battles_per_model"] == {"x": 4, "y": 4, "z": 2}


# ------------------------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------------------------
def test_self_battles_are_refused_naming_the_row():
    df = pd.DataFrame({"model_a": ["a", "b", "c"], "model_b": ["b", "b", "a"], "winner": ["tie"] * 3})
    with pytest.raises(ValueError, match=r"self-battle at row 1 \('b' vs itself\)"):
        prepare(df)
    with pytest.raises(ValueError, match=r"battles\.csv:3"):
        prepare(df, where=["battles.csv:2", "battles.csv:3", "battles.csv:4"])


def test_unknown_winner_labels_are_refused_naming_the_row():
    df = pd.DataFrame({"model_a": ["a", "b"], "model_b": ["b", "c"], "winner": ["model_a", "left"]})
    with pytest.raises(ValueError, match=r"unknown winner label at row 1: 'left'") as e:
        prepare(df)
    assert "tie (bothbad)" in e.value.hint
    # Accepted spellings: the judges' A/B/bothbad, and the winning model's name.
    ok = prepare(
        pd.DataFrame({"model_a": ["a", "b", "a"], "model_b": ["b", "c", "c"], "winner": ["A", "c", "bothbad"]})
    )
    assert ok.y.tolist() == [1.0, 0.0, 0.5]


def test_missing_columns_empty_input_and_empty_names():
    with pytest.raises(ValueError, match="missing winner"):
        prepare(pd.DataFrame({"model_a": ["a"], "model_b": ["b"]}))
    with pytest.raises(ValueError, match="no battles"):
        prepare(pd.DataFrame({"model_a": [], "model_b": [], "winner": []}))
    with pytest.raises(ValueError, match="row 0: model_b is empty"):
        prepare(pd.DataFrame({"model_a": ["a"], "model_b": [None], "winner": ["tie"]}))
    with pytest.raises(ValueError, match="len_a"):
        prepare(pd.DataFrame({"model_a": ["a"], "model_b": ["b"], "winner": ["tie"]}), style=True)


def test_a_model_that_never_wins_gets_a_finite_lowest_rating_and_is_flagged():
    rng = np.random.default_rng(1)
    df = simulate([1000, 1050, 1100], 300, rng)
    loser = pd.DataFrame({"model_a": ["zz"] * 10, "model_b": ["m0", "m1"] * 5, "winner": ["model_b"] * 10})
    lb = leaderboard(pd.concat([df, loser], ignore_index=True), bootstrap=200)
    r = lb["ratings"]["zz"]
    assert math.isfinite(r) and r == min(lb["ratings"].values())
    assert lb["rank"]["zz"] == 4 and math.isfinite(lb["ci"]["zz"][0])
    assert ["zz"] in lb["unbounded"]
    # Without the prior the maximum-likelihood rating runs away (it does not exist).
    bare = leaderboard(pd.concat([df, loser], ignore_index=True), bootstrap=0, prior=0)
    assert bare["ratings"]["zz"] < r - 200
    winner = pd.DataFrame({"model_a": ["top"] * 6, "model_b": ["m2"] * 6, "winner": ["model_a"] * 6})
    lb2 = leaderboard(pd.concat([df, winner], ignore_index=True), bootstrap=0)
    assert lb2["models"][0] == "top" and math.isfinite(lb2["ratings"]["top"])


def test_disconnected_graphs_report_components_or_split():
    df = pd.DataFrame(
        {
            "model_a": ["a", "b", "c", "d", "e"],
            "model_b": ["b", "a", "d", "c", "c"],
            "winner": ["model_a", "model_a", "tie", "model_a", "model_b"],
        }
    )
    with pytest.raises(DisconnectedError) as e:
        leaderboard(df)
    assert e.value.components == [["c", "d", "e"], ["a", "b"]]
    assert "2 separate groups" in e.value.message
    lb = leaderboard(df, bootstrap=50, disconnected="split")
    assert lb["components"] == [["c", "d", "e"], ["a", "b"]]
    assert lb["component"]["a"] == lb["component"]["b"] == 1 and lb["component"]["e"] == 0
    assert (lb["ratings"]["a"] + lb["ratings"]["b"]) / 2 == pytest.approx(1000, abs=0.02)  # each group centred
    assert lb["predicted"]["a"]["c"] is None  # no prediction across groups
    assert lb["counts"]["a"]["c"] == 0


@pytest.mark.parametrize(
    "option,value",
    [("--prior", "-1"), ("--prior", "nan"), ("--k", "0"), ("--k", "-4"), ("--bootstrap", "-5"), ("--seed", "-1")],
)
def test_ratings_options_out_of_range_exit_2_naming_the_option(tmp_path, capsys, option, value):
    """`--prior -1` printed ratings around 8e26 (a numpy overflow) and exited 0 (issue 16, defect 5)."""
    from evalkit.cli import main

    src = tmp_path / "b.csv"
    src.write_text("model_a,model_b,winner\na,b,model_a\nb,c,model_b\nc,a,tie\n")
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as e:
        main(["ratings", str(src), "--method", "elo" if option == "--k" else "bt", option, value, "--json", str(out)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: must be" in err and "Traceback" not in err
    assert not out.exists()


def test_pure_fits_refuse_nonsense_settings(arena):
    _, df = arena
    bt = prepare(df)
    rng = np.random.default_rng(0)
    for call, match in [
        (lambda: fit_bt(bt, prior=-1), "prior must be >= 0"),
        (lambda: fit_bt(bt, prior=float("nan")), "prior must be a finite number"),
        (lambda: online_elo(bt, k=0), "k must be > 0"),
        (lambda: online_elo(bt, scale=-400), "scale must be > 0"),
        (lambda: bootstrap_bt(bt, 0, rng), "rounds must be >= 1"),
        (lambda: bootstrap_bt(bt, 2.5, rng), "rounds must be a finite integer"),
        (lambda: to_elo(np.zeros(3), ["a", "b", "c"], base=1), "base must be > 1"),
        (lambda: leaderboard(df, prior=-1), "prior must be >= 0"),
        (lambda: leaderboard(df, method="elo", k=-4), "k must be > 0"),
        (lambda: leaderboard(df, bootstrap=-5), "bootstrap must be >= 0"),
        (lambda: leaderboard(df, level=1.5), "level must be < 1"),
    ]:
        with pytest.raises(ValueError, match=match):
            call()
