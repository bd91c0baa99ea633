"""A generated instruction corpus with known duplicates, for the engine tests and the scale benchmark.

Questions and answers are drawn from a Zipf vocabulary with a seeded generator; a share of records repeats an earlier
record exactly, and another share copies an earlier answer with one to three words changed (near-duplicates). Same
`n` and `seed` give the same files, byte for byte.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

__all__ = ["make_records", "write_shards"]


def _vocab(rng: np.random.Generator, size: int) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lens = rng.integers(2, 10, size=size)
    return np.array(["".join(rng.choice(letters, size=k)) for k in lens])


def make_records(n: int, *, seed: int = 0, exact_share: float = 0.03, near_share: float = 0.05,
                 vocab_size: int = 20_000) -> list[dict]:
    """`n` records {"id", "question", "answer", "topic"}; `exact_share` of them repeat an earlier record, `near_share`
    copy an earlier answer (new question) with 1-3 words substituted."""
    rng = np.random.default_rng(seed)
    vocab = _vocab(rng, vocab_size)
    p = 1.0 / np.arange(1, vocab_size + 1) ** 1.07
    p /= p.sum()
    q_len = rng.integers(6, 16, size=n)
    a_len = rng.integers(25, 70, size=n)
    words = rng.choice(vocab_size, size=int(q_len.sum() + a_len.sum()), p=p)
    kind = rng.random(n)
    src = (rng.random(n) * np.arange(n)).astype(np.int64)       # an earlier record
    out: list[dict] = []
    pos = 0
    for i in range(n):
        q = vocab[words[pos:pos + q_len[i]]]
        pos += q_len[i]
        a = vocab[words[pos:pos + a_len[i]]]
        pos += a_len[i]
        question = " ".join(q).capitalize() + "?"
        answer = " ".join(a).capitalize() + "."
        if i and kind[i] < exact_share:
            s = out[src[i]]
            question, answer = s["question"], s["answer"]
        elif i and kind[i] < exact_share + near_share:
            w = out[src[i]]["answer"].rstrip(".").split(" ")
            for k in rng.choice(len(w), size=min(len(w), int(rng.integers(1, 4))), replace=False):
                w[k] = str(vocab[rng.integers(vocab_size)])
            answer = " ".join(w) + "."
        out.append({"id": i, "question": question, "answer": answer, "topic": f"t{int(words[pos - 1]) % 12}"})
    return out


def write_shards(records: list[dict], folder: str | os.PathLike, *, shards: int = 1, fmt: str = "jsonl") -> list[Path]:
    """Write `records` as `shards` contiguous files part-00000.jsonl ... (or .parquet), in order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(records), shards + 1).astype(int)
    paths = []
    for k in range(shards):
        part = records[bounds[k]:bounds[k + 1]]
        path = folder / f"part-{k:05d}.{fmt}"
        if fmt == "jsonl":
            with open(path, "w", encoding="utf-8") as fh:
                for r in part:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        elif fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(part), path)
        else:
            raise ValueError(f"unknown format {fmt!r}")
        paths.append(path)
    return paths
