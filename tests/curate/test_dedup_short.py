"""curate.dedup's short path (issue 24): near-duplicates in records of a few words, English and Korean, found by
character shingles + edit distance, checked on the labelled set in benchmarks/dedup_short/ and against independent
references (a plain LCS for the edit similarity, Python sets for the char-shingle Jaccard)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from curate.dedup import (
    METHOD_CHARS,
    METHOD_WORDS,
    NearSettings,
    char_shingle_hashes,
    edit_similarity,
    edit_verify,
    fact_words,
    jaccard_pairs,
    near_duplicates,
    same_facts,
    short_text,
    word_codes,
)
from curate.pipeline import audit
from workbench.errors import InputError

REPO = Path(__file__).resolve().parents[2]
SHORT = REPO / "benchmarks/dedup_short"

EN = "The strength field determines the force with which the beast attacks the player."
EN_EDIT = "The strength field determines the power with which the beast attacks the player."
KO = "사내 인사 시스템에 로그인한 뒤 휴가 신청 메뉴에서 날짜와 사유를 입력하고 팀장에게 승인을 요청하면 됩니다."
KO_PARTICLE = KO.replace("승인을", "승인를")  # one particle: 을 -> 를
# distinct answers on one topic from the shipped data (enlighten-instruct, LevelLightsManager.cs): same template
DISTINCT = [
    "The LightsOut method is called by the LevelLightsManager class when power is turned off.",
    "The PowerSwitchActivated method is called by the LevelLightsManager class when a power switch is activated.",
    "The LightsBackOn method is called when the power is turned back on in the level.",
]


def lcs(a, b) -> int:
    """Longest common subsequence by the textbook dynamic programme (the reference for Indel distance)."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for k, y in enumerate(b):
            cur.append(prev[k] + 1 if x == y else max(prev[k + 1], cur[k]))
        prev = cur
    return prev[-1]


def labelled():
    records = [json.loads(line) for line in open(SHORT / "records.jsonl", encoding="utf-8")]
    distinct = [json.loads(line) for line in open(SHORT / "distinct_pairs.jsonl", encoding="utf-8")]
    return records, distinct


def same_cluster(cluster_of: np.ndarray, a: int, b: int) -> bool:
    return bool(cluster_of[a] >= 0 and cluster_of[a] == cluster_of[b])


# ------------------------------------------------------------------------------------------------ found / not found
def test_english_one_word_edit_found_only_by_the_short_path():
    docs = [EN, DISTINCT[0], EN_EDIT]
    r = near_duplicates(docs)
    assert r.clusters == [[0, 2]] and r.methods == [METHOD_CHARS]
    ((i, j, sim),) = r.pairs
    a, b = short_text(EN), short_text(EN_EDIT)
    assert (i, j) == (0, 2) and sim == pytest.approx(2 * lcs(a, b) / (len(a) + len(b)), abs=1e-6)
    assert near_duplicates(docs, short_words=0).clusters == []  # word 3-shingles alone miss it (Jaccard 0.57)


def test_korean_particle_edit_found():
    r = near_duplicates([KO_PARTICLE, "연차 휴가는 사내 인사 시스템에서 신청합니다.", KO])
    assert r.clusters == [[0, 2]] and r.methods == [METHOD_CHARS]
    assert near_duplicates([KO_PARTICLE, KO], short_words=0).clusters == []


def test_distinct_short_records_on_one_topic_not_merged():
    r = near_duplicates(DISTINCT + [EN])
    assert r.clusters == []
    sims = edit_similarity([short_text(DISTINCT[0])] * 2, [short_text(d) for d in DISTINCT[1:]])
    assert (sims < NearSettings().edit_threshold).all()


def test_long_path_unchanged():
    """Records over `short_words` words never enter the short path: the result equals the word path alone."""
    rng = random.Random(11)
    vocab = [f"w{k}" for k in range(300)]
    docs = []
    for _ in range(60):
        w = [rng.choice(vocab) for _ in range(rng.randint(25, 60))]
        docs.append(" ".join(w))
        w[rng.randrange(len(w))] = "edited"
        docs.append(" ".join(w))
    a, b = near_duplicates(docs), near_duplicates(docs, short_words=0)
    assert a.clusters == b.clusters and a.pairs == b.pairs and a.candidates == b.candidates
    assert set(a.methods) == {METHOD_WORDS} and len(a.clusters) == 60


