"""The exact-duplicate stage: curate.dedup's normalised-text hashes (NFKC, lower case, punctuation removed) kept
per record in pass 1, grouped once the set is read."""

from __future__ import annotations

import numpy as np

from curate.dedup import cross_from_hashes, exact_from_hashes, pair_hashes, text_hashes
from curate.stages.base import Batch, Run, Stage, field_names

__all__ = ["Exact"]


class Exact(Stage):
    """Records repeating an earlier record's prompt, answer or whole pair, one answer given to different questions and
    one question given different answers; the `preview_groups` largest groups of each kind are shown with an excerpt."""

    name = "exact"

    def __init__(self, preview_groups: int = 20):
        self.preview_groups = preview_groups

    def begin(self, run: Run) -> None:
        self._q: list[np.ndarray] = []
        self._a: list[np.ndarray] = []

    def add(self, batch: Batch) -> None:
        self._a.append(text_hashes(batch.answers))
        self._q.append(text_hashes(batch.prompts) if batch.kind != "text" else np.zeros(len(batch.prompts), np.uint64))

    @property
    def prompt_hashes(self) -> np.ndarray:
        return np.concatenate(self._q) if self._q else np.zeros(0, np.uint64)

    @property
    def answer_hashes(self) -> np.ndarray:
        return np.concatenate(self._a) if self._a else np.zeros(0, np.uint64)

    def plan(self, run: Run) -> np.ndarray:
        """The groups, and the first record of each group shown (its text is re-read for the excerpt)."""
        pname, aname = field_names(run.col.fmap)
        hq, ha = self.prompt_hashes, self.answer_hashes
        ra = exact_from_hashes(ha)
        self.counts: dict[str, int] = {}
        self.sections: dict = {}
        self.prompt_dup, self.answer_dup = np.zeros(run.n, bool), ra.dup_mask
        if run.col.fmap.kind == "text":
            rp = ra
            self.counts[aname] = ra.duplicate_records
            previews = [("groups", rp.groups, "answer")]
        else:
            rq = exact_from_hashes(hq)
            rp = exact_from_hashes(pair_hashes(hq, ha))
            self.counts[pname], self.counts[aname] = rq.duplicate_records, ra.duplicate_records
            self.prompt_dup = rq.dup_mask
            cross = cross_from_hashes(hq, ha)
            previews = [
                ("pair_groups", rp.groups, "prompt"),
                ("shared_answers", cross.shared_answers, "answer"),
                ("conflicting", cross.conflicting_answers, "prompt"),
            ]
            self.sections.update(
                shared_answer_groups=len(cross.shared_answers),
                shared_answer_records=cross.shared_answer_records,
                conflicting_groups=len(cross.conflicting_answers),
                conflicting_records=cross.conflicting_records,
            )
        self.counts["pair"] = rp.duplicate_records
        self.pair_dup_of = np.full(run.n, -1, np.int64)
        for g in rp.groups:
            self.pair_dup_of[g[1:]] = g[0]
        k = self.preview_groups
        self.previews = [(key, sorted(groups, key=lambda g: -len(g))[:k], which) for key, groups, which in previews]
        shown = np.unique(np.fromiter((g[0] for _, groups, _ in self.previews for g in groups), np.int64))
        run.need_texts(shown)
        return shown

    def report(self, run: Run) -> None:
        for key, groups, which in self.previews:
            self.sections[key] = [
                {
                    "size": len(g),
                    "lines": [int(run.lines[j]) for j in g[:50]],
                    "text": run.texts[g[0]][0 if which == "prompt" else 1][:200],
                }
                for g in groups
            ]
        run.sections["exact"] = self.counts
        run.sections["exact_groups"] = self.sections
        run.columns.update(
            prompt_duplicate=self.prompt_dup, answer_duplicate=self.answer_dup, pair_duplicate_of=self.pair_dup_of
        )
