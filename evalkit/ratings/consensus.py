"""One battle per item and model pair from several raters' votes: the consensus of the raters who judged it, by
majority vote or by Dawid-Skene, which weighs each rater by an estimated confusion matrix (Dawid & Skene 1979;
evalkit.agreement.consensus). With k raters per item the leaderboard then counts each comparison once, as the
consensus says, instead of k times with a spammer's vote as heavy as an expert's (issue 18).

    battles (model_a, model_b, winner, item_id, judge)  ->  consensus_battles  ->  leaderboard
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.agreement.consensus import CONSENSUS_METHODS, consensus

__all__ = ["CONSENSUS_METHODS", "consensus_battles"]

# the categories of a vote on the pair (x, y) with x < y by name: x wins, y wins, a tie, both bad
_WINNERS = ("x", "y", "tie", "tie (bothbad)")


def _oriented(df: pd.DataFrame) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Each vote on its pair sorted by model name (x, y), and its category code in `_WINNERS`."""
    swap = df["model_a"].astype(str) > df["model_b"].astype(str)
    x = df["model_a"].where(~swap, df["model_b"]).astype(str)
    y = df["model_b"].where(~swap, df["model_a"]).astype(str)
    w = df["winner"].astype(str)
    x_won = (w == "model_a") & ~swap | (w == "model_b") & swap
    y_won = (w == "model_b") & ~swap | (w == "model_a") & swap
    code = np.select([x_won, y_won, w == "tie", w == "tie (bothbad)"], [0, 1, 2, 3], default=-1)
    return x, y, code


def consensus_battles(df: pd.DataFrame, method: str) -> tuple[pd.DataFrame, dict]:
    """Battles with one row per (item_id, model pair): the consensus winner of its votes by `method`
    (CONSENSUS_METHODS); the judge column names the rater. Returns the battles and what was merged."""
    if method not in CONSENSUS_METHODS:
        raise ValueError(f"unknown consensus {method!r}; use one of {', '.join(CONSENSUS_METHODS)}")
    missing = [c for c in ("item_id", "judge") if c not in df.columns or df[c].isna().all()]
    if missing:
        raise ValueError(
            f"a consensus needs to know which item each vote is on and who cast it: no {' or '.join(missing)} column"
        )
    rows = df.dropna(subset=["item_id", "judge"])
    x, y, code = _oriented(rows)
    if (code < 0).any():
        raise ValueError(
            f"winner {rows['winner'].iloc[int(np.argmax(code < 0))]!r} is not one of model_a, model_b, tie"
        )
    unit = pd.MultiIndex.from_arrays([rows["item_id"].astype(str), x, y])
    units, unit_ix = np.unique(unit.to_flat_index(), return_inverse=True)
    raters, rater_ix = np.unique(rows["judge"].astype(str), return_inverse=True)
    codes = np.full((len(raters), len(units)), np.nan)
    codes[rater_ix, unit_ix] = code  # a rater's last vote on a unit counts once
    k = int(np.nanmax(codes)) + 1 if codes.size else 1  # the categories used (both-bad last): none unseen
    labels = consensus(codes, k, method).labels
    item, mx, my = zip(*units) if len(units) else ((), (), ())
    winner = [("model_a", "model_b", "tie", "tie (bothbad)")[k] for k in labels]
    out = pd.DataFrame(
        {"model_a": mx, "model_b": my, "winner": winner, "item_id": item, "judge": f"consensus:{method}"}
    )
    info = {"method": method, "votes": int(len(rows)), "raters": int(len(raters)), "battles": int(len(out))}
    if len(rows) < len(df):
        info["votes_without_item_or_rater"] = int(len(df) - len(rows))
    return out, info
