"""Human and LLM verdicts in files (JSONL/CSV) and in the results store's `ratings` table: import, export, and the
table `evalkit agree` reads.

Three layouts, recognised by their columns:
- native: the `ratings` columns (item_id, rater, rater_kind, kind, verdict, score, model_a, model_b, ...);
- agree: item_id, rater, rating[, rater_kind] — what `evalkit agree` reads;
- mtbench: MT-Bench's human-judgment layout question_id, model_a, model_b, winner, judge, turn
  (winner model_a|model_b|tie|tie (bothbad); Zheng et al. 2023, data released with FastChat's llm_judge).
Files are read by `workbench.tabular`; verdicts are spelled as `workbench.verdicts` says. Every error names file:line
and the field. ("Ratings" in evalkit means Elo / Bradley-Terry ratings, `evalkit.ratings`; the store's table of
verdicts keeps its name `ratings`, as do the CLI commands `ratings-import` / `ratings-export`.)
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from evalkit.queries import narrowed
from workbench import verdicts
from workbench.atomic import atomic_file
from workbench.errors import UserError
from workbench.store import Store, schema
from workbench.tabular import read_numbered

__all__ = [
    "AGREE_FIELDS",
    "LAYOUTS",
    "MTBENCH_FIELDS",
    "NATIVE_FIELDS",
    "agree_table",
    "detect_layout",
    "export_verdicts",
    "import_verdicts",
    "read_ratings",
    "read_records",
    "records_to_verdicts",
    "verdicts_to_agree_rows",
    "write_records",
]

LAYOUTS = ("native", "agree", "mtbench")
NATIVE_FIELDS = (
    "item_id",
    "kind",
    "prompt",
    "model_a",
    "model_b",
    "output_a",
    "output_b",
    "rater",
    "rater_kind",
    "verdict",
    "score",
    "rationale",
    "order_shown",
    "raw",
    "run_id",
    "session_id",
    "created_at",
)
AGREE_FIELDS = ("item_id", "rater", "rating", "rater_kind")
MTBENCH_FIELDS = ("question_id", "model_a", "model_b", "winner", "judge", "turn")
SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")
_LLM_JUDGE = re.compile(r"gpt|claude|llama|llm|gemini|mistral|qwen|default|openai:", re.IGNORECASE)
# workbench.tabular's words for JSON that doesn't parse (a JSON Lines line, or a whole .json file)
_MALFORMED = re.compile(
    r"^(?P<file>.+):(?P<line>\d+): malformed JSON at (?:character|column) (?P<col>\d+): (?P<msg>.+)$", re.DOTALL
)


# ------------------------------------------------------------------------------------------------- reading
def read_records(path: str | os.PathLike) -> list[tuple[int, dict]]:
    """(line number, record) from a .jsonl/.ndjson, .json (an array, or one object per line), .csv or .tsv file,
    read by `workbench.tabular`; the first bad line stops the reading, named file:line."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    if path.suffix.lower() not in SUFFIXES:
        raise UserError(f"{path}: unknown ratings file type {path.suffix or '(none)'}", hint="use .jsonl or .csv")
    if path.stat().st_size == 0:
        raise UserError(f"{path}: no ratings in the file")
    try:
        return list(read_numbered(path, skip_option=None))  # an import takes every line or none
    except UserError as e:
        bad = _MALFORMED.match(e.message)
        if bad is None:
            raise
        line, place = _json_place(path, int(bad["line"]), int(bad["col"]))
        raise UserError(
            f"{bad['file']}:{line}: not valid JSON ({bad['msg'].strip().removesuffix(' at')} {place})",
            hint="the file must hold one JSON object per line (JSONL)"
            if path.suffix.lower() != ".json"
            else "the file must hold a JSON array of objects, or one object per line",
        ) from None


def _json_place(path: Path, line: int, col: int) -> tuple[int, str]:
    """Where a JSON error is, as (line, "at column N"); when nothing but blanks follows the error on its line (a line,
    or the whole file, that ends before its JSON does), (the last line with text, "at the end of the line")."""
    lines = path.read_text("utf-8", errors="replace").lstrip("\ufeff").split("\n")
    if line > len(lines) or lines[line - 1][col - 1 :].strip():
        return line, f"at column {col}"
    while line > 1 and not lines[line - 1][: col - 1].strip():  # an error past the last line: back to the text
        line, col = line - 1, len(lines[line - 2]) + 1
    return line, "at the end of the line"


