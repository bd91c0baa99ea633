"""The audit pipeline: read → detect fields → per-record signals (in chunks) → set-level stages → report.

The loop, counters, progress bars and the store record live here once; signals and set-level functions are pure.
Rows are streamed: only the texts the set-level stages need (prompt, answer, label) are kept, never the raw rows.
"""
from __future__ import annotations

import math
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from evalkit.errors import UserError

from curate import io
from curate.fields import FieldMap, FieldTypeError, detect_fields, prompt_text, to_pair
from curate.signals import CATEGORY, Record, Signal, build_signals, default_signals, signal_config

__all__ = ["STAGES", "audit", "AuditConfig", "collect", "Collected", "load_test_items", "verdicts"]

REPORT_VERSION = 1
CHUNK = 5_000
_PII_HINT = re.compile(r"[\d@]")
_NONE: list = []   # shared by every record without reasons / PII (a million empty lists cost ~60 MB); never mutated
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
    signals: list | None = None            # YAML-style specs; None = default_signals()
    near: dict = field(default_factory=dict)
    ngram: int = 13
    seed: int = 0
    stages: tuple = ("signals", "pii", "exact", "near", "diversity", "tokens", "contamination")

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


STAGES = AuditConfig.stages


@dataclass
class Collected:
    """What the streaming pass keeps: one entry per record."""
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


def _progress(total: int | None, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=" rec", file=sys.stderr, disable=not enabled, leave=False,
                dynamic_ncols=True, mininterval=0.5)


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
    except ImportError:   # curate-B's stage not installed: the audit says so instead of failing
        return None
    return pii


def collect(path: str | os.PathLike, cfg: AuditConfig, *, signals: list[Signal] | None = None,
            progress: bool = True) -> Collected:
    """Stream the file once: detect fields on the first chunk, run per-record signals and PII per chunk."""
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
                col = Collected(fmap=detect_fields(columns, cfg.fields), fmt=stats.get("format"), read_stats=stats)
            _process_chunk(chunk, col, signals, pii, cfg, path)
            bar.update(len(chunk))
    finally:
        bar.close()
    if col is None or not col.lines:
        raise UserError(f"{path}: no records", hint="the file has no data rows")
    return col


def _process_chunk(chunk, col: Collected, signals, pii, cfg: AuditConfig, path) -> None:
    fmap = col.fmap
    run_signals = "signals" in cfg.stages
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
        col.prompts.append(ptext)
        col.answers.append(answer)
        col.labels.append(None if fmap.label is None else row.get(fmap.label))
        col.reasons.append(reasons or _NONE)
        col.scripts.append(rec.answer.script if answer.strip() else rec.prompt.script)
        kinds: list[str] = []
        if pii is not None:
            for side, text in (("prompt", ptext), ("answer", answer)):
                if not text or not _PII_HINT.search(text):
                    continue   # every PII kind has a digit or an '@' (keys/secrets too: long mixed tokens)
                for f in pii.find_pii(text):
                    kinds.append(f.kind)
                    col.pii_kinds[f.kind] += 1
                    if len(col.pii_examples) < 200:
                        col.pii_examples.append({"index": idx, "line": line, "field": side, "kind": f.kind,
                                                 "masked": f.masked})
        col.pii.append(sorted(set(kinds)) if kinds else _NONE)


# -- set-level stages ---------------------------------------------------------------------------------------------
def _field_names(fmap: FieldMap) -> tuple[str, str]:
    if fmap.kind == "text":
        return fmap.text, fmap.text
    if fmap.kind == "chat":
        return f"{fmap.messages} (prompt)", f"{fmap.messages} (final assistant turn)"
    return fmap.question, fmap.answer


def _approx_tokens(texts: list[str]) -> np.ndarray:
    """Token estimate without a tokenizer: ~4 UTF-8 bytes per token (Latin), 1 per CJK character."""
    out = np.empty(len(texts), np.int64)
    for i, t in enumerate(texts):
        out[i] = max(len(t.split()), math.ceil(len(t.encode("utf-8")) / 4)) if t else 0
    return out


