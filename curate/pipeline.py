"""The audit pipeline: read → detect fields → per-record signals (in chunks) → set-level stages → report.

The loop, counters, progress bars and the store record live here once; signals and set-level functions are pure.
Rows are streamed: the first pass keeps a few numbers per record (curate.stream), never the texts; later passes
re-read only what the set-level stages need.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from curate.fields import FieldMap, FieldTypeError, detect_fields, prompt_text, to_pair
from curate.signals import CATEGORY, Record, Signal, build_signals, default_signals, signal_config
from workbench import tabular as io
from workbench.errors import UserError
from workbench.messages import message, render

__all__ = ["STAGES", "audit", "AuditConfig", "collect", "Collected", "load_test_items", "verdicts"]

REPORT_VERSION = 1
CHUNK = 5_000
_PII_HINT = re.compile(r"[\d@]")
_NONE: list = []  # shared by every record without reasons / PII (a million empty lists cost ~60 MB); never mutated
# curate.dedup.near_duplicates' own defaults unless the user sets shingle/num_perm/threshold/bands/rows
NEAR_DEFAULTS: dict = {}


@dataclass
class AuditConfig:
    """Every setting of an audit; stored in report.json so a report says how it was made."""

    fields: dict | None = None
    test: str | None = None
    model: str | None = None
    perplexity: bool = False
    max_length: int | None = None
    skip_bad: bool = False
    max_record_bytes: int = io.MAX_RECORD_BYTES
    signals: list | None = None  # YAML-style specs; None = default_signals()
    near: dict = field(default_factory=dict)
    ngram: int = 13
    seed: int = 0
    diversity_sample: int = 20_000  # records the diversity embedding is fitted on (all when fewer)
    stages: tuple = ("signals", "pii", "exact", "near", "diversity", "tokens", "contamination")

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


STAGES = AuditConfig.stages


@dataclass
class Collected:
    """What the streaming pass keeps: one entry per record (the texts only with `keep_texts`, for `curate clean`)."""

    fmap: FieldMap
    fmt: str
    lines: list[int] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    labels: list[Any] = field(default_factory=list)
    reasons: list[list[str]] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    pii: list[list[str]] = field(default_factory=list)
    pii_examples: list[dict] = field(default_factory=list)
    pii_kinds: Counter = field(default_factory=Counter)
    read_stats: dict = field(default_factory=dict)
    keep_texts: bool = True
    text_chunks: Any = None  # text_chunks(want=None) -> (indices, prompts, answers) chunks: the later passes' reader
    dataset: Any = None  # Ray engine: the (idx, prompt, text) dataset in the object store


def _progress(total: int | None, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=" rec",
        file=sys.stderr,
        disable=not enabled,
        leave=False,
        dynamic_ncols=True,
        mininterval=0.5,
    )


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    buf = []
    for r in rows:
        buf.append(r)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def _pii_module():
    try:
        from curate import pii
    except ImportError:  # curate-B's stage not installed: the audit says so instead of failing
        return None
    return pii


def collect(
    path: str | os.PathLike,
    cfg: AuditConfig,
    *,
    signals: list[Signal] | None = None,
    progress: bool = True,
    on_chunk=None,
    keep_texts: bool = True,
) -> Collected:
    """Stream the file once: detect fields on the first chunk, run per-record signals and PII per chunk.
    `on_chunk(col, start, prompts, answers)` sees every chunk's texts (the audit's pass-1 features); with
    `keep_texts=False` they are not kept, and `col.text_chunks` re-reads them from the file."""
    signals = default_signals() if signals is None else signals
    stats: dict = {}
    rows = io.read_numbered(path, skip_bad=cfg.skip_bad, stats=stats, max_record_bytes=cfg.max_record_bytes)
    pii = _pii_module() if "pii" in cfg.stages else None
    col: Collected | None = None
    bar = _progress(None, "reading + signals", progress)
    try:
        for chunk in _chunks(rows, CHUNK):
            if col is None:
                columns = list(dict.fromkeys(k for _, r in chunk for k in r))
                col = Collected(
                    fmap=detect_fields(columns, cfg.fields),
                    fmt=stats.get("format"),
                    read_stats=stats,
                    keep_texts=keep_texts,
                )
            start = len(col.lines)
            prompts, answers = _process_chunk(chunk, col, signals, pii, cfg, path)
            if on_chunk is not None:
                on_chunk(col, start, prompts, answers)
            bar.update(len(chunk))
    finally:
        bar.close()
    if col is None or not col.lines:
        raise UserError(f"{path}: no records", hint="the file has no data rows")
    from curate.stream import file_text_chunks

    fmap = col.fmap
    col.text_chunks = lambda want=None: file_text_chunks(path, cfg, fmap, want=want)
    return col


def _process_chunk(chunk, col: Collected, signals, pii, cfg: AuditConfig, path) -> tuple[list[str], list[str]]:
    """Signals and PII of one chunk into `col`; returns the chunk's (prompt texts, answers) of the records kept."""
    fmap = col.fmap
    run_signals = "signals" in cfg.stages
    prompts: list[str] = []
    answers: list[str] = []
    for line, row in chunk:
        try:
            prompt, answer = to_pair(row, fmap)
        except FieldTypeError as e:
            msg = f"{path}:{line}: {e.message}"
            if not cfg.skip_bad:
                raise UserError(msg, hint=e.hint) from None
            col.read_stats["skipped"] = col.read_stats.get("skipped", 0) + 1
            if len(col.read_stats.setdefault("errors", [])) < 20:
                col.read_stats["errors"].append(msg)
            continue
        ptext = prompt_text(prompt)
        rec = Record(ptext, answer, fmap.kind)
        reasons = []
        if run_signals:
            for s in signals:
                r = s(rec)
                if r is not None:
                    reasons.append(r)
        idx = len(col.lines)
        col.lines.append(line)
        prompts.append(ptext)
        answers.append(answer)
        col.labels.append(None if fmap.label is None else row.get(fmap.label))
        col.reasons.append(reasons or _NONE)
        col.scripts.append(rec.answer.script if answer.strip() else rec.prompt.script)
        kinds: list[str] = []
        if pii is not None:
            for side, text in (("prompt", ptext), ("answer", answer)):
                if not text or not _PII_HINT.search(text):
                    continue  # every PII kind has a digit or an '@' (keys/secrets too: long mixed tokens)
                for f in pii.find_pii(text):
                    kinds.append(f.kind)
                    col.pii_kinds[f.kind] += 1
                    if len(col.pii_examples) < 200:
                        col.pii_examples.append(
                            {"index": idx, "line": line, "field": side, "kind": f.kind, "masked": f.masked}
                        )
        col.pii.append(sorted(set(kinds)) if kinds else _NONE)
    if col.keep_texts:
        col.prompts.extend(prompts)
        col.answers.extend(answers)
    return prompts, answers


