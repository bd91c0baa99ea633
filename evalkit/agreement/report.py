"""The `evalkit agree --json` report: every agreement figure on a table of verdicts, with bootstrap CIs over items,
the reasons for undefined figures, the judge beside the humans, and the reading as messages.

Assembly only: the statistics come from `evalkit.agreement.stats`, the sentences from `evalkit.agreement.messages`.
A figure that is undefined on the data is reported as None with the reason under "undefined", never as NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import combinations

import numpy as np

from evalkit.agreement import raters, stats
from evalkit.agreement.consensus import consensus as consensus_of
from evalkit.agreement.messages import alpha_message, english, figure, kappa_message
from evalkit.agreement.table import RaterMatrix, prepare
from workbench.errors import InputError
from workbench.messages import message

__all__ = ["LEVELS", "agreement_report", "judge_section"]

LEVELS = ("nominal", "ordinal", "interval")  # Krippendorff's levels of measurement


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
            lo, hi = stats.bootstrap_ci(stat, self.n_items, n_boot=self.bootstrap, seed=self.seed)
            self.ci[name] = {"ci_low": _clean(lo), "ci_high": _clean(hi)}

    def add_share(self, name: str, agree: np.ndarray, pairs: np.ndarray, reason: dict) -> None:
        """A pooled share of agreeing pairs (per-item counts `agree` of `pairs`), resampled over items for its CI."""
        stat = _ratio(agree, pairs)
        self.add(name, stat(np.arange(self.n_items)), stat, reason)

    def undefine(self, name: str, reason: dict) -> None:
        self.out[name] = None
        self.undefined[name], self.undefined_keys[name] = english(reason), reason

    def present(self) -> dict:
        return {**self.out, "ci": self.ci, "undefined": self.undefined, "undefined_keys": self.undefined_keys}


def _ratio(agree: np.ndarray, pairs: np.ndarray) -> Callable[[np.ndarray], float]:
    """The share agree / pairs pooled over a sample of items (NaN when the sample has no pairs)."""
    return lambda i: agree[i].sum() / pairs[i].sum() if pairs[i].sum() else math.nan


def _identical(name: str) -> dict:
    return message("agreement.undef.identical", name=figure(name))


# ------------------------------------------------------------------------------------------- the report
def agreement_report(
    df,
    *,
    level: str = "nominal",
    judge: str | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    items: Sequence[str] | None = None,
    consensus: str | None = None,
    gold: Sequence[tuple[str, dict]] | None = None,
) -> dict:
    """The `evalkit agree --json` object for a long table with columns item_id, rater, rating[, rater_kind].

    Optional columns add figures: `rating_swapped` (the verdict with the answers swapped, mapped back) gives
    position consistency; `len_a`/`len_b` (answer lengths) give verbosity preference. `consensus` (a method of
    evalkit.agreement.consensus) adds the consensus labels and per-rater figures (`position`, `seconds` columns
    add theirs); `gold` ((where, row) pairs with item_id and verdict) adds accuracy on gold. Bad input raises
    InputError."""
    if level not in LEVELS:
        raise InputError(f"unknown level {level!r}", hint="use --level nominal, ordinal or interval")
    r = prepare(df, items=items)
    if r.labels is not None and level != "nominal":
        raise InputError(
            f"level {level!r} needs numeric scores, but the ratings are categories ({', '.join(r.labels[:6])})",
            hint="use --level nominal for categorical verdicts",
        )
    counts = r.counts()
    report = _header(r, counts, level, bootstrap, seed)
    fig = _Figures(len(r.items), bootstrap, seed)
    if len(r.raters) < 2:
        reason = message("agreement.undef.one_rater", rater=r.raters[0])
        for name in ("percent_agreement", "krippendorff_alpha"):
            fig.add(name, math.nan, None, reason)
        report.update(fig.present())
        report["interpretation"], report["interpretation_keys"] = [english(reason)], [reason]
        return report
    _pooled_figures(fig, r, counts, level)
    if len(r.raters) > 2:
        report["pairs"] = _pair_table(r)  # every pair of raters, without CIs (the pooled figures carry them)
    _extra_figures(fig, df, r)
    report.update(fig.present())
    if judge is not None:
        report["judge"] = judge_section(r, counts, judge, bootstrap, seed)
    if consensus is not None or gold is not None:
        _rater_sections(report, df, r, consensus or "dawid-skene", gold, bootstrap, seed)
    report["interpretation_keys"] = _interpretation(report)
    report["interpretation"] = [english(m) for m in report["interpretation_keys"]]
    return report


def _header(r: RaterMatrix, counts: np.ndarray, level: str, bootstrap: int, seed: int) -> dict:
    """What was compared: counts, raters, scale and level, and how the CIs are drawn."""
    report: dict = {
        "n_ratings": int((~np.isnan(r.codes)).sum()),
        "n_items": len(r.items),
        "n_raters": len(r.raters),
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
    return report


def _pooled_figures(fig: _Figures, r: RaterMatrix, counts: np.ndarray, level: str) -> None:
    """Figures over all raters: % agreement (MT-Bench, with and without ties), the two-rater figures when there are
    two, Krippendorff's alpha always and Fleiss' kappa for complete designs."""
    ties = r.tie_codes()
    identical = len(np.unique(r.codes[~np.isnan(r.codes)])) == 1
    fig.add_share("percent_agreement", *stats.pair_counts(counts), message("agreement.undef.no_pairs"))
    if ties.any():
        fig.add_share(
            "percent_agreement_without_ties",
            *stats.pair_counts(counts, exclude=ties),
            message("agreement.undef.all_ties"),
        )
    if len(r.raters) == 2:
        _two_rater_figures(fig, r, 0, 1, np.arange(len(r.items)))
    uc = stats.unit_coincidences(counts)
    alpha = lambda i: stats.alpha_from_coincidences(uc[i].sum(axis=0), r.values, level)  # noqa: E731
    fig.add(
        "krippendorff_alpha",
        alpha(np.arange(len(r.items))),
        alpha,
        _identical("krippendorff_alpha") if identical else message("agreement.undef.no_item_twice"),
    )
    if not np.isnan(r.codes).any():
        fk = lambda i: stats.fleiss_kappa(counts[i])  # noqa: E731
        fig.add("fleiss_kappa", fk(np.arange(len(r.items))), fk, _identical("fleiss_kappa"))
    else:
        fig.undefine("fleiss_kappa", message("agreement.undef.incomplete_design"))


def _two_rater_figures(fig: _Figures, r: RaterMatrix, a: int, b: int, idx_all: np.ndarray) -> None:
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
    kappa = on(idx_all, lambda x, y: stats.cohen_kappa(x, y))
    fig.add(
        "cohen_kappa",
        kappa,
        lambda i: on(i, lambda x, y: stats.cohen_kappa(x, y)),
        _identical("cohen_kappa") if same else message("agreement.undef.single_value_kappa"),
    )
    if r.numeric:
        for w, name in (("quadratic", "weighted_kappa"), ("linear", "weighted_kappa_linear")):
            kw = lambda x, y, w=w: stats.cohen_kappa(x, y, weights=w, labels=labels)  # noqa: E731
            fig.add(
                name,
                on(idx_all, kw),
                lambda i, kw=kw: on(i, kw),
                _identical(name) if same else message("agreement.undef.single_value_weighted"),
            )
        va = lambda x: r.values[x]  # noqa: E731
        for name, fn in (("spearman", stats.spearman), ("kendall", stats.kendall)):
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
        "matrix": stats.confusion_matrix(ca[both].astype(int).tolist(), cb[both].astype(int).tolist(), list(labels)),
    }
    fig.out["n_items_both"] = n_both


def _pair_table(r: RaterMatrix) -> list[dict]:
    """% agreement and Cohen's kappa (and quadratic-weighted kappa for scores) for every pair of raters."""
    out = []
    for a, b in combinations(range(len(r.raters)), 2):
        both = ~np.isnan(r.codes[a]) & ~np.isnan(r.codes[b])
        ca, cb = r.codes[a, both].astype(int), r.codes[b, both].astype(int)
        entry = {
            "raters": [r.raters[a], r.raters[b]],
            "n_items": int(both.sum()),
            "percent_agreement": _clean(float(np.mean(ca == cb))) if both.any() else None,
            "cohen_kappa": _clean(stats.cohen_kappa(ca, cb)) if both.any() else None,
        }
        if r.numeric and both.any():
            entry["weighted_kappa"] = _clean(
                stats.cohen_kappa(ca, cb, weights="quadratic", labels=np.arange(len(r.values)))
            )
        out.append(entry)
    return out


