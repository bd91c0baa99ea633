"""The Elo scale: P(a beats b) = 1 / (1 + base ** ((R_b - R_a) / scale)), scale 400, base 10 (Chatbot Arena).

Bradley-Terry strengths are fitted in natural-log units (beta); rating = beta * scale / ln(base) + offset.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from evalkit.ratings.checks import require

__all__ = ["BASE", "OFFSET", "SCALE", "place", "predicted_matrix", "to_elo"]

SCALE, BASE, OFFSET = 400.0, 10.0, 1000.0


def to_elo(
    beta: np.ndarray,
    models: Sequence[str],
    *,
    anchor: tuple[str, float] | None = None,
    scale: float = SCALE,
    base: float = BASE,
    offset: float = OFFSET,
) -> np.ndarray:
    """Natural-log strengths → Elo scale; centred so the mean is `offset`, or shifted so `anchor` = (model, rating)
    holds exactly. Works on (M,) or (R, M)."""
    require("scale", scale, above=0)
    require("base", base, above=1)
    r = np.asarray(beta, dtype=np.float64) * scale / math.log(base)
    return place(r, models, anchor=anchor, offset=offset)


def place(r: np.ndarray, models: Sequence[str], *, anchor, offset: float = OFFSET) -> np.ndarray:
    """Elo-scale ratings centred on `offset`, or shifted so `anchor` = (model, rating) holds exactly."""
    if anchor is not None:
        name, value = anchor
        i = list(models).index(name)
        return r + (value - r[..., [i]])
    return r - r.mean(axis=-1, keepdims=True) + offset


def predicted_matrix(ratings: np.ndarray, *, scale: float = SCALE, base: float = BASE) -> np.ndarray:
    """P(row beats column) under Bradley-Terry from Elo-scale ratings."""
    return 1.0 / (1.0 + base ** ((ratings[None, :] - ratings[:, None]) / scale))
