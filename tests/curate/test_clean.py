"""curate clean: filters, dedup keep policies, rejects and review with reasons, PII, contamination, the input's
format. (Severity, the review file and its bar: tests/curate/test_severity.py.)"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from curate.clean import choose_keeper, clean
from workbench.errors import UserError
from workbench.tabular import read_rows

REPO = Path(__file__).resolve().parents[2]
KO = REPO / "data/korean-instruct/ko_instruct.jsonl"
DEFAULT = REPO / "curate/recipes/default.yaml"


def _recipe(path=DEFAULT) -> dict:
    import yaml

    return yaml.safe_load(Path(path).read_text("utf-8"))


def _rejects(log, which: str = "rejects") -> list[dict]:
    return [json.loads(x) for x in Path(log["outputs"][which]).read_text("utf-8").splitlines()]


def test_korean_set_with_the_default_recipe(tmp_path):
    log = clean(KO, _recipe(), tmp_path / "ko.jsonl", recipe_path=str(DEFAULT))
    rejects, review = _rejects(log), _rejects(log, "review")
    assert {r["line"]: r["reasons"] for r in rejects} == {
        15: ["empty_answer"],  # a defect by definition
        23: ["llm_self_reference"],
        51: ["exact_duplicate"],
        62: ["truncated"],
    }
    assert review == []  # every flag on this set is sure (measured >= 0.8, or an empty field)
    assert next(r for r in rejects if r["line"] == 51)["duplicate_of_line"] == 36
    kept = list(read_rows(tmp_path / "ko.jsonl"))
    # nothing dropped without a reason: every input record is kept, rejected or held for review
    assert len(kept) + len(rejects) + len(review) == log["records"] == 70 and log["kept"] == 66
    assert log["removed_by_reason"] == {
        "empty_answer": 1,
        "llm_self_reference": 1,
        "exact_duplicate": 1,
        "truncated": 1,
    }
    assert log["review_by_reason"] == {} and (log["removed"], log["review"]) == (4, 0)
    contact = next(r for r in kept if r["question"].startswith("담당자"))
    assert "010-1234-5678" not in contact["answer"] and "minsu.kim@example.co.kr" not in contact["answer"]
    assert log["redacted_records"] == 1
    assert json.loads((tmp_path / "ko.log.json").read_text("utf-8"))["kept"] == 66


def test_keeper_policies():
    lens, reasons = [10, 30, 30, 5], [0, 2, 0, 0]
    assert choose_keeper([0, 1, 2, 3], "first", lens, reasons) == 0
    assert choose_keeper([0, 1, 2, 3], "longest", lens, reasons) == 1
    assert choose_keeper([0, 1, 2, 3], "best", lens, reasons) == 2
    with pytest.raises(UserError, match="keep policy"):
        choose_keeper([0], "random", lens, reasons)


STEPS = "Open the portal, choose Settings, pick Security, press Reset password and follow the link in the mail we send"


@pytest.mark.parametrize("keep,kept", [("first", [0, 3]), ("longest", [0, 4]), ("best", [0, 3])])
def test_dedup_keep_policy_on_near_duplicates(tmp_path, keep, kept):
    """Rows 0/1/2 are identical answers; rows 3/4 are near-duplicates, 4 is longer but carries LLM filler."""
    answers = [
        "Reset it in the portal.",
        "Reset it in the portal.",
        "Reset it in the portal.",
        STEPS + ".",
        STEPS + ". I hope this helps!",
    ]
    rows = [{"question": f"Question {i}?", "answer": a} for i, a in enumerate(answers)]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    recipe = {"signals": [], "dedup": {"exact": "question", "near": True, "keep": keep}}
    log = clean(data, recipe, tmp_path / "out.jsonl")
    assert [r["question"] for r in read_rows(tmp_path / "out.jsonl")] == [f"Question {i}?" for i in kept]
    assert log["removed_by_reason"] == {"near_duplicate": 3}
    rejects = _rejects(log)
    assert len(rejects) == 3 and all(r["reasons"] == ["near_duplicate"] for r in rejects)
    assert {r["line"]: r["duplicate_of_line"] for r in rejects}[2] == 1


def test_csv_in_csv_out_with_columns_kept(tmp_path):
    data = tmp_path / "in.csv"
    with open(data, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["class", "Q", "A"])
        w.writerow(["a", "What is the player?", "The player is the character you control, with a light gun."])
        w.writerow(["a", "What is the player?", "The player is the character you control, with a light gun."])
        w.writerow(["b", "Where is it?", "<br>In the scene"])
    log = clean(data, {"signals": ["html_remnant"], "dedup": {"exact": "pair", "near": False}}, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text("utf-8").splitlines()[0] == "class,Q,A"
    assert list(read_rows(tmp_path / "out.csv")) == [
        {"class": "a", "Q": "What is the player?", "A": "The player is the character you control, with a light gun."}
    ]
    # html_remnant's measured precision (0.8986, benchmarks/results/precision.json) is over the bar: dropped
    assert log["removed_by_reason"] == {"exact_duplicate": 1, "html_remnant": 1}
    assert log["review_by_reason"] == {} and log["review"] == 0


def test_contamination_removes_overlapping_training_records(tmp_path):
    q = "What does the BeastAttack class do in the Unity project and why does the player get pushed back by it?"
    data = tmp_path / "train.jsonl"
    data.write_text(
        json.dumps({"question": q, "answer": "It handles attacks."})
        + "\n"
        + json.dumps({"question": "Unrelated question about cooking rice?", "answer": "Use 1.2x water."})
        + "\n",
        encoding="utf-8",
    )
    test = tmp_path / "test.csv"
    test.write_text(f'Question,Answer\n"{q}",a\n', encoding="utf-8")
    log = clean(
        data,
        {"signals": [], "dedup": {"exact": "none", "near": False}, "contamination": {"test": str(test)}},
        tmp_path / "clean.jsonl",
    )
    assert log["removed_by_reason"] == {"contaminated": 1} and log["contaminated_test_items"] == 1
    assert [r["question"] for r in read_rows(tmp_path / "clean.jsonl")] == ["Unrelated question about cooking rice?"]


def test_pii_drop_and_bad_rows_are_rejected_with_reasons(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(
        '{"question": "Call?", "answer": "Call 010-1234-5678 now."}\n'
        '{"question": "q", "answer": ["not", "text"]}\n'
        '{"question": "ok?", "answer": "Fine."}\n'
        "{broken json\n",
        encoding="utf-8",
    )
    log = clean(data, {"signals": [], "dedup": {"near": False}, "pii": "drop"}, tmp_path / "c.jsonl", skip_bad=True)
    assert log["removed_by_reason"] == {"pii": 1, "bad_row": 1, "unreadable_row": 1}
    assert [r["reasons"] for r in _rejects(log)] == [["pii"], ["bad_row"]]
    assert log["kept"] == 1 and log["records"] == 4


@pytest.mark.parametrize(
    "recipe,match",
    [
        ({"dedup": {"keep": "random"}}, "dedup.keep"),
        ({"pii": "shred"}, "pii"),
        ({"filters": []}, "unknown key"),
        ({"signals": ["nope"]}, "unknown signal"),
        ({"review_below": 1.5}, "review_below 1.5 is not a precision in"),
        ({"review_below": True}, "review_below True"),
        ({"review_below": "high"}, "review_below 'high'"),
    ],
)
def test_bad_recipes(tmp_path, recipe, match):
    with pytest.raises(UserError, match=match):
        clean(KO, recipe, tmp_path / "x.jsonl")
    assert not any(tmp_path.iterdir())


def test_bad_input_leaves_no_partial_output(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"question": "q", "answer": "a"}\n{oops\n', encoding="utf-8")
    with pytest.raises(UserError, match="d.jsonl:2"):
        clean(data, {"signals": []}, tmp_path / "out" / "c.jsonl")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cleaned_enlighten_set_passes_the_audits_contamination_gate(tmp_path):
    """Every training record that overlaps a test item is removed (not only the first per item), so the audit's own
    check finds nothing afterwards; a record repeating a test question under another answer is caught too."""
    from curate.pipeline import audit

    repo = Path(__file__).resolve().parents[2]
    train, test = repo / "data/enlighten-instruct/TrainData.csv", repo / "data/enlighten-instruct/TestData.csv"
    before = audit(train, test=str(test), stages=("contamination",))
    out = tmp_path / "clean.csv"
    log = clean(
        train, {"signals": [], "dedup": {"exact": "none", "near": False}, "contamination": {"test": str(test)}}, out
    )
    assert log["removed_by_reason"]["contaminated"] == before["contamination"]["figures"]["train_records_hit"]
    assert log["removed_by_reason"]["contaminated"] > before["summary"]["contaminated"]  # several per test item
    after = audit(out, test=str(test), stages=("contamination",))
    assert after["summary"]["contaminated"] == 0
