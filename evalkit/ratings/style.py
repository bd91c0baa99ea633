"""Style covariates for Bradley-Terry style control: answer length and markdown (headers, lists, bold).

Chatbot Arena's style control (Li et al. 2024, "Does Style Matter? Disentangling style and substance in Chatbot
Arena", lmsys.org blog; FastChat `fastchat/serve/monitor/elo_analysis.py`, construct_style_matrices): per feature the
difference of the two answers' counts divided by their sum plus one, (a - b) / (a + b + 1), then standardised, and
fitted jointly with the model strengths in one logistic regression. We standardise by the root mean square instead of
subtracting the mean first, so swapping model_a and model_b negates a battle's covariates exactly (the Arena's mean is
near 0 anyway, as positions are random). Markdown is counted as FastChat's count_markdown_elements does, after
removing fenced code blocks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.errors import InputError

__all__ = ["FEATURES", "markdown_counts", "normalise", "style_columns", "style_matrix"]

# feature name → the battles file's columns for model_a's and model_b's answer
FEATURES = {
    "length": ("len_a", "len_b"),
    "md_headers": ("md_headers_a", "md_headers_b"),
    "md_lists": ("md_lists_a", "md_lists_b"),
    "md_bold": ("md_bold_a", "md_bold_b"),
}
_CODE = re.compile(r"```[^`]*```")
_HEADER = re.compile(r"^#{1,6}\s", re.MULTILINE)
_LIST = re.compile(r"^\s*(?:\d+\.|[-*+])\s", re.MULTILINE)
_BOLD = (re.compile(r"\*\*[^*\n]+\*\*"), re.compile(r"__[^_\n]+__"))


def markdown_counts(text: str) -> dict[str, int]:
    """Length in characters and markdown headers, list items and bold spans of one answer (FastChat's
    count_markdown_elements: h1-h6, ordered + unordered items, ** and __ spans), code blocks removed first."""
    text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    prose = _CODE.sub("", text)
    return {
        "length": len(text),
        "md_headers": len(_HEADER.findall(prose)),
        "md_lists": len(_LIST.findall(prose)),
        "md_bold": sum(len(p.findall(prose)) for p in _BOLD),
    }


def normalise(count_a, count_b) -> np.ndarray:
    """One covariate: (a - b) / (a + b + 1) (the Arena's ratio), divided by its root mean square so a coefficient
    reads per typical difference; all zeros stay zeros."""
    ca, cb = np.asarray(count_a, dtype=np.float64), np.asarray(count_b, dtype=np.float64)
    s = (ca - cb) / (ca + cb + 1.0)
    rms = math.sqrt(float(np.mean(s * s))) if len(s) else 0.0
    return s / rms if rms > 0 else s


def _numeric(df: pd.DataFrame, cols: tuple[str, str], where) -> tuple[np.ndarray, np.ndarray]:
    """Two count columns as floats, else InputError naming the first bad row."""
    ca, cb = (pd.to_numeric(df[c], errors="coerce") for c in cols)
    bad = np.flatnonzero((ca.isna() | cb.isna() | (ca < 0) | (cb < 0)).to_numpy())
    if len(bad):
        at = where[bad[0]] if where is not None else f"row {df.index[bad[0]]}"
        raise InputError(
            f"{at}: {cols[0]}/{cols[1]} must be non-negative numbers",
            hint="lengths are answer lengths in characters or tokens; md_* columns count markdown elements",
        )
    return ca.to_numpy(dtype=np.float64), cb.to_numpy(dtype=np.float64)


def style_columns(df: pd.DataFrame, where: Sequence[str] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Raw per-answer counts by feature: from len_a/len_b and any md_*_a/_b columns, else computed from
    answer_a/answer_b texts (length in characters). InputError when neither is there."""
    if {"len_a", "len_b"} <= set(df.columns):
        return {f: _numeric(df, cols, where) for f, cols in FEATURES.items() if set(cols) <= set(df.columns)}
    if {"answer_a", "answer_b"} <= set(df.columns):
        ca = pd.DataFrame([markdown_counts(t) for t in df["answer_a"]], columns=list(FEATURES))
        cb = pd.DataFrame([markdown_counts(t) for t in df["answer_b"]], columns=list(FEATURES))
        return {f: (ca[f].to_numpy(np.float64), cb[f].to_numpy(np.float64)) for f in FEATURES}
    raise InputError(
        "style control needs columns len_a and len_b (or answer_a and answer_b)",
        hint="add the answers' lengths (characters or tokens), optionally md_headers_a/_b, md_lists_a/_b, "
        "md_bold_a/_b; or the answer texts, from which all four are counted",
    )


def style_matrix(df: pd.DataFrame, where: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """(N, F) normalised covariates and their names; a feature that never differs (all zeros) is left out, since
    its coefficient would be unidentified."""
    cols, names = [], []
    for name, (ca, cb) in style_columns(df, where).items():
        x = normalise(ca, cb)
        if np.any(x != 0):
            cols.append(x)
            names.append(name)
    if not cols:
        return np.zeros((len(df), 0)), []
    return np.column_stack(cols), names
