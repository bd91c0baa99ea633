"""Style control, Davidson ties and separability (issue 20), each against an independent implementation:
scikit-learn's unpenalised logistic regression, a direct scipy maximum-likelihood fit, the `evalica` package's
Bradley-Terry, scipy's rank correlations and a hand count on three models."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from fixtures.ratings_sim import ALPHA, styled_battles
from scipy import stats
from scipy.optimize import minimize
from scipy.special import expit

from evalkit.cli import main
from evalkit.ratings import leaderboard, prepare
from evalkit.ratings.separability import against, agreement_with_ci, reference_scores, separability
from evalkit.ratings.style import markdown_counts, normalise


def centred(elo: np.ndarray) -> np.ndarray:
    return elo - elo.mean() + 1000


def design(df: pd.DataFrame, models: list[str], feats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logistic-regression rows: +1 for model_a, -1 for model_b, the style covariates; a tie is a half-weight win
    and a half-weight loss (the Arena's likelihood). Returns (X, y, sample weights)."""
    idx = {m: i for i, m in enumerate(models)}
    n = len(df)
    X = np.zeros((n, len(models) + feats.shape[1]))
    X[np.arange(n), df.model_a.map(idx)] = 1.0
    X[np.arange(n), df.model_b.map(idx)] = -1.0
    X[:, len(models) :] = feats
    s = np.where(df.winner == "model_a", 1.0, np.where(df.winner == "model_b", 0.0, 0.5))
    return np.vstack([X, X]), np.r_[np.ones(n), np.zeros(n)], np.r_[s, 1 - s]


# ------------------------------------------------------------------------------------------------------------------
# Style control
# ------------------------------------------------------------------------------------------------------------------
def test_style_control_equals_unpenalised_logistic_regression_to_a_hundredth_of_an_elo():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    df = styled_battles(
        [0, 40, 80, 120, 160], [300, 100, 200, 150, 120], 3000, rng, bias=0.5, md_bias=0.3, tie_rate=0.1
    )
    ours = leaderboard(df, bootstrap=50, style_control=True, prior=0)
    assert list(ours["style"]) == ["length", "md_bold"]
    bt = prepare(df, style=True)
    X, y, w = design(df, bt.models, bt.style)
    lr = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(X, y, sample_weight=w)
    m = len(bt.models)
    theirs = centred(lr.coef_[0][:m] / ALPHA)
    got = np.array([ours["ratings"][x] for x in bt.models])
    assert np.abs(got - theirs).max() < 0.01
    for j, name in enumerate(bt.style_names):
        assert ours["style"][name]["coef"] == pytest.approx(lr.coef_[0][m + j], abs=1e-4)
        lo, hi = ours["style"][name]["ci"]
        assert lo < ours["style"][name]["coef"] < hi
    assert set(ours["unadjusted"]) == {"ratings", "ci"}


def test_style_control_recovers_the_true_order_under_a_length_bias_where_plain_bt_does_not():
    """Better models write shorter answers and the judge loves length: plain BT gets the order wrong, style
    control gets it right (Spearman >= 0.95 against the true strengths)."""
    rng = np.random.default_rng(7)
    true = np.arange(8) * 30.0
    lengths = 600 / (1 + np.arange(8))  # the strongest model is the tersest
    df = styled_battles(true, lengths, 20_000, rng, bias=1.0)
    plain = leaderboard(df, bootstrap=0)
    styled = leaderboard(df, bootstrap=0, style_control=True)
    names = [f"m{i}" for i in range(8)]
    rho_plain = stats.spearmanr(true, [plain["ratings"][x] for x in names]).statistic
    rho_styled = stats.spearmanr(true, [styled["ratings"][x] for x in names]).statistic
    assert rho_styled >= 0.95
    assert rho_plain < 0.5
    assert styled["style"]["length"]["coef"] == pytest.approx(1.0, abs=0.1)


