"""Severity that matches evidence (issue 23): every reason code carries the precision measured for it, the audit
report shows it next to the flag's examples with the rule that fired, and `curate clean` drops only on sure flags,
holding the rest in a review file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curate.clean import clean, summary_text
from curate.cli import main
from curate.pipeline import audit
from curate.recipe import REVIEW_BELOW, recipe_options
from curate.signals import REGISTRY, flag_rules
from workbench.errors import UserError
from workbench.tabular import read_rows

REPO = Path(__file__).resolve().parents[2]
KO = REPO / "data/korean-instruct/ko_instruct.jsonl"
RESULTS = REPO / "benchmarks/results/precision.json"
SIGNALS_ONLY = {"dedup": {"exact": "none", "near": False}}
KO_SIGNALS = ["empty_field", "truncated", "llm_boilerplate"]  # what flags lines 15, 62 and 23 of the Korean set


def _lines(path) -> list[dict]:
    return [json.loads(x) for x in Path(path).read_text("utf-8").splitlines()]


# -- the figure lives in one place ------------------------------------------------------------------------------------
def test_every_reasons_precision_is_the_latest_measured_run():
    """The product carries the figures of the latest bench_precision.py run, and None for every reason it did not
    measure or that flagged nothing there; a new run that changes a figure fails here until the signal says so."""
    latest = json.loads(RESULTS.read_text("utf-8"))["history"][-1]["details"]["per_reason"]
    rules = flag_rules(list(REGISTRY.values()))
    assert set(latest) <= set(rules)  # every measured reason is one the signals give
    for reason, rule in rules.items():
        if rule["basis"] == "definition":  # the defect itself (an empty field): nothing to measure
            assert rule["precision"] == 1.0 and reason not in latest, reason
        else:
            assert rule["precision"] == latest.get(reason, {}).get("precision"), reason
    assert rules["truncated"]["precision"] == 0.9583 and rules["llm_self_reference"]["precision"] == 1.0
    assert rules["knowledge_cutoff"]["precision"] is None and rules["knowledge_cutoff"]["basis"] is None
    assert rules["empty_answer"] == {**rules["empty_answer"], "precision": 1.0, "basis": "definition"}


# -- the audit report ---------------------------------------------------------------------------------------------------
def test_report_gives_each_reason_its_signal_rule_and_precision_and_html_shows_them(tmp_path):
    report = audit(KO, out=tmp_path / "a", stages=("signals",))
    rules = json.loads((tmp_path / "a" / "report.json").read_text("utf-8"))["quality"]["rules"]
    assert rules["truncated"]["signal"] == "truncated" and rules["truncated"]["precision"] == 0.9583
    assert rules["truncated"]["rule"].startswith("The answer stops mid-sentence")
    assert rules["llm_self_reference"]["signal"] == "llm_boilerplate" and rules["empty_answer"]["precision"] == 1.0
    assert set(report["quality"]["reasons"]) <= set(rules)  # every reason that fired has its rule
    assert "precision" not in report["summary"]
    page = (tmp_path / "a" / "report.html").read_text("utf-8")
    # each flag's heading says how sure it is, the rule follows, then its examples (line 62 is the truncated one)
    block = page[page.index("<h4><code>truncated</code>") :]
    block = block[: block.index("<h4>", 4)] if "<h4>" in block[4:] else block
    assert "1 record; precision 0.96</h4>" in block and "signal <code>truncated</code>: The answer stops" in block
    assert "<td>62</td>" in block
    assert "<h4><code>empty_answer</code>: 1 record; a defect by definition</h4>" in page


# -- clean: drop the sure, review the rest -----------------------------------------------------------------------------
def test_clean_drops_sure_flags_and_holds_unsure_ones_for_review(tmp_path):
    log = clean(KO, {"signals": KO_SIGNALS, **SIGNALS_ONLY}, tmp_path / "ko.jsonl")
    assert log["policy"]["review_below"] == REVIEW_BELOW == 0.8 and log["review"] == 0
    assert {r["line"]: r["reasons"] for r in _lines(tmp_path / "ko.rejects.jsonl")} == {
        15: ["empty_answer"],  # a defect by definition
        23: ["llm_self_reference"],  # precision 1.0
        62: ["truncated"],  # precision 0.9583
    }
    assert "  dropped      1  empty_answer  (a defect by definition)" in summary_text(log)
    # with the bar above truncated's measured precision, its flag goes to review instead
    log = clean(KO, {"signals": KO_SIGNALS, "review_below": 0.96, **SIGNALS_ONLY}, tmp_path / "ko.jsonl")
    (review,) = _lines(tmp_path / "ko.review.jsonl")
    assert (review["line"], review["reasons"], review["precision"]) == (62, ["truncated"], {"truncated": 0.9583})
    kept = list(read_rows(tmp_path / "ko.jsonl"))
    assert len(kept) == log["kept"] == 67 and review["record"] not in kept  # held out of the cleaned set
    assert (log["removed"], log["review"], log["records"]) == (2, 1, 70)
    text = summary_text(log)
    assert text.splitlines()[0] == f"kept 67 of 70 records -> {tmp_path / 'ko.jsonl'}"
    assert "  dropped      1  llm_self_reference  (precision 1.00)" in text
    assert "  review       1  truncated  (precision 0.96)" in text
    assert f"dropped 2 -> {tmp_path / 'ko.rejects.jsonl'}" in text
    assert f"to review 1 -> {tmp_path / 'ko.review.jsonl'}" in text


@pytest.mark.parametrize(
    "bar,rejected,reviewed",
    [
        (0, {15, 23, 62}, set()),  # 0: every flag drops, as clean did before severity
        (0.96, {15, 23}, {62}),  # truncated (0.9583) is now under the bar; an empty answer is a defect by definition
        (1, {15, 23}, {62}),
    ],
)
def test_review_below_sets_the_bar(tmp_path, bar, rejected, reviewed):
    log = clean(KO, {"signals": KO_SIGNALS, "review_below": bar, **SIGNALS_ONLY}, tmp_path / "c.jsonl")
    assert {r["line"] for r in _lines(tmp_path / "c.rejects.jsonl")} == rejected
    assert {r["line"] for r in _lines(tmp_path / "c.review.jsonl")} == reviewed
    assert log["kept"] == 70 - len(rejected) - len(reviewed) and log["policy"]["review_below"] == bar


def test_a_sure_reason_drops_a_record_whatever_its_unsure_flags(tmp_path):
    """Duplicates, contamination and PII are facts: a record with an unsure flag and one of them is dropped."""
    data = tmp_path / "d.jsonl"
    rows = [
        {"question": "Where?", "answer": "Call 010-1234-5678 at the desk.<|im_end|>"},  # template token (unsure) + PII
        {"question": "What?", "answer": "In the scene.<|im_end|>"},  # template token only: review
        {"question": "Why?", "answer": "Because the light gun needs power."},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    recipe = {"signals": ["template_token"], "pii": "drop", **SIGNALS_ONLY}
    log = clean(data, recipe, tmp_path / "c.jsonl")
    assert [(r["line"], r["reasons"]) for r in _lines(tmp_path / "c.rejects.jsonl")] == [(1, ["template_token", "pii"])]
    assert [(r["line"], r["reasons"]) for r in _lines(tmp_path / "c.review.jsonl")] == [(2, ["template_token"])]
    assert log["removed_by_reason"] == {"template_token": 1, "pii": 1} and log["review_by_reason"] == {
        "template_token": 1
    }
    assert [r["question"] for r in read_rows(tmp_path / "c.jsonl")] == ["Why?"]


def test_review_below_is_checked_by_the_one_recipe_schema(tmp_path, capsys):
    assert recipe_options({"review_below": 0.5})["review_below"] == 0.5
    assert recipe_options({})["review_below"] == REVIEW_BELOW
    for bad in (-0.1, 1.01, "0.8", None, [0.8]):
        with pytest.raises(UserError, match="review_below"):
            recipe_options({"review_below": bad}, "r.yaml")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("review_below: 80\n", encoding="utf-8")
    assert main(["clean", str(KO), "--recipe", str(recipe), "--out", str(tmp_path / "c.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"{recipe}: review_below 80 is not a precision in [0, 1]" in err and "hint: e.g. review_below: 0.8" in err
    assert not (tmp_path / "c.jsonl").exists()


# -- the outputs as a set ---------------------------------------------------------------------------------------------
def test_a_failed_clean_leaves_the_earlier_outputs_whole(tmp_path, monkeypatch):
    out = tmp_path / "c.jsonl"
    clean(KO, {"signals": KO_SIGNALS, **SIGNALS_ONLY}, out)
    names = ("c.jsonl", "c.rejects.jsonl", "c.review.jsonl", "c.log.json")
    before = {n: (tmp_path / n).read_bytes() for n in names}

    def disk_full(*args, **kwargs):  # the cleaned set, written last, fails: nothing of this run may land
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("curate.clean.io.write_rows", disk_full)
    with pytest.raises(OSError, match="No space"):
        clean(KO, {"signals": KO_SIGNALS, "review_below": 0, **SIGNALS_ONLY}, out)
    assert {n: (tmp_path / n).read_bytes() for n in names} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no temp left behind
