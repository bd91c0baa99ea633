"""Token counts with the target model's own tokenizer, length histogram, truncation share, training-time estimate,
and batched perplexity through the model layer (exp of the mean negative log-likelihood per token)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["approx_tokens", "count_tokens", "token_stats", "summarize_counts", "training_time_s", "perplexities"]


def count_tokens(
    texts: Sequence[str], tokenizer, *, batch_size: int = 1000, add_special_tokens: bool = False
) -> np.ndarray:
    """Tokens per text under `tokenizer` (an HF tokenizer, e.g. `load_model(spec).tokenizer`), batched."""
    out = np.zeros(len(texts), np.int64)
    for s in range(0, len(texts), batch_size):
        batch = ["" if t is None else str(t) for t in texts[s : s + batch_size]]
        enc = tokenizer(batch, add_special_tokens=add_special_tokens)["input_ids"]
        out[s : s + len(batch)] = [len(x) for x in enc]
    return out


def approx_tokens(texts: Sequence[str]) -> np.ndarray:
    """Token estimate without a tokenizer: ~4 UTF-8 bytes per token (Latin), 1 per CJK character."""
    out = np.empty(len(texts), np.int64)
    for i, t in enumerate(texts):
        out[i] = max(len(t.split()), math.ceil(len(t.encode("utf-8")) / 4)) if t else 0
    return out


def _histogram(counts: np.ndarray, bins: int) -> dict:
    """Length histogram up to the 99th percentile (the longest 1 % go in the last bar: one huge record would otherwise
    squash every other bar)."""
    if len(counts) == 0:
        return {"edges": [], "counts": []}
    hi = max(int(np.percentile(counts, 99)), 1)
    h, edges = np.histogram(np.minimum(counts, hi), bins=min(bins, hi), range=(0, hi))
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in h]}


def token_stats(
    texts: Sequence[str], tokenizer, *, max_length: int | None = None, bins: int = 30, add_special_tokens: bool = False
) -> dict:
    """Total, mean, p50, p95, max tokens, a histogram, and the share of records longer than `max_length` (which
    training at that length would truncate). `per_record` lists every record's count."""
    counts = count_tokens(texts, tokenizer, add_special_tokens=add_special_tokens)
    return {**summarize_counts(counts, max_length=max_length, bins=bins), "per_record": counts.tolist()}


def summarize_counts(counts: np.ndarray, *, max_length: int | None = None, bins: int = 30) -> dict:
    """`token_stats`' figures from per-record token counts."""
    n = len(counts)
    truncated = int((counts > max_length).sum()) if max_length else 0
    return {
        "records": n,
        "total": int(counts.sum()),
        "mean": float(counts.mean()) if n else 0.0,
        "p50": float(np.percentile(counts, 50)) if n else 0.0,
        "p95": float(np.percentile(counts, 95)) if n else 0.0,
        "max": int(counts.max()) if n else 0,
        "histogram": _histogram(counts, bins),
        "max_length": max_length,
        "truncated_records": truncated,
        "truncated_share": truncated / n if n and max_length else 0.0,
    }


def training_time_s(total_tokens: int, tokens_per_s: float, *, epochs: float = 1.0) -> float:
    """Seconds to train `epochs` passes over `total_tokens` at a measured `tokens_per_s` (finetune's planner
    measures it; here it is only arithmetic)."""
    if tokens_per_s <= 0:
        raise ValueError("tokens_per_s must be positive")
    return float(total_tokens) * epochs / tokens_per_s


def perplexities(texts: Sequence[str], model, *, batch_size: int = 8, progress: bool = False) -> list[float]:
    """Per-text perplexity exp(-sum log p / n) under `model` (any evalkit Model with loglikelihood_rolling);
    NaN for a text with no scored token."""
    res = model.loglikelihood_rolling(list(texts), batch_size=batch_size, progress=progress)
    return [math.exp(-lp / n) if n > 0 else float("nan") for lp, n in res]
