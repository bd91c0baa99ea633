"""The leaderboard for the terminal: a rich table (rank, model, rating, CI, battles) and the notes beside it."""

from __future__ import annotations

__all__ = ["leaderboard_notes", "leaderboard_table", "style_lines"]


def leaderboard_table(lb: dict, title: str):
    """`leaderboard`'s object as a rich Table, best first, the CI written relative to the rating."""
    from rich.table import Table

    table = Table(title=title)
    for col, just in (
        ("rank", "right"),
        ("model", "left"),
        ("rating", "right"),
        ("95% CI", "right"),
        ("battles", "right"),
    ):
        table.add_column(col, justify=just)
    for i, m in enumerate(lb["models"], 1):
        r = lb["ratings"][m]
        ci = lb.get("ci", {}).get(m)
        table.add_row(
            str(lb.get("rank", {}).get(m, i)),
            m,
            f"{r:.1f}",
            f"{ci[0] - r:+.1f} / {ci[1] - r:+.1f}" if ci else "",
            str(lb["battles_per_model"][m]),
        )
    return table


def leaderboard_notes(lb: dict) -> tuple[list[str], list[str]]:
    """(lines to print, warnings) under the table: the style effects and unadjusted ratings with style control, the
    tie parameter, the comparison with a reference, and the groups whose ratings only the prior keeps finite."""
    lines, warnings = [], []
    lines += style_lines(lb)
    if "tie_parameter" in lb:
        ci = lb.get("tie_parameter_ci")
        lines.append(
            f"Davidson tie parameter nu = {lb['tie_parameter']:.3f}"
            + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
            + f" (P(tie) between equals = {lb['tie_parameter'] / (2 + lb['tie_parameter']):.0%})"
        )
    if "separability" in lb:
        lines.append(
            f"against the reference ({lb['models_compared']} models): separability {lb['separability']:.0%}, "
            f"agreement with CI {lb['agreement_with_ci']:.0%}, Spearman {_num(lb['spearman'])}, "
            f"Kendall {_num(lb['kendall'])}"
        )
    if lb.get("unbounded"):
        warnings.append(
            "note: some groups never won (or never lost) against the rest: "
            + "; ".join("{" + ", ".join(g) + "}" for g in lb["unbounded"])
            + f"; their ratings are held finite by the prior ({lb['settings']['prior']} virtual ties per model)"
        )
    return lines, warnings


def _num(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def style_lines(lb: dict) -> list[str]:
    """One line per style covariate ("length: the answer with more wins, +0.41 [0.30, 0.52] log-odds per unit") and
    the unadjusted rating of each model beside its style-adjusted one."""
    lines = []
    for name, st in (lb.get("style") or {}).items():
        who = "more" if st["coef"] > 0 else "less"
        ci = f" [{st['ci'][0]:+.2f}, {st['ci'][1]:+.2f}]" if "ci" in st else ""
        lines.append(
            f"style {name}: the answer with {who} wins, {st['coef']:+.2f}{ci} log-odds per unit "
            f"({st['coef_elo']:+.1f} Elo)"
        )
    if lb.get("unadjusted"):
        raw = lb["unadjusted"]["ratings"]
        lines.append(
            "unadjusted → style-adjusted: "
            + ", ".join(f"{m} {raw[m]:.0f} → {lb['ratings'][m]:.0f}" for m in lb["models"] if m in raw)
        )
    return lines
