"""Ratings from pairwise battles: online Elo, Bradley-Terry with ties, bootstrap CIs, CI-aware ranks.

prepare (DataFrame → arrays) → fit (numpy/scipy) → present (Elo scale, JSON-ready dicts), after Chatbot Arena's rating
code (FastChat `fastchat/serve/monitor/rating_systems.py`) and its paper (Chiang et al. 2024, "Chatbot Arena", §5).

Elo scale everywhere: P(a beats b) = 1 / (1 + base ** ((R_b - R_a) / scale)), scale 400, base 10. Internally the
Bradley-Terry strengths are natural-log units (beta); rating = beta * scale / ln(base) + offset.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import minimize
from scipy.sparse.csgraph import connected_components
from scipy.special import expit

from workbench.errors import UserError

__all__ = [
    "Battles",
    "DisconnectedError",
    "WINNER_LABELS",
    "bootstrap_bt",
    "bootstrap_elo",
    "ci_rank",
    "components",
    "fit_bt",
    "leaderboard",
    "online_elo",
    "parse_anchor",
    "predicted_matrix",
    "prepare",
    "to_elo",
]

SCALE, BASE, OFFSET = 400.0, 10.0, 1000.0

# Chatbot Arena's winner labels and their score for model_a (a tie is half a win each way).
WINNER_LABELS = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}
# Accepted spellings: the judges' PairVerdict values and a few common variants.
_ALIASES = {"a": 1.0, "b": 0.0, "bothbad": 0.5, "both_bad": 0.5, "tie_bothbad": 0.5, "tie(bothbad)": 0.5, "draw": 0.5}
_LABEL_HINT = (
    "winner must be model_a, model_b, tie or tie (bothbad) (Chatbot Arena's labels; A, B, bothbad or the "
    "winning model's name are accepted too)"
)

# Virtual ties each model plays against an average opponent (beta = 0), after bayeselo's virtual draws (Coulom).
# It keeps a model that never wins (or never loses) finite; its weight is tiny next to real battles, so ratings of
# ordinary data move by well under 0.1 Elo (pass prior=0 for the bare maximum-likelihood estimate).
DEFAULT_PRIOR = 0.01


class DisconnectedError(UserError):
    """The comparison graph falls apart: ratings across the parts would be meaningless."""

    def __init__(self, parts: list[list[str]]):
        shown = "; ".join("{" + ", ".join(p[:6]) + (", …" if len(p) > 6 else "") + "}" for p in parts[:5])
        super().__init__(
            f"the battles form {len(parts)} separate groups of models that never met: {shown}",
            hint="add battles between the groups, or rate each group on its own "
            "(--split-components / leaderboard(..., disconnected='split'))",
        )
        self.components = parts


# ---------------------------------------------------------------------------------------------------------------
# prepare
# ---------------------------------------------------------------------------------------------------------------
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
    w = df["winner"].astype("string").str.strip()
    y = w.map(WINNER_LABELS).astype("float64")
    low = w.str.lower()
    y = y.fillna(low.map(WINNER_LABELS).astype("float64")).fillna(low.map(_ALIASES).astype("float64"))
    # The winner may also be the winning model's own name.
    y = y.mask(y.isna() & (w == df["model_a"].astype("string")), 1.0)
    y = y.mask(y.isna() & (w == df["model_b"].astype("string")), 0.0)
    bad = np.flatnonzero(y.isna().to_numpy())
    if len(bad):
        shown = ", ".join(f"{_where(where, i, df)}: {df['winner'].iloc[i]!r}" for i in bad[:3])
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        raise UserError(f"unknown winner label at {shown}{more}", hint=_LABEL_HINT)
    return y.to_numpy(dtype=np.float64)


def style_feature(len_a, len_b) -> np.ndarray:
    """Length difference as one covariate: (len_a - len_b) / (len_a + len_b), divided by its root mean square so the
    coefficient reads per typical difference; 0 means equal lengths (FastChat's style control normalises likewise)."""
    la, lb = np.asarray(len_a, dtype=np.float64), np.asarray(len_b, dtype=np.float64)
    s = (la - lb) / np.maximum(la + lb, 1.0)
    rms = math.sqrt(float(np.mean(s * s))) if len(s) else 0.0
    return (s / rms if rms > 0 else s)[:, None]


def prepare(df: pd.DataFrame, *, where: Sequence[str] | None = None, style: bool = False) -> Battles:
    """Validate a battles table (model_a, model_b, winner[, len_a, len_b]) and turn it into arrays.

    `where` names each row in error messages (e.g. "battles.csv:17"); by default "row <index>". Raises UserError for
    missing columns, empty input, missing names, self-battles and unknown winner labels."""
    need = ["model_a", "model_b", "winner"] + (["len_a", "len_b"] if style else [])
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise UserError(
            f"battles need columns {', '.join(need)}; missing {', '.join(missing)}",
            hint="Chatbot Arena's layout: model_a, model_b, winner (model_a|model_b|tie|tie (bothbad))"
            + ("; style control also needs len_a and len_b (answer lengths)" if style else ""),
        )
    if len(df) == 0:
        raise UserError("no battles to rate", hint="the file has a header but no rows")
    for col in ("model_a", "model_b", "winner"):
        empty = np.flatnonzero((df[col].isna() | (df[col].astype("string").str.strip() == "")).to_numpy())
        if len(empty):
            raise UserError(
                f"{_where(where, empty[0], df)}: {col} is empty"
                + (f" ({len(empty)} rows in all)" if len(empty) > 1 else ""),
                hint=f"every battle needs {col}",
            )
    ma, mb = df["model_a"].astype(str).str.strip(), df["model_b"].astype(str).str.strip()
    selfb = np.flatnonzero((ma == mb).to_numpy())
    if len(selfb):
        shown = ", ".join(f"{_where(where, i, df)} ({ma.iloc[i]!r} vs itself)" for i in selfb[:3])
        raise UserError(
            f"self-battle at {shown}" + (f" and {len(selfb) - 3} more rows" if len(selfb) > 3 else ""),
            hint="a model can't battle itself: drop those rows or fix the model names",
        )
    y = _score_winner(df.assign(model_a=ma, model_b=mb), where)
    codes, models = pd.factorize(pd.concat([ma, mb], ignore_index=True), sort=True)
    n = len(df)
    a, b = codes[:n].astype(np.int32), codes[n:].astype(np.int32)
    feats = None
    if style:
        la, lb = pd.to_numeric(df["len_a"], errors="coerce"), pd.to_numeric(df["len_b"], errors="coerce")
        bad = np.flatnonzero((la.isna() | lb.isna() | (la < 0) | (lb < 0)).to_numpy())
        if len(bad):
            raise UserError(
                f"{_where(where, bad[0], df)}: len_a/len_b must be non-negative numbers",
                hint="lengths are answer lengths in characters or tokens",
            )
        feats = style_feature(la.to_numpy(), lb.to_numpy())
    return _build(list(models), a, b, y, feats)


def _build(models: list[str], a: np.ndarray, b: np.ndarray, y: np.ndarray, feats: np.ndarray | None) -> Battles:
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
        style_names=["length"] if feats is not None else [],
    )


