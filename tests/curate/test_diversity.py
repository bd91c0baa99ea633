"""curate.diversity: figures against direct computations (scipy eigenvalues, scipy entropy), and direction on a
homogeneous template set vs a varied one."""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import numpy as np
import pytest
from scipy.linalg import eigvalsh
from scipy.stats import entropy

from curate.diversity import distinct_n, diversity_figures, embed, label_balance, vendi_score

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def enlighten():
    with open(REPO / "data/enlighten-instruct/TrainData.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def template_set(n=200, seed=0):
    rng = random.Random(seed)
    cities = ["Paris", "Rome", "Madrid", "Lima", "Seoul", "Tokyo", "Cairo", "Oslo", "Quito", "Hanoi"]
    return [f"What is the population of {rng.choice(cities)}? Answer briefly." for _ in range(n)]


def varied_set(enlighten, n=200):
    return [r["Q"] + " " + r["A"] for r in enlighten[:: max(1, len(enlighten) // n)]][:n]


def test_distinct_n_by_hand():
    texts = ["the cat sat", "the cat ran", "The dog, sat!"]
    # unigrams: the cat sat the cat ran the dog sat -> 5 unique of 9; bigrams: 5 unique of 6
    assert distinct_n(texts, 1) == pytest.approx(5 / 9)
    assert distinct_n(texts, 2) == pytest.approx(5 / 6)
    assert distinct_n([], 2) == 0.0 and distinct_n(["one"], 2) == 0.0


def test_vendi_equals_entropy_of_full_similarity_matrix():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    lam = eigvalsh(X @ X.T / len(X))  # the n x n definition (Friedman & Dieng 2023)
    lam = lam[lam > 1e-12]
    assert vendi_score(X) == pytest.approx(math.exp(entropy(lam)), rel=1e-9)
    assert vendi_score(np.tile(X[:1], (10, 1))) == pytest.approx(1.0)  # all identical: one effective item
    assert vendi_score(np.eye(5)) == pytest.approx(5.0)  # orthogonal: five


def test_label_balance_against_scipy():
    labels = ["a"] * 6 + ["b"] * 3 + ["c"]
    lb = label_balance(labels)
    assert lb["counts"] == {"a": 6, "b": 3, "c": 1}
    assert lb["normalized_entropy"] == pytest.approx(entropy([6, 3, 1]) / math.log(3))
    assert lb["min_share"] == 0.1 and lb["max_share"] == 0.6
    assert label_balance(["x", "x"])["normalized_entropy"] == 0.0
    assert label_balance([])["n_labels"] == 0


def test_homogeneous_template_set_scores_lower_than_varied(enlighten):
    homo = diversity_figures(template_set(), seed=0)
    varied = diversity_figures(varied_set(enlighten), seed=0)
    assert homo["distinct_2"] < 0.2 < varied["distinct_2"]
    assert homo["vendi"] * 3 < varied["vendi"]
    assert homo["n_clusters"] <= 10  # only ten distinct texts exist
    for k in ("distinct_1", "distinct_2", "vendi", "cluster_entropy", "coverage"):
        assert 0 <= homo[k] and 0 <= varied[k]


def test_figures_shape_and_determinism(enlighten):
    texts = varied_set(enlighten, 150)
    labels = [r["class"] for r in enlighten[:: len(enlighten) // 150]][:150]
    a = diversity_figures(texts, labels, seed=3, n_clusters=6)
    b = diversity_figures(list(texts), labels, seed=3, n_clusters=6)
    assert a == b
    assert len(a["map_xy"]) == 150 and all(len(p) == 2 for p in a["map_xy"])
    assert len(a["cluster_ids"]) == 150 and set(a["cluster_ids"]) <= set(range(6))
    assert a["n_clusters"] == 6 and sum(a["cluster_sizes"]) == 150
    sizes = np.bincount(a["cluster_ids"], minlength=6)
    assert a["cluster_entropy"] == pytest.approx(entropy(sizes) / math.log(6))
    assert a["label_balance"]["counts"] and 0 < a["label_balance"]["normalized_entropy"] <= 1


def test_sampling_for_large_sets_is_seeded(enlighten):
    texts = [r["Q"] for r in enlighten[:600]]
    a = diversity_figures(texts, seed=1, sample=200)
    b = diversity_figures(texts, seed=1, sample=200)
    assert a["sampled"] and a["vendi"] == b["vendi"] and a["cluster_ids"] == b["cluster_ids"]
    assert len(a["map_xy"]) == 600


def test_edge_cases():
    assert diversity_figures([])["records"] == 0
    one = diversity_figures(["only one"])
    assert one["vendi"] == 1.0 and one["map_xy"] == [[0.0, 0.0]]
    empty = diversity_figures(["", "", ""])
    assert empty["vendi"] == pytest.approx(1.0) and empty["distinct_2"] == 0.0
    X, _ = embed(["a b", "c d", "a b"], dim=4)
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0)


def test_distinct_counter_streamed_equals_python_sets(enlighten):
    """distinct-n fed in chunks equals a direct count with Python sets of word n-grams."""
    from curate.dedup import words
    from curate.diversity import DistinctCounter

    texts = [r["Q"] + "\n" + r["A"] for r in enlighten]
    for n in (1, 2):
        grams = [tuple(w[i : i + n]) for t in texts for w in [words(t)] for i in range(len(w) - n + 1)]
        c = DistinctCounter(n)
        for s in range(0, len(texts), 97):
            c.add(texts[s : s + 97])
        assert c.value == pytest.approx(len(set(grams)) / len(grams), abs=1e-12)
        assert distinct_n(texts, n) == c.value
