"""A long table of verdicts or scores (item_id, rater, rating[, rater_kind]) validated into a raters × items matrix.

The prepare step of agreement (prepare → statistic → present): column-wise with pandas, so a store with 100k ratings
prepares in a fraction of a second. Bad input raises InputError (a ValueError) naming the line and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workbench import verdicts
from workbench.errors import InputError

__all__ = ["RaterMatrix", "prepare"]


@dataclass
class RaterMatrix:
    """Raters' verdicts or scores as a raters × items matrix of codes (NaN = missing) plus the value domain they index.

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
        return np.array([lab.strip().lower() in verdicts.TIE_LIKE for lab in self.labels])


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except (TypeError, ValueError):
        return False


def _at(line) -> str:
    """Where a rating came from: "file:line" as given, or "line N" of the table."""
    return line if isinstance(line, str) else f"line {line}"


def prepare(df, *, items: Sequence[str] | None = None) -> RaterMatrix:
    """Validate a long table of ratings and turn it into a `RaterMatrix`; bad input raises InputError (a ValueError)
    naming the line (the `_line` column's "file:line" when the table has one). `items`: the only item ids allowed.

    Column-wise (pandas), so a store with 100k ratings prepares in a fraction of a second."""
    line, rating, item, rater, kind, dropped = _columns(df)
    numeric = _check(line, rating, item, rater, items)
    return _matrix(rating, item, rater, kind, numeric, dropped)


def _columns(df):
    """(line, rating, item, rater, kind) as stripped text, ratings without a verdict left out, and how many were."""
    import pandas as pd

    cols = set(df.columns)
    missing = [c for c in ("item_id", "rater", "rating") if c not in cols]
    if missing:
        raise InputError(
            f"ratings table lacks column(s) {', '.join(missing)} (has: {', '.join(map(str, df.columns))})",
            hint="the CSV needs columns item_id, rater, rating and optionally rater_kind",
        )

    def text(col) -> pd.Series:
        return df[col].astype("string").str.strip().fillna("").reset_index(drop=True)

    line = df["_line"].reset_index(drop=True) if "_line" in cols else pd.Series(np.arange(len(df)) + 2)
    rating, item, rater = text("rating"), text("item_id"), text("rater")
    kind = text("rater_kind") if "rater_kind" in cols else pd.Series([""] * len(df), dtype="string")
    absent = rating.str.lower().isin(verdicts.NO_VERDICT)
    keep = ~absent
    line, rating, item, rater, kind = (x[keep].reset_index(drop=True) for x in (line, rating, item, rater, kind))
    bad = item.isin(["", "nan"]) | rater.isin(["", "nan"])
    if bad.any():
        raise InputError(
            f"{_at(line[bad.idxmax()])}: empty item_id or rater", hint="every rating needs an item_id and a rater"
        )
    dropped = int(absent.sum())
    if not len(rating):
        raise InputError("no ratings to compare" + (f" ({dropped} had no verdict, e.g. unparsed)" if dropped else ""))
    return line, rating, item, rater, kind, dropped


def _check(line, rating, item, rater, items: Sequence[str] | None):
    """One scale per table, only known items, one rating per rater and item; returns which ratings are numbers."""
    import pandas as pd

    is_num = {v: _is_number(v) for v in rating.unique()}
    numeric = rating.map(is_num).astype(bool)
    if numeric.any() and not numeric.all():
        num, cat = numeric.idxmax(), (~numeric).idxmax()
        raise InputError(
            f"mixed scales: {_at(line[num])} rates {item[num]!r} with the number {rating[num]!r} but "
            f"{_at(line[cat])} rates {item[cat]!r} with the category {rating[cat]!r}",
            hint="use one scale per file: categories (A/B/tie) or numeric scores; split the file",
        )
    if items is not None:
        unknown = ~item.isin(set(map(str, items)))
        if unknown.any():
            names = sorted(set(item[unknown]))
            raise InputError(
                f"{int(unknown.sum())} rating(s) for unknown item(s) {', '.join(names[:5])}"
                f"{' …' if len(names) > 5 else ''} (first at {_at(line[unknown.idxmax()])})",
                hint="check the item ids against the suite or session the ratings belong to",
            )
    again = pd.DataFrame({"item": item, "rater": rater}).duplicated(keep="first")
    if again.any():
        j = again.idxmax()
        first = ((item == item[j]) & (rater == rater[j])).idxmax()
        raise InputError(
            f"{_at(line[j])}: rater {rater[j]!r} rated item {item[j]!r} again (first at {_at(line[first])})",
            hint="keep one rating per rater and item",
        )
    return numeric


def _matrix(rating, item, rater, kind, numeric, dropped: int) -> RaterMatrix:
    """Codes into the value domain: sorted numbers, or sorted category labels."""
    import pandas as pd

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
    return RaterMatrix(item_ids, rater_ids, codes, domain, labels, {str(k): str(v) for k, v in kinds.items()}, dropped)
