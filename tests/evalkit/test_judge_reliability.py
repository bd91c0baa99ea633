"""The judge reliability report: each figure by direct enumeration on hand-made verdicts, its Wilson interval
against statsmodels, the verdict line's thresholds, and a real judge run (tiny model) carrying and storing it."""

from __future__ import annotations

import json

import pytest

from evalkit.judges import PairVerdict, combine_orders
from evalkit.judges.reliability import reliability_report, trust_line
from workbench import verdicts


def _pv(item: str, ab: str, ba_shown: str) -> PairVerdict:
    """A judged pair from its two shown verdicts (BA as the judge saw it: A = answer_b)."""
    mapped = verdicts.swap(ba_shown)
    per_order = [
        {"order": "AB", "verdict": ab, "mapped": ab, "raw": ""},
        {"order": "BA", "verdict": ba_shown, "mapped": mapped, "raw": ""},
    ]
    return PairVerdict(item, combine_orders(ab, mapped), per_order, "")


def _pairs(lengths):
    return [{"answer_a": "x" * la, "answer_b": "y" * lb} for la, lb in lengths]


# a judge that always picks whatever is shown first: every item flips, every decisive verdict is "first"
FIRST_PICKER = [_pv(f"q{i}", "A", "A") for i in range(30)]


def test_position_figures_by_enumeration():
    from statsmodels.stats.proportion import proportion_confint

    judged = FIRST_PICKER[:20] + [_pv(f"c{i}", "A", "B") for i in range(10)]  # 10 consistent items
    rel = reliability_report(judged, _pairs([(10, 20)] * 30), judge="j")
    assert rel["order_flip_rate"]["value"] == pytest.approx(20 / 30)
    assert rel["order_flip_rate"]["ci"] == pytest.approx(proportion_confint(20, 30, method="wilson"), abs=1e-6)
    # 60 decisive shown verdicts: 40 from the first-pickers (all first) + 10 consistent items (AB first, BA second)
    assert rel["first_position_rate"]["value"] == pytest.approx(50 / 60)
    assert rel["first_position_rate"]["n"] == 60
    assert rel["verdict"].startswith("trust: position bias high, first answer picked 83%")
    assert "flips 67%" in rel["verdict"]


def test_longer_wins_raw_and_matched_on_length():
    judged = [_pv(f"q{i}", "A", "B") for i in range(12)]  # A wins every item in both orders
    lengths = [(100, 50)] * 8 + [(110, 100)] * 2 + [(100, 110)] * 2  # A longer in 10, B longer in 2
    rel = reliability_report(judged, _pairs(lengths), judge="j")
    assert rel["longer_wins_rate"]["value"] == pytest.approx(10 / 12)
    assert rel["longer_wins_rate"]["matched"]["value"] == pytest.approx(2 / 4)  # only the 1.1-ratio pairs
    assert "prefers longer answers" in rel["verdict"]


def test_self_preference_only_when_the_judge_is_a_contestant():
    judged = [_pv("q1", "A", "B"), _pv("q2", "B", "A"), _pv("q3", "A", "A")]  # A, B, tie (orders disagree)
    sides = [("me", "other"), ("me", "other"), ("other", "me")]
    rel = reliability_report(judged, _pairs([(5, 5)] * 3), judge="me", sides=sides, others=[1, 0, 0.5, 0.5])
    assert rel["self_preference"]["value"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert rel["self_preference"]["under_others"]["value"] == pytest.approx(0.5)  # beside it: 2 of 4 under others
    rel = reliability_report(judged, _pairs([(5, 5)] * 3), judge="judge-x", sides=sides)
    assert rel["self_preference"] is None and "not a contestant" in rel["undefined"]["self_preference"]


def test_repeat_agreement_counts_unparsed_as_different():
    run1 = [_pv("q1", "A", "B"), _pv("q2", "B", "A"), _pv("q3", "unparsed", "A"), _pv("q4", "A", "B")]
    run2 = [_pv("q1", "A", "B"), _pv("q2", "A", "B"), _pv("q3", "unparsed", "A"), _pv("q4", "A", "B")]
    rel = reliability_report(run1, _pairs([(5, 5)] * 4), judge="j", repeats=[run1, run2])
    assert rel["repeat_agreement"]["value"] == pytest.approx(2 / 4)
    assert rel["unparsed"] == 1
    assert "unstable, same verdict on repeat 50%" in rel["verdict"]
    once = reliability_report(run1, _pairs([(5, 5)] * 4), judge="j")
    assert once["repeat_agreement"] is None and "--repeats" in once["undefined"]["repeat_agreement"]


def test_nothing_readable_gives_reasons_not_figures():
    judged = [_pv("q1", "unparsed", "unparsed")]
    rel = reliability_report(judged, _pairs([(5, 5)]), judge="j")
    for name in ("order_flip_rate", "first_position_rate", "longer_wins_rate"):
        assert rel[name] is None and rel["undefined"][name]
    assert rel["unparsed"] == 1
    assert trust_line(rel) == "trust: no bias found at these thresholds"


def test_judge_cli_reliability_stored_with_the_run(tiny_model_dir, tmp_path):
    from evalkit.cli import main
    from workbench.store import open_store

    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "item_id,question,answer_a,answer_b\n"
        "p1,What does BeastAttack do?,It controls the beast's attacks in combat.,Attacks.\n"
        "p2,What is GlobalEventHub?,A hub.,An event hub that lets components talk without references.\n"
    )
    db, out = tmp_path / "s.db", tmp_path / "j.json"
    base = ["judge", "--pairs", str(pairs), "--judge", str(tiny_model_dir), "--judge-max-new-tokens", "8"]
    assert main([*base, "--repeats", "2"]) == 2  # repeats at temperature 0 would all be the same
    args = [*base, "--repeats", "2", "--judge-temperature", "1.0", "--store", str(db), "--json", str(out)]
    assert main(args) == 0
    summary = json.loads(out.read_text())
    rel = summary["reliability"]
    assert set(rel) >= {"order_flip_rate", "first_position_rate", "longer_wins_rate", "self_preference"}
    assert rel["repeat_agreement"]["n"] == 2
    assert rel["unparsed"] == summary["counts"]["unparsed"]  # unparsed verdicts are counted, never dropped
    st = open_store(db)
    assert st.run(summary["run_id"])["summary"]["reliability"] == rel
    st.dispose()


def test_tournament_judged_by_a_contestant_carries_reliability(tiny_model, tiny_model_dir, store):
    """The judge is also a contestant here, so self-preference is defined; the report is stored with the run."""
    from evalkit.tournament import run_tournament

    t = str(tiny_model_dir)
    prompts = [{"item_id": f"q{i}", "prompt": q, "question": q} for i, q in enumerate(("Hi?", "Why?", "How?"))]
    res = run_tournament(
        [t, f"{t}@max_new_tokens=4"],
        prompts,
        t,
        store=store,
        suite="p",
        bootstrap=0,
        judge_method="logprob",
        models={t: tiny_model},
    )
    rel = store.run(res["run_id"])["summary"]["reliability"]
    assert rel["n_items"] == res["battles"] + res["unparsed"] == 3
    assert rel["self_preference"]["n"] == 3  # every battle has the judge's own (default-settings) answers
    assert rel["self_preference"]["under_others"] is None  # no other judge has rated these contestants here
    assert rel["verdict"].startswith("trust: ")
