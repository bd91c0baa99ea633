"""Set-level diversity: distinct-n, embedding clusters, cluster entropy and coverage, Vendi score, label balance,
and a 2-D map. Offline by default: embeddings are TF-IDF of hashed word 1-2 grams reduced by TruncatedSVD (LSA).

- distinct-n: unique n-grams / all n-grams over the set (Li et al. 2016, "A Diversity-Promoting Objective", §4).
- Vendi score: exp of the Shannon entropy of the eigenvalues of K/n, K the cosine-similarity matrix of the
  embeddings (Friedman & Dieng 2023, eq. 1). With unit-norm rows X, K/n = X Xᵀ/n has the same non-zero
  eigenvalues as Xᵀ X/n (d × d), so it is exact for any n at O(n d²) with no sampling.
- cluster entropy: Shannon entropy of KMeans cluster shares divided by log(k) (1 = even, 0 = one cluster);
  coverage: share of the k clusters holding at least half of an even share of the records.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DistinctCounter",
    "DiversityModel",
    "fit_diversity",
    "cluster_figures",
    "sample_indices",
    "distinct_n",
    "embed",
    "embed_more",
    "vendi_score",
    "label_balance",
    "diversity_figures",
]


class DistinctCounter:
    """distinct-n over a stream of chunks: the unique n-gram hashes seen so far (sorted, 8 bytes each) and the count of
    all n-grams; memory grows with the number of distinct n-grams, not with the records."""

    def __init__(self, n: int):
        self.n = n
        self.total = 0
        self.seen = np.zeros(0, np.uint64)
        self._pending: list[np.ndarray] = []
        self._pending_len = 0

    def add(self, texts: Sequence[str]) -> None:
        from curate.dedup import word_hashes

        for s in range(0, len(texts), 65_536):
            wh, lens = word_hashes(texts[s : s + 65_536])
            self.add_hashes(wh, lens)

    def add_hashes(self, wh: np.ndarray, lens: np.ndarray) -> None:
        """Add records given as flat word hashes and words per record (curate.dedup.word_hashes)."""
        from curate.dedup import shingles_from_ids

        h, off = shingles_from_ids(wh, lens, self.n)
        h = h[np.repeat(lens >= self.n, np.diff(off))]  # a record shorter than n has no n-gram
        self.total += len(h)
        self._pending.append(np.unique(h))
        self._pending_len += len(self._pending[-1])
        if self._pending_len > max(1 << 20, len(self.seen)):  # merge when the pending part is as big as the seen
            self._merge()

    def _merge(self) -> None:
        if self._pending:
            self.seen = np.unique(np.concatenate([self.seen, *self._pending]))
            self._pending, self._pending_len = [], 0

    @property
    def value(self) -> float:
        self._merge()
        return float(len(self.seen)) / self.total if self.total else 0.0


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique word n-grams / total word n-grams across `texts` (0.0 when there are none). Words as curate.dedup
    normalises them; n-grams are compared by 47-bit hashes (vectorised, so 1M records take seconds)."""
    c = DistinctCounter(n)
    c.add(texts)
    return c.value


_FEATURES = 1 << 18  # hashed feature space for word uni- and bigrams (sklearn HashingVectorizer's default is 2**20)


def _hashed_counts(texts: Sequence[str]):
    """CSR (len(texts) x _FEATURES) counts of hashed word unigrams and bigrams, built with numpy from curate.dedup's
    vectorised word hashes (the same words `normalize` gives), in chunks."""
    from scipy.sparse import csr_matrix, vstack

    from curate.dedup import shingles_from_ids, word_hashes

    mats = []
    for s in range(0, len(texts), 65_536):
        chunk = texts[s : s + 65_536]
        wh, lens = word_hashes(chunk)
        bi, off = shingles_from_ids(wh, lens, 2)
        bi_keep = np.repeat(lens >= 2, np.diff(off))
        rows = np.concatenate(
            [np.repeat(np.arange(len(chunk)), lens), np.repeat(np.arange(len(chunk)), np.diff(off))[bi_keep]]
        )
        cols = np.concatenate([wh >> np.uint64(64 - 18), bi[bi_keep] >> np.uint64(47 - 18)]).astype(np.int64)
        m = csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(chunk), _FEATURES))
        m.sum_duplicates()
        mats.append(m)
    return vstack(mats).tocsr() if mats else csr_matrix((0, _FEATURES), dtype=np.float32)


