"""The semantic duplicate stage (optional, `curate audit --semantic`): paraphrased records and paraphrased test
leaks that MinHash misses, from an offline embedding model (curate.semantic: embeddings, cosine index, clusters)."""

from __future__ import annotations

import numpy as np

from curate.semantic import (
    DEFAULT_MODEL,
    DEFAULT_THRESHOLD,
    EXACT_LIMIT,
    SemanticResult,
    check_model,
    cross_pairs,
    embed,
    load_encoder,
    semantic_clusters,
)
from curate.stages.base import Batch, Run, Stage, field_names
from curate.stages.contamination import load_test_items

__all__ = ["Semantic", "semantic_text"]

SHOWN = 500  # contaminated test items listed in the report (all are counted)


def semantic_text(prompt: str, answer: str, kind: str) -> str:
    """What a record is compared on: its prompt (the instruction a paraphrase rewords), or the text itself."""
    return answer if kind == "text" or not prompt.strip() else prompt


class Semantic(Stage):
    """Clusters of records whose prompts (texts, for plain-text sets) have cosine >= `threshold` under `model`
    (curate.semantic.MODELS); with `test`, the training records within `threshold` of a test item (a paraphrased
    leak). Pass 1 embeds each chunk as it streams by (384 floats a record for e5-small, no text kept); `finish` finds
    the pairs (exact up to `exact_limit` records, IVF beyond). The `largest` clusters are shown with two members."""

    name = "semantic"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        threshold: float = DEFAULT_THRESHOLD,
        test: str | None = None,
        largest: int = 20,
        seed: int = 0,
        exact_limit: int = EXACT_LIMIT,
    ):
        self.model = model
        self.threshold = threshold
        self.test = test
        self.largest = largest
        self.seed = seed
        self.exact_limit = exact_limit

    def begin(self, run: Run) -> None:
        self._encode = load_encoder(self.model)
        self._parts: list[np.ndarray] = []
        self.result: SemanticResult | None = None
        self.items = load_test_items(self.test) if self.test else []
        self._test_x = embed([t for _, t in self.items], self._encode) if self.items else None

    def add(self, batch: Batch) -> None:
        texts = [semantic_text(q, a, batch.kind) for q, a in zip(batch.prompts, batch.answers)]
        self._parts.append(embed(texts, self._encode))

    def finish(self, run: Run) -> None:
        x = np.concatenate(self._parts) if self._parts else np.zeros((0, 0), np.float32)
        self._parts = []
        self.result = semantic_clusters(x, self.threshold, exact_limit=self.exact_limit, seed=self.seed)
        self._leaks = self._contamination(x) if self._test_x is not None else None
        self._largest = sorted(enumerate(self.result.clusters), key=lambda c: -len(c[1]))[: self.largest]
        run.need_texts([i for _, m in self._largest for i in m[:2]])
        if self._leaks:
            run.need_texts(sorted({it["train_index"] for it in self._leaks["items"][:SHOWN]}))

    def _contamination(self, x: np.ndarray) -> dict:
        """Test items with a training record at cosine >= threshold: the best match of each, and the records."""
        i, j, s = cross_pairs(x, self._test_x, self.threshold)
        best: dict[int, tuple[float, int]] = {}
        for tr, te, sim in zip(i.tolist(), j.tolist(), s.tolist()):
            if te not in best or sim > best[te][0]:
                best[te] = (sim, tr)
        items = [
            {"test_id": self.items[te][0], "train_index": tr, "cosine": round(sim, 4)}
            for te, (sim, tr) in sorted(best.items())
        ]
        return {"records": int(len(np.unique(i))), "test_items": len(best), "items": items}

    def _cluster_rows(self, run: Run) -> list[dict]:
        res = self.result
        rows = []
        for c, m in self._largest:
            pair = np.flatnonzero((res.pairs[0] == m[0]) | (res.pairs[1] == m[0]))
            rows.append(
                {
                    "cluster": c,
                    "size": len(m),
                    "method": f"semantic ({self.model})",
                    "cosine": round(float(res.pairs[2][pair].max()), 4) if len(pair) else None,
                    "line": int(run.lines[m[0]]),
                    "text": _shown(run, m[0]),
                    "other_line": int(run.lines[m[1]]),
                    "other_text": _shown(run, m[1]),
                }
            )
        return rows

    def report(self, run: Run) -> None:
        res = self.result
        section = {
            "model": self.model,
            "about": check_model(self.model).about,
            "threshold": self.threshold,
            "index": res.index,
            "field": field_names(run.col.fmap)[0 if run.col.fmap.kind != "text" else 1],
            "clusters": len(res.clusters),
            "records": res.duplicate_records,
            "largest": self._cluster_rows(run),
        }
        summary = {"semantic_duplicate_records": res.duplicate_records, "semantic_clusters": len(res.clusters)}
        if self._leaks is not None:
            self._leaks["items"] = self._leaks["items"][:SHOWN]
            for it in self._leaks["items"]:
                it["train_line"] = int(run.lines[it["train_index"]])
                it["train_text"] = _shown(run, it["train_index"])
            section["contamination"] = {"test": self.test, "test_items_total": len(self.items), **self._leaks}
            summary["semantic_contaminated_records"] = self._leaks["records"]
        run.sections["semantic"] = section
        run.sections["semantic_summary"] = summary
        run.columns["semantic_cluster"] = np.asarray(res.cluster_of, dtype=np.int64)


def _shown(run: Run, i: int) -> str:
    """The compared side of record `i`, cut to 300 characters for the report."""
    prompt, answer = run.texts[int(i)]
    return semantic_text(prompt, answer, run.col.fmap.kind)[:300]
