"""How far to trust a pairwise judge run: order flips, first-position picks, length preference (raw and matched on
length), self-preference and repeat stability, each {value, ci, n} or None with the reason, and a plain verdict line.

Pure: judged pairs (both orders, as `pairwise_judge` returns them) and their answers in, a JSON-ready dict out.
Proportions carry Wilson intervals (evalkit.agreement.raters.wilson); the thresholds of the verdict line are below,
each with its source.
"""

from __future__ import annotations

from collections.abc import Sequence

from evalkit.agreement.raters import share
from workbench import verdicts

__all__ = [
    "FIRST_POSITION_SKEW",
    "FLIP_HIGH",
    "LENGTH_MATCH_RATIO",
    "LONGER_WINS_HIGH",
    "REPEAT_LOW",
    "reliability_report",
    "trust_line",
]

# Zheng et al. 2023 ("Judging LLM-as-a-judge", Table 2): GPT-4 kept its verdict on swapped answers in 65 % of MT-Bench
# pairs, Claude-v1 in 24 %; we call flips "high" from 20 % (our line between GPT-4-class judges and better ones).
FLIP_HIGH = 0.20
# first-position picks ≥ 10 points from 50 % with a 95 % CI excluding 50 %: position bias (Zheng et al. 2023 §3.3;
# Wang et al. 2023, "Large Language Models are not Fair Evaluators", §2); the 10-point band is ours.
FIRST_POSITION_SKEW = 0.10
# the longer answer wins ≥ 60 % of decisive verdicts with a CI excluding 50 %: verbosity bias (Zheng et al. 2023 §3.3;
# Dubois et al. 2024, "Length-controlled AlpacaEval", §1 on length as the main confound); the 60 % line is ours.
LONGER_WINS_HIGH = 0.60
LENGTH_MATCH_RATIO = 1.25  # "matched on length": the longer answer at most 25 % longer than the shorter
# the same verdict across repeats in fewer than 80 % of items: unstable (our line; MT-Bench reports humans agreeing
# with each other on 81 % of non-tie votes, Zheng et al. 2023 Table 8, a ceiling a judge should reach with itself)
REPEAT_LOW = 0.80


def _decisive(v: str) -> bool:
    return v in (verdicts.A, verdicts.B)


def _order_flips(judged: Sequence) -> dict | None:
    """Share of items readable in both orders whose verdict changes when the answers swap places."""
    both = [(v.per_order[0]["mapped"], v.per_order[1]["mapped"]) for v in judged]
    readable = [(x, y) for x, y in both if verdicts.UNPARSED not in (x, y)]
    return share(sum(x != y for x, y in readable), len(readable))


def _first_position(judged: Sequence) -> dict | None:
    """Share of decisive single-order verdicts that pick the answer shown first (50 % = no position preference);
    the CI treats the two orders of an item as separate verdicts."""
    shown = [o["verdict"] for v in judged for o in v.per_order if _decisive(o["verdict"])]
    return share(sum(s == verdicts.A for s in shown), len(shown))


def _longer_wins(judged: Sequence, pairs: Sequence[dict]) -> dict | None:
    """How often the longer answer wins among decisive final verdicts on answers of different length, and the same
    among pairs matched on length (ratio ≤ LENGTH_MATCH_RATIO), where a real quality gap is less tied to length."""
    rows = []
    for v, p in zip(judged, pairs):
        la, lb = len(str(p.get("answer_a") or "")), len(str(p.get("answer_b") or ""))
        if _decisive(v.winner) and la != lb:
            rows.append(((v.winner == verdicts.A) == (la > lb), max(la, lb) / max(min(la, lb), 1)))
    out = share(sum(w for w, _ in rows), len(rows))
    if out is not None:
        close = [w for w, ratio in rows if ratio <= LENGTH_MATCH_RATIO]
        out["matched"] = share(sum(close), len(close))
        out["matched_max_ratio"] = LENGTH_MATCH_RATIO
    return out


def _self_preference(judged: Sequence, sides: Sequence[tuple[str, str]], judge: str) -> dict | None:
    """The judge's own win rate (ties ½) in the battles it judged where it was a contestant (Zheng et al. 2023 §3.3
    "self-enhancement bias"); read it beside its win rate under other judges or humans (`evalkit ratings`)."""
    scores = []
    for v, (a, b) in zip(judged, sides):
        if v.winner in verdicts.SCORE and judge in (a, b):
            s = verdicts.SCORE[v.winner]
            scores.append(s if a == judge else 1 - s)
    return share(sum(scores), len(scores))  # Wilson on a score with half-wins: close enough for a flag