def _extra_figures(fig: _Figures, df, r: RaterMatrix) -> None:
    """Position consistency and verbosity preference when the table carries swapped verdicts or answer lengths."""
    cols = set(df.columns)
    if "rating_swapped" in cols:
        first_col = "rating_first" if "rating_first" in cols else "rating"
        first = df[first_col].fillna("").astype(str).str.strip().tolist()
        swapped = df["rating_swapped"].fillna("").astype(str).str.strip().tolist()
        pc = lambda i: stats.position_consistency([first[j] for j in i], [swapped[j] for j in i])  # noqa: E731
        fig.n_items, saved = len(first), fig.n_items
        fig.add("position_consistency", pc(np.arange(len(first))), pc, message("agreement.undef.no_swapped"))
        fig.n_items = saved
    if {"len_a", "len_b"} <= cols:
        sub = df[df["len_a"].notna() & df["len_b"].notna()]
        w = sub["rating"].fillna("").astype(str).str.strip().tolist()
        la, lb = sub["len_a"].astype(float).tolist(), sub["len_b"].astype(float).tolist()
        vp = lambda i: stats.verbosity_preference([w[j] for j in i], [la[j] for j in i], [lb[j] for j in i])  # noqa: E731
        fig.n_items, saved = len(w), fig.n_items
        fig.add("verbosity_preference", vp(np.arange(len(w))), vp, message("agreement.undef.no_decisive_length"))
        fig.n_items = saved
        by_rater = {}
        for rater, grp in sub.groupby("rater", sort=True):
            v = stats.verbosity_preference(
                grp["rating"].astype(str).str.strip().tolist(),
                grp["len_a"].astype(float).tolist(),
                grp["len_b"].astype(float).tolist(),
            )
            by_rater[str(rater)] = _clean(v)
        fig.out["verbosity_preference_by_rater"] = by_rater


