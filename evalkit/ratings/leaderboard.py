"""The `evalkit ratings --json` object: ratings on the Elo scale with bootstrap CIs, CI-aware ranks, observed and
predicted win rates and battle counts — the present step after `battles.prepare` and the fits (`bt`, `elo`,
`bootstrap`), as Chatbot Arena presents its leaderboard (Chiang et al. 2024, §5). Bad options raise InputError.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.ratings.battles import Battles, DisconnectedError, build, components, prepare, subset, unbounded
from evalkit.ratings.bootstrap import bootstrap_bt, bootstrap_elo
from evalkit.ratings.bt import DEFAULT_PRIOR, fit_bt
from evalkit.ratings.checks import require
from evalkit.ratings.davidson import bootstrap_davidson, fit_davidson
from evalkit.ratings.elo import online_elo
from evalkit.ratings.scale import BASE, SCALE, place, predicted_matrix, to_elo
from evalkit.ratings.separability import against as compare_against
from workbench.errors import InputError

__all__ = ["METHODS", "TIES", "ci_rank", "leaderboard", "parse_anchor"]

METHODS = ("bt", "elo")
TIES = ("half", "davidson")  # a tie is half a win each (Chatbot Arena), or Davidson's (1970) tie parameter


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
            raise InputError(f"bad anchor {anchor!r}", hint="write MODEL=RATING, e.g. --anchor default=1000") from None
    if isinstance(anchor, Mapping):
        if len(anchor) != 1:
            raise InputError("anchor one model only", hint="e.g. {'default': 1000}")
        ((name, value),) = anchor.items()
        return str(name), float(value)
    name, value = anchor
    return str(name), float(value)


def _check_settings(*, bootstrap, seed, prior, k, level, disconnected, ties, method) -> None:
    """Every numeric setting in range before a battle is read (the CLI checks its options the same way)."""
    require("bootstrap", bootstrap or 0, at_least=0, integer=True)
    if seed is not None:  # None: fresh randomness
        require("seed", seed, at_least=0, integer=True)
    require("prior", prior, at_least=0)
    require("k", k, above=0)
    require("level", level, above=0, below=1)
    if disconnected not in ("error", "split"):
        raise InputError(f"disconnected must be 'error' or 'split', got {disconnected!r}")
    if ties not in TIES:
        raise InputError(f"unknown ties {ties!r}", hint="use half (a tie is half a win each) or davidson")
    if ties == "davidson" and method != "bt":
        raise InputError("Davidson ties need --method bt", hint="the tie parameter is part of the BT model")


def ci_rank(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Rank with CI overlap, one rule for every rating method: Chatbot Arena's count (1 + the models whose lower
    bound is above this one's upper bound), then standard competition ranking of those counts, so models that share
    a count share a rank and the next rank skips as many places as they fill (1, 1, 3; never 1, 1, 2)."""
    clearly_above = (lower[None, :] > upper[:, None]).sum(axis=1)
    return 1 + (clearly_above[None, :] < clearly_above[:, None]).sum(axis=1)


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
    ties: str = "half",
    against: Mapping[str, float] | None = None,
) -> dict:
    """The `evalkit ratings --json` object: `ratings` (model → rating, best first), with bootstrap > 0 also `ci`
    (model → [low, high], percentile interval at `level`) and `rank` (CI-aware), plus `winrate` (observed, ties
    half), `predicted` (Bradley-Terry P(row beats column) from the ratings), `counts` (battles per pair) as nested
    dicts, `components` (groups of models that met), `unbounded` (groups only the prior keeps finite) and settings.

    method: "bt" (Bradley-Terry, order-free; the default) or "elo" (online, order-dependent; its bootstrap reruns it
    on resampled, reshuffled battles). Without `anchor` the mean rating is 1000. disconnected: "error" raises
    DisconnectedError when the models fall into groups that never met; "split" rates each group on its own (each
    centred at 1000, ranks within the group) and marks every model's `component`.

    style_control: answer length and markdown as covariates (evalkit.ratings.style), fitted jointly; adds `style`
    (feature → coef in log-odds per unit, coef_elo, ci) and `unadjusted` (the plain ratings and ci). ties:
    "davidson" fits Davidson's tie parameter and adds `tie_parameter`. against: model → higher-is-better reference
    score (needs bootstrap); adds `separability`, `agreement_with_ci`, `spearman`, `kendall`."""
    if method not in METHODS:
        raise InputError(f"unknown rating method {method!r}", hint="use bt (Bradley-Terry) or elo (online Elo)")
    if style_control and method != "bt":
        raise InputError("style control needs --method bt", hint="the length covariate is part of the BT model")
    _check_settings(
        bootstrap=bootstrap,
        seed=seed,
        prior=prior,
        k=k,
        level=level,
        disconnected=disconnected,
        ties=ties,
        method=method,
    )
    if against is not None and not bootstrap:
        raise InputError("comparing with a reference needs bootstrap intervals", hint="add --bootstrap 1000")
    anchor = parse_anchor(anchor)
    bt = battles if isinstance(battles, Battles) else prepare(battles, where=where, style=style_control)
    if anchor is not None and anchor[0] not in bt.models:
        raise InputError(
            f"anchor model {anchor[0]!r} is not in the battles",
            hint="models: " + ", ".join(bt.models[:10]) + (" …" if len(bt.models) > 10 else ""),
        )
    parts = components(bt)
    if len(parts) > 1 and disconnected != "split":
        raise DisconnectedError(parts)
    rng = np.random.default_rng(seed)
    kw = dict(anchor=anchor, prior=prior, k=k, level=level)
    fit = _fit_parts(bt, parts, method, bootstrap, rng, ties=ties, **kw)
    out = _present(bt, parts, fit, method=method, bootstrap=bootstrap)
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
    if ties == "davidson":
        out["settings"]["ties"] = ties
    out.update(_beyond(bt, parts, fit, rng, method=method, bootstrap=bootstrap, ties=ties, **kw))
    if against is not None:
        out.update(compare_against(out["ratings"], out["ci"], against))
    return out


