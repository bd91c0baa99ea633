"""Per-record quality, pair, language and generated-text signals; one registry maps YAML names to units.

A signal is called on a `Record` and answers None (keep) or a stable snake_case reason code.
"""

from __future__ import annotations

from curate.signals.base import REGISTRY, Doc, Record, Signal, build_signals, flag_rules, register, signal_config
from curate.signals.generated import LlmBoilerplate, template_uniformity
from curate.signals.language import ScriptSignal
from curate.signals.pair import (
    AnswerRepeatsQuestion,
    EmptyField,
    HtmlRemnant,
    Mojibake,
    Placeholder,
    SymbolSoup,
    TemplateToken,
    Truncated,
    UrlOnly,
)
from curate.signals.quality import Boilerplate, C4Rules, FineWebRules, GopherQuality, GopherRepetition
from curate.signals.script import dominant_script, ends_sentence, language

__all__ = [
    "REGISTRY",
    "Doc",
    "Record",
    "Signal",
    "build_signals",
    "register",
    "signal_config",
    "flag_rules",
    "default_signals",
    "evaluate",
    "template_uniformity",
    "dominant_script",
    "language",
    "ends_sentence",
    "CATEGORY",
    "USABLE_REASONS",
    "AnswerRepeatsQuestion",
    "Boilerplate",
    "C4Rules",
    "EmptyField",
    "FineWebRules",
    "GopherQuality",
    "GopherRepetition",
    "HtmlRemnant",
    "LlmBoilerplate",
    "Mojibake",
    "Placeholder",
    "ScriptSignal",
    "SymbolSoup",
    "TemplateToken",
    "Truncated",
    "UrlOnly",
]

DEFAULT_SIGNALS = (
    "empty_field",
    "answer_repeats_question",
    "truncated",
    "html_remnant",
    "template_token",
    "mojibake",
    "placeholder",
    "url_only",
    "symbol_soup",
    "gopher_quality",
    "gopher_repetition",
    "c4",
    "fineweb",
    "boilerplate",
    "llm_boilerplate",
    "script",
)

# Report categories per reason code: the summary counts records per category.
CATEGORY: dict[str, str] = {r: "generated" for r in LlmBoilerplate.reasons}
CATEGORY.update({"html_remnant": "html", "truncated": "truncated", "unexpected_script": "language"})
# the trainability stage's codes (curate.stages.trainable): a fact about the record under a training length, not
# about the data's quality, so the quality verdict leaves them out (report.json summary counts them on their own)
CATEGORY.update({"untrainable": "trainability", "answer_truncated": "trainability"})
# Reasons that leave a record usable: a partly cut answer still trains on what fits (the audit counts such a record
# as neither flagged nor lost)
USABLE_REASONS = frozenset({"answer_truncated"})


def default_signals() -> list[Signal]:
    """Every registered signal at its default thresholds, in report order."""
    return [REGISTRY[name]() for name in DEFAULT_SIGNALS]


def evaluate(signals: list[Signal], prompt: str, answer: str, kind: str = "pair") -> list[str]:
    """The reason codes `signals` give one record (empty list: keep)."""
    rec = Record(prompt, answer, kind)
    out = []
    for s in signals:
        r = s(rec)
        if r is not None:
            out.append(r)
    return out
