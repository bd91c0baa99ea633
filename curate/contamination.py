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

from curate.dedup import _shingles_from_ids, near_duplicates, word_hashes

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
    return word_hashes([janitor_normalize(t) for t in texts], prenormalized=True)


def find_contamination(train_texts: Sequence[str], test_items: Sequence[tuple[str, str]], *, n: int = 13,
                       near_threshold: float = 0.7, min_words: int = 5, near: bool = True, shingle: int = 3,
                       seed: int = 0) -> ContaminationResult:
    """Test items (test_id, text) that overlap the training texts by a word `n`-gram or are near-duplicates of a
    training record (Jaccard of word `shingle`-grams >= `near_threshold`)."""
    te_wh, te_lens = _encode([t for _, t in test_items])
    nt = len(test_items)
    items: list[dict] = []

    # test side (small): n-grams of items with >= n words; the whole item for min_words <= words < n
    te_flat, te_off = _shingles_from_ids(te_wh, te_lens, n)
    te_owner = np.repeat(np.arange(nt), np.diff(te_off))
    long_item = np.repeat(te_lens >= n, np.diff(te_off))
    q_hash, q_owner = te_flat[long_item], te_owner[long_item]           # one row per test n-gram position
    q_first = np.full(len(q_hash), -1, np.int64)                        # first train record holding it
    te_starts = np.concatenate([[0], np.cumsum(te_lens)[:-1]]).astype(np.int64)
    short_by_len: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for L in sorted({int(x) for x in te_lens if min_words <= x < n}):
        ks = np.flatnonzero(te_lens == L)
        hs = np.concatenate([_shingles_from_ids(te_wh[te_starts[k]:te_starts[k] + L], np.array([L]), L)[0]
                             for k in ks])
        short_by_len[L] = (ks, hs)
    short_first = np.full(nt, -1, np.int64)

    # train side streamed in chunks: only one chunk's n-grams are in memory at a time
    def first_holder(query: np.ndarray, grams: np.ndarray, doc: np.ndarray) -> np.ndarray:
        """For each query hash, the smallest record index in `doc` whose grams contain it (-1: none)."""
        if not len(grams) or not len(query):
            return np.full(len(query), -1, np.int64)
        o = np.lexsort((doc, grams))
        g, d = grams[o], doc[o]
        pos = np.minimum(np.searchsorted(g, query), len(g) - 1)
        return np.where(g[pos] == query, d[pos], -1)

    step = 65_536
    for s0 in range(0, len(train_texts), step):
        wh, lens = _encode(train_texts[s0:s0 + step])
        if len(q_hash):
            g, off = _shingles_from_ids(wh, lens, n)
            doc = np.repeat(np.arange(len(lens)), np.diff(off))
            keep = np.repeat(lens >= n, np.diff(off))                  # a short record has no n-gram
            hit = first_holder(q_hash, g[keep], doc[keep])
            new_hit = (q_first < 0) & (hit >= 0)
            q_first[new_hit] = hit[new_hit] + s0
        for L, (ks, hs) in short_by_len.items():
            todo = short_first[ks] < 0
            if not todo.any():
                continue
            g, off = _shingles_from_ids(wh, lens, L)
            doc = np.repeat(np.arange(len(lens)), np.diff(off))
            keep = np.repeat(lens >= L, np.diff(off))
            hit = first_holder(hs, g[keep], doc[keep])
            fresh = todo & (hit >= 0)
            short_first[ks[fresh]] = hit[fresh] + s0

    # 1. n-gram overlap: share of the item's n-gram positions found in training data
    for k in np.unique(q_owner[q_first >= 0]):
        sel = q_owner == k
        found = q_first[sel]
        items.append({"test_id": test_items[k][0], "train_index": int(found[found >= 0].min()), "method": "ngram",
                      "overlap": round(float((found >= 0).sum()) / int(sel.sum()), 6)})
    # 2. short items found whole
    for k in np.flatnonzero(short_first >= 0):
        items.append({"test_id": test_items[k][0], "train_index": int(short_first[k]), "method": "ngram",
                      "overlap": 1.0})

    # 3. near-duplicates between a test item and a training record, or one line of it: a training pair "Q\nA"
    #    holds the question on its own line, so a test question is compared with it undiluted by the answer
    if near and len(test_items) and len(train_texts):
        docs: list[str] = []
        owner: list[int] = []
        for i, t in enumerate(train_texts):
            t = "" if t is None else str(t)
            docs.append(t)
            owner.append(i)
            if "\n" in t:
                for line in t.split("\n"):
                    if line.strip():
                        docs.append(line)
                        owner.append(i)
        nd = len(docs)
        res = near_duplicates(docs + [t for _, t in test_items], shingle=shingle, threshold=near_threshold,
                              seed=seed)
        best: dict[int, tuple[float, int]] = {}
        for i, j, jac in res.pairs:
            if i < nd <= j:
                k, tr = j - nd, owner[i]
                if k not in best or jac > best[k][0] or (jac == best[k][0] and tr < best[k][1]):
                    best[k] = (jac, tr)
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
