"""Assertion types: one registry maps YAML names to small check functions returning a `Grade`.

A check is `fn(out: Output, *, <its YAML keys>) -> Grade`. Its keyword parameters are the YAML keys it accepts (the
ones without a default are required), so the registry validates a spec without a second list. `not-<type>` inverts
any check; `weight` weighs it in the case score. A spec is checked when the suite loads, not when the model has
answered: its keys, their types (the check's annotations) and, through the type's `validate(params)`, their values
(a regex compiles, a choice answer is one of the choices); `ValueError` there becomes a file:line message.

Each grade's reason is a message (workbench.messages): `Grade.message` is {"key", "fields"} from MESSAGES below, and
`Grade.reason` is its English rendering, what the CLI prints and the JSON keeps; the app says the same key in Korean.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import UserError
from workbench.messages import message, render

__all__ = ["Check", "Grade", "MESSAGES", "Output", "REGISTRY", "assertion", "known_types", "parse_check"]

# The reasons' English templates (key -> str.format template); a field may be a nested message (its key is here too).
MESSAGES = {
    "assertions.equals": "expected {want!r}, got {got!r}",
    "assertions.found": "found {found}",
    "assertions.missing": "missing {missing}",
    "assertions.missing_any": "missing {wanted}",
    "assertions.starts_with": "starts with {start!r}",
    "assertions.matched": "matched {match!r}",
    "assertions.no_match": "no match for /{pattern}/",
    "assertions.valid_json": "valid JSON",
    "assertions.not_json": "not JSON: {error}",
    "assertions.json.at": "{problem}: line {line} column {column} (char {char})",
    "assertions.json.expecting_value": "Expecting value",
    "assertions.json.extra_data": "Extra data",
    "assertions.json.property_name": "Expecting property name enclosed in double quotes",
    "assertions.json.comma": "Expecting ',' delimiter",
    "assertions.json.colon": "Expecting ':' delimiter",
    "assertions.json.unterminated": "Unterminated string starting at",
    "assertions.json.control": "Invalid control character at",
    "assertions.json.escape": "Invalid \\escape",
    "assertions.json.unicode_escape": "Invalid \\uXXXX escape",
    "assertions.schema_ok": "matches the schema",
    "assertions.schema_error": "{path}: {error}",
    "assertions.schema.root": "(root)",
    "assertions.schema.required": "{name} is a required property",
    "assertions.schema.type": "{instance} is not of type {types}",
    "assertions.schema.enum": "{instance} is not one of {options}",
    "assertions.schema.minimum": "{instance} is less than the minimum of {limit}",
    "assertions.schema.maximum": "{instance} is greater than the maximum of {limit}",
    "assertions.schema.const": "{expected} was expected",
    "assertions.schema.pattern": "{instance} does not match {pattern}",
    "assertions.schema.additional_one": "Additional properties are not allowed ({names} was unexpected)",
    "assertions.schema.additional_many": "Additional properties are not allowed ({names} were unexpected)",
    "assertions.no_number": "no number in the output",
    "assertions.number": "got {got:g}, expected {want:g}",
    "assertions.number_tolerance": "got {got:g}, expected {want:g} ± {tolerance:g}",
    "assertions.similar": "{method} {score:.2f} (threshold {threshold:g})",
    "assertions.length": "{n} {unit} (bounds {min}..{max})",
    "assertions.length_no_min": "{n} {unit} (bounds None..{max})",
    "assertions.length_no_max": "{n} {unit} (bounds {min}..None)",
    "assertions.length_no_bounds": "{n} {unit} (bounds None..None)",
    "assertions.unit.chars": "chars",
    "assertions.unit.words": "words",
    "assertions.latency": "{seconds:.2f} s (limit {limit:g} s)",
    "assertions.choice": "picked {picked} ({choice!r}), gold {gold}",
    "assertions.judge_unparsed": "judge reply could not be parsed: {reply!r}",
    "assertions.judge_verdict": "judge: {verdict}",
    "assertions.verdict.pass": "pass",
    "assertions.verdict.fail": "fail",
    "assertions.judge_score": "judge score {score:g} (threshold {threshold:g})",
    "assertions.python_returned": "python returned {result}",
    "assertions.python_score": "python returned {score:g}",
    "assertions.python_reason": "{reason}",
    "assertions.not": "not: {reason}",
}
# json's decode problems (json.decoder, json.scanner) that have a key above
_JSON_PROBLEMS = {MESSAGES[k]: k for k in MESSAGES if k.startswith("assertions.json.") and k != "assertions.json.at"}


@dataclass(frozen=True)
class Grade:
    """A check's verdict on one output (inspect_ai's Score): passed, a 0..1 score, why, and data for reports."""

    passed: bool
    score: float  # 0..1
    reason: str = ""
    data: dict = field(default_factory=dict)
    message: dict | None = None  # the reason as {"key", "fields"} (JSON-ready); `reason` is its English


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
    """A registered assertion type: its check function, the YAML keys it takes (and requires), what it reads."""

    name: str
    fn: Callable[..., Grade]
    params: tuple[str, ...]
    required: tuple[str, ...]
    needs: str  # output | loglikelihood | judge | code
    kinds: dict = field(default_factory=dict)  # key -> its annotation ("float", "int | None"), for the type check
    validate: Callable[[dict], None] | None = None  # raises ValueError on a value the check can't use


NEEDS = ("output", "loglikelihood", "judge", "code")  # what a check reads: the runner plans its model calls by it
REGISTRY: dict[str, Entry] = {}


def assertion(name: str, *, needs: str = "output", validate: Callable[[dict], None] | None = None):
    """Register `fn` under `name` (the one registry of assertion types, inspect_ai's scorer shape); its keyword-only
    parameters are the YAML keys it takes, those without a default required, their annotations the types each may
    have; `validate(params)` checks their values when the suite loads (raising ValueError)."""
    if needs not in NEEDS:
        raise ValueError(f"assertion {name!r}: needs must be one of {NEEDS}, not {needs!r}")

    def deco(fn):
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise ValueError(f"assertion type {name!r} is registered twice ({REGISTRY[name].fn.__qualname__} first)")
        kw = [p for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY]
        required = tuple(p.name for p in kw if p.default is p.empty)
        kinds = {p.name: str(p.annotation) for p in kw if p.annotation is not p.empty}
        REGISTRY[name] = Entry(name, fn, tuple(p.name for p in kw), required, needs, kinds, validate)
        return fn

    return deco


def known_types() -> list[str]:
    """Every registered assertion type, sorted (each also works with not- in front, except choice)."""
    return sorted(REGISTRY)


# -- argument checks (at suite load) -------------------------------------------------------------------------------

_KINDS = {"bool": (bool,), "int": (int,), "float": (int, float), "str": (str,), "dict": (dict,), "None": (type(None),)}
_KINDS.update(list=(list,), tuple=(list, tuple))


def _check_kind(key: str, value, kind: str) -> None:
    """`value` has a type its annotation allows (a bool is no number); a float is finite."""
    allowed = tuple(t for name in kind.split("|") for t in _KINDS.get(name.strip(), (object,)))
    if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
        raise ValueError(f"{key} must be {kind.replace(' | ', ' or ')}, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, not {value!r}")


def _number(key: str, value, ok: Callable[[float], bool] = lambda _: True, said: str = "") -> float:
    """`value` as a finite number that `ok` accepts (a string from a template counts when it reads as one)."""
    try:
        x = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x):
        raise ValueError(f"{key} must be a number, not {value!r}")
    if not ok(x):
        raise ValueError(f"{key} must be {said}, not {value!r}")
    return x


def _one_of(key: str, value, options) -> None:
    if value not in options:
        raise ValueError(f"{key} must be one of {', '.join(map(str, options))}, not {value!r}")


def _scalar(value) -> bool:
    return isinstance(value, (str, int, float)) and not (isinstance(value, float) and not math.isfinite(value))


def _text_value(p: dict) -> None:
    """`value` is one text (equals, starts-with, regex)."""
    if not _scalar(p["value"]):
        raise ValueError(f"value must be a string, not {p['value']!r}")


def _texts_value(p: dict) -> None:
    """`value` is a text or a non-empty list of them (the contains family, similar)."""
    v = p["value"]
    if not (_scalar(v) or (isinstance(v, list) and v and all(_scalar(x) for x in v))):
        raise ValueError(f"value must be a string or a non-empty list of strings, not {v!r}")


def _regex_args(p: dict) -> None:
    _text_value(p)
    flags = (re.IGNORECASE if p.get("ignore_case") else 0) | (re.MULTILINE if p.get("multiline") else 0)
    try:
        re.compile(str(p["value"]), flags)
    except re.error as e:
        raise ValueError(f"invalid regular expression {str(p['value'])!r}: {e}") from None


def _schema_args(p: dict) -> None:
    import jsonschema

    if not isinstance(p["value"], (dict, bool)):
        raise ValueError(f"value must be a JSON Schema (a mapping), not {p['value']!r}")
    try:
        jsonschema.Draft202012Validator.check_schema(p["value"])
    except jsonschema.exceptions.SchemaError as e:
        raise ValueError(f"value is not a valid JSON Schema: {e.message}") from None


def _number_args(p: dict) -> None:
    _number("value", p["value"])
    for key in ("tolerance", "relative"):
        _number(key, p.get(key, 0.0), lambda x: x >= 0, ">= 0")
    _one_of("pick", p.get("pick", "last"), ("first", "last"))


def _similar_args(p: dict) -> None:
    _texts_value(p)
    _number("threshold", p.get("threshold", 0.8), lambda x: 0 <= x <= 1, "in [0, 1]")
    _one_of("method", p.get("method", "token_set_ratio"), _SCORERS)


def _length_args(p: dict) -> None:
    lo, hi = p.get("min"), p.get("max")
    for key, v in (("min", lo), ("max", hi)):
        if v is not None and v < 0:
            raise ValueError(f"{key} must be >= 0, not {v!r}")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"min ({lo}) is larger than max ({hi}): no output can pass")
    _one_of("unit", p.get("unit", "chars"), ("chars", "words"))


def _latency_args(p: dict) -> None:
    _number("max", p["max"], lambda x: x > 0, "> 0 seconds")


def _choice_args(p: dict) -> None:
    choices = p["choices"]
    if not isinstance(choices, list) or len(choices) < 2 or not all(_scalar(c) for c in choices):
        raise ValueError(f"choices must be a list of at least two strings, not {choices!r}")
    _gold(p["answer"], [str(c) for c in choices])
    _one_of("metric", p.get("metric", "acc"), ("acc", "acc_norm"))


def _rubric_args(p: dict) -> None:
    if not isinstance(p["value"], str) or not p["value"].strip():
        raise ValueError(f"value must be the rubric's text, not {p['value']!r}")
    scale = p.get("scale", (1, 10))
    if len(scale) != 2 or not all(_scalar(x) and not isinstance(x, str) for x in scale) or scale[0] >= scale[1]:
        raise ValueError(f"scale must be [low, high] with low < high, not {list(scale)!r}")
    _number("threshold", p.get("threshold", 7.0), lambda x: scale[0] <= x <= scale[1], f"within the scale {scale!r}")


def _python_args(p: dict) -> None:
    """The code compiles (compiling runs none of it: that waits for --allow-code)."""
    code = p["value"]
    if not isinstance(code, str):
        raise ValueError(f"value must be Python code (a string), not {code!r}")
    try:
        compile(code, "<assertion>", "exec" if "def check" in code else "eval")
    except SyntaxError as e:
        raise ValueError(f"value is not valid Python: {e.msg} (line {e.lineno} of the code)") from None


# -- the checks ----------------------------------------------------------------------------------------------------


def _json_ready(value) -> bool:
    """Strict JSON (what PostgreSQL's json column takes): no NaN or infinity, no objects."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_json_ready(v) for v in value)
    return isinstance(value, dict) and all(isinstance(k, str) and _json_ready(v) for k, v in value.items())


def _said(passed: bool, score: float, key: str, data: dict | None = None, /, **fields) -> Grade:
    """A grade whose reason is the message `key` with `fields`, rendered in English from MESSAGES. A message whose
    fields aren't plain JSON (a number read as infinity) is left out: the reason stays, in English only."""
    msg = message(key, **fields)
    return Grade(bool(passed), score, render(msg, MESSAGES), data or {}, msg if _json_ready(msg) else None)


def _grade(ok: bool, key: str, data: dict | None = None, /, **fields) -> Grade:
    return _said(ok, 1.0 if ok else 0.0, key, data, **fields)


def _exact(english: str, key: str, /, **fields):
    """A nested message for a library's sentence (json, jsonschema) when it renders to `english` byte for byte; the
    sentence itself otherwise (a library that words it differently stays exact, only untranslated)."""
    msg = message(key, **fields)
    try:
        return msg if render(msg, MESSAGES) == english else english
    except (KeyError, IndexError, ValueError):
        return english


def _as_list(value) -> list[str]:
    """A YAML value that may be one string or a list of them, as a list of strings."""
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


@assertion("equals", validate=_text_value)
def equals(out: Output, *, value, strip: bool = True) -> Grade:
    """Exact match (surrounding whitespace ignored unless strip: false)."""
    text, want = (out.text.strip(), str(value).strip()) if strip else (out.text, str(value))
    return _grade(text == want, "assertions.equals", want=want, got=text[:80])


def _contains(out: Output, value, mode: str, fold: bool) -> Grade:
    text = out.text.casefold() if fold else out.text
    wanted = _as_list(value)
    found = [w for w in wanted if (w.casefold() if fold else w) in text]
    ok = len(found) == len(wanted) if mode == "all" else bool(found)
    missing = [w for w in wanted if w not in found]
    if ok:
        return _grade(ok, "assertions.found", found=found)
    return (
        _grade(ok, "assertions.missing", missing=missing)
        if mode == "all"
        else _grade(ok, "assertions.missing_any", wanted=wanted)
    )


# The contains family: (type, whether every one or any one of `value` must be found, ignoring case). `value` is a
# string or a list of them; case-sensitive unless the type starts with "i".
_CONTAINS = (
    ("contains", "all", False),
    ("icontains", "all", True),
    ("contains-any", "any", False),
    ("contains-all", "all", False),
    ("icontains-any", "any", True),
    ("icontains-all", "all", True),
)


def _contains_check(mode: str, fold: bool) -> Callable[..., Grade]:
    """The check of one member of the family: `value` ("all" of it, or "any" one) in the output, `fold`: any case."""

    def check(out: Output, *, value) -> Grade:
        return _contains(out, value, mode, fold)

    return check


for _type, _mode, _fold in _CONTAINS:
    assertion(_type, validate=_texts_value)(_contains_check(_mode, _fold))


@assertion("starts-with", validate=_text_value)
def starts_with(out: Output, *, value, ignore_case: bool = False) -> Grade:
    """The output (leading whitespace ignored) starts with `value`."""
    text, want = out.text.lstrip(), str(value)
    if ignore_case:
        text, want = text.casefold(), want.casefold()
    return _grade(text.startswith(want), "assertions.starts_with", start=out.text.lstrip()[: len(want) + 10])


@assertion("regex", validate=_regex_args)
def regex(out: Output, *, value, ignore_case: bool = False, multiline: bool = False) -> Grade:
    """`re.search(value, output)` finds a match."""
    flags = (re.IGNORECASE if ignore_case else 0) | (re.MULTILINE if multiline else 0)
    m = re.search(str(value), out.text, flags)
    if m is not None:
        return _grade(True, "assertions.matched", match=m.group(0)[:80])
    return _grade(False, "assertions.no_match", pattern=str(value))


_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*\n?(.*?)\n?```\s*$", re.S)


def _not_json(e: ValueError) -> Grade:
    """ "not JSON: <json's message>", the message keyed when json worded it as it does today."""
    error = str(e)
    if isinstance(e, json.JSONDecodeError):
        problem = _exact(e.msg, _JSON_PROBLEMS[e.msg]) if e.msg in _JSON_PROBLEMS else e.msg
        error = _exact(error, "assertions.json.at", problem=problem, line=e.lineno, column=e.colno, char=e.pos)
    return _grade(False, "assertions.not_json", error=error)


def _schema_error(e) -> dict | str:
    """jsonschema's message for the common keywords as a nested message (checked to render to its exact words)."""
    v, inst = e.validator, repr(e.instance)
    if len(inst) > 200:
        return e.message
    if v == "required" and isinstance(e.validator_value, list):
        m = re.match(r"^('.*'|\".*\") is a required property$", e.message, re.S)
        return _exact(e.message, "assertions.schema.required", name=m.group(1)) if m else e.message
    if v == "type":
        types = [e.validator_value] if isinstance(e.validator_value, str) else list(e.validator_value)
        return _exact(e.message, "assertions.schema.type", instance=inst, types=", ".join(repr(t) for t in types))
    if v == "enum":
        return _exact(e.message, "assertions.schema.enum", instance=inst, options=repr(e.validator_value))
    if v in ("minimum", "maximum"):
        return _exact(e.message, f"assertions.schema.{v}", instance=inst, limit=repr(e.validator_value))
    if v == "const":
        return _exact(e.message, "assertions.schema.const", expected=repr(e.validator_value))
    if v == "pattern":
        return _exact(e.message, "assertions.schema.pattern", instance=inst, pattern=repr(e.validator_value))
    m = re.match(r"^Additional properties are not allowed \((.*) (was|were) unexpected\)$", e.message, re.S)
    if v == "additionalProperties" and m:
        key = "assertions.schema.additional_one" if m.group(2) == "was" else "assertions.schema.additional_many"
        return _exact(e.message, key, names=m.group(1))
    return e.message


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
        return _not_json(e)
    return _grade(True, "assertions.valid_json")


@assertion("json-schema", validate=_schema_args)
def json_schema(out: Output, *, value) -> Grade:
    """The output is JSON that validates against the JSON Schema `value`."""
    import jsonschema

    try:
        doc = _parse_json(out.text)
    except ValueError as e:
        return _not_json(e)
    errors = sorted(jsonschema.Draft202012Validator(value).iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        path = "/".join(map(str, e.path)) or message("assertions.schema.root")
        return _grade(False, "assertions.schema_error", path=path, error=_schema_error(e))
    return _grade(True, "assertions.schema_ok")


_SCORERS = ("ratio", "token_set_ratio", "partial_ratio", "token_sort_ratio")  # rapidfuzz.fuzz's, for `similar`
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+")


@assertion("number", validate=_number_args)
def number(out: Output, *, value, tolerance: float = 0.0, relative: float = 0.0, pick: str = "last") -> Grade:
    """The last (or first) number in the output is within `tolerance` (absolute) or `relative` of `value`; the last,
    by default, because models restate the question before answering ("2 + 3 = 5")."""
    found = _NUMBER.findall(out.text)
    if not found:
        return _grade(False, "assertions.no_number")
    got = float((found[0] if pick == "first" else found[-1]).replace(",", ""))
    want = float(value)
    ok = math.isclose(got, want, abs_tol=float(tolerance), rel_tol=float(relative)) or got == want
    if tolerance:
        return _grade(ok, "assertions.number_tolerance", got=got, want=want, tolerance=float(tolerance))
    return _grade(ok, "assertions.number", got=got, want=want)


@assertion("similar", validate=_similar_args)
def similar(out: Output, *, value, threshold: float = 0.8, method: str = "token_set_ratio") -> Grade:
    """rapidfuzz similarity (ratio or token_set_ratio, 0..1) to the closest of `value` reaches `threshold`."""
    from rapidfuzz import fuzz

    best = max(getattr(fuzz, method)(out.text.strip(), ref.strip()) / 100.0 for ref in _as_list(value))
    return _said(best >= threshold, best, "assertions.similar", method=method, score=best, threshold=float(threshold))


@assertion("length", validate=_length_args)
def length(out: Output, *, min: int | None = None, max: int | None = None, unit: str = "chars") -> Grade:  # noqa: A002
    """Output length in chars or words within [min, max]."""
    n = len(out.text.split()) if unit == "words" else len(out.text)
    ok = (min is None or n >= min) and (max is None or n <= max)
    key = {
        (True, True): "assertions.length_no_bounds",
        (True, False): "assertions.length_no_min",
        (False, True): "assertions.length_no_max",
    }.get((min is None, max is None), "assertions.length")
    said_unit = message(f"assertions.unit.{unit}")
    return _grade(
        ok, key, n=n, unit=said_unit, **({} if min is None else {"min": min}), **({} if max is None else {"max": max})
    )


@assertion("latency", validate=_latency_args)
def latency(out: Output, *, max: float) -> Grade:  # noqa: A002
    """The model answered within `max` seconds (as measured when the answer was computed)."""
    return _grade(out.latency_s <= float(max), "assertions.latency", seconds=float(out.latency_s), limit=float(max))


def _gold(answer, choices: list[str]) -> int:
    """The 0-based index of a choice answer written as an index, a letter (a, b, ...) or the choice's text; a
    ValueError when it is none of them."""
    if (isinstance(answer, int) and not isinstance(answer, bool)) or (
        isinstance(answer, str) and answer.strip().isdigit()
    ):
        if not 0 <= int(answer) < len(choices):
            raise ValueError(
                f"choice answer {answer!r} is out of range: an index of {len(choices)} choices is 0..{len(choices) - 1}"
            )
        return int(answer)
    a = str(answer).strip()
    if len(a) == 1 and a.isalpha() and a.lower() in "abcdefghijklmnopqrstuvwxyz"[: len(choices)]:
        return "abcdefghijklmnopqrstuvwxyz".index(a.lower())
    if a in [c.strip() for c in choices]:
        return [c.strip() for c in choices].index(a)
    raise ValueError(f"choice answer {answer!r} is neither an index, a letter nor one of the choices")


_GOLD_HINT = "write answer: as 0-based index, a letter (a, b, ...) or the text of one choice"


def gold_index(answer, choices: list[str], case_id: str = "") -> int:
    """The 0-based index of a choice answer written as an index, a letter (a, b, ...) or the choice's text."""
    try:
        return _gold(answer, choices)
    except ValueError as e:
        raise UserError(f"case {case_id}: {e}", hint=_GOLD_HINT) from None


@assertion("choice", needs="loglikelihood", validate=_choice_args)
def choice(out: Output, *, choices, answer, delimiter: str = " ", metric: str = "acc") -> Grade:
    """Multiple choice by loglikelihood of `delimiter + choice` after the prompt, as lm-evaluation-harness scores it.

    acc: argmax of the loglikelihoods is the gold choice; acc_norm: argmax of loglikelihood / len(choice) in
    characters (lm_eval/api/task.py, OUTPUT_TYPE multiple_choice: `completion_len = len(choice)` without the
    target delimiter)."""
    import numpy as np

    if out.choice_lls is None:
        raise RuntimeError("choice assertion evaluated without loglikelihoods")
    gold = gold_index(answer, list(choices), out.case_id)
    lls = np.array([ll for ll, _ in out.choice_lls], dtype=float)
    lens = np.array([float(len(c)) for c in choices])
    pred, pred_norm = int(np.argmax(lls)), int(np.argmax(lls / lens))
    acc, acc_norm = float(pred == gold), float(pred_norm == gold)
    passed = bool(acc if metric == "acc" else acc_norm)
    data = {
        "acc": acc,
        "acc_norm": acc_norm,
        "pred": pred,
        "pred_norm": pred_norm,
        "gold": gold,
        "loglikelihoods": [float(x) for x in lls],
        "is_greedy": [bool(g) for _, g in out.choice_lls],
    }
    picked = pred if metric == "acc" else pred_norm
    return _said(
        passed,
        float(passed),
        "assertions.choice",
        data,
        picked=picked,
        choice=str(choices[picked]).strip()[:40],
        gold=gold,
    )


@assertion("llm-rubric", needs="judge", validate=_rubric_args)
def llm_rubric(
    out: Output,
    *,
    value,
    threshold: float = 7.0,
    reference: str | None = None,
    scale: tuple | list = (1, 10),
    judge: str | dict | None = None,
) -> Grade:
    """A judge model grades the answer against the rubric `value`; passes at score ≥ threshold or a pass verdict."""
    from evalkit.judges import rubric_grade

    if out.judge is None:
        raise UserError("llm-rubric needs a judge model", hint="pass --judge SPEC or set `judge:` in defaults")
    question = out.prompt if isinstance(out.prompt, str) else "\n".join(m["content"] for m in out.prompt)
    v = (out.verdicts or {}).get(str(value))
    if v is None:
        v = rubric_grade(
            out.judge,
            question=question,
            answer=out.text,
            rubric=str(value),
            reference=reference,
            scale=tuple(scale),
            lang=out.lang,
            store=out.store,
        )
    lo, hi = float(scale[0]), float(scale[1])
    data = {"judge_score": v.score, "verdict": v.verdict, "judge_raw": v.raw[:2000]}
    if not v.parsed or v.verdict == "unparsed":
        return _said(False, 0.0, "assertions.judge_unparsed", data, reply=v.raw[:80])
    if v.verdict in ("pass", "fail"):
        return _said(
            v.verdict == "pass",
            1.0 if v.verdict == "pass" else 0.0,
            "assertions.judge_verdict",
            data,
            verdict=message(f"assertions.verdict.{v.verdict}"),
        )
    score = float(v.score)
    return _said(
        score >= threshold,
        min(1.0, max(0.0, (score - lo) / (hi - lo))),
        "assertions.judge_score",
        data,
        score=score,
        threshold=float(threshold),
    )


@assertion("python", needs="code", validate=_python_args)
def python(out: Output, *, value) -> Grade:
    """Custom check (only with --allow-code): an expression over `output` and `vars`, or code defining
    `check(output, vars)`; returns bool, a 0..1 score, or (passed, reason)."""
    if not out.allow_code:
        raise UserError(
            f"case {out.case_id}: python assertions run code", hint="rerun with --allow-code if you trust the suite"
        )
    code = str(value)
    scope: dict[str, Any] = {"output": out.text, "vars": dict(out.vars), "json": json, "re": re}
    if "def check" in code:
        exec(compile(code, f"<assertion in case {out.case_id}>", "exec"), scope)  # noqa: S102 - opted in by --allow-code
        res = scope["check"](out.text, dict(out.vars))
    else:
        res = eval(compile(code, f"<assertion in case {out.case_id}>", "eval"), scope)  # noqa: S307
    if isinstance(res, tuple):
        ok, reason = bool(res[0]), str(res[1])
        return _grade(ok, "assertions.python_reason", reason=reason)  # the suite author's words, in any language
    if isinstance(res, bool) or res is None:
        return _grade(bool(res), "assertions.python_returned", result=res)
    score = float(res)
    return _said(score >= 0.5, min(1.0, max(0.0, score)), "assertions.python_score", score=score)


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
        return _said(not g.passed, 1.0 - g.score, "assertions.not", g.data, reason=g.message or g.reason)


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
        raise UserError(
            f"{where}: unknown assertion type {written!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
            hint="known types: " + ", ".join(known_types()) + "; put not- in front of any to invert it",
        )
    if negate and entry.needs == "loglikelihood":
        raise UserError(
            f"{where}: {written!r} can't be negated", hint="choice picks one answer; score another choice instead"
        )
    weight = spec.pop("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight < math.inf:
        raise UserError(f"{where}: {written}: weight must be a number >= 0, not {weight!r}")
    unknown = sorted(set(spec) - set(entry.params))
    if unknown:
        raise UserError(
            f"{where}: {written}: unknown key(s) {unknown}",
            hint=f"{name} takes: {', '.join(entry.params) or '(no keys)'}, weight",
        )
    missing = [p for p in entry.required if p not in spec]
    if missing:
        raise UserError(
            f"{where}: {written}: missing {', '.join(missing)}", hint=f"{name} takes: {', '.join(entry.params)}"
        )
    _check_args(entry, spec, f"{where}: {written}")
    return Check(written, entry, spec, negate, float(weight))


def _check_args(entry: Entry, params: dict, where: str) -> None:
    """Each key's type, then the values together (`entry.validate`): a message naming `where`, before any model."""
    try:
        for key, value in params.items():
            if key in entry.kinds:
                _check_kind(key, value, entry.kinds[key])
        if entry.validate is not None:
            entry.validate(params)
    except ValueError as e:
        raise UserError(f"{where}: {e}", hint=f"{entry.name} takes: {', '.join(entry.params)}, weight") from None