def test_empty_and_tiny_records():
    docs = ["", "", "   ", "!!", "ok", "ok.", "x", EN]
    r = near_duplicates(docs)
    assert r.clusters == [[4, 5]]  # "ok" / "ok.": the same words; empty and punctuation-only records join nothing
    flat, off = char_shingle_hashes([short_text(d) for d in docs[:4]])
    assert len(flat) == 0 and off.tolist() == [0, 0, 0, 0, 0]
    assert edit_similarity([], []).shape == (0,)


def test_mixed_cluster_names_both_methods():
    long_a = " ".join(f"t{k}" for k in range(40))
    long_b = long_a.replace("t20", "u20")
    r = near_duplicates([long_a, long_b, EN, EN_EDIT])
    assert r.methods == [METHOD_WORDS, METHOD_CHARS]
    # a short record within both reaches: one cluster, both methods named
    r2 = near_duplicates(["a b c d e f g h", "a b c d e f g h i", "a b c d e f g h i"])
    assert len(r2.clusters) == 1 and r2.methods[0] in (METHOD_WORDS, f"{METHOD_WORDS}, {METHOD_CHARS}")


def test_one_changed_word_in_a_very_short_text_is_not_a_copy():
    """6 normalised words with one changed (word similarity 1 - 1/6 < 0.875): distinct, though 0.92 alike by
    characters; the same change with 8 words around it is an edit."""
    red, blue = "public Material Red { get; private set; }", "public Material Blue { get; private set; }"
    assert edit_similarity([short_text(red)], [short_text(blue)])[0] >= 0.85
    assert near_duplicates([red, blue]).clusters == []
    assert near_duplicates([red + " done now", blue + " done now"]).clusters == [[0, 1]]
    pair = (np.array([0]), np.array([1]), [short_text(red)], [short_text(blue)], 0.85)
    assert len(edit_verify(*pair, 0.875)[0]) == 0 and len(edit_verify(*pair, 0.8)[0]) == 1  # 1 - 1/6 = 0.833


def test_word_level_similarity_matches_lcs_over_words():
    rng = random.Random(8)
    vocab = ["값을", "값를", "the", "then", "a", "model", "모델"]
    a = [" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 12))) for _ in range(60)]
    b = [" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 12))) for _ in range(60)]
    ref = [2 * lcs(x.split(), y.split()) / (len(x.split()) + len(y.split())) for x, y in zip(a, b)]
    assert np.allclose(edit_similarity([word_codes(x) for x in a], [word_codes(y) for y in b]), ref)


# ------------------------------------------------------------------------------------------------ references
def test_edit_similarity_matches_lcs_reference():
    rng = random.Random(2)
    alphabet = "abc 가나다"
    a = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(80)]
    b = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(80)]
    ref = [2 * lcs(x, y) / (len(x) + len(y)) if x or y else 1.0 for x, y in zip(a, b)]
    assert np.allclose(edit_similarity(a, b), ref)


def test_char_shingle_jaccard_matches_python_sets():
    rng = random.Random(4)
    docs = [
        short_text(" ".join(rng.choice(["값을", "값를", "the", "then", "a"]) for _ in range(rng.randint(0, 9))))
        for _ in range(40)
    ]
    flat, off = char_shingle_hashes(docs, n=4)

    def grams(t):
        return {t[k : k + 4] for k in range(len(t) - 3)} if len(t) >= 4 else ({t} if t else set())

    a, b = np.triu_indices(len(docs), 1)
    ref = [len(grams(docs[i]) & grams(docs[j])) / max(1, len(grams(docs[i]) | grams(docs[j]))) for i, j in zip(a, b)]
    assert np.allclose(jaccard_pairs(flat, off, a, b), ref)


# ------------------------------------------------------------------------------------------------ labelled set
def test_recall_and_false_merges_on_the_labelled_short_set():
    """Target (issue 24): recall >= 0.95 on the labelled edits, <= 1 % of the labelled distinct pairs in one cluster."""
    records, distinct = labelled()
    r = near_duplicates([x["text"] for x in records])
    base = {x["group"]: x["id"] for x in records if x["kind"] == "base"}
    edits = [(base[x["group"]], x["id"], x["lang"]) for x in records if x["kind"] != "base"]
    for lang in ("en", "ko"):
        found = [same_cluster(r.cluster_of, a, b) for a, b, ln in edits if ln == lang]
        assert len(found) > 500 and np.mean(found) >= 0.95, lang
    merged = [same_cluster(r.cluster_of, p["a"], p["b"]) for p in distinct]
    assert len(merged) > 400 and np.mean(merged) <= 0.01
    # the word path alone (the old behaviour) finds under half
    old = near_duplicates([x["text"] for x in records], short_words=0)
    assert np.mean([same_cluster(old.cluster_of, a, b) for a, b, _ in edits]) < 0.5


