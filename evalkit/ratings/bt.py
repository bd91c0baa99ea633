"""Bradley-Terry with ties by maximum likelihood (MAP with a tiny virtual-tie prior), in natural-log units.

The likelihood is Chatbot Arena's (Chiang et al. 2024, §5; FastChat's bt_loss_and_grad): per battle the logistic loss
of model_a's score, a tie counting half a win and half a loss, with an optional style covariate (style control).
`objective` stacks R independent fits in one loss so the bootstrap fits its resamples together.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit

from evalkit.ratings.battles import Battles
from evalkit.ratings.checks import require

__all__ = ["DEFAULT_PRIOR", "fit_bt", "lbfgs", "n_features", "objective", "terms"]

# Virtual ties each model plays against an average opponent (beta = 0), after bayeselo's virtual draws (Coulom).
# It keeps a model that never wins (or never loses) finite; its weight is tiny next to real battles, so ratings of
# ordinary data move by well under 0.1 Elo (pass prior=0 for the bare maximum-likelihood estimate).
DEFAULT_PRIOR = 0.01


def terms(bt: Battles):
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


def objective(ia: np.ndarray, ib: np.ndarray, X: np.ndarray | None, W: np.ndarray, S: np.ndarray, m: int, prior: float):
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


def lbfgs(fun, x0: np.ndarray, *, gtol: float, maxiter: int) -> np.ndarray:
    """Minimise `fun` (returning loss and gradient) from `x0` by scipy's L-BFGS-B."""
    res = minimize(
        fun, x0, jac=True, method="L-BFGS-B", options={"maxiter": maxiter, "gtol": gtol, "ftol": 1e-15, "maxcor": 20}
    )
    return res.x


def n_features(bt: Battles) -> int:
    """How many style covariates the battles carry (0 without style control)."""
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
    require("prior", prior, at_least=0)
    w = (bt.counts if weights is None else np.asarray(weights, dtype=np.float64))[None, :]
    m, f = len(bt.models), n_features(bt)
    ia, ib, X, A = terms(bt)
    fun = objective(ia, ib, X, (A.T @ w.T).T, (A.T @ (w * bt.uy).T).T, m, prior)
    start = np.zeros(m + f) if x0 is None else np.asarray(x0, dtype=np.float64)
    return lbfgs(fun, start, gtol=gtol, maxiter=maxiter)
