"""Bradley-Terry with ties as information: Davidson's (1970) model, fitted by maximum likelihood in natural-log units.

Davidson, R.R. (1970), "On extending the Bradley-Terry model to accommodate ties in paired comparison experiments",
JASA 65(329), eq. (2.1): with strengths pi = exp(beta) and tie parameter nu >= 0,
P(i beats j) = pi_i / Z, P(j beats i) = pi_j / Z, P(tie) = nu * sqrt(pi_i * pi_j) / Z, Z the sum of the three.
Dividing through by sqrt(pi_i * pi_j) with d = beta_i - beta_j (+ the style covariates' term):
Z' = exp(d / 2) + exp(-d / 2) + nu, so P(i beats j | not a tie) = expit(d): the same Elo scale as plain BT.
Both-bad verdicts count as ties, as Chatbot Arena counts "tie (bothbad)" (FastChat's rating_systems.py).
We fit tau = ln(nu) so nu stays positive.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.special import expit

from evalkit.ratings.battles import Battles, resample_counts
from evalkit.ratings.bt import DEFAULT_PRIOR, fit_bt, lbfgs, n_features, terms
from evalkit.ratings.checks import require

__all__ = ["bootstrap_davidson", "davidson_objective", "fit_davidson", "tie_counts"]


def tie_counts(bt: Battles, w: np.ndarray, A) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per likelihood term (bt.terms) for R weightings w (R, U): battles, wins minus losses of model_a, and ties."""
    AT = A.T.tocsr()
    win, tie = (bt.uy == 1.0).astype(np.float64), (bt.uy == 0.5).astype(np.float64)
    lose = 1.0 - win - tie
    N = (AT @ w.T).T
    return N, (AT @ (w * (win - lose)).T).T, (AT @ (w * tie).T).T


def davidson_objective(ia, ib, X, N, WL, T, m: int, prior: float):
    """Loss and gradient for R stacked Davidson fits, parameters [beta (m), gamma (F), tau] per fit. Per term:
    N * log Z' - (W - L) * d / 2 - T * tau, Z' = exp(d/2) + exp(-d/2) + exp(tau); each fit divided by its battle
    count. Prior: `prior` virtual ties per model against an average opponent, as in the plain BT fit."""
    R, K = N.shape
    f = 0 if X is None else X.shape[1]
    tot = N.sum(axis=1, keepdims=True)
    Nn, WLn, Tn, pw = N / tot, WL / tot, T / tot, prior / tot
    D = sparse.csr_matrix(
        (np.tile([1.0, -1.0], K), (np.repeat(np.arange(K), 2), np.column_stack([ia, ib]).ravel())), shape=(K, m)
    )
    DT = D.T.tocsr()

    def fun(theta: np.ndarray):
        P = theta.reshape(R, m + f + 1)
        beta, tau = P[:, :m], P[:, -1:]
        d = (D @ beta.T).T
        if f:
            d = d + P[:, m : m + f] @ X.T
        logz = np.logaddexp(np.logaddexp(d / 2, -d / 2), tau)
        loss = (Nn * logz - WLn * d / 2 - Tn * tau).sum()
        pwin, plose = np.exp(d / 2 - logz), np.exp(-d / 2 - logz)
        E = Nn * (pwin - plose) / 2 - WLn / 2  # d loss / d d
        G = np.empty_like(P)
        G[:, :m] = (DT @ E.T).T
        if f:
            G[:, m : m + f] = E @ X
        G[:, -1] = (Nn * np.exp(tau - logz) - Tn).sum(axis=1)
        if prior:
            loss += (pw * (np.logaddexp(0.0, beta) + np.logaddexp(0.0, -beta))).sum() / 2
            G[:, :m] += pw * (expit(beta) - 0.5)
        return loss, G.ravel()

    return fun


def _start(bt: Battles, prior: float) -> np.ndarray:
    """The plain BT fit and nu from the tie rate at equal strengths (P(tie) = nu / (2 + nu))."""
    t = float(bt.counts[bt.uy == 0.5].sum() / bt.counts.sum())
    t = min(max(t, 1e-6), 1 - 1e-6)
    return np.append(fit_bt(bt, prior=prior), np.log(2 * t / (1 - t)))


def fit_davidson(
    bt: Battles, *, weights: np.ndarray | None = None, prior: float = DEFAULT_PRIOR, gtol: float = 1e-10
) -> np.ndarray:
    """Davidson MLE (MAP with the tiny virtual-tie prior): (M + F + 1,) strengths beta, style coefficients, tau.
    Without any tie tau runs towards -inf (nu = 0: plain BT without ties) and stops where its gradient vanishes."""
    require("prior", prior, at_least=0)
    w = (bt.counts if weights is None else np.asarray(weights, dtype=np.float64))[None, :]
    ia, ib, X, A = terms(bt)
    fun = davidson_objective(ia, ib, X, *tie_counts(bt, w, A), len(bt.models), prior)
    return lbfgs(fun, _start(bt, prior), gtol=gtol, maxiter=2000)


def bootstrap_davidson(
    bt: Battles,
    rounds: int,
    rng: np.random.Generator,
    *,
    prior: float = DEFAULT_PRIOR,
    start: np.ndarray | None = None,
    chunk: int = 250,
    gtol: float = 1e-9,
) -> np.ndarray:
    """(rounds, M + F + 1) Davidson fits on multinomial resamples of the battle counts (as bootstrap_bt), `chunk`
    replicates stacked in one L-BFGS problem, warm-started at the full-data fit."""
    require("rounds", rounds, at_least=1, integer=True)
    p = len(bt.models) + n_features(bt) + 1
    start = fit_davidson(bt, prior=prior) if start is None else start
    ia, ib, X, A = terms(bt)
    draws = resample_counts(bt, rounds, rng)
    out = np.empty((rounds, p))
    for s in range(0, rounds, chunk):
        w = draws[s : s + chunk]
        fun = davidson_objective(ia, ib, X, *tie_counts(bt, w, A), len(bt.models), prior)
        out[s : s + chunk] = lbfgs(fun, np.tile(start, len(w)), gtol=gtol, maxiter=2000).reshape(len(w), p)
    return out
