"""Test-set contamination of a training set: n-gram overlap plus near-duplicate matching.

N-gram overlap follows GPT-3 (Brown et al. 2020, appendix C) and lm-evaluation-harness's decontamination
(lm_eval/decontamination/janitor.py: ASCII letters lower-cased, ASCII punctuation deleted, split on whitespace, word
n-grams, n = 13); a test item is contaminated when any of its n-grams occurs in the training
data, or, for an item shorter than n words, when the whole item occurs as a contiguous word sequence (GPT-3's rule for
short items; items under `min_words` words are left to the near-duplicate check, since 1-4 common words match anything).
Near-duplicates reuse curate.dedup (MinHash + LSH, verified by true Jaccard >= `near_threshold`).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from curate.dedup import (
    NEAR,
    jaccard_pairs,
    ranges,
    record_keys,
    resolve_bands,
    shingle_hashes,
    shingles_from_ids,
    word_hashes,
)

__all__ = ["ContaminationResult", "ContaminationScan", "find_contamination", "mc_test_text", "janitor_normalize"]


@dataclass
class ContaminationResult:
    """`items`: one dict per (test item, method): {test_id, train_index, method: "ngram"|"near_dup", overlap};
    `contaminated_ids`: sorted test ids with any hit; `figures`: counts and shares for the report;
    `train_indices`: every training record holding a test n-gram or near a test item (not only the first per item:
    what a clean must remove for the same check to pass afterwards)."""

    items: list[dict]
    contaminated_ids: list
    figures: dict = field(default_factory=dict)
    train_indices: list[int] = field(default_factory=list)


def mc_test_text(question: str, choices: Sequence[str] | None = None, *, with_choices: bool = False) -> str:
    """The text checked for a multiple-choice test row: the question, and its choices when asked for."""
    if with_choices and choices:
        return f"{question} " + " ".join(str(c) for c in choices if c is not None)
    return question


_JANITOR = str.maketrans(
    string.ascii_lowercase + string.ascii_uppercase, string.ascii_lowercase * 2, string.punctuation
)


def janitor_normalize(text) -> str:
    """lm-eval's Janitor.normalize_string (ASCII lower case, ASCII punctuation deleted), words joined by one space."""
    return " ".join(("" if text is None else str(text)).translate(_JANITOR).split())