# -- set-level stages ---------------------------------------------------------------------------------------------
def _field_names(fmap: FieldMap) -> tuple[str, str]:
    if fmap.kind == "text":
        return fmap.text, fmap.text
    if fmap.kind == "chat":
        return f"{fmap.messages} (prompt)", f"{fmap.messages} (final assistant turn)"
    return fmap.question, fmap.answer


def load_test_items(test: str) -> list[tuple[str, str]]:
    """(test_id, text) per test item from a suite YAML or a data file (question field; MC choices not included)."""
    p = Path(test)
    if not p.exists():
        raise UserError(f"--test {test}: no such file", hint="pass a suite .yaml or a data file with questions")
    if p.suffix.lower() in (".yaml", ".yml"):
        from workbench.suitefile import load_suite

        suite = load_suite(p)
        items = []
        for case in suite.cases:
            text = case.vars.get("question") if isinstance(case.vars, dict) else None
            items.append((case.id, str(text) if text else prompt_text(case.prompt)))
        return items
    rows = list(io.read_numbered(p))
    fmap = detect_fields(list(dict.fromkeys(k for _, r in rows for k in r)))
    id_col = next((c for c in fmap.columns if c.lower() in ("id", "case_id", "uid")), None)
    items = []
    for line, row in rows:
        prompt, answer = to_pair(row, fmap)
        text = prompt_text(prompt) if fmap.kind != "text" else answer
        items.append((str(row[id_col]) if id_col else f"{p.name}:{line}", text))
    return items


