"""The audit's stages and executors: every stage round-trips to its config, skipped stages are left out, an executor
runs any stage list through its passes, and `curate clean` streams the audit's own near-duplicate stage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curate.clean import clean
from curate.dedup import NEAR, NearSettings, near_duplicates
from curate.executor import LocalExecutor, collect
from curate.stages import (
    STAGE_TYPES,
    STAGES,
    AuditConfig,
    Near,
    Read,
    Stage,
    build_stages,
    near_settings,
    stages_except,
)
from workbench.errors import UserError

REPO = Path(__file__).resolve().parents[2]
TRAIN = REPO / "data/enlighten-instruct/TrainData.csv"
TEST = REPO / "data/enlighten-instruct/TestData.csv"


def test_every_stage_round_trips_to_its_config():
    stages = build_stages(AuditConfig(test=str(TEST), perplexity=False, model=None))
    assert [st.name for st in stages] == [
        "read",
        "signals",
        "pii",
        "exact",
        "near",
        "diversity",
        "template",
        "tokens",
        "contamination",
        "verdicts",
    ]
    for st in stages:
        assert STAGE_TYPES[st.name] is type(st)
        again = STAGE_TYPES[st.name](**json.loads(json.dumps(st.config())))  # a config is plain YAML/JSON
        assert again.config() == st.config(), st.name


def test_skipped_stages_are_left_out_and_unknown_ones_refused():
    names = [st.name for st in build_stages(AuditConfig(stages=stages_except(["near", " pii", ""])))]
    assert "near" not in names and "pii" not in names and "exact" in names
    assert "contamination" not in names  # no --test: nothing to check against
    assert stages_except([]) == STAGES
    with pytest.raises(UserError, match="unknown stage"):
        stages_except(["nearr"])


def test_near_defaults_live_in_one_place():
    assert NEAR == NearSettings() == near_settings(None)
    assert Near().settings == NEAR
    assert near_settings({"threshold": 0.8, "bands": None}, seed=3) == NearSettings(threshold=0.8, seed=3)
    with pytest.raises(UserError, match="treshold"):
        near_settings({"treshold": 0.8})


class _Probe(Stage):
    """Counts pass-1 records and asks to see two of them again in pass 2."""

    name = "probe"

    def begin(self, run):
        self.records, self.seen = 0, []

    def add(self, batch):
        assert batch.start == self.records
        self.records += len(batch.answers)

    def plan(self, run):
        return np.array([3, run.n - 1])

    def take(self, idx, prompts, answers):
        self.seen += list(zip(idx.tolist(), answers))


def test_the_local_executor_runs_any_stage_list():
    probe = _Probe()
    run = LocalExecutor().run(TRAIN, [Read(), probe])
    full = collect(TRAIN, AuditConfig(stages=()), progress=False)
    assert probe.records == run.n == len(full.answers) == 1910
    assert probe.seen == [(3, full.answers[3]), (1909, full.answers[1909])]
    assert run.col.answers == [] and run.report is None  # pass 1 keeps no text; no verdicts stage, no report


def test_the_streamed_near_stage_equals_the_in_memory_function():
    near = Near(threshold=0.6, shingle=2)
    run = LocalExecutor().run(TRAIN, [Read(), near])
    answers = collect(TRAIN, AuditConfig(stages=()), progress=False).answers
    expected = near_duplicates(answers, threshold=0.6, shingle=2)
    assert run.col.answers == []
    assert near.result.clusters == expected.clusters and len(expected.clusters) > 20
    assert near.result.pairs == expected.pairs and near.result.candidates == expected.candidates


def test_clean_removes_the_near_duplicates_of_the_stage(tmp_path):
    recipe = {"signals": [], "dedup": {"exact": "none", "near": True, "keep": "first", "near_settings": {"shingle": 2}}}
    log = clean(TRAIN, recipe, tmp_path / "c.csv")
    answers = collect(TRAIN, AuditConfig(stages=()), progress=False).answers
    dups = {i for c in near_duplicates(answers, shingle=2).clusters for i in c[1:]}
    rejects = [json.loads(x) for x in (tmp_path / "c.rejects.jsonl").read_text("utf-8").splitlines()]
    assert {r["index"] for r in rejects} == dups and log["removed_by_reason"] == {"near_duplicate": len(dups)}
    with pytest.raises(UserError, match="treshold"):
        clean(TRAIN, {"dedup": {"near_settings": {"treshold": 0.8}}}, tmp_path / "d.csv")
