"""Inter-rater agreement for human and LLM verdicts, each figure with a bootstrap CI over items.

Pure functions over small arrays (prepare → statistic → present): % agreement with and without ties, Cohen's and
weighted kappa, Fleiss' kappa, Krippendorff's alpha, Spearman and Kendall, a confusion matrix, position consistency
and verbosity preference. `agreement_report` turns a long table (item_id, rater, rating[, rater_kind]) into the
`evalkit agree --json` object. A statistic that is undefined on the data is reported as None with the reason under
"undefined", never as NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from workbench.errors import UserError
from workbench.messages import message, render

__all__ = [
    "TIE_LABELS",
    "Ratings",
    "agreement_report",
    "bootstrap_ci",
    "cohen_kappa",
    "confusion_matrix",
    "fleiss_kappa",
    "interpret_alpha",
    "interpret_kappa",
    "kendall",
    "krippendorff_alpha",
    "pair_counts",
    "percent_agreement",
    "position_consistency",
    "prepare",
    "say",
    "spearman",
    "verbosity_preference",
    "MESSAGES",
]

# Verdicts that count as "no winner" for MT-Bench's agreement without ties (FastChat maps "tie (bothbad)" to tie).
TIE_LABELS = frozenset({"tie", "c", "bothbad", "both_bad", "both bad", "tie (bothbad)"})
# Ratings that carry no verdict: dropped before any statistic (a judge whose output could not be parsed).
MISSING_LABELS = frozenset({"", "unparsed", "nan", "none", "null"})

ALPHA_RELIABLE, ALPHA_TENTATIVE = 0.8, 0.667  # Krippendorff (2004), Content Analysis, 2nd ed., §11.4.1


# ----------------------------------------------------------------------------------------------- prepare
@dataclass
class Ratings:
    """Ratings as a raters × items matrix of codes (NaN = missing) plus the value domain they index.

    `values[k]` is the value of code k: the sorted numeric scores, or for categories 0..K-1 with `labels[k]`."""

    items: list[str]
    raters: list[str]
    codes: np.ndarray  # float (R, N), NaN where a rater did not rate an item
    values: np.ndarray  # float (K,)
    labels: list[str] | None  # category names, None for numeric scores
    kinds: dict[str, str]  # rater -> human|llm (empty when the input has no rater_kind)
    dropped: int = 0  # ratings without a verdict (unparsed/empty)

    @property
    def numeric(self) -> bool:
        return self.labels is None

    def counts(self) -> np.ndarray:
        """(N, K) how many raters gave each value to each item."""
        out = np.zeros((len(self.items), len(self.values)))
        for r in range(len(self.raters)):
            ok = ~np.isnan(self.codes[r])
            np.add.at(out, (np.nonzero(ok)[0], self.codes[r, ok].astype(int)), 1)
        return out

    def tie_codes(self) -> np.ndarray:
        if self.labels is None:
            return np.zeros(len(self.values), dtype=bool)
        return np.array([lab.strip().lower() in TIE_LABELS for lab in self.labels])


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except (TypeError, ValueError):
        return False


def _at(line) -> str:
    """Where a rating came from: "file:line" as given, or "line N" of the table."""
    return line if isinstance(line, str) else f"line {line}"


def prepare(df, *, items: Sequence[str] | None = None) -> Ratings:
    """Validate a long table of ratings and turn it into a `Ratings` matrix; bad input raises UserError.

    Column-wise (pandas), so a store with 100k ratings prepares in a fraction of a second."""
    import pandas as pd

    cols = set(df.columns)
    missing = [c for c in ("item_id", "rater", "rating") if c not in cols]
    if missing:
        raise UserError(
            f"ratings table lacks column(s) {', '.join(missing)} (has: {', '.join(map(str, df.columns))})",
            hint="the CSV needs columns item_id, rater, rating and optionally rater_kind",
        )

    def text(col) -> pd.Series:
        return df[col].astype("string").str.strip().fillna("").reset_index(drop=True)

    line = df["_line"].reset_index(drop=True) if "_line" in cols else pd.Series(np.arange(len(df)) + 2)
    rating, item, rater = text("rating"), text("item_id"), text("rater")
    kind = text("rater_kind") if "rater_kind" in cols else pd.Series([""] * len(df), dtype="string")
    absent = rating.str.lower().isin(MISSING_LABELS)
    dropped = int(absent.sum())
    keep = ~absent
    line, rating, item, rater, kind = (x[keep].reset_index(drop=True) for x in (line, rating, item, rater, kind))
    bad = item.isin(["", "nan"]) | rater.isin(["", "nan"])
    if bad.any():
        raise UserError(
            f"{_at(line[bad.idxmax()])}: empty item_id or rater", hint="every rating needs an item_id and a rater"
        )
    if not len(rating):
        raise UserError("no ratings to compare" + (f" ({dropped} had no verdict, e.g. unparsed)" if dropped else ""))
    is_num = {v: _is_number(v) for v in rating.unique()}
    numeric = rating.map(is_num).astype(bool)
    if numeric.any() and not numeric.all():
        num, cat = numeric.idxmax(), (~numeric).idxmax()
        raise UserError(
            f"mixed scales: {_at(line[num])} rates {item[num]!r} with the number {rating[num]!r} but "
            f"{_at(line[cat])} rates {item[cat]!r} with the category {rating[cat]!r}",
            hint="use one scale per file: categories (A/B/tie) or numeric scores; split the file",
        )
    if items is not None:
        unknown = ~item.isin(set(map(str, items)))
        if unknown.any():
            names = sorted(set(item[unknown]))
            raise UserError(
                f"{int(unknown.sum())} rating(s) for unknown item(s) {', '.join(names[:5])}"
                f"{' …' if len(names) > 5 else ''} (first at {_at(line[unknown.idxmax()])})",
                hint="check the item ids against the suite or session the ratings belong to",
            )
    again = pd.DataFrame({"item": item, "rater": rater}).duplicated(keep="first")
    if again.any():
        j = again.idxmax()
        first = ((item == item[j]) & (rater == rater[j])).idxmax()
        raise UserError(
            f"{_at(line[j])}: rater {rater[j]!r} rated item {item[j]!r} again (first at {_at(line[first])})",
            hint="keep one rating per rater and item",
        )
    item_ids, rater_ids = list(pd.unique(item)), list(pd.unique(rater))
    if numeric.all():
        values = rating.astype(float)
        domain = np.array(sorted(set(values.tolist())))
        labels = None
        code = np.searchsorted(domain, values.to_numpy())
    else:
        labels = sorted(set(rating))
        domain = np.arange(len(labels), dtype=float)
        code = pd.Categorical(rating, categories=labels).codes
    codes = np.full((len(rater_ids), len(item_ids)), np.nan)
    codes[pd.Categorical(rater, categories=rater_ids).codes, pd.Categorical(item, categories=item_ids).codes] = code
    named = kind != ""
    kinds = dict(zip(rater[named], kind[named]))  # the last kind given for a rater wins
    return Ratings(item_ids, rater_ids, codes, domain, labels, {str(k): str(v) for k, v in kinds.items()}, dropped)


# ------------------------------------------------------------------------------------------- statistics
def pair_counts(counts: np.ndarray, *, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per item: (agreeing pairs, all pairs) over all pairs of distinct raters; `exclude` marks values (ties) whose
    pairs are left out, as in MT-Bench's agreement "without tie" (Zheng et al. 2023, §4.2 and Table 8)."""
    c = counts if exclude is None else counts * ~exclude
    m = c.sum(axis=1)
    return (c * (c - 1) / 2).sum(axis=1), m * (m - 1) / 2