def _token_figures(texts: list[str], cfg: AuditConfig, model) -> tuple[dict, np.ndarray]:
    if model is not None and getattr(model, "tokenizer", None) is not None:
        from curate.tokens import token_stats

        st = token_stats(texts, model.tokenizer, max_length=cfg.max_length)
        per = np.asarray(st.pop("per_record", []), dtype=np.int64)
        st["tokenizer"] = model.name
        return st, per
    per = _approx_tokens(texts)
    st = {"records": len(per), "total": int(per.sum()), "mean": float(per.mean()) if len(per) else 0.0,
          "p50": float(np.percentile(per, 50)) if len(per) else 0.0,
          "p95": float(np.percentile(per, 95)) if len(per) else 0.0, "max": int(per.max()) if len(per) else 0,
          "truncated_share": float((per > cfg.max_length).mean()) if cfg.max_length and len(per) else 0.0,
          "tokenizer": "approx (no --model: ~4 bytes per token)"}
    hi = max(int(np.percentile(per, 99)) if len(per) else 1, 1)   # the top 1 % would squash every other bar
    h, edges = np.histogram(np.minimum(per, hi), bins=min(30, hi), range=(0, hi))
    st["histogram"] = {"edges": [float(e) for e in edges], "counts": [int(c) for c in h]}
    return st, per


def load_test_items(test: str) -> list[tuple[str, str]]:
    """(test_id, text) per test item from a suite YAML or a data file (question field; MC choices not included)."""
    p = Path(test)
    if not p.exists():
        raise UserError(f"--test {test}: no such file", hint="pass a suite .yaml or a data file with questions")
    if p.suffix.lower() in (".yaml", ".yml"):
        from evalkit.suites import load_suite

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


def _contamination(col: Collected, cfg: AuditConfig) -> dict:
    from curate.contamination import find_contamination

    items = load_test_items(cfg.test)
    train = [f"{q}\n{a}" for q, a in zip(col.prompts, col.answers)]
    res = find_contamination(train, items, n=cfg.ngram, near_threshold=cfg.near.get("threshold") or 0.7)
    by_id = {tid: text for tid, text in items}
    listed = []
    for it in res.items[:500]:
        listed.append({**it, "test_text": by_id.get(it["test_id"], "")[:200],
                       "train_line": col.lines[it["train_index"]] if it.get("train_index") is not None else None})
    return {"test": cfg.test, "test_items": len(items), "contaminated": len(res.contaminated_ids),
            "contaminated_ids": list(res.contaminated_ids), "items": listed, "figures": res.figures}


# -- verdicts -------------------------------------------------------------------------------------------------------
def verdicts(report: dict) -> dict:
    """Quality, diversity, real-vs-generated and amount, each with a verdict (good/fair/poor) and the figure behind it.
    Thresholds are rules of thumb, stated here so the report can print them."""
    s = report["summary"]
    n = max(s["records"], 1)
    q_share = s["quality_flagged_records"] / n
    g_share = s["generated_records"] / n
    dup_share = (s["exact_duplicate_records"].get("pair", 0) + s["near_duplicate_records"]) / n
    div = s["diversity"]
    ent_norm = div.get("cluster_entropy")   # curate.diversity normalises it: entropy / log(n_clusters), in [0, 1]
    usable = s["records"] - s["flagged_records"] - s["exact_duplicate_records"].get("pair", 0)

    def grade(x, good, fair, higher_is_better=False):
        if x is None:
            return "n/a"
        if higher_is_better:
            return "good" if x >= good else "fair" if x >= fair else "poor"
        return "good" if x <= good else "fair" if x <= fair else "poor"

    d_parts = [grade(dup_share, 0.02, 0.10)]
    if div.get("distinct_2") is not None:
        d_parts.append(grade(div["distinct_2"], 0.3, 0.15, True))
    if ent_norm is not None:
        d_parts.append(grade(ent_norm, 0.8, 0.6, True))
    order = ["good", "fair", "poor"]
    d_verdict = max((p for p in d_parts if p != "n/a"), key=order.index, default="n/a")
    return {
        "quality": {"verdict": grade(q_share, 0.02, 0.10), "figure": f"{q_share:.1%} of records flagged",
                    "rule": "good <= 2 %, fair <= 10 %"},
        "diversity": {"verdict": d_verdict,
                      "figure": f"{dup_share:.1%} duplicates, distinct-2 {div.get('distinct_2') or 0:.2f}, "
                                f"cluster entropy {ent_norm if ent_norm is not None else float('nan'):.2f}",
                      "rule": "duplicates <= 2 %, distinct-2 >= 0.3, normalised cluster entropy >= 0.8"},
        "real_vs_generated": {"verdict": grade(g_share, 0.01, 0.05), "figure": f"{g_share:.1%} look generated",
                              "rule": "good <= 1 %, fair <= 5 %"},
        "amount": {"verdict": grade(usable, 1000, 200, True),
                   "figure": f"{usable:,} usable records, {s['tokens'].get('total', 0):,} tokens",
                   "rule": "good >= 1,000 usable records, fair >= 200"},
    }


