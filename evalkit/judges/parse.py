"""Read a judge's verdict from its text: `[[A]]`, `Rating: [[7]]`, `[[PASS]]` or a JSON object; never guess.

A verdict is taken when the text names exactly one, or when several are named (e.g. the judge repeated the format
instructions) but the last line that says "verdict"/"rating"/"판정"/"점수" names exactly one. Anything else is
"unparsed". MT-Bench reads `[[A]]`/`[[B]]`/`[[C]]` and `[[rating]]` the same way (FastChat llm_judge/common.py).
"""

from __future__ import annotations

import json
import math
import re

from workbench.verdicts import FAIL, JUDGE_SPELLINGS, PASS, SINGLE_SPELLINGS, UNPARSED

__all__ = ["UNPARSED", "parse_pair_verdict", "parse_pass_fail", "parse_score"]

# [[A]], [[ B ]], [[C]], [[D]], [[A>B]], [[B>A]], [[A=B]], [[tie]], [[both bad]]; names: workbench.verdicts
_PAIR = re.compile(r"\[\[\s*(A>>?B|B>>?A|A\s*=\s*B|A|B|C|D|tie|both[ _-]?bad)\s*\]\]", re.IGNORECASE)


def _norm(label: str) -> str:
    return re.sub(r"[\s_-]+", "", label.lower())


# [[7]], [[7.5]], [[ 8 ]], [[8/10]]
_SCORE = re.compile(r"\[\[\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*\d+(?:\.\d+)?)?\s*\]\]")
# "Rating: 7", "Score: 8/10", "점수: 7" when no [[N]] is present
_SCORE_LINE = re.compile(
    r"(?:rating|score|grade|평점|점수)\s*[:：=]\s*\[?\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*\d+)?\s*\]?", re.IGNORECASE
)
_PASS = re.compile(r"\[\[\s*(" + "|".join(SINGLE_SPELLINGS) + r")\s*\]\]", re.IGNORECASE)
_VERDICT_LINE = re.compile(r"verdict|rating|score|decision|판정|점수|평점|결정", re.IGNORECASE)
_JSON = re.compile(r"\{[^{}]*\}", re.DOTALL)


def _one(found: list[str]) -> str | None:
    distinct = set(found)
    return found[0] if len(distinct) == 1 else None


def _pick(text: str, pattern: re.Pattern, name) -> str | None:
    """One verdict from `pattern`'s matches, or the one on the last verdict line, else None."""
    found = [name(m) for m in pattern.finditer(text)]
    if not found:
        return None
    single = _one(found)
    if single is not None:
        return single
    for line in reversed(text.splitlines()):
        if _VERDICT_LINE.search(line):
            on_line = [name(m) for m in pattern.finditer(line)]
            if on_line:
                return _one(on_line)
    return None


def _json_objects(text: str) -> list[dict]:
    out = []
    for m in _JSON.finditer(text):
        try:
            obj = json.loads(m.group(0))
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append({str(k).lower(): v for k, v in obj.items()})
    return out


def _json_value(text: str, keys: tuple[str, ...]):
    values = [obj[k] for obj in _json_objects(text) for k in keys if k in obj]
    return values[-1] if values and all(v == values[-1] for v in values) else None


def parse_pair_verdict(text: str) -> str:
    """ "A", "B", "tie", "bothbad" or "unparsed" from a pairwise judge's output."""
    text = text or ""
    got = _pick(text, _PAIR, lambda m: JUDGE_SPELLINGS[_norm(m.group(1))])
    if got is not None:
        return got
    value = _json_value(text, ("verdict", "winner", "better", "answer", "choice", "result"))
    if isinstance(value, str):
        v = _norm(value.strip().strip("[]"))
        if v in JUDGE_SPELLINGS:
            return JUDGE_SPELLINGS[v]
    return UNPARSED


def parse_score(text: str, scale: tuple[float, float] = (1, 10)) -> float | None:
    """The grade from "Rating: [[7]]" (or [[7]], "Rating: 7", {"score": 7}); None when absent, ambiguous or off
    the scale."""
    text = text or ""
    got = _pick(text, _SCORE, lambda m: m.group(1))
    if got is None and not _SCORE.search(text):
        got = _pick(text, _SCORE_LINE, lambda m: m.group(1))
    if got is None:
        value = _json_value(text, ("score", "rating", "grade"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            got = str(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*\[*\s*-?\d+(\.\d+)?\s*\]*\s*", value):
            got = value.strip().strip("[]")
    if got is None:
        return None
    score = float(got)
    low, high = scale
    return score if math.isfinite(score) and low <= score <= high else None


def parse_pass_fail(text: str) -> str:
    """ "pass", "fail" or "unparsed" from "[[PASS]]"/"[[FAIL]]" or {"verdict": "pass"}."""
    text = text or ""
    got = _pick(text, _PASS, lambda m: SINGLE_SPELLINGS[m.group(1).lower()])
    if got is not None:
        return got
    value = _json_value(text, ("verdict", "result", "pass", "decision"))
    if isinstance(value, bool):
        return PASS if value else FAIL
    if isinstance(value, str) and value.strip().lower() in SINGLE_SPELLINGS:
        return SINGLE_SPELLINGS[value.strip().lower()]
    return UNPARSED
