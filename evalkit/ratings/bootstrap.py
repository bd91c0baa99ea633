"""Bootstrap replicates of the ratings: Bradley-Terry refits on multinomial resamples of the battle counts (FastChat's
compute_bootstrap_bt), and online Elo rerun on resampled, reshuffled battles (compute_bootstrap_elo).

Randomness comes from the `numpy.random.Generator` passed in, so a seed gives the same replicates byte for byte.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.special import expit

from evalkit.ratings.battles import Battles, resample_counts
from evalkit.ratings.bt import DEFAULT_PRIOR, fit_bt, lbfgs, n_features, objective, terms
from evalkit.ratings.checks import require
from evalkit.ratings.elo import alpha_of
from evalkit.ratings.scale import BASE, OFFSET, SCALE

__all__ = ["bootstrap_bt", "bootstrap_elo"]


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
    require("rounds", rounds, at_least=1, integer=True)
    alpha = alpha_of(k, scale, base)
    idx = rng.integers(0, bt.n, size=(bt.n, rounds))
    r = np.full((rounds, len(bt.models)), float(initial))
    rr = np.arange(rounds)
    for row in idx:
        i, j, s = bt.a[row], bt.b[row], bt.y[row]
        d = k * (s - expit(alpha * (r[rr, i] - r[rr, j])))
        r[rr, i] += d
        r[rr, j] -= d
    return r


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
    """R independent Bradley-Terry fits (pair terms W, S as in bt.objective) by damped Newton, all at once.

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
    require("rounds", rounds, at_least=1, integer=True)
    require("prior", prior, at_least=0)
    m, f = len(bt.models), n_features(bt)
    if start is None:
        start = fit_bt(bt, prior=prior)
    ia, ib, X, A = terms(bt)
    draws = resample_counts(bt, rounds, rng)
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
            fun = objective(ia, ib, X, W, S, m, prior)
            out[s : s + chunk] = lbfgs(fun, np.tile(start, len(w)), gtol=gtol, maxiter=2000).reshape(len(w), m + f)
    return out
