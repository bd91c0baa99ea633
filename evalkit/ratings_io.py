"""Import and export human and LLM ratings (JSONL/CSV) into and out of the results store's `ratings` table.

Three layouts, recognised by their columns:
- native: the `ratings` columns (item_id, rater, rater_kind, kind, verdict, score, model_a, model_b, ...);
- agree: item_id, rater, rating[, rater_kind] — what `evalkit agree` reads;
- mtbench: MT-Bench's human-judgment layout question_id, model_a, model_b, winner, judge, turn
  (winner model_a|model_b|tie|tie (bothbad); Zheng et al. 2023, data released with FastChat's llm_judge).
Every error names file:line and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from workbench.errors import UserError
from workbench.store import Store, schema

__all__ = [
    "LAYOUTS",
    "detect_layout",
    "export_ratings",
    "import_ratings",
    "ratings_to_agree_rows",
    "read_records",
    "records_to_ratings",
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
VERDICTS = ("A", "B", "tie", "bothbad", "pass", "fail", "unparsed")
_MTBENCH_TO_VERDICT = {"model_a": "A", "model_b": "B", "tie": "tie", "tie (bothbad)": "bothbad"}
_VERDICT_TO_MTBENCH = {v: k for k, v in _MTBENCH_TO_VERDICT.items()}
_VERDICT_ALIASES = {
    "a": "A",
    "b": "B",
    "tie": "tie",
    "c": "tie",
    "bothbad": "bothbad",
    "both_bad": "bothbad",
    "both bad": "bothbad",
    "tie (bothbad)": "bothbad",
    "model_a": "A",
    "model_b": "B",
    "pass": "pass",
    "fail": "fail",
    "unparsed": "unparsed",
}
_LLM_JUDGE = re.compile(r"gpt|claude|llama|llm|gemini|mistral|qwen|default|openai:", re.IGNORECASE)


# ------------------------------------------------------------------------------------------------- reading
def read_records(path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    """(line number, record) from a .jsonl/.json (one object per line) or .csv/.tsv file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    suffix = path.suffix.lower()
    with path.open(encoding="utf-8-sig", newline="") as f:
        if suffix in (".csv", ".tsv"):
            reader = csv.DictReader(f, delimiter="\t" if suffix == ".tsv" else ",")
            if not reader.fieldnames:
                raise UserError(f"{path}:1: empty file, expected a header row")
            try:
                for row in reader:
                    if None in row:
                        raise UserError(
                            f"{path}:{reader.line_num}: more fields than the header has",
                            hint="quote fields that contain commas",
                        )
                    yield reader.line_num, {k.strip(): v for k, v in row.items() if k is not None}
            except csv.Error as e:
                raise UserError(f"{path}:{reader.line_num}: bad CSV: {e}") from e
        elif suffix in (".jsonl", ".json", ".ndjson"):
            for n, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    raise UserError(
                        f"{path}:{n}: not valid JSON ({e.msg} at column {e.colno})",
                        hint="the file must hold one JSON object per line (JSONL)",
                    ) from e
                if not isinstance(obj, dict):
                    raise UserError(f"{path}:{n}: expected a JSON object, found {type(obj).__name__}")
                yield n, obj
        else:
            raise UserError(f"{path}: unknown ratings file type {suffix or '(none)'}", hint="use .jsonl or .csv")


def detect_layout(fields: Sequence[str]) -> str:
    """Which layout a header (or first record's keys) is in."""
    have = set(fields)
    if {"question_id", "model_a", "model_b", "winner", "judge"} <= have:
        return "mtbench"
    if {"item_id", "rater", "rating"} <= have:
        return "agree"
    if {"item_id", "rater"} <= have and ({"verdict", "score"} & have):
        return "native"
    raise UserError(
        f"unrecognised ratings columns: {', '.join(sorted(have))}",
        hint="use item_id,rater,rating (agree layout), the ratings table's columns, or MT-Bench's "
        "question_id,model_a,model_b,winner,judge,turn",
    )


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
    got = _VERDICT_ALIASES.get(s.lower())
    if got is None:
        raise UserError(
            f"{path}:{line}: field {field!r} is {s!r}, not one of {', '.join(VERDICTS)}",
            hint="pairwise verdicts are A/B/tie/bothbad (or model_a/model_b), single ones pass/fail",
        )
    return got


