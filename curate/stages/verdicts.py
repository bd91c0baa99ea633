"""The verdicts stage, the reduce: per-reason and per-category counts, the summary (the stable interface gates, the
CLI and the app read), the four verdicts with their rules of thumb, the fixes, and the per-record table."""

from __future__ import annotations

from collections import Counter

import numpy as np

from curate.signals import CATEGORY, USABLE_REASONS
from curate.stages.base import NONE, Run, Stage
from workbench.messages import message, render

__all__ = ["MESSAGES", "REPORT_VERSION", "TABLE_COLUMNS", "Verdicts", "fix_messages", "verdicts"]

REPORT_VERSION = 1
# Per-record columns in table order, with the value a record gets when the stage that fills the column was left out.
TABLE_COLUMNS: dict[str, tuple] = {
    "index": (np.int64, 0),
    "line": (np.int64, 0),
    "prompt_chars": (np.int64, 0),
    "answer_chars": (np.int64, 0),
    "script": (object, ""),
    "reasons": (object, NONE),
    "pii": (object, NONE),
    "prompt_duplicate": (bool, False),
    "answer_duplicate": (bool, False),
    "pair_duplicate_of": (np.int64, -1),
    "near_cluster": (np.int64, -1),
    "tokens": (np.int64, 0),
    "cluster": (np.int64, -1),
    "map_x": (np.float64, 0.0),
    "map_y": (np.float64, 0.0),
}

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
    "audit.fix.exact_pairs": "remove {n:|exact duplicate pair|exact duplicate pairs}",
    "audit.fix.shared_answer": "review {n:|record|records} that share one answer across different questions",
    "audit.fix.conflicting": "resolve {n:|record|records} asking one question with different answers",
    "audit.fix.near_duplicates": "deduplicate {n:|near-duplicate record|near-duplicate records} in {clusters:|cluster|clusters}",
    "audit.fix.contamination": "remove the training records overlapping {n:|test item|test items} (contamination)",
    "audit.fix.pii": "redact PII in {n:|record|records}",
    "audit.fix.reason": "fix or drop {n:|record|records} flagged {reason}",
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


class Verdicts(Stage):
    """Assembles `run.report` (report.json's content) and `run.table` (records.parquet's columns) from the sections and
    columns the other stages wrote; a left-out stage's section is empty and its columns hold the defaults above."""

    name = "verdicts"

    def report(self, run: Run) -> None:
        run.report = assemble_report(run)
        run.table = assemble_table(run)


def _quality(run: Run) -> tuple[dict, Counter, int, int]:
    """Records per reason code and per category; records flagged at all, and flagged for quality (not only generated,
    language or trainability)."""
    reason_counts: Counter = Counter()
    cat_records: Counter = Counter()
    quality_flagged = flagged = 0
    for rs in run.col.reasons:
        if not rs:
            continue
        reason_counts.update(rs)
        cats = {CATEGORY.get(r, "quality") for r in rs}
        cat_records.update(cats)
        if set(rs) <= USABLE_REASONS:
            continue  # e.g. a partly cut answer: it still trains on what fits, so usable, not flagged
        flagged += 1
        if cats - {"generated", "language", "trainability"}:
            quality_flagged += 1
    quality = {
        "reasons": dict(reason_counts.most_common()),
        "categories": dict(cat_records),
        "flagged_share": flagged / run.n,
        "examples": run.sections.get("examples", {}),
    }
    return quality, cat_records, flagged, quality_flagged


def _round(x, nd: int = 1):
    return None if x is None else round(float(x), nd)


def summary(run: Run, cat_records: Counter, flagged: int, quality_flagged: int) -> dict:
    """The report's summary: the figures gates, the CLI's table and the app read."""
    sec, col = run.sections, run.col
    near = sec.get("near", {"clusters": 0, "records": 0})
    diversity, tokens, contamination = sec.get("diversity", {}), sec.get("tokens", {}), sec.get("contamination")
    return {
        "records": run.n,
        "exact_duplicate_records": sec.get("exact", {}),
        "near_duplicate_clusters": int(near["clusters"]),
        "near_duplicate_records": int(near["records"]),
        "html_records": cat_records["html"],
        "pii_records": sum(1 for k in col.pii if k),
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
        **{k: v for k, v in sec.get("trainability", {}).items() if k.endswith("_records") and k != "records"},
        **sec.get("semantic_summary", {}),  # only with the optional semantic stage (curate.stages.semantic)
    }


def assemble_report(run: Run) -> dict:
    """report.json's content, sections in their order, then the verdicts and the fixes."""
    sec, col = run.sections, run.col
    quality, cat_records, flagged, quality_flagged = _quality(run)
    s = summary(run, cat_records, flagged, quality_flagged)
    report = {
        "version": REPORT_VERSION,
        "input": sec["input"],
        "config": run.config,
        "summary": s,
        "quality": quality,
        "language": {"scripts": dict(Counter(col.scripts).most_common())},
        "duplicates": {
            "exact": s["exact_duplicate_records"],
            **sec.get("exact_groups", {}),
            "near": sec.get("near", {"clusters": 0, "records": 0}),
        },
        "diversity": sec.get("diversity", {}),
        "tokens": sec.get("tokens", {}),
        "pii": {
            "records": s["pii_records"],
            "by_kind": dict(col.pii_kinds.most_common()),
            "examples": col.pii_examples[:50],
        },
        "contamination": sec.get("contamination"),
        "timings_s": {k: round(v, 3) for k, v in run.timings.items()},
    }
    if "trainability" in sec:  # only with --model and --max-length (curate.stages.trainable)
        report["trainability"] = sec["trainability"]
    if "semantic" in sec:  # only with --semantic (curate.stages.semantic)
        report["semantic"] = sec["semantic"]
    report["verdicts"] = verdicts(report)
    report["fixes_keys"] = fix_messages(report)
    report["fixes"] = [render(m, MESSAGES) for m in report["fixes_keys"]]
    return report


def assemble_table(run: Run) -> dict:
    """records.parquet's columns in TABLE_COLUMNS order (perplexity last, when measured); map positions to 5 places."""
    n, got = run.n, {**run.columns, "index": np.arange(run.n, dtype=np.int64), "line": run.lines}
    got.update(script=run.col.scripts, reasons=run.col.reasons, pii=run.col.pii)
    table = {}
    for name, (dtype, default) in TABLE_COLUMNS.items():
        if name in got:
            table[name] = got[name]
        elif dtype is object:
            table[name] = [default] * n
        else:
            table[name] = np.full(n, default, dtype)
    table["map_x"], table["map_y"] = np.round(table["map_x"], 5), np.round(table["map_y"], 5)
    if "perplexity" in got:
        table["perplexity"] = got["perplexity"]
    if "semantic_cluster" in got:
        table["semantic_cluster"] = got["semantic_cluster"]
    return table
