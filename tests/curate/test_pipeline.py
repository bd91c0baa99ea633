"""The audit end to end on the shipped data: stable summary, duplicates, contamination, outputs, store, gates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from curate import gates
from curate.dedup import normalize
from curate.pipeline import audit
from workbench.errors import UserError

REPO = Path(__file__).resolve().parents[2]
TRAIN = REPO / "data/enlighten-instruct/TrainData.csv"
TEST = REPO / "data/enlighten-instruct/TestData.csv"
KO = REPO / "data/korean-instruct/ko_instruct.jsonl"
STABLE = {
    "records",
    "exact_duplicate_records",
    "near_duplicate_clusters",
    "near_duplicate_records",
    "html_records",
    "pii_records",
    "generated_records",
    "truncated_records",
    "diversity",
    "tokens",
}


@pytest.fixture(scope="module")
def enlighten(tmp_path_factory):
    from workbench.store import open_store

    root = tmp_path_factory.mktemp("audit")
    store = open_store(root / "store.db")
    report = audit(TRAIN, test=str(TEST), out=root / "out", store=store)
    yield report, root / "out", store
    store.dispose()


def test_summary_is_the_stable_interface(enlighten):
    report, out, _ = enlighten
    s = report["summary"]
    assert STABLE <= set(s)
    assert set(s["diversity"]) >= {"distinct_2", "vendi", "cluster_entropy"}
    assert set(s["tokens"]) >= {"total", "p50", "p95"}
    assert json.loads((out / "report.json").read_text("utf-8"))["summary"] == json.loads(json.dumps(s))
    assert s["records"] == 1910
    for key in ("html_records", "pii_records", "generated_records", "truncated_records", "near_duplicate_records"):
        assert isinstance(s[key], int)


def test_exact_duplicates_match_pandas(enlighten):
    """Field names are the dataset's own; counts agree with pandas' duplicated() on the same normalisation."""
    report, _, _ = enlighten
    df = pd.read_csv(TRAIN, keep_default_na=False)
    q, a = df["Q"].map(normalize), df["A"].map(normalize)
    expected = {
        "Q": int((q.duplicated() & (q != "")).sum()),
        "A": int((a.duplicated() & (a != "")).sum()),
        "pair": int((pd.DataFrame({"q": q, "a": a}).duplicated()).sum()),
    }
    assert report["summary"]["exact_duplicate_records"] == expected
    assert expected["A"] > 100 and expected["Q"] > 10  # the shipped set's known duplicate answers and questions


def test_clusters_around_the_duplicate_answers(enlighten):
    """Every group of identical (long enough) answers sits inside one near-duplicate cluster."""
    report, out, _ = enlighten
    rec = pq.read_table(out / "records.parquet").to_pandas()
    df = pd.read_csv(TRAIN, keep_default_na=False)
    a = df["A"].map(normalize)
    groups = [idx for _, idx in a.groupby(a).groups.items() if len(idx) > 1]
    checked = 0
    for idx in groups:
        if len(a[idx[0]].split()) < 5:
            continue
        clusters = set(rec.loc[list(idx), "near_cluster"])
        assert len(clusters) == 1 and -1 not in clusters, a[idx[0]][:80]
        checked += 1
    assert checked >= 10
    assert report["summary"]["near_duplicate_clusters"] >= checked
    assert report["duplicates"]["shared_answer_records"] > 0


def test_test_set_overlap_is_reported(enlighten):
    report, _, _ = enlighten
    c = report["contamination"]
    assert c["test_items"] == 269
    assert report["summary"]["contaminated"] == c["contaminated"] == len(c["contaminated_ids"]) > 0
    item = c["items"][0]
    assert item["test_id"].startswith("TestData.csv:") and item["method"] in ("ngram", "near_dup")
    assert {"n", "test_items"} <= set(c["figures"])


def test_outputs_records_and_html(enlighten):
    report, out, _ = enlighten
    rec = pq.read_table(out / "records.parquet")
    assert rec.num_rows == 1910
    assert {"line", "reasons", "pii", "near_cluster", "pair_duplicate_of", "tokens", "cluster", "map_x"} <= set(
        rec.column_names
    )
    lines = rec.column("line").to_numpy()
    assert lines[0] == 2 and np.all(np.diff(lines) > 0)
    html = (out / "report.html").read_text("utf-8")
    assert "<svg" in html and "<script" not in html and "src=" not in html
    assert "Top fixes" in html and "TestData.csv" in html
    assert sorted(p.name for p in out.iterdir()) == ["records.parquet", "report.html", "report.json"]


def test_run_recorded_in_store(enlighten):
    report, _, store = enlighten
    run = store.run(report["run_id"])
    assert run["kind"] == "audit" and run["status"] == "done"
    assert run["summary"]["records"] == 1910 and "verdicts" in run["summary"]
    assert run["config"]["test"] == str(TEST)


def test_verdicts_and_fixes(enlighten):
    report, _, _ = enlighten
    assert set(report["verdicts"]) == {"quality", "diversity", "real_vs_generated", "amount"}
    assert all(v["verdict"] in ("good", "fair", "poor", "n/a") for v in report["verdicts"].values())
    assert report["verdicts"]["quality"]["verdict"] == "good"  # ≤ 2 % flagged on this clean set
    assert any("contamination" in f for f in report["fixes"])


def test_gates(enlighten):
    report, _, _ = enlighten
    n = report["summary"]["records"]
    rate = report["summary"]["exact_duplicate_records"]["pair"] / n
    assert gates.check(report, "dup_rate>0.5,pii_count>0") == []
    failed = gates.check(report, "dup_rate>0.0001,contaminated>0, records < 5%")
    assert failed[0] == f"dup_rate = {rate:.4g} (> 0.0001)" and failed[1].startswith("contaminated = ")
    assert len(failed) == 2
    assert gates.parse("x>=5%") == [("x", ">=", 0.05)]
    with pytest.raises(UserError, match="unknown metric 'dupe_rate'"):
        gates.check(report, "dupe_rate>0")
    with pytest.raises(UserError, match="cannot read"):
        gates.parse("dup_rate>>1")


def test_korean_set_finds_each_deliberate_flaw(tmp_path):
    report = audit(KO, stages=("signals", "pii", "exact", "tokens"))
    s = report["summary"]
    assert s["records"] == 70
    assert s["exact_duplicate_records"] == {"question": 1, "answer": 1, "pair": 1}
    assert (s["pii_records"], s["generated_records"], s["truncated_records"]) == (1, 1, 1)
    assert report["quality"]["reasons"] == {"empty_answer": 1, "llm_self_reference": 1, "truncated": 1}
    assert {e["line"] for e in report["pii"]["examples"]} == {40}
    assert report["language"]["scripts"] == {"hangul": 70}
    assert report["duplicates"]["pair_groups"][0]["lines"] == [36, 51]


def test_bad_row_stops_the_audit_and_leaves_no_output(tmp_path):
    data = tmp_path / "mixed.jsonl"
    data.write_text('{"question": "q1", "answer": "a1"}\n{"question": "q2", "answer": ["a", "b"]}\n', encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(UserError) as e:
        audit(data, out=out, stages=("signals",))
    assert f"{data}:2: field 'answer' holds a list" in e.value.message
    assert not out.exists()
    report = audit(data, out=out, skip_bad=True, stages=("signals", "exact"))
    assert report["summary"]["records"] == 1 and report["summary"]["skipped_rows"] == 1


def test_chat_and_text_shapes(tmp_path):
    chat = tmp_path / "chat.jsonl"
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"Question {i}?"},
                {"role": "assistant", "content": f"Answer number {i}."},
            ]
        }
        for i in range(5)
    ]
    rows.append(
        {
            "messages": [
                {"role": "user", "content": "Hi?"},
                {"role": "assistant", "content": "As an AI language model, I cannot say."},
            ]
        }
    )
    chat.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = audit(chat, stages=("signals", "exact", "tokens"))
    assert report["input"]["kind"] == "chat" and report["summary"]["generated_records"] == 1
    text = tmp_path / "t.txt"
    text.write_text("one line of text.\none line of text.\nanother line.\n", encoding="utf-8")
    report = audit(text, stages=("signals", "exact"))
    assert report["summary"]["exact_duplicate_records"] == {"text": 1, "pair": 1}


def test_fields_override_unknown_lists_fields():
    with pytest.raises(UserError) as e:
        audit(TRAIN, fields={"question": "Question"}, stages=("signals",))
    assert "class, Q, A" in e.value.message


def test_tokens_and_perplexity_with_a_real_tokenizer(tmp_path, tiny_model_dir):
    """--model counts tokens with that model's tokenizer; --perplexity adds one figure per record (tiny model)."""
    from transformers import AutoTokenizer

    report = audit(
        KO, model=str(tiny_model_dir), perplexity=True, max_length=64, out=tmp_path / "o", stages=("tokens",)
    )
    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    rows = [json.loads(x) for x in KO.read_text("utf-8").splitlines()]
    counts = [len(tok(f"{r['question']}\n{r['answer']}", add_special_tokens=False)["input_ids"]) for r in rows]
    assert report["summary"]["tokens"]["total"] == sum(counts)
    assert report["tokens"]["truncated_share"] == pytest.approx(sum(c > 64 for c in counts) / len(counts))
    ppl = pq.read_table(tmp_path / "o" / "records.parquet").column("perplexity").to_numpy()
    assert len(ppl) == 70 and np.isfinite(ppl[0]) and ppl[0] > 1
    assert report["tokens"]["perplexity"]["p50"] > 1


