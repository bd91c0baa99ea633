"""The labelled precision set (benchmarks/precision): every flag the rules raise on it is labelled, precision is at
least 0.8 for every reason that flags anything, and recall on planted defects is no lower than the rules before."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))
import bench_precision as bench  # noqa: E402


@pytest.fixture(scope="module")
def measured():
    recs = bench.load_records()
    labels = [json.loads(x) for x in (bench.HERE / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    return recs, labels, bench.flags(recs)


def test_labels_name_real_records_and_say_yes_or_no(measured):
    recs, labels, _ = measured
    for lab in labels:
        assert lab["id"] in recs, lab
        assert lab["signal"] in bench.REASONS and isinstance(lab["defect"], bool) and lab["note"], lab
    assert len({(x["id"], x["signal"]) for x in labels}) == len(labels)  # one label per record and reason


def test_every_flag_is_labelled_and_precision_is_at_least_0_8(measured):
    _, labels, flagged = measured
    table = bench.precision_table(labels, flagged)
    for reason, row in table.items():
        assert row["flagged_labelled"] == row["flagged"], reason
        if row["flagged"]:
            assert row["precision"] >= 0.8, (reason, row)
    assert table["truncated"]["flagged"] >= 20  # the figure rests on more than a handful of flags


def test_recall_on_planted_defects_not_below_the_recorded_before_run(measured):
    recs, labels, _ = measured
    history = json.loads((REPO / "benchmarks" / "results" / "precision.json").read_text(encoding="utf-8"))["history"]
    before = next(h for h in history if h["details"]["label"] == "before")["details"]["planted"]
    now = bench.planted(recs, labels)
    for kind, got in now.items():
        assert got["planted"] == before[kind]["planted"], kind
        assert got["caught"] >= before[kind]["caught"], (kind, got, before[kind])