def percent_agreement(counts: np.ndarray, *, exclude: np.ndarray | None = None) -> float:
    """Probability that two distinct raters picked at random on a random pair give the same rating: the share of
    agreeing pairs among all distinct-rater pairs on the same item, computed exactly instead of by sampling."""
    agree, pairs = pair_counts(counts, exclude=exclude)
    return float(agree.sum() / pairs.sum()) if pairs.sum() else math.nan


def _weights(k: int, weights: str | None) -> np.ndarray:
    d = np.abs(np.subtract.outer(np.arange(k), np.arange(k))).astype(float)
    if weights is None:
        return (d > 0).astype(float)
    if weights == "linear":
        return d
    if weights == "quadratic":
        return d**2
    raise ValueError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")


def cohen_kappa(a: Sequence, b: Sequence, *, weights: str | None = None, labels: Sequence | None = None) -> float:
    """Cohen's kappa for two raters over the same items, 1 − Σw·observed / Σw·expected (Cohen 1960; weighted:
    Cohen 1968). Weights use category positions in the sorted label order, as scikit-learn's cohen_kappa_score."""
    a, b = np.asarray(a), np.asarray(b)
    labels = np.unique(np.concatenate([a, b])) if labels is None else np.asarray(labels)
    k = len(labels)
    index = {v: i for i, v in enumerate(labels.tolist())}
    obs = np.zeros((k, k))
    np.add.at(obs, ([index[v] for v in a.tolist()], [index[v] for v in b.tolist()]), 1)
    n = obs.sum()
    if n == 0:
        return math.nan
    exp = np.outer(obs.sum(1), obs.sum(0)) / n
    w = _weights(k, weights)
    denom = (w * exp).sum()
    return float(1 - (w * obs).sum() / denom) if denom > 0 else math.nan


def fleiss_kappa(table: np.ndarray) -> float:
    """Fleiss' kappa for a complete design: `table` is items × categories counts, every item rated by the same
    number m ≥ 2 of raters (Fleiss 1971, eq. 1-9)."""
    table = np.asarray(table, dtype=float)
    n_items = table.shape[0]
    m = table.sum(axis=1)
    if n_items == 0 or not np.all(m == m[0]) or m[0] < 2:
        return math.nan
    m = m[0]
    p_j = table.sum(axis=0) / (n_items * m)
    p_i = ((table**2).sum(axis=1) - m) / (m * (m - 1))
    p_bar, p_e = p_i.mean(), (p_j**2).sum()
    return float((p_bar - p_e) / (1 - p_e)) if p_e < 1 else math.nan


