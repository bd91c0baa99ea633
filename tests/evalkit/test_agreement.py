"""Every agreement figure against an independent implementation on the same data (sklearn, scipy, krippendorff,
statsmodels, or a brute-force enumeration written here), plus the bad-input and undefined cases."""

from __future__ import annotations

import json
import math
from itertools import combinations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from evalkit import agreement as ag


def long_table(matrix, raters=None, kinds=None):
    """raters × items matrix (None = missing) → the long table agreement_report reads."""
    raters = raters or [f"r{i}" for i in range(len(matrix))]
    rows = []
    for r, row in zip(raters, matrix):
        for i, v in enumerate(row):
            if v is not None:
                rows.append(
                    {"item_id": f"q{i}", "rater": r, "rating": v, **({"rater_kind": kinds[r]} if kinds else {})}
                )
    return pd.DataFrame(rows)


def brute_percent(matrix, ties=()):
    """MT-Bench agreement by listing every pair of distinct raters on every item."""
    agree = total = 0
    for i in range(len(matrix[0])):
        votes = [row[i] for row in matrix if row[i] is not None]
        for x, y in combinations(votes, 2):
            if x in ties or y in ties:
                continue
            total += 1
            agree += x == y
    return agree / total


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_krippendorff_alpha_matches_package_with_missing(level, seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(1, 6, (4, 40)).astype(float)
    data = np.where(rng.random(data.shape) < 0.7, np.clip(data[0] + rng.integers(-1, 2, 40), 1, 5), data)
    data[rng.random(data.shape) < 0.25] = np.nan
    assert ag.krippendorff_alpha(data, level=level) == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement=level), abs=1e-9
    )


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_sklearn(weights):
    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, 80)
    b = np.where(rng.random(80) < 0.6, a, rng.integers(0, 5, 80))
    assert ag.cohen_kappa(a, b, weights=weights) == pytest.approx(cohen_kappa_score(a, b, weights=weights))
    labels = ["A", "B", "tie"]
    x, y = [labels[i % 3] for i in a], [labels[i % 3] for i in b]
    assert ag.cohen_kappa(x, y) == pytest.approx(cohen_kappa_score(x, y))


def test_fleiss_kappa_matches_statsmodels():
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 3, 50)
    ratings = np.stack([np.where(rng.random(50) < 0.7, truth, rng.integers(0, 3, 50)) for _ in range(5)], axis=1)
    table, _ = aggregate_raters(ratings)
    assert ag.fleiss_kappa(table) == pytest.approx(sm_fleiss(table, method="fleiss"))


def test_two_rater_report_equals_peers_on_scores():
    rng = np.random.default_rng(5)
    a = rng.integers(1, 8, 60)
    b = np.clip(a + rng.integers(-2, 3, 60), 1, 7)
    rep = ag.agreement_report(long_table([a.tolist(), b.tolist()]), level="interval", bootstrap=200)
    labels = sorted(set(a) | set(b))
    ia, ib = [labels.index(v) for v in a], [labels.index(v) for v in b]
    assert rep["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b), abs=1e-6)
    assert rep["weighted_kappa"] == pytest.approx(cohen_kappa_score(ia, ib, weights="quadratic"), abs=1e-6)
    assert rep["weighted_kappa_linear"] == pytest.approx(cohen_kappa_score(ia, ib, weights="linear"), abs=1e-6)
    assert rep["spearman"] == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-6)
    assert rep["kendall"] == pytest.approx(stats.kendalltau(a, b).statistic, abs=1e-6)
    assert rep["percent_agreement"] == pytest.approx(np.mean(a == b), abs=1e-6)
    assert rep["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=np.stack([a, b]).astype(float), level_of_measurement="interval"), abs=1e-6
    )
    assert rep["fleiss_kappa"] == pytest.approx(sm_fleiss(aggregate_raters(np.stack([a, b], 1))[0]), abs=1e-6)
    cm = np.array(rep["confusion_matrix"]["matrix"])
    assert cm.sum() == 60 and np.trace(cm) == int((a == b).sum())
    for name in ("cohen_kappa", "weighted_kappa", "spearman", "krippendorff_alpha"):
        ci = rep["ci"][name]
        assert ci["ci_low"] <= rep[name] <= ci["ci_high"]


