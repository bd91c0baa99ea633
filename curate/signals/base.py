"""The signal contract: a unit is called on one record and answers keep (None) or a stable snake_case reason.

Constructor keywords are the thresholds (None turns a rule off); `config()` gives them back so every unit
round-trips to the YAML that names it. The registry maps YAML names to units, once, for all signals.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from curate.signals.script import dominant_script
from workbench.errors import UserError

__all__ = ["Doc", "Record", "Signal", "REGISTRY", "register", "build_signals", "signal_config", "flag_rules"]

_WS = re.compile(r"\s+")
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
_CODE_LINE = re.compile(r"[;{}]\s*$|^\s*(?://|#include|import |def |class |public |private |return\b)")


class Doc:
    """One text with the analyses signals share, each computed once on first use."""

    __slots__ = ("text", "__dict__")

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def stripped(self) -> str:
        return self.text.strip()

    @cached_property
    def words(self) -> list[str]:
        return self.text.split()

    @cached_property
    def lines(self) -> list[str]:
        """Non-blank lines, right-stripped."""
        return [ln.rstrip() for ln in self.text.split("\n") if ln.strip()]

    @cached_property
    def script(self) -> str:
        return dominant_script(self.text)

    @cached_property
    def cjk(self) -> bool:
        """Hangul, Han or Kana text: word rules give way to character rules."""
        return self.script in ("hangul", "han", "kana")

    @cached_property
    def prose(self) -> Doc:
        """The text without code: fenced blocks removed, and the whole text when most lines look like code.
        Web-text rules (word lengths, line punctuation, n-gram repetition) measure prose, not source code."""
        if "```" in self.text:
            rest = _FENCE.sub("\n", self.text)
            return Doc(rest) if rest.strip() else _EMPTY
        lines = self.lines
        if len(lines) >= 3 and sum(bool(_CODE_LINE.search(ln)) for ln in lines) / len(lines) >= 0.5:
            return _EMPTY
        return self

    @cached_property
    def norm(self) -> str:
        """Lower-cased, whitespace-collapsed, for comparisons."""
        return _WS.sub(" ", self.text).strip().lower()


_EMPTY = Doc("")


class Record:
    """A prompt/answer pair as signals see it (for plain-text datasets the prompt is empty)."""

    __slots__ = ("prompt", "answer", "kind")

    def __init__(self, prompt: str, answer: str, kind: str = "pair"):
        self.prompt = Doc(prompt)
        self.answer = Doc(answer)
        self.kind = kind


class Signal:
    """Base class: subclasses set `name`, `axis` and `reasons`, implement `__call__`, and declare their keywords as
    annotated class attributes with their defaults: every subclass is made a dataclass, so its constructor stores
    them unchanged (derived state goes in `__post_init__`)."""

    name: ClassVar[str] = ""
    axis: ClassVar[str] = "quality"  # quality | generated | language
    reasons: ClassVar[tuple[str, ...]] = ()
    # Measured precision per reason: the share of its flags that were real defects on labelled real data, as the
    # latest run of benchmarks/bench_precision.py recorded it (tests/curate/test_severity.py keeps the two equal).
    # A reason missing here was not measured (None): `curate clean` sends what it flags to review, not to rejects.
    precision: ClassVar[dict[str, float | None]] = {}
    # Reasons that are the defect itself (an empty answer is missing data, whatever the record says): precision 1 by
    # definition, nothing to measure, so `curate clean` drops them.
    definite: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        dataclass(eq=False, repr=False)(cls)  # compared by identity, shown by `__repr__` below

    def __call__(self, rec: Record) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The keywords this unit was built with: `build_signals([{name: config()}])` rebuilds it."""
        params = inspect.signature(type(self).__init__).parameters
        return {
            k: _plain(getattr(self, k))
            for k, p in params.items()
            if k != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


REGISTRY: dict[str, type[Signal]] = {}


def register(cls: type[Signal]) -> type[Signal]:
    """Class decorator: make a signal available to recipes under its `name`."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"signal name {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


def build_signals(specs: list) -> list[Signal]:
    """Units from YAML: each item is a name, or {name: {keyword: value}} (or {name: null} for defaults)."""
    out = []
    for spec in specs:
        if isinstance(spec, str):
            name, kwargs = spec, {}
        elif isinstance(spec, dict) and len(spec) == 1:
            name, kwargs = next(iter(spec.items()))
            kwargs = kwargs or {}
        else:
            raise UserError(
                f"signal spec {spec!r} is not a name or a one-key mapping",
                hint="write e.g. `- truncated` or `- gopher_quality: {max_symbol_word_ratio: 0.1}`",
            )
        if name not in REGISTRY:
            raise UserError(f"unknown signal {name!r}", hint=f"known signals: {', '.join(sorted(REGISTRY))}")
        if not isinstance(kwargs, dict):
            raise UserError(f"signal {name!r}: settings must be a mapping, got {kwargs!r}", hint="e.g. {min_words: 3}")
        _check_settings(name, REGISTRY[name], kwargs)
        try:
            out.append(REGISTRY[name](**kwargs))
        except TypeError as e:
            allowed = list(REGISTRY[name]().config())
            raise UserError(f"signal {name!r}: {e}", hint=f"its settings: {', '.join(allowed) or '(none)'}") from None
    return out


_UNIT_SUFFIXES = ("_ratio", "_frac", "_share", "_similarity", "_thr")  # settings that are shares: in [0, 1]


def _check_settings(name: str, cls: type, kwargs: dict) -> None:
    """Each numeric setting a number of the right kind and range before any record is scored: switches are true or
    false, counts and lengths >= 0, shares and similarities in [0, 1]. Unknown keys are left to the constructor."""
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    for key, value in kwargs.items():
        if key not in defaults:
            continue
        default = defaults[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise UserError(
                    f"signal {name!r}: {key} {value!r} is not true or false", hint=f"e.g. {key}: {str(default).lower()}"
                )
            continue
        numeric = isinstance(default, (int, float)) or (default is None and key.startswith(("min_", "max_")))
        if not numeric or value is None:  # None turns a rule off
            continue
        share = key.endswith(_UNIT_SUFFIXES)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 <= value <= (1 if share else math.inf)
        ):
            limits = "a share in [0, 1]" if share else "a number >= 0"
            hint = f"e.g. {key}: {default}" if default is not None else f"give {limits}, or leave {key} out"
            raise UserError(f"signal {name!r}: {key} {value!r} is not {limits}", hint=hint)


_FIRST_SENTENCE = re.compile(r"(?<=\.)\s+(?=[A-Z])")


def _basis(cls: type[Signal], reason: str) -> str | None:
    """Where a reason's precision comes from."""
    if reason in cls.definite:
        return "definition"
    return "measured" if cls.precision.get(reason) is not None else None


def flag_rules(signals: list[Signal | type[Signal]]) -> dict[str, dict]:
    """Each reason code `signals` can give: the signal that gives it, its rule (the first sentence of the signal's
    docstring) and how sure a flag is (`precision`: measured, 1.0 for a `definite` reason, None where not measured)."""
    out = {}
    for s in signals:
        cls = s if isinstance(s, type) else type(s)
        rule = _FIRST_SENTENCE.split(" ".join((cls.__doc__ or "").split()), maxsplit=1)[0]
        for r in cls.reasons:
            sure = 1.0 if r in cls.definite else cls.precision.get(r)
            out[r] = {"signal": cls.name, "rule": rule, "precision": sure, "basis": _basis(cls, r)}
    return out


def signal_config(signals: list[Signal]) -> list[dict]:
    """The YAML-ready list that rebuilds `signals`."""
    return [{s.name: s.config()} for s in signals]
