"""curate.dedup: exact duplicates on the shipped data, near-duplicates cross-checked with datasketch and exact sets."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from curate.dedup import (
    choose_bands,
    cross_field_duplicates,
    exact_duplicates,
    exact_pair_duplicates,
    jaccard_pairs,
    near_duplicates,
    normalize,
    shingle_hashes,
    words,
)

REPO = Path(__file__).resolve().parents[2]
TRAIN = REPO / "data/enlighten-instruct/TrainData.csv"


@pytest.fixture(scope="module")
def enlighten():
    with open(TRAIN, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def shingle_set(text: str, k: int = 3) -> set[str]:
    """Reference shingles, written independently of curate.dedup's hashing."""
    w = normalize(text).split()
    if not w:
        return set()
    if len(w) < k:
        return {" ".join(w)}
    return {" ".join(w[i : i + k]) for i in range(len(w) - k + 1)}


def true_jaccard(a: str, b: str, k: int = 3) -> float:
    sa, sb = shingle_set(a, k), shingle_set(b, k)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def random_doc(rng: random.Random, n_words: int, vocab: list[str]) -> str:
    return " ".join(rng.choice(vocab) for _ in range(n_words))


VOCAB = [f"{a}{b}{c}" for a in "bcdfgklmnprst" for b in "aeiou" for c in "nrstlmk"]


# ------------------------------------------------------------------------------------------------ normalisation
def test_normalize_and_words_agree():
    assert normalize("  Hello,   World!\n") == "hello world"
    assert normalize(None) == "" and normalize(42) == "42"
    assert normalize("Ｆｕｌｌ－width ＡＢＣ") == "full width abc"  # NFKC
    samples = [
        "It's a (small) test_case; x=1.",
        "a\tb\nc\x00d_e\x1f",
        "Straße ÉCOLE 한국어 문장입니다. naïve",
        "",
        "...",
    ]
    for s in samples:
        assert words(s) == normalize(s).split()


# ------------------------------------------------------------------------------------------------------ exact
def test_exact_duplicates_enlighten_questions_and_answers(enlighten):
    q = [r["Q"] for r in enlighten]
    a = [r["A"] for r in enlighten]
    eq, ea = exact_duplicates(q), exact_duplicates(a)
    # independent grouping (pandas) over the same normalisation
    assert eq.duplicate_records == int(pd.Series([normalize(x) for x in q]).duplicated().sum()) == 19
    assert ea.duplicate_records == int(pd.Series([normalize(x) for x in a]).duplicated().sum()) == 115
    # every raw (byte-identical) duplicate pandas finds is one of ours too
    raw = pd.Series(a).duplicated().to_numpy()
    assert raw.sum() == 102 and not (raw & ~ea.dup_mask).any()
    # hand-checked (0-based record indices): records 380 and 526 ask the same question word for word
    assert [380, 526] in eq.groups and q[380] == q[526] == "What is the purpose of the LevelRoomPuzzleMaster class?"
    # records 260 and 270 differ only by quotes around the class name
    assert [260, 270] in eq.groups and q[260] != q[270]
    # records 271 and 274: the same code answer with different indentation
    assert ea.dup_mask[274] and any(271 in g and 274 in g for g in ea.groups)
    assert a[271] != a[274] and a[271].split() == a[274].split()
    # groups: first member is the earliest, later members are exactly the masked ones
    assert sorted(i for g in ea.groups for i in g[1:]) == np.flatnonzero(ea.dup_mask).tolist()


def test_exact_empty_values_are_not_duplicates():
    r = exact_duplicates(["", "  ", None, "a", "A."])
    assert r.dup_mask.tolist() == [False, False, False, False, True]
    assert r.groups == [[3, 4]]


def test_pair_duplicates_and_cross_field(enlighten):
    q = ["What is X?", "what is x", "What is Y?", "What is Z?", "What is X?"]
    a = ["It is X.", "it is x", "It is X.", "Z.", "Something else."]
    pr = exact_pair_duplicates(q, a)
    assert pr.dup_mask.tolist() == [False, True, False, False, False]
    cf = cross_field_duplicates(q, a)
    assert cf.shared_answers == [[0, 1, 2]]  # "it is x" answers both "what is x" and "what is y"
    assert cf.conflicting_answers == [[0, 1, 4]]  # "what is x" answered two different ways
    qs = [r["Q"] for r in enlighten]
    ans = [r["A"] for r in enlighten]
    cf = cross_field_duplicates(qs, ans)
    # reference: pandas groupby on normalised fields
    df = pd.DataFrame({"q": [normalize(x) for x in qs], "a": [normalize(x) for x in ans]})
    ref_shared = (df[df.a != ""].groupby("a").q.nunique() > 1).sum()
    ref_conflict = (df[df.q != ""].groupby("q").a.nunique() > 1).sum()
    assert len(cf.shared_answers) == ref_shared > 0
    assert len(cf.conflicting_answers) == ref_conflict > 0
    with pytest.raises(ValueError):
        cross_field_duplicates(["a"], [])


