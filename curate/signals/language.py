"""The language signal: flags answers written in another script than the set's (detection in curate.signals.script)."""

from __future__ import annotations

from curate.signals.base import Record, Signal, register
from curate.signals.script import script_counts

__all__ = ["ScriptSignal"]


@register
class ScriptSignal(Signal):
    """Flags answers whose script is not `expected` (e.g. "hangul" for a Korean set); off when expected is None."""

    name = "script"
    axis = "language"
    reasons = ("unexpected_script",)

    expected: str | None = None
    min_letters: int = 10

    def __call__(self, rec: Record) -> str | None:
        if self.expected is None:
            return None
        doc = rec.answer
        if sum(script_counts(doc.text).values()) < self.min_letters:
            return None
        return "unexpected_script" if doc.script != self.expected else None
