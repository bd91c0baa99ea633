"""The diversity stages: curate.diversity's figures over the stream (distinct-n from every record, the embedding
fitted on a sample, then every record placed), and the answers' template uniformity (curate.signals.generated)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from curate.dedup import word_hashes
from curate.diversity import DistinctCounter, cluster_figures, fit_diversity, label_balance, sample_indices
from curate.signals.generated import opening, template_uniformity
from curate.stages.base import Batch, Run, Stage, record_text

__all__ = ["Diversity", "Template"]


class Diversity(Stage):
    """distinct-1/2 (Li et al. 2016) over every record; TF-IDF + SVD embeddings, KMeans clusters, normalised cluster
    entropy, coverage and the Vendi score (Friedman & Dieng 2023) fitted on `sample` records chosen with `seed`; when
    the set is larger than the sample, every record is read once more to place it on the clusters and the 2-D map."""

    name = "diversity"

    def __init__(self, sample: int = 20_000, seed: int = 0):
        self.sample = sample
        self.seed = seed

    def begin(self, run: Run) -> None:
        self._distinct = {1: DistinctCounter(1), 2: DistinctCounter(2)}
        self._sample = np.zeros(0, np.int64)

    def add(self, batch: Batch) -> None:
        wh, lens = word_hashes(batch.texts)
        for c in self._distinct.values():
            c.add_hashes(wh, lens)

    def plan(self, run: Run) -> np.ndarray:
        if run.n >= 2:
            self._sample = sample_indices(run.n, self.sample, self.seed)
            run.need_texts(self._sample)
        return self._sample

    def finish(self, run: Run) -> None:
        n, col = run.n, run.col
        self._ids = np.full(n, -1, np.int64)
        self._xy = np.zeros((n, 2))
        self.figures = {
            "records": n,
            "distinct_1": self._distinct[1].value,
            "distinct_2": self._distinct[2].value,
            "label_balance": label_balance(col.labels) if col.fmap.label is not None else None,
        }
        if n < 2:
            self.figures.update(
                vendi=float(n),
                cluster_entropy=0.0,
                coverage=0.0,
                n_clusters=n,
                cluster_sizes=[n] if n else [],
                sampled=False,
            )
            self._ids[:] = 0
            return
        kind = col.fmap.kind
        model = fit_diversity([record_text(*run.texts[i], kind) for i in self._sample.tolist()], n, seed=self.seed)
        if len(self._sample) == n:
            self._ids[:], self._xy[:] = model.assign([], model.sample_X)
        else:
            for idx, ps, ans in run.reread():
                self._ids[idx], self._xy[idx] = model.assign([record_text(q, a, kind) for q, a in zip(ps, ans)])
        self.figures["vendi"] = model.vendi
        self.figures.update(cluster_figures(self._ids, model.k))
        self.figures["sampled"] = bool(len(self._sample) < n)

    def report(self, run: Run) -> None:
        run.sections["diversity"] = self.figures
        run.columns.update(cluster=self._ids, map_x=self._xy[:, 0], map_y=self._xy[:, 1])


class Template(Stage):
    """How many answers open with the same few words: one template across a set marks generated data (the report's
    diversity section; curate.signals.generated.template_uniformity)."""

    name = "template"

    def begin(self, run: Run) -> None:
        self._openings: Counter = Counter()

    def add(self, batch: Batch) -> None:
        self._openings.update(opening(a) for a in batch.answers)

    def report(self, run: Run) -> None:
        run.sections.setdefault("diversity", {})["template"] = template_uniformity(self._openings)
