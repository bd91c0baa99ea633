"""curate on Ray Data: the Ray executor runs the audit's stage list (curate.stages) with reading, the per-record
stages and near-duplicate detection spread over a Ray cluster (local Ray on this machine when no address is given).

What runs where:
- reading + per-record stages: one task per input shard (`workbench.tabular.read_numbered`, so formats, line numbers
  and bad-input messages are the local executor's), running the read, signals and PII stages rebuilt on the worker
  from their configs (`Read.map_chunk`, the local executor's own per-chunk code) as a Ray Data `map_batches`; the
  per-record columns come back to the driver in input order as a `Collected`.
- near-duplicates (`RayNear`, the near stage's distributed form): MinHash signatures and LSH band keys in
  `map_batches` (curate.dedup's shingling and rensa signatures, so every key equals the local stage's); banding as a
  shuffle (`groupby` on a hash partition of the band bucket key: bands x records rows); candidate pairs de-duplicated
  by a second shuffle, joined with the texts and verified by true Jaccard on the workers; only the verified pairs
  reach the driver, which joins them into clusters (connected components, the local rule: the representative is a
  cluster's first record). Short records take the same road a second time with char-shingle keys, their pairs
  confirmed by edit distance on the workers (curate.dedup's short path).
- the set-level stages (exact duplicates, diversity, tokens, contamination, verdicts) run on the driver exactly as in
  the local executor, fed each chunk as it streams in; the texts stay in the object store (one table per chunk) for
  the passes that re-read some of them, so the driver never holds the corpus.

The local executor and this one give the same figures and the same clusters (tests/curate/test_engine_ray.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from curate.dedup import (
    NearDupResult,
    NearSettings,
    RecordKeys,
    char_keys,
    clusters_from_pairs,
    edit_verify,
    fact_words,
    jaccard_pairs,
    mix64,
    near_from_pairs,
    record_keys,
    shingle_hashes,
    short_records,
    short_text,
)
from curate.executor import Executor, OnChunk, progress_bar, run_audit
from curate.fields import FieldMap
from curate.stages import (
    CHUNK,
    NONE,
    STAGE_TYPES,
    AuditConfig,
    Collected,
    Near,
    Read,
    RecordStage,
    Run,
    Stage,
    chunks,
    record_stages,
)
from workbench.errors import UserError

__all__ = [
    "init_ray",
    "input_files",
    "collect_ray",
    "near_duplicates_ray",
    "clusters_from_pairs",
    "audit_ray",
    "RayExecutor",
    "RayNear",
    "write_outputs_sharded",
]

DEFAULT_PARTITIONS = 16  # hash partitions of each shuffle; on a cluster, a few per worker CPU


# -- Ray session ----------------------------------------------------------------------------------------------------
def init_ray(address: str | None = None, *, num_cpus: int | None = 2, runtime_env: dict | None = None) -> None:
    """Start local Ray (`address` None: `num_cpus` CPUs, no dashboard, worker logs kept off the terminal) or connect
    to a running cluster: `auto` or `HOST:6379` from a node of the cluster, `ray://HOST:10001` from outside it (Ray
    Client, needs `pip install "ray[client]"`). The curate and workbench packages are shipped with the job; the cluster's
    Python needs curate's dependencies (numpy, pyarrow, rensa, ftfy, ...). Idempotent."""
    import logging

    import ray

    # units never print: Ray's and Ray Data's INFO/WARNING lines (start-up, "execution finished") stay off stderr
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if not ray.is_initialized():
        if address is None:
            # address="local": always a fresh local instance, never a cluster left running or named in $RAY_ADDRESS
            ray.init(
                address="local",
                num_cpus=num_cpus,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                runtime_env=runtime_env,
            )
        else:
            if runtime_env is None:
                import curate
                import workbench

                runtime_env = {"py_modules": [os.path.dirname(curate.__file__), os.path.dirname(workbench.__file__)]}
            try:
                ray.init(address=address, log_to_driver=False, runtime_env=runtime_env)
            except Exception as e:  # noqa: BLE001 - connection failures come as several types
                raise UserError(
                    f"--address {address}: could not connect to the Ray cluster ({e})",
                    hint="on a cluster node pass `auto` (after `ray start --head`); from outside, start "
                    "the head with --ray-client-server-port 10001, install ray[client] and pass "
                    "ray://HOST:10001",
                ) from None
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True  # records keep their input order: indices equal the local engine's
    ctx.enable_progress_bars = False
    # the sort-based pull shuffle: measured ~35x faster than the default hash shuffle (SHUFFLE_V2, aggregator actors)
    # for the few, vectorised groups curate uses, on 2 local CPUs
    ctx.shuffle_strategy = ray.data.context.ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    with contextlib.suppress(AttributeError):
        ctx.print_on_execution_start = False


