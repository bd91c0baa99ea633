"""The leaderboard for the terminal: a rich table (rank, model, rating, CI, battles) and the notes beside it."""

from __future__ import annotations

__all__ = ["leaderboard_notes", "leaderboard_table"]


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
    """(lines to print, warnings) under the table: the length effect with style control, and the groups whose
    ratings only the prior keeps finite."""
    lines, warnings = [], []
    if lb.get("style"):
        lines.append(f"length effect: {lb['style']['length_coef_elo']:+.1f} Elo per typical length difference")
    if lb.get("unbounded"):
        warnings.append(
            "note: some groups never won (or never lost) against the rest: "
            + "; ".join("{" + ", ".join(g) + "}" for g in lb["unbounded"])
            + f"; their ratings are held finite by the prior ({lb['settings']['prior']} virtual ties per model)"
        )
    return lines, warnings