def _need(path, line, rec, fields):
    for f in fields:
        if _text(rec.get(f)) is None:
            raise UserError(f"{path}:{line}: missing field {f!r}")


def records_to_ratings(
    path, records: Sequence[tuple[int, dict]], *, layout: str | None = None, rater_kind: str | None = None
) -> tuple[str, list[dict]]:
    """Turn read records into `ratings` rows (no store involved); returns (layout, rows)."""
    if not records:
        raise UserError(f"{path}: no ratings in the file")
    layout = layout or detect_layout(list(records[0][1].keys()))
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r}", hint=f"use one of {', '.join(LAYOUTS)}")
    rows = []
    for line, rec in records:
        if layout == "mtbench":
            _need(path, line, rec, ("question_id", "model_a", "model_b", "winner", "judge"))
            winner = _text(rec["winner"]).lower()
            if winner not in _MTBENCH_TO_VERDICT:
                raise UserError(
                    f"{path}:{line}: field 'winner' is {rec['winner']!r}, not one of {', '.join(_MTBENCH_TO_VERDICT)}"
                )
            verdict = _MTBENCH_TO_VERDICT[winner]
            a, b = _text(rec["model_a"]), _text(rec["model_b"])
            if a > b:  # one canonical order per model pair, so every judge's vote on it is the same item
                a, b = b, a
                verdict = {"A": "B", "B": "A"}.get(verdict, verdict)
            turn = _text(rec.get("turn")) or "1"
            judge = _text(rec["judge"])
            kind = rater_kind or ("llm" if _LLM_JUDGE.search(judge) else "human")
            rows.append(
                dict(
                    item_id=f"{_text(rec['question_id'])}/t{turn}/{a} vs {b}",
                    kind="pairwise",
                    model_a=a,
                    model_b=b,
                    rater=judge,
                    rater_kind=kind,
                    verdict=verdict,
                    raw={"source": "mtbench", "line": line, "turn": turn},
                )
            )
        elif layout == "agree":
            _need(path, line, rec, ("item_id", "rater", "rating"))
            rating = _text(rec["rating"])
            try:
                score, verdict = float(rating), None
            except ValueError:
                score, verdict = None, _verdict(path, line, "rating", rating)
            rows.append(
                dict(
                    item_id=_text(rec["item_id"]),
                    kind="single" if score is not None else "pairwise",
                    rater=_text(rec["rater"]),
                    rater_kind=rater_kind or _text(rec.get("rater_kind")) or "human",
                    verdict=verdict if verdict else "score",
                    score=score,
                    model_a=_text(rec.get("model_a")),
                    model_b=_text(rec.get("model_b")),
                    prompt=_text(rec.get("prompt")),
                    raw={"line": line},
                )
            )
        else:
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
            row = dict(
                item_id=_text(rec["item_id"]),
                kind=kind,
                rater=_text(rec["rater"]),
                rater_kind=rater_kind or _text(rec.get("rater_kind")) or "human",
                verdict=_verdict(path, line, "verdict", rec.get("verdict"))
                if _text(rec.get("verdict")) not in (None, "score")
                else _text(rec.get("verdict")),
                score=_float(path, line, "score", rec.get("score")),
                raw=raw or None,
            )
            for f in ("prompt", "model_a", "model_b", "output_a", "output_b", "rationale", "order_shown", "session_id"):
                row[f] = (
                    _text(rec.get(f))
                    if f not in ("prompt", "output_a", "output_b", "rationale")
                    else (rec.get(f) if rec.get(f) not in ("",) else None)
                )
            if _text(rec.get("created_at")):
                try:
                    row["created_at"] = dt.datetime.fromisoformat(str(rec["created_at"]).strip())
                except ValueError:
                    raise UserError(
                        f"{path}:{line}: field 'created_at' is {rec['created_at']!r}, not an ISO date-time"
                    ) from None
            if row["verdict"] is None and row["score"] is None:
                raise UserError(f"{path}:{line}: neither 'verdict' nor 'score' is given")
            rows.append(row)
        if rows[-1]["rater_kind"] not in ("human", "llm"):
            raise UserError(f"{path}:{line}: rater_kind is {rows[-1]['rater_kind']!r}, not human or llm")
    return layout, rows


