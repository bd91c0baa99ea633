"""Assertion types: one registry maps YAML names to small check functions returning a `Grade`.

A check is `fn(out: Output, *, <its YAML keys>) -> Grade`. Its keyword parameters are the YAML keys it accepts (the
ones without a default are required), so the registry validates a spec without a second list. `not-<type>` inverts
any check; `weight` weighs it in the case score.
"""
from __future__ import annotations

import inspect
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from evalkit.errors import UserError

__all__ = ["Check", "Grade", "Output", "REGISTRY", "assertion", "known_types", "parse_check"]


@dataclass(frozen=True)
class Grade:
    passed: bool
    score: float  # 0..1
    reason: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class Output:
    """What a check sees: the model's answer and everything around it."""

    text: str
    prompt: Any = ""
    vars: dict = field(default_factory=dict)
    latency_s: float = 0.0
    choice_lls: list | None = None  # [(loglikelihood, is_greedy)] per choice, for `choice`
    judge: Any = None  # a Model, for llm-rubric
    judge_spec: str | None = None
    lang: str = "en"
    store: Any = None
    allow_code: bool = False
    case_id: str = ""
    verdicts: dict | None = None  # judge verdicts computed ahead in one batch, by rubric text


@dataclass(frozen=True)
class Entry:
    name: str
    fn: Callable[..., Grade]
    params: tuple[str, ...]
    required: tuple[str, ...]
    needs: str  # output | loglikelihood | judge | code


REGISTRY: dict[str, Entry] = {}


def assertion(name: str, *, needs: str = "output"):
    """Register `fn` under `name`; its keyword-only parameters are the YAML keys it takes."""

    def deco(fn):
        sig = inspect.signature(fn)
        kw = [p for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]
        REGISTRY[name] = Entry(name, fn, tuple(p.name for p in kw),
                               tuple(p.name for p in kw if p.default is p.empty), needs)
        return fn

    return deco


def known_types() -> list[str]:
    return sorted(REGISTRY)


# -- the checks ----------------------------------------------------------------------------------------------------

def _grade(ok: bool, reason: str, data: dict | None = None) -> Grade:
    return Grade(bool(ok), 1.0 if ok else 0.0, reason, data or {})