def _rater_sections(report: dict, df, r: RaterMatrix, method: str, gold, bootstrap: int, seed: int) -> None:
    """The consensus, per-rater figures and gold accuracy; with a judge, its figures split by human agreement."""
    ex = raters.extras_from_table(df, r)
    if gold is not None:
        ex.gold, report["gold"] = raters.gold_codes(gold, r)
    report.update(raters.rater_report(r, ex, method=method))
    report["raters_without_items"] = raters.raters_without_items(df, r)
    if "judge" in report:
        j = r.raters.index(report["judge"]["rater"])
        humans = [r.raters.index(h) for h in report["judge"]["humans"]]
        report["judge"]["by_human_agreement"] = _judge_split(r, j, humans, method, bootstrap, seed)


def _judge_split(r: RaterMatrix, j: int, humans: list[int], method: str, bootstrap: int, seed: int) -> dict:
    """Judge-human and human-human % agreement on the judged items the humans rated unanimously and on split items
    (two or more humans each), so the judge is read against the experts' own ceiling; and the judge against the
    human consensus."""
    hcodes = r.codes[humans]
    hcounts = np.stack([(hcodes == k).sum(axis=0) for k in range(len(r.values))], axis=1).astype(float)
    m = np.where(np.isnan(r.codes[j]), 0, hcounts.sum(axis=1))  # only items the judge rated count
    out = {}
    for name, sel in (
        ("unanimous", (m >= 2) & (hcounts.max(axis=1) == m)),
        ("split", (m >= 2) & (hcounts.max(axis=1) < m)),
    ):
        idx = np.nonzero(sel)[0]
        jv, hv = _Figures(len(idx), bootstrap, seed), _Figures(len(idx), bootstrap, seed)
        jv.add_share(
            "percent_agreement",
            *(x[idx] for x in _judge_pairs(r.codes[j], hcounts)),
            message("agreement.undef.judge_no_common"),
        )
        hv.add_share(
            "percent_agreement", *(x[idx] for x in stats.pair_counts(hcounts)), message("agreement.undef.few_humans")
        )
        out[name] = {"n_items": len(idx), "judge_vs_humans": jv.present(), "human_vs_human": hv.present()}
    cons = consensus_of(hcodes, len(r.values), method).labels
    ok = ~np.isnan(r.codes[j]) & (cons >= 0)
    hits = int((r.codes[j, ok].astype(int) == cons[ok]).sum())
    out["judge_vs_consensus"] = raters.share(hits, int(ok.sum()))
    return out


