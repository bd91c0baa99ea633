"""Classic online Elo over battles in their order (FastChat's compute_elo), on the Elo scale of `scale`."""

from __future__ import annotations

import math

import numpy as np

from evalkit.ratings.battles import Battles
from evalkit.ratings.checks import require
from evalkit.ratings.scale import BASE, OFFSET, SCALE

__all__ = ["alpha_of", "online_elo"]


def alpha_of(k: float, scale: float, base: float) -> float:
    """ln(base) / scale, once K, the scale and the base are checked (K > 0, scale > 0, base > 1)."""
    require("k", k, above=0)
    require("scale", scale, above=0)
    require("base", base, above=1)
    return math.log(base) / scale


def online_elo(
    bt: Battles, *, k: float = 4.0, scale: float = SCALE, base: float = BASE, initial: float = OFFSET
) -> np.ndarray:
    """Classic online Elo over the battles in their given order: after each battle both ratings move by
    k * (score - expected). The result depends on the order (the same battles shuffled give other ratings, and
    recent battles weigh more), which is why Chatbot Arena moved to Bradley-Terry; use it to follow a live stream.
    The mean stays at `initial` (every update is zero-sum). K = 4 as in FastChat's compute_elo."""
    alpha = alpha_of(k, scale, base)
    r = np.full(len(bt.models), float(initial))
    for i, j, s in zip(bt.a.tolist(), bt.b.tolist(), bt.y.tolist()):
        e = 1.0 / (1.0 + math.exp(alpha * (r[j] - r[i])))
        d = k * (s - e)
        r[i] += d
        r[j] -= d
    return r
