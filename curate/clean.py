"""`curate clean`: apply a recipe's filters and dedup policy; write the cleaned set in the input's format, a rejects
file holding every removed record with its reasons, and a log of counts. Nothing is dropped without a reason.

It runs the audit's own stages (curate.stages: read, signals, PII, exact and near duplicates, contamination) on the
local executor, so it streams as the audit does: the first pass keeps a few numbers per record, never the texts; the
near-duplicate candidates (and, for the "best" keep policy, the duplicates) are re-read; a last pass copies each row
to the cleaned file or the rejects file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import numpy as np

from curate.dedup import exact_from_hashes, pair_hashes
from curate.executor import LocalExecutor
from curate.fields import FieldMap
from curate.recipe import KEEP_POLICIES, recipe_options
from curate.signals import build_signals, default_signals, evaluate, signal_config
from curate.stages import Contamination, Exact, Near, Pii, Read, Run, Signals, near_settings
from workbench import tabular as io
from workbench.atomic import atomic_file, check_output_dir, check_output_file, write_json
from workbench.errors import UserError

__all__ = ["clean", "check_outputs", "choose_keeper", "KEEP_POLICIES", "output_paths"]


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


def check_outputs(path: str | os.PathLike, out: str | os.PathLike) -> dict[str, Path]:
    """The cleaned set, rejects and log paths for `out`, each checked before any work (a file, or a folder for a
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
    for key in ("rejects", "log"):
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
    numbers and the output paths are checked before a record is read."""
    opts = recipe_options(recipe, recipe_path or "recipe")
    if isinstance(max_record_bytes, bool) or not isinstance(max_record_bytes, int) or max_record_bytes < 1:
        raise UserError(f"--max-record-mb: {max_record_bytes / 2**20:g} MB is not a size > 0", hint="e.g. 16")
    check_outputs(path, out)
    units = build_signals(recipe["signals"]) if recipe.get("signals") is not None else default_signals()
    stages = _stages(recipe, opts, units, fields, skip_bad, max_record_bytes, recipe_path)
    run = LocalExecutor().run(path, stages, progress=progress)
    fate = _decide(run, stages, opts)
    written = _write(path, out, run.col, fate, skip_bad, max_record_bytes)
    log = _log(path, run.col, fate, written, opts, units, recipe_path)
    write_json(output_paths(out)["log"], log)
    return log


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


def _decide(run: Run, stages: list, opts: dict) -> dict:
    """Each record's fate: kept or removed with its reasons (signals, then exact and near duplicates by the keep
    policy, contamination, PII), which record a duplicate repeats, which kept records get PII redacted."""
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
    return {"alive": alive, "reasons": reasons, "dup_of": dup_of, "redact": redact, "contaminated": contaminated_ids}


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


def _write(path, out, col, fate: dict, skip_bad: bool, max_record_bytes: int) -> dict:
    """Last read: each row to the cleaned file or the rejects file (both written whole, then renamed into place)."""
    alive, reasons, dup_of = fate["alive"], fate["reasons"], fate["dup_of"]
    index_of = {line: i for i, line in enumerate(col.lines)}
    paths = output_paths(out)
    kept_rows: list[dict] = []
    bad_rows = 0
    with atomic_file(paths["rejects"]) as rej:  # renamed into place only once the cleaned file is written too
        for line, row in io.read_numbered(path, skip_bad=skip_bad, max_record_bytes=max_record_bytes):
            i = index_of.get(line)
            if i is None:  # a row the first pass skipped as bad (--skip-bad): rejected, with that reason
                bad_rows += 1
                entry = {"line": line, "reasons": ["bad_row"], "record": row}
            elif alive[i]:
                kept_rows.append(_redact(row, col.fmap) if i in fate["redact"] else row)
                continue
            else:
                entry = {"line": line, "index": i, "reasons": reasons[i], "record": row}
                if i in dup_of:
                    entry["duplicate_of_line"] = col.lines[dup_of[i]]
            rej.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        columns = list(col.fmap.columns) if col.fmt in ("csv", "tsv") else None
        io.write_rows(paths["clean"], kept_rows, col.fmt, columns=columns)
    return {"kept": len(kept_rows), "bad_rows": bad_rows, "paths": paths}


def _log(path, col, fate: dict, written: dict, opts: dict, units, recipe_path) -> dict:
    """The count log: records in, kept, removed per reason, and the policy that decided."""
    alive, bad_rows = fate["alive"], written["bad_rows"]
    removed: Counter = Counter()
    for i in np.flatnonzero(~alive).tolist():
        removed.update(set(fate["reasons"][i]))
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
        "removed": int((~alive).sum()) + bad_rows,
        "unreadable_rows": max(unreadable, 0),
        "read_errors": col.read_stats.get("errors", [])[:20],
        "removed_by_reason": dict(removed.most_common()),
        "redacted_records": len(fate["redact"]),
        "contaminated_test_items": len(fate["contaminated"]),
        "policy": {"exact": opts["exact"], "near": bool(opts["near"]), "keep": opts["keep"], "pii": opts["pii"]},
        "signals": signal_config(units),
        "outputs": {k: str(v) for k, v in written["paths"].items()},
    }


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
