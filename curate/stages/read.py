"""The read stage: rows in, records out, through the one tabular reader (workbench.tabular: every format, file:line
errors, --skip-bad). datatrove's readers play this part."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np

from curate.fields import FieldMap, FieldTypeError, detect_fields, prompt_text, to_pair
from curate.signals import Record
from curate.stages.base import Batch, Collected, RecordStage, Run, Stage, TextStream, field_names
from workbench import tabular as io
from workbench.errors import UserError

__all__ = ["CHUNK", "Read", "chunks"]

CHUNK = 5_000  # records per chunk: what one stage call sees in pass 1


def chunks(rows: Iterator, size: int = CHUNK) -> Iterator[list]:
    """`rows` in lists of `size`."""
    buf = []
    for r in rows:
        buf.append(r)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


class Read(Stage):
    """Rows → records: fields detected from the first chunk's columns (curate.fields; `fields` overrides), each row's
    prompt text, answer, label and script; a row whose field has the wrong type stops the audit naming file:line, or
    is counted and skipped with `skip_bad`. Keeps the characters per record; pass 2 re-reads records by index."""

    name = "read"

    def __init__(self, fields: dict | None = None, skip_bad: bool = False, max_record_bytes: int = io.MAX_RECORD_BYTES):
        self.fields = fields
        self.skip_bad = skip_bad
        self.max_record_bytes = max_record_bytes

    def rows(self, path: str | os.PathLike, stats: dict | None = None, *, skip_bad: bool | None = None) -> Iterator:
        """(line, row) of one file, as the audit reads it."""
        skip = self.skip_bad if skip_bad is None else skip_bad
        return io.read_numbered(path, skip_bad=skip, stats=stats, max_record_bytes=self.max_record_bytes)

    def detect(self, chunk: list, path: str | os.PathLike | None = None) -> FieldMap:
        """The field roles from the columns of the first chunk of rows (of the file `path`, named in errors)."""
        source = None if path is None else os.fspath(path)
        return detect_fields(list(dict.fromkeys(k for _, r in chunk for k in r)), self.fields, source=source)

    def map_chunk(self, chunk: list, col: Collected, units: Sequence[RecordStage], path) -> tuple[list[str], list[str]]:
        """One chunk of rows into `col`, each record through the per-record `units`; returns the (prompt texts,
        answers) of the records kept."""
        fmap = col.fmap
        prompts: list[str] = []
        answers: list[str] = []
        for line, row in chunk:
            try:
                prompt, answer = to_pair(row, fmap)
            except FieldTypeError as e:
                self._skip(col, f"{path}:{line}: {e.message}", e.hint)
                continue
            ptext = prompt_text(prompt)
            rec = Record(ptext, answer, fmap.kind)
            i = len(col.lines)
            col.lines.append(line)
            col.labels.append(None if fmap.label is None else row.get(fmap.label))
            for unit in units:
                unit.record(rec, i, line, col)
            col.scripts.append(rec.answer.script if answer.strip() else rec.prompt.script)
            prompts.append(ptext)
            answers.append(answer)
        col.pad()
        if col.keep_texts:
            col.prompts.extend(prompts)
            col.answers.extend(answers)
        return prompts, answers

    def _skip(self, col: Collected, msg: str, hint: str | None) -> None:
        if not self.skip_bad:
            raise UserError(msg, hint=hint) from None
        col.read_stats["skipped"] = col.read_stats.get("skipped", 0) + 1
        if len(col.read_stats.setdefault("errors", [])) < 20:
            col.read_stats["errors"].append(msg)

    def text_chunks(self, path, fmap: FieldMap, *, want: np.ndarray | None = None, size: int = CHUNK) -> TextStream:
        """Re-read `path` as the first pass did (the same bad rows skipped, so the same record indices) and yield
        (indices, prompts, answers) chunks of the records in `want` (sorted indices; None: every record)."""
        idx: list[int] = []
        ps: list[str] = []
        ans: list[str] = []
        i = w = 0
        for _, row in self.rows(path, skip_bad=True):
            try:
                prompt, answer = to_pair(row, fmap)
            except FieldTypeError:
                continue  # the first pass skipped it too (or stopped the audit)
            if want is None or (w < len(want) and want[w] == i):
                idx.append(i)
                ps.append(prompt_text(prompt))
                ans.append(answer)
                w += 1
                if len(idx) >= size:
                    yield np.asarray(idx, np.int64), ps, ans
                    idx, ps, ans = [], [], []
            i += 1
            if want is not None and w >= len(want):
                break
        if idx:
            yield np.asarray(idx, np.int64), ps, ans

    def begin(self, run: Run) -> None:
        self._chars: dict[str, list[np.ndarray]] = {"prompt_chars": [], "answer_chars": []}

    def add(self, batch: Batch) -> None:
        self._chars["prompt_chars"].append(np.fromiter(map(len, batch.prompts), np.int64, len(batch.prompts)))
        self._chars["answer_chars"].append(np.fromiter(map(len, batch.answers), np.int64, len(batch.answers)))

    def chars(self, which: str) -> np.ndarray:
        """Characters per record of the prompt or the answer side (`prompt_chars`, `answer_chars`)."""
        parts = self._chars[which]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def report(self, run: Run) -> None:
        col = run.col
        pname, aname = field_names(col.fmap)
        run.sections["input"] = {
            "path": str(run.path),
            "format": col.fmt,
            "fields": col.fmap.as_dict(),
            "kind": col.fmap.kind,
            "prompt_field": pname,
            "answer_field": aname,
            "skipped_rows": int(col.read_stats.get("skipped", 0)),
            "skip_errors": col.read_stats.get("errors", []),
        }
        run.columns.update(prompt_chars=self.chars("prompt_chars"), answer_chars=self.chars("answer_chars"))
