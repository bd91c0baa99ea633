"""The near-duplicate stage: Broder (1997) MinHash over word shingles, banded LSH for candidates (Leskovec, Rajaraman,
Ullman, *Mining of Massive Datasets* 3.4), every candidate verified by true Jaccard (curate.dedup). `curate clean`
runs the same stage."""

from __future__ import annotations

import numpy as np

from curate.dedup import (
    NearDupResult,
    NearSettings,
    RecordKeys,
    jaccard_pairs,
    near_candidates,
    near_from_candidates,
    record_keys,
    shingle_hashes,
)
from curate.stages.base import Batch, Run, Stage, field_names

__all__ = ["Near"]


class Near(Stage):
    """Clusters of answers whose word `shingle`-gram sets have Jaccard >= `threshold` (settings: curate.dedup's
    NearSettings, by keyword). Streams: pass 1 keeps each record's set fingerprint and band keys (8 x (bands + 2)
    bytes, no text), pass 2 re-reads only the LSH candidates to verify them. The `largest` clusters are shown with
    their representative. An executor that finds the clusters its own way sets `result` before `finish`
    (curate.engine_ray)."""

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

    def add(self, batch: Batch) -> None:
        st = self.resolved_
        flat, off = shingle_hashes(batch.answers, shingle=st.shingle)
        self._keys.append(record_keys(flat, off, num_perm=st.num_perm, bands=st.bands, rows=st.rows, seed=st.seed))

    def plan(self, run: Run) -> np.ndarray:
        """LSH candidate pairs from the band keys; their records are re-read in pass 2."""
        self._rk = RecordKeys.concat(self._keys, self.resolved_.bands)
        self._keys = []
        self._cand = near_candidates(self._rk, window=self.resolved_.window)
        self._cand_records = np.unique(np.concatenate(self._cand))
        self._is_cand = np.zeros(run.n, bool)
        self._is_cand[self._cand_records] = True
        return self._cand_records

    def take(self, idx: np.ndarray, prompts: list[str], answers: list[str]) -> None:
        c = np.flatnonzero(self._is_cand[idx])
        if len(c):
            flat, off = shingle_hashes([answers[j] for j in c], shingle=self.resolved_.shingle)
            self._shingles.append((flat, np.diff(off)))

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
        res = near_from_candidates(self._rk, cand[0], cand[1], jac, threshold=st.threshold, config=st.report_config())
        del self._rk
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
            "largest": [
                {
                    "cluster": c,
                    "size": len(m),
                    "representative": res.representative[c],
                    "line": int(run.lines[res.representative[c]]),
                    "text": run.texts[res.representative[c]][1][:300],
                }
                for c, m in self._largest
            ],
        }
        run.columns["near_cluster"] = np.asarray(res.cluster_of, dtype=np.int64)
