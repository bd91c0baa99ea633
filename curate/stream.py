"""What the audit keeps while it streams a dataset: a few numbers per record, never the records.

Pass 1 (`Features.add`, one call per chunk of records, in order) keeps per record: normalised-text hashes for exact
duplicates, MinHash band keys for near-duplicates, token counts, character lengths, perplexity; and per set: distinct
n-gram hashes, answer openings, the test set's contamination hits, a few example records per reason code. Later
passes (`text_chunks(want=...)`) re-read only what the set-level stages need: the shingles of LSH candidates, the
diversity sample, the texts shown as examples, and (for sets larger than the sample) every record once more to place
it on the diversity map. Memory is O(records x ~300 bytes), whatever the texts' size.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from curate.dedup import RecordKeys, record_keys, resolve_bands, shingle_hashes, text_hashes, word_hashes
from curate.diversity import DistinctCounter
from curate.fields import FieldMap, FieldTypeError, prompt_text, to_pair
from curate.signals.generated import opening
from workbench import tabular as io

__all__ = ["Features", "diversity_text", "contamination_text", "approx_tokens", "file_text_chunks"]

TextChunks = Callable[..., Iterator[tuple[np.ndarray, list[str], list[str]]]]


def diversity_text(prompt: str, answer: str, kind: str) -> str:
    """The text diversity and token figures are computed on: the text itself, or "question\\nanswer"."""
    return answer if kind == "text" else f"{prompt}\n{answer}"


def contamination_text(prompt: str, answer: str) -> str:
    """A training record as the contamination check sees it: each field on its own line."""
    return f"{prompt}\n{answer}"


def approx_tokens(texts: Sequence[str]) -> np.ndarray:
    """Token estimate without a tokenizer: ~4 UTF-8 bytes per token (Latin), 1 per CJK character."""
    out = np.empty(len(texts), np.int64)
    for i, t in enumerate(texts):
        out[i] = max(len(t.split()), math.ceil(len(t.encode("utf-8")) / 4)) if t else 0
    return out


class Features:
    """Pass-1 accumulators of an audit (see the module doc). `near=None` skips the band keys (the Ray engine finds
    near-duplicates on the cluster); `contamination` is a `curate.contamination.ContaminationScan` or None."""

    def __init__(
        self,
        *,
        kind: str,
        exact: bool = True,
        near: dict | None = None,
        diversity: bool = True,
        tokenizer=None,
        model=None,
        contamination=None,
        examples_per_reason: int = 3,
    ):
        self.kind = kind
        self.exact, self.diversity = exact, diversity
        self.tokenizer, self.model, self.contamination = tokenizer, model, contamination
        self.near = near
        if near is not None:
            self.bands, self.rows = resolve_bands(
                near["num_perm"], near["threshold"], near.get("bands"), near.get("rows")
            )
        self.examples_per_reason = examples_per_reason
        self._parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("prompt_hash", "answer_hash", "prompt_chars", "answer_chars", "tokens", "perplexity")
        }
        self._keys: list[RecordKeys] = []
        self.distinct = {1: DistinctCounter(1), 2: DistinctCounter(2)}
        self.openings: Counter = Counter()
        self.examples: dict[str, list[dict]] = {}
        self.n = 0

    def add(
        self, start: int, prompts: list[str], answers: list[str], lines: Sequence[int], reasons: Sequence[list[str]]
    ) -> None:
        """Records `start` .. `start + len(answers) - 1`, in order."""
        if start != self.n:
            raise ValueError(f"chunk starts at {start}, expected {self.n}")
        self.n += len(answers)
        P = self._parts
        P["prompt_chars"].append(np.fromiter(map(len, prompts), np.int64, len(prompts)))
        P["answer_chars"].append(np.fromiter(map(len, answers), np.int64, len(answers)))
        full = answers if self.kind == "text" else [diversity_text(q, a, self.kind) for q, a in zip(prompts, answers)]
        if self.exact:
            P["answer_hash"].append(text_hashes(answers))
            P["prompt_hash"].append(text_hashes(prompts) if self.kind != "text" else np.zeros(len(prompts), np.uint64))
        if self.near is not None:
            flat, off = shingle_hashes(answers, shingle=self.near["shingle"])
            self._keys.append(
                record_keys(
                    flat, off, num_perm=self.near["num_perm"], bands=self.bands, rows=self.rows, seed=self.near["seed"]
                )
            )
        if self.diversity:
            wh, lens = word_hashes(full)
            for c in self.distinct.values():
                c.add_hashes(wh, lens)
        self.openings.update(opening(a) for a in answers)
        if self.tokenizer is not None:
            from curate.tokens import count_tokens

            P["tokens"].append(count_tokens(full, self.tokenizer))
        else:
            P["tokens"].append(approx_tokens(full))
        if self.model is not None:
            from curate.tokens import perplexities

            P["perplexity"].append(np.asarray(perplexities(answers, self.model), np.float64))
        if self.contamination is not None:
            self.contamination.add([contamination_text(q, a) for q, a in zip(prompts, answers)], start)
        for i, rs in enumerate(reasons):
            for r in rs:
                lst = self.examples.setdefault(r, [])
                if len(lst) < self.examples_per_reason:
                    lst.append({"line": int(lines[i]), "prompt": prompts[i][:160], "answer": answers[i][-240:]})

    def array(self, name: str, dtype=np.int64) -> np.ndarray:
        parts = self._parts[name]
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    def record_keys(self) -> RecordKeys:
        """All records' keys, once (the chunks' copies are released)."""
        rk = RecordKeys.concat(self._keys, self.bands)
        self._keys = []
        return rk


def file_text_chunks(
    path, cfg, fmap: FieldMap, *, want: np.ndarray | None = None, chunk: int = 5_000
) -> Iterator[tuple[np.ndarray, list[str], list[str]]]:
    """Re-read `path` as the first pass did (same bad rows skipped, so the same record indices) and yield
    (indices, prompts, answers) chunks of the records in `want` (sorted indices; None: every record)."""
    rows = io.read_numbered(path, skip_bad=True, max_record_bytes=cfg.max_record_bytes)
    idx: list[int] = []
    ps: list[str] = []
    ans: list[str] = []
    i = 0
    w = 0
    for _, row in rows:
        try:
            prompt, answer = to_pair(row, fmap)
        except FieldTypeError:
            continue  # the first pass skipped it too (or stopped the audit)
        if want is None or (w < len(want) and want[w] == i):
            idx.append(i)
            ps.append(prompt_text(prompt))
            ans.append(answer)
            w += 1
            if len(idx) >= chunk:
                yield np.asarray(idx, np.int64), ps, ans
                idx, ps, ans = [], [], []
        i += 1
        if want is not None and w >= len(want):
            break
    if idx:
        yield np.asarray(idx, np.int64), ps, ans