def top_fixes(report: dict, limit: int = 6) -> list[str]:
    """The biggest problems, as actions, largest first."""
    s = report["summary"]
    fixes: list[tuple[int, str]] = []
    pair_dups = s["exact_duplicate_records"].get("pair", 0)
    if pair_dups:
        fixes.append((pair_dups, f"remove {pair_dups} exact duplicate pairs"))
    shared = report.get("duplicates", {}).get("shared_answer_records", 0)
    if shared:
        fixes.append((shared, f"review {shared} records that share one answer across different questions"))
    conflicting = report.get("duplicates", {}).get("conflicting_records", 0)
    if conflicting:
        fixes.append((conflicting, f"resolve {conflicting} records asking one question with different answers"))
    if s["near_duplicate_records"]:
        fixes.append((s["near_duplicate_records"], f"deduplicate {s['near_duplicate_records']} near-duplicate records "
                                                   f"in {s['near_duplicate_clusters']} clusters"))
    if s.get("contaminated"):
        fixes.append((s["contaminated"] * 10, f"remove the training records overlapping {s['contaminated']} test "
                                              "items (contamination)"))
    if s["pii_records"]:
        fixes.append((s["pii_records"] * 5, f"redact PII in {s['pii_records']} records"))
    for reason, count in report.get("quality", {}).get("reasons", {}).items():
        fixes.append((count, f"fix or drop {count} records flagged {reason}"))
    fixes.sort(key=lambda x: -x[0])
    return [t for _, t in fixes[:limit]]


# -- the audit --------------------------------------------------------------------------------------------------------
def audit(path: str | os.PathLike, *, fields: dict | None = None, test: str | None = None, model: str | None = None,
          out: str | os.PathLike | None = None, perplexity: bool = False, store=None, skip_bad: bool = False,
          max_length: int | None = None, signals: list | None = None, near: dict | None = None, ngram: int = 13,
          seed: int = 0, stages: tuple | None = None, progress: bool = False,
          max_record_bytes: int = io.MAX_RECORD_BYTES, engine: str = "local", address: str | None = None) -> dict:
    """Audit one dataset; returns the report dict (the content of report.json). With `out`, writes report.json,
    records.parquet and report.html there (only once everything succeeded). With `store` (a Store or URL), records
    the run as kind "audit". `engine="ray"` runs reading, signals and near-duplicates on Ray Data (local Ray, or the
    cluster at `address`); `path` may then also be a folder or list of shards. Both engines give the same report."""
    if engine not in ("local", "ray"):
        raise UserError(f"unknown engine {engine!r}", hint="use --engine local or --engine ray")
    cfg = AuditConfig(fields=fields, test=test, model=model, perplexity=perplexity, max_length=max_length,
                      skip_bad=skip_bad, max_record_bytes=max_record_bytes, signals=signals,
                      near={**NEAR_DEFAULTS, **(near or {})}, ngram=ngram, seed=seed)
    if stages is not None:
        cfg.stages = tuple(stages)
    units = build_signals(signals) if signals is not None else default_signals()
    if store is not None and not hasattr(store, "start_run"):
        from evalkit.store import open_store

        store = open_store(store)
    run_id = None
    if store is not None:
        name = Path(path).name if isinstance(path, (str, os.PathLike)) else f"{len(path)} shards"
        run_id = store.start_run("audit", name, model=model,
                                 config={**cfg.as_dict(), "path": str(path), "out": str(out) if out else None,
                                         "engine": engine, "address": address})
    try:
        if engine == "ray":
            from curate import engine_ray

            t0 = time.perf_counter()
            engine_ray.init_ray(address)
            collect_fn, near_fn = engine_ray.ray_hooks(address)
            report, table = _audit(path, cfg, units, progress, collect_fn=collect_fn, near_fn=near_fn)
            report["engine"] = {"name": "ray", "address": address, "files": len(engine_ray.input_files(path)),
                                "wall_s": round(time.perf_counter() - t0, 3)}
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
        store.finish_run(run_id, status="done", summary={**report["summary"], "verdicts": report["verdicts"],
                                                        "out": report.get("outputs", {}).get("dir")})
    return report


