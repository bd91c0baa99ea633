"""Judges' verdicts into the results store (`ratings`, plus `battles` for Elo) and win rates against human answers.

Reading the `ratings` table back, and verdict files in and out, is `evalkit.verdicts_io`'s."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalkit.judges.judge import PairVerdict, SingleVerdict
from workbench.store import Store, schema
from workbench.verdicts import PAIRWISE, SCORE, WINNER, swap, to_winner

__all__ = ["HUMAN_REFERENCE", "record_pair_verdicts", "record_single_verdicts", "reference_winrates"]

# The contestant whose answers are the human-written reference answers of a suite or dataset.
HUMAN_REFERENCE = "human-reference"


def record_pair_verdicts(
    store: Store,
    verdicts: Sequence[PairVerdict],
    items: Sequence[dict],
    *,
    rater: str,
    model_a: str,
    model_b: str,
    run_id: str | None = None,
    session_id: str | None = None,
    rater_kind: str = "llm",
    suite: str | None = None,
    battles: bool = True,
) -> int:
    """One `ratings` row per item (the combined verdict, both raw orders under `raw`); decisive and tie verdicts
    also become `battles` rows for ratings/tournaments. Returns the number of ratings rows written."""
    rows, fights = [], []
    for v, it in zip(verdicts, items):
        rows.append(
            dict(
                run_id=run_id,
                session_id=session_id,
                item_id=v.item_id,
                kind="pairwise",
                prompt=it.get("question"),
                model_a=it.get("model_a") or model_a,
                model_b=it.get("model_b") or model_b,
                output_a=it.get("answer_a"),
                output_b=it.get("answer_b"),
                rater=rater,
                rater_kind=rater_kind,
                verdict=v.winner,
                rationale=v.per_order[0]["raw"] if v.per_order else None,
                order_shown="both",
                raw={"per_order": v.per_order, "reference": it.get("reference")},
            )
        )
        if battles and v.winner in WINNER:
            fights.append(
                dict(
                    run_id=run_id,
                    suite=suite,
                    item_id=v.item_id,
                    model_a=it.get("model_a") or model_a,
                    model_b=it.get("model_b") or model_b,
                    winner=to_winner(v.winner),
                    judge=rater,
                    judge_kind=rater_kind,
                    len_a=len(it.get("answer_a") or ""),
                    len_b=len(it.get("answer_b") or ""),
                )
            )
    store.insert(schema.ratings, rows)
    store.insert(schema.battles, fights)
    return len(rows)


def record_single_verdicts(
    store: Store,
    verdicts: Sequence[SingleVerdict],
    items: Sequence[dict],
    *,
    rater: str,
    model: str,
    run_id: str | None = None,
    rater_kind: str = "llm",
) -> int:
    """One `ratings` row per graded answer (kind "single"; score or pass/fail; raw judge text kept)."""
    rows = [
        dict(
            run_id=run_id,
            item_id=str(it.get("item_id", i)),
            kind="single",
            prompt=it.get("question"),
            model_a=model,
            output_a=it.get("answer"),
            rater=rater,
            rater_kind=rater_kind,
            verdict=v.verdict,
            score=v.score,
            rationale=v.raw,
            raw={"raw": v.raw, "reference": it.get("reference")},
        )
        for i, (v, it) in enumerate(zip(verdicts, items))
    ]
    return store.insert(schema.ratings, rows)


def reference_winrates(
    rows: Sequence[dict], *, bootstrap: int = 1000, seed: int = 0, reference: str = HUMAN_REFERENCE
) -> dict:
    """Each model's win rate against the human-written answers: (wins + ½ ties) / decided-or-tied comparisons,
    with a percentile bootstrap CI over items. Rows: model_a, model_b, verdict (A/B/tie/bothbad); unparsed skipped."""
    per_model: dict[str, list[float]] = {}
    for r in rows:
        v = r.get("verdict") or r.get("winner")
        if v not in PAIRWISE:
            continue
        if r.get("model_b") == reference and r.get("model_a") != reference:
            model, score = r["model_a"], SCORE[v]
        elif r.get("model_a") == reference and r.get("model_b") != reference:
            model, score = r["model_b"], SCORE[swap(v)]
        else:
            continue
        per_model.setdefault(model, []).append(score)
    out = {}
    rng = np.random.default_rng(seed)
    for model, scores in sorted(per_model.items()):
        s = np.array(scores)
        entry = {
            "n": len(s),
            "wins": int((s == 1).sum()),
            "ties": int((s == 0.5).sum()),
            "losses": int((s == 0).sum()),
            "win_rate": round(float(s.mean()), 6),
            "ci_low": None,
            "ci_high": None,
        }
        if bootstrap > 0 and len(s) >= 2:
            means = s[rng.integers(0, len(s), (bootstrap, len(s)))].mean(axis=1)
            lo, hi = np.quantile(means, [0.025, 0.975])
            entry["ci_low"], entry["ci_high"] = round(float(lo), 6), round(float(hi), 6)
        out[model] = entry
    return out