def test_percent_agreement_is_mtbench_over_all_distinct_rater_pairs_with_ties_and_missing():
    rng = np.random.default_rng(6)
    labels = ["A", "B", "tie", "bothbad"]
    matrix = [[labels[k] if rng.random() > 0.2 else None for k in rng.integers(0, 4, 25)] for _ in range(4)]
    rep = ag.agreement_report(long_table(matrix), bootstrap=0)
    assert rep["percent_agreement"] == pytest.approx(brute_percent(matrix), abs=1e-6)
    assert rep["percent_agreement_without_ties"] == pytest.approx(brute_percent(matrix, ("tie", "bothbad")), abs=1e-6)
    data = np.array([[np.nan if v is None else labels.index(v) for v in row] for row in matrix], dtype=float)
    assert rep["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"), abs=1e-6
    )
    assert rep["fleiss_kappa"] is None and "complete design" in rep["undefined"]["fleiss_kappa"]


def test_judge_section_against_brute_force():
    rng = np.random.default_rng(7)
    truth = rng.choice(["A", "B", "tie"], 40)
    noisy = lambda p: [t if rng.random() < p else rng.choice(["A", "B", "tie"]) for t in truth]  # noqa: E731
    matrix = [noisy(0.8), noisy(0.8), noisy(0.8), noisy(0.5)]
    raters = ["e1", "e2", "e3", "llm"]
    df = long_table(matrix, raters, {"e1": "human", "e2": "human", "e3": "human", "llm": "llm"})
    rep = ag.agreement_report(df, judge="llm", bootstrap=300)
    j = rep["judge"]
    jh = [matrix[3][i] == matrix[h][i] for i in range(40) for h in range(3)]
    assert j["judge_vs_humans"]["percent_agreement"] == pytest.approx(np.mean(jh), abs=1e-6)
    assert j["human_vs_human"]["percent_agreement"] == pytest.approx(brute_percent(matrix[:3]), abs=1e-6)
    jci, hci = j["judge_vs_humans"]["ci"]["percent_agreement"], j["human_vs_human"]["ci"]["percent_agreement"]
    overlap = jci["ci_low"] <= hci["ci_high"] and hci["ci_low"] <= jci["ci_high"]
    assert j["comparable"] == overlap
    assert ("about as often" in j["verdict"]) == overlap
    assert j["per_human"][0]["cohen_kappa"] == pytest.approx(cohen_kappa_score(matrix[3], matrix[0]), abs=1e-6)


def test_same_seed_same_report_and_no_nan_anywhere():
    df = long_table([["A", "B", "A", "tie", "B"] * 4, ["A", "B", "B", "tie", "A"] * 4])
    one = json.dumps(ag.agreement_report(df, seed=3), allow_nan=False)
    assert one == json.dumps(ag.agreement_report(df, seed=3), allow_nan=False)
    assert one != json.dumps(ag.agreement_report(df, seed=4), allow_nan=False)


def test_identical_ratings_say_undefined_instead_of_nan():
    rep = ag.agreement_report(long_table([["A"] * 6, ["A"] * 6]), bootstrap=100)
    assert rep["percent_agreement"] == 1.0
    for name in ("cohen_kappa", "krippendorff_alpha", "fleiss_kappa"):
        assert rep[name] is None and "undefined" in rep["undefined"][name]
    json.dumps(rep, allow_nan=False)
    assert any("undefined" in line for line in rep["interpretation"])
    # sklearn gives NaN here: ours says why
    with pytest.warns(Warning):
        assert math.isnan(cohen_kappa_score(["A"] * 6, ["A"] * 6))


def test_constant_scores_make_rank_correlations_undefined():
    rep = ag.agreement_report(long_table([[3, 3, 3, 3], [1, 2, 3, 4]]), level="ordinal", bootstrap=0)
    assert rep["spearman"] is None and "same score" in rep["undefined"]["spearman"]
    assert rep["kendall"] is None