@contextlib.contextmanager
def _user_errors():
    """A UserError raised inside a Ray task reaches the user as itself, not as a wrapped task traceback."""
    try:
        yield
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001
        cause = e
        for _ in range(6):
            nxt = getattr(cause, "cause", None) or cause.__cause__
            if isinstance(nxt, UserError):
                raise UserError(nxt.message, hint=getattr(nxt, "hint", None), code=getattr(nxt, "code", 2)) from None
            if nxt is None:
                break
            cause = nxt
        raise


# -- input ----------------------------------------------------------------------------------------------------------
def input_files(path_or_paths) -> list[str]:
    """The shards to read: a file, a list of files, or a folder of .jsonl/.json/.csv/.tsv/.parquet files (sorted by
    name; a `save_to_disk` folder is one input)."""
    paths = [path_or_paths] if isinstance(path_or_paths, (str, os.PathLike)) else list(path_or_paths)
    files: list[str] = []
    for p in map(Path, paths):
        if p.is_dir() and not any((p / m).exists() for m in ("dataset_info.json", "state.json", "dataset_dict.json")):
            found = sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and f.suffix.lower() in (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".pq", ".txt")
            )
            if not found:
                raise UserError(
                    f"{p}: no data files in this folder",
                    hint="put .jsonl/.json/.csv/.tsv/.parquet shards in it, or pass the files",
                )
            files += [str(f) for f in found]
        elif not p.exists():
            raise UserError(f"{p}: no such file or folder", hint="check the path")
        else:
            files.append(str(p))
    if not files:
        raise UserError("no input files given")
    return files


def _detect(first: str, read: Read) -> tuple[FieldMap, dict]:
    """Fields from the first chunk of the first shard, as the local executor detects them, and that read's stats (the
    format and the skip option; its counts are the workers')."""
    stats: dict = {}
    head = next(chunks(read.rows(first, stats), CHUNK), [])
    return read.detect(head, first), stats


# -- reading + per-record stages (runs on the workers) ----------------------------------------------------------------
_STAGES_CACHE: dict[str, tuple[Read, list[RecordStage]]] = {}


def _worker_stages(specs: list) -> tuple[Read, list[RecordStage]]:
    """The read stage and the per-record stages rebuilt from their (name, config) pairs, once per worker process:
    a config is what travels to a cluster."""
    key = json.dumps(specs, sort_keys=True, default=str)
    if key not in _STAGES_CACHE:
        stages = [STAGE_TYPES[name](**conf) for name, conf in specs]
        _STAGES_CACHE[key] = (stages[0], stages[1:])
    return _STAGES_CACHE[key]


def _chunk_columns(col: Collected, path: str, meta: dict) -> dict:
    """One chunk's Collected as columns; batch-level figures (PII counts and examples, skips) ride on row 0."""
    n = len(col.lines)
    meta_col = [""] * n
    if n:
        meta_col[0] = json.dumps(meta, ensure_ascii=False, default=str)
    return {
        "file": [path] * n,
        "line": np.asarray(col.lines, np.int64),
        "prompt": col.prompts,
        "answer": col.answers,
        "label": [json.dumps(v, ensure_ascii=False, default=str) for v in col.labels],
        "reasons": col.reasons,
        "script": col.scripts,
        "pii": col.pii,
        "meta": meta_col,
    }


def _chunk_table(part: Collected, meta: dict, path: str):
    import pyarrow as pa

    return pa.table(
        {
            k: (
                pa.array(v, pa.list_(pa.string()))
                if k in ("reasons", "pii")
                else pa.array(v, pa.string())
                if k in ("file", "prompt", "answer", "label", "script", "meta")
                else pa.array(v)
            )
            for k, v in _chunk_columns(part, path, meta).items()
        }
    )