def test_audit_report_names_the_method(tmp_path):
    """The audit's near stage (streaming, two passes) gives `near_duplicates`'s clusters; report.json names the
    method of each shown cluster and counts short-record duplicates in the summary."""
    records, _ = labelled()
    path = tmp_path / "short.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for x in records:
            f.write(json.dumps({"question": f"q{x['id']}", "answer": x["text"]}, ensure_ascii=False) + "\n")
    report = audit(path, out=tmp_path / "out")
    near = report["duplicates"]["near"]
    expected = near_duplicates([x["text"] for x in records])
    assert near["clusters"] == len(expected.clusters) == report["summary"]["near_duplicate_clusters"]
    assert report["summary"]["near_duplicate_records"] == expected.duplicate_records
    assert near["methods"] == {m: expected.methods.count(m) for m in set(expected.methods)}
    assert all(c["method"] == expected.methods[c["cluster"]] for c in near["largest"])
    on_disk = json.loads((tmp_path / "out/report.json").read_text(encoding="utf-8"))
    assert on_disk["duplicates"]["near"]["largest"][0]["method"] in (
        METHOD_WORDS,
        METHOD_CHARS,
        f"{METHOD_WORDS}, {METHOD_CHARS}",
    )


@pytest.mark.parametrize(
    "settings,name",
    [
        ({"edit_threshold": 1.5}, "edit_threshold"),
        ({"edit_threshold": 0}, "edit_threshold"),
        ({"char_threshold": -0.1}, "char_threshold"),
        ({"short_words": -1}, "short_words"),
        ({"char_shingle": 0}, "char_shingle"),
        ({"char_shingle": 2.5}, "char_shingle"),
        ({"word_threshold": 2}, "word_threshold"),
    ],
)
def test_bad_short_settings_name_the_setting(settings, name):
    with pytest.raises(InputError, match=name):
        NearSettings.from_dict(settings)


# ------------------------------------------------------------------------------------------- facts a one-word edit keeps
def test_short_path_keeps_records_that_state_different_facts_apart():
    """On the shipped Enlighten set the short path first joined records one name, a negation or one code token apart
    (7 of its 8 new clusters); a changed name, number or negation is a different fact, a typo in a name is not."""
    apart = [
        (
            "The OnStart method is called from the Level2Manager and calls the OnStart method of all puzzle room managers.",
            "The OnEnable method is called from the Level2Manager and calls the OnEnable method of all puzzle room managers.",
        ),
        (
            "When the light gun light is the required color, the stair is activated.",
            "When the light gun light is not the required color, the stair is deactivated.",
        ),
        (
            "The puzzleMainDoor field is a reference to the main door of the puzzle room, opened when it is solved.",
            "The puzzleSideDoor field is a reference to the side door of the puzzle room, opened when it is solved.",
        ),
        ("```csharp\npublic virtual void OnStart() { }\n```", "```csharp\npublic void OnStart() { }\n```"),
        (
            "환불은 구매일로부터 7일 이내에 고객센터로 신청하시면 처리됩니다.",
            "환불은 구매일로부터 14일 이내에 고객센터로 신청하시면 처리됩니다.",
        ),
        (
            "주문하신 상품은 내일 오전 중에 판매자가 직접 배송을 시작할 예정입니다.",
            "주문하신 상품은 내일 오전 중에 판매자가 직접 배송을 시작하지 않을 예정입니다.",
        ),
    ]
    together = [
        (
            "The beastAttack field holds how strong the beast's attack is when it reaches the player in the dark.",
            "The baestAttack field holds how strong the beast's attack is when it reaches the player in the dark.",
        ),
        (
            "환불은 구매일로부터 7일이 지나기 전에 고객센터로 신청하시면 바로 처리됩니다.",
            "환불은 구매일로부터 7일가 지나기 전에 고객센터로 신청하시면 바로 처리됩니다.",
        ),
    ]
    for a, b in apart:
        assert not same_facts(fact_words(a), fact_words(b)), (a, b)
        assert near_duplicates([a, b]).clusters == [], (a, b)
    for a, b in together:
        assert same_facts(fact_words(a), fact_words(b)), (a, b)
        assert near_duplicates([a, b]).clusters == [[0, 1]], (a, b)
