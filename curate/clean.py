"""`curate clean`: apply a recipe's filters and dedup policy; write the cleaned set in the input's format, a rejects
file holding every dropped record with its reasons, a review file, and a log of counts. Nothing is dropped without a
reason, and only on a sure one: a record whose only flags are less sure than the recipe's `review_below` (a signal's
measured precision, curate.signals; not measured counts as unsure) is held out of the cleaned set and written to the
review file with its reasons and their precision, for a person to decide. Duplicates, contamination and PII (with
`pii: drop`) are facts, not estimates: they always drop.

It runs the audit's own stages (curate.stages: read, signals, PII, exact and near duplicates, contamination) on the
local executor, so it streams as the audit does: the first pass keeps a few numbers per record, never the texts; the
near-duplicate candidates (and, for the "best" keep policy, the duplicates) are re-read; a last pass copies each row
to the cleaned file, the rejects file or the review file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np

from curate.dedup import exact_from_hashes, pair_hashes
from curate.executor import LocalExecutor
from curate.fields import FieldMap
from curate.recipe import KEEP_POLICIES, recipe_options
from curate.report import precision_text
from curate.signals import build_signals, default_signals, evaluate, flag_rules, signal_config
from curate.stages import Contamination, Exact, Near, Pii, Read, Run, Signals, near_settings
from workbench import tabular as io
from workbench.atomic import atomic_file, check_output_dir, check_output_file
from workbench.errors import UserError

__all__ = ["clean", "check_outputs", "choose_keeper", "KEEP_POLICIES", "output_paths", "summary_text"]


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
    return {
        "clean": out,
        "rejects": out.with_name(f"{stem}.rejects.jsonl"),
        "review": out.with_name(f"{stem}.review.jsonl"),
        "log": out.with_name(f"{stem}.log.json"),
    }


def check_outputs(path: str | os.PathLike, out: str | os.PathLike) -> dict[str, Path]:
    """The cleaned set, rejects, review and log paths for `out`, each checked before any work (a file, or a folder for a
    save_to_disk input; writable; not the input itself)."""
    text = os.fspath(out)
    if io.detect_format(path) == "arrow_dir" and Path(path).is_dir():
        check_output_dir(text)
        saved = ("state.json", "dataset_info.json", "dataset_dict.json")
        if Path(text).is_dir() and any(os.scandir(text)) and not any((Path(text) / n).exists() for n in saved):
            raise UserError(
                f"--out {text}: the folder holds files that are not a saved dataset; the cleaned set replaces it whole",
                hint="choose a new folder for the cleaned dataset",
            )
    else:
        check_output_file(text)
    paths = output_paths(text)
    for key in ("rejects", "review", "log"):
        check_output_file(paths[key], option=f"--out ({key} file)")
    if Path(path).exists() and any(Path(p).resolve() == Path(path).resolve() for p in paths.values()):
        raise UserError(
            f"--out {text}: would overwrite the input {path}", hint="write the cleaned set to a new file name"
        )
    return paths


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
    """Clean `path` with `recipe` into `out`; returns the count log (also written next to `out`). The recipe, the
    numbers and the output paths are checked before a record is read; the four outputs are replaced as a set."""
    opts = recipe_options(recipe, recipe_path or "recipe")
    if isinstance(max_record_bytes, bool) or not isinstance(max_record_bytes, int) or max_record_bytes < 1:
        raise UserError(f"--max-record-mb: {max_record_bytes / 2**20:g} MB is not a size > 0", hint="e.g. 16")
    check_outputs(path, out)
    units = build_signals(recipe["signals"]) if recipe.get("signals") is not None else default_signals()
    stages = _stages(recipe, opts, units, fields, skip_bad, max_record_bytes, recipe_path)
    run = LocalExecutor().run(path, stages, progress=progress)
    rules = flag_rules(units)
    precision = {r: d["precision"] for r, d in rules.items()}
    fate = _decide(run, stages, opts, precision)
    fate["definite"] = sorted(r for r, d in rules.items() if d["basis"] == "definition")
    return _write(
        path,
        out,
        run.col,
        fate,
        skip_bad,
        max_record_bytes,
        lambda written: _log(path, run.col, fate, written, opts, units, recipe_path),
    )


def _stages(recipe: dict, opts: dict, units, fields, skip_bad: bool, max_record_bytes: int, recipe_path) -> list:
    """The audit's stages a recipe needs: read, signals, PII (unless kept), exact and near duplicates, contamination."""
    stages = [Read(fields=fields, skip_bad=skip_bad, max_record_bytes=max_record_bytes), Signals(signal_config(units))]
    if opts["pii"] != "keep":
        stages.append(Pii())
    if opts["exact"] != "none":
        stages.append(Exact(preview_groups=0))
    if opts["near"]:
        stages.append(Near(**near_settings(opts["near_settings"]).as_dict(), largest=0))
    test = (recipe.get("contamination") or {}).get("test")
    if test:
        if recipe_path and not Path(test).is_absolute() and not Path(test).exists():
            test = str(Path(recipe_path).parent / test)
        stages.append(Contamination(test, n=int(recipe["contamination"].get("n", 13))))
    return stages