def read_ratings(
    store: Store, *, run_id: str | None = None, kind: str | None = None, rater_kind: str | None = None
) -> list[dict]:
    """Rows of the store's `ratings` table of verdicts (optionally of one run, kind or rater kind), oldest first."""
    t = schema.ratings
    q = narrowed(sa.select(t).order_by(t.c.id), t, run_id=run_id, rater_kind=rater_kind, kind=kind)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def detect_layout(fields: Sequence[str], path: str | os.PathLike | None = None) -> str:
    """Which layout a header (or first record's keys) is in; errors name `path` when given."""
    have = set(fields)
    if {"question_id", "model_a", "model_b", "winner", "judge"} <= have:
        return "mtbench"
    if {"item_id", "rater", "rating"} <= have:
        return "agree"
    if {"item_id", "rater"} <= have and ({"verdict", "score"} & have):
        return "native"
    where = f"{path}: " if path is not None else ""
    if {"item_id", "rater"} <= have:
        raise UserError(
            f"{where}no rating column (columns: {', '.join(sorted(have))})",
            hint="add a rating column (A/B/tie/bothbad, pass/fail or a score), or verdict/score as the store has",
        )
    raise UserError(
        f"{where}unrecognised ratings columns: {', '.join(sorted(have))}",
        hint="use item_id,rater,rating (agree layout), the ratings table's columns, or MT-Bench's "
        "question_id,model_a,model_b,winner,judge,turn",
    )


# ---------------------------------------------------------------------------------------- records → rows
def _text(v) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s if s else None


def _float(path, line, field, v) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise UserError(f"{path}:{line}: field {field!r} is {v!r}, not a number") from None


def _verdict(path, line, field, v) -> str | None:
    s = _text(v)
    if s is None:
        return None
    got = verdicts.parse_stored(s)
    if got is None:
        raise UserError(
            f"{path}:{line}: field {field!r} is {s!r}, not one of {', '.join(verdicts.STORED)}",
            hint="pairwise verdicts are A/B/tie/bothbad (or model_a/model_b), single ones pass/fail",
        )
    return got


def _need(path, line, rec, fields):
    for f in fields:
        if _text(rec.get(f)) is None:
            raise UserError(f"{path}:{line}: missing field {f!r}")


def _mtbench_row(path, line: int, rec: dict, rater_kind: str | None) -> dict:
    """One MT-Bench human judgment as a `ratings` row, its model pair in one canonical order."""
    _need(path, line, rec, ("question_id", "model_a", "model_b", "winner", "judge"))
    verdict = verdicts.FROM_WINNER.get(_text(rec["winner"]).lower())
    if verdict is None:
        raise UserError(
            f"{path}:{line}: field 'winner' is {rec['winner']!r}, not one of {', '.join(verdicts.FROM_WINNER)}"
        )
    a, b = _text(rec["model_a"]), _text(rec["model_b"])
    if a > b:  # one canonical order per model pair, so every judge's vote on it is the same item
        a, b, verdict = b, a, verdicts.swap(verdict)
    turn = _text(rec.get("turn")) or "1"
    judge = _text(rec["judge"])
    return dict(
        item_id=f"{_text(rec['question_id'])}/t{turn}/{a} vs {b}",
        kind="pairwise",
        model_a=a,
        model_b=b,
        rater=judge,
        rater_kind=rater_kind or ("llm" if _LLM_JUDGE.search(judge) else "human"),
        verdict=verdict,
        raw={"source": "mtbench", "line": line, "turn": turn},
    )


def _agree_row(path, line: int, rec: dict, rater_kind: str | None) -> dict:
    """One agree-layout rating (a verdict, or a number for single-answer grading) as a `ratings` row."""
    _need(path, line, rec, ("item_id", "rater", "rating"))
    rating = _text(rec["rating"])
    try:
        score, verdict = float(rating), None
    except ValueError:
        score, verdict = None, _verdict(path, line, "rating", rating)
    return dict(
        item_id=_text(rec["item_id"]),
        kind="single" if score is not None else "pairwise",
        rater=_text(rec["rater"]),
        rater_kind=rater_kind or _text(rec.get("rater_kind")) or "human",
        verdict=verdict if verdict else verdicts.GRADED,
        score=score,
        model_a=_text(rec.get("model_a")),
        model_b=_text(rec.get("model_b")),
        prompt=_text(rec.get("prompt")),
        raw={"line": line},
    )


