"""Battles (model_a, model_b, winner[, style columns]) validated into arrays, and the comparison graph they form.

The prepare step of the ratings (prepare → fit → present, after FastChat's rating_systems.py): one row per battle in
input order for online Elo, unique outcomes with counts for Bradley-Terry. Winners are spelled as
`workbench.verdicts` says. Bad input raises InputError (a ValueError) naming the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from evalkit.ratings.checks import self_battles
from evalkit.ratings.style import normalise, style_columns, style_matrix
from workbench import verdicts
from workbench.errors import InputError

__all__ = [
    "Battles",
    "DisconnectedError",
    "components",
    "prepare",
    "resample_counts",
    "style_feature",
    "subset",
    "unbounded",
]

_WINNERS = list(verdicts.WINNER.values())  # model_a, model_b, tie, tie (bothbad)
_LABEL_HINT = (
    f"winner must be {', '.join(_WINNERS[:-1])} or {_WINNERS[-1]} (Chatbot Arena's labels; A, B, bothbad or the "
    "winning model's name are accepted too)"
)
# model_a's score for every spelling of a verdict; MT-Bench's judge letters C and D are left out, since a winner
# column may also name the winning model, and a model may be called "c"
_SCORE = {label: verdicts.SCORE[v] for label, v in verdicts.SPELLINGS.items()}


class DisconnectedError(InputError):
    """The comparison graph falls apart: ratings across the parts would be meaningless."""

    def __init__(self, parts: list[list[str]]):
        shown = "; ".join("{" + ", ".join(p[:6]) + (", …" if len(p) > 6 else "") + "}" for p in parts[:5])
        super().__init__(
            f"the battles form {len(parts)} separate groups of models that never met: {shown}",
            hint="add battles between the groups, or rate each group on its own "
            "(--split-components / leaderboard(..., disconnected='split'))",
        )
        self.components = parts


@dataclass(frozen=True)
class Battles:
    """Battles as arrays. Per battle, in input order (online Elo needs the order): `a`, `b` (int model ids, (N,)),
    `y` (score of model_a: 1, 0.5 or 0, (N,)), `style` ((N, F) float or None). Unique (a, b, y[, style]) rows with
    their `counts` for Bradley-Terry: `ua`, `ub`, `uy` ((U,)), `ustyle` ((U, F) or None), `counts` ((U,) float)."""

    models: list[str]
    a: np.ndarray
    b: np.ndarray
    y: np.ndarray
    ua: np.ndarray
    ub: np.ndarray
    uy: np.ndarray
    counts: np.ndarray
    style: np.ndarray | None = None
    ustyle: np.ndarray | None = None
    style_names: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.a)


def _where(where: Sequence[str] | None, i: int, df: pd.DataFrame) -> str:
    return where[i] if where is not None else f"row {df.index[i]}"


def _score_winner(df: pd.DataFrame, where: Sequence[str] | None) -> np.ndarray:
    """model_a's score per battle: 1, 0 or 0.5 from the winner's spelling (any case), else 1 or 0 when the winner
    is model_a's or model_b's own name."""
    w = df["winner"].astype("string").str.strip()
    y = w.str.lower().map(_SCORE).astype("float64")
    y = y.mask(y.isna() & (w == df["model_a"].astype("string")), 1.0)
    y = y.mask(y.isna() & (w == df["model_b"].astype("string")), 0.0)
    bad = np.flatnonzero(y.isna().to_numpy())
    if len(bad):
        shown = ", ".join(f"{_where(where, i, df)}: {df['winner'].iloc[i]!r}" for i in bad[:3])
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        raise InputError(f"unknown winner label at {shown}{more}", hint=_LABEL_HINT)
    return y.to_numpy(dtype=np.float64)


def style_feature(len_a, len_b) -> np.ndarray:
    """Length difference as one (N, 1) covariate, normalised as Chatbot Arena's style control does
    (evalkit.ratings.style.normalise); 0 means equal lengths."""
    return normalise(len_a, len_b)[:, None]


def prepare(df: pd.DataFrame, *, where: Sequence[str] | None = None, style: bool = False) -> Battles:
    """Validate a battles table (model_a, model_b, winner[, style columns: evalkit.ratings.style]) into arrays.

    `where` names each row in error messages (e.g. "battles.csv:17"); by default "row <index>". Raises InputError for
    missing columns, empty input, missing names, self-battles and unknown winner labels."""
    need = ["model_a", "model_b", "winner"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(
            f"battles need columns {', '.join(need)}; missing {', '.join(missing)}",
            hint=f"Chatbot Arena's layout: model_a, model_b, winner ({'|'.join(_WINNERS)})",
        )
    if style:
        style_columns(df.iloc[:0])  # the style columns are there (or the answer texts) before any row is read
    if len(df) == 0:
        raise InputError("no battles to rate", hint="the file has a header but no rows")
    for col in ("model_a", "model_b", "winner"):
        empty = np.flatnonzero((df[col].isna() | (df[col].astype("string").str.strip() == "")).to_numpy())
        if len(empty):
            raise InputError(
                f"{_where(where, empty[0], df)}: {col} is empty"
                + (f" ({len(empty)} rows in all)" if len(empty) > 1 else ""),
                hint=f"every battle needs {col}",
            )
    ma, mb = df["model_a"].astype(str).str.strip(), df["model_b"].astype(str).str.strip()
    selfb = np.flatnonzero((ma == mb).to_numpy())
    if len(selfb):
        raise self_battles([(_where(where, i, df), ma.iloc[i]) for i in selfb])
    y = _score_winner(df.assign(model_a=ma, model_b=mb), where)
    codes, models = pd.factorize(pd.concat([ma, mb], ignore_index=True), sort=True)
    n = len(df)
    a, b = codes[:n].astype(np.int32), codes[n:].astype(np.int32)
    feats, names = style_matrix(df, where) if style else (None, [])
    return build(list(models), a, b, y, feats if names else None, names)


def build(
    models: list[str],
    a: np.ndarray,
    b: np.ndarray,
    y: np.ndarray,
    feats: np.ndarray | None,
    names: Sequence[str] = ("length",),
) -> Battles:
    """Unique (a, b, outcome[, style]) rows with counts: the likelihood only needs these (FastChat's
    preprocess_for_bt). Each row is oriented so a < b (a battle b-vs-a with score y is a-vs-b with 1 - y and the
    style covariate negated), which halves the rows."""
    flip = a > b
    ca, cb = np.where(flip, b, a), np.where(flip, a, b)
    cy = np.where(flip, 1.0 - y, y)
    cols = [ca, cb, cy]
    if feats is not None:
        cols.append(np.where(flip[:, None], -feats, feats))
    uniq, counts = np.unique(np.column_stack(cols), axis=0, return_counts=True)
    return Battles(
        models=models,
        a=a,
        b=b,
        y=y,
        ua=uniq[:, 0].astype(np.int32),
        ub=uniq[:, 1].astype(np.int32),
        uy=uniq[:, 2].copy(),
        counts=counts.astype(np.float64),
        style=feats,
        ustyle=uniq[:, 3:].copy() if feats is not None else None,
        style_names=list(names) if feats is not None else [],
    )


def components(bt: Battles) -> list[list[str]]:
    """Groups of models linked by battles (connected components of the comparison graph), largest first."""
    m = len(bt.models)
    g = sparse.coo_matrix((np.ones(len(bt.ua)), (bt.ua, bt.ub)), shape=(m, m))
    _, label = connected_components(g, directed=False)
    parts = [[bt.models[i] for i in np.flatnonzero(label == c)] for c in np.unique(label)]
    return sorted(parts, key=lambda p: (-len(p), p))


def unbounded(bt: Battles) -> list[list[str]]:
    """Groups whose maximum-likelihood rating is infinite: the win graph (i→j when i scored against j, a tie counting
    both ways) is not strongly connected (Ford 1957). Only the prior keeps these finite. Empty when the MLE exists."""
    m = len(bt.models)
    won = bt.uy > 0
    lost = bt.uy < 1
    rows = np.concatenate([bt.ua[won], bt.ub[lost]])
    cols = np.concatenate([bt.ub[won], bt.ua[lost]])
    g = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(m, m))
    n, label = connected_components(g, directed=True, connection="strong")
    if n <= 1:
        return []
    return sorted(([bt.models[i] for i in np.flatnonzero(label == c)] for c in range(n)), key=lambda p: (-len(p), p))


def subset(bt: Battles, keep: list[str]) -> Battles:
    """The battles among `keep` (one connected component), with model ids renumbered."""
    idx = np.array(sorted(bt.models.index(x) for x in keep))
    remap = np.full(len(bt.models), -1)
    remap[idx] = np.arange(len(idx))
    sel = remap[bt.a] >= 0
    return build(
        [bt.models[i] for i in idx],
        remap[bt.a[sel]].astype(np.int32),
        remap[bt.b[sel]].astype(np.int32),
        bt.y[sel],
        bt.style[sel] if bt.style is not None else None,
        bt.style_names,
    )


def resample_counts(bt: Battles, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """(rounds, outcomes) bootstrap resamples of the battles as counts: a multinomial draw of N battles over the
    unique outcomes (FastChat's compute_bootstrap_bt), so no battle table is copied."""
    n = int(bt.counts.sum())
    return rng.multinomial(n, bt.counts / n, size=rounds).astype(np.float64)