def unit_coincidences(counts: np.ndarray) -> np.ndarray:
    """(N, K, K) each item's contribution to Krippendorff's coincidence matrix: value pairs from distinct raters,
    weighted 1/(m_u − 1); items with fewer than two ratings contribute nothing (Krippendorff 2011, §C)."""
    m = counts.sum(axis=1)
    pairs = counts[:, :, None] * counts[:, None, :]
    idx = np.arange(counts.shape[1])
    pairs[:, idx, idx] -= counts
    scale = np.where(m >= 2, 1.0 / np.maximum(m - 1, 1), 0.0)
    return pairs * scale[:, None, None]


def _delta2(values: np.ndarray, n_c: np.ndarray, level: str) -> np.ndarray:
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "interval":
        return np.subtract.outer(values, values) ** 2
    if level == "ordinal":  # (Σ_{g=c..k} n_g − (n_c + n_k)/2)²
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        lo = np.minimum.outer(np.arange(len(values)), np.arange(len(values)))
        hi = np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
        return (cum[hi + 1] - cum[lo] - (n_c[:, None] + n_c[None, :]) / 2) ** 2
    raise UserError(f"unknown level {level!r}", hint="use nominal, ordinal or interval")


def alpha_from_coincidences(o: np.ndarray, values: np.ndarray, level: str) -> float:
    """α = 1 − D_o / D_e from a coincidence matrix (Krippendorff 2011, "Computing Krippendorff's alpha", §C-E)."""
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n < 2:
        return math.nan
    d2 = _delta2(values, n_c, level)
    d_e = (np.outer(n_c, n_c) * d2).sum()
    return float(1 - (n - 1) * (o * d2).sum() / d_e) if d_e > 0 else math.nan


def krippendorff_alpha(data: np.ndarray, *, level: str = "nominal") -> float:
    """Krippendorff's alpha for a raters × items matrix of numbers (NaN = missing), any number of raters."""
    data = np.asarray(data, dtype=float)
    values = np.unique(data[~np.isnan(data)])
    counts = (
        np.stack([(data == v).sum(axis=0) for v in values], axis=1) if len(values) else np.zeros((data.shape[1], 0))
    )
    return alpha_from_coincidences(unit_coincidences(counts).sum(axis=0), values, level)


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (scipy.stats.spearmanr); NaN when either side is constant."""
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    return float(stats.spearmanr(a, b).statistic)


def kendall(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's tau-b (scipy.stats.kendalltau), which corrects for ties; NaN when either side is constant."""
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    return float(stats.kendalltau(a, b).statistic)


def confusion_matrix(a: Sequence, b: Sequence, labels: Sequence) -> list[list[int]]:
    """Counts of (rater a's label = row, rater b's label = column) over items both rated."""
    index = {v: i for i, v in enumerate(labels)}
    out = np.zeros((len(labels), len(labels)), dtype=int)
    for x, y in zip(a, b):
        out[index[x], index[y]] += 1
    return out.tolist()


def position_consistency(first: Sequence[str], swapped: Sequence[str]) -> float:
    """Share of items where a judge gives the same verdict when the two answers are swapped (Zheng et al. 2023,
    §3.3 "position bias", Table 2). `swapped` must already be mapped back to the first order's A/B."""
    pairs = [(x, y) for x, y in zip(first, swapped) if x not in MISSING_LABELS and y not in MISSING_LABELS]
    return sum(x == y for x, y in pairs) / len(pairs) if pairs else math.nan


def verbosity_preference(winners: Sequence[str], len_a: Sequence[int], len_b: Sequence[int]) -> float:
    """How often the longer answer wins among decisive verdicts (A or B) on answers of different length (Zheng et
    al. 2023, §3.3 "verbosity bias"): 0.5 means no preference."""
    wins = [(w == "A") == (la > lb) for w, la, lb in zip(winners, len_a, len_b) if w in ("A", "B") and la != lb]
    return sum(wins) / len(wins) if wins else math.nan