# ---------------------------------------------------------------------------------------------------------------
# graph checks
# ---------------------------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------------------------
# fit: online Elo
# ---------------------------------------------------------------------------------------------------------------
def online_elo(
    bt: Battles, *, k: float = 4.0, scale: float = SCALE, base: float = BASE, initial: float = OFFSET
) -> np.ndarray:
    """Classic online Elo over the battles in their given order: after each battle both ratings move by
    k * (score - expected). The result depends on the order (the same battles shuffled give other ratings, and
    recent battles weigh more), which is why Chatbot Arena moved to Bradley-Terry; use it to follow a live stream.
    The mean stays at `initial` (every update is zero-sum). K = 4 as in FastChat's compute_elo."""
    alpha = math.log(base) / scale
    r = np.full(len(bt.models), float(initial))
    for i, j, s in zip(bt.a.tolist(), bt.b.tolist(), bt.y.tolist()):
        e = 1.0 / (1.0 + math.exp(alpha * (r[j] - r[i])))
        d = k * (s - e)
        r[i] += d
        r[j] -= d
    return r


def bootstrap_elo(
    bt: Battles,
    rounds: int,
    rng: np.random.Generator,
    *,
    k: float = 4.0,
    scale: float = SCALE,
    base: float = BASE,
    initial: float = OFFSET,
) -> np.ndarray:
    """(rounds, M) online Elo ratings, each over N battles drawn with replacement in random order (FastChat's
    compute_bootstrap_elo), run for all rounds at once."""
    alpha = math.log(base) / scale
    idx = rng.integers(0, bt.n, size=(bt.n, rounds))
    r = np.full((rounds, len(bt.models)), float(initial))
    rr = np.arange(rounds)
    for row in idx:
        i, j, s = bt.a[row], bt.b[row], bt.y[row]
        d = k * (s - expit(alpha * (r[rr, i] - r[rr, j])))
        r[rr, i] += d
        r[rr, j] -= d
    return r