def _encode(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(stable hash of every normalised word, words per text), in chunks."""
    return word_hashes([janitor_normalize(t) for t in texts], prenormalized=True)


def find_contamination(
    train_texts: Sequence[str], test_items: Sequence[tuple[str, str]], **settings
) -> ContaminationResult:
    """Test items (test_id, text) that overlap the training texts by a word `n`-gram or are near-duplicates of a
    training record (Jaccard of word `shingle`-grams >= `near_threshold`); `settings`: ContaminationScan's keywords."""
    scan = ContaminationScan(test_items, **settings)
    step = 65_536
    for s0 in range(0, len(train_texts), step):
        scan.add(train_texts[s0 : s0 + step], s0)
    return scan.result()


def _first_holder(query: np.ndarray, grams: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """For each query hash, the smallest record index in `doc` whose grams contain it (-1: none)."""
    if not len(grams) or not len(query):
        return np.full(len(query), -1, np.int64)
    o = np.lexsort((doc, grams))
    g, d = grams[o], doc[o]
    pos = np.minimum(np.searchsorted(g, query), len(g) - 1)
    return np.where(g[pos] == query, d[pos], -1)


class ContaminationScan:
    """`find_contamination` fed the training set in chunks (`add(texts, start)`), so only the test set and one chunk
    are ever in memory; `result()` gives the same `ContaminationResult`. Settings: the word `n`-gram size, items under
    `min_words` words left to the near-duplicate check, which `near` turns on (word `shingle`-grams, `num_perm`
    MinHash permutations, true Jaccard >= `near_threshold`, MinHash `seed`)."""

    def __init__(
        self,
        test_items: Sequence[tuple[str, str]],
        *,
        n: int = 13,
        near_threshold: float = NEAR.threshold,
        min_words: int = 5,
        near: bool = True,
        shingle: int = NEAR.shingle,
        seed: int = 0,
        num_perm: int = NEAR.num_perm,
    ):
        self.test_items = list(test_items)
        self.n, self.near_threshold, self.min_words = n, near_threshold, min_words
        self.near, self.shingle = near, shingle
        self.seed, self.num_perm = seed, num_perm
        self.train_records = 0
        nt = len(self.test_items)
        te_wh, self.te_lens = _encode([t for _, t in self.test_items])
        # test side (small): n-grams of items with >= n words; the whole item for min_words <= words < n
        te_flat, te_off = shingles_from_ids(te_wh, self.te_lens, n)
        te_owner = np.repeat(np.arange(nt), np.diff(te_off))
        long_item = np.repeat(self.te_lens >= n, np.diff(te_off))
        self.q_hash, self.q_owner = te_flat[long_item], te_owner[long_item]  # one row per test n-gram position
        self.q_first = np.full(len(self.q_hash), -1, np.int64)  # first train record holding it
        te_starts = np.concatenate([[0], np.cumsum(self.te_lens)[:-1]]).astype(np.int64)
        self.short_by_len: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for L in sorted({int(x) for x in self.te_lens if min_words <= x < n}):
            ks = np.flatnonzero(self.te_lens == L)
            hs = np.concatenate(
                [shingles_from_ids(te_wh[te_starts[k] : te_starts[k] + L], np.array([L]), L)[0] for k in ks]
            )
            self.short_by_len[L] = (ks, hs)
        self.short_first = np.full(nt, -1, np.int64)
        self.hit_records: list[np.ndarray] = []
        # near-duplicates: the test items' shingles and LSH keys; train docs are looked up band by band
        self.best: dict[int, tuple[float, int]] = {}
        if near and nt:
            self.bands, self.rows = resolve_bands(num_perm, near_threshold, None, None)
            self.t_flat, self.t_off = shingle_hashes([t for _, t in self.test_items], shingle=shingle)
            t_keys = record_keys(
                self.t_flat, self.t_off, num_perm=num_perm, bands=self.bands, rows=self.rows, seed=seed
            )
            self.t_nonempty = t_keys.sizes > 0
            self.t_sorted = []
            for b in range(self.bands):
                o = np.flatnonzero(self.t_nonempty)
                o = o[np.argsort(t_keys.keys[o, b], kind="stable")]
                self.t_sorted.append((t_keys.keys[o, b], o))

    def add(self, train_texts: Sequence[str], start: int) -> None:
        """Scan training records `start`, `start + 1`, ... (in order; chunks must not overlap)."""
        self.train_records = max(self.train_records, start + len(train_texts))
        n = self.n
        wh, lens = _encode(train_texts)
        if len(self.q_hash):
            g, off = shingles_from_ids(wh, lens, n)
            doc = np.repeat(np.arange(len(lens)), np.diff(off))
            keep = np.repeat(lens >= n, np.diff(off))  # a short record has no n-gram
            hit = _first_holder(self.q_hash, g[keep], doc[keep])
            new_hit = (self.q_first < 0) & (hit >= 0)
            self.q_first[new_hit] = hit[new_hit] + start
            if (hit >= 0).any():
                holds = np.isin(g[keep], self.q_hash[hit >= 0])
                self.hit_records.append(np.unique(doc[keep][holds]) + start)
        for L, (ks, hs) in self.short_by_len.items():
            todo = self.short_first[ks] < 0
            if not todo.any():
                continue
            g, off = shingles_from_ids(wh, lens, L)
            doc = np.repeat(np.arange(len(lens)), np.diff(off))
            keep = np.repeat(lens >= L, np.diff(off))
            hit = _first_holder(hs, g[keep], doc[keep])
            fresh = todo & (hit >= 0)
            self.short_first[ks[fresh]] = hit[fresh] + start
            if fresh.any():
                holds = np.isin(g[keep], hs[fresh])
                self.hit_records.append(np.unique(doc[keep][holds]) + start)
        if self.near and self.test_items:
            self._add_near(train_texts, start)

    def _add_near(self, train_texts: Sequence[str], start: int) -> None:
        """A training record, or one line of it, near a test item: a training pair "Q\nA" holds the question on its
        own line, so a test question is compared with it undiluted by the answer."""
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
        flat, off = shingle_hashes(docs, shingle=self.shingle)
        rk = record_keys(flat, off, num_perm=self.num_perm, bands=self.bands, rows=self.rows, seed=self.seed)
        live = np.flatnonzero(rk.sizes)
        di, ti = [], []
        for b, (tk, to) in enumerate(self.t_sorted):
            k = rk.keys[live, b]
            lo, hi = np.searchsorted(tk, k, "left"), np.searchsorted(tk, k, "right")
            cnt = hi - lo
            hit = np.flatnonzero(cnt)
            if len(hit):
                di.append(np.repeat(live[hit], cnt[hit]))
                ti.append(to[ranges(lo[hit], cnt[hit])])
        if not di:
            return
        pair = np.unique(np.concatenate(di).astype(np.int64) * len(self.test_items) + np.concatenate(ti))
        d, t = pair // len(self.test_items), pair % len(self.test_items)
        both_flat = np.concatenate([flat, self.t_flat])
        both_off = np.concatenate([off, off[-1] + self.t_off[1:]])
        jac = jaccard_pairs(both_flat, both_off, d, t + len(docs))
        ok = jac >= self.near_threshold - 1e-12
        self.hit_records.append(np.unique(np.asarray(owner)[d[ok]]) + start)
        for k, tr, j in zip(t[ok].tolist(), (np.asarray(owner)[d[ok]] + start).tolist(), jac[ok].tolist()):
            b = self.best.get(k)
            if b is None or j > b[0] or (j == b[0] and tr < b[1]):
                self.best[k] = (j, tr)

    def result(self) -> ContaminationResult:
        test_items, nt, n = self.test_items, len(self.test_items), self.n
        items: list[dict] = []
        # 1. n-gram overlap: share of the item's n-gram positions found in training data
        for k in np.unique(self.q_owner[self.q_first >= 0]):
            sel = self.q_owner == k
            found = self.q_first[sel]
            items.append(
                {
                    "test_id": test_items[k][0],
                    "train_index": int(found[found >= 0].min()),
                    "method": "ngram",
                    "overlap": round(float((found >= 0).sum()) / int(sel.sum()), 6),
                }
            )
        # 2. short items found whole
        for k in np.flatnonzero(self.short_first >= 0):
            items.append(
                {
                    "test_id": test_items[k][0],
                    "train_index": int(self.short_first[k]),
                    "method": "ngram",
                    "overlap": 1.0,
                }
            )
        # 3. near-duplicates
        for k in sorted(self.best):
            jac, i = self.best[k]
            items.append(
                {
                    "test_id": test_items[k][0],
                    "train_index": int(i),
                    "method": "near_dup",
                    "overlap": round(float(jac), 6),
                }
            )
        ids = {it["test_id"] for it in items}
        contaminated = sorted(ids, key=lambda x: (str(type(x)), x))
        n_ng = len({it["test_id"] for it in items if it["method"] == "ngram"})
        n_nd = len({it["test_id"] for it in items if it["method"] == "near_dup"})
        te_lens = self.te_lens
        figures = {
            "train_records": self.train_records,
            "test_items": nt,
            "n": n,
            "near_threshold": self.near_threshold,
            "contaminated": len(contaminated),
            "contaminated_share": len(contaminated) / nt if nt else 0.0,
            "ngram_items": n_ng,
            "near_dup_items": n_nd,
            "items_shorter_than_n": int((te_lens < n).sum()),
            "items_unchecked_by_ngram": int((te_lens < self.min_words).sum()),
        }
        items.sort(key=lambda it: (str(it["test_id"]), it["method"]))
        hits = np.unique(np.concatenate(self.hit_records)) if self.hit_records else np.zeros(0, np.int64)
        figures["train_records_hit"] = int(len(hits))
        return ContaminationResult(
            items=items, contaminated_ids=contaminated, figures=figures, train_indices=hits.tolist()
        )