def _audit(path, cfg: AuditConfig, units: list[Signal], progress: bool, *, collect_fn=None,
           near_fn=None) -> tuple[dict, dict]:
    """The stages in order; `collect_fn` and `near_fn` replace the two engine-dependent ones (see curate.engine_ray)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    col = (collect_fn or collect)(path, cfg, signals=units, progress=progress)
    timings["read_signals"] = time.perf_counter() - t0
    n = len(col.lines)
    fmap = col.fmap
    pname, aname = _field_names(fmap)
    is_text = fmap.kind == "text"

    def stage(name):
        if progress:
            print(f"  {name} ...", file=sys.stderr, flush=True)
        return time.perf_counter()

    # exact duplicates per field and per pair
    exact: dict[str, int] = {}
    dup_section: dict[str, Any] = {}
    pair_dup_of = np.full(n, -1, np.int64)
    prompt_dup = np.zeros(n, bool)
    answer_dup = np.zeros(n, bool)
    if "exact" in cfg.stages:
        from curate import dedup

        t = stage("exact duplicates")
        if is_text:
            r = dedup.exact_duplicates(col.answers)
            exact[aname] = r.duplicate_records
            answer_dup = r.dup_mask
            for g in r.groups:
                pair_dup_of[g[1:]] = g[0]
            exact["pair"] = r.duplicate_records
            dup_section["groups"] = _groups_preview(r.groups, col, "text")
        else:
            rq = dedup.exact_duplicates(col.prompts)
            ra = dedup.exact_duplicates(col.answers)
            rp = dedup.exact_pair_duplicates(col.prompts, col.answers)
            exact[pname], exact[aname], exact["pair"] = rq.duplicate_records, ra.duplicate_records, rp.duplicate_records
            prompt_dup, answer_dup = rq.dup_mask, ra.dup_mask
            for g in rp.groups:
                pair_dup_of[g[1:]] = g[0]
            cross = dedup.cross_field_duplicates(col.prompts, col.answers)
            dup_section.update(
                pair_groups=_groups_preview(rp.groups, col, "pair"),
                shared_answer_groups=len(cross.shared_answers), shared_answer_records=cross.shared_answer_records,
                shared_answers=_groups_preview(cross.shared_answers, col, "shared_answer"),
                conflicting_groups=len(cross.conflicting_answers), conflicting_records=cross.conflicting_records,
                conflicting=_groups_preview(cross.conflicting_answers, col, "conflicting"))
        timings["exact"] = time.perf_counter() - t

    near_cluster = np.full(n, -1, np.int64)
    near_summary = {"clusters": 0, "records": 0}
    if "near" in cfg.stages:
        from curate.dedup import near_duplicates

        t = stage("near duplicates")
        texts = col.answers
        kw = {k: v for k, v in cfg.near.items() if v is not None}
        res = (near_fn or near_duplicates)(texts, seed=cfg.seed, **kw)
        near_cluster = np.asarray(res.cluster_of, dtype=np.int64)
        near_summary = {"clusters": len(res.clusters), "records": res.duplicate_records, "field": aname,
                        "config": getattr(res, "config", kw),
                        "largest": [{"cluster": c, "size": len(m), "representative": res.representative[c],
                                     "line": col.lines[res.representative[c]],
                                     "text": col.answers[res.representative[c]][:300]}
                                    for c, m in sorted(enumerate(res.clusters), key=lambda x: -len(x[1]))[:20]]}
        timings["near"] = time.perf_counter() - t

    diversity: dict = {}
    if "diversity" in cfg.stages:
        from curate.diversity import diversity_figures

        t = stage("diversity")
        labels = col.labels if fmap.label is not None else None
        texts = col.answers if is_text else [f"{q}\n{a}" for q, a in zip(col.prompts, col.answers)]
        diversity = diversity_figures(texts, labels, seed=cfg.seed)
        timings["diversity"] = time.perf_counter() - t
    from curate.signals import template_uniformity

    diversity["template"] = template_uniformity(col.answers)

    # tokens and perplexity
    model = None
    if cfg.model or cfg.perplexity:
        from evalkit.models import load_model

        t = stage("loading model")
        model = load_model(cfg.model or "default")
        timings["model_load"] = time.perf_counter() - t
    tokens: dict = {}
    per_tokens = np.zeros(n, np.int64)
    if "tokens" in cfg.stages:
        t = stage("tokens")
        full = col.answers if is_text else [f"{q}\n{a}" for q, a in zip(col.prompts, col.answers)]
        tokens, per_tokens = _token_figures(full, cfg, model)
        timings["tokens"] = time.perf_counter() - t
    ppl = None
    if cfg.perplexity:
        from curate.tokens import perplexities

        t = stage("perplexity")
        ppl = perplexities(col.answers, model, progress=progress)
        arr = np.array([p for p in ppl if p is not None and np.isfinite(p)])
        tokens["perplexity"] = {"model": model.name, "p50": float(np.median(arr)) if len(arr) else None,
                                "p95": float(np.percentile(arr, 95)) if len(arr) else None}
        timings["perplexity"] = time.perf_counter() - t

    contamination = None
    if cfg.test and "contamination" in cfg.stages:
        t = stage("contamination")
        contamination = _contamination(col, cfg)
        timings["contamination"] = time.perf_counter() - t

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
        "diversity": {"distinct_2": diversity.get("distinct_2"), "vendi": diversity.get("vendi"),
                      "cluster_entropy": diversity.get("cluster_entropy")},
        "tokens": {"total": int(tokens.get("total", 0)), "p50": _round(tokens.get("p50")),
                   "p95": _round(tokens.get("p95"))},
        # beyond the stable minimum
        "flagged_records": flagged,
        "quality_flagged_records": quality_flagged,
        "pii_findings": int(sum(col.pii_kinds.values())),
        "contaminated": contamination["contaminated"] if contamination else None,
        "skipped_rows": int(col.read_stats.get("skipped", 0)),
    }
    report = {
        "version": REPORT_VERSION,
        "input": {"path": str(path), "format": col.fmt, "fields": fmap.as_dict(), "kind": fmap.kind,
                  "prompt_field": pname, "answer_field": aname,
                  "skipped_rows": summary["skipped_rows"], "skip_errors": col.read_stats.get("errors", [])},
        "config": {**cfg.as_dict(), "signals": signal_config(units)},
        "summary": summary,
        "quality": {"reasons": dict(reason_counts.most_common()), "categories": dict(cat_records),
                    "flagged_share": flagged / n, "examples": _reason_examples(col)},
        "language": {"scripts": dict(scripts.most_common())},
        "duplicates": {"exact": exact, **dup_section, "near": near_summary},
        "diversity": {k: v for k, v in diversity.items() if k not in ("map_xy", "cluster_ids")},
        "tokens": tokens,
        "pii": {"records": pii_records, "by_kind": dict(col.pii_kinds.most_common()),
                "examples": col.pii_examples[:50]},
        "contamination": contamination,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
    report["verdicts"] = verdicts(report)
    report["fixes"] = top_fixes(report)

    xy = diversity.get("map_xy") or [[0.0, 0.0]] * n
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2) if n else np.zeros((0, 2))
    table = {
        "index": np.arange(n, dtype=np.int64), "line": np.asarray(col.lines, dtype=np.int64),
        "prompt_chars": np.fromiter((len(p) for p in col.prompts), np.int64, n),
        "answer_chars": np.fromiter((len(a) for a in col.answers), np.int64, n),
        "script": col.scripts, "reasons": col.reasons, "pii": col.pii,
        "prompt_duplicate": prompt_dup, "answer_duplicate": answer_dup, "pair_duplicate_of": pair_dup_of,
        "near_cluster": near_cluster, "tokens": per_tokens,
        "cluster": np.asarray(diversity.get("cluster_ids") or [-1] * n, dtype=np.int64),
        "map_x": xy[:, 0], "map_y": xy[:, 1],
    }
    if ppl is not None:
        table["perplexity"] = np.asarray([np.nan if p is None else p for p in ppl], dtype=np.float64)
    return report, table


def _round(x, nd: int = 1):
    return None if x is None else round(float(x), nd)


def _groups_preview(groups: list[list[int]], col: Collected, what: str, limit: int = 20) -> list[dict]:
    """The largest groups with their lines and a text excerpt, for the report."""
    out = []
    for g in sorted(groups, key=lambda g: -len(g))[:limit]:
        i = g[0]
        text = col.answers[i] if what in ("shared_answer", "text") else col.prompts[i]
        out.append({"size": len(g), "lines": [col.lines[j] for j in g[:50]], "text": text[:200]})
    return out


def _reason_examples(col: Collected, per_reason: int = 3) -> dict:
    ex: dict[str, list] = {}
    for i, rs in enumerate(col.reasons):
        for r in rs:
            lst = ex.setdefault(r, [])
            if len(lst) < per_reason:
                lst.append({"line": col.lines[i], "prompt": col.prompts[i][:160], "answer": col.answers[i][-240:]})
    return ex
