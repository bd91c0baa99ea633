"""Test-set contamination of a training set: n-gram overlap plus near-duplicate matching.

N-gram overlap follows GPT-3 (Brown et al. 2020, appendix C) and lm-evaluation-harness's decontamination
(lm_eval/decontamination/janitor.py: ASCII letters lower-cased, ASCII punctuation deleted, split on whitespace, word
n-grams, n = 13); a test item is contaminated when any of its n-grams occurs in the training
data, or, for an item shorter than n words, when the whole item occurs as a contiguous word sequence (GPT-3's rule for
short items; items under `min_words` words are left to the near-duplicate check, since 1-4 common words match anything).
Near-duplicates reuse curate.dedup (MinHash + LSH, verified by true Jaccard >= `near_threshold`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import string

import numpy as np

from curate.dedup import _shingles_from_ids, _word_hash_chunk, near_duplicates

__all__ = ["ContaminationResult", "find_contamination", "mc_test_text", "janitor_normalize"]


@dataclass
class ContaminationResult:
    """`items`: one dict per (test item, method): {test_id, train_index, method: "ngram"|"near_dup", overlap};
    `contaminated_ids`: sorted test ids with any hit; `figures`: counts and shares for the report."""
    items: list[dict]
    contaminated_ids: list
    figures: dict = field(default_factory=dict)


def mc_test_text(question: str, choices: Sequence[str] | None = None, *, with_choices: bool = False) -> str:
    """The text checked for a multiple-choice test row: the question, and its choices when asked for."""
    if with_choices and choices:
        return f"{question} " + " ".join(str(c) for c in choices if c is not None)
    return question


_JANITOR = str.maketrans(string.ascii_lowercase + string.ascii_uppercase, string.ascii_lowercase * 2,
                         string.punctuation)


def janitor_normalize(text) -> str:
    """lm-eval's Janitor.normalize_string (ASCII lower case, ASCII punctuation deleted), words joined by one space."""
    return " ".join(("" if text is None else str(text)).translate(_JANITOR).split())


def _encode(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(stable hash of every normalised word, words per text), in chunks."""
    hs, ls = [], []
    for s in range(0, len(texts), 65_536):
        h, n = _word_hash_chunk([janitor_normalize(t) for t in texts[s:s + 65_536]], prenormalized=True)
        hs.append(h)
        ls.append(n)
    if not hs:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    return np.concatenate(hs), np.concatenate(ls)


def _ngram_index(wh, lens, n) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique n-gram hashes over records, each with the first record holding it."""
    flat, off = _shingles_from_ids(wh, lens, n)
    # records shorter than n contribute a whole-record shingle; those are not n-grams, drop them
    sizes = np.diff(off)
    doc = np.repeat(np.arange(len(lens)), sizes)
    keep = np.repeat(lens >= n, sizes)
    flat, doc = flat[keep], doc[keep]
    order = np.lexsort((doc, flat))
    flat, doc = flat[order], doc[order]
    first = np.ones(len(flat), bool)
    first[1:] = flat[1:] != flat[:-1]
    return flat[first], doc[first]


def find_contamination(train_texts: Sequence[str], test_items: Sequence[tuple[str, str]], *, n: int = 13,
                       near_threshold: float = 0.7, min_words: int = 5, near: bool = True, shingle: int = 3,
                       seed: int = 0) -> ContaminationResult:
    """Test items (test_id, text) that overlap the training texts by a word `n`-gram or are near-duplicates of a
    training record (Jaccard of word `shingle`-grams >= `near_threshold`)."""
    tr_wh, tr_lens = _encode(train_texts)
    te_wh, te_lens = _encode([t for _, t in test_items])
    items: list[dict] = []

    # 1. n-gram overlap for items with >= n words
    tr_hash, tr_doc = _ngram_index(tr_wh, tr_lens, n)
    te_flat, te_off = _shingles_from_ids(te_wh, te_lens, n)
    te_sizes = np.diff(te_off)
    for k, (tid, _) in enumerate(test_items):
        L = int(te_lens[k])
        if L < n:
            continue
        h = te_flat[te_off[k]:te_off[k + 1]]
        pos = np.searchsorted(tr_hash, h)
        pos = np.minimum(pos, max(len(tr_hash) - 1, 0))
        hit = (tr_hash[pos] == h) if len(tr_hash) else np.zeros(len(h), bool)
        if hit.any():
            items.append({"test_id": tid, "train_index": int(tr_doc[pos[hit]].min()), "method": "ngram",
                          "overlap": round(float(hit.sum()) / max(int(te_sizes[k]), 1), 6)})

    # 2. short items (min_words <= L < n): the whole item as a contiguous sequence of a training record
    te_starts = np.concatenate([[0], np.cumsum(te_lens)[:-1]]).astype(np.int64)
    for L in sorted({int(x) for x in te_lens if min_words <= x < n}):
        idx_L, doc_L = _ngram_index(tr_wh, tr_lens, L)
        for k in np.flatnonzero(te_lens == L):
            seq = te_wh[te_starts[k]:te_starts[k] + L]
            h, _ = _shingles_from_ids(seq, np.array([L]), L)
            p = np.searchsorted(idx_L, h)
            if len(idx_L) and p[0] < len(idx_L) and idx_L[p[0]] == h[0]:
                items.append({"test_id": test_items[k][0], "train_index": int(doc_L[p[0]]), "method": "ngram",
                              "overlap": 1.0})

    # 3. near-duplicates between a test item and a training record
    if near and len(test_items) and len(train_texts):
        ntr = len(train_texts)
        res = near_duplicates(list(train_texts) + [t for _, t in test_items], shingle=shingle,
                              threshold=near_threshold, seed=seed)
        best: dict[int, tuple[float, int]] = {}
        for i, j, jac in res.pairs:
            if i < ntr <= j:
                k = j - ntr
                if k not in best or jac > best[k][0] or (jac == best[k][0] and i < best[k][1]):
                    best[k] = (jac, i)
        for k in sorted(best):
            jac, i = best[k]
            items.append({"test_id": test_items[k][0], "train_index": int(i), "method": "near_dup",
                          "overlap": float(jac)})

    ids = {it["test_id"] for it in items}
    contaminated = sorted(ids, key=lambda x: (str(type(x)), x))
    n_ng = len({it["test_id"] for it in items if it["method"] == "ngram"})
    n_nd = len({it["test_id"] for it in items if it["method"] == "near_dup"})
    figures = {
        "train_records": len(train_texts), "test_items": len(test_items), "n": n, "near_threshold": near_threshold,
        "contaminated": len(contaminated),
        "contaminated_share": len(contaminated) / len(test_items) if len(test_items) else 0.0,
        "ngram_items": n_ng, "near_dup_items": n_nd,
        "items_shorter_than_n": int((te_lens < n).sum()), "items_unchecked_by_ngram": int((te_lens < min_words).sum()),
    }
    items.sort(key=lambda it: (str(it["test_id"]), it["method"]))
    return ContaminationResult(items=items, contaminated_ids=contaminated, figures=figures)
