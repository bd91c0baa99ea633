"""Build benchmarks/dedup_short/: a labelled set of SHORT near-duplicates (8-30 words) in English and Korean, from
real text the project ships, for issue 24 (near-duplicates MinHash on word shingles misses in short records).

Bases are real records or sentences of 8-30 words (README.md: sources and licences). Each base gets edited copies
(positives, seeded): `word_sub` (one word replaced by another word of the same source), `word_del` (English: one
word deleted), `particle` (Korean: one particle swapped, e.g. 을->를, 는->은), `typo` (one character: English
adjacent swap / deletion / substitution in a word; Korean one vowel changed inside a syllable). Hard negatives: for
every base the two bases of the same topic sharing the most words (unigram Jaccard; an independent criterion, not
the detector's), labelled distinct. Bases already within two words of an earlier base (word-level Levenshtein) are
dropped first, so no labelled-distinct pair is itself a one-word edit.

    .venv/bin/python benchmarks/dedup_short/build.py
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SEED = 0
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")
_CODE = re.compile(r"[`#|<>{}\[\]_=*/\\$@]|https?:|\d{3,}")
_WORD = re.compile(r"^[A-Za-z]{3,}$|^[가-힣]{2,}$")
PARTICLES = [
    ("을", "를"),
    ("를", "을"),
    ("은", "는"),
    ("는", "은"),
    ("이", "가"),
    ("가", "이"),
    ("와", "과"),
    ("과", "와"),
]
PARTICLES += [("으로", "로"), ("에서", "에"), ("에게", "한테")]


def short(text: str) -> bool:
    """8-30 whitespace words, no code or markup."""
    return 8 <= len(text.split()) <= 30 and not _CODE.search(text)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT.split(text) if short(s.strip())]


def load_bases() -> list[dict]:
    """Candidate bases: (lang, source, topic, text), in a fixed order."""
    out = []
    with open(REPO / "data/enlighten-instruct/TrainData.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if short(r["A"]):
                out.append(dict(lang="en", source="enlighten", topic=r["class"], text=r["A"].strip()))
    for line in open(REPO / "benchmarks/precision/sample.jsonl", encoding="utf-8"):
        r = json.loads(line)
        if r["source"] in ("course_en", "course_ko"):
            lang = r["source"][-2:]
            out += [dict(lang=lang, source=r["source"], topic=r["source"], text=s) for s in sentences(r["answer"])]
        elif r["source"] in ("gpteacher", "chatbot_ko") and short(r["answer"].strip()):
            lang = "ko" if r["source"] == "chatbot_ko" else "en"
            out.append(dict(lang=lang, source=r["source"], topic=r["source"], text=r["answer"].strip()))
    for line in open(REPO / "data/korean-instruct/ko_instruct.jsonl", encoding="utf-8"):
        r = json.loads(line)
        out += [dict(lang="ko", source="korean-instruct", topic=r["category"], text=s) for s in sentences(r["answer"])]
    return out


def distinct(bases: list[dict]) -> list[dict]:
    """Drop a base within two words (word-level Levenshtein) of an earlier base of its topic."""
    from rapidfuzz.distance import Levenshtein

    kept: list[dict] = []
    by_topic: dict[str, list[list[str]]] = {}
    for b in bases:
        w = b["text"].lower().split()
        seen = by_topic.setdefault(b["topic"], [])
        if any(Levenshtein.distance(w, o, score_cutoff=2) <= 2 for o in seen):
            continue
        seen.append(w)
        kept.append(b)
    return kept


def pick(bases: list[dict], rng: random.Random, per: dict[str, int]) -> list[dict]:
    """A seeded sample of `per[source]` bases from each source."""
    out = []
    for src, k in per.items():
        pool = [b for b in bases if b["source"] == src]
        out += rng.sample(pool, min(k, len(pool)))
    return out


def word_sub(words: list[str], vocab: list[str], rng: random.Random) -> list[str] | None:
    spots = [i for i, w in enumerate(words) if _WORD.match(w)]
    if not spots:
        return None
    i = rng.choice(spots)
    new = rng.choice([v for v in vocab if v != words[i]])
    return words[:i] + [new] + words[i + 1 :]


def word_del(words: list[str], rng: random.Random) -> list[str]:
    i = rng.randrange(len(words))
    return words[:i] + words[i + 1 :]


def particle(words: list[str], rng: random.Random) -> list[str] | None:
    spots = [(i, a, b) for i, w in enumerate(words) for a, b in PARTICLES if w.endswith(a) and len(w) > len(a)]
    if not spots:
        return None
    i, a, b = rng.choice(spots)
    return words[:i] + [words[i][: -len(a)] + b] + words[i + 1 :]


def typo(words: list[str], rng: random.Random) -> list[str] | None:
    spots = [i for i, w in enumerate(words) if _WORD.match(w) and len(w) >= 4 or re.match(r"^[가-힣]{2,}", w)]
    if not spots:
        return None
    i = rng.choice(spots)
    w = words[i]
    if re.match(r"^[가-힣]", w):  # change the vowel (jungseong) of one syllable: a one-key typo on a 2-set keyboard
        k = rng.randrange(sum(1 for c in w if "가" <= c <= "힣"))
        c = ord(w[k]) - 0xAC00
        jung = (c // 28) % 21
        c += ((jung + rng.choice([1, 2, 4])) % 21 - jung) * 28
        w = w[:k] + chr(0xAC00 + c) + w[k + 1 :]
    else:
        k = rng.randrange(1, len(w) - 1)
        how = rng.choice(["swap", "drop", "sub"])
        if how == "swap":
            w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
        elif how == "drop":
            w = w[:k] + w[k + 1 :]
        else:
            w = w[:k] + rng.choice([c for c in "etaoinsrhl" if c != w[k]]) + w[k + 1 :]
    return words[:i] + [w] + words[i + 1 :]


def negatives(bases: list[dict], per_base: int = 2) -> list[tuple[int, int]]:
    """For each base, the `per_base` bases of its topic sharing the most words (unigram Jaccard)."""
    sets = [set(b["text"].lower().split()) for b in bases]
    pairs = set()
    for i, b in enumerate(bases):
        same = [j for j, o in enumerate(bases) if j != i and o["topic"] == b["topic"]]
        same.sort(key=lambda j: (-len(sets[i] & sets[j]) / len(sets[i] | sets[j]), j))
        pairs.update((min(i, j), max(i, j)) for j in same[:per_base])
    return sorted(pairs)


def build() -> tuple[list[dict], list[dict]]:
    rng = random.Random(SEED)
    per = {"enlighten": 130, "course_en": 60, "gpteacher": 20, "korean-instruct": 90, "course_ko": 60, "chatbot_ko": 40}
    bases = pick(distinct(load_bases()), rng, per)
    vocab: dict[str, list[str]] = {}
    for b in bases:
        vocab.setdefault(b["source"], []).extend(w for w in b["text"].split() if _WORD.match(w))
    records = []
    for g, b in enumerate(bases):
        ws = b["text"].split()
        edits = {"word_sub": word_sub(ws, sorted(set(vocab[b["source"]])), rng), "typo": typo(ws, rng)}
        edits["word_del" if b["lang"] == "en" else "particle"] = (
            word_del(ws, rng) if b["lang"] == "en" else particle(ws, rng)
        )
        records.append(dict(id=len(records), group=g, kind="base", **b))
        for kind, new in edits.items():
            if new is not None and new != ws:
                records.append(dict(id=len(records), group=g, kind=kind, **{**b, "text": " ".join(new)}))
    rng.shuffle(records)  # input order must not give the answer away
    ids = {r["id"]: k for k, r in enumerate(records)}
    base_row = {r["group"]: ids[r["id"]] for r in records if r["kind"] == "base"}
    for k, r in enumerate(records):
        r["id"] = k
    neg = [dict(a=base_row[i], b=base_row[j]) for i, j in negatives(bases)]
    return records, sorted(neg, key=lambda p: (p["a"], p["b"]))


def main() -> int:
    records, neg = build()
    with open(HERE / "records.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(HERE / "distinct_pairs.jsonl", "w", encoding="utf-8") as f:
        for p in neg:
            f.write(json.dumps(p) + "\n")
    kinds: dict[str, int] = {}
    for r in records:
        kinds[f"{r['lang']}:{r['kind']}"] = kinds.get(f"{r['lang']}:{r['kind']}", 0) + 1
    print(f"{len(records)} records, {len(neg)} distinct pairs; {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