def _beyond(bt: Battles, parts, fit: _Fit, rng, *, method, bootstrap, ties, level, **kw) -> dict:
    """The keys past the plain leaderboard: Davidson's `tie_parameter`; with style covariates `style` and the
    `unadjusted` ratings (the plain fit on the same battles)."""
    out: dict = {}
    f = len(bt.style_names)
    if ties == "davidson":
        out.update(_extras(fit, ["tie_parameter"], bootstrap, level, offset=f, exp=True))
    if f:
        out["style"] = _extras(fit, bt.style_names, bootstrap, level)
        plain = build(bt.models, bt.a, bt.b, bt.y, None)
        unfit = _fit_parts(plain, parts, method, bootstrap, rng, ties=ties, level=level, **kw)
        unadj = _present(plain, parts, unfit, method=method, bootstrap=bootstrap)
        out["unadjusted"] = {key: unadj[key] for key in ("ratings", "ci") if key in unadj}
    return out


def _extras(fit: _Fit, names: list[str], bootstrap: int, level: float, *, offset: int = 0, exp: bool = False) -> dict:
    """The fit's extra parameters from `offset` on (style coefficients, then tau) by name: {coef, coef_elo, ci} for
    a style feature, the value and its ci for the tie parameter (`exp`: reported as nu = exp(tau))."""
    out = {}
    for j, name in enumerate(names, start=offset):
        v, boots = fit.extra[j], fit.extra_boots[:, j] if fit.extra_boots is not None else None
        q = (1 - level) / 2
        ci = None if boots is None else [float(np.quantile(boots, q)), float(np.quantile(boots, 1 - q))]
        if exp:
            out[name] = round(math.exp(v), 4)
            if ci:
                out[f"{name}_ci"] = [round(math.exp(c), 4) for c in ci]
            continue
        out[name] = {"coef": round(float(v), 4), "coef_elo": round(float(v) * SCALE / math.log(BASE), 2)}
        if ci:
            out[name]["ci"] = [round(c, 4) for c in ci]
    return out


@dataclass
class _Fit:
    """Per model (M,): rating, CI bounds (NaN without bootstrap), CI-aware rank, component; the extra parameters
    after the strengths (style coefficients, then Davidson's tau) of the largest group and their replicates."""

    ratings: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    rank: np.ndarray
    comp_of: np.ndarray
    extra: np.ndarray | None = None
    extra_boots: np.ndarray | None = None


