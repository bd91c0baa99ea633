"""The agreement report as plain text for the terminal (what `evalkit agree` prints)."""

from __future__ import annotations

__all__ = ["FIGURES", "figure_line", "report_text"]


# the figures in the order the table lists them
FIGURES = (
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


def figure_line(name: str, src: dict) -> str | None:
    """One figure's line: name, value and its CI; "undefined" for None; None when `src` lacks the figure."""
    if name not in src:
        return None
    v = src[name]
    if v is None:
        return f"  {name:<32} undefined"
    ci = src.get("ci", {}).get(name)
    tail = f"  [{ci['ci_low']:.3f}, {ci['ci_high']:.3f}]" if ci and None not in ci.values() else ""
    return f"  {name:<32} {v:.3f}{tail}"


def report_text(report: dict) -> str:
    """A plain-text rendering of `agreement_report`'s object for the terminal."""
    lines = [
        f"{report['n_ratings']} ratings, {report['n_items']} items, {report['n_raters']} raters "
        f"({', '.join(report['raters'])}); {report['scale']} scale, level {report['level']}"
    ]
    if report.get("n_dropped_no_verdict"):
        lines.append(f"  ({report['n_dropped_no_verdict']} rating(s) without a verdict, e.g. unparsed, left out)")
    lines.append("figure                             value  95% CI (bootstrap over items)")
    lines += [x for x in (figure_line(n, report) for n in FIGURES) if x]
    for p in report.get("pairs", []):
        pa = "—" if p["percent_agreement"] is None else f"{p['percent_agreement']:.3f}"
        ck = "undefined" if p["cohen_kappa"] is None else f"{p['cohen_kappa']:.3f}"
        lines.append(f"  pair {p['raters'][0]} / {p['raters'][1]}: {p['n_items']} items, agreement {pa}, kappa {ck}")
    j = report.get("judge")
    if j:
        lines.append(f"judge {j['rater']} vs humans ({', '.join(j['humans'])}):")
        for name in ("percent_agreement", "percent_agreement_without_ties"):
            for label, src in (("judge-human", j["judge_vs_humans"]), ("human-human", j["human_vs_human"])):
                line = figure_line(name, src)
                if line:
                    lines.append(f"  {label:<12}" + line[2:])
    lines.append("interpretation:")
    lines += [f"  - {x}" for x in report.get("interpretation", [])]
    return "\n".join(lines)