def test_single_rater_reports_reason():
    rep = ag.agreement_report(long_table([["A", "B", "tie"]]), bootstrap=50)
    assert rep["n_raters"] == 1 and rep["percent_agreement"] is None
    assert "only one rater" in rep["undefined"]["krippendorff_alpha"]
    json.dumps(rep, allow_nan=False)


def test_bad_input_messages():
    with pytest.raises(ValueError, match="mixed scales: line 2 .* line 3"):
        ag.agreement_report(pd.DataFrame({"item_id": ["q1", "q2"], "rater": ["a", "b"], "rating": ["7", "A"]}))
    with pytest.raises(ValueError, match="unknown item"):
        ag.agreement_report(long_table([["A", "B"], ["A", "A"]]), items=["q0"])
    with pytest.raises(ValueError, match="needs numeric scores"):
        ag.agreement_report(long_table([["A", "B"], ["A", "A"]]), level="ordinal")
    with pytest.raises(ValueError, match="rated item .q1. again .first at line 2"):
        ag.agreement_report(pd.DataFrame({"item_id": ["q1", "q1"], "rater": ["a", "a"], "rating": ["A", "B"]}))
    with pytest.raises(ValueError, match="lacks column"):
        ag.agreement_report(pd.DataFrame({"item": ["q1"], "rater": ["a"], "rating": ["A"]}))
    with pytest.raises(ValueError, match="not among the raters"):
        ag.agreement_report(long_table([["A", "B"], ["A", "A"]]), judge="gpt")


def test_unparsed_verdicts_are_left_out_and_counted():
    df = long_table([["A", "B", "A"], ["unparsed", "B", "A"]])
    rep = ag.agreement_report(df, bootstrap=0)
    assert rep["n_dropped_no_verdict"] == 1 and rep["n_items_rated_once"] == 1
    assert rep["percent_agreement"] == 1.0


def test_position_consistency_and_verbosity_by_hand():
    assert ag.position_consistency(["A", "B", "tie", "A"], ["A", "A", "tie", "unparsed"]) == pytest.approx(2 / 3)
    # longer answer wins in 2 of 3 decisive, different-length items (the tie and the equal lengths don't count)
    assert ag.verbosity_preference(["A", "B", "B", "tie", "A"], [10, 10, 30, 5, 7], [5, 20, 10, 9, 7]) == pytest.approx(
        2 / 3
    )


def test_agree_cli_stable_interface(tmp_path):
    from evalkit.cli import main

    csv_path = tmp_path / "r.csv"
    long_table([["A", "B", "tie", "A", "B", "A"], ["A", "B", "A", "A", "B", "tie"]]).to_csv(csv_path, index=False)
    out = tmp_path / "out" / "agree.json"
    assert main(["agree", str(csv_path), "--json", str(out), "--bootstrap", "200"]) == 0
    rep = json.loads(out.read_text())
    for key in (
        "percent_agreement",
        "percent_agreement_without_ties",
        "cohen_kappa",
        "krippendorff_alpha",
        "fleiss_kappa",
    ):
        assert key in rep
    assert set(rep["ci"]["percent_agreement"]) == {"ci_low", "ci_high"}
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id,rater,rating\nq1,a,7\nq1,b,A\n")
    assert main(["agree", str(bad)]) == 2
    one = tmp_path / "one.csv"
    one.write_text("item_id,rater,rating\nq1,a,A\nq2,a,B\n")
    assert main(["agree", str(one), "--json", str(tmp_path / "one.json")]) == 2
    assert not (tmp_path / "one.json").exists()  # bad input writes nothing


def test_shipped_human_ratings_load():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "data" / "human-ratings"
    rep = ag.agreement_report(pd.read_csv(root / "pairwise.csv"), bootstrap=100)
    assert rep["n_raters"] == 3 and rep["n_items"] == 30
    scores = pd.read_csv(root / "single.csv")
    rep = ag.agreement_report(scores, level="interval", bootstrap=0)
    wide = scores.pivot(index="rater", columns="item_id", values="rating").to_numpy(float)
    assert rep["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=wide, level_of_measurement="interval"), abs=1e-6
    )