def _tfidf(counts, idf: np.ndarray):
    """Sublinear tf (1 + ln tf) times idf, rows L2-normalised (TfidfVectorizer(sublinear_tf=True)'s formula)."""
    from sklearn.preprocessing import normalize as l2

    m = counts.copy()
    m.data = (1.0 + np.log(m.data)) * idf[m.indices]
    return l2(m)


def embed(texts: Sequence[str], *, dim: int = 64, seed: int = 0):
    """Unit-norm LSA embeddings: TF-IDF of hashed word 1-2 grams (smooth idf, sublinear tf) -> TruncatedSVD.
    Returns (X, fitted) where fitted = (idf, svd) embeds more texts the same way (see `embed_more`)."""
    from sklearn.decomposition import TruncatedSVD

    C = _hashed_counts(texts)
    n = C.shape[0]
    df = np.bincount(C.indices, minlength=_FEATURES)
    used = np.flatnonzero(df)  # SVD over the features that occur
    idf = (np.log((1 + n) / (1 + df[used])) + 1).astype(np.float32)  # sklearn's smooth idf
    M = _tfidf(C[:, used], idf) if len(used) else C[:, used]
    k = min(dim, len(used) - 1, n - 1)
    if not len(used) or M.nnz == 0:
        return np.zeros((n, 1)), (idf, used, None)
    if k < 1:
        return _unit(M.toarray()), (idf, used, None)
    svd = TruncatedSVD(n_components=k, random_state=seed, n_iter=3)
    return _unit(svd.fit_transform(M)), (idf, used, svd)


def embed_more(texts: Sequence[str], fitted) -> np.ndarray:
    """Embed `texts` with the features, idf and SVD fitted by `embed`."""
    idf, used, svd = fitted
    if not len(used):
        return np.zeros((len(texts), 1))
    M = _tfidf(_hashed_counts(texts)[:, used], idf)
    return _unit(svd.transform(M) if svd is not None else M.toarray())


def _unit(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.where(norms > 0, X / np.maximum(norms, 1e-12), 0.0)


def vendi_score(X: np.ndarray) -> float:
    """Vendi score of unit-norm (or zero) rows X under the cosine kernel; between 1 and rank(X)."""
    n = X.shape[0]
    if n == 0:
        return 0.0
    # records with an all-zero embedding count as identical to each other: give them one shared direction
    zero = ~np.any(X != 0, axis=1)
    if zero.any():
        X = np.hstack([X, zero[:, None].astype(X.dtype)])
    C = (X.T @ X) / n
    ev = np.linalg.eigvalsh(C)
    ev = ev[ev > 1e-12]
    ev = ev / ev.sum()
    return float(np.exp(-np.sum(ev * np.log(ev))))


def label_balance(labels: Sequence) -> dict:
    """Counts per label, normalised entropy H/log(K) (1 = perfectly balanced; 1.0 when only one label exists is not
    claimed: it is reported as 0.0), and the smallest/largest share."""
    lab = ["" if x is None else str(x) for x in labels]
    c = Counter(lab)
    n = len(lab)
    k = len(c)
    if n == 0:
        return {"counts": {}, "n_labels": 0, "normalized_entropy": 0.0, "min_share": 0.0, "max_share": 0.0}
    p = np.array(list(c.values()), float) / n
    h = float(-(p * np.log(p)).sum())
    return {
        "counts": dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))),
        "n_labels": k,
        "normalized_entropy": h / math.log(k) if k > 1 else 0.0,
        "min_share": float(p.min()),
        "max_share": float(p.max()),
    }


def _auto_k(n: int) -> int:
    return int(min(50, max(2, round(math.sqrt(n / 2)))))