def _marker_table(path: str, meta: dict):
    """A shard whose last chunk kept no record: one marker row (line -1) carrying the shard's figures."""
    import pyarrow as pa

    return pa.table(
        {
            "file": [path],
            "line": pa.array([-1], pa.int64()),
            "prompt": [""],
            "answer": [""],
            "label": ["null"],
            "reasons": pa.array([[]], pa.list_(pa.string())),
            "script": [""],
            "pii": pa.array([[]], pa.list_(pa.string())),
            "meta": [json.dumps(meta, default=str)],
        }
    )


def _run_chunk(chunk: list, read: Read, units: list[RecordStage], fmap: FieldMap, path: str) -> tuple[Collected, dict]:
    part = Collected(fmap=fmap, fmt=None, read_stats={"skipped": 0, "errors": []})
    read.map_chunk(chunk, part, units, path)
    meta = {
        "pii_kinds": dict(part.pii_kinds),
        "pii_examples": part.pii_examples,
        "skipped": part.read_stats.get("skipped", 0),
        "errors": part.read_stats.get("errors", []),
    }
    return part, meta


def _read_shards(batch: dict, *, stages: list, fmap: dict) -> Iterator:
    """map_batches UDF over shard paths: stream each shard through the read and per-record stages, one pyarrow table
    per chunk of records; a shard's last table also carries its read figures."""
    read, units = _worker_stages(stages)
    fm = FieldMap(**fmap)
    for path in batch["path"]:
        path = str(path)
        stats: dict = {}
        pending = None
        for chunk in chunks(read.rows(path, stats), CHUNK):
            if pending is not None and pending[0].lines:
                yield _chunk_table(*pending, path)
            pending = _run_chunk(chunk, read, units, fm, path)
        if pending is not None:
            part, meta = pending
            meta["file_stats"] = {"path": path, **stats}
            yield _chunk_table(part, meta, path) if part.lines else _marker_table(path, meta)


# -- the driver: the per-record columns in input order ----------------------------------------------------------------
def _absorb_meta(col: Collected, tab, real: np.ndarray) -> None:
    """The chunk-level figures riding on row 0 of each worker chunk: PII counts and examples, skips, file figures."""
    stats = col.read_stats
    base = len(col.lines)
    before = np.cumsum(real) - real  # kept rows before each row (marker rows carry only file figures)
    for r, m in enumerate(tab.column("meta").to_pylist()):
        if not m:
            continue
        m = json.loads(m)
        for ex in m["pii_examples"]:
            if len(col.pii_examples) < 200:
                col.pii_examples.append({**ex, "index": base + int(before[r]) + ex["index"]})
        col.pii_kinds.update(m["pii_kinds"])
        stats["skipped"] += m["skipped"]
        stats["errors"] = (stats["errors"] + m["errors"])[:20]
        fs = m.get("file_stats")
        if fs:
            stats["rows"] += fs.get("rows", 0)
            stats["skipped"] += fs.get("skipped", 0)
            stats["errors"] = (stats["errors"] + fs.get("errors", []))[:20]


def _absorb(col: Collected, tab, refs: list) -> tuple[int, list[str], list[str]]:
    """One worker chunk into `col`; its texts go to the object store for the later passes. Returns (start, prompts,
    answers) of its records."""
    import pyarrow as pa
    import ray

    tab = tab if isinstance(tab, pa.Table) else pa.Table.from_pandas(tab)
    lines = tab.column("line").to_numpy()
    real = lines >= 0
    _absorb_meta(col, tab, real)
    if not real.all():
        tab = tab.filter(pa.array(real))
        lines = lines[real]
    start = len(col.lines)
    col.lines.extend(lines.tolist())
    prompts, answers = tab.column("prompt").to_pylist(), tab.column("answer").to_pylist()
    if len(lines):  # the texts stay in the object store for the later passes, in record order
        idx = np.arange(start, start + len(lines), dtype=np.int64)
        refs.append(ray.put(pa.table({"idx": idx, "prompt": tab.column("prompt"), "text": tab.column("answer")})))
    if col.keep_texts:
        col.prompts.extend(prompts)
        col.answers.extend(answers)
    col.labels.extend(json.loads(v) for v in tab.column("label").to_pylist())
    col.reasons.extend(r or NONE for r in tab.column("reasons").to_pylist())
    col.scripts.extend(tab.column("script").to_pylist())
    col.pii.extend(k or NONE for k in tab.column("pii").to_pylist())
    return start, prompts, answers


