"""The held-out check: which suite cases overlap the training data (curate's n-gram and near-duplicate check), so a
score on a leaked question isn't taken for generalisation."""

from __future__ import annotations

from collections.abc import Sequence

from evalkit.suites.format import Suite
from workbench.tabular import read_rows

__all__ = ["heldout_check"]


def _train_texts(path: str) -> list[str]:
    """Each training record as one text: its non-empty string fields, a line each (read by `workbench.tabular`)."""
    return ["\n".join(str(v) for v in row.values() if isinstance(v, str) and v.strip()) for row in read_rows(path)]


def heldout_check(suites: Sequence[Suite], train: str) -> dict:
    """{train, contaminated: ["suite/case", ...], items, figures} for every case of every suite against `train`."""
    from curate.contamination import find_contamination

    items = [(f"{s.name}/{c.id}", c.text) for s in suites for c in s.cases]
    res = find_contamination(_train_texts(train), items)
    return {
        "train": str(train),
        "contaminated": list(res.contaminated_ids),
        "items": list(res.items),
        "figures": dict(res.figures),
    }