def bootstrap_ci(
    stat: Callable[[np.ndarray], float], n_items: int, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float | None, float | None]:
    """Percentile bootstrap over items (resampled with replacement); resamples where the statistic is undefined
    are skipped, and None is returned when fewer than half of them are defined."""
    if n_boot <= 0 or n_items < 2:
        return None, None
    rng = np.random.default_rng(seed)
    draws = np.array([stat(rng.integers(0, n_items, n_items)) for _ in range(n_boot)], dtype=float)
    draws = draws[np.isfinite(draws)]
    if len(draws) < n_boot / 2:
        return None, None
    lo, hi = np.quantile(draws, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


# ------------------------------------------------------------------------------------------ interpretation
# The report's sentences: English templates (the CLI and JSON print them); each sentence also goes into the report as
# {"key", "fields"} (`interpretation_keys`, `undefined_keys`, the judge's `verdict_key`) so the app can say it in
# Korean from its catalogue under the same key (workbench.messages).
FIGURE_LABELS = {
    "percent_agreement": "% agreement",
    "percent_agreement_without_ties": "% agreement without ties",
    "cohen_kappa": "Cohen's kappa",
    "weighted_kappa": "quadratic-weighted kappa",
    "weighted_kappa_linear": "linear-weighted kappa",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "spearman": "Spearman's rho",
    "kendall": "Kendall's tau",
    "position_consistency": "position consistency",
    "verbosity_preference": "verbosity preference",
}
KAPPA_BANDS = [
    (0.0, "poor"),
    (0.2, "slight"),
    (0.4, "fair"),
    (0.6, "moderate"),
    (0.8, "substantial"),
    (1.01, "almost perfect"),
]  # Landis & Koch (1977)
MESSAGES: dict[str, str] = {
    **{f"agreement.figure.{k}": v for k, v in FIGURE_LABELS.items()},
    **{f"agreement.id.{k}": k for k in FIGURE_LABELS},  # the figure's JSON name, as the CLI's lines name it
    **{f"agreement.band.{w.replace(' ', '_')}": w for _, w in KAPPA_BANDS},
    "agreement.alpha_reliable": "Krippendorff's alpha {alpha:.3f} ≥ {threshold}: reliable",
    "agreement.alpha_tentative": "Krippendorff's alpha {alpha:.3f} ≥ {threshold}: good enough for tentative "
    "conclusions only",
    "agreement.alpha_unreliable": "Krippendorff's alpha {alpha:.3f} < {threshold}: not reliable; don't draw "
    "conclusions from these ratings",
    "agreement.kappa_reading": "{band} (Landis & Koch)",
    "agreement.kappa_line": "{figure} {value:.3f}: {reading}",
    "agreement.undefined_line": "{name}: undefined — {reason}",
    "agreement.position": "position consistency {pc:.3f} (1.0 = same verdict in both orders)",
    "agreement.position_bias": "{position}: the judge changes its verdict when the answers swap places in "
    "{changed:.0%} of items (position bias); its verdicts say more about the order than "
    "the answers",
    "agreement.verbosity": "the longer answer wins {share:.0%} of decisive verdicts (50% = no length preference)",
    # the judge beside the experts
    "agreement.judge_figures": "% agreement judge-human {j:.2f} [{j_low:.2f}, {j_high:.2f}] vs human-human "
    "{h:.2f} [{h_low:.2f}, {h_high:.2f}]",
    "agreement.judge_as_often": "judge agrees with experts about as often as experts agree with each other "
    "({figures}; the intervals overlap)",
    "agreement.judge_less_often": "judge agrees with experts less often than experts agree with each other ({figures})",
    "agreement.judge_more_often": "judge agrees with experts more often than experts agree with each other ({figures})",
    "agreement.judge_not_enough": "not enough paired ratings to compare the judge with the experts' own agreement",
    # why a figure is undefined
    "agreement.undef.default": "{name} is undefined on these ratings",
    "agreement.undef.identical": "every rating is the same value, so chance agreement is 1 and {name} is undefined "
    "(0/0)",
    "agreement.undef.no_common_items": "the two raters have no item in common",
    "agreement.undef.single_value_kappa": "each rater gave a single value throughout, so chance agreement is 1 and "
    "Cohen's kappa is undefined",
    "agreement.undef.single_value_weighted": "each rater gave a single value throughout: weighted kappa is undefined",
    "agreement.undef.constant_scores": "a rater gave the same score to every item, so {name} correlation is undefined",
    "agreement.undef.one_rater": "only one rater ({rater}): agreement needs two or more raters",
    "agreement.undef.no_pairs": "no item has ratings from two raters",
    "agreement.undef.all_ties": "every pair of ratings includes a tie",
    "agreement.undef.no_item_twice": "no item has two ratings",
    "agreement.undef.incomplete_design": "not a complete design (some raters did not rate every item); use "
    "krippendorff_alpha, which allows missing ratings",
    "agreement.undef.no_swapped": "no rating has a verdict in both orders",
    "agreement.undef.no_decisive_length": "no decisive verdict between answers of different length",
    "agreement.undef.judge_no_common": "the judge and the humans share no item",
    "agreement.undef.few_humans": "fewer than two humans rated any item",
    "agreement.undef.judge_all_ties": "every judge-human pair includes a tie",
    "agreement.undef.human_all_ties": "every human-human pair includes a tie",
}


def say(msg: dict) -> str:
    """A message of this module in English."""
    return render(msg, MESSAGES)


def _figure(name: str) -> dict:
    return message(f"agreement.figure.{name}")


def alpha_message(alpha: float) -> dict:
    """Krippendorff's (2004, §11.4.1) thresholds: ≥ 0.8 reliable, ≥ 0.667 tentative conclusions only."""
    if alpha >= ALPHA_RELIABLE:
        return message("agreement.alpha_reliable", alpha=alpha, threshold=ALPHA_RELIABLE)
    if alpha >= ALPHA_TENTATIVE:
        return message("agreement.alpha_tentative", alpha=alpha, threshold=ALPHA_TENTATIVE)
    return message("agreement.alpha_unreliable", alpha=alpha, threshold=ALPHA_TENTATIVE)


def kappa_message(kappa: float) -> dict:
    """Landis & Koch (1977) bands, the common reading of kappa."""
    word = next(w for top, w in KAPPA_BANDS if kappa <= top)
    return message("agreement.kappa_reading", band=message(f"agreement.band.{word.replace(' ', '_')}"))


def interpret_alpha(alpha: float) -> str:
    return say(alpha_message(alpha))


def interpret_kappa(kappa: float) -> str:
    return say(kappa_message(kappa))


# --------------------------------------------------------------------------------------------- the report
def _clean(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


class _Figures:
    """Collects figures, CIs and reasons for undefined ones; present() gives the JSON-ready dict."""

    def __init__(self, n_items: int, bootstrap: int, seed: int):
        self.out: dict = {}
        self.ci: dict = {}
        self.undefined: dict = {}
        self.undefined_keys: dict = {}
        self.n_items, self.bootstrap, self.seed = n_items, bootstrap, seed

    def add(self, name: str, value: float, stat: Callable[[np.ndarray], float] | None, reason: dict | None = None):
        """`reason`: why the figure can be undefined here, as a message (workbench.messages)."""
        self.out[name] = _clean(value)
        if self.out[name] is None:
            self.undefine(name, reason or message("agreement.undef.default", name=message(f"agreement.id.{name}")))
            return
        if stat is not None and self.bootstrap > 0:
            lo, hi = bootstrap_ci(stat, self.n_items, n_boot=self.bootstrap, seed=self.seed)
            self.ci[name] = {"ci_low": _clean(lo), "ci_high": _clean(hi)}

    def undefine(self, name: str, reason: dict) -> None:
        self.out[name] = None
        self.undefined[name], self.undefined_keys[name] = say(reason), reason

    def present(self) -> dict:
        return {**self.out, "ci": self.ci, "undefined": self.undefined, "undefined_keys": self.undefined_keys}


def _identical(name: str) -> dict:
    return message("agreement.undef.identical", name=_figure(name))


def _two_rater_figures(fig: _Figures, r: Ratings, a: int, b: int, idx_all: np.ndarray) -> None:
    """Cohen, weighted kappa, rank correlations and the confusion matrix between raters a and b."""
    both = ~np.isnan(r.codes[a]) & ~np.isnan(r.codes[b])
    ca, cb = r.codes[a], r.codes[b]
    labels = np.arange(len(r.values))

    def on(idx, fn):
        idx = idx[both[idx]]
        return fn(ca[idx].astype(int), cb[idx].astype(int)) if len(idx) else math.nan

    n_both = int(both.sum())
    if n_both == 0:
        fig.add("cohen_kappa", math.nan, None, message("agreement.undef.no_common_items"))
        return
    same = len(np.unique(np.concatenate([ca[both], cb[both]]))) == 1
    kappa = on(idx_all, lambda x, y: cohen_kappa(x, y))
    fig.add(
        "cohen_kappa",
        kappa,
        lambda i: on(i, lambda x, y: cohen_kappa(x, y)),
        _identical("cohen_kappa") if same else message("agreement.undef.single_value_kappa"),
    )
    if r.numeric:
        for w, name in (("quadratic", "weighted_kappa"), ("linear", "weighted_kappa_linear")):
            kw = lambda x, y, w=w: cohen_kappa(x, y, weights=w, labels=labels)  # noqa: E731
            fig.add(
                name,
                on(idx_all, kw),
                lambda i, kw=kw: on(i, kw),
                _identical(name) if same else message("agreement.undef.single_value_weighted"),
            )
        va = lambda x: r.values[x]  # noqa: E731
        for name, fn in (("spearman", spearman), ("kendall", kendall)):
            f = lambda x, y, fn=fn: fn(va(x), va(y))  # noqa: E731
            fig.add(
                name,
                on(idx_all, f),
                lambda i, f=f: on(i, f),
                message("agreement.undef.constant_scores", name=message(f"agreement.id.{name}")),
            )
    names = [str(v) for v in (r.labels or [f"{v:g}" for v in r.values])]
    fig.out["confusion_matrix"] = {
        "rows": r.raters[a],
        "columns": r.raters[b],
        "labels": names,
        "matrix": confusion_matrix(ca[both].astype(int).tolist(), cb[both].astype(int).tolist(), list(labels)),
    }
    fig.out["n_items_both"] = n_both


def agreement_report(
    df,
    *,
    level: str = "nominal",
    judge: str | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    items: Sequence[str] | None = None,
) -> dict:
    """The `evalkit agree --json` object for a long table with columns item_id, rater, rating[, rater_kind].

    Optional columns add figures: `rating_swapped` (the verdict with the answers swapped, mapped back) gives
    position consistency; `len_a`/`len_b` (answer lengths) give verbosity preference."""
    if level not in ("nominal", "ordinal", "interval"):
        raise UserError(f"unknown level {level!r}", hint="use --level nominal, ordinal or interval")
    r = prepare(df, items=items)
    if r.labels is not None and level != "nominal":
        raise UserError(
            f"level {level!r} needs numeric scores, but the ratings are categories ({', '.join(r.labels[:6])})",
            hint="use --level nominal for categorical verdicts",
        )
    n_items, n_raters = len(r.items), len(r.raters)
    counts = r.counts()
    ties = r.tie_codes()
    idx_all = np.arange(n_items)
    fig = _Figures(n_items, bootstrap, seed)
    report: dict = {
        "n_ratings": int((~np.isnan(r.codes)).sum()),
        "n_items": n_items,
        "n_raters": n_raters,
        "raters": r.raters,
        "scale": "numeric" if r.numeric else "categorical",
        "level": level,
        "labels": r.labels if r.labels is not None else [float(v) for v in r.values],
        "n_items_rated_once": int((counts.sum(1) < 2).sum()),
        "n_dropped_no_verdict": r.dropped,
        "bootstrap": {"resamples": bootstrap, "seed": seed, "unit": "item", "level": 0.95},
    }
    if r.kinds:
        report["rater_kinds"] = r.kinds
    if n_raters < 2:
        reason = message("agreement.undef.one_rater", rater=r.raters[0])
        for name in ("percent_agreement", "krippendorff_alpha"):
            fig.add(name, math.nan, None, reason)
        report.update(fig.present())
        report["interpretation"], report["interpretation_keys"] = [say(reason)], [reason]
        return report
    identical = len(np.unique(r.codes[~np.isnan(r.codes)])) == 1

    # % agreement over all distinct-rater pairs on each item (MT-Bench), with and without ties
    agree, pairs = pair_counts(counts)
    ratio = lambda a, p: lambda i: a[i].sum() / p[i].sum() if p[i].sum() else math.nan  # noqa: E731
    fig.add("percent_agreement", ratio(agree, pairs)(idx_all), ratio(agree, pairs), message("agreement.undef.no_pairs"))
    if ties.any():
        agree_nt, pairs_nt = pair_counts(counts, exclude=ties)
        fig.add(
            "percent_agreement_without_ties",
            ratio(agree_nt, pairs_nt)(idx_all),
            ratio(agree_nt, pairs_nt),
            message("agreement.undef.all_ties"),
        )
    if n_raters == 2:
        _two_rater_figures(fig, r, 0, 1, idx_all)

    # many raters: Krippendorff's alpha always, Fleiss' kappa for complete designs
    uc = unit_coincidences(counts)
    alpha = lambda i: alpha_from_coincidences(uc[i].sum(axis=0), r.values, level)  # noqa: E731
    fig.add(
        "krippendorff_alpha",
        alpha(idx_all),
        alpha,
        _identical("krippendorff_alpha") if identical else message("agreement.undef.no_item_twice"),
    )
    complete = not np.isnan(r.codes).any()
    if complete:
        fk = lambda i: fleiss_kappa(counts[i])  # noqa: E731
        fig.add("fleiss_kappa", fk(idx_all), fk, _identical("fleiss_kappa"))
    else:
        fig.undefine("fleiss_kappa", message("agreement.undef.incomplete_design"))

    # every pair of raters, without CIs (the pooled figures above carry them)
    if n_raters > 2:
        report["pairs"] = []
        for a, b in combinations(range(n_raters), 2):
            both = ~np.isnan(r.codes[a]) & ~np.isnan(r.codes[b])
            ca, cb = r.codes[a, both].astype(int), r.codes[b, both].astype(int)
            entry = {
                "raters": [r.raters[a], r.raters[b]],
                "n_items": int(both.sum()),
                "percent_agreement": _clean(float(np.mean(ca == cb))) if both.any() else None,
                "cohen_kappa": _clean(cohen_kappa(ca, cb)) if both.any() else None,
            }
            if r.numeric and both.any():
                entry["weighted_kappa"] = _clean(
                    cohen_kappa(ca, cb, weights="quadratic", labels=np.arange(len(r.values)))
                )
            report["pairs"].append(entry)

    _extra_figures(fig, df, r)
    report.update(fig.present())
    if judge is not None:
        report["judge"] = _judge_section(r, counts, ties, judge, bootstrap, seed)
    report["interpretation_keys"] = _interpretation(report)
    report["interpretation"] = [say(m) for m in report["interpretation_keys"]]
    return report


def _extra_figures(fig: _Figures, df, r: Ratings) -> None:
    """Position consistency and verbosity preference when the table carries swapped verdicts or answer lengths."""
    cols = set(df.columns)
    if "rating_swapped" in cols:
        first_col = "rating_first" if "rating_first" in cols else "rating"
        first = df[first_col].fillna("").astype(str).str.strip().tolist()
        swapped = df["rating_swapped"].fillna("").astype(str).str.strip().tolist()
        pc = lambda i: position_consistency([first[j] for j in i], [swapped[j] for j in i])  # noqa: E731
        fig.n_items, saved = len(first), fig.n_items
        fig.add("position_consistency", pc(np.arange(len(first))), pc, message("agreement.undef.no_swapped"))
        fig.n_items = saved
    if {"len_a", "len_b"} <= cols:
        sub = df[df["len_a"].notna() & df["len_b"].notna()]
        w = sub["rating"].fillna("").astype(str).str.strip().tolist()
        la, lb = sub["len_a"].astype(float).tolist(), sub["len_b"].astype(float).tolist()
        vp = lambda i: verbosity_preference([w[j] for j in i], [la[j] for j in i], [lb[j] for j in i])  # noqa: E731
        fig.n_items, saved = len(w), fig.n_items
        fig.add("verbosity_preference", vp(np.arange(len(w))), vp, message("agreement.undef.no_decisive_length"))
        fig.n_items = saved
        by_rater = {}
        for rater, grp in sub.groupby("rater", sort=True):
            v = verbosity_preference(
                grp["rating"].astype(str).str.strip().tolist(),
                grp["len_a"].astype(float).tolist(),
                grp["len_b"].astype(float).tolist(),
            )
            by_rater[str(rater)] = _clean(v)
        fig.out["verbosity_preference_by_rater"] = by_rater


def _judge_section(r: Ratings, counts: np.ndarray, ties: np.ndarray, judge: str, bootstrap: int, seed: int) -> dict:
    """Judge vs humans beside human vs human, both as MT-Bench % agreement over distinct-rater pairs with CIs."""
    if judge not in r.raters:
        raise UserError(
            f"judge {judge!r} is not among the raters ({', '.join(r.raters)})",
            hint="pass --judge with a rater id from the rater column",
        )
    j = r.raters.index(judge)
    humans = [i for i, name in enumerate(r.raters) if i != j and r.kinds.get(name, "human") != "llm"]
    if not humans:
        raise UserError(
            f"no human raters besides the judge {judge!r}",
            hint="mark human raters with rater_kind=human, or drop rater_kind",
        )
    n_items = len(r.items)
    jc = r.codes[j]
    hcounts = np.zeros_like(counts)
    for h in humans:
        ok = ~np.isnan(r.codes[h])
        np.add.at(hcounts, (np.nonzero(ok)[0], r.codes[h, ok].astype(int)), 1)
    has_j = ~np.isnan(jc)
    jcode = np.where(has_j, jc, 0).astype(int)
    jh_agree = np.where(has_j, hcounts[np.arange(n_items), jcode], 0.0)
    jh_pairs = np.where(has_j, hcounts.sum(1), 0.0)
    hh_agree, hh_pairs = pair_counts(hcounts)
    ratio = lambda a, p: lambda i: a[i].sum() / p[i].sum() if p[i].sum() else math.nan  # noqa: E731
    jv, hv = _Figures(n_items, bootstrap, seed), _Figures(n_items, bootstrap, seed)
    jv.add(
        "percent_agreement",
        ratio(jh_agree, jh_pairs)(np.arange(n_items)),
        ratio(jh_agree, jh_pairs),
        message("agreement.undef.judge_no_common"),
    )
    hv.add(
        "percent_agreement",
        ratio(hh_agree, hh_pairs)(np.arange(n_items)),
        ratio(hh_agree, hh_pairs),
        message("agreement.undef.few_humans"),
    )
    if ties.any():
        nt = ~ties
        j_nt = has_j & nt[jcode]
        hn = hcounts * nt
        ja, jp = np.where(j_nt, hn[np.arange(n_items), jcode], 0.0), np.where(j_nt, hn.sum(1), 0.0)
        jv.add(
            "percent_agreement_without_ties",
            ratio(ja, jp)(np.arange(n_items)),
            ratio(ja, jp),
            message("agreement.undef.judge_all_ties"),
        )
        ha, hp = pair_counts(hcounts, exclude=ties)
        hv.add(
            "percent_agreement_without_ties",
            ratio(ha, hp)(np.arange(n_items)),
            ratio(ha, hp),
            message("agreement.undef.human_all_ties"),
        )
    per_human = []
    for h in humans:
        both = has_j & ~np.isnan(r.codes[h])
        a, b = jc[both].astype(int), r.codes[h, both].astype(int)
        entry = {
            "rater": r.raters[h],
            "n_items": int(both.sum()),
            "percent_agreement": _clean(float(np.mean(a == b))) if both.any() else None,
            "cohen_kappa": _clean(cohen_kappa(a, b)) if both.any() else None,
        }
        if r.numeric and both.any():
            entry["spearman"] = _clean(spearman(r.values[a], r.values[b]))
        per_human.append(entry)
    section = {
        "rater": judge,
        "humans": [r.raters[h] for h in humans],
        "judge_vs_humans": jv.present(),
        "human_vs_human": hv.present(),
        "per_human": per_human,
    }
    jp_, hp_ = section["judge_vs_humans"], section["human_vs_human"]
    jci, hci = jp_["ci"].get("percent_agreement"), hp_["ci"].get("percent_agreement")
    if jci and hci and None not in (*jci.values(), *hci.values()):
        overlap = jci["ci_low"] <= hci["ci_high"] and hci["ci_low"] <= jci["ci_high"]
        figures = message(
            "agreement.judge_figures",
            j=jp_["percent_agreement"],
            j_low=jci["ci_low"],
            j_high=jci["ci_high"],
            h=hp_["percent_agreement"],
            h_low=hci["ci_low"],
            h_high=hci["ci_high"],
        )
        how = "as_often" if overlap else "less_often" if jci["ci_high"] < hci["ci_low"] else "more_often"
        verdict = message(f"agreement.judge_{how}", figures=figures)
        section["comparable"] = overlap
    else:
        verdict = message("agreement.judge_not_enough")
        section["comparable"] = None
    section["verdict"], section["verdict_key"] = say(verdict), verdict
    return section


def _interpretation(report: dict) -> list[dict]:
    """The report's reading as messages, one per line."""
    lines = []
    if report.get("krippendorff_alpha") is not None:
        lines.append(alpha_message(report["krippendorff_alpha"]))
    for name in ("cohen_kappa", "fleiss_kappa", "weighted_kappa"):
        if report.get(name) is not None:
            lines.append(
                message(
                    "agreement.kappa_line",
                    figure=_figure(name),
                    value=report[name],
                    reading=kappa_message(report[name]),
                )
            )
    for name, reason in report.get("undefined_keys", {}).items():
        lines.append(message("agreement.undefined_line", name=message(f"agreement.id.{name}"), reason=reason))
    if "judge" in report:
        lines.append(report["judge"]["verdict_key"])
    if report.get("position_consistency") is not None:
        pc = report["position_consistency"]
        line = message("agreement.position", pc=pc)
        lines.append(message("agreement.position_bias", position=line, changed=1 - pc) if pc < 0.65 else line)
    if report.get("verbosity_preference") is not None:
        lines.append(message("agreement.verbosity", share=report["verbosity_preference"]))
    return lines


def report_text(report: dict) -> str:
    """A plain-text rendering of `agreement_report`'s object for the terminal."""

    def fmt(name: str, src: dict) -> str | None:
        if name not in src:
            return None
        v = src[name]
        if v is None:
            return f"  {name:<32} undefined"
        ci = src.get("ci", {}).get(name)
        tail = f"  [{ci['ci_low']:.3f}, {ci['ci_high']:.3f}]" if ci and None not in ci.values() else ""
        return f"  {name:<32} {v:.3f}{tail}"

    lines = [
        f"{report['n_ratings']} ratings, {report['n_items']} items, {report['n_raters']} raters "
        f"({', '.join(report['raters'])}); {report['scale']} scale, level {report['level']}"
    ]
    if report.get("n_dropped_no_verdict"):
        lines.append(f"  ({report['n_dropped_no_verdict']} rating(s) without a verdict, e.g. unparsed, left out)")
    names = (
        "percent_agreement",
        "percent_agreement_without_ties",
        "cohen_kappa",
        "weighted_kappa",
        "weighted_kappa_linear",
        "spearman",
        "kendall",
        "fleiss_kappa",
        "krippendorff_alpha",
        "position_consistency",
        "verbosity_preference",
    )
    lines.append("figure                             value  95% CI (bootstrap over items)")
    lines += [x for x in (fmt(n, report) for n in names) if x]
    for p in report.get("pairs", []):
        pa = "—" if p["percent_agreement"] is None else f"{p['percent_agreement']:.3f}"
        ck = "undefined" if p["cohen_kappa"] is None else f"{p['cohen_kappa']:.3f}"
        lines.append(f"  pair {p['raters'][0]} / {p['raters'][1]}: {p['n_items']} items, agreement {pa}, kappa {ck}")
    j = report.get("judge")
    if j:
        lines.append(f"judge {j['rater']} vs humans ({', '.join(j['humans'])}):")
        for name in ("percent_agreement", "percent_agreement_without_ties"):
            for label, src in (("judge-human", j["judge_vs_humans"]), ("human-human", j["human_vs_human"])):
                line = fmt(name, src)
                if line:
                    lines.append(f"  {label:<12}" + line[2:])
    lines.append("interpretation:")
    lines += [f"  - {x}" for x in report.get("interpretation", [])]
    return "\n".join(lines)