def _stage(stages: list, kind: type):
    return next((st for st in stages if isinstance(st, kind)), None)


def _decide(run: Run, stages: list, opts: dict, precision: dict[str, float | None]) -> dict:
    """Each record's fate: kept or removed with its reasons (signals, then exact and near duplicates by the keep
    policy, contamination, PII), which record a duplicate repeats, which kept records get PII redacted, and which
    removed records go to review rather than to the rejects (`precision`: each signal reason's measured precision)."""
    col = run.col
    reasons: list[list[str]] = [list(r) for r in col.reasons]
    alive = np.array([not r for r in reasons], dtype=bool)
    groups = _duplicate_groups(run, stages, opts)
    answer_len = _stage(stages, Read).chars("answer_chars")
    n_reasons = _reason_counts(run, groups, opts["keep"])
    dup_of: dict[int, int] = {}
    for reason, gs in groups:
        for g in gs:
            members = [i for i in g if alive[i]]
            if len(members) < 2:
                continue
            keep = choose_keeper(members, opts["keep"], answer_len, n_reasons)
            for i in members:
                if i != keep:
                    alive[i] = False
                    reasons[i].append(reason)
                    dup_of[i] = keep
    contaminated_ids: list = []
    scan = _stage(stages, Contamination)
    if scan is not None:
        contaminated_ids = list(scan.result.contaminated_ids)
        for i in scan.result.train_indices:  # every overlapping record, so the audit's same check passes on the output
            if "contaminated" not in reasons[i]:
                alive[i] = False
                reasons[i].append("contaminated")
    if opts["pii"] == "drop":
        for i, kinds in enumerate(col.pii):
            if kinds:
                alive[i] = False
                reasons[i].append("pii")
    redact = {i for i, kinds in enumerate(col.pii) if kinds and alive[i]} if opts["pii"] == "redact" else set()
    bar = opts["review_below"]
    review = {i for i in np.flatnonzero(~alive).tolist() if _unsure(reasons[i], precision, bar)}
    return {
        "alive": alive,
        "reasons": reasons,
        "dup_of": dup_of,
        "redact": redact,
        "contaminated": contaminated_ids,
        "review": review,
        "precision": precision,
    }


def _unsure(reasons: list[str], precision: dict[str, float | None], bar: float) -> bool:
    """Every reason is a signal's flag whose measured precision is under `bar` or was not measured: the record goes to
    review. Reasons that are not signals' (duplicates, contamination, PII) are sure; `bar` 0 drops on every flag."""
    return bar > 0 and bool(reasons) and all(r in precision and (precision[r] or 0.0) < bar for r in reasons)


def _duplicate_groups(run: Run, stages: list, opts: dict) -> list[tuple[str, list[list[int]]]]:
    """(reason, groups): the exact groups of the policy's value (pair, question or answer), then the near clusters."""
    out = []
    exact = _stage(stages, Exact)
    if exact is not None:
        text = run.col.fmap.kind == "text"
        if opts["exact"] == "pair" and not text:
            h = pair_hashes(exact.prompt_hashes, exact.answer_hashes)
        elif opts["exact"] == "question" and not text:
            h = exact.prompt_hashes
        else:
            h = exact.answer_hashes
        out.append(("exact_duplicate", exact_from_hashes(h).groups))
    near = _stage(stages, Near)
    if near is not None:
        out.append(("near_duplicate", near.result.clusters))
    return out


def _reason_counts(run: Run, groups: list, keep: str) -> np.ndarray:
    """For the "best" policy: how many reason codes every default signal gives each duplicate group member (not only
    the recipe's filters, which already removed what they flag); fewer is better. Re-reads those records."""
    n_reasons = np.full(run.n, -1, np.int64)
    if keep != "best":
        return n_reasons
    members = sorted({i for _, gs in groups for g in gs for i in g})
    if members:
        scorers, kind = default_signals(), run.col.fmap.kind
        for idx, prompts, answers in run.reread(np.asarray(members, np.int64)):
            for i, p, a in zip(idx.tolist(), prompts, answers):
                n_reasons[i] = len(evaluate(scorers, p, a, kind))
    return n_reasons