def _as_list(value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


@assertion("equals")
def equals(out: Output, *, value, strip: bool = True) -> Grade:
    """Exact match (surrounding whitespace ignored unless strip: false)."""
    text, want = (out.text.strip(), str(value).strip()) if strip else (out.text, str(value))
    return _grade(text == want, f"expected {want!r}, got {text[:80]!r}")


def _contains(out: Output, value, mode: str, fold: bool) -> Grade:
    text = out.text.casefold() if fold else out.text
    wanted = _as_list(value)
    found = [w for w in wanted if (w.casefold() if fold else w) in text]
    ok = len(found) == len(wanted) if mode == "all" else bool(found)
    missing = [w for w in wanted if w not in found]
    return _grade(ok, f"found {found}" if ok else f"missing {missing if mode == 'all' else wanted}")


@assertion("contains")
def contains(out: Output, *, value) -> Grade:
    """The output contains `value` (case-sensitive)."""
    return _contains(out, value, "all", False)


@assertion("icontains")
def icontains(out: Output, *, value) -> Grade:
    """The output contains `value`, ignoring case."""
    return _contains(out, value, "all", True)


@assertion("contains-any")
def contains_any(out: Output, *, value) -> Grade:
    return _contains(out, value, "any", False)


@assertion("contains-all")
def contains_all(out: Output, *, value) -> Grade:
    return _contains(out, value, "all", False)


@assertion("icontains-any")
def icontains_any(out: Output, *, value) -> Grade:
    return _contains(out, value, "any", True)


@assertion("icontains-all")
def icontains_all(out: Output, *, value) -> Grade:
    return _contains(out, value, "all", True)


@assertion("starts-with")
def starts_with(out: Output, *, value, ignore_case: bool = False) -> Grade:
    """The output (leading whitespace ignored) starts with `value`."""
    text, want = out.text.lstrip(), str(value)
    if ignore_case:
        text, want = text.casefold(), want.casefold()
    return _grade(text.startswith(want), f"starts with {out.text.lstrip()[:len(want) + 10]!r}")


@assertion("regex")
def regex(out: Output, *, value, ignore_case: bool = False, multiline: bool = False) -> Grade:
    """`re.search(value, output)` finds a match."""
    flags = (re.IGNORECASE if ignore_case else 0) | (re.MULTILINE if multiline else 0)
    m = re.search(str(value), out.text, flags)
    return _grade(m is not None, f"matched {m.group(0)[:80]!r}" if m else f"no match for /{value}/")


_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*\n?(.*?)\n?```\s*$", re.S)


def _parse_json(text: str):
    """JSON from the output, allowing one surrounding ``` code fence."""
    m = _FENCE.match(text)
    return json.loads(m.group(1) if m else text.strip())


@assertion("is-json")
def is_json(out: Output) -> Grade:
    """The output parses as JSON (a surrounding ``` fence is allowed)."""
    try:
        _parse_json(out.text)
    except ValueError as e:
        return _grade(False, f"not JSON: {e}")
    return _grade(True, "valid JSON")


@assertion("json-schema")
def json_schema(out: Output, *, value) -> Grade:
    """The output is JSON that validates against the JSON Schema `value`."""
    import jsonschema

    try:
        doc = _parse_json(out.text)
    except ValueError as e:
        return _grade(False, f"not JSON: {e}")
    errors = sorted(jsonschema.Draft202012Validator(value).iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        return _grade(False, f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}")
    return _grade(True, "matches the schema")


_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+")


@assertion("number")
def number(out: Output, *, value, tolerance: float = 0.0, relative: float = 0.0, pick: str = "last") -> Grade:
    """The last (or first) number in the output is within `tolerance` (absolute) or `relative` of `value`; the last,
    by default, because models restate the question before answering ("2 + 3 = 5")."""
    found = _NUMBER.findall(out.text)
    if not found:
        return _grade(False, "no number in the output")
    got = float((found[0] if pick == "first" else found[-1]).replace(",", ""))
    want = float(value)
    ok = math.isclose(got, want, abs_tol=float(tolerance), rel_tol=float(relative)) or got == want
    return _grade(ok, f"got {got:g}, expected {want:g}" + (f" ± {tolerance:g}" if tolerance else ""))


@assertion("similar")
def similar(out: Output, *, value, threshold: float = 0.8, method: str = "token_set_ratio") -> Grade:
    """rapidfuzz similarity (ratio or token_set_ratio, 0..1) to the closest of `value` reaches `threshold`."""
    from rapidfuzz import fuzz

    scorers = {"ratio": fuzz.ratio, "token_set_ratio": fuzz.token_set_ratio, "partial_ratio": fuzz.partial_ratio,
               "token_sort_ratio": fuzz.token_sort_ratio}
    if method not in scorers:
        raise UserError(f"similar: unknown method {method!r}", hint=f"use one of {sorted(scorers)}")
    best = max(scorers[method](out.text.strip(), ref.strip()) / 100.0 for ref in _as_list(value))
    return Grade(best >= threshold, best, f"{method} {best:.2f} (threshold {threshold:g})")


@assertion("length")
def length(out: Output, *, min: int | None = None, max: int | None = None, unit: str = "chars") -> Grade:  # noqa: A002
    """Output length in chars or words within [min, max]."""
    n = len(out.text.split()) if unit == "words" else len(out.text)
    ok = (min is None or n >= min) and (max is None or n <= max)
    return _grade(ok, f"{n} {unit} (bounds {min}..{max})")


@assertion("latency")
def latency(out: Output, *, max: float) -> Grade:  # noqa: A002
    """The model answered within `max` seconds (as measured when the answer was computed)."""
    return _grade(out.latency_s <= float(max), f"{out.latency_s:.2f} s (limit {float(max):g} s)")


def _gold_index(answer, choices: list[str], case_id: str = "") -> int:
    if isinstance(answer, int) or (isinstance(answer, str) and answer.strip().isdigit()):
        return int(answer)
    a = str(answer).strip()
    if len(a) == 1 and a.isalpha() and a.lower() in "abcdefghijklmnopqrstuvwxyz"[:len(choices)]:
        return "abcdefghijklmnopqrstuvwxyz".index(a.lower())
    if a in [c.strip() for c in choices]:
        return [c.strip() for c in choices].index(a)
    raise UserError(f"case {case_id}: choice answer {answer!r} is neither an index, a letter nor one of the choices",
                    hint="write answer: as 0-based index, a letter (a, b, ...) or the text of one choice")


@assertion("choice", needs="loglikelihood")
def choice(out: Output, *, choices, answer, delimiter: str = " ", metric: str = "acc") -> Grade:
    """Multiple choice by loglikelihood of `delimiter + choice` after the prompt, as lm-evaluation-harness scores it.

    acc: argmax of the loglikelihoods is the gold choice; acc_norm: argmax of loglikelihood / len(choice) in
    characters (lm_eval/api/task.py, OUTPUT_TYPE multiple_choice: `completion_len = len(choice)` without the
    target delimiter)."""
    import numpy as np

    if out.choice_lls is None:
        raise RuntimeError("choice assertion evaluated without loglikelihoods")
    gold = _gold_index(answer, list(choices), out.case_id)
    lls = np.array([ll for ll, _ in out.choice_lls], dtype=float)
    lens = np.array([float(len(c)) for c in choices])
    pred, pred_norm = int(np.argmax(lls)), int(np.argmax(lls / lens))
    acc, acc_norm = float(pred == gold), float(pred_norm == gold)
    passed = bool(acc if metric == "acc" else acc_norm)
    data = {"acc": acc, "acc_norm": acc_norm, "pred": pred, "pred_norm": pred_norm, "gold": gold,
            "loglikelihoods": [float(x) for x in lls], "is_greedy": [bool(g) for _, g in out.choice_lls]}
    picked = pred if metric == "acc" else pred_norm
    return Grade(passed, float(passed), f"picked {picked} ({choices[picked].strip()[:40]!r}), gold {gold}", data)


@assertion("llm-rubric", needs="judge")
def llm_rubric(out: Output, *, value, threshold: float = 7.0, reference: str | None = None,
               scale: tuple | list = (1, 10), judge: str | dict | None = None) -> Grade:
    """A judge model grades the answer against the rubric `value`; passes at score ≥ threshold or a pass verdict."""
    from evalkit.judges import rubric_grade

    if out.judge is None:
        raise UserError("llm-rubric needs a judge model", hint="pass --judge SPEC or set `judge:` in defaults")
    question = out.prompt if isinstance(out.prompt, str) else "\n".join(m["content"] for m in out.prompt)
    v = (out.verdicts or {}).get(str(value))
    if v is None:
        v = rubric_grade(out.judge, question=question, answer=out.text, rubric=str(value), reference=reference,
                         scale=tuple(scale), lang=out.lang, store=out.store)
    lo, hi = float(scale[0]), float(scale[1])
    data = {"judge_score": v.score, "verdict": v.verdict, "judge_raw": v.raw[:2000]}
    if not v.parsed or v.verdict == "unparsed":
        return Grade(False, 0.0, f"judge reply could not be parsed: {v.raw[:80]!r}", data)
    if v.verdict in ("pass", "fail"):
        return Grade(v.verdict == "pass", 1.0 if v.verdict == "pass" else 0.0, f"judge: {v.verdict}", data)
    score = float(v.score)
    return Grade(score >= threshold, min(1.0, max(0.0, (score - lo) / (hi - lo))),
                 f"judge score {score:g} (threshold {threshold:g})", data)


@assertion("python", needs="code")
def python(out: Output, *, value) -> Grade:
    """Custom check (only with --allow-code): an expression over `output` and `vars`, or code defining
    `check(output, vars)`; returns bool, a 0..1 score, or (passed, reason)."""
    if not out.allow_code:
        raise UserError(f"case {out.case_id}: python assertions run code", hint="rerun with --allow-code if you trust the suite")
    code = str(value)
    scope: dict[str, Any] = {"output": out.text, "vars": dict(out.vars), "json": json, "re": re}
    if "def check" in code:
        exec(compile(code, f"<assertion in case {out.case_id}>", "exec"), scope)  # noqa: S102 - opted in by --allow-code
        res = scope["check"](out.text, dict(out.vars))
    else:
        res = eval(compile(code, f"<assertion in case {out.case_id}>", "eval"), scope)  # noqa: S307
    if isinstance(res, tuple):
        ok, reason = bool(res[0]), str(res[1])
        return _grade(ok, reason)
    if isinstance(res, bool) or res is None:
        return _grade(bool(res), f"python returned {res}")
    score = float(res)
    return Grade(score >= 0.5, min(1.0, max(0.0, score)), f"python returned {score:g}")


# -- specs ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One parsed assertion of a case: its registry entry, parameters, negation and weight."""

    type: str  # as written, e.g. not-icontains
    entry: Entry
    params: dict
    negate: bool = False
    weight: float = 1.0

    @property
    def needs(self) -> str:
        return self.entry.needs

    def to_dict(self) -> dict:
        d = {"type": self.type, **self.params}
        if self.weight != 1.0:
            d["weight"] = self.weight
        return d

    def run(self, out: Output) -> Grade:
        g = self.entry.fn(out, **self.params)
        if not self.negate:
            return g
        return Grade(not g.passed, 1.0 - g.score, f"not: {g.reason}", g.data)


def parse_check(spec: dict, where: str) -> Check:
    """A YAML assertion mapping → Check; errors name `where` (file:line, case id) and list what is known."""
    spec = dict(spec)
    written = str(spec.pop("type"))
    negate = written.startswith("not-")
    name = written[4:] if negate else written
    entry = REGISTRY.get(name)
    if entry is None:
        import difflib

        close = difflib.get_close_matches(name, known_types(), n=1)
        raise UserError(f"{where}: unknown assertion type {written!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                        hint="known types: " + ", ".join(known_types()) + "; put not- in front of any to invert it")
    if negate and entry.needs == "loglikelihood":
        raise UserError(f"{where}: {written!r} can't be negated", hint="choice picks one answer; score another choice instead")
    weight = float(spec.pop("weight", 1.0))
    unknown = sorted(set(spec) - set(entry.params))
    if unknown:
        raise UserError(f"{where}: {written}: unknown key(s) {unknown}",
                        hint=f"{name} takes: {', '.join(entry.params) or '(no keys)'}, weight")
    missing = [p for p in entry.required if p not in spec]
    if missing:
        raise UserError(f"{where}: {written}: missing {', '.join(missing)}",
                        hint=f"{name} takes: {', '.join(entry.params)}")
    return Check(written, entry, spec, negate, weight)