def _ref_text_chunks(refs: list, want: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, list[str], list[str]]]:
    """(indices, prompts, answers) of the records in `want` (sorted; None: all) from the collected tables, one
    table at a time."""
    import ray

    for ref in refs:
        t = ray.get(ref)
        idx = t.column("idx").to_numpy()
        rows = np.arange(len(idx))
        if want is not None:
            lo, hi = np.searchsorted(want, [idx[0], idx[-1] + 1])
            if lo == hi:
                continue
            rows = want[lo:hi] - idx[0]
        prompts, answers = t.column("prompt").to_pylist(), t.column("text").to_pylist()
        yield idx[rows], [prompts[r] for r in rows], [answers[r] for r in rows]


# -- near-duplicates ------------------------------------------------------------------------------------------------
def _band_rows(batch: dict, *, shingle: int, num_perm: int, bands: int, rows: int, seed: int, parts: int) -> dict:
    """map_batches UDF: (idx, text) -> one row per (band, non-empty record): the LSH bucket key and shingle-set
    fingerprint exactly as the local engine computes them (`curate.dedup.record_keys`), and its shuffle partition."""
    idx = np.asarray(batch["idx"], np.int64)
    flat, offsets = shingle_hashes(list(batch["text"]), shingle=shingle)
    rk = record_keys(flat, offsets, num_perm=num_perm, bands=bands, rows=rows, seed=seed)
    return _key_rows(idx, rk, bands, parts)


def _char_band_rows(batch: dict, *, settings: dict, parts: int) -> dict:
    """map_batches UDF: `_band_rows` for the short path, from the short records' char-shingle keys
    (`curate.dedup.char_keys`)."""
    st = NearSettings(**settings)
    texts = list(batch["text"])
    sel = short_records(np.diff(shingle_hashes(texts, shingle=st.shingle)[1]), st)
    rk = char_keys([short_text(texts[k]) for k in sel], st)
    return _key_rows(np.asarray(batch["idx"], np.int64)[sel], rk, st.char_bands()[0], parts)


def _key_rows(idx: np.ndarray, rk: RecordKeys, bands: int, parts: int) -> dict:
    """One row per (band, non-empty record) of `rk`: bucket key, band, record index, set fingerprint, partition."""
    nz = np.flatnonzero(rk.sizes)
    key = rk.keys[nz].T.ravel()  # band-major: all records' band 0, then band 1, ...
    return {
        "key": key,
        "band": np.repeat(np.arange(bands, dtype=np.int16), len(nz)),
        "idx": np.tile(idx[nz], bands),
        "fp": np.tile(rk.fp[nz], bands),
        "part": (key % np.uint64(parts)).astype(np.int32),
    }


