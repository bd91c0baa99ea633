"""The near-duplicate stage: Broder (1997) MinHash over word shingles, banded LSH for candidates (Leskovec, Rajaraman,
Ullman, *Mining of Massive Datasets* 3.4), every candidate verified by true Jaccard (curate.dedup); short records also
by character shingles confirmed by edit distance (curate.dedup's module doc, issue 24). `curate clean` runs the same
stage."""

from __future__ import annotations

import numpy as np

from curate.dedup import (
    NearDupResult,
    NearSettings,
    RecordKeys,
    char_candidates,
    char_keys,
    edit_verify,
    fact_words,
    jaccard_pairs,
    near_candidates,
    near_from_candidates,
    record_keys,
    shingle_hashes,
    short_records,
    short_text,
)
from curate.stages.base import Batch, Run, Stage, field_names

__all__ = ["Near"]


class Near(Stage):
    """Clusters of answers whose word `shingle`-gram sets have Jaccard >= `threshold`, or, for short answers, whose
    texts reach `edit_threshold` / `word_threshold` edit similarity (settings: curate.dedup's NearSettings).
    Streams: pass 1 keeps each record's set fingerprint and band keys (8 x (bands + 2) bytes, no text; short records also their
    char-shingle keys), pass 2 re-reads only the LSH candidates to verify them. The `largest` clusters are shown with
    their representative and the method that found them. An executor that finds the clusters its own way sets
    `result` before `finish` (curate.engine_ray)."""

    name = "near"

    def __init__(self, largest: int = 20, **settings):
        self.settings = NearSettings(**settings)
        self.largest = largest

    def config(self) -> dict:
        return {**self.settings.as_dict(), "largest": self.largest}

    def begin(self, run: Run) -> None:
        self.resolved_ = self.settings.resolved()  # bands and rows filled in
        self.result: NearDupResult | None = None
        self._keys: list[RecordKeys] = []
        self._shingles: list[tuple[np.ndarray, np.ndarray]] = []
        self._short: list[tuple[np.ndarray, RecordKeys]] = []  # (record indices, char-shingle keys) per batch
        self._short_texts: dict[int, tuple[str, str]] = {}  # record -> (short_text, fact_words)

    def add(self, batch: Batch) -> None:
        st = self.resolved_
        flat, off = shingle_hashes(batch.answers, shingle=st.shingle)
        rk = record_keys(flat, off, num_perm=st.num_perm, bands=st.bands, rows=st.rows, seed=st.seed)
        self._keys.append(rk)
        idx = short_records(rk.sizes, st)
        if len(idx):
            self._short.append((idx + batch.start, char_keys([short_text(batch.answers[k]) for k in idx], st)))

    def plan(self, run: Run) -> np.ndarray:
        """LSH candidate pairs from the band keys (and the short records' char keys); their records are re-read in
        pass 2."""
        st = self.resolved_
        self._rk = RecordKeys.concat(self._keys, st.bands)
        self._keys = []
        self._cand = near_candidates(self._rk, window=st.window)
        sidx = np.concatenate([i for i, _ in self._short]) if self._short else np.zeros(0, np.int64)
        li, lj, self._n_short = char_candidates(RecordKeys.concat([k for _, k in self._short], 1), window=st.window)
        self._short = []
        self._short_cand = (sidx[li], sidx[lj])
        self._cand_records = np.unique(np.concatenate([*self._cand, *self._short_cand]))
        self._is_cand = np.zeros(run.n, bool)
        self._is_cand[self._cand_records] = True
        self._is_short = np.zeros(run.n, bool)
        self._is_short[np.concatenate(self._short_cand)] = True
        return self._cand_records

    def take(self, idx: np.ndarray, prompts: list[str], answers: list[str]) -> None:
        c = np.flatnonzero(self._is_cand[idx])
        if len(c):
            flat, off = shingle_hashes([answers[j] for j in c], shingle=self.resolved_.shingle)
            self._shingles.append((flat, np.diff(off)))
        for j in np.flatnonzero(self._is_short[idx]):
            self._short_texts[int(idx[j])] = (short_text(answers[j]), fact_words(answers[j]))

    def _verify(self) -> NearDupResult:
        """True Jaccard of every candidate pair, then clusters (the identical sets joined directly)."""
        parts, cand, cand_records = self._shingles, self._cand, self._cand_records
        flat = np.concatenate([f for f, _ in parts]) if parts else np.zeros(0, np.uint64)
        off = np.zeros(len(cand_records) + 1, np.int64)
        if parts:
            np.cumsum(np.concatenate([c for _, c in parts]), out=off[1:])
        pos_i, pos_j = np.searchsorted(cand_records, cand[0]), np.searchsorted(cand_records, cand[1])
        jac = jaccard_pairs(flat, off, pos_i, pos_j)
        self._shingles = []
        st = self.resolved_
        si, sj = self._short_cand
        texts = self._short_texts
        ti, tj = [texts[k][0] for k in si.tolist()], [texts[k][0] for k in sj.tolist()]
        facts = ([texts[k][1] for k in si.tolist()], [texts[k][1] for k in sj.tolist()])
        short = edit_verify(si, sj, ti, tj, st.edit_threshold, st.word_threshold, facts)
        res = near_from_candidates(
            self._rk,
            cand[0],
            cand[1],
            jac,
            threshold=st.threshold,
            config=st.report_config(),
            short=short,
            short_candidates=self._n_short,
        )
        del self._rk
        self._short_texts = {}
        return res

    def finish(self, run: Run) -> None:
        if self.result is None:
            self.result = self._verify()
        res = self.result
        self._largest = sorted(enumerate(res.clusters), key=lambda x: -len(x[1]))[: self.largest]
        run.need_texts([res.representative[c] for c, _ in self._largest])

    def report(self, run: Run) -> None:
        res = self.result
        run.sections["near"] = {
            "clusters": len(res.clusters),
            "records": res.duplicate_records,
            "field": field_names(run.col.fmap)[1],
            "config": res.config,
            "methods": {k: res.methods.count(k) for k in sorted(set(res.methods))},
            "largest": [
                {
                    "cluster": c,
                    "size": len(m),
                    "method": res.methods[c],
                    "representative": res.representative[c],
                    "line": int(run.lines[res.representative[c]]),
                    "text": run.texts[res.representative[c]][1][:300],
                }
                for c, m in self._largest
            ],
        }
        run.columns["near_cluster"] = np.asarray(res.cluster_of, dtype=np.int64)
