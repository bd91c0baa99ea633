"""`curate clean`: apply a recipe's filters and dedup policy; write the cleaned set in the input's format, a rejects
file holding every removed record with its reasons, and a log of counts. Nothing is dropped without a reason.

Two streaming passes over the input: the first computes each record's fate (signals, PII, set-level dedup and
contamination need every record), the second copies rows to the cleaned file or the rejects file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from curate.fields import FieldMap
from curate.pipeline import AuditConfig, collect, load_test_items
from curate.signals import build_signals, default_signals, evaluate, signal_config
from workbench import tabular as io
from workbench.errors import UserError

__all__ = ["clean", "choose_keeper", "KEEP_POLICIES", "output_paths"]

KEEP_POLICIES = ("first", "longest", "best")
_RECIPE_KEYS = {"signals", "dedup", "pii", "contamination", "near", "description", "name"}


def choose_keeper(
    members: list[int], policy: str, answer_len: list[int] | np.ndarray, n_reasons: list[int] | np.ndarray
) -> int:
    """The member a duplicate group keeps: the first; the longest answer (ties: first); or the best-scored, i.e.
    the fewest reason codes, then the longest answer, then the first."""
    if policy == "first":
        return min(members)
    if policy == "longest":
        return min(members, key=lambda i: (-answer_len[i], i))
    if policy == "best":
        return min(members, key=lambda i: (n_reasons[i], -answer_len[i], i))
    raise UserError(f"dedup keep policy {policy!r} is unknown", hint=f"use one of {', '.join(KEEP_POLICIES)}")


def output_paths(out: str | os.PathLike) -> dict[str, Path]:
    out = Path(out)
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return {"clean": out, "rejects": out.with_name(f"{stem}.rejects.jsonl"), "log": out.with_name(f"{stem}.log.json")}


def _validate(recipe: dict) -> dict:
    unknown = set(recipe) - _RECIPE_KEYS
    if unknown:
        raise UserError(
            f"recipe: unknown key(s) {sorted(unknown)}", hint=f"recipe keys: {', '.join(sorted(_RECIPE_KEYS))}"
        )
    dedup = recipe.get("dedup") or {}
    if not isinstance(dedup, dict):
        raise UserError("recipe: `dedup` must be a mapping (exact, near, keep)")
    keep = dedup.get("keep", "first")
    if keep not in KEEP_POLICIES:
        raise UserError(f"recipe: dedup.keep {keep!r} is unknown", hint=f"use one of {', '.join(KEEP_POLICIES)}")
    exact = dedup.get("exact", "pair")
    if exact not in ("pair", "question", "answer", "none", None, False):
        raise UserError(f"recipe: dedup.exact {exact!r} is unknown", hint="use pair, question, answer or none")
    pii = recipe.get("pii", "keep") or "keep"
    if pii not in ("keep", "redact", "drop"):
        raise UserError(f"recipe: pii {pii!r} is unknown", hint="use keep, redact or drop")
    return {
        "exact": exact or "none",
        "near": dedup.get("near", True),
        "keep": keep,
        "pii": pii,
        "near_settings": dict(dedup.get("near_settings") or recipe.get("near") or {}),
    }


def clean(
    path: str | os.PathLike,
    recipe: dict,
    out: str | os.PathLike,
    *,
    fields: dict | None = None,
    skip_bad: bool = False,
    max_record_bytes: int = io.MAX_RECORD_BYTES,
    recipe_path: str | None = None,
    progress: bool = False,
) -> dict:
    """Clean `path` with `recipe` into `out`; returns the count log (also written next to `out`)."""
    opts = _validate(recipe)
    units = build_signals(recipe["signals"]) if recipe.get("signals") is not None else default_signals()
    cfg = AuditConfig(
        fields=fields,
        skip_bad=skip_bad,
        max_record_bytes=max_record_bytes,
        stages=("signals", "pii") if opts["pii"] != "keep" else ("signals",),
    )
    col = collect(path, cfg, signals=units, progress=progress)
    n = len(col.lines)
    reasons: list[list[str]] = [list(r) for r in col.reasons]
    alive = np.array([not r for r in reasons], dtype=bool)
    answer_len = np.fromiter((len(a) for a in col.answers), np.int64, n)
    # "best" scores a group's members by every default signal, not only the recipe's filters (which already
    # removed what they flag): fewer reason codes is better.
    n_reasons = np.full(n, -1, np.int64)
    scorers = default_signals()
    dup_of: dict[int, int] = {}

    def dedup_groups(groups: list[list[int]], reason: str) -> None:
        for g in groups:
            members = [i for i in g if alive[i]]
            if len(members) < 2:
                continue
            if opts["keep"] == "best":
                for i in members:
                    if n_reasons[i] < 0:
                        n_reasons[i] = len(evaluate(scorers, col.prompts[i], col.answers[i], col.fmap.kind))
            keep = choose_keeper(members, opts["keep"], answer_len, n_reasons)
            for i in members:
                if i != keep:
                    alive[i] = False
                    reasons[i].append(reason)
                    dup_of[i] = keep

    from curate import dedup

    if opts["exact"] != "none":
        if opts["exact"] == "pair" and col.fmap.kind != "text":
            res = dedup.exact_pair_duplicates(col.prompts, col.answers)
        elif opts["exact"] == "question" and col.fmap.kind != "text":
            res = dedup.exact_duplicates(col.prompts)
        else:
            res = dedup.exact_duplicates(col.answers)
        dedup_groups(res.groups, "exact_duplicate")
    if opts["near"]:
        res = dedup.near_duplicates(col.answers, **opts["near_settings"])
        dedup_groups(res.clusters, "near_duplicate")

    contamination = recipe.get("contamination") or {}
    contaminated_ids: list = []
    if contamination.get("test"):
        from curate.contamination import find_contamination

        test = contamination["test"]
        if recipe_path and not Path(test).is_absolute() and not Path(test).exists():
            test = str(Path(recipe_path).parent / test)
        items = load_test_items(test)
        res = find_contamination(
            [f"{q}\n{a}" for q, a in zip(col.prompts, col.answers)], items, n=int(contamination.get("n", 13))
        )
        contaminated_ids = list(res.contaminated_ids)
        for i in res.train_indices:  # every overlapping record, so the audit's same check passes on the output
            if "contaminated" not in reasons[i]:
                alive[i] = False
                reasons[i].append("contaminated")

    if opts["pii"] == "drop":
        for i, kinds in enumerate(col.pii):
            if kinds:
                alive[i] = False
                reasons[i].append("pii")
    redact_idx = {i for i, kinds in enumerate(col.pii) if kinds and alive[i]} if opts["pii"] == "redact" else set()

    # second pass: copy rows to the cleaned file or the rejects file, both through temp files
    index_of = {line: i for i, line in enumerate(col.lines)}
    paths = output_paths(out)
    fmt = col.fmt
    removed = Counter()
    for i in range(n):
        if not alive[i]:
            removed.update(set(reasons[i]))
    kept_rows: list[dict] = []
    rej_tmp = _temp_for(paths["rejects"])
    bad_rows = 0
    try:
        with open(rej_tmp, "w", encoding="utf-8") as rej:
            for line, row in io.read_numbered(path, skip_bad=skip_bad, max_record_bytes=max_record_bytes):
                i = index_of.get(line)
                if i is None:  # a row the first pass skipped as bad (--skip-bad): rejected, with that reason
                    bad_rows += 1
                    rej.write(
                        json.dumps(
                            {"line": line, "reasons": ["bad_row"], "record": row}, ensure_ascii=False, default=str
                        )
                        + "\n"
                    )
                    continue
                if alive[i]:
                    kept_rows.append(_redact(row, col.fmap) if i in redact_idx else row)
                else:
                    entry = {"line": line, "index": i, "reasons": reasons[i], "record": row}
                    if i in dup_of:
                        entry["duplicate_of_line"] = col.lines[dup_of[i]]
                    rej.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        unreadable = int(col.read_stats.get("skipped", 0)) - bad_rows
        io.write_rows(paths["clean"], kept_rows, fmt, columns=list(col.fmap.columns) if fmt in ("csv", "tsv") else None)
        os.replace(rej_tmp, paths["rejects"])
    except BaseException:
        Path(rej_tmp).unlink(missing_ok=True)
        raise
    if bad_rows:
        removed["bad_row"] += bad_rows
    if unreadable > 0:
        removed["unreadable_row"] += unreadable
    log = {
        "input": str(path),
        "format": fmt,
        "fields": col.fmap.as_dict(),
        "recipe": recipe_path,
        "records": n + bad_rows + max(unreadable, 0),
        "kept": len(kept_rows),
        "removed": int((~alive).sum()) + bad_rows,
        "unreadable_rows": max(unreadable, 0),
        "read_errors": col.read_stats.get("errors", [])[:20],
        "removed_by_reason": dict(removed.most_common()),
        "redacted_records": len(redact_idx),
        "contaminated_test_items": len(contaminated_ids),
        "policy": {"exact": opts["exact"], "near": bool(opts["near"]), "keep": opts["keep"], "pii": opts["pii"]},
        "signals": signal_config(units),
        "outputs": {k: str(v) for k, v in paths.items()},
    }
    from workbench.atomic import atomic_write

    atomic_write(paths["log"], json.dumps(log, ensure_ascii=False, indent=2) + "\n")
    return log


def _temp_for(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return tmp


def _redact(row: dict, fmap: FieldMap) -> dict:
    from curate.pii import redact

    row = dict(row)
    for col in (fmap.question, fmap.answer, fmap.input, fmap.text, fmap.system):
        if col and isinstance(row.get(col), str):
            row[col] = redact(row[col])
    if fmap.messages and isinstance(row.get(fmap.messages), list):
        msgs = []
        for m in row[fmap.messages]:
            if isinstance(m, dict):
                m = dict(m)
                for key in ("content", "value", "text"):
                    if isinstance(m.get(key), str):
                        m[key] = redact(m[key])
            msgs.append(m)
        row[fmap.messages] = msgs
    return row
