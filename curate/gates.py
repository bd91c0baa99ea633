"""CI gates on an audit report: `--fail-on "dup_rate>0.05,pii_count>0,contaminated>0"` (exit code 3 when any fails)."""

from __future__ import annotations

import operator
import re

from workbench.errors import UserError

__all__ = ["metrics", "parse", "validate", "check", "METRIC_HELP", "known_metrics"]

_OPS = {">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt}
_GATE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(>=|<=|==|!=|>|<)\s*(-?[\d.]+(?:e-?\d+)?)\s*(%?)\s*$")

METRIC_HELP = {
    "records": "records read",
    "dup_rate": "exact duplicate pairs / records",
    "exact_duplicates": "records repeating an earlier pair exactly",
    "near_dup_rate": "near-duplicate records (beyond representatives) / records",
    "near_duplicate_records": "records in near-duplicate clusters beyond their representative",
    "near_duplicate_clusters": "near-duplicate clusters",
    "flagged_rate": "records with any reason code / records",
    "quality_rate": "records with a quality reason / records",
    "html_records": "records with HTML remnants",
    "truncated_records": "answers cut mid-sentence",
    "generated_records": "generated-looking records",
    "generated_rate": "generated-looking records / records",
    "pii_records": "records with PII",
    "pii_count": "PII findings",
    "contaminated": "test items overlapping the training set",
    "shared_answer_records": "records sharing one answer across different questions",
    "conflicting_records": "records asking one question with different answers",
    "distinct_2": "distinct bigram share",
    "vendi": "Vendi score",
    "cluster_entropy": "cluster entropy / log(clusters), 0-1",
    "tokens_total": "total tokens",
    "tokens_p95": "95th percentile tokens per record",
    # with --model and --max-length (curate.trainability); "not measured" without them
    "untrainable": "records whose answer tokens are all cut off at --max-length (they train on nothing)",
    "untrainable_records": "the same as untrainable",
    "answer_truncated": "records whose answer is partly cut off at --max-length",
    "partly_truncated_records": "the same as answer_truncated",
    "boundary_mismatch_records": "records whose prompt/answer boundary tokenizes differently joined than apart",
}
TRAINABILITY = {"untrainable": "untrainable_records", "answer_truncated": "partly_truncated_records"}


def metrics(report: dict) -> dict[str, float]:
    """Every gate-able figure of a report, plus one count per reason code (e.g. `empty_answer`)."""
    s = report["summary"]
    n = max(s["records"], 1)
    pair = s["exact_duplicate_records"].get("pair", 0)
    dup = report.get("duplicates", {})
    m = {
        "records": s["records"],
        "dup_rate": pair / n,
        "exact_duplicates": pair,
        "near_dup_rate": s["near_duplicate_records"] / n,
        "near_duplicate_records": s["near_duplicate_records"],
        "near_duplicate_clusters": s["near_duplicate_clusters"],
        "flagged_rate": s.get("flagged_records", 0) / n,
        "quality_rate": s.get("quality_flagged_records", 0) / n,
        "html_records": s["html_records"],
        "truncated_records": s["truncated_records"],
        "generated_records": s["generated_records"],
        "generated_rate": s["generated_records"] / n,
        "pii_records": s["pii_records"],
        "pii_count": s.get("pii_findings", s["pii_records"]),
        "contaminated": s.get("contaminated") or 0,
        "shared_answer_records": dup.get("shared_answer_records", 0),
        "conflicting_records": dup.get("conflicting_records", 0),
        "distinct_2": s["diversity"].get("distinct_2"),
        "vendi": s["diversity"].get("vendi"),
        "cluster_entropy": s["diversity"].get("cluster_entropy"),
        "tokens_total": s["tokens"].get("total"),
        "tokens_p95": s["tokens"].get("p95"),
    }
    for reason, count in report.get("quality", {}).get("reasons", {}).items():
        m.setdefault(reason, count)
    for name in ("untrainable_records", "partly_truncated_records", "boundary_mismatch_records"):
        m[name] = s.get(name)  # None: the audit had no --model and --max-length, so the gate says "not measured"
    m.update({code: s.get(key) for code, key in TRAINABILITY.items()})
    return m


def parse(spec: str) -> list[tuple[str, str, float]]:
    """`"dup_rate>0.05,pii_count>0"` → [("dup_rate", ">", 0.05), ...]; a trailing % divides by 100."""
    gates = []
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        m = _GATE.match(part)
        if not m:
            raise UserError(
                f"--fail-on: cannot read {part.strip()!r}",
                hint='write METRIC OP NUMBER, e.g. "dup_rate>0.05,pii_count>0,contaminated>0"',
            )
        name, op, value, pct = m.groups()
        gates.append((name, op, float(value) / (100 if pct else 1)))
    return gates


def known_metrics() -> list[str]:
    """Gate names: the figures above and every signal's reason codes."""
    from curate.signals import REGISTRY

    return sorted(set(METRIC_HELP) | {r for cls in REGISTRY.values() for r in cls.reasons})


def validate(spec: str) -> list[tuple[str, str, float]]:
    """Parse `spec` and check every metric name exists, before any work is done."""
    gates = parse(spec)
    known = known_metrics()
    for name, _, _ in gates:
        if name not in known:
            raise UserError(f"--fail-on: unknown metric {name!r}", hint=f"metrics: {', '.join(known)}")
    return gates


def check(report: dict, spec: str) -> list[str]:
    """The gates in `spec` that fail on `report`, each as text naming the figure (empty list: all pass)."""
    figures = metrics(report)
    failed = []
    for name, op, value in parse(spec):
        if name not in figures:
            if name in known_metrics():  # a reason code no record carries
                figures[name] = 0
            else:
                raise UserError(f"--fail-on: unknown metric {name!r}", hint=f"metrics: {', '.join(known_metrics())}")
        got = figures[name]
        if got is None:
            failed.append(f"{name} {op} {value:g}: not measured in this audit")
            continue
        if _OPS[op](got, value):
            shown = f"{got:.4g}" if isinstance(got, float) else str(got)
            failed.append(f"{name} = {shown} ({op} {value:g})")
    return failed