def test_test_set_as_a_suite_gives_the_same_overlap(enlighten):
    """--test accepts a suite YAML: the shipped MC suite over TestData.csv finds the same contaminated items."""
    report, _, _ = enlighten
    via_suite = audit(TRAIN, test=str(REPO / "suites/enlighten-mc.yaml"), stages=("contamination",))
    assert via_suite["summary"]["contaminated"] == report["summary"]["contaminated"]
    assert via_suite["contamination"]["test_items"] == 269
    assert all(i.startswith("mc-") for i in via_suite["contamination"]["contaminated_ids"])


def test_the_audit_streams_and_matches_the_in_memory_functions(tmp_path):
    """Pass 1 keeps no text; the clusters, exact groups and diversity map of the streamed audit (with a diversity
    sample smaller than the set, so every record is placed in a third pass) equal the in-memory functions' on the
    whole list of texts."""
    from curate.dedup import exact_pair_duplicates, near_duplicates
    from curate.diversity import diversity_figures
    from curate.pipeline import AuditConfig, collect

    cfg = AuditConfig()
    lean = collect(TRAIN, cfg, progress=False, keep_texts=False)
    full = collect(TRAIN, cfg, progress=False)
    assert lean.prompts == [] and lean.answers == [] and len(lean.lines) == 1910
    want = np.array([0, 5, 977, 1909])
    got = [(i, p, a) for idx, ps, ans in lean.text_chunks(want=want) for i, p, a in zip(idx, ps, ans)]
    assert got == [(i, full.prompts[i], full.answers[i]) for i in want]

    report = audit(TRAIN, out=tmp_path / "out", diversity_sample=300, stages=("exact", "near", "diversity"))
    table = pq.read_table(tmp_path / "out/records.parquet").to_pandas()
    near = near_duplicates(full.answers)
    assert table["near_cluster"].tolist() == near.cluster_of.tolist()
    assert (
        report["summary"]["exact_duplicate_records"]["pair"]
        == exact_pair_duplicates(full.prompts, full.answers).duplicate_records
    )
    div = diversity_figures([f"{q}\n{a}" for q, a in zip(full.prompts, full.answers)], sample=300)
    assert div["sampled"] and report["diversity"]["sampled"]
    assert table["cluster"].tolist() == div["cluster_ids"]
    assert np.allclose(table[["map_x", "map_y"]].to_numpy(), np.asarray(div["map_xy"]), atol=1e-5)
    for key in ("distinct_1", "distinct_2", "vendi", "cluster_entropy", "coverage", "cluster_sizes"):
        assert report["diversity"][key] == pytest.approx(div[key])
