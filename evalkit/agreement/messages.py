"""The agreement report's sentences: English templates, the readings of alpha and kappa, and `english` to render them.

Each sentence goes into the report twice: as English text (what the CLI prints and the JSON keeps) and as a message
{"key", "fields"} (`interpretation_keys`, `undefined_keys`, the judge's `verdict_key`) so the app can say it in
Korean from its catalogue under the same key (workbench.messages, apps/i18n.py).
"""

from __future__ import annotations

from workbench.messages import message, render

__all__ = [
    "ALPHA_RELIABLE",
    "ALPHA_TENTATIVE",
    "FIGURE_LABELS",
    "KAPPA_BANDS",
    "MESSAGES",
    "alpha_message",
    "figure",
    "interpret_alpha",
    "interpret_kappa",
    "kappa_message",
    "english",
]

ALPHA_RELIABLE, ALPHA_TENTATIVE = 0.8, 0.667  # Krippendorff (2004), Content Analysis, 2nd ed., §11.4.1
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


def english(msg: dict) -> str:
    """A message of this module in English."""
    return render(msg, MESSAGES)


def figure(name: str) -> dict:
    """A figure's display name ("Cohen's kappa") as a message."""
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
    """Krippendorff's reading of alpha, in English."""
    return english(alpha_message(alpha))


def interpret_kappa(kappa: float) -> str:
    """Landis & Koch's reading of kappa, in English."""
    return english(kappa_message(kappa))
