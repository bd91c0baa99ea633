"""Streaming readers and writers for the dataset formats curate accepts.

Every reader yields rows one at a time, so a file larger than memory is never loaded whole (except `.json` arrays,
which the JSON format itself forces). Bad input raises `UserError` naming `file:line`; with `skip_bad=True` the bad
row is skipped and counted in `stats` instead.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.atomic import atomic_dir, atomic_file
from workbench.errors import UserError

__all__ = ["MAX_RECORD_BYTES", "detect_format", "read_rows", "read_numbered", "write_rows"]

MAX_RECORD_BYTES = 16 * 1024 * 1024  # one record above this is refused (or skipped with --skip-bad)
_SUFFIX = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "text",
}
_MAX_ERRORS_KEPT = 20


def detect_format(path: str | os.PathLike) -> str:
    """The reader a path needs: by suffix, a `save_to_disk` folder, or `datasets` for anything else it can load."""
    p = Path(path)
    if p.is_dir():
        if (p / "dataset_info.json").exists() or (p / "state.json").exists() or (p / "dataset_dict.json").exists():
            return "arrow_dir"
        raise UserError(
            f"{p} is a folder but not a dataset saved with `datasets.save_to_disk`",
            hint="pass a .jsonl/.json/.csv/.tsv/.parquet file or a save_to_disk folder",
        )
    if p.suffix.lower() in _SUFFIX:
        return _SUFFIX[p.suffix.lower()]
    return "datasets" if p.suffix else "jsonl_or_csv"


def read_rows(path: str | os.PathLike, **options: Any) -> Iterator[dict]:
    """Stream the rows of a dataset file as dicts; `read_numbered` (same options) gives the line of each too."""
    for _line, row in read_numbered(path, **options):
        yield row


def read_numbered(
    path: str | os.PathLike,
    *,
    skip_bad: bool = False,
    stats: dict | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
    skip_option: str | None = "--skip-bad",
) -> Iterator[tuple[int, dict]]:
    """Stream `(line, row)` pairs. `line` is the 1-based line in text files and the 1-based row elsewhere.

    `stats` (a dict, filled in place): `rows` read, `skipped` bad rows, `errors` (the first few messages), `format`.
    `skip_option` is the caller's flag for skipping bad rows, offered in error hints (None: the caller has none).
    """
    p = Path(path)
    stats = stats if stats is not None else {}
    stats.update(rows=0, skipped=0, errors=[], format=None, skip_option=skip_option)
    if not p.exists():
        raise UserError(f"{p}: no such file or folder", hint="check the path")
    fmt = detect_format(p)
    if fmt == "jsonl_or_csv":
        fmt = _sniff(p)
    stats["format"] = fmt
    if p.is_file() and p.stat().st_size == 0:
        raise UserError(f"{p}: the file is empty (0 records)", hint="export the dataset again; nothing to audit")
    reader = {
        "jsonl": _read_jsonl,
        "json": _read_json,
        "csv": _read_csv,
        "tsv": _read_csv,
        "text": _read_text,
        "parquet": _read_parquet,
        "arrow_dir": _read_arrow_dir,
        "datasets": _read_datasets,
    }[fmt]
    for line, row in reader(p, fmt=fmt, skip_bad=skip_bad, stats=stats, max_record_bytes=max_record_bytes):
        stats["rows"] += 1
        yield line, row
    if stats["rows"] == 0:
        detail = f" ({stats['skipped']} bad rows skipped)" if stats["skipped"] else ""
        raise UserError(f"{p}: no records{detail}", hint="the file has no data rows; check it is the right export")


def _bad(stats: dict, skip_bad: bool, message: str, hint: str) -> None:
    """Raise for a bad row, or count it when skipping."""
    if not skip_bad:
        option = stats.get("skip_option", "--skip-bad")
        raise UserError(message, hint=hint + (f"; or pass {option} to skip bad rows and count them" if option else ""))
    stats["skipped"] += 1
    if len(stats["errors"]) < _MAX_ERRORS_KEPT:
        stats["errors"].append(message)


def _sniff(p: Path) -> str:
    with open(p, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "jsonl"
    if head.startswith(b"["):
        return "json"
    return "csv"


def _guess_encoding(raw: bytes) -> str | None:
    """The legacy encoding `raw` decodes as, if any: cp949 (Korean Windows) first, then cp1252 (Western Windows)."""
    for enc in ("cp949", "cp1252"):
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return None


def _encoding_hint(enc: str | None) -> str:
    """How to convert to UTF-8, from the encoding detected (not a fixed guess)."""
    if enc is None:
        return "find the file's encoding (e.g. `file -i FILE`) and convert it to UTF-8: `iconv -f ENCODING -t utf-8 in > out`"
    return f"convert the file to UTF-8, e.g. `iconv -f {enc} -t utf-8 in > out`"


def _decode(raw: bytes, where: str, stats: dict, skip_bad: bool) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        enc = _guess_encoding(raw)
        guess = f" (it decodes as {enc}: the file may be {enc}-encoded, or mix encodings)" if enc else ""
        _bad(stats, skip_bad, f"{where}: not valid UTF-8 at byte {e.start} of the line{guess}", _encoding_hint(enc))
        return None


def _first_bad_line(p: Path) -> tuple[int, int, str | None] | None:
    """(line, byte in that line, encoding it decodes as) of the first line of `p` that is not UTF-8."""
    with open(p, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as e:
                return lineno, e.start, _guess_encoding(raw)
    return None


def _not_utf8(p: Path, fallback_line: int) -> UserError:
    """A CSV that is not UTF-8, named at the first line that isn't (the text layer decodes in blocks, so the reader
    only knows roughly where it stopped)."""
    found = _first_bad_line(p)
    if found is None:
        return UserError(f"{p}:{fallback_line}: not valid UTF-8 near here", hint=_encoding_hint(None))
    line, byte, enc = found
    guess = f" (it decodes as {enc}: the file may be {enc}-encoded, or mix encodings)" if enc else ""
    return UserError(f"{p}:{line}: not valid UTF-8 at byte {byte} of the line{guess}", hint=_encoding_hint(enc))


_NUL_IN_CSV = "a NUL byte (\\x00): the file is binary, or a corrupt export"
_NUL_HINT = "remove NUL bytes, e.g. `tr -d '\\000' < in > out`, or re-export the file"


def _json_error(e: json.JSONDecodeError, text: str) -> tuple[str, str]:
    """(what is wrong, how to fix it) for a JSON decode error, whole: json's own message for a control character
    ends in a dangling "at", and a NUL byte deserves its name."""
    msg = e.msg[:-3] if e.msg.endswith(" at") else e.msg
    if "control character" not in msg or e.pos >= len(text):
        return msg, "fix or remove that line"
    ch = text[e.pos]
    if ch == "\x00":
        return (
            "a NUL byte (\\x00) inside a string, which JSON does not allow",
            "remove NUL bytes, e.g. `tr -d '\\000' < in > out`, or escape them as \\u0000",
        )
    return (
        f"an unescaped control character U+{ord(ch):04X} inside a string",
        "escape control characters inside strings (\\n, \\t, \\u00XX)",
    )


def _check_size(n: int, where: str, stats: dict, skip_bad: bool, limit: int) -> bool:
    if n <= limit:
        return True
    _bad(
        stats,
        skip_bad,
        f"{where}: one record is {n / 2**20:.1f} MB, over the {limit / 2**20:.0f} MB limit per record",
        "split or drop that record (an instruction pair that large is almost certainly an export error), "
        "or raise the limit with --max-record-mb",
    )
    return False


def _read_jsonl(p: Path, *, skip_bad: bool, stats: dict, max_record_bytes: int, **_) -> Iterator[tuple[int, dict]]:
    with open(p, "rb") as fh:
        bom = fh.read(3)
        if bom != b"\xef\xbb\xbf":
            fh.seek(0)
        if bom[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise UserError(f"{p}: the file is UTF-16 encoded", hint="convert it to UTF-8: `iconv -f utf-16 -t utf-8`")
        for lineno, raw in enumerate(fh, 1):
            where = f"{p}:{lineno}"
            if not raw.strip():
                continue
            if not _check_size(len(raw), where, stats, skip_bad, max_record_bytes):
                continue
            text = _decode(raw, where, stats, skip_bad)
            if text is None:
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as e:
                msg, hint = _json_error(e, text)
                _bad(stats, skip_bad, f"{where}: malformed JSON at character {e.pos + 1}: {msg}", hint)
                continue
            if not isinstance(row, dict):
                _bad(
                    stats,
                    skip_bad,
                    f"{where}: expected a JSON object per line, got {type(row).__name__}",
                    'write one object per line, e.g. {"question": ..., "answer": ...}',
                )
                continue
            yield lineno, row


def _read_json(p: Path, *, skip_bad: bool, stats: dict, max_record_bytes: int, **_) -> Iterator[tuple[int, dict]]:
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8(p, 1) from None
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as e:
        if e.msg == "Extra data" and text.lstrip().startswith("{"):  # JSON Lines saved as .json
            yield from _read_jsonl(p, skip_bad=skip_bad, stats=stats, max_record_bytes=max_record_bytes)
            return
        msg, hint = _json_error(e, text.lstrip("\ufeff"))
        raise UserError(f"{p}:{e.lineno}: malformed JSON at column {e.colno}: {msg}", hint=hint) from None
    if isinstance(data, dict):
        lists = [k for k, v in data.items() if isinstance(v, list)]
        if len(lists) != 1:
            raise UserError(
                f"{p}: expected a list of records (or an object holding one list), found keys {sorted(data)[:10]}",
                hint="save the records as a JSON array or JSON Lines",
            )
        data = data[lists[0]]
    if not isinstance(data, list):
        raise UserError(f"{p}: expected a JSON array of records, got {type(data).__name__}")
    for i, row in enumerate(data, 1):
        if not isinstance(row, dict):
            _bad(stats, skip_bad, f"{p}: record {i} is a {type(row).__name__}, not an object", "fix that record")
            continue
        yield i, row


def _read_csv(
    p: Path, *, fmt: str, skip_bad: bool, stats: dict, max_record_bytes: int, **_
) -> Iterator[tuple[int, dict]]:
    csv.field_size_limit(max(max_record_bytes * 4, 2**27))
    delimiter = "\t" if fmt == "tsv" else ","
    with open(p, "rb") as bfh:
        sample = bfh.read(2)
        if sample in (b"\xff\xfe", b"\xfe\xff"):
            raise UserError(f"{p}: the file is UTF-16 encoded", hint="convert it to UTF-8: `iconv -f utf-16 -t utf-8`")
    fh = io.TextIOWrapper(open(p, "rb"), encoding="utf-8-sig", errors="strict", newline="")
    with fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise _not_utf8(p, 1) from None
        header = [h.strip() for h in header]
        if any("\x00" in h for h in header):
            raise UserError(f"{p}:1: {_NUL_IN_CSV}", hint=_NUL_HINT)
        if len(set(header)) != len(header):
            dup = sorted({h for h in header if header.count(h) > 1})
            raise UserError(f"{p}:1: repeated column names {dup}", hint="give every column a distinct name")
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise _not_utf8(p, reader.line_num + 1) from None
            except csv.Error as e:
                raise UserError(
                    f"{p}:{start}: broken CSV quoting in the row starting here ({e}; reading stopped "
                    f"at line {reader.line_num})",
                    hint='a field that opens a double quote must close it; write a literal quote as ""',
                ) from None
            where, start = f"{p}:{start}", reader.line_num + 1
            if not values or (len(values) == 1 and not values[0].strip()):
                continue
            if len(values) != len(header):
                _bad(
                    stats,
                    skip_bad,
                    f"{where}: {len(values)} fields where the header has {len(header)} ({', '.join(header)})",
                    "quote fields that contain the delimiter",
                )
                continue
            if not _check_size(sum(len(v) for v in values), where, stats, skip_bad, max_record_bytes):
                continue
            nul = next((h for h, v in zip(header, values) if "\x00" in v), None)
            if nul is not None:  # Python's csv reads NUL bytes as text since 3.11; a NUL is a corrupt export
                _bad(stats, skip_bad, f"{where}: {_NUL_IN_CSV} (column {nul!r})", _NUL_HINT)
                continue
            yield int(where.rsplit(":", 1)[1]), dict(zip(header, values))


def _read_text(p: Path, *, skip_bad: bool, stats: dict, max_record_bytes: int, **_) -> Iterator[tuple[int, dict]]:
    with open(p, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            text = _decode(raw, f"{p}:{lineno}", stats, skip_bad)
            if text is not None and _check_size(len(raw), f"{p}:{lineno}", stats, skip_bad, max_record_bytes):
                yield lineno, {"text": text.rstrip("\r\n")}


def _read_parquet(p: Path, *, stats: dict, **_) -> Iterator[tuple[int, dict]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(p)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise UserError(
            f"{p}: not a readable Parquet file ({e})", hint="write it again with pandas or pyarrow"
        ) from None
    i = 0
    batches = pf.iter_batches(batch_size=4096)
    while True:
        try:  # a damaged page surfaces only when read: pyarrow's errors (and bad UTF-8 in a string column) vary
            batch = next(batches, None)
            rows = [] if batch is None else batch.to_pylist()
        except Exception as e:  # noqa: BLE001
            raise UserError(
                f"{p}: not a readable Parquet file after row {i} ({type(e).__name__}: {e})",
                hint="the file is damaged; write it again with pandas or pyarrow",
            ) from None
        if batch is None:
            return
        for row in rows:
            i += 1
            yield i, row


def _read_arrow_dir(p: Path, **_) -> Iterator[tuple[int, dict]]:
    import datasets

    ds = datasets.load_from_disk(str(p))
    if isinstance(ds, datasets.DatasetDict):
        split = "train" if "train" in ds else next(iter(ds))
        ds = ds[split]
    yield from enumerate(ds, 1)


def _read_datasets(p: Path, **_) -> Iterator[tuple[int, dict]]:
    import datasets

    builder = {".arrow": "arrow", ".gz": "json", ".xml": "xml"}.get(p.suffix.lower(), None)
    if builder is None:
        raise UserError(
            f"{p}: unknown file type {p.suffix!r}",
            hint="use .jsonl, .json, .csv, .tsv, .parquet, .txt, or a save_to_disk folder",
        )
    try:
        ds = datasets.load_dataset(builder, data_files=str(p), split="train", streaming=True)
    except Exception as e:  # noqa: BLE001
        raise UserError(f"{p}: the datasets loaders could not read it ({e})") from None
    yield from enumerate(ds, 1)


# -- writers (clean output in the input's format) -------------------------------------------------------------------
def write_rows(
    path: str | os.PathLike, rows: list[dict] | Iterator[dict], fmt: str, *, columns: list[str] | None = None
) -> Path:
    """Write rows in `fmt`, swapped into place whole (`workbench.atomic`), so a crash never leaves half a file."""
    path = Path(path)
    if fmt == "arrow_dir":
        import datasets

        with atomic_dir(path) as tmp:
            datasets.Dataset.from_list(list(rows)).save_to_disk(str(tmp))
        return path
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        with atomic_file(path, "wb") as fh:
            pq.write_table(pa.Table.from_pylist(list(rows)), fh)
        return path
    if fmt in ("csv", "tsv"):
        if not columns:
            rows = list(rows)
        cols = columns or list(dict.fromkeys(k for r in rows for k in r))
        with atomic_file(path, newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, delimiter="\t" if fmt == "tsv" else ",", extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        return path
    if fmt not in ("jsonl", "json", "text", "datasets"):
        raise UserError(f"cannot write format {fmt!r}")
    with atomic_file(path) as fh:
        if fmt == "json":
            json.dump(list(rows), fh, ensure_ascii=False, indent=1, default=str)
        elif fmt == "text":
            for r in rows:
                fh.write(str(r.get("text", "")) + "\n")
        else:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
    return path
