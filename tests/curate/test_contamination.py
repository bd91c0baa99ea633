"""curate.contamination: 13-gram overlap checked against lm-evaluation-harness's own n-gram code, the short-item
rule, near-duplicate matches, and the figures for the shipped Enlighten train/test split."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from curate.contamination import find_contamination, janitor_normalize, mc_test_text

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data/enlighten-instruct"


def read(name):
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def reference(train, tests, n=13, min_words=5):
    """lm-eval's Janitor normalisation and word_ngrams; GPT-3's whole-item rule for items shorter than n."""
    from lm_eval.decontamination.janitor import Janitor, word_ngrams

    jan = Janitor(ngram_n=n)
    grams = set()
    for t in train:
        grams.update(word_ngrams(jan.normalize_string(t), n))
    joined = [" " + " ".join(jan.normalize_string(t).split()) + " " for t in train]
    hits = set()
    for tid, text in tests:
        norm = " ".join(jan.normalize_string(text).split())
        w = norm.split()
        if len(w) >= n:
            if set(word_ngrams(norm, n)) & grams:
                hits.add(tid)
        elif len(w) >= min_words and any(" " + norm + " " in j for j in joined):
            hits.add(tid)
    return hits


def test_ngram_hit_short_item_and_clean_item():
    train = [
        "Unity calls the OnTriggerEnter method when another collider enters the trigger volume of this object, "
        "so the beast can attack the player right away.",
        "The cooldown timer resets after every attack.",
    ]
    tests = [
        ("copied", "Q: when another collider enters the trigger volume of this object, so the beast can attack what?"),
        ("short", "The cooldown timer resets after every attack"),
        ("clean", "Which component stores the audio clip that is played when the beast attacks the player at night?"),
        ("tiny", "the beast"),
    ]
    r = find_contamination(train, tests, near=False)
    assert r.contaminated_ids == ["copied", "short"]
    by = {it["test_id"]: it for it in r.items}
    assert by["copied"]["method"] == "ngram" and by["copied"]["train_index"] == 0
    assert 0 < by["copied"]["overlap"] < 1
    assert by["short"]["overlap"] == 1.0 and by["short"]["train_index"] == 1
    assert r.contaminated_ids == sorted(reference(train, tests))
    assert r.figures["contaminated"] == 2 and r.figures["test_items"] == 4
    assert r.figures["items_unchecked_by_ngram"] == 1  # "the beast": 2 words


def test_near_duplicate_match():
    train = [
        "How does the beast decide when to attack the player in the first level of the game, and what does "
        "the player see and hear just before the attack begins"
    ]
    tests = [
        (
            "para",
            "How does the beast decide when to attack the player in the second level of the game, and what "
            "does the player see and hear just before the attack begins",
        ),
        ("other", "What colour is the sky over the harbour on a clear summer morning in the north"),
    ]
    r = find_contamination(train, tests, n=50)  # n larger than the items: only near-dup can fire
    assert r.contaminated_ids == ["para"]
    (item,) = r.items
    assert item["method"] == "near_dup" and item["train_index"] == 0 and 0.7 <= item["overlap"] < 1


def test_near_duplicate_of_the_question_line_of_a_training_pair():
    train = [
        "What does the OnTriggerEnter method of the BeastAttack class do when the player enters its collider area\n"
        "It starts the attack animation, plays the attack sound and damages the player after a short delay."
    ]
    tests = [
        ("q", "What does the OnTriggerEnter method of the BeastAttack class do when the player enters its trigger area")
    ]
    r = find_contamination(train, tests, n=50)
    assert r.contaminated_ids == ["q"] and r.items[0]["method"] == "near_dup" and r.items[0]["train_index"] == 0


def test_punctuation_and_case_follow_lm_eval():
    assert janitor_normalize("Don't  STOP, now!") == "dont stop now"
    train = ["It's the player's job, isn't it? Don't stop: keep moving through the dark forest until dawn comes."]
    tests = [("x", "its the players job isnt it dont stop keep moving through the dark forest")]
    assert find_contamination(train, tests, near=False).contaminated_ids == ["x"]


def test_enlighten_train_vs_test_figures():
    train = read("TrainData.csv")
    test = read("TestData.csv")
    train_texts = [r["Q"] + " " + r["A"] for r in train]
    items = [(i, mc_test_text(r["Question"])) for i, r in enumerate(test)]
    r = find_contamination(train_texts, items)
    ref = reference(train_texts, items)
    assert {it["test_id"] for it in r.items if it["method"] == "ngram"} == ref
    assert r.figures["test_items"] == 269 and r.figures["train_records"] == 1910
    assert r.figures["contaminated"] == len(r.contaminated_ids) > 0
    assert r.figures["contaminated_share"] == pytest.approx(len(r.contaminated_ids) / 269)
    for it in r.items:  # every reported train index really contains the test text's words in order
        if it["method"] == "ngram" and it["overlap"] == 1.0:
            q = janitor_normalize(test[it["test_id"]]["Question"])
            if len(q.split()) < 13:
                assert f" {q} " in f" {janitor_normalize(train_texts[it['train_index']])} "
    # with the choices appended, items get longer and the 13-gram rule applies to more of them
    items_c = [
        (i, mc_test_text(r["Question"], [r["a"], r["b"], r["c"], r["d"]], with_choices=True))
        for i, r in enumerate(test)
    ]
    rc = find_contamination(train_texts, items_c, near=False)
    assert rc.figures["items_shorter_than_n"] < r.figures["items_shorter_than_n"]
    assert {it["test_id"] for it in rc.items} == reference(train_texts, items_c)


def test_empty_inputs():
    r = find_contamination([], [("a", "some test question with enough words in it")])
    assert r.contaminated_ids == [] and r.figures["contaminated_share"] == 0.0
    r = find_contamination(["train text"], [])
    assert r.items == [] and r.figures["test_items"] == 0


def test_streamed_in_chunks_equals_one_pass_and_brute_force_near_matches():
    """ContaminationScan fed in chunks of any size gives the one-pass result; its near-duplicate matches equal a brute
    force over every (training record or line, test item) pair with Python sets of word 3-grams."""
    from curate.contamination import ContaminationScan
    from curate.dedup import words

    train_rows, test_rows = read("TrainData.csv")[:600], read("TestData.csv")
    train = [f"{r['Q']}\n{r['A']}" for r in train_rows]
    tests = [(f"t{i}", r["Q"] if "Q" in r else next(iter(r.values()))) for i, r in enumerate(test_rows)]
    whole = find_contamination(train, tests)
    for step in (1, 7, 250):
        scan = ContaminationScan(tests)
        for s in range(0, len(train), step):
            scan.add(train[s : s + step], s)
        got = scan.result()
        assert got.items == whole.items and got.figures == whole.figures

    def sh(t):
        w = words(t)
        return {tuple(w[i : i + 3]) for i in range(len(w) - 2)} if len(w) >= 3 else ({tuple(w)} if w else set())

    best: dict[str, tuple[float, int]] = {}
    for i, t in enumerate(train):
        docs = [t] + ([x for x in t.split("\n") if x.strip()] if "\n" in t else [])
        for d in docs:
            a = sh(d)
            for tid, q in tests:
                b = sh(q)
                if a and b:
                    j = len(a & b) / len(a | b)
                    if j >= 0.7 and (tid not in best or j > best[tid][0]):
                        best[tid] = (j, i)
    near = {it["test_id"]: (it["overlap"], it["train_index"]) for it in whole.items if it["method"] == "near_dup"}
    assert set(near) == set(best) and len(best) > 0
    for tid, (j, _i) in best.items():
        assert abs(near[tid][0] - j) < 1e-6
    # every training record hit: lm-eval's n-gram check per record, plus every near match of the brute force
    hit = {i for i, t in enumerate(train) if reference([t], tests)}
    for i, t in enumerate(train):
        docs = [t] + ([x for x in t.split("\n") if x.strip()] if "\n" in t else [])
        if any(len(sh(d) & sh(q)) / len(sh(d) | sh(q)) >= 0.7 for d in docs for _, q in tests if sh(d) and sh(q)):
            hit.add(i)
    assert whole.train_indices == sorted(hit)