# ------------------------------------------------------------------------------------------------ near duplicates
def test_choose_bands_default():
    b, r = choose_bands(128, 0.7)
    assert (b, r) == (32, 4)
    assert 1 - (1 - 0.7**r) ** b >= 0.995


def test_fifty_word_answer_with_one_word_changed_is_near_duplicate():
    rng = random.Random(1)
    docs = []
    for _ in range(50):
        base = random_doc(rng, 50, VOCAB)
        w = base.split()
        w[rng.randrange(50)] = "CHANGED"
        docs += [base, " ".join(w)]
    r = near_duplicates(docs)  # default settings
    assert len(r.clusters) == 50
    assert all(c == [2 * k, 2 * k + 1] for k, c in enumerate(r.clusters))
    assert r.representative == [2 * k for k in range(50)]
    for i, j, jac in r.pairs:
        assert jac == pytest.approx(true_jaccard(docs[i], docs[j]), abs=1e-6)
        assert jac >= 0.7


@pytest.mark.parametrize("edits,expected", [(1, True), (2, True), (3, True), (15, False), (30, False)])
def test_injected_edit_rates(edits, expected):
    """100-word docs with `edits` substituted words: up to ~4 % found, 15 %+ left apart."""
    rng = random.Random(edits)
    docs, truth = [], []
    for _ in range(40):
        base = random_doc(rng, 100, VOCAB)
        w = base.split()
        for p in rng.sample(range(100), edits):
            w[p] = f"edit{rng.randrange(10**6)}"
        docs += [base, " ".join(w)]
        truth.append(true_jaccard(base, " ".join(w)) >= 0.7)
    r = near_duplicates(docs, seed=3)
    found = [r.cluster_of[2 * k] >= 0 and r.cluster_of[2 * k] == r.cluster_of[2 * k + 1] for k in range(40)]
    assert found == truth  # exact agreement with the true-Jaccard rule
    assert all(found) if expected else not any(found)


def test_cross_check_with_datasketch_on_same_shingles():
    from datasketch import MinHash, MinHashLSH

    rng = random.Random(7)
    docs = []
    for _ in range(150):
        base = random_doc(rng, rng.randint(20, 80), VOCAB)
        docs.append(base)
        if rng.random() < 0.5:
            w = base.split()
            for _ in range(rng.randint(1, 6)):
                w[rng.randrange(len(w))] = rng.choice(VOCAB)
            docs.append(" ".join(w))
    ours = near_duplicates(docs, threshold=0.5, short_words=0)  # the word path alone (short path: test_dedup_short)
    our_pairs = {(i, j): jac for i, j, jac in ours.pairs}
    # 1. our verified Jaccard equals the exact Jaccard of the shingle-string sets
    for (i, j), jac in our_pairs.items():
        assert jac == pytest.approx(true_jaccard(docs[i], docs[j]), abs=1e-6)  # pairs carry 6 decimals
    # 2. datasketch's MinHash estimate agrees with it (128 perms: standard error ~0.045)
    mhs = []
    for d in docs:
        m = MinHash(num_perm=128, seed=1)
        m.update_batch([s.encode() for s in shingle_set(d)])
        mhs.append(m)
    err = [abs(mhs[i].jaccard(mhs[j]) - jac) for (i, j), jac in our_pairs.items()]
    assert len(err) > 30 and np.mean(err) < 0.05 and max(err) < 0.25
    # 3. every pair datasketch's LSH proposes whose true Jaccard reaches the threshold, we report too
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for i, m in enumerate(mhs):
        lsh.insert(i, m)
    ds_pairs = {(min(i, j), max(i, j)) for i, m in enumerate(mhs) for j in lsh.query(m) if i != j}
    ds_true = {p for p in ds_pairs if true_jaccard(docs[p[0]], docs[p[1]]) >= 0.5}
    assert ds_true and ds_true <= set(our_pairs)
    # 4. and every true pair in the whole set (brute force) is ours
    sets = [shingle_set(d) for d in docs]
    brute = {
        (i, j)
        for i in range(len(docs))
        for j in range(i + 1, len(docs))
        if len(sets[i] & sets[j]) >= 0.5 * len(sets[i] | sets[j])
    }
    assert brute == set(our_pairs)