def _write(path, out, col, fate: dict, skip_bad: bool, max_record_bytes: int, log_of) -> dict:
    """Last read: each row to the cleaned set, the rejects or the review file; then the log (`log_of(written)`). The
    rejects, review and log are written to temps and the cleaned set last: only once it is in place are the three
    renamed over theirs, and a failure before removes every temp, leaving the earlier outputs as they were."""
    paths = output_paths(out)
    with contextlib.ExitStack() as stack:
        rej, rev, log_fh = (stack.enter_context(atomic_file(paths[k])) for k in ("rejects", "review", "log"))
        kept_rows, bad_rows = _route(path, col, fate, skip_bad, max_record_bytes, rej, rev)
        log = log_of({"kept": len(kept_rows), "bad_rows": bad_rows, "paths": paths})
        json.dump(log, log_fh, indent=2, ensure_ascii=False)
        log_fh.write("\n")
        columns = list(col.fmap.columns) if col.fmt in ("csv", "tsv") else None
        io.write_rows(paths["clean"], kept_rows, col.fmt, columns=columns)
    return log


def _route(path, col, fate: dict, skip_bad: bool, max_record_bytes: int, rej, rev) -> tuple[list[dict], int]:
    """(kept rows, bad rows): each dropped row's entry written to `rej`, each row to review to `rev`."""
    alive, reasons, dup_of, review = fate["alive"], fate["reasons"], fate["dup_of"], fate["review"]
    index_of = {line: i for i, line in enumerate(col.lines)}
    kept_rows: list[dict] = []
    bad_rows = 0
    for line, row in io.read_numbered(path, skip_bad=skip_bad, max_record_bytes=max_record_bytes):
        i = index_of.get(line)
        if i is None:  # a row the first pass skipped as bad (--skip-bad): rejected, with that reason
            bad_rows += 1
            entry, fh = {"line": line, "reasons": ["bad_row"], "record": row}, rej
        elif alive[i]:
            kept_rows.append(_redact(row, col.fmap) if i in fate["redact"] else row)
            continue
        elif i in review:
            sure = {r: fate["precision"][r] for r in reasons[i]}
            entry, fh = {"line": line, "index": i, "reasons": reasons[i], "precision": sure, "record": row}, rev
        else:
            entry, fh = {"line": line, "index": i, "reasons": reasons[i], "record": row}, rej
            if i in dup_of:
                entry["duplicate_of_line"] = col.lines[dup_of[i]]
        fh.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
    return kept_rows, bad_rows


def _log(path, col, fate: dict, written: dict, opts: dict, units, recipe_path) -> dict:
    """The count log: records in, kept, dropped and sent to review per reason, and the policy that decided."""
    alive, bad_rows, review = fate["alive"], written["bad_rows"], fate["review"]
    removed: Counter = Counter()
    to_review: Counter = Counter()
    for i in np.flatnonzero(~alive).tolist():
        (to_review if i in review else removed).update(set(fate["reasons"][i]))
    unreadable = int(col.read_stats.get("skipped", 0)) - bad_rows
    if bad_rows:
        removed["bad_row"] += bad_rows
    if unreadable > 0:
        removed["unreadable_row"] += unreadable
    return {
        "input": str(path),
        "format": col.fmt,
        "fields": col.fmap.as_dict(),
        "recipe": recipe_path,
        "records": len(col.lines) + bad_rows + max(unreadable, 0),
        "kept": written["kept"],
        "removed": int((~alive).sum()) - len(review) + bad_rows,
        "review": len(review),
        "unreadable_rows": max(unreadable, 0),
        "read_errors": col.read_stats.get("errors", [])[:20],
        "removed_by_reason": dict(removed.most_common()),
        "review_by_reason": dict(to_review.most_common()),
        "redacted_records": len(fate["redact"]),
        "contaminated_test_items": len(fate["contaminated"]),
        "policy": {
            "exact": opts["exact"],
            "near": bool(opts["near"]),
            "keep": opts["keep"],
            "pii": opts["pii"],
            "review_below": opts["review_below"],
        },
        "signals": signal_config(units),
        "precision": fate["precision"],
        "definite": fate["definite"],
        "outputs": {k: str(v) for k, v in written["paths"].items()},
    }


def summary_text(log: dict) -> str:
    """What `curate clean` prints: kept, then each reason's count dropped or sent to review (with how sure the
    signal's flags are), then where the rejects, review and log files are."""
    precision, definite = log.get("precision", {}), set(log.get("definite", ()))
    lines = [f"kept {log['kept']:,} of {log['records']:,} records -> {log['outputs']['clean']}"]
    for verb, counts in (("dropped", log["removed_by_reason"]), ("review", log["review_by_reason"])):
        for reason, count in counts.items():
            basis = "definition" if reason in definite else None
            how = f"  ({precision_text(precision[reason], basis)})" if reason in precision else ""
            lines.append(f"  {verb:<7} {count:>6,}  {reason}{how}")
    if log.get("redacted_records"):
        lines.append(f"  redacted PII in {log['redacted_records']:,} kept records")
    out = log["outputs"]
    lines.append(f"dropped {log['removed']:,} -> {out['rejects']}")
    lines.append(f"to review {log['review']:,} -> {out['review']}")
    lines.append(f"log: {out['log']}")
    return "\n".join(lines)


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
