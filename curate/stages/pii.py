"""The PII stage: a per-record unit over curate.pii's detectors."""

from __future__ import annotations

import re

from curate.pii import find_pii
from curate.signals import Record
from curate.stages.base import NONE, Collected, RecordStage

__all__ = ["Pii"]

_PII_HINT = re.compile(r"[\d@]")


class Pii(RecordStage):
    """PII in each record's prompt and answer (curate.pii: emails, phones, cards by layout, issuer range and Luhn,
    IPs, API keys, Korean RRNs by checksum; a Hangul particle glued to a value ends it), as kinds per record and a few
    masked examples; only texts with a digit or an '@' are searched. Precision and recall per kind on a labelled
    Korean/English set: benchmarks/bench_pii.py."""

    name = "pii"

    def __init__(self, examples: int = 200):
        self.examples = examples

    def record(self, rec: Record, i: int, line: int, col: Collected) -> None:
        kinds: list[str] = []
        for side, text in (("prompt", rec.prompt.text), ("answer", rec.answer.text)):
            if not text or not _PII_HINT.search(text):
                continue  # every PII kind has a digit or an '@' (keys/secrets too: long mixed tokens)
            for f in find_pii(text):
                kinds.append(f.kind)
                col.pii_kinds[f.kind] += 1
                if len(col.pii_examples) < self.examples:
                    col.pii_examples.append(
                        {"index": i, "line": line, "field": side, "kind": f.kind, "masked": f.masked}
                    )
        col.pii.append(sorted(set(kinds)) if kinds else NONE)
