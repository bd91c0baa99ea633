"""Consensus labels from several raters: majority vote, and Dawid-Skene, which weighs each rater by an estimated
confusion matrix (Dawid & Skene 1979, "Maximum likelihood estimation of observer error-rates using the EM
algorithm", Applied Statistics 28(1), §2-3).

Pure numpy over a raters × items matrix of category codes (NaN = not rated), as `RaterMatrix.codes`; checked in the
tests against crowd-kit's DawidSkene (same initialisation: majority-vote posteriors) and against simulated truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CONSENSUS_METHODS", "Consensus", "consensus", "dawid_skene", "majority_vote", "one_hot"]

CONSENSUS_METHODS = ("dawid-skene", "majority")
_EPS = 1e-10  # floor on a confusion-matrix cell before normalising, as crowd-kit (log of 0 otherwise)


@dataclass
class Consensus:
    """Per item the posterior over categories and the consensus code; for Dawid-Skene also the class priors and the
    raters' confusion matrices `errors[r, observed, true]` (each column sums to 1)."""

    method: str
    posterior: np.ndarray  # (N, K)
    labels: np.ndarray  # (N,) int code, -1 where no rater rated the item
    priors: np.ndarray | None = None  # (K,)
    errors: np.ndarray | None = None  # (R, K, K)
    iterations: int = 0


def one_hot(codes: np.ndarray, k: int) -> np.ndarray:
    """(R, N, K) 1 where rater r gave item n code k; all zeros where r did not rate n."""
    codes = np.asarray(codes, dtype=float)
    ok = ~np.isnan(codes)
    y = np.zeros((*codes.shape, k))
    r, n = np.nonzero(ok)
    y[r, n, codes[ok].astype(int)] = 1.0
    return y


def _argmax(posterior: np.ndarray) -> np.ndarray:
    """The likeliest code per item (the lowest code on a tie, as crowd-kit's idxmax); -1 for an all-zero row."""
    out = posterior.argmax(axis=1)
    return np.where(posterior.sum(axis=1) > 0, out, -1)


def majority_vote(codes: np.ndarray, k: int) -> Consensus:
    """Each item's share of votes per category; the label is the most voted (lowest code on a tie)."""
    counts = one_hot(codes, k).sum(axis=0)
    total = counts.sum(axis=1, keepdims=True)
    posterior = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    return Consensus("majority", posterior, _argmax(posterior))


def _m_step(y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """errors[r, o, c] ∝ Σ_n y[r, n, o]·T[n, c], normalised over o (Dawid & Skene 1979, eq. 2.3)."""
    e = np.maximum(np.einsum("rno,nc->roc", y, t), _EPS)
    return e / e.sum(axis=1, keepdims=True)


def _e_step(y: np.ndarray, priors: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """T[n, c] ∝ p_c Π_r Π_o errors[r, o, c]^y[r, n, o], in logs (Dawid & Skene 1979, eq. 2.5)."""
    log_t = np.log(np.maximum(priors, _EPS))[None, :] + np.einsum("rno,roc->nc", y, np.log(errors))
    log_t -= log_t.max(axis=1, keepdims=True)
    t = np.exp(log_t)
    return t / t.sum(axis=1, keepdims=True)


def dawid_skene(codes: np.ndarray, k: int, *, n_iter: int = 100, tol: float = 1e-7) -> Consensus:
    """Dawid-Skene EM from majority-vote posteriors: M-step (confusion matrices, priors) then E-step (posteriors),
    until no posterior moves by more than `tol` or `n_iter` rounds (tol=0: always `n_iter`)."""
    if n_iter < 1 or k < 1:
        raise ValueError(f"n_iter and k must be ≥ 1 (got n_iter={n_iter}, k={k})")
    y = one_hot(codes, k)
    rated = y.sum(axis=(0, 2)) > 0
    t = majority_vote(codes, k).posterior[rated]
    y = y[:, rated]
    errors, priors = _m_step(y, t), t.mean(axis=0)
    it = 0
    while it < n_iter:
        it += 1
        new = _e_step(y, priors, errors)
        priors, errors = new.mean(axis=0), _m_step(y, new)
        moved = np.abs(new - t).max() if len(t) else 0.0
        t = new
        if moved < tol:
            break
    posterior = np.zeros((len(rated), k))
    posterior[rated] = t
    return Consensus("dawid-skene", posterior, _argmax(posterior), priors, errors, it)


def consensus(codes: np.ndarray, k: int, method: str) -> Consensus:
    """The consensus named by `method` (one of CONSENSUS_METHODS)."""
    if method == "majority":
        return majority_vote(codes, k)
    if method == "dawid-skene":
        return dawid_skene(codes, k)
    raise ValueError(f"unknown consensus {method!r}; use one of {', '.join(CONSENSUS_METHODS)}")