def _native_row(path, line: int, rec: dict, rater_kind: str | None) -> dict:
    """One row in the `ratings` table's own columns, checked field by field."""
    _need(path, line, rec, ("item_id", "rater"))
    kind = _text(rec.get("kind")) or ("single" if _text(rec.get("score")) is not None else "pairwise")
    if kind not in ("pairwise", "single"):
        raise UserError(f"{path}:{line}: field 'kind' is {kind!r}, not pairwise or single")
    raw = rec.get("raw")
    if isinstance(raw, str) and raw.strip():
        try:
            raw = json.loads(raw)
        except ValueError:
            raise UserError(f"{path}:{line}: field 'raw' is not valid JSON") from None
    given = _text(rec.get("verdict"))
    row = dict(
        item_id=_text(rec["item_id"]),
        kind=kind,
        rater=_text(rec["rater"]),
        rater_kind=rater_kind or _text(rec.get("rater_kind")) or "human",
        verdict=given if given in (None, verdicts.GRADED) else _verdict(path, line, "verdict", given),
        score=_float(path, line, "score", rec.get("score")),
        raw=raw or None,
    )
    for f in ("prompt", "model_a", "model_b", "output_a", "output_b", "rationale", "order_shown", "session_id"):
        as_written = f in ("prompt", "output_a", "output_b", "rationale")  # texts keep their spaces
        row[f] = (rec.get(f) if rec.get(f) != "" else None) if as_written else _text(rec.get(f))
    if _text(rec.get("created_at")):
        try:
            row["created_at"] = dt.datetime.fromisoformat(str(rec["created_at"]).strip())
        except ValueError:
            raise UserError(
                f"{path}:{line}: field 'created_at' is {rec['created_at']!r}, not an ISO date-time"
            ) from None
    if row["verdict"] is None and row["score"] is None:
        raise UserError(f"{path}:{line}: neither 'verdict' nor 'score' is given")
    return row


_ROW = {"mtbench": _mtbench_row, "agree": _agree_row, "native": _native_row}


def records_to_verdicts(
    path, records: Sequence[tuple[int, dict]], *, layout: str | None = None, rater_kind: str | None = None
) -> tuple[str, list[dict]]:
    """Turn read records into `ratings` rows (no store involved); returns (layout, rows)."""
    if not records:
        raise UserError(f"{path}: no ratings in the file")
    layout = layout or detect_layout(list(records[0][1].keys()), path)
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r}", hint=f"use one of {', '.join(LAYOUTS)}")
    rows = []
    for line, rec in records:
        rows.append(_ROW[layout](path, line, rec, rater_kind))
        if rows[-1]["rater_kind"] not in ("human", "llm"):
            raise UserError(f"{path}:{line}: rater_kind is {rows[-1]['rater_kind']!r}, not human or llm")
    _refuse_self_battles(path, records, rows)
    return layout, rows


def _refuse_self_battles(path, records: Sequence[tuple[int, dict]], rows: Sequence[dict]) -> None:
    """A verdict between a model and itself is refused as `evalkit ratings` and `battles import` refuse it."""
    same = [
        (f"{path}:{line}", r["model_a"])
        for (line, _), r in zip(records, rows)
        if r.get("model_a") and r["model_a"] == r.get("model_b")
    ]
    if same:
        from evalkit.ratings.checks import self_battles
        from workbench.errors import user_error

        raise user_error(self_battles(same))


def import_verdicts(
    store: Store, path: str | os.PathLike, *, layout: str | None = None, rater_kind: str | None = None
) -> dict:
    """Read a verdicts file and insert every row into `ratings` in one transaction, under a run of kind "judge"
    named after the file. Nothing is written when any line is bad."""
    records = read_records(path)
    layout, rows = records_to_verdicts(path, records, layout=layout, rater_kind=rater_kind)
    run_id = store.start_run("judge", f"import {Path(path).name}", config={"source": str(path), "layout": layout})
    keys = {k for r in rows for k in r} | {"run_id"}
    rows = [{k: r.get(k) for k in keys} for r in rows]  # one key set: executemany needs uniform rows
    for r in rows:
        r["run_id"] = r["run_id"] or run_id
        if r.get("created_at") is None:
            r.pop("created_at", None)
    store.insert(schema.ratings, rows)
    raters = sorted({r["rater"] for r in rows})
    store.finish_run(run_id, summary={"ratings": len(rows), "raters": raters, "layout": layout})
    return {
        "run_id": run_id,
        "layout": layout,
        "ratings": len(rows),
        "raters": raters,
        "items": len({r["item_id"] for r in rows}),
    }


