"""The Ray engine against the local engine: same records, signals, figures and duplicate clusters, on the shipped data
and on a generated 50k-record set with injected duplicates read from shards. Ray starts once for the module."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ray = pytest.importorskip("ray")

from fixtures.synth import make_records, write_shards  # noqa: E402

from curate.dedup import near_duplicates, normalize  # noqa: E402
from curate.engine_ray import audit_ray, collect_ray, init_ray, near_duplicates_ray  # noqa: E402
from curate.pipeline import AuditConfig, audit, collect  # noqa: E402
from curate.signals import DEFAULT_SIGNALS  # noqa: E402
from workbench.errors import UserError  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TRAIN = REPO / "data/enlighten-instruct/TrainData.csv"
TEST = REPO / "data/enlighten-instruct/TestData.csv"
KO = REPO / "data/korean-instruct/ko_instruct.jsonl"
COLLECTED = (
    "lines",
    "prompts",
    "answers",
    "labels",
    "reasons",
    "scripts",
    "pii",
    "pii_examples",
    "pii_kinds",
    "read_stats",
    "fmt",
)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    init_ray(num_cpus=2)
    yield
    ray.shutdown()


def assert_same_near(a, b):
    assert b.clusters == a.clusters
    assert b.representative == a.representative
    assert np.array_equal(b.cluster_of, a.cluster_of)
    assert b.pairs == a.pairs
    assert b.candidates == a.candidates
    assert b.config == a.config
    assert b.methods == a.methods


# -- shipped data ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def enlighten(tmp_path_factory):
    root = tmp_path_factory.mktemp("ray-audit")
    local = audit(TRAIN, test=str(TEST), out=root / "local")
    on_ray = audit_ray(TRAIN, test=str(TEST), out=root / "ray")
    return local, on_ray, root


def test_same_report_on_the_shipped_data(enlighten):
    """Every section of report.json is equal; only timings, output paths and the engine note differ."""
    local, on_ray, _ = enlighten
    volatile = {"timings_s", "outputs", "engine", "run_id"}
    assert set(on_ray) - volatile == set(local) - volatile
    for key in set(local) - volatile:
        assert on_ray[key] == local[key], key
    s = on_ray["summary"]
    assert s["records"] == 1910
    assert s["near_duplicate_clusters"] > 50 and s["exact_duplicate_records"]["A"] > 100
    assert on_ray["engine"]["name"] == "ray" and on_ray["engine"]["files"] == 1


def test_records_written_as_parquet_shards(enlighten):
    _, on_ray, root = enlighten
    folder = root / "ray" / "records.parquet"
    assert folder.is_dir() and sorted(p.name for p in folder.iterdir()) == ["part-00000.parquet"]
    local = pd.read_parquet(root / "local" / "records.parquet")
    shards = pd.read_parquet(folder)
    pd.testing.assert_frame_equal(shards, local)
    on_disk = json.loads((root / "ray" / "report.json").read_text("utf-8"))
    assert on_disk["summary"] == json.loads(json.dumps(on_ray["summary"]))
    assert (root / "ray" / "report.html").stat().st_size > 10_000


def test_clusters_hold_the_exact_duplicate_answers(enlighten):
    """Independent of the local engine: every answer repeated verbatim (5+ words) sits in one Ray cluster."""
    df = pd.read_csv(TRAIN, keep_default_na=False)
    norm = df["A"].map(normalize)
    groups = [g for _, g in df.groupby(norm).groups.items() if len(g) > 1 and len(norm[g[0]].split()) >= 5]
    assert len(groups) > 20
    res = near_duplicates_ray(list(df["A"]))
    for g in groups:
        assert len({int(res.cluster_of[i]) for i in g}) == 1 and res.cluster_of[g[0]] >= 0


def test_korean_jsonl_collected_the_same():
    cfg = AuditConfig()
    a, b = collect(KO, cfg, progress=False), collect_ray(KO, cfg, progress=False)
    assert a.fmap.__dict__ == b.fmap.__dict__
    for f in COLLECTED:
        assert getattr(b, f) == getattr(a, f), f
    assert any(a.reasons)  # the set's deliberate flaws are found by both


# -- generated 50k records, sharded -----------------------------------------------------------------------------------
N = 50_000


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("gen50k")
    records = make_records(N, seed=7)
    whole = write_shards(records, root / "whole", shards=1)[0]
    shards = write_shards(records, root / "shards", shards=4)
    return records, whole, shards


@pytest.fixture(scope="module")
def collected_50k(generated):
    _, whole, shards = generated
    # the default signals, and the web-page rules turned on for these pairs, so there are flags to compare
    web = [{name: {"on_pairs": True}} for name in ("gopher_quality", "gopher_repetition", "fineweb")]
    cfg = AuditConfig(
        signals=[n for n in DEFAULT_SIGNALS if n not in ("gopher_quality", "gopher_repetition", "fineweb")] + web
    )
    return collect(whole, cfg, progress=False), collect_ray(shards[0].parent, cfg, progress=False)


def test_50k_shards_give_the_same_records_and_signals(generated, collected_50k):
    records, _, shards = generated
    local, on_ray = collected_50k
    assert len(on_ray.lines) == N
    for f in ("prompts", "answers", "labels", "reasons", "scripts", "pii", "pii_kinds"):
        assert getattr(on_ray, f) == getattr(local, f), f
    # lines are per shard: shard k restarts at 1
    sizes = [sum(1 for _ in open(p, encoding="utf-8")) for p in shards]
    expected = [line for s in sizes for line in range(1, s + 1)]
    assert on_ray.lines == expected and local.lines == list(range(1, N + 1))
    assert on_ray.read_stats["rows"] == N and on_ray.read_stats["skipped"] == 0
    assert sum(bool(r) for r in on_ray.reasons) > 0


def test_50k_same_duplicate_clusters(generated, collected_50k):
    records, _, _ = generated
    local_col, on_ray_col = collected_50k
    a = near_duplicates(local_col.answers)
    b = near_duplicates_ray(on_ray_col.answers, partitions=4)
    assert_same_near(a, b)
    # the injected duplicates are found: every exact copy of an answer shares its source's cluster
    first: dict[str, int] = {}
    copies = 0
    for i, r in enumerate(records):
        j = first.setdefault(r["answer"], i)
        if j != i:
            copies += 1
            assert b.cluster_of[i] == b.cluster_of[j] >= 0
    assert copies > 0.02 * N
    assert b.duplicate_records > copies  # the 1-3 word edits join clusters too


def test_near_accepts_a_ray_dataset(collected_50k):
    import pyarrow as pa

    texts = collected_50k[0].answers[:5000]
    ds = ray.data.from_arrow(pa.table({"idx": np.arange(len(texts)), "text": texts}))
    assert_same_near(
        near_duplicates(texts, threshold=0.8, shingle=5),
        near_duplicates_ray(ds, threshold=0.8, shingle=5, partitions=3),
    )


def test_near_edge_cases():
    assert near_duplicates_ray(["", "", "one two"]).clusters == near_duplicates(["", "", "one two"]).clusters == []
    texts = ["a b c d e f g h", "a b c d e f g h", "", "a b c d e f g x"]
    assert_same_near(near_duplicates(texts, threshold=0.5), near_duplicates_ray(texts, threshold=0.5))
    with pytest.raises(ValueError, match="threshold"):
        near_duplicates_ray(texts, threshold=0)


def test_short_path_same_clusters_on_the_labelled_short_set():
    """Short records (benchmarks/dedup_short/: one-word, one-particle, one-character edits in English and Korean):
    the char-shingle + edit-distance path gives the local clusters and methods."""
    path = REPO / "benchmarks/dedup_short/records.jsonl"
    texts = [json.loads(line)["text"] for line in open(path, encoding="utf-8")]
    a, b = near_duplicates(texts), near_duplicates_ray(texts, partitions=3)
    assert_same_near(a, b)
    assert "minhash-chars+edit" in a.methods and a.duplicate_records > 900


# -- input -----------------------------------------------------------------------------------------------------------
def test_parquet_shards(tmp_path):
    df = pd.read_csv(TRAIN, keep_default_na=False)
    records = df.to_dict("records")
    write_shards(records, tmp_path, shards=3, fmt="parquet")
    cfg = AuditConfig(stages=("signals", "pii"))
    a, b = collect(TRAIN, cfg, progress=False), collect_ray(tmp_path, cfg, progress=False)
    assert b.fmt == "parquet" and len(b.lines) == 1910
    for f in ("prompts", "answers", "labels", "reasons", "scripts", "pii"):
        assert getattr(b, f) == getattr(a, f), f


def test_bad_line_in_a_shard_names_file_and_line(tmp_path):
    write_shards(make_records(30, seed=1), tmp_path, shards=2)
    bad = tmp_path / "part-00001.jsonl"
    lines = bad.read_text("utf-8").splitlines()
    lines[4] = '{"question": "broken'
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(UserError, match=r"part-00001\.jsonl:5: malformed JSON"):
        collect_ray(tmp_path, AuditConfig(), progress=False)
    col = collect_ray(tmp_path, AuditConfig(skip_bad=True), progress=False)
    assert len(col.lines) == 29 and col.read_stats["skipped"] == 1
    assert "part-00001.jsonl:5" in col.read_stats["errors"][0]


def test_missing_input_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        collect_ray(tmp_path / "nope.jsonl", AuditConfig(), progress=False)
    with pytest.raises(UserError, match="no data files"):
        collect_ray(tmp_path, AuditConfig(), progress=False)


def test_cli_engine_ray_prints_the_local_summary(tmp_path):
    """`curate audit --engine ray` through the console script gives the local engine's summary."""
    import json
    import subprocess
    import sys

    data = REPO / "data" / "korean-instruct" / "ko_instruct.jsonl"
    runs = {}
    for engine in ("local", "ray"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "curate",
                "audit",
                str(data),
                "--engine",
                engine,
                "--json",
                "--no-record",
                "--quiet",
                "--out",
                str(tmp_path / engine),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        runs[engine] = json.loads(out.stdout)["summary"]
    assert runs["ray"] == runs["local"]
    assert (tmp_path / "ray" / "records.parquet").is_dir()