def _repeat_agreement(runs: Sequence[Sequence]) -> dict | None:
    """Share of items whose final verdict is the same in every repeat (unparsed repeats count as different)."""
    if len(runs) < 2:
        return None
    same = [len({v.winner for v in item}) == 1 and item[0].winner != verdicts.UNPARSED for item in zip(*runs)]
    return share(sum(same), len(same))


def reliability_report(
    judged: Sequence,
    pairs: Sequence[dict],
    *,
    judge: str,
    sides: Sequence[tuple[str, str]] | None = None,
    repeats: Sequence[Sequence] | None = None,
    others: Sequence[float] | None = None,
) -> dict:
    """The `reliability` object of a judged run: each figure {value, ci, n} or None with its reason under
    "undefined", the thresholds, and the verdict line. `sides`: each pair's (model_a, model_b) for self-preference;
    `repeats`: the run judged again (k runs in all, the first being `judged`) for repeat agreement; `others`: the
    judge-model's scores (1 win, ½ tie, 0 loss) in battles judged by other judges or humans, shown beside its
    self-preference."""
    contestants = {x for s in sides or () for x in s}
    out = {
        "order_flip_rate": _order_flips(judged),
        "first_position_rate": _first_position(judged),
        "longer_wins_rate": _longer_wins(judged, pairs),
        "self_preference": _self_preference(judged, sides, judge) if judge in contestants else None,
        "repeat_agreement": _repeat_agreement(repeats or []),
        "unparsed": sum(v.winner == verdicts.UNPARSED for v in judged),
        "n_items": len(judged),
    }
    if out["self_preference"] is not None:
        out["self_preference"]["under_others"] = share(sum(others), len(others)) if others else None
    why = {
        "order_flip_rate": "no item has a readable verdict in both orders",
        "first_position_rate": "no decisive verdict in either order",
        "longer_wins_rate": "no decisive verdict between answers of different length",
        "self_preference": f"the judge {judge!r} is not a contestant"
        if judge not in contestants
        else "no battle of the judge's own answers had a verdict",
        "repeat_agreement": "judged once: run with --repeats k (k ≥ 2) and --judge-temperature > 0",
    }
    out["undefined"] = {k: v for k, v in why.items() if out[k] is None}
    out["thresholds"] = {
        "order_flip_rate": FLIP_HIGH,
        "first_position_skew": FIRST_POSITION_SKEW,
        "longer_wins_rate": LONGER_WINS_HIGH,
        "repeat_agreement": REPEAT_LOW,
        "sources": "Zheng et al. 2023 (MT-Bench) §3.3, Table 2, Table 8; Wang et al. 2023 §2; Dubois et al. 2024",
    }
    out["verdict"] = trust_line(out)
    return out


def _pct(fig: dict) -> str:
    return f"{fig['value']:.0%} [{fig['ci'][0] * 100:.0f}, {fig['ci'][1] * 100:.0f}]"


def _excludes_half(fig: dict) -> bool:
    return not fig["ci"][0] <= 0.5 <= fig["ci"][1]


def trust_line(rel: dict) -> str:
    """One plain line: which biases pass their thresholds, with the figures ("trust: position bias high, flips 23 %
    [18, 29]"); "trust: no bias found at these thresholds" otherwise."""
    found = []
    flips, first = rel.get("order_flip_rate"), rel.get("first_position_rate")
    if first and abs(first["value"] - 0.5) >= FIRST_POSITION_SKEW and _excludes_half(first):
        found.append(f"position bias high, first answer picked {_pct(first)}")
    if flips and flips["value"] >= FLIP_HIGH:
        found.append(f"flips {_pct(flips)} when the answers swap")
    longer = rel.get("longer_wins_rate")
    if longer and longer["value"] >= LONGER_WINS_HIGH and _excludes_half(longer):
        found.append(f"prefers longer answers, {_pct(longer)}")
    rep = rel.get("repeat_agreement")
    if rep and rep["value"] < REPEAT_LOW:
        found.append(f"unstable, same verdict on repeat {_pct(rep)}")
    return "trust: " + ("; ".join(found) if found else "no bias found at these thresholds")