def test_markdown_is_counted_as_fastchat_does_and_texts_give_the_same_covariates_as_columns():
    text = "# Title\n\nSome **bold** and __also__.\n\n- one\n- two\n1. first\n```\n# not a header\n- nor a list\n```\n"
    assert markdown_counts(text) == {"length": len(text), "md_headers": 1, "md_lists": 3, "md_bold": 2}
    rng = np.random.default_rng(3)
    answers = [("# h\n" * int(k)) + "- x\n" * int(j) + "y" * int(n) for k, j, n in rng.integers(0, 4, (40, 3)) * 5]
    df = pd.DataFrame(
        {
            "model_a": ["a", "b"] * 10,
            "model_b": ["b", "c"] * 10,
            "winner": ["model_a", "tie", "model_b", "model_a"] * 5,
            "answer_a": answers[:20],
            "answer_b": answers[20:],
        }
    )
    from_text = prepare(df, style=True)
    cols = df.assign(
        **{
            f"{col}_{side}": [markdown_counts(t)[feat] for t in df[f"answer_{side}"]]
            for feat, col in (("length", "len"), ("md_headers", "md_headers"), ("md_lists", "md_lists"))
            for side in ("a", "b")
        }
    )
    from_cols = prepare(cols.drop(columns=["answer_a", "answer_b"]), style=True)
    assert from_text.style_names == from_cols.style_names == ["length", "md_headers", "md_lists"]
    np.testing.assert_allclose(from_text.style, from_cols.style)


def test_style_arena_normalisation_by_hand():
    # (a - b) / (a + b + 1): (3 - 1) / 5 = 0.4 and (0 - 4) / 5 = -0.8; root mean square sqrt(0.4) ≈ 0.6325
    got = normalise([3, 0], [1, 4])
    np.testing.assert_allclose(got, np.array([0.4, -0.8]) / math.sqrt((0.16 + 0.64) / 2))


# ------------------------------------------------------------------------------------------------------------------
# Davidson ties and plain BT against evalica
# ------------------------------------------------------------------------------------------------------------------
def davidson_scipy(df: pd.DataFrame, models: list[str]) -> tuple[np.ndarray, float]:
    """Davidson (1970) by direct maximum likelihood, one term per battle: the first model's strength fixed at 0."""
    idx = {m: i for i, m in enumerate(models)}
    a, b = df.model_a.map(idx).to_numpy(), df.model_b.map(idx).to_numpy()
    win = (df.winner == "model_a").to_numpy()
    lose = (df.winner == "model_b").to_numpy()
    tie = ~(win | lose)

    def nll(p):
        beta = np.r_[0.0, p[:-1]]
        pa, pb, nu = np.exp(beta[a]), np.exp(beta[b]), np.exp(p[-1])
        z = pa + pb + nu * np.sqrt(pa * pb)
        return -(
            np.log(pa[win] / z[win]).sum()
            + np.log(pb[lose] / z[lose]).sum()
            + np.log(nu * np.sqrt(pa[tie] * pb[tie]) / z[tie]).sum()
        )

    res = minimize(nll, np.zeros(len(models)), method="BFGS", options={"gtol": 1e-9})
    return centred(np.r_[0.0, res.x[:-1]] / ALPHA), math.exp(res.x[-1])


def test_davidson_equals_a_direct_scipy_maximum_likelihood_fit():
    rng = np.random.default_rng(11)
    true = np.array([0.0, 60, 120, 200])
    n = 2000
    a = rng.integers(0, 4, n)
    b = (a + 1 + rng.integers(0, 3, n)) % 4
    d = ALPHA * (true[a] - true[b])
    nu = 0.8
    z = np.exp(d / 2) + np.exp(-d / 2) + nu
    u = rng.random(n)
    winner = np.where(u < np.exp(d / 2) / z, "model_a", np.where(u < (np.exp(d / 2) + nu) / z, "tie", "model_b"))
    winner = np.where((winner == "tie") & (rng.random(n) < 0.3), "tie (bothbad)", winner)
    df = pd.DataFrame({"model_a": [f"m{i}" for i in a], "model_b": [f"m{i}" for i in b], "winner": winner})
    ours = leaderboard(df, bootstrap=50, ties="davidson", prior=0)
    models = sorted(ours["ratings"])
    theirs, nu_hat = davidson_scipy(df, models)
    assert np.abs(np.array([ours["ratings"][x] for x in models]) - theirs).max() < 0.01
    assert ours["tie_parameter"] == pytest.approx(nu_hat, abs=1e-3)
    assert ours["tie_parameter_ci"][0] < nu < ours["tie_parameter_ci"][1]
    # both-bad counts as a tie, as the Arena counts it
    same = leaderboard(df.replace({"winner": {"tie (bothbad)": "tie"}}), bootstrap=0, ties="davidson", prior=0)
    assert same["ratings"] == leaderboard(df, bootstrap=0, ties="davidson", prior=0)["ratings"]
    assert "tie_parameter" not in leaderboard(df, bootstrap=0)