# ------------------------------------------------------------------------------------- the judge beside humans
def judge_section(r: RaterMatrix, counts: np.ndarray, judge: str, bootstrap: int, seed: int) -> dict:
    """Judge vs humans beside human vs human, both as MT-Bench % agreement over distinct-rater pairs with CIs, and
    whether the judge agrees with the humans about as often as they agree with each other."""
    if judge not in r.raters:
        raise InputError(
            f"judge {judge!r} is not among the raters ({', '.join(r.raters)})",
            hint="pass --judge with a rater id from the rater column",
        )
    j = r.raters.index(judge)
    humans = [i for i, name in enumerate(r.raters) if i != j and r.kinds.get(name, "human") != "llm"]
    if not humans:
        raise InputError(
            f"no human raters besides the judge {judge!r}",
            hint="mark human raters with rater_kind=human, or drop rater_kind",
        )
    hcounts = np.zeros_like(counts)
    for h in humans:
        ok = ~np.isnan(r.codes[h])
        np.add.at(hcounts, (np.nonzero(ok)[0], r.codes[h, ok].astype(int)), 1)
    jv, hv = _Figures(len(r.items), bootstrap, seed), _Figures(len(r.items), bootstrap, seed)
    jv.add_share("percent_agreement", *_judge_pairs(r.codes[j], hcounts), message("agreement.undef.judge_no_common"))
    hv.add_share("percent_agreement", *stats.pair_counts(hcounts), message("agreement.undef.few_humans"))
    ties = r.tie_codes()
    if ties.any():
        jv.add_share(
            "percent_agreement_without_ties",
            *_judge_pairs(r.codes[j], hcounts, keep=~ties),
            message("agreement.undef.judge_all_ties"),
        )
        hv.add_share(
            "percent_agreement_without_ties",
            *stats.pair_counts(hcounts, exclude=ties),
            message("agreement.undef.human_all_ties"),
        )
    section = {
        "rater": judge,
        "humans": [r.raters[h] for h in humans],
        "judge_vs_humans": jv.present(),
        "human_vs_human": hv.present(),
        "per_human": _per_human(r, j, humans),
    }
    verdict, section["comparable"] = _judge_reading(section["judge_vs_humans"], section["human_vs_human"])
    section["verdict"], section["verdict_key"] = english(verdict), verdict
    return section


def _judge_pairs(jc: np.ndarray, hcounts: np.ndarray, *, keep: np.ndarray | None = None):
    """Per item: (judge-human pairs that agree, judge-human pairs), counting only the values `keep` marks."""
    n = len(jc)
    has_j = ~np.isnan(jc)
    jcode = np.where(has_j, jc, 0).astype(int)
    if keep is not None:
        has_j, hcounts = has_j & keep[jcode], hcounts * keep
    return np.where(has_j, hcounts[np.arange(n), jcode], 0.0), np.where(has_j, hcounts.sum(1), 0.0)


def _per_human(r: RaterMatrix, j: int, humans: list[int]) -> list[dict]:
    """The judge against each human on the items both rated."""
    jc = r.codes[j]
    out = []
    for h in humans:
        both = ~np.isnan(jc) & ~np.isnan(r.codes[h])
        a, b = jc[both].astype(int), r.codes[h, both].astype(int)
        entry = {
            "rater": r.raters[h],
            "n_items": int(both.sum()),
            "percent_agreement": _clean(float(np.mean(a == b))) if both.any() else None,
            "cohen_kappa": _clean(stats.cohen_kappa(a, b)) if both.any() else None,
        }
        if r.numeric and both.any():
            entry["spearman"] = _clean(stats.spearman(r.values[a], r.values[b]))
        out.append(entry)
    return out


def _judge_reading(jp: dict, hp: dict) -> tuple[dict, bool | None]:
    """Whether the judge-human and human-human % agreement intervals overlap (comparable), and the sentence."""
    jci, hci = jp["ci"].get("percent_agreement"), hp["ci"].get("percent_agreement")
    if not (jci and hci and None not in (*jci.values(), *hci.values())):
        return message("agreement.judge_not_enough"), None
    overlap = jci["ci_low"] <= hci["ci_high"] and hci["ci_low"] <= jci["ci_high"]
    figures = message(
        "agreement.judge_figures",
        j=jp["percent_agreement"],
        j_low=jci["ci_low"],
        j_high=jci["ci_high"],
        h=hp["percent_agreement"],
        h_low=hci["ci_low"],
        h_high=hci["ci_high"],
    )
    how = "as_often" if overlap else "less_often" if jci["ci_high"] < hci["ci_low"] else "more_often"
    return message(f"agreement.judge_{how}", figures=figures), overlap


def _interpretation(report: dict) -> list[dict]:
    """The report's reading as messages, one per line."""
    lines = []
    if report.get("krippendorff_alpha") is not None:
        lines.append(alpha_message(report["krippendorff_alpha"]))
    for name in ("cohen_kappa", "fleiss_kappa", "weighted_kappa"):
        if report.get(name) is not None:
            lines.append(
                message(
                    "agreement.kappa_line", figure=figure(name), value=report[name], reading=kappa_message(report[name])
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