# ---------------------------------------------------------------------------------------------------------------
# fit: Bradley-Terry (natural-log units)
# ---------------------------------------------------------------------------------------------------------------
def _terms(bt: Battles):
    """The likelihood's terms: without style, one per pair of models (only the pair's battle total and model_a's
    score matter); with style, one per unique row. Returns (ia, ib, X or None, A) with A the (U, K) 0/1 matrix that
    sums row counts into terms."""
    u, m = len(bt.ua), len(bt.models)
    if bt.ustyle is None:
        key = bt.ua.astype(np.int64) * m + bt.ub
        pk, inv = np.unique(key, return_inverse=True)
        ia, ib, X = (pk // m).astype(np.int32), (pk % m).astype(np.int32), None
    else:
        inv, ia, ib, X = np.arange(u), bt.ua, bt.ub, bt.ustyle
    A = sparse.csr_matrix((np.ones(u), (np.arange(u), inv)), shape=(u, len(ia)))
    return ia, ib, X, A


def _bt_objective(
    ia: np.ndarray, ib: np.ndarray, X: np.ndarray | None, W: np.ndarray, S: np.ndarray, m: int, prior: float
):
    """Loss and gradient for R stacked independent fits: W (R, K) battles per term, S (R, K) model_a's score per
    term (wins + ties / 2), each fit divided by its battle count. Per term: W * softplus(d) - S * d, the logistic
    loss where a tie is half a win and half a loss (FastChat's bt_loss_and_grad). Prior: `prior` virtual ties per
    model against an average opponent (beta = 0)."""
    R, K = W.shape
    f = 0 if X is None else X.shape[1]
    tot = W.sum(axis=1, keepdims=True)
    Wn, Sn, pw = W / tot, S / tot, prior / tot
    D = sparse.csr_matrix(
        (np.tile([1.0, -1.0], K), (np.repeat(np.arange(K), 2), np.column_stack([ia, ib]).ravel())), shape=(K, m)
    )
    DT = D.T.tocsr()

    def fun(theta: np.ndarray):
        P = theta.reshape(R, m + f)
        beta = P[:, :m]
        d = (D @ beta.T).T  # (R, K) logits
        if f:
            d = d + P[:, m:] @ X.T
        loss = (Wn * np.logaddexp(0.0, d) - Sn * d).sum()
        E = Wn * expit(d) - Sn  # (R, K) d loss / d logit
        G = np.empty_like(P)
        G[:, :m] = (DT @ E.T).T
        if f:
            G[:, m:] = E @ X
        if prior:
            loss += (pw * (np.logaddexp(0.0, beta) + np.logaddexp(0.0, -beta))).sum() / 2
            G[:, :m] += pw * (expit(beta) - 0.5)
        return loss, G.ravel()

    return fun


def _lbfgs(fun, x0: np.ndarray, *, gtol: float, maxiter: int) -> np.ndarray:
    res = minimize(
        fun, x0, jac=True, method="L-BFGS-B", options={"maxiter": maxiter, "gtol": gtol, "ftol": 1e-15, "maxcor": 20}
    )
    return res.x


def _nfeat(bt: Battles) -> int:
    return bt.ustyle.shape[1] if bt.ustyle is not None else 0


def fit_bt(
    bt: Battles,
    *,
    weights: np.ndarray | None = None,
    prior: float = DEFAULT_PRIOR,
    x0: np.ndarray | None = None,
    gtol: float = 1e-10,
    maxiter: int = 1000,
) -> np.ndarray:
    """Bradley-Terry MLE (MAP with the tiny virtual-tie prior) by L-BFGS on the unique outcome counts.

    Returns (M,) strengths beta in natural-log units, or (M + F,) with the style coefficients appended when the
    battles carry a style covariate. `weights` replaces the counts of the unique rows (a bootstrap resample)."""
    w = (bt.counts if weights is None else np.asarray(weights, dtype=np.float64))[None, :]
    m, f = len(bt.models), _nfeat(bt)
    ia, ib, X, A = _terms(bt)
    fun = _bt_objective(ia, ib, X, (A.T @ w.T).T, (A.T @ (w * bt.uy).T).T, m, prior)
    start = np.zeros(m + f) if x0 is None else np.asarray(x0, dtype=np.float64)
    return _lbfgs(fun, start, gtol=gtol, maxiter=maxiter)


def _newton_bt(
    ia: np.ndarray,
    ib: np.ndarray,
    W: np.ndarray,
    S: np.ndarray,
    m: int,
    prior: float,
    start: np.ndarray,
    *,
    tol: float = 1e-9,
    maxiter: int = 100,
) -> np.ndarray:
    """R independent Bradley-Terry fits (pair terms W, S as in _bt_objective) by damped Newton, all at once.

    Each replicate's Hessian is the weighted Laplacian of the comparison graph (plus the prior's diagonal), M×M, so
    R of them are solved in one batched call; a backtracking (Armijo) line search per replicate keeps every step a
    descent step. Warm-started at the full-data fit, it converges in a handful of iterations."""
    R, K = W.shape
    tot = W.sum(axis=1, keepdims=True)
    Wn, Sn, pw = W / tot, S / tot, prior / tot
    D = np.zeros((K, m))
    D[np.arange(K), ia] = 1.0
    D[np.arange(K), ib] = -1.0
    # Q maps per-pair curvature into the M×M Laplacian: +h at (a,a), (b,b); -h at (a,b), (b,a).
    rows = np.repeat(np.arange(K), 4)
    cols = np.column_stack([ia * m + ia, ib * m + ib, ia * m + ib, ib * m + ia]).ravel()
    QT = sparse.csr_matrix((np.tile([1.0, 1.0, -1.0, -1.0], K), (rows, cols)), shape=(K, m * m)).T.tocsr()
    eye = np.eye(m)

    def loss(B, sel):
        d = B @ D.T
        f = (Wn[sel] * np.logaddexp(0.0, d) - Sn[sel] * d).sum(axis=1)
        if prior:
            f += pw[sel, 0] * (np.logaddexp(0.0, B) + np.logaddexp(0.0, -B)).sum(axis=1) / 2
        return f

    B = np.tile(np.asarray(start, dtype=np.float64), (R, 1))
    active = np.arange(R)
    f = loss(B, active)
    for _ in range(maxiter):
        if not len(active):
            break
        Bs = B[active]
        p = expit(Bs @ D.T)
        G = (Wn[active] * p - Sn[active]) @ D
        h = Wn[active] * p * (1.0 - p)
        H = (QT @ h.T).T.reshape(len(active), m, m)
        if prior:
            q = expit(Bs)
            G += pw[active] * (q - 0.5)
            H += pw[active, :, None] * (q * (1 - q))[:, :, None] * eye
        H += 1e-12 * eye  # the Laplacian is singular along (1, ..., 1) without a prior; the gradient never points there
        step = np.linalg.solve(H, G[:, :, None])[:, :, 0]
        slope = -(G * step).sum(axis=1)
        t = np.ones(len(active))
        todo = np.arange(len(active))
        new = Bs.copy()
        fnew = np.empty(len(active))
        for _ls in range(40):
            cand = Bs[todo] - t[todo, None] * step[todo]
            fc = loss(cand, active[todo])
            ok = fc <= f[active[todo]] + 1e-4 * t[todo] * slope[todo] + 1e-14
            new[todo[ok]] = cand[ok]
            fnew[todo[ok]] = fc[ok]
            todo = todo[~ok]
            if not len(todo):
                break
            t[todo] *= 0.5
        fnew[todo] = f[active[todo]]  # no descent found: already at the optimum up to rounding
        B[active] = new
        f[active] = fnew
        done = (np.abs(t[:, None] * step).max(axis=1) < tol) | np.isin(np.arange(len(active)), todo)
        active = active[~done]
    return B


def bootstrap_bt(
    bt: Battles,
    rounds: int,
    rng: np.random.Generator,
    *,
    prior: float = DEFAULT_PRIOR,
    start: np.ndarray | None = None,
    chunk: int = 250,
    gtol: float = 1e-9,
) -> np.ndarray:
    """(rounds, M[+F]) Bradley-Terry fits on bootstrap resamples.

    A resample of N battles is a multinomial draw of counts over the unique outcomes (FastChat's
    compute_bootstrap_bt), so no battle table is ever copied; the counts are summed per pair of models, the
    likelihood's sufficient statistics. Fits are warm-started at the full-data fit and run `chunk` replicates at a
    time: batched damped Newton (up to 300 models), else (and with a style covariate) one stacked L-BFGS problem
    (their losses add, their parameters don't interact)."""
    m, f = len(bt.models), _nfeat(bt)
    if start is None:
        start = fit_bt(bt, prior=prior)
    ia, ib, X, A = _terms(bt)
    n = int(bt.counts.sum())
    draws = rng.multinomial(n, bt.counts / bt.counts.sum(), size=rounds).astype(np.float64)
    out = np.empty((rounds, m + f))
    AT = A.T.tocsr()
    newton = f == 0 and m <= 300
    chunk = max(1, min(chunk, 4_000_000 // (m * m))) if newton else chunk
    for s in range(0, rounds, chunk):
        w = draws[s : s + chunk]
        W, S = (AT @ w.T).T, (AT @ (w * bt.uy).T).T
        if newton:
            out[s : s + chunk] = _newton_bt(ia, ib, W, S, m, prior, start)
        else:
            fun = _bt_objective(ia, ib, X, W, S, m, prior)
            out[s : s + chunk] = _lbfgs(fun, np.tile(start, len(w)), gtol=gtol, maxiter=2000).reshape(len(w), m + f)
    return out


# ---------------------------------------------------------------------------------------------------------------
# present
# ---------------------------------------------------------------------------------------------------------------
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
    r = np.asarray(beta, dtype=np.float64) * scale / math.log(base)
    return _place(r, models, anchor=anchor, offset=offset)


def _place(r: np.ndarray, models: Sequence[str], *, anchor, offset: float = OFFSET) -> np.ndarray:
    if anchor is not None:
        name, value = anchor
        i = list(models).index(name)
        return r + (value - r[..., [i]])
    return r - r.mean(axis=-1, keepdims=True) + offset


def parse_anchor(anchor) -> tuple[str, float] | None:
    """None, (model, rating), {model: rating} or "MODEL=RATING" → (model, rating)."""
    if anchor is None or anchor == "":
        return None
    if isinstance(anchor, str):
        name, sep, value = anchor.rpartition("=")
        try:
            if not sep or not name:
                raise ValueError
            return name.strip(), float(value)
        except ValueError:
            raise UserError(f"bad anchor {anchor!r}", hint="write MODEL=RATING, e.g. --anchor default=1000") from None
    if isinstance(anchor, Mapping):
        if len(anchor) != 1:
            raise UserError("anchor one model only", hint="e.g. {'default': 1000}")
        ((name, value),) = anchor.items()
        return str(name), float(value)
    name, value = anchor
    return str(name), float(value)


def ci_rank(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Rank with CI overlap (Chatbot Arena): 1 + the number of models whose lower bound is above this one's upper
    bound. Models whose intervals overlap share a rank."""
    return 1 + (lower[None, :] > upper[:, None]).sum(axis=1)


def predicted_matrix(ratings: np.ndarray, *, scale: float = SCALE, base: float = BASE) -> np.ndarray:
    """P(row beats column) under Bradley-Terry from Elo-scale ratings."""
    return 1.0 / (1.0 + base ** ((ratings[None, :] - ratings[:, None]) / scale))


def _matrices(bt: Battles) -> tuple[np.ndarray, np.ndarray]:
    """(counts, observed win rate) M×M; win rate counts a tie as half a win; NaN where two models never met."""
    m = len(bt.models)
    n = np.zeros((m, m))
    s = np.zeros((m, m))
    np.add.at(n, (bt.ua, bt.ub), bt.counts)
    np.add.at(s, (bt.ua, bt.ub), bt.counts * bt.uy)
    np.add.at(s, (bt.ub, bt.ua), bt.counts * (1 - bt.uy))
    n = n + n.T
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(n > 0, s / n, np.nan)
    return n, w


def _nested(mat: np.ndarray, models: list[str], order: np.ndarray, digits: int) -> dict:
    out = {}
    for i in order:
        out[models[i]] = {
            models[j]: None if i == j or not np.isfinite(mat[i, j]) else round(float(mat[i, j]), digits) for j in order
        }
    return out


def _subset(bt: Battles, keep: list[str]) -> Battles:
    """The battles among `keep` (one connected component), with model ids renumbered."""
    idx = np.array(sorted(bt.models.index(x) for x in keep))
    remap = np.full(len(bt.models), -1)
    remap[idx] = np.arange(len(idx))
    sel = remap[bt.a] >= 0
    return _build(
        [bt.models[i] for i in idx],
        remap[bt.a[sel]].astype(np.int32),
        remap[bt.b[sel]].astype(np.int32),
        bt.y[sel],
        bt.style[sel] if bt.style is not None else None,
    )


def leaderboard(
    battles: pd.DataFrame | Battles,
    *,
    method: str = "bt",
    bootstrap: int = 1000,
    seed: int = 0,
    anchor=None,
    style_control: bool = False,
    prior: float = DEFAULT_PRIOR,
    k: float = 4.0,
    level: float = 0.95,
    disconnected: str = "error",
    where: Sequence[str] | None = None,
) -> dict:
    """The `evalkit ratings --json` object: `ratings` (model → rating, best first), with bootstrap > 0 also `ci`
    (model → [low, high], percentile interval at `level`) and `rank` (CI-aware), plus `winrate` (observed, ties
    half), `predicted` (Bradley-Terry P(row beats column) from the ratings), `counts` (battles per pair) as nested
    dicts, `components` (groups of models that met), `unbounded` (groups only the prior keeps finite) and settings.

    method: "bt" (Bradley-Terry, order-free; the default) or "elo" (online, order-dependent; its bootstrap reruns it
    on resampled, reshuffled battles). Without `anchor` the mean rating is 1000. disconnected: "error" raises
    DisconnectedError when the models fall into groups that never met; "split" rates each group on its own (each
    centred at 1000, ranks within the group) and marks every model's `component`."""
    if method not in ("bt", "elo"):
        raise UserError(f"unknown rating method {method!r}", hint="use bt (Bradley-Terry) or elo (online Elo)")
    if style_control and method != "bt":
        raise UserError("style control needs --method bt", hint="the length covariate is part of the BT model")
    if bootstrap and bootstrap < 0:
        raise UserError("bootstrap rounds must be >= 0")
    anchor = parse_anchor(anchor)
    bt = battles if isinstance(battles, Battles) else prepare(battles, where=where, style=style_control)
    if anchor is not None and anchor[0] not in bt.models:
        raise UserError(
            f"anchor model {anchor[0]!r} is not in the battles",
            hint="models: " + ", ".join(bt.models[:10]) + (" …" if len(bt.models) > 10 else ""),
        )
    parts = components(bt)
    if len(parts) > 1 and disconnected != "split":
        raise DisconnectedError(parts)
    rng = np.random.default_rng(seed)
    m = len(bt.models)
    ratings = np.empty(m)
    lo = np.full(m, np.nan)
    hi = np.full(m, np.nan)
    rank = np.zeros(m, dtype=int)
    comp_of = np.zeros(m, dtype=int)
    style_coef = None
    for c, part in enumerate(parts):
        sub = bt if len(parts) == 1 else _subset(bt, part)
        pos = np.array([bt.models.index(x) for x in sub.models])
        comp_of[pos] = c
        anc = anchor if anchor is not None and anchor[0] in sub.models else None
        if method == "bt":
            theta = fit_bt(sub, prior=prior)
            r = to_elo(theta[: len(sub.models)], sub.models, anchor=anc)
            if sub.ustyle is not None:
                style_coef = float(theta[len(sub.models)])
            boots = None
            if bootstrap:
                th = bootstrap_bt(sub, bootstrap, rng, prior=prior, start=theta)
                boots = to_elo(th[:, : len(sub.models)], sub.models, anchor=anc)
        else:
            r = _place(online_elo(sub, k=k), sub.models, anchor=anc) if anc else online_elo(sub, k=k)
            boots = None
            if bootstrap:
                boots = bootstrap_elo(sub, bootstrap, rng, k=k)
                boots = _place(boots, sub.models, anchor=anc) if anc else boots
        ratings[pos] = r
        if boots is not None:
            q = (1 - level) / 2
            lo[pos], hi[pos] = np.quantile(boots, q, axis=0), np.quantile(boots, 1 - q, axis=0)
            rank[pos] = ci_rank(lo[pos], hi[pos])
    order = np.lexsort((np.array(bt.models), -ratings))
    counts, winrate = _matrices(bt)
    pred = predicted_matrix(ratings)
    pred[comp_of[:, None] != comp_of[None, :]] = np.nan
    names = [bt.models[i] for i in order]
    out: dict = {
        "method": method,
        "battles": bt.n,
        "models": names,
        "ratings": {bt.models[i]: round(float(ratings[i]), 2) for i in order},
    }
    if bootstrap:
        out["ci"] = {bt.models[i]: [round(float(lo[i]), 2), round(float(hi[i]), 2)] for i in order}
        out["rank"] = {bt.models[i]: int(rank[i]) for i in order}
    out["battles_per_model"] = {bt.models[i]: int(counts[i].sum()) for i in order}
    out["winrate"] = _nested(winrate, bt.models, order, 4)
    out["predicted"] = _nested(pred, bt.models, order, 4)
    out["counts"] = _nested(np.where(counts > 0, counts, np.nan), bt.models, order, 0)
    out["counts"] = {
        a: {b: (int(v) if v is not None else 0) for b, v in row.items() if b != a} for a, row in out["counts"].items()
    }
    out["components"] = parts
    if len(parts) > 1:
        out["component"] = {bt.models[i]: int(comp_of[i]) for i in order}
    out["unbounded"] = unbounded(bt) if method == "bt" else []
    out["settings"] = {
        "bootstrap": int(bootstrap or 0),
        "seed": seed,
        "level": level,
        "anchor": list(anchor) if anchor else None,
        "prior": prior if method == "bt" else None,
        "k": k if method == "elo" else None,
        "scale": SCALE,
        "base": BASE,
        "style_control": bool(style_control),
    }
    if style_coef is not None:
        out["style"] = {
            "length_coef": round(style_coef, 4),
            "length_coef_elo": round(style_coef * SCALE / math.log(BASE), 2),
        }
    return out