# -- verdicts -------------------------------------------------------------------------------------------------------
# The audit's sentences: English templates (report.json, the terminal and HTML reports print them); the report also
# carries each as a message (verdicts' figure_key/rule_key, fixes_keys) so the app says it in Korean under the same key.
MESSAGES = {
    "audit.figure.quality": "{share:.1%} of records flagged",
    "audit.figure.diversity": "{duplicates:.1%} duplicates, distinct-2 {distinct_2:.2f}, cluster entropy {entropy:.2f}",
    "audit.figure.diversity_no_entropy": "{duplicates:.1%} duplicates, distinct-2 {distinct_2:.2f}, cluster entropy nan",
    "audit.figure.real_vs_generated": "{share:.1%} look generated",
    "audit.figure.amount": "{usable:,} usable records, {tokens:,} tokens",
    "audit.rule.quality": "good <= 2 %, fair <= 10 %",
    "audit.rule.diversity": "duplicates <= 2 %, distinct-2 >= 0.3, normalised cluster entropy >= 0.8",
    "audit.rule.real_vs_generated": "good <= 1 %, fair <= 5 %",
    "audit.rule.amount": "good >= 1,000 usable records, fair >= 200",
    "audit.fix.exact_pairs": "remove {n} exact duplicate pairs",
    "audit.fix.shared_answer": "review {n} records that share one answer across different questions",
    "audit.fix.conflicting": "resolve {n} records asking one question with different answers",
    "audit.fix.near_duplicates": "deduplicate {n} near-duplicate records in {clusters} clusters",
    "audit.fix.contamination": "remove the training records overlapping {n} test items (contamination)",
    "audit.fix.pii": "redact PII in {n} records",
    "audit.fix.reason": "fix or drop {n} records flagged {reason}",
}


def verdicts(report: dict) -> dict:
    """Quality, diversity, real-vs-generated and amount, each with a verdict (good/fair/poor) and the figure behind it.
    Thresholds are rules of thumb, stated here so the report can print them."""
    s = report["summary"]
    n = max(s["records"], 1)
    q_share = s["quality_flagged_records"] / n
    g_share = s["generated_records"] / n
    dup_share = (s["exact_duplicate_records"].get("pair", 0) + s["near_duplicate_records"]) / n
    div = s["diversity"]
    ent_norm = div.get("cluster_entropy")  # curate.diversity normalises it: entropy / log(n_clusters), in [0, 1]
    usable = s["records"] - s["flagged_records"] - s["exact_duplicate_records"].get("pair", 0)

    def grade(x, good, fair, higher_is_better=False):
        if x is None:
            return "n/a"
        if higher_is_better:
            return "good" if x >= good else "fair" if x >= fair else "poor"
        return "good" if x <= good else "fair" if x <= fair else "poor"

    def axis(name: str, verdict: str, figure_key: str | None = None, **fields) -> dict:
        figure, rule = message(figure_key or f"audit.figure.{name}", **fields), message(f"audit.rule.{name}")
        return {
            "verdict": verdict,
            "figure": render(figure, MESSAGES),
            "rule": render(rule, MESSAGES),
            "figure_key": figure,
            "rule_key": rule,
        }

    d_parts = [grade(dup_share, 0.02, 0.10)]
    if div.get("distinct_2") is not None:
        d_parts.append(grade(div["distinct_2"], 0.3, 0.15, True))
    if ent_norm is not None:
        d_parts.append(grade(ent_norm, 0.8, 0.6, True))
    order = ["good", "fair", "poor"]
    d_verdict = max((p for p in d_parts if p != "n/a"), key=order.index, default="n/a")
    d_fields = dict(duplicates=dup_share, distinct_2=div.get("distinct_2") or 0)
    return {
        "quality": axis("quality", grade(q_share, 0.02, 0.10), share=q_share),
        "diversity": axis("diversity", d_verdict, **d_fields, entropy=ent_norm)
        if ent_norm is not None
        else axis("diversity", d_verdict, "audit.figure.diversity_no_entropy", **d_fields),
        "real_vs_generated": axis("real_vs_generated", grade(g_share, 0.01, 0.05), share=g_share),
        "amount": axis("amount", grade(usable, 1000, 200, True), usable=usable, tokens=s["tokens"].get("total", 0)),
    }