# --------------------------------------------------------------------------------------- rows → layouts
def verdicts_to_agree_rows(rows: Sequence[dict]) -> list[dict]:
    """`ratings` rows → the agree layout (item_id, rater, rating, rater_kind), plus rating_swapped (the second
    order's verdict mapped back) and len_a/len_b when the rows carry them, for position and verbosity figures."""
    out = []
    for r in rows:
        rating = r.get("verdict")
        if r.get("score") is not None and rating in (None, verdicts.GRADED):
            rating = f"{r['score']:g}"
        rec = {"item_id": r["item_id"], "rater": r["rater"], "rating": rating, "rater_kind": r.get("rater_kind")}
        per_order = (r.get("raw") or {}).get("per_order") if isinstance(r.get("raw"), dict) else None
        if per_order and len(per_order) == 2:
            rec["rating_first"] = per_order[0].get("mapped")
            rec["rating_swapped"] = per_order[1].get("mapped")
        if r.get("output_a") is not None and r.get("output_b") is not None:
            rec["len_a"], rec["len_b"] = len(r["output_a"]), len(r["output_b"])
        out.append(rec)
    return out


def agree_table(paths: Sequence[str | os.PathLike]):
    """The long table `evalkit.agreement.agreement_report` reads, pooled from verdict files in any layout; its
    `_line` column names each rating's file:line for error messages."""
    import pandas as pd

    frames = []
    for path in paths:
        records = read_records(path)
        layout, rows = records_to_verdicts(path, records)
        if layout == "agree":
            recs = [{**r, "_line": f"{path}:{n}"} for n, r in records]
        else:
            recs = [
                {**a, "_line": f"{path}:{r['raw'].get('line', '?') if isinstance(r.get('raw'), dict) else '?'}"}
                for r, a in zip(rows, verdicts_to_agree_rows(rows))
            ]
        frames.append(pd.DataFrame(recs))
    return pd.concat(frames, ignore_index=True)


def _mtbench_rows(rows: Sequence[dict]) -> list[dict]:
    out = []
    for r in rows:
        if r.get("kind") != "pairwise" or r.get("verdict") not in verdicts.WINNER:
            continue
        raw = r.get("raw") if isinstance(r.get("raw"), dict) else {}
        qid = str(r["item_id"]).split("/t", 1)[0] if raw.get("source") == "mtbench" else r["item_id"]
        out.append(
            {
                "question_id": qid,
                "model_a": r.get("model_a"),
                "model_b": r.get("model_b"),
                "winner": verdicts.to_winner(r["verdict"]),
                "judge": r["rater"],
                "turn": raw.get("turn", 1),
            }
        )
    return out


def _csv_value(v):
    """A value as a CSV cell: dicts and lists as JSON, date-times in ISO format."""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return v.isoformat() if isinstance(v, dt.datetime) else v


def write_records(path: str | os.PathLike, records: Sequence[dict], fields: Sequence[str] | None = None) -> None:
    """Write records as JSONL, a JSON array or CSV/TSV (by extension), atomically (workbench.atomic)."""
    path = Path(path)
    suffix = path.suffix.lower()
    fields = list(fields or dict.fromkeys(k for r in records for k in r))
    if suffix not in SUFFIXES:
        raise UserError(f"{path}: unknown ratings file type {path.suffix or '(none)'}", hint="use .jsonl or .csv")
    with atomic_file(path, "w", newline="") as f:
        if suffix in (".csv", ".tsv"):
            w = csv.DictWriter(
                f,
                fieldnames=fields,
                extrasaction="ignore",
                lineterminator="\n",
                delimiter="\t" if suffix == ".tsv" else ",",
            )
            w.writeheader()
            for r in records:
                w.writerow({k: _csv_value(v) for k, v in r.items()})
        elif suffix == ".json":  # one array, so the file reads back as JSON (one object per line would not)
            json.dump([{k: r.get(k) for k in fields} for r in records], f, ensure_ascii=False, indent=1, default=str)
            f.write("\n")
        else:
            for r in records:
                f.write(json.dumps({k: r.get(k) for k in fields}, ensure_ascii=False, default=str) + "\n")


def export_verdicts(
    store: Store,
    path: str | os.PathLike,
    *,
    layout: str = "native",
    run_id: str | None = None,
    rater_kind: str | None = None,
    kind: str | None = None,
) -> int:
    """Write the `ratings` table of verdicts (optionally one run / rater kind / kind) to a JSONL or CSV file."""
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r}", hint=f"use one of {', '.join(LAYOUTS)}")
    rows = read_ratings(store, run_id=run_id, kind=kind, rater_kind=rater_kind)
    if layout == "native":
        records, fields = rows, NATIVE_FIELDS
    elif layout == "agree":
        records = verdicts_to_agree_rows(rows)
        fields = [
            f
            for f in (*AGREE_FIELDS, "rating_first", "rating_swapped", "len_a", "len_b")
            if any(f in r for r in records)
        ]
    else:
        records, fields = _mtbench_rows(rows), MTBENCH_FIELDS
    write_records(path, records, fields)
    return len(records)