def test_plain_bt_equals_evalica():
    evalica = pytest.importorskip("evalica")
    rng = np.random.default_rng(2)
    m, n = 6, 5000
    true = np.linspace(0, 300, m)
    a = rng.integers(0, m, n)
    b = (a + 1 + rng.integers(0, m - 1, n)) % m
    win = rng.random(n) < expit(ALPHA * (true[a] - true[b]))
    tie = rng.random(n) < 0.15
    winner = np.where(tie, "tie", np.where(win, "model_a", "model_b"))
    df = pd.DataFrame({"model_a": [f"m{i}" for i in a], "model_b": [f"m{i}" for i in b], "winner": winner})
    ours = leaderboard(df, bootstrap=0, prior=0)["ratings"]
    to_w = {"model_a": evalica.Winner.X, "model_b": evalica.Winner.Y, "tie": evalica.Winner.Draw}
    res = evalica.bradley_terry(df.model_a, df.model_b, [to_w[w] for w in winner], tolerance=1e-12, limit=100_000)
    names = list(res.scores.index)
    theirs = centred(np.log(res.scores.to_numpy()) / ALPHA)
    assert np.abs(np.array([ours[x] for x in names]) - theirs).max() < 0.01


# ------------------------------------------------------------------------------------------------------------------
# Separability and agreement with confidence (Arena-Hard), checked by hand on three models
# ------------------------------------------------------------------------------------------------------------------
def test_separability_and_agreement_by_hand_on_three_models():
    ratings = {"A": 1050.0, "B": 1022.0, "C": 925.0}
    ci = {"A": [1040.0, 1060.0], "B": [1000.0, 1045.0], "C": [900.0, 950.0]}
    ref = {"A": 3.0, "B": 1.0, "C": 2.0}  # the reference puts C above B
    got = against(ratings, ci, ref)
    # pairs: A-B overlap (1040 <= 1045): not separated; A-C and B-C separated → 2 of 3
    assert got["separability"] == pytest.approx(2 / 3, abs=1e-4)
    # A-B: 0 (not separated); A-C: +1 (A above C in both); B-C: -1 (we say B > C, the reference C > B) → 0 / 3
    assert got["agreement_with_ci"] == 0.0
    # Spearman: ranks (3, 2, 1) vs (3, 1, 2): 1 - 6 * (0 + 1 + 1) / (3 * 8) = 0.5; Kendall: (2 - 1) / 3
    assert got["spearman"] == pytest.approx(0.5)
    assert got["kendall"] == pytest.approx(1 / 3, abs=1e-4)
    lo, hi = np.array([1040.0, 1000, 900]), np.array([1060.0, 1045, 950])
    assert separability(lo, hi) == pytest.approx(2 / 3)
    assert agreement_with_ci(lo, hi, np.array([3.0, 2, 1])) == pytest.approx(2 / 3)  # reference agrees: +1 +1 0
    assert reference_scores([{"model": "A", "rank": 1}, {"model": "B", "rank": "2"}], ["r:2", "r:3"]) == {
        "A": -1.0,
        "B": -2.0,
    }
    with pytest.raises(ValueError, match="r:3"):
        reference_scores([{"model": "A", "rank": 1}, {"model": "A", "rank": 2}], ["r:2", "r:3"])


def test_cli_style_ties_and_against_write_the_stable_keys(tmp_path, capsys):
    rng = np.random.default_rng(4)
    src = tmp_path / "battles.csv"
    styled_battles([0, 50, 100, 150], [200, 150, 100, 50], 1500, rng, bias=0.5, tie_rate=0.2).to_csv(src, index=False)
    ref = tmp_path / "ref.csv"
    ref.write_text("model,rating\nm0,1\nm1,2\nm2,3\nm3,4\n")
    out = tmp_path / "out.json"
    args = ["ratings", str(src), "--style-control", "--ties", "davidson", "--bootstrap", "50", "--against", str(ref)]
    assert main([*args, "--json", str(out)]) == 0
    lb = json.loads(out.read_text())
    assert {
        "ratings",
        "ci",
        "style",
        "unadjusted",
        "tie_parameter",
        "separability",
        "agreement_with_ci",
        "spearman",
        "kendall",
    } <= set(lb)
    assert set(lb["style"]["length"]) >= {"coef", "ci"}
    # style and Davidson together: nu is the fit's last parameter, after the style coefficients
    from evalkit.ratings import fit_davidson

    df = pd.read_csv(src)
    theta = fit_davidson(prepare(df, style=True))
    assert lb["tie_parameter"] == pytest.approx(math.exp(theta[-1]), abs=1e-3)
    assert lb["style"]["length"]["coef"] == pytest.approx(theta[-3], abs=1e-3)
    printed = capsys.readouterr().out
    assert "style length: the answer with more wins" in printed and "separability" in printed
