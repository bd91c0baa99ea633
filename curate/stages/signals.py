"""The per-record signals stage: every record through curate.signals' units (Gopher, C4, FineWeb rules, the pair
checks, generated-text markers, each citing its source in its own module), as datatrove runs its filters; here a flag
annotates the record instead of dropping it (`curate clean` drops)."""

from __future__ import annotations

from curate.signals import Record, build_signals, default_signals
from curate.stages.base import NONE, Batch, Collected, RecordStage, Run

__all__ = ["Signals"]


class Signals(RecordStage):
    """The reason codes `signals` (YAML specs; None: every default signal) give each record, and up to `examples`
    example records per reason code for the report."""

    name = "signals"

    def __init__(self, signals: list | None = None, examples: int = 3):
        self.signals = signals
        self.examples = examples
        self.units = default_signals() if signals is None else build_signals(signals)

    def record(self, rec: Record, i: int, line: int, col: Collected) -> None:
        reasons = []
        for s in self.units:
            r = s(rec)
            if r is not None:
                reasons.append(r)
        col.reasons.append(reasons or NONE)

    def begin(self, run: Run) -> None:
        self._examples: dict[str, list[dict]] = {}

    def add(self, batch: Batch) -> None:
        for i, rs in enumerate(batch.reasons):
            for r in rs:
                lst = self._examples.setdefault(r, [])
                if len(lst) < self.examples:
                    lst.append(
                        {
                            "line": int(batch.lines[i]),
                            "prompt": batch.prompts[i][:160],
                            "answer": batch.answers[i][-240:],
                        }
                    )

    def report(self, run: Run) -> None:
        run.sections["examples"] = self._examples
