"""The agreement report as plain text for the terminal (what `evalkit agree` prints)."""

from __future__ import annotations

__all__ = ["FIGURES", "figure_line", "rater_lines", "report_text"]


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
    lines += rater_lines(report)
    lines.append("interpretation:")
    lines += [f"  - {x}" for x in report.get("interpretation", [])]
    return "\n".join(lines)


def _fmt(fig: dict | None, pct: bool = True) -> str:
    """'0.82 [0.75, 0.88]' for a {value, ci} figure, '—' for None."""
    if fig is None:
        return "—"
    return f"{fig['value']:.2f} [{fig['ci'][0]:.2f}, {fig['ci'][1]:.2f}]"


def rater_lines(report: dict) -> list[str]:
    """The consensus and one line per rater (agreement with the others' consensus, position bias, ties, gold,
    seconds, flags); the judge's figures on unanimous and split items. Empty without --consensus/--gold."""
    if "consensus" not in report:
        return []
    c = report["consensus"]
    lines = [f"consensus ({c['method']}) on {len(c['labels'])} items; per rater vs the others' consensus:"]
    third = "leniency" if report["scale"] == "numeric" else "ties"
    lines.append(f"  {'rater':<16} {'items':>5}  {'agreement':<20} {'left picks':<20} {third:<20} gold")
    for name, f in report["raters"].items():
        secs = "" if f["seconds_median"] is None else f"  {f['seconds_median']:.0f}s"
        flags = f"  FLAGS: {', '.join(f['flags'])}" if f["flags"] else ""
        lines.append(
            f"  {name:<16} {f['n_items']:>5}  {_fmt(f['agreement_with_consensus']):<20} "
            f"{_fmt(f['position_bias']):<20} {_fmt(f['leniency' if third == 'leniency' else 'tie_rate']):<20} "
            f"{_fmt(f['gold_accuracy'])}{secs}{flags}"
        )
    if report.get("raters_without_items"):
        lines.append(
            f"  raters with no rated item (every rating lacked a verdict): {', '.join(report['raters_without_items'])}"
        )
    g = report.get("gold")
    if g:
        lines.append(
            f"  gold: {g['n_gold_rated']} of {g['n_gold']} gold items rated"
            + (f"; not in the ratings: {', '.join(g['gold_not_rated'][:5])}" if g["gold_not_rated"] else "")
        )
    split = (report.get("judge") or {}).get("by_human_agreement")
    if split:
        for name in ("unanimous", "split"):
            s = split[name]
            jv, hv = s["judge_vs_humans"]["percent_agreement"], s["human_vs_human"]["percent_agreement"]
            fmt = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
            lines.append(
                f"  judge on {name} items ({s['n_items']}): judge-human {fmt(jv)} vs human-human ceiling {fmt(hv)}"
            )
        lines.append(f"  judge vs the human consensus: {_fmt(split['judge_vs_consensus'])}")
    return lines