def import_ratings(
    store: Store, path: str | os.PathLike, *, layout: str | None = None, rater_kind: str | None = None
) -> dict:
    """Read a ratings file and insert every row into `ratings` in one transaction, under a run of kind "judge"
    named after the file. Nothing is written when any line is bad."""
    records = list(read_records(path))
    layout, rows = records_to_ratings(path, records, layout=layout, rater_kind=rater_kind)
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


# ------------------------------------------------------------------------------------------------- writing
def ratings_to_agree_rows(rows: Sequence[dict]) -> list[dict]:
    """`ratings` rows → the agree layout (item_id, rater, rating, rater_kind), plus rating_swapped (the second
    order's verdict mapped back) and len_a/len_b when the rows carry them, for position and verbosity figures."""
    out = []
    for r in rows:
        rating = r.get("verdict")
        if r.get("score") is not None and rating in (None, "score"):
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


def _mtbench_rows(rows: Sequence[dict]) -> list[dict]:
    out = []
    for r in rows:
        if r.get("kind") != "pairwise" or r.get("verdict") not in _VERDICT_TO_MTBENCH:
            continue
        raw = r.get("raw") if isinstance(r.get("raw"), dict) else {}
        qid = str(r["item_id"]).split("/t", 1)[0] if raw.get("source") == "mtbench" else r["item_id"]
        out.append(
            {
                "question_id": qid,
                "model_a": r.get("model_a"),
                "model_b": r.get("model_b"),
                "winner": _VERDICT_TO_MTBENCH[r["verdict"]],
                "judge": r["rater"],
                "turn": raw.get("turn", 1),
            }
        )
    return out


def write_records(path: str | os.PathLike, records: Sequence[dict], fields: Sequence[str] | None = None) -> None:
    """Write records as JSONL or CSV (by extension), atomically (temp file + os.replace)."""
    path = Path(path)
    fields = list(fields or dict.fromkeys(k for r in records for k in r))
    buf = io.StringIO()
    if path.suffix.lower() in (".csv", ".tsv"):
        w = csv.DictWriter(
            buf,
            fieldnames=fields,
            extrasaction="ignore",
            lineterminator="\n",
            delimiter="\t" if path.suffix.lower() == ".tsv" else ",",
        )
        w.writeheader()
        for r in records:
            w.writerow(
                {
                    k: json.dumps(v, ensure_ascii=False)
                    if isinstance(v, (dict, list))
                    else (v.isoformat() if isinstance(v, dt.datetime) else v)
                    for k, v in r.items()
                }
            )
    elif path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for r in records:
            buf.write(json.dumps({k: r.get(k) for k in fields}, ensure_ascii=False, default=str) + "\n")
    else:
        raise UserError(f"{path}: unknown ratings file type {path.suffix or '(none)'}", hint="use .jsonl or .csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(buf.getvalue())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_ratings(
    store: Store,
    path: str | os.PathLike,
    *,
    layout: str = "native",
    run_id: str | None = None,
    rater_kind: str | None = None,
    kind: str | None = None,
) -> int:
    """Write the `ratings` table (optionally one run / rater kind / kind) to a JSONL or CSV file."""
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r}", hint=f"use one of {', '.join(LAYOUTS)}")
    from evalkit.judges.record import read_ratings

    rows = read_ratings(store, run_id=run_id, kind=kind, rater_kind=rater_kind)
    if layout == "native":
        records, fields = rows, NATIVE_FIELDS
    elif layout == "agree":
        records = ratings_to_agree_rows(rows)
        fields = [
            f
            for f in (*AGREE_FIELDS, "rating_first", "rating_swapped", "len_a", "len_b")
            if any(f in r for r in records)
        ]
    else:
        records, fields = _mtbench_rows(rows), MTBENCH_FIELDS
    write_records(path, records, fields)
    return len(records)