def fix_messages(report: dict, limit: int = 6) -> list[dict]:
    """The biggest problems, as actions (messages, workbench.messages), largest first."""
    s = report["summary"]
    fixes: list[tuple[int, dict]] = []
    pair_dups = s["exact_duplicate_records"].get("pair", 0)
    if pair_dups:
        fixes.append((pair_dups, message("audit.fix.exact_pairs", n=pair_dups)))
    shared = report.get("duplicates", {}).get("shared_answer_records", 0)
    if shared:
        fixes.append((shared, message("audit.fix.shared_answer", n=shared)))
    conflicting = report.get("duplicates", {}).get("conflicting_records", 0)
    if conflicting:
        fixes.append((conflicting, message("audit.fix.conflicting", n=conflicting)))
    if s["near_duplicate_records"]:
        fixes.append(
            (
                s["near_duplicate_records"],
                message(
                    "audit.fix.near_duplicates", n=s["near_duplicate_records"], clusters=s["near_duplicate_clusters"]
                ),
            )
        )
    if s.get("contaminated"):
        fixes.append((s["contaminated"] * 10, message("audit.fix.contamination", n=s["contaminated"])))
    if s["pii_records"]:
        fixes.append((s["pii_records"] * 5, message("audit.fix.pii", n=s["pii_records"])))
    for reason, count in report.get("quality", {}).get("reasons", {}).items():
        fixes.append((count, message("audit.fix.reason", n=count, reason=reason)))
    fixes.sort(key=lambda x: -x[0])
    return [m for _, m in fixes[:limit]]


def top_fixes(report: dict, limit: int = 6) -> list[str]:
    """The biggest problems, as actions, largest first."""
    return [render(m, MESSAGES) for m in fix_messages(report, limit)]


# -- the audit --------------------------------------------------------------------------------------------------------
def audit(
    path: str | os.PathLike,
    *,
    fields: dict | None = None,
    test: str | None = None,
    model: str | None = None,
    out: str | os.PathLike | None = None,
    perplexity: bool = False,
    store=None,
    skip_bad: bool = False,
    max_length: int | None = None,
    signals: list | None = None,
    near: dict | None = None,
    ngram: int = 13,
    seed: int = 0,
    stages: tuple | None = None,
    progress: bool = False,
    max_record_bytes: int = io.MAX_RECORD_BYTES,
    engine: str = "local",
    address: str | None = None,
    diversity_sample: int = 20_000,
) -> dict:
    """Audit one dataset; returns the report dict (the content of report.json). With `out`, writes report.json,
    records.parquet and report.html there (only once everything succeeded). With `store` (a Store or URL), records
    the run as kind "audit". `engine="ray"` runs reading, signals and near-duplicates on Ray Data (local Ray, or the
    cluster at `address`); `path` may then also be a folder or list of shards. Both engines give the same report."""
    if engine not in ("local", "ray"):
        raise UserError(f"unknown engine {engine!r}", hint="use --engine local or --engine ray")
    cfg = AuditConfig(
        fields=fields,
        test=test,
        model=model,
        perplexity=perplexity,
        max_length=max_length,
        skip_bad=skip_bad,
        max_record_bytes=max_record_bytes,
        signals=signals,
        near={**NEAR_DEFAULTS, **(near or {})},
        ngram=ngram,
        seed=seed,
        diversity_sample=diversity_sample,
    )
    if stages is not None:
        cfg.stages = tuple(stages)
    units = build_signals(signals) if signals is not None else default_signals()
    if store is not None and not hasattr(store, "start_run"):
        from workbench.store import open_store

        store = open_store(store)
    run_id = None
    if store is not None:
        name = Path(path).name if isinstance(path, (str, os.PathLike)) else f"{len(path)} shards"
        run_id = store.start_run(
            "audit",
            name,
            model=model,
            config={
                **cfg.as_dict(),
                "path": str(path),
                "out": str(out) if out else None,
                "engine": engine,
                "address": address,
            },
        )
    try:
        if engine == "ray":
            from curate import engine_ray

            t0 = time.perf_counter()
            engine_ray.init_ray(address)
            collect_fn, near_fn = engine_ray.ray_hooks(address)
            report, table = _audit(path, cfg, units, progress, collect_fn=collect_fn, near_fn=near_fn)
            report["engine"] = {
                "name": "ray",
                "address": address,
                "files": len(engine_ray.input_files(path)),
                "wall_s": round(time.perf_counter() - t0, 3),
            }
            write = engine_ray.write_outputs_sharded
        else:
            from curate.report import write_outputs as write

            report, table = _audit(path, cfg, units, progress)
        report["run_id"] = run_id
        if out is not None:
            report["outputs"] = write(out, report, table)
    except BaseException:
        if store is not None:
            store.finish_run(run_id, status="failed")
        raise
    if store is not None:
        store.finish_run(
            run_id,
            status="done",
            summary={**report["summary"], "verdicts": report["verdicts"], "out": report.get("outputs", {}).get("dir")},
        )
    return report