def test_every_sentence_also_comes_as_a_key_and_fields_that_render_to_it():
    """The app says the report's sentences in Korean from the keys; in English they render to the CLI's text."""
    from workbench.messages import render

    rng = np.random.default_rng(8)
    truth = rng.choice(["A", "B", "tie"], 30)
    matrix = [[t if rng.random() < p else rng.choice(["A", "B", "tie"]) for t in truth] for p in (0.9, 0.9, 0.3)]
    df = long_table(matrix, ["e1", "e2", "llm"], {"e1": "human", "e2": "human", "llm": "llm"})
    df = df.assign(
        rating_swapped=df["rating"].sample(frac=1, random_state=0).to_numpy(),
        len_a=rng.integers(1, 50, len(df)),
        len_b=rng.integers(1, 50, len(df)),
    )
    reports = [
        ag.agreement_report(df, judge="llm", bootstrap=100),
        ag.agreement_report(long_table([["A"] * 6, ["A"] * 6]), bootstrap=0),
        ag.agreement_report(long_table([[3, 3, 3, 3], [1, 2, 3, 4]]), level="ordinal", bootstrap=0),
        ag.agreement_report(long_table([["A", "B", "tie"]]), bootstrap=0),
    ]
    seen = set()
    for rep in reports:
        json.dumps(rep, allow_nan=False)
        assert len(rep["interpretation_keys"]) == len(rep["interpretation"])
        for line, msg in zip(rep["interpretation"], rep["interpretation_keys"]):
            assert render(msg, ag.MESSAGES) == line
            seen.add(msg["key"])
        assert {k: render(m, ag.MESSAGES) for k, m in rep["undefined_keys"].items()} == rep["undefined"]
    j = reports[0]["judge"]
    assert render(j["verdict_key"], ag.MESSAGES) == j["verdict"] and j["verdict"] in reports[0]["interpretation"]
    assert {
        "agreement.alpha_unreliable",
        "agreement.kappa_line",
        "agreement.undefined_line",
        "agreement.position_bias",
        "agreement.verbosity",
        "agreement.undef.one_rater",
    } <= seen
    assert ag.interpret_kappa(0.7) == "substantial (Landis & Koch)"
    assert ag.interpret_alpha(0.7) == ("Krippendorff's alpha 0.700 ≥ 0.667: good enough for tentative conclusions only")


def test_statistics_raise_value_error_and_the_cli_says_it():
    """Pure functions raise ValueError (not the CLI's UserError), carrying the hint the CLI prints with exit 2."""
    from workbench.errors import UserError

    with pytest.raises(ValueError, match="weights must be"):
        ag.cohen_kappa([1, 2], [1, 2], weights="cubic")
    with pytest.raises(ValueError, match="unknown level 'ratio'"):
        ag.krippendorff_alpha(np.array([[1.0, 2.0], [1.0, 2.0]]), level="ratio")
    with pytest.raises(ValueError) as e:
        ag.agreement_report(long_table([["A", "B"], ["A", "A"]]), level="ratio")
    assert not isinstance(e.value, UserError) and e.value.hint == "use --level nominal, ordinal or interval"


def test_agree_errors_name_the_file_and_options_are_range_checked(tmp_path, capsys):
    """`evalkit agree`'s missing-column error didn't name the file (issue 16, defect 10); `--bootstrap -1` ran."""
    from evalkit.cli import main

    path = tmp_path / "r.csv"
    path.write_text("item_id,rater\nq1,ann\nq1,bob\n")
    assert main(["agree", str(path)]) == 2
    assert f"error: {path}: no rating column" in capsys.readouterr().err
    path.write_text("item_id,rater,rating\nq1,ann,A\nq1,bob,A\nq2,ann,B\nq2,bob,A\n")
    for option, value in (("--bootstrap", "-1"), ("--seed", "-3"), ("--bootstrap", "many")):
        with pytest.raises(SystemExit) as e:
            main(["agree", str(path), option, value])
        assert e.value.code == 2 and f"argument {option}:" in capsys.readouterr().err