def _fit_parts(bt: Battles, parts: list[list[str]], method: str, bootstrap: int, rng, *, ties, anchor, prior, k, level):
    """Fit each group of models that met on its own (the whole set when it is connected)."""
    m = len(bt.models)
    fit = _Fit(np.empty(m), np.full(m, np.nan), np.full(m, np.nan), np.zeros(m, dtype=int), np.zeros(m, dtype=int))
    for c, part in enumerate(parts):
        sub = bt if len(parts) == 1 else subset(bt, part)
        pos = np.array([bt.models.index(x) for x in sub.models])
        fit.comp_of[pos] = c
        anc = anchor if anchor is not None and anchor[0] in sub.models else None
        r, boots, extra, extra_boots = _fit_one(sub, method, bootstrap, rng, ties=ties, anchor=anc, prior=prior, k=k)
        if c == 0:
            fit.extra, fit.extra_boots = extra, extra_boots
        fit.ratings[pos] = r
        if boots is not None:
            q = (1 - level) / 2
            fit.lo[pos], fit.hi[pos] = np.quantile(boots, q, axis=0), np.quantile(boots, 1 - q, axis=0)
            fit.rank[pos] = ci_rank(fit.lo[pos], fit.hi[pos])
    return fit


def _fit_one(sub: Battles, method: str, bootstrap: int, rng, *, ties: str, anchor, prior: float, k: float):
    """(ratings (M,), bootstrap replicates (R, M) or None, extra parameters (style, tau) and their replicates or
    None) on the Elo scale."""
    n = len(sub.models)
    if method == "bt":
        fit, boot = (fit_davidson, bootstrap_davidson) if ties == "davidson" else (fit_bt, bootstrap_bt)
        theta = fit(sub, prior=prior)
        r = to_elo(theta[:n], sub.models, anchor=anchor)
        boots = th = None
        if bootstrap:
            th = boot(sub, bootstrap, rng, prior=prior, start=theta)
            boots = to_elo(th[:, :n], sub.models, anchor=anchor)
        return r, boots, theta[n:], None if th is None else th[:, n:]
    r = place(online_elo(sub, k=k), sub.models, anchor=anchor) if anchor else online_elo(sub, k=k)
    boots = None
    if bootstrap:
        boots = bootstrap_elo(sub, bootstrap, rng, k=k)
        boots = place(boots, sub.models, anchor=anchor) if anchor else boots
    return r, boots, None, None


def _present(bt: Battles, parts: list[list[str]], fit: _Fit, *, method: str, bootstrap: int) -> dict:
    """The JSON-ready leaderboard: models best first, ratings, CIs and ranks, per-pair matrices, the groups."""
    order = np.lexsort((np.array(bt.models), -fit.ratings))
    counts, winrate = _matrices(bt)
    pred = predicted_matrix(fit.ratings)
    pred[fit.comp_of[:, None] != fit.comp_of[None, :]] = np.nan
    out: dict = {
        "method": method,
        "battles": bt.n,
        "models": [bt.models[i] for i in order],
        "ratings": {bt.models[i]: round(float(fit.ratings[i]), 2) for i in order},
    }
    if bootstrap:
        out["ci"] = {bt.models[i]: [round(float(fit.lo[i]), 2), round(float(fit.hi[i]), 2)] for i in order}
        out["rank"] = {bt.models[i]: int(fit.rank[i]) for i in order}
    out["battles_per_model"] = {bt.models[i]: int(counts[i].sum()) for i in order}
    out["winrate"] = _nested(winrate, bt.models, order, 4)
    out["predicted"] = _nested(pred, bt.models, order, 4)
    nested = _nested(np.where(counts > 0, counts, np.nan), bt.models, order, 0)
    out["counts"] = {
        a: {b: (int(v) if v is not None else 0) for b, v in row.items() if b != a} for a, row in nested.items()
    }
    out["components"] = parts
    if len(parts) > 1:
        out["component"] = {bt.models[i]: int(fit.comp_of[i]) for i in order}
    out["unbounded"] = unbounded(bt) if method == "bt" else []
    return out