def _bucket_pairs(g: dict, *, window: int, n: int, parts: int) -> dict:
    """map_groups UDF over one hash partition of band rows: identical sets (band 0, same fingerprint) give pairs to
    their first record and leave the buckets; within each (band, bucket) every record pairs with up to `window`
    following members (the local engine's rule: a bucket of 100k templates costs O(n·window), not n²)."""
    key = np.asarray(g["key"], np.uint64)
    band = np.asarray(g["band"], np.int64)
    idx = np.asarray(g["idx"], np.int64)
    fp = np.asarray(g["fp"], np.uint64)
    out_i, out_j, kind = [], [], []
    # identical shingle sets: pairs (first, other) from band 0, where every non-empty record has exactly one row
    b0 = np.flatnonzero(band == 0)
    if len(b0):
        o = b0[np.lexsort((idx[b0], fp[b0]))]
        sf = fp[o]
        first = np.ones(len(o), bool)
        first[1:] = sf[1:] != sf[:-1]
        rep = idx[o][np.maximum.accumulate(np.where(first, np.arange(len(o)), 0))]
        out_i.append(rep[~first])
        out_j.append(idx[o][~first])
        kind.append(np.zeros(int((~first).sum()), np.int8))
    # drop the copies (same bucket, same fingerprint, not the first) from every bucket
    o = np.lexsort((idx, fp, key))
    k_, f_ = key[o], fp[o]
    keep = np.ones(len(o), bool)
    keep[1:] = (k_[1:] != k_[:-1]) | (f_[1:] != f_[:-1])
    o = o[keep]
    o = o[np.lexsort((idx[o], key[o]))]
    sk, si = key[o], idx[o]
    m = len(o)
    p = np.flatnonzero(sk[1:] == sk[:-1]) if m > 1 else np.zeros(0, np.int64)
    d = 1
    cand = []
    while len(p) and d <= window:
        a, b = si[p], si[p + d]
        cand.append(np.minimum(a, b) * n + np.maximum(a, b))
        d += 1
        p = p[p + d < m]
        p = p[sk[p + d] == sk[p]]
    if cand:
        c = np.unique(np.concatenate(cand))
        out_i.append(c // n)
        out_j.append(c % n)
        kind.append(np.ones(len(c), np.int8))
    if not out_i:
        return {
            "i": np.zeros(0, np.int64),
            "j": np.zeros(0, np.int64),
            "kind": np.zeros(0, np.int8),
            "part": np.zeros(0, np.int32),
        }
    i, j = np.concatenate(out_i), np.concatenate(out_j)
    return {
        "i": i,
        "j": j,
        "kind": np.concatenate(kind),
        "part": (mix64((i * n + j).astype(np.uint64)) % np.uint64(parts)).astype(np.int32),
    }


def _unique_pairs(g: dict) -> dict:
    """map_groups UDF: a pair found in several bands counts once."""
    i, j, kind = (np.asarray(g[c]) for c in ("i", "j", "kind"))
    o = np.lexsort((kind, j, i))
    i, j, kind = i[o], j[o], kind[o]
    keep = np.ones(len(i), bool)
    keep[1:] = (i[1:] != i[:-1]) | (j[1:] != j[:-1])
    return {"i": i[keep], "j": j[keep], "kind": kind[keep]}


def _tag_texts(batch: dict, *, parts: int, key_col: str = "idx") -> dict:
    """map_batches UDF: texts as rows of the reduce-side join (tag 0), partitioned by record index."""
    idx = np.asarray(batch[key_col], np.int64)
    m = len(idx)
    return {
        "part": (mix64(idx.astype(np.uint64)) % np.uint64(parts)).astype(np.int32),
        "key": idx,
        "other": np.full(m, -1, np.int64),
        "text": np.asarray(batch["text"], dtype=object),
        "text2": np.full(m, "", dtype=object),
        "tag": np.zeros(m, np.int8),
    }


def _tag_pairs(batch: dict, *, parts: int, key: str, other: str, carry: str | None = None) -> dict:
    """map_batches UDF: pairs as rows of the join (tag 1) keyed by one end, carrying the other end (and a text)."""
    k = np.asarray(batch[key], np.int64)
    m = len(k)
    return {
        "part": (mix64(k.astype(np.uint64)) % np.uint64(parts)).astype(np.int32),
        "key": k,
        "other": np.asarray(batch[other], np.int64),
        "text": np.full(m, "", dtype=object),
        "text2": np.asarray(batch[carry], dtype=object) if carry else np.full(m, "", dtype=object),
        "tag": np.ones(m, np.int8),
    }


def _join_texts(g: dict) -> dict:
    """map_groups UDF (one partition of texts and pairs): each pair row gets the text of its key record."""
    tag = np.asarray(g["tag"])
    key = np.asarray(g["key"], np.int64)
    t0, t1 = np.flatnonzero(tag == 0), np.flatnonzero(tag == 1)
    o = t0[np.argsort(key[t0], kind="stable")]
    at = o[np.searchsorted(key[o], key[t1])] if len(o) else np.zeros(0, np.int64)
    text = np.asarray(g["text"], dtype=object)
    return {
        "key": key[t1],
        "other": np.asarray(g["other"], np.int64)[t1],
        "text_key": text[at],
        "text_other": np.asarray(g["text2"], dtype=object)[t1],
    }


def _verify(g: dict, *, shingle: int, threshold: float) -> dict:
    """map_groups UDF (second join round): both texts of each candidate pair are here; keep the pairs whose true
    Jaccard of shingle sets reaches the threshold."""
    j = _join_texts(g)  # key = j, other = i, text_key = text_j, text_other = text_i
    m = len(j["key"])
    flat, offsets = shingle_hashes(list(j["text_other"]) + list(j["text_key"]), shingle=shingle)
    jac = jaccard_pairs(flat, offsets, np.arange(m), np.arange(m, 2 * m)) if m else np.zeros(0)
    ok = jac >= threshold - 1e-12
    return {"i": j["other"][ok], "j": j["key"][ok], "jaccard": jac[ok]}


def _verify_edit(g: dict, *, threshold: float, word_threshold: float) -> dict:
    """map_groups UDF (second join round) of the short path: keep the pairs whose edit similarity reaches the
    threshold (`curate.dedup.edit_verify`)."""
    j = _join_texts(g)
    a, b = [short_text(t) for t in j["text_other"]], [short_text(t) for t in j["text_key"]]
    facts = ([fact_words(t) for t in j["text_other"]], [fact_words(t) for t in j["text_key"]])
    i_, j_, sim = edit_verify(j["other"], j["key"], a, b, threshold, word_threshold, facts)
    return {"i": i_, "j": j_, "jaccard": sim}


def _texts_dataset(texts: Sequence[str], block: int = 20_000):
    import pyarrow as pa
    import ray.data

    n = len(texts)
    tables = [
        pa.table(
            {
                "idx": np.arange(s, min(s + block, n), dtype=np.int64),
                "text": pa.array(list(texts[s : s + block]), pa.string()),
            }
        )
        for s in range(0, n, block)
    ]
    if not tables:
        tables = [pa.table({"idx": np.zeros(0, np.int64), "text": pa.array([], pa.string())})]
    return ray.data.from_arrow(tables), n


def near_duplicates_ray(
    ds_or_texts, *, partitions: int = DEFAULT_PARTITIONS, address: str | None = None, **settings
) -> NearDupResult:
    """`curate.dedup.near_duplicates` on Ray Data, same settings (NearSettings's fields, by keyword), same result
    (clusters, representatives, verified pairs, candidate count). `ds_or_texts`: a list of texts, or a Ray Dataset
    with columns `idx` (0..n-1) and `text`. Shuffles: bands x non-empty records band rows, then the candidate pairs,
    then candidates joined with texts; the short path (records of at most `short_words` words) the same over
    char-shingle keys, confirmed by edit distance."""
    import ray.data
    from ray.data.expressions import col

    st = NearSettings(**settings).resolved()
    init_ray(address)
    if isinstance(ds_or_texts, ray.data.Dataset):
        texts_ds = ds_or_texts.select_columns(["idx", "text"])
        n = texts_ds.count()
    else:
        texts_ds, n = _texts_dataset(ds_or_texts)
    texts_ds = texts_ds.materialize()
    parts = max(1, int(partitions))

    def mapped(ds, fn, **kw):  # a per-batch stage on the workers
        return ds.map_batches(fn, batch_size=8192, batch_format="numpy", fn_kwargs=kw)

    def shuffled(ds, fn, **kw):  # a shuffle on the `part` column, then one vectorised call per partition
        return ds.groupby("part", num_partitions=parts).map_groups(fn, batch_format="numpy", fn_kwargs=kw)

    tagged_ = []

    def verify(cand, fn, **kw):  # a reduce-side join in two shuffles (texts by index with pairs by i, then by j)
        if not tagged_:
            tagged_.append(mapped(texts_ds, _tag_texts, parts=parts).materialize())
        tagged = tagged_[0]
        half = shuffled(tagged.union(mapped(cand, _tag_pairs, parts=parts, key="i", other="j")), _join_texts)
        pairs_ = mapped(half, _tag_pairs, parts=parts, key="other", other="key", carry="text_key")
        return _to_arrays(shuffled(tagged.union(pairs_), fn, **kw), ["i", "j", "jaccard"])

    none = {"i": np.zeros(0, np.int64), "j": np.zeros(0, np.int64), "jaccard": np.zeros(0)}
    with _user_errors():
        # 1. signatures -> band keys (bands x records rows) -> 2. shuffle by bucket: candidates + identical sets
        lsh = dict(shingle=st.shingle, num_perm=st.num_perm, bands=st.bands, rows=st.rows, seed=st.seed)
        band_ds = mapped(texts_ds, _band_rows, **lsh, parts=parts)
        pairs = shuffled(band_ds, _bucket_pairs, window=st.window, n=max(n, 1), parts=parts)
        # 3. shuffle by pair: a pair found in several bands counts once
        pairs = shuffled(pairs, _unique_pairs).materialize()
        same = pairs.filter(expr=col("kind") == 0)  # identical sets: pairs to their first record
        cand = pairs.filter(expr=col("kind") == 1)  # LSH candidates, still to verify
        n_cand = cand.count()
        same_tab = _to_arrays(same, ["i", "j"])
        # 4. verification by true Jaccard
        verified = verify(cand, _verify, shingle=st.shingle, threshold=st.threshold) if n_cand else none
        # 5. the short path: char-shingle keys of short records, the same bucket shuffles, every pair (identical
        # char sets and LSH candidates) confirmed by edit distance
        short, n_short = none, 0
        if st.short_words > 0:
            char_ds = mapped(texts_ds, _char_band_rows, settings=st.as_dict(), parts=parts)
            char_pairs = shuffled(char_ds, _bucket_pairs, window=st.window, n=max(n, 1), parts=parts)
            char_pairs = shuffled(char_pairs, _unique_pairs).materialize()
            n_short = char_pairs.filter(expr=col("kind") == 1).count()
            if char_pairs.count():
                short = verify(char_pairs, _verify_edit, threshold=st.edit_threshold, word_threshold=st.word_threshold)
    # 6. on the driver: connected components over the verified pairs only
    same_ij = (same_tab["i"], same_tab["j"])
    ver_ij = (verified["i"], verified["j"], verified["jaccard"])
    short_ij = (short["i"], short["j"], short["jaccard"])
    return near_from_pairs(n, same_ij, ver_ij, st.report_config(), candidates=n_cand + n_short, short=short_ij)


def _to_arrays(ds, cols: list[str]) -> dict:
    parts = {c: [] for c in cols}
    for b in ds.iter_batches(batch_size=None, batch_format="numpy"):
        for c in cols:
            parts[c].append(np.asarray(b[c]))
    return {
        c: (np.concatenate(v) if v else np.zeros(0, np.float64 if c == "jaccard" else np.int64))
        for c, v in parts.items()
    }


# -- the executor -----------------------------------------------------------------------------------------------------
def write_outputs_sharded(
    out: str | os.PathLike, report: dict, table: dict, *, shard_rows: int = 250_000, into=None
) -> dict:
    """The local executor's outputs with the per-record table as Parquet shards (`records.parquet/part-00000.parquet`
    ...: a folder pandas, pyarrow, DuckDB and Spark read as one table)."""
    from curate.report import write_outputs

    return write_outputs(out, report, table, shard_rows=shard_rows, into=into)


class RayNear(Near):
    """The near stage's distributed form: candidates, verification and their shuffles as Ray Data jobs over the
    texts in the object store (`near_duplicates_ray`), giving the local stage's clusters; the rest is the near stage."""

    def __init__(self, address: str | None = None, partitions: int = DEFAULT_PARTITIONS, **settings):
        super().__init__(**settings)
        self.address = address
        self.partitions = partitions

    def add(self, batch) -> None:
        pass  # the band keys are computed on the cluster

    def plan(self, run: Run) -> None:
        texts = run.col.dataset.select_columns(["idx", "text"])
        kw = self.settings.as_dict()
        self.result = near_duplicates_ray(texts, partitions=self.partitions, address=self.address, **kw)
        return None

    def take(self, idx, prompts, answers) -> None:
        pass


class RayExecutor(Executor):
    """Runs an audit's stages on Ray Data (local Ray, or the cluster at `address`): reading and the per-record stages
    one task per shard, near-duplicates as shuffles (`RayNear`), the set-level stages on the driver; `path` may be a
    file, a list of shards or a folder of shards. The records table is written as Parquet shards."""

    name = "ray"

    def __init__(self, address: str | None = None, *, partitions: int = DEFAULT_PARTITIONS):
        self.address = address
        self.partitions = partitions

    def prepare(self, stages: Sequence[Stage]) -> list[Stage]:
        return [RayNear(self.address, self.partitions, **st.config()) if type(st) is Near else st for st in stages]

    def write(self, out, report: dict, table: dict, *, into=None) -> dict:
        return write_outputs_sharded(out, report, table, into=into)

    def run(self, path, stages: Sequence[Stage], *, config: dict | None = None, progress: bool = False) -> Run:
        t0 = time.perf_counter()
        init_ray(self.address)
        run = super().run(path, stages, config=config, progress=progress)
        if run.report is not None:
            run.report["engine"] = {
                "name": "ray",
                "address": self.address,
                "files": len(input_files(path)),
                "wall_s": round(time.perf_counter() - t0, 3),
            }
        return run

    def collect(
        self, path, stages: Sequence[Stage], *, progress: bool, on_chunk: OnChunk | None, keep_texts: bool
    ) -> Collected:
        """Pass 1 on the cluster: the same `Collected`, record for record, as the local executor's, from one file or
        many shards (read in name order; `lines` are line numbers within each shard). The texts stream through the
        driver once (`on_chunk`) and stay in Ray's object store, spilled to disk when large, for the later passes
        (`col.text_chunks`) and the near-duplicate shuffle (`col.dataset`)."""
        import ray.data

        init_ray(self.address)
        files = input_files(path)
        read = next(st for st in stages if isinstance(st, Read))
        specs = [(st.name, st.config()) for st in stages if st is read or isinstance(st, RecordStage)]
        fmap, head = _detect(files[0], read)
        ds = ray.data.from_items([{"path": f} for f in files], override_num_blocks=len(files))
        ds = ds.map_batches(
            _read_shards,
            batch_size=1,
            fn_kwargs={"stages": specs, "fmap": dict(fmap.__dict__)},
            batch_format="numpy",
            num_cpus=1,
        )
        stats = {**head, "rows": 0, "skipped": 0, "errors": []}
        col = Collected(fmap, head.get("format"), read_stats=stats, keep_texts=keep_texts)
        refs: list = []
        with _user_errors(), progress_bar(None, "reading + signals (ray)", progress) as bar:
            for tab in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
                start, prompts, answers = _absorb(col, tab, refs)
                if on_chunk is not None:
                    on_chunk(col, start, prompts, answers)
                bar.update(len(col.lines) - start)
        if fmap.label is None:
            col.labels = [None] * len(col.lines)
        if not col.lines:
            raise UserError(f"{files[0]}: no records", hint="the file has no data rows")
        col.dataset = ray.data.from_arrow_refs(refs) if refs else None
        col.text_chunks = lambda want=None: _ref_text_chunks(refs, want)
        return col


def collect_ray(
    path_or_paths,
    cfg: AuditConfig,
    *,
    signals: list | None = None,
    address: str | None = None,
    progress: bool = True,
    on_chunk: OnChunk | None = None,
    keep_texts: bool = True,
) -> Collected:
    """`curate.executor.collect` on Ray Data: the same `Collected`, record for record, from one file or many shards."""
    stages = record_stages(cfg, signals)
    return RayExecutor(address).collect(
        path_or_paths, stages, progress=progress, on_chunk=on_chunk, keep_texts=keep_texts
    )


def audit_ray(path, out: str | os.PathLike | None = None, *, address: str | None = None, **audit_kwargs) -> dict:
    """`curate.pipeline.audit(..., engine="ray")`: the same report dict; `path` a file, a list of shards or a folder
    of shards; with `out`, records.parquet/ is written as Parquet shards."""
    store, progress = audit_kwargs.pop("store", None), audit_kwargs.pop("progress", False)
    cfg = AuditConfig(**audit_kwargs)
    return run_audit(path, cfg, RayExecutor(address), out=out, store=store, progress=progress)