def sample_indices(n: int, sample: int, seed: int) -> np.ndarray:
    """The records the embedding, clusters and Vendi score are fitted on: all, or `sample` of them chosen with `seed`."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=sample, replace=False)) if n > sample else np.arange(n)


@dataclass
class DiversityModel:
    """Fitted on the sample: the embedding (idf + SVD), KMeans, and the 2-D map's centre and axes."""

    fitted: tuple
    km: object
    k: int
    mu: np.ndarray
    axes: np.ndarray
    vendi: float
    sample_X: np.ndarray

    def assign(self, texts: Sequence[str], X: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(cluster id, 2-D map position) of each text."""
        X = embed_more(texts, self.fitted) if X is None else X
        ids = self.km.predict(X) if self.k > 1 else np.zeros(len(X), int)
        return ids.astype(np.int64), (X - self.mu) @ self.axes


def fit_diversity(
    sample_texts: Sequence[str], n: int, *, seed: int = 0, n_clusters: int | None = None, dim: int = 64
) -> DiversityModel:
    """Embed the sample, score Vendi on it, fit KMeans (k from the whole set's size `n`) and the 2-D map."""
    X, fitted = embed(sample_texts, dim=dim, seed=seed)
    from sklearn.cluster import KMeans, MiniBatchKMeans

    k = min(n_clusters or _auto_k(n), len(X))
    distinct_rows = len(np.unique(np.round(X, 6), axis=0))
    k = max(1, min(k, distinct_rows))
    if len(X) > 20_000:
        km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=1, batch_size=4096)
    else:
        km = KMeans(n_clusters=k, random_state=seed, n_init=3)
    km.fit(X)
    # 2-D map: the top two principal directions of the embeddings (centred), deterministic sign
    mu = X.mean(axis=0)
    Xc = X - mu
    w, V = np.linalg.eigh(Xc.T @ Xc)  # d x d: cheap for any n
    V = V[:, np.argsort(w)[::-1][:2]]
    if V.shape[1] < 2:
        V = np.hstack([V, np.zeros((V.shape[0], 2 - V.shape[1]))])
    V = V * np.where(V[np.abs(V).argmax(axis=0), range(2)] < 0, -1, 1)
    return DiversityModel(fitted=fitted, km=km, k=int(k), mu=mu, axes=V, vendi=vendi_score(X), sample_X=X)


def cluster_figures(ids: np.ndarray, k: int) -> dict:
    """Cluster sizes, normalised entropy and coverage of the cluster ids of every record."""
    n = len(ids)
    sizes = np.bincount(ids, minlength=k)
    p = sizes[sizes > 0] / max(n, 1)
    H = float(-(p * np.log(p)).sum())
    return {
        "n_clusters": int(k),
        "cluster_sizes": sizes.tolist(),
        "cluster_entropy": H / math.log(k) if k > 1 else 0.0,
        "coverage": float((sizes >= 0.5 * n / k).sum() / k),
    }


def diversity_figures(
    texts: Sequence[str],
    labels: Sequence | None = None,
    *,
    seed: int = 0,
    n_clusters: int | None = None,
    sample: int = 20_000,
    dim: int = 64,
) -> dict:
    """Every diversity figure of a set. Embeddings, clusters and Vendi are fitted on at most `sample` records chosen
    with `seed` (all records when fewer); every record is then mapped and assigned a cluster."""
    n = len(texts)
    out = {"records": n, "distinct_1": distinct_n(texts, 1), "distinct_2": distinct_n(texts, 2)}
    out["label_balance"] = label_balance(labels) if labels is not None else None
    if n < 2:
        out.update(
            vendi=float(n),
            cluster_entropy=0.0,
            coverage=0.0,
            n_clusters=n,
            cluster_sizes=[n] if n else [],
            map_xy=[[0.0, 0.0]] * n,
            cluster_ids=[0] * n,
            sampled=False,
        )
        return out
    idx = sample_indices(n, sample, seed)
    model = fit_diversity([texts[i] for i in idx], n, seed=seed, n_clusters=n_clusters, dim=dim)
    if len(idx) == n:
        ids, xy = model.assign(texts, model.sample_X)
    else:
        parts = [model.assign(texts[s : s + 20_000]) for s in range(0, n, 20_000)]
        ids, xy = np.concatenate([p[0] for p in parts]), np.vstack([p[1] for p in parts])
    out["vendi"] = model.vendi
    out.update(cluster_figures(ids, model.k))
    out["map_xy"] = np.round(xy, 5).tolist()
    out["cluster_ids"] = ids.astype(int).tolist()
    out["sampled"] = bool(len(idx) < n)
    return out
