"""Until curate's io/fields land: a minimal stand-in with the INTERFACES.md contract, installed only when missing."""
from __future__ import annotations

import csv
import json
import sys
import types
from dataclasses import dataclass


def install() -> None:
    try:
        import curate.fields  # noqa: F401
        import curate.io  # noqa: F401
        return
    except ImportError:
        pass

    def read_rows(path, *, skip_bad=False, stats=None):
        path = str(path)
        if path.endswith(".csv"):
            with open(path, newline="", encoding="utf-8") as fh:
                yield from csv.DictReader(fh)
        else:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)

    @dataclass
    class FieldMap:
        kind: str
        question: str | None = None
        answer: str | None = None
        input: str | None = None
        system: str | None = None
        messages: str | None = None
        text: str | None = None
        label: str | None = None

    def detect_fields(columns, overrides=None):
        o = overrides or {}
        low = {c.lower(): c for c in columns}
        q = o.get("question") or next((low[k] for k in ("q", "question", "instruction", "prompt") if k in low), None)
        a = o.get("answer") or next((low[k] for k in ("a", "answer", "output", "response") if k in low), None)
        return FieldMap("pair" if q else "text", question=q, answer=a)

    def to_pair(row, fmap):
        return row[fmap.question], row[fmap.answer]

    io = types.ModuleType("curate.io")
    io.read_rows = read_rows
    fields = types.ModuleType("curate.fields")
    fields.detect_fields, fields.to_pair, fields.FieldMap = detect_fields, to_pair, FieldMap
    sys.modules["curate.io"], sys.modules["curate.fields"] = io, fields
    import curate

    curate.io, curate.fields = io, fields