def _near_settings(cfg: AuditConfig) -> dict:
    """curate.dedup.near_duplicates' defaults with the user's overrides (shingle, num_perm, threshold, bands, rows)."""
    kw = {k: v for k, v in cfg.near.items() if v is not None}
    return {
        "shingle": 3,
        "num_perm": 128,
        "threshold": 0.7,
        "bands": None,
        "rows": None,
        "seed": cfg.seed,
        "window": 32,
        **kw,
    }


def _audit(
    path, cfg: AuditConfig, units: list[Signal], progress: bool, *, collect_fn=None, near_fn=None
) -> tuple[dict, dict]:
    """The stages in order; `collect_fn` and `near_fn` replace the two engine-dependent ones (see curate.engine_ray).

    Pass 1 streams the records once (signals, PII and the per-record features of curate.stream); later passes re-read
    only what the set-level stages need (see curate.stream)."""
    from curate import dedup
    from curate.stream import Features, diversity_text

    timings: dict[str, float] = {}

    def stage(name):
        if progress:
            print(f"  {name} ...", file=sys.stderr, flush=True)
        return time.perf_counter()

    # before pass 1: the model (token counts, perplexity) and the test set (contamination is checked while streaming)
    model = None
    if cfg.model or cfg.perplexity:
        from workbench.models import load_model

        t = stage("loading model")
        model = load_model(cfg.model or "default")
        timings["model_load"] = time.perf_counter() - t
    scan = test_items = None
    if cfg.test and "contamination" in cfg.stages:
        from curate.contamination import ContaminationScan

        test_items = load_test_items(cfg.test)
        scan = ContaminationScan(
            test_items, n=cfg.ngram, near_threshold=cfg.near.get("threshold") or 0.7, seed=cfg.seed
        )
    near_cfg = _near_settings(cfg)
    feats: Features | None = None

    def on_chunk(col, start, prompts, answers):
        nonlocal feats
        if feats is None:
            feats = Features(
                kind=col.fmap.kind,
                exact="exact" in cfg.stages,
                near=near_cfg if "near" in cfg.stages and near_fn is None else None,
                diversity="diversity" in cfg.stages,
                tokenizer=getattr(model, "tokenizer", None),
                model=model if cfg.perplexity else None,
                contamination=scan,
            )
        feats.add(start, prompts, answers, col.lines[start:], col.reasons[start:])

    t0 = time.perf_counter()
    col = (collect_fn or collect)(path, cfg, signals=units, progress=progress, on_chunk=on_chunk, keep_texts=False)
    timings["read_signals"] = time.perf_counter() - t0
    n = len(col.lines)
    fmap = col.fmap
    pname, aname = _field_names(fmap)
    is_text = fmap.kind == "text"
    lines = np.asarray(col.lines, dtype=np.int64)

    # exact duplicates per field and per pair, from pass 1's hashes
    exact: dict[str, int] = {}
    dup_section: dict[str, Any] = {}
    pair_dup_of = np.full(n, -1, np.int64)
    prompt_dup = np.zeros(n, bool)
    answer_dup = np.zeros(n, bool)
    previews: list[tuple[str, list[list[int]], str]] = []  # (section key, groups, which text to show)
    if "exact" in cfg.stages:
        t = stage("exact duplicates")
        hq, ha = feats.array("prompt_hash", np.uint64), feats.array("answer_hash", np.uint64)
        ra = dedup.exact_from_hashes(ha)
        answer_dup = ra.dup_mask
        if is_text:
            rp = ra
            exact[aname] = ra.duplicate_records
            previews.append(("groups", rp.groups, "answer"))
        else:
            rq = dedup.exact_from_hashes(hq)
            rp = dedup.exact_from_hashes(dedup.pair_hashes(hq, ha))
            exact[pname], exact[aname] = rq.duplicate_records, ra.duplicate_records
            prompt_dup = rq.dup_mask
            cross = dedup.cross_from_hashes(hq, ha)
            previews += [
                ("pair_groups", rp.groups, "prompt"),
                ("shared_answers", cross.shared_answers, "answer"),
                ("conflicting", cross.conflicting_answers, "prompt"),
            ]
            dup_section.update(
                shared_answer_groups=len(cross.shared_answers),
                shared_answer_records=cross.shared_answer_records,
                conflicting_groups=len(cross.conflicting_answers),
                conflicting_records=cross.conflicting_records,
            )
        exact["pair"] = rp.duplicate_records
        for g in rp.groups:
            pair_dup_of[g[1:]] = g[0]
        previews = [(key, sorted(groups, key=lambda g: -len(g))[:20], which) for key, groups, which in previews]
        timings["exact"] = time.perf_counter() - t

    # near-duplicates: LSH candidates from pass 1's band keys (Ray: on the cluster), verified in pass 2
    res = None
    cand = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    cand_records = np.zeros(0, np.int64)
    if "near" in cfg.stages:
        t = stage("near duplicates")
        if near_fn is not None:
            res = near_fn(
                col, **{k: near_cfg[k] for k in ("shingle", "num_perm", "threshold", "bands", "rows", "seed", "window")}
            )
        else:
            rk = feats.record_keys()
            cand = dedup.near_candidates(rk, window=near_cfg["window"])
            cand_records = np.unique(np.concatenate(cand))
        timings["near"] = time.perf_counter() - t

    # pass 2: candidates' shingles, the diversity sample, the texts of the duplicate groups shown in the report
    from curate.diversity import sample_indices

    sample = np.zeros(0, np.int64)
    if "diversity" in cfg.stages and n >= 2:
        sample = sample_indices(n, cfg.diversity_sample, cfg.seed)
    shown = {g[0] for _, groups, _ in previews for g in groups}
    want = np.unique(np.concatenate([cand_records, sample, np.fromiter(shown, np.int64, len(shown))]))
    texts: dict[int, tuple[str, str]] = {}  # index -> (prompt, answer) of the sample and shown records
    keep_text = np.zeros(n, bool)
    keep_text[sample] = True
    keep_text[list(shown)] = True
    is_cand = np.zeros(n, bool)
    is_cand[cand_records] = True
    sh_parts: list[tuple[np.ndarray, np.ndarray]] = []
    t = stage("second pass")
    if len(want):
        for idx, ps, ans in col.text_chunks(want=want):
            for i, p_, a_ in zip(idx.tolist(), ps, ans):
                if keep_text[i]:
                    texts[i] = (p_, a_)
            c = np.flatnonzero(is_cand[idx])
            if len(c):
                flat, off = dedup.shingle_hashes([ans[j] for j in c], shingle=near_cfg["shingle"])
                sh_parts.append((flat, np.diff(off)))
    timings["second_pass"] = time.perf_counter() - t

    near_cluster = np.full(n, -1, np.int64)
    near_summary: dict = {"clusters": 0, "records": 0}
    if "near" in cfg.stages:
        t = time.perf_counter()
        if res is None:
            flat = np.concatenate([f for f, _ in sh_parts]) if sh_parts else np.zeros(0, np.uint64)
            off = np.zeros(len(cand_records) + 1, np.int64)
            if sh_parts:
                np.cumsum(np.concatenate([c for _, c in sh_parts]), out=off[1:])
            pos_i, pos_j = np.searchsorted(cand_records, cand[0]), np.searchsorted(cand_records, cand[1])
            jac = dedup.jaccard_pairs(flat, off, pos_i, pos_j)
            del flat, sh_parts
            config = {k: near_cfg[k] for k in ("shingle", "num_perm", "threshold", "seed")}
            config["bands"], config["rows"] = feats.bands, feats.rows
            res = dedup.near_from_candidates(rk, cand[0], cand[1], jac, threshold=near_cfg["threshold"], config=config)
            del rk
        near_cluster = np.asarray(res.cluster_of, dtype=np.int64)
        largest = sorted(enumerate(res.clusters), key=lambda x: -len(x[1]))[:20]
        near_summary = {
            "clusters": len(res.clusters),
            "records": res.duplicate_records,
            "field": aname,
            "config": getattr(res, "config", near_cfg),
            "largest": [
                {
                    "cluster": c,
                    "size": len(m),
                    "representative": res.representative[c],
                    "line": int(lines[res.representative[c]]),
                }
                for c, m in largest
            ],
        }
        timings["near"] = timings.get("near", 0.0) + time.perf_counter() - t

    # diversity: fitted on the sample; every record placed on the map (pass 3 when the set is larger than the sample)
    diversity: dict = {}
    cluster_ids = np.full(n, -1, np.int64)
    xy = np.zeros((n, 2))
    rep_idx = sorted({it["representative"] for it in near_summary.get("largest", [])} - set(texts))
    if "diversity" in cfg.stages:
        from curate.diversity import cluster_figures, fit_diversity, label_balance

        t = stage("diversity")
        diversity = {
            "records": n,
            "distinct_1": feats.distinct[1].value,
            "distinct_2": feats.distinct[2].value,
            "label_balance": label_balance(col.labels) if fmap.label is not None else None,
        }
        if n < 2:
            diversity.update(
                vendi=float(n),
                cluster_entropy=0.0,
                coverage=0.0,
                n_clusters=n,
                cluster_sizes=[n] if n else [],
                sampled=False,
            )
            cluster_ids[:] = 0
        else:
            model_d = fit_diversity([diversity_text(*texts[i], fmap.kind) for i in sample.tolist()], n, seed=cfg.seed)
            if len(sample) == n:
                ids, pos = model_d.assign([], model_d.sample_X)
                cluster_ids[:], xy[:] = ids, pos
            else:
                is_rep = np.zeros(n, bool)
                is_rep[rep_idx] = True
                for idx, ps, ans in col.text_chunks():
                    ids, pos = model_d.assign([diversity_text(q, a, fmap.kind) for q, a in zip(ps, ans)])
                    cluster_ids[idx], xy[idx] = ids, pos
                    for j in np.flatnonzero(is_rep[idx]).tolist():
                        texts[int(idx[j])] = (ps[j], ans[j])
            diversity["vendi"] = model_d.vendi
            diversity.update(cluster_figures(cluster_ids, model_d.k))
            diversity["sampled"] = bool(len(sample) < n)
        timings["diversity"] = time.perf_counter() - t
    missing = [i for i in rep_idx if i not in texts]
    if missing:
        for idx, ps, ans in col.text_chunks(want=np.asarray(missing, np.int64)):
            texts.update({int(i): (q, a) for i, q, a in zip(idx, ps, ans)})
    for item in near_summary.get("largest", []):
        item["text"] = texts[item["representative"]][1][:300]
    for key, groups, which in previews:
        dup_section[key] = _groups_preview(groups, texts, lines, which)
    from curate.signals import template_uniformity

    diversity["template"] = template_uniformity(feats.openings)

    # tokens and perplexity
    from curate.tokens import summarize_counts

    tokens: dict = {}
    per_tokens = np.zeros(n, np.int64)
    if "tokens" in cfg.stages:
        per_tokens = feats.array("tokens")
        tokens = summarize_counts(per_tokens, max_length=cfg.max_length)
        tokens["tokenizer"] = (
            model.name if getattr(model, "tokenizer", None) is not None else "approx (no --model: ~4 bytes per token)"
        )
    ppl = None
    if cfg.perplexity:
        ppl = feats.array("perplexity", np.float64)
        arr = ppl[np.isfinite(ppl)]
        tokens["perplexity"] = {
            "model": model.name,
            "p50": float(np.median(arr)) if len(arr) else None,
            "p95": float(np.percentile(arr, 95)) if len(arr) else None,
        }

    contamination = None
    if scan is not None:
        res_c = scan.result()
        by_id = {tid: text for tid, text in test_items}
        listed = [
            {
                **it,
                "test_text": by_id.get(it["test_id"], "")[:200],
                "train_line": int(lines[it["train_index"]]) if it.get("train_index") is not None else None,
            }
            for it in res_c.items[:500]
        ]
        contamination = {
            "test": cfg.test,
            "test_items": len(test_items),
            "contaminated": len(res_c.contaminated_ids),
            "contaminated_ids": list(res_c.contaminated_ids),
            "items": listed,
            "figures": res_c.figures,
        }

    # per-reason and per-category counts
    reason_counts: Counter = Counter()
    cat_records: Counter = Counter()
    quality_flagged = flagged = 0
    for rs in col.reasons:
        if not rs:
            continue
        flagged += 1
        reason_counts.update(rs)
        cats = {CATEGORY.get(r, "quality") for r in rs}
        cat_records.update(cats)
        if cats - {"generated", "language"}:
            quality_flagged += 1
    pii_records = sum(1 for k in col.pii if k)
    scripts = Counter(col.scripts)

    summary = {
        "records": n,
        "exact_duplicate_records": exact,
        "near_duplicate_clusters": int(near_summary["clusters"]),
        "near_duplicate_records": int(near_summary["records"]),
        "html_records": cat_records["html"],
        "pii_records": pii_records,
        "generated_records": cat_records["generated"],
        "truncated_records": cat_records["truncated"],
        "diversity": {
            "distinct_2": diversity.get("distinct_2"),
            "vendi": diversity.get("vendi"),
            "cluster_entropy": diversity.get("cluster_entropy"),
        },
        "tokens": {
            "total": int(tokens.get("total", 0)),
            "p50": _round(tokens.get("p50")),
            "p95": _round(tokens.get("p95")),
        },
        # beyond the stable minimum
        "flagged_records": flagged,
        "quality_flagged_records": quality_flagged,
        "pii_findings": int(sum(col.pii_kinds.values())),
        "contaminated": contamination["contaminated"] if contamination else None,
        "skipped_rows": int(col.read_stats.get("skipped", 0)),
    }
    report = {
        "version": REPORT_VERSION,
        "input": {
            "path": str(path),
            "format": col.fmt,
            "fields": fmap.as_dict(),
            "kind": fmap.kind,
            "prompt_field": pname,
            "answer_field": aname,
            "skipped_rows": summary["skipped_rows"],
            "skip_errors": col.read_stats.get("errors", []),
        },
        "config": {**cfg.as_dict(), "signals": signal_config(units)},
        "summary": summary,
        "quality": {
            "reasons": dict(reason_counts.most_common()),
            "categories": dict(cat_records),
            "flagged_share": flagged / n,
            "examples": feats.examples if feats else {},
        },
        "language": {"scripts": dict(scripts.most_common())},
        "duplicates": {"exact": exact, **dup_section, "near": near_summary},
        "diversity": diversity,
        "tokens": tokens,
        "pii": {
            "records": pii_records,
            "by_kind": dict(col.pii_kinds.most_common()),
            "examples": col.pii_examples[:50],
        },
        "contamination": contamination,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
    report["verdicts"] = verdicts(report)
    report["fixes_keys"] = fix_messages(report)
    report["fixes"] = [render(m, MESSAGES) for m in report["fixes_keys"]]

    xy = np.round(xy, 5)
    table = {
        "index": np.arange(n, dtype=np.int64),
        "line": lines,
        "prompt_chars": feats.array("prompt_chars"),
        "answer_chars": feats.array("answer_chars"),
        "script": col.scripts,
        "reasons": col.reasons,
        "pii": col.pii,
        "prompt_duplicate": prompt_dup,
        "answer_duplicate": answer_dup,
        "pair_duplicate_of": pair_dup_of,
        "near_cluster": near_cluster,
        "tokens": per_tokens,
        "cluster": cluster_ids,
        "map_x": xy[:, 0],
        "map_y": xy[:, 1],
    }
    if ppl is not None:
        table["perplexity"] = ppl
    return report, table


def _round(x, nd: int = 1):
    return None if x is None else round(float(x), nd)


def _groups_preview(
    groups: list[list[int]], texts: dict[int, tuple[str, str]], lines: np.ndarray, which: str
) -> list[dict]:
    """Groups (largest first) with their lines and an excerpt of the first member's prompt or answer."""
    return [
        {
            "size": len(g),
            "lines": [int(lines[j]) for j in g[:50]],
            "text": texts[g[0]][0 if which == "prompt" else 1][:200],
        }
        for g in groups
    ]