def test_clusters_are_transitive_with_first_member_as_representative():
    a = " ".join(f"w{i}" for i in range(60))
    b = a.replace("w20", "x20")
    c = b.replace("w40", "x40")
    d = " ".join(f"z{i}" for i in range(60))
    r = near_duplicates([d, c, a, b, d])
    assert r.clusters == [[0, 4], [1, 2, 3]]
    assert r.representative == [0, 1]
    assert r.cluster_of.tolist() == [0, 1, 1, 1, 0]
    assert r.duplicate_records == 3


def test_mass_copies_short_and_empty_texts():
    docs = ["the same text again and again"] * 3000 + ["", "", "two words", "Two words!", "x"]
    r = near_duplicates(docs)
    assert r.clusters[0] == list(range(3000))
    assert [3002, 3003] in r.clusters  # shorter than a shingle: whole-text match
    assert r.cluster_of[3000] == r.cluster_of[3001] == -1 == r.cluster_of[3004]
    assert len(r.pairs) < 4000  # star pairs to the representative, not 3000²/2


def test_jaccard_pairs_matches_python_sets():
    rng = random.Random(3)
    docs = [random_doc(rng, rng.randint(0, 40), VOCAB[:40]) for _ in range(60)]
    flat, off = shingle_hashes(docs, shingle=2)
    a = np.array([i for i in range(60) for j in range(60) if i < j])
    b = np.array([j for i in range(60) for j in range(60) if i < j])
    got = jaccard_pairs(flat, off, a, b)
    ref = [true_jaccard(docs[i], docs[j], 2) for i, j in zip(a, b)]
    assert np.allclose(got, ref)


def test_deterministic_and_validates_arguments():
    rng = random.Random(5)
    docs = [random_doc(rng, 30, VOCAB) for _ in range(200)]
    docs += [d.replace(d.split()[3], "zzz") for d in docs[:50]]
    r1, r2 = near_duplicates(docs, seed=4), near_duplicates(list(docs), seed=4)
    assert r1.pairs == r2.pairs and r1.clusters == r2.clusters
    assert near_duplicates(docs, shingle=5, bands=16, rows=8).config["rows"] == 8
    with pytest.raises(ValueError):
        near_duplicates(docs, threshold=0)
    with pytest.raises(ValueError):
        near_duplicates(docs, bands=64, rows=4)
    assert near_duplicates([]).clusters == []


def test_text_hashes_group_exactly_like_normalize():
    """The hashed exact-duplicate groups equal a plain dict grouping on `normalize` (case, punctuation, spacing,
    NFKC, Korean, chat messages)."""
    import random

    from curate.dedup import exact_duplicates, text_hashes

    rng = random.Random(3)
    base = [
        "Hello, World!",
        "hello world",
        "HELLO   world!!",
        "Hello World.",
        "안녕하세요, 세계!",
        "안녕하세요 세계",
        "ｆｕｌｌ ｗｉｄｔｈ",
        "full width",
        "snake_case stays",
        "snake case stays",
        "",
        "   ",
        "?!",
        "a b",
        "ab",
    ]
    values = [rng.choice(base) + rng.choice(["", " ", "!", " x"]) for _ in range(400)]
    by: dict[str, list[int]] = {}
    for i, v in enumerate(values):
        k = normalize(v)
        if k:
            by.setdefault(k, []).append(i)
    expected = sorted((g for g in by.values() if len(g) > 1), key=lambda g: g[0])
    assert exact_duplicates(values).groups == expected
    h = text_hashes(values)
    assert all((h[i] == 0) == (normalize(v) == "") for i, v in enumerate(values))
    chats = [
        [{"role": "user", "content": "Hi!"}],
        [{"role": "user", "content": "hi"}],
        [{"role": "assistant", "content": "hi"}],
    ]
    hc = text_hashes(chats)
    assert hc[0] == hc[1] != hc[2]
