"""The stage contract, after datatrove's `PipelineStep`: each stage is a small unit whose constructor keywords are its
config, run in order by an executor (curate.executor, curate.engine_ray) that owns the loop, the passes and the timing.

An audit reads a dataset at most a few times and keeps a few numbers per record in between, so a stage has hooks for
each moment rather than one `run(documents)`; every hook is optional:

- `begin(run)`: before the first pass (load a model, read the test set).
- `record(rec, i, line, col)`: per-record stages only (`RecordStage`), inside the read loop (on the workers under Ray).
- `add(batch)`: pass 1, every chunk of records in input order; keep numbers, never texts.
- `plan(run)`: set-level work before pass 2; returns the indices of the records whose texts the stage must see again.
- `take(idx, prompts, answers)`: pass 2, the re-read chunks (each stage keeps what it asked for).
- `finish(run)`: set-level work after pass 2 (may read every record once more, or ask for texts to show).
- `report(run)`: write the stage's report sections and per-record columns (every text asked for is in `run.texts`).
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from curate.fields import FieldMap
from curate.signals import Record

__all__ = ["NONE", "Batch", "Collected", "RecordStage", "Run", "Stage", "TextStream", "field_names", "record_text"]

NONE: list = []  # shared by every record without reasons / PII (a million empty lists cost ~60 MB); never mutated
TextStream = Iterator[tuple[np.ndarray, list[str], list[str]]]  # (record indices, prompts, answers) chunks


def record_text(prompt: str, answer: str, kind: str) -> str:
    """The text diversity and token figures are computed on: the text itself, or "question\\nanswer"."""
    return answer if kind == "text" else f"{prompt}\n{answer}"


def field_names(fmap: FieldMap) -> tuple[str, str]:
    """How the report names the prompt and answer sides of a record."""
    if fmap.kind == "text":
        return fmap.text, fmap.text
    if fmap.kind == "chat":
        return f"{fmap.messages} (prompt)", f"{fmap.messages} (final assistant turn)"
    return fmap.question, fmap.answer


@dataclass
class Collected:
    """What the first pass keeps: one entry per record (the texts only with `keep_texts`, for a caller that wants
    them all); `text_chunks(want=None)` re-reads (indices, prompts, answers) chunks for the later passes."""

    fmap: FieldMap
    fmt: str | None
    lines: list[int] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    labels: list[Any] = field(default_factory=list)
    reasons: list[list[str]] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    pii: list[list[str]] = field(default_factory=list)
    pii_examples: list[dict] = field(default_factory=list)
    pii_kinds: Counter = field(default_factory=Counter)
    read_stats: dict = field(default_factory=dict)
    keep_texts: bool = True
    text_chunks: Callable[..., TextStream] | None = None
    dataset: Any = None  # Ray engine: the (idx, prompt, text) dataset in the object store

    def pad(self) -> None:
        """Records a left-out per-record stage did not annotate get the shared empty list."""
        for column in (self.reasons, self.pii):
            column.extend([NONE] * (len(self.lines) - len(column)))


@dataclass
class Batch:
    """One chunk of pass 1: records `start` .. `start + len(answers) - 1`, with the reason codes signals gave them."""

    start: int
    lines: Sequence[int]
    prompts: list[str]
    answers: list[str]
    reasons: Sequence[list[str]]
    kind: str

    @cached_property
    def texts(self) -> list[str]:
        """Each record as one text (`record_text`), built once for every stage that needs it."""
        if self.kind == "text":
            return self.answers
        return [record_text(q, a, self.kind) for q, a in zip(self.prompts, self.answers)]


class Stage:
    """Base class: subclasses set `name` (the one `--skip` uses), store their keywords unchanged, override hooks."""

    name: ClassVar[str] = ""

    def begin(self, run: Run) -> None:
        pass

    def add(self, batch: Batch) -> None:
        pass

    def plan(self, run: Run) -> np.ndarray | None:
        return None

    def take(self, idx: np.ndarray, prompts: list[str], answers: list[str]) -> None:
        pass

    def finish(self, run: Run) -> None:
        pass

    def report(self, run: Run) -> None:
        pass

    def config(self) -> dict[str, Any]:
        """The keywords this stage was built with: `type(stage)(**stage.config())` rebuilds it."""
        params = inspect.signature(type(self).__init__).parameters
        return {k: getattr(self, k) for k, p in params.items() if k != "self" and p.kind == p.POSITIONAL_OR_KEYWORD}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.config().items())})"


class RecordStage(Stage):
    """A stage that looks at one record at a time inside the read loop; it appends its column to `col`."""

    def record(self, rec: Record, i: int, line: int, col: Collected) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class Run:
    """One dataset going through the stages: the first pass's per-record columns (`col`), the texts kept to show,
    the report's sections and the table's columns as stages write them. The executor makes it; stages read and fill it."""

    def __init__(self, path, config: dict | None = None):
        self.path, self.config = path, config or {}
        self.col: Collected | None = None
        self.n = 0
        self.lines = np.zeros(0, np.int64)
        self.texts: dict[int, tuple[str, str]] = {}  # index -> (prompt, answer) of the records a stage asked to keep
        self._need = np.zeros(0, bool)
        self.sections: dict[str, Any] = {}
        self.columns: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self.report: dict | None = None  # set by the verdicts stage
        self.table: dict | None = None

    def attach(self, col: Collected) -> None:
        self.col, self.n = col, len(col.lines)
        self.lines = np.asarray(col.lines, dtype=np.int64)
        self._need = np.zeros(self.n, bool)

    def need_texts(self, idx) -> None:
        """Keep these records' texts in `run.texts` when a later read passes them (or at the end, see `fetch`)."""
        idx = np.asarray(idx, np.int64)
        held = np.fromiter((int(i) in self.texts for i in idx.tolist()), bool, len(idx))
        self._need[idx[~held]] = True

    def needed(self) -> np.ndarray:
        return np.flatnonzero(self._need)

    def reread(self, want: np.ndarray | None = None) -> TextStream:
        """The records in `want` (sorted indices; None: all) read again, in chunks; texts asked for are kept."""
        for idx, prompts, answers in self.col.text_chunks(want=want):
            for j in np.flatnonzero(self._need[idx]).tolist():
                i = int(idx[j])
                self.texts[i] = (prompts[j], answers[j])
                self._need[i] = False
            yield idx, prompts, answers

    def fetch(self) -> None:
        """Read the texts still asked for and not passed by any read yet."""
        missing = self.needed()
        if len(missing):
            for _ in self.reread(missing):
                pass
