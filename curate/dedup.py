"""Duplicate detection: exact (after normalisation) and near-duplicate (MinHash + LSH, verified by true Jaccard).

Near-duplicates follow Broder (1997) "On the resemblance and containment of documents": word k-shingles, MinHash
signatures, banded LSH (Leskovec, Rajaraman, Ullman, *Mining of Massive Datasets* ch. 3.4) for candidates. Every
candidate pair is then verified by the TRUE Jaccard of its shingle sets, so the band structure only decides recall,
never precision. Signatures come from rensa's Rust kernel; everything per record is a numpy array, never a Python
object per record: 1M records of 15-40 words peak at 3.1 GB of RSS with the short-record path below (1.6 GB on
the word path alone; bench_dedup.py, `memory`).

Defaults (justified): for m substituted words in an n-word text with k-word shingles, J ≈ (n - k·m)/(n + k·m).
A 50-word answer with one word changed has J = 0.88 at k=3 (0.80 at k=5); with threshold 0.7, k=3 keeps every
copy with up to ~5 % of its words substituted and one-word edits of texts from ~20 words on (k=5: only from ~33 words,
≤3 %). Bands x rows = 32 x 4 of 128 permutations gives P(candidate) = 1-(1-J^4)^32 = 0.9999 at J=0.7 and 1.0 at 0.8.

Short records (issue 24): one edit in a 12-word text leaves word-3-shingle Jaccard ≈ 0.54, so records of at most
`short_words` words ALSO go through a second path: character `char_shingle`-grams of the normalised text (spaces
included, so a Korean particle swap 을->를 changes only `char_shingle` of them), MinHash + LSH with bands chosen for a
char Jaccard of `char_threshold`, then every candidate confirmed by edit distance: normalised Indel similarity
1 - indel(a, b) / (|a| + |b|) (rapidfuzz `fuzz.ratio` / 100; Indel = Levenshtein without substitutions, Navarro 2001
"A guided tour to approximate string matching" §2) >= `edit_threshold` over characters and >= `word_threshold` over
words. The long path is untouched: clusters join the pairs of both paths. Settings measured on
benchmarks/dedup_short/ (1,512 records, 8-30 words, English and Korean, one-word / one-particle / one-character edits
vs 457 hard same-topic distinct pairs; bench_dedup.py):
- cut-off 24 words: the word path already finds every one-word edit from 20 words on (303 of 303 labelled pairs of
  20-30 words; 15-44 % below 20), so 24 leaves a 4-word margin and keeps longer records off the slower path;
- edit threshold 0.85 (characters): labelled edits have similarity >= 0.885 but for 0.4 % of them (1 % quantile),
  labelled distinct pairs <= 0.78 but for one (0.873, a paraphrase of a templated answer): pairwise recall 0.996,
  false merges 0.2 % (0.88: 0.991 / 0 %; 0.80: 0.999 / 0.2 %);
- word threshold 0.875 (the same similarity over words: 1 - 1/n for one word substituted in n): one changed word
  needs 8 words around it (the labelled set's floor), two need 16. Without it one changed word passes in texts too
  short to call the rest a copy: 7-word `public Material Red { get; private set; }` / `... Blue ...` in the shipped
  Enlighten set. It costs labelled recall 0.9965 -> 0.986 (edits of 8-word records that normalise to 7 words);
- same facts (`fact_words`, `same_facts`): a candidate whose numbers, negations or names differ (a code block: any
  word) is not a duplicate, a name one typo away is. Without it 7 of the 8 clusters the short path added on the
  shipped Enlighten set joined different facts (`OnStart` / `OnEnable` methods, "is" / "is not the required color");
  with it the path adds none there, at labelled recall 0.986 -> 0.973 (English 0.984, Korean 0.961: edits that
  introduce a negation such as 없애는, or change a number);
- char 5-grams, LSH bands for a char Jaccard of 0.7 (32 x 4: P(candidate) = 1-(1-J^4)^32 = 0.995 at 0.7, 0.87 at
  0.5): labelled recall without the word check 0.9965 (4-grams 0.9973, 6-grams 0.9947). Bands for 0.5 (42 x 3) miss
  nothing more but make candidates explode where texts share many character grams: on 19k short records of 50k
  `w<number>` words, 4-grams at 0.5 give 811k candidates (a million such records took 17 GB), 5-grams at 0.7 give
  130; on 20k generated Zipf-vocabulary records, 595k against 42k.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np

from workbench.errors import InputError

__all__ = [
    "normalize",
    "words",
    "ExactResult",
    "exact_duplicates",
    "exact_pair_duplicates",
    "NearDupResult",
    "near_duplicates",
    "CrossFieldResult",
    "cross_field_duplicates",
    "shingle_hashes",
    "choose_bands",
    "jaccard_pairs",
    "text_hashes",
    "pair_hashes",
    "exact_from_hashes",
    "cross_from_hashes",
    "RecordKeys",
    "record_keys",
    "near_candidates",
    "near_from_candidates",
    "near_from_pairs",
    "band_keys",
    "NearSettings",
    "NEAR",
    "mix64",
    "ranges",
    "shingles_from_ids",
    "word_hashes",
    "resolve_bands",
    "clusters_from_pairs",
    "char_shingle_hashes",
    "edit_similarity",
    "short_records",
    "short_text",
    "char_keys",
    "short_pairs",
    "char_candidates",
    "edit_verify",
    "fact_words",
    "same_facts",
    "word_codes",
    "METHOD_WORDS",
    "METHOD_CHARS",
]

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_NONWORD_ASCII = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
)  # ASCII [^A-Za-z0-9_] -> space
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True)
class NearSettings:
    """Near-duplicate settings, defined here once for the audit, `curate clean`, the Ray engine and `near_duplicates`:
    word `shingle`-grams, `num_perm` MinHash permutations, the Jaccard `threshold`, LSH `bands` x `rows` (None: chosen
    from the threshold, see `choose_bands`), the MinHash `seed`, and the `window` of bucket neighbours each record is
    paired with (module doc: why 3 / 128 / 0.7). Records of at most `short_words` words (0: none) also go through
    the short path: character `char_shingle`-grams, LSH candidates at char Jaccard `char_threshold`, confirmed by
    normalised Indel similarity >= `edit_threshold` over characters and >= `word_threshold` over words (module doc:
    why 24 / 5 / 0.7 / 0.85 / 0.875)."""

    shingle: int = 3
    num_perm: int = 128
    threshold: float = 0.7
    bands: int | None = None
    rows: int | None = None
    seed: int = 0
    window: int = 32
    short_words: int = 24
    char_shingle: int = 5
    char_threshold: float = 0.7
    edit_threshold: float = 0.85
    word_threshold: float = 0.875

    @classmethod
    def from_dict(cls, settings: dict | None, **defaults) -> NearSettings:
        """Settings from a recipe or CLI mapping (None values leave the default); an unknown key raises InputError (a
        ValueError naming the settings)."""
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(settings or {}) - set(names))
        if unknown:
            raise InputError(f"near-duplicate settings: unknown key(s) {unknown}", hint=f"settings: {', '.join(names)}")
        st = cls(**{**defaults, **{k: v for k, v in (settings or {}).items() if v is not None}})
        st.check()
        return st

    def check(self) -> NearSettings:
        """Raise InputError naming the setting when one is out of range: whole numbers >= 1 (`shingle`, `num_perm`,
        `window`, and `bands`/`rows` when given), a `threshold` in (0, 1], and bands x rows fitting in num_perm."""
        for name in ("shingle", "num_perm", "window", "bands", "rows", "seed", "short_words", "char_shingle"):
            v = getattr(self, name)
            low = 0 if name in ("seed", "short_words") else 1
            if (v is None and name in ("bands", "rows")) or (_whole(v) and v >= low):
                continue
            raise InputError(
                f"near-duplicate setting {name}{_FLAGS.get(name, '')}: {v!r} is not a whole number >= {low}",
                hint=f"e.g. {name}: {NEAR_DEFAULTS[name]}",
            )
        for name, what in (("threshold", "a Jaccard similarity"), ("char_threshold", "a Jaccard similarity")):
            _check_fraction(name, getattr(self, name), what)
        _check_fraction("edit_threshold", self.edit_threshold, "an edit similarity")
        _check_fraction("word_threshold", self.word_threshold, "an edit similarity")
        if self.char_shingle > len(_SHINGLE_MULT):
            raise InputError(
                f"near-duplicate setting char_shingle: {self.char_shingle} is larger than {len(_SHINGLE_MULT)}",
                hint="e.g. char_shingle: 5",
            )
        try:
            self.resolved()
        except ValueError as e:
            raise InputError(
                f"near-duplicate settings: {e}", hint="leave bands and rows out to have them chosen"
            ) from None
        return self

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def resolved(self) -> NearSettings:
        """These settings with LSH `bands` and `rows` filled in (`resolve_bands`); ValueError when they don't fit."""
        bands, rows = resolve_bands(self.num_perm, self.threshold, self.bands, self.rows)
        return replace(self, bands=bands, rows=rows)

    def char_bands(self) -> tuple[int, int]:
        """LSH (bands, rows) of the short path, chosen from `char_threshold` (`choose_bands`)."""
        return choose_bands(self.num_perm, self.char_threshold)

    def report_config(self) -> dict:
        """What a near-duplicate result says it was made with (resolved settings; the window only bounds the search)."""
        return dict(
            shingle=self.shingle,
            num_perm=self.num_perm,
            threshold=self.threshold,
            seed=self.seed,
            bands=self.bands,
            rows=self.rows,
            short_words=self.short_words,
            char_shingle=self.char_shingle,
            char_threshold=self.char_threshold,
            edit_threshold=self.edit_threshold,
            word_threshold=self.word_threshold,
        )


NEAR = NearSettings()
NEAR_DEFAULTS = {
    "shingle": 3,
    "num_perm": 128,
    "window": 32,
    "bands": 16,
    "rows": 8,
    "seed": 0,
    "short_words": 24,
    "char_shingle": 5,
}
METHOD_WORDS = "minhash-words"  # word shingles, true Jaccard (the long path)
METHOD_CHARS = "minhash-chars+edit"  # char shingles, edit-distance confirmation (the short path)
_FLAGS = {
    "shingle": " (curate audit --shingle)",
    "num_perm": " (curate audit --num-perm)",
    "threshold": " (curate audit --near-threshold)",
}


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_fraction(name: str, t, what: str) -> None:
    """InputError unless `t` is a number in (0, 1]."""
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t <= 1:
        raise InputError(
            f"near-duplicate setting {name}{_FLAGS.get(name, '')}: {t!r} is not {what} in (0, 1]",
            hint=f"e.g. {name}: {getattr(NEAR, name)}",
        )


def normalize(text) -> str:
    """NFKC, lower case, punctuation removed, whitespace collapsed: 'Hello,  World!' -> 'hello world'."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = unicodedata.normalize("NFKC", text).lower()
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def words(text) -> list[str]:
    """The normalised words of `text` (the unit of shingles and n-grams everywhere in curate); same result as
    `normalize(text).split()`, with a fast path for ASCII text."""
    if isinstance(text, str) and text.isascii():
        return text.lower().translate(_NONWORD_ASCII).split()
    return normalize(text).split()


# --------------------------------------------------------------------------------------------------------- exact
@dataclass
class ExactResult:
    """`dup_mask[i]`: record i repeats an earlier record's normalised value; `groups`: index lists (size >= 2)."""

    dup_mask: np.ndarray
    groups: list[list[int]]

    @property
    def duplicate_records(self) -> int:
        return int(self.dup_mask.sum())


def text_hashes(values: Sequence) -> np.ndarray:
    """A stable 64-bit hash of each value's normalised word sequence (`words(v)`, the words `normalize` leaves), 0 for
    a value with no words. Equal normalised values get equal hashes; different ones collide with probability ~2**-64.
    Chat prompts (message lists) hash their role-tagged contents. Vectorised: a million values take about a second."""
    vals = [_norm_any(v) if isinstance(v, (list, tuple)) else v for v in values]
    wh, lens = word_hashes(vals)
    out = np.zeros(len(lens), np.uint64)
    nz = np.flatnonzero(lens)
    if not len(nz):
        return out
    starts = np.zeros(len(lens), np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    pos = np.arange(len(wh), dtype=np.int64) - np.repeat(starts, lens)
    v = mix64(wh ^ mix64(pos.astype(np.uint64) + np.uint64(1)))  # a word's hash depends on its position
    out[nz] = mix64(np.add.reduceat(v, starts[nz]) ^ (lens[nz].astype(np.uint64) * _PAD))
    out[nz] = np.where(out[nz] == 0, np.uint64(1), out[nz])
    return out


def pair_hashes(question_hashes: np.ndarray, answer_hashes: np.ndarray) -> np.ndarray:
    """The hash of a (question, answer) pair from its two `text_hashes` (0 when both are empty)."""
    h = mix64(mix64(question_hashes) * np.uint64(0x100000001B3) + answer_hashes)
    h = np.where(h == 0, np.uint64(1), h)
    return np.where((question_hashes == 0) & (answer_hashes == 0), np.uint64(0), h)


def _runs(sorted_keys: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in a sorted array, plus its length."""
    if not len(sorted_keys):
        return np.zeros(1, np.int64)
    return np.concatenate([[0], np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1, [len(sorted_keys)]])


def exact_from_hashes(h: np.ndarray) -> ExactResult:
    """Groups of records with equal non-zero hashes; every member after a group's first is a duplicate."""
    nz = np.flatnonzero(h)
    order = nz[np.argsort(h[nz], kind="stable")]  # stable: each run lists its records in index order
    runs = _runs(h[order])
    mask = np.zeros(len(h), dtype=bool)
    groups = []
    for a, b in zip(runs[:-1], runs[1:]):
        if b - a > 1:
            mask[order[a + 1 : b]] = True
            groups.append(order[a:b].tolist())
    groups.sort(key=lambda g: g[0])
    return ExactResult(mask, groups)


def exact_duplicates(values: Sequence[str], *, skip_empty: bool = True) -> ExactResult:
    """Exact duplicates after `normalize`; empty values are not duplicates of each other (an empty field is its own
    problem, reported by the quality signals)."""
    h = text_hashes(values)
    if not skip_empty and (h == 0).sum() > 1:
        h = np.where(h == 0, _PAD, h)
    return exact_from_hashes(h)


def exact_pair_duplicates(questions: Sequence, answers: Sequence, *, skip_empty: bool = True) -> ExactResult:
    """Exact duplicates of the whole (question, answer) pair after normalisation."""
    if len(questions) != len(answers):
        raise ValueError(f"questions ({len(questions)}) and answers ({len(answers)}) differ in length")
    h = pair_hashes(text_hashes(questions), text_hashes(answers))
    if not skip_empty:
        h = np.where(h == 0, _PAD, h)
    return exact_from_hashes(h)


def _norm_any(v) -> str:
    """Prompts may be chat message lists: normalise their contents joined by role."""
    if isinstance(v, (list, tuple)):
        return "\x1e".join(f"{m.get('role', '')}:{normalize(m.get('content', ''))}" for m in v if isinstance(m, dict))
    return normalize(v)


@dataclass
class CrossFieldResult:
    """`shared_answers`: groups of records giving one answer to different questions;
    `conflicting_answers`: groups of records asking one question with different answers (conflicting labels)."""

    shared_answers: list[list[int]]
    conflicting_answers: list[list[int]]

    @property
    def shared_answer_records(self) -> int:
        return sum(len(g) for g in self.shared_answers)

    @property
    def conflicting_records(self) -> int:
        return sum(len(g) for g in self.conflicting_answers)


def cross_from_hashes(question_hashes: np.ndarray, answer_hashes: np.ndarray) -> CrossFieldResult:
    """`cross_field_duplicates` from the two fields' `text_hashes`."""

    def groups(keys, others):
        nz = np.flatnonzero(keys)
        order = nz[np.lexsort((nz, others[nz], keys[nz]))]
        k, o = keys[order], others[order]
        runs = _runs(k)
        out = []
        for a, b in zip(runs[:-1], runs[1:]):
            if b - a > 1 and o[a] != o[b - 1]:  # sorted by the other field: differs somewhere
                out.append(np.sort(order[a:b]).tolist())
        return sorted(out, key=lambda g: g[0])

    return CrossFieldResult(
        shared_answers=groups(answer_hashes, question_hashes),
        conflicting_answers=groups(question_hashes, answer_hashes),
    )


def cross_field_duplicates(questions: Sequence, answers: Sequence) -> CrossFieldResult:
    """One answer given to many different questions, and one question with different answers, reported apart."""
    if len(questions) != len(answers):
        raise ValueError(f"questions ({len(questions)}) and answers ({len(answers)}) differ in length")
    return cross_from_hashes(text_hashes(questions), text_hashes(answers))


# ------------------------------------------------------------------------------------------------------ shingles
def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (Steele et al. 2014), vectorised; wraps modulo 2**64."""
    x = x.copy()
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


_PAD = np.uint64(0x9E3779B97F4A7C15)
_HBITS = 47  # shingle hashes keep 47 bits: room for a record/pair id in packed sort keys


_SHINGLE_MULT = mix64(np.arange(1, 65, dtype=np.uint64)) | np.uint64(1)  # odd multiplier per position


def shingles_from_ids(
    w: np.ndarray, lengths: np.ndarray, k: int, *, unique: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per-record k-shingle hashes (47 bits) from the flat word hashes `w` of records with `lengths` words, in
    record order: (flat hashes, offsets of len(lengths)+1). A shingle is mix(sum_j w[p+j] * M_j). A record with fewer
    than k (but some) words gets one shingle of all its words; an empty record gets none. Repeats within a record are
    kept unless `unique` (then each record's hashes come sorted and unique); every consumer here is repeat-safe."""
    if k > len(_SHINGLE_MULT):
        raise ValueError(f"shingle size {k} is larger than {len(_SHINGLE_MULT)}")
    n = len(lengths)
    T = int(lengths.sum())
    if T == 0:
        return np.zeros(0, np.uint64), np.zeros(n + 1, np.int64)
    starts = np.zeros(n, np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    count = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))  # shingles per record
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(count, out=offsets[1:])
    full = lengths >= k
    if full.all():
        # positions p with p + k <= record end: all positions but the last k-1 of each record
        pos = ranges(starts, count)
        acc = w[pos] * _SHINGLE_MULT[0]
        for j in range(1, k):
            acc += w[pos + j] * _SHINGLE_MULT[j]
    else:
        acc = np.zeros(int(offsets[-1]), np.uint64)
        pos = ranges(starts, count)
        ln = np.repeat(lengths, count)
        for j in range(k):
            inside = j < ln
            val = np.where(inside, w[np.minimum(pos + j, T - 1)], _PAD)
            acc += val * _SHINGLE_MULT[j]
    h = mix64(acc) >> np.uint64(64 - _HBITS)
    if unique:
        doc = np.repeat(np.arange(n, dtype=np.int64), count)
        h, doc = _sort_unique_within(h, doc, n, truncated=True)
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(doc, minlength=n), out=offsets[1:])
    return h, offsets


def _bigram_table() -> np.ndarray:
    """Fixed random table T[previous byte, byte] (seeded); T[., space] = 0 so spaces add nothing."""
    t = np.random.default_rng(0x5EED).integers(0, 2**63, size=(256, 256), dtype=np.uint64) * np.uint64(2)
    t[:, 32] = 0
    return t.ravel()


_TABLE = _bigram_table()


def _word_hash_chunk(texts: Sequence, *, prenormalized: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Stable 64-bit hashes of the normalised words of `texts`, all texts in one flat array, and words per text.

    Same words as `words(t)`, found with numpy on the UTF-8 bytes of all texts joined by spaces: a word is a run of
    non-space bytes, its hash a tabulation hash (a fixed random 64-bit value per byte bigram, summed), mixed."""
    if prenormalized:  # words already separated by single ASCII spaces
        parts = list(texts)
    else:
        parts = [t if isinstance(t, str) else normalize(t) for t in texts]
    if not parts:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    big = " ".join(parts)
    if big.isascii():  # one C call each for the whole chunk: lower case, ASCII non-word -> space
        if not prenormalized:
            big = big.lower().translate(_NONWORD_ASCII)
        blen = np.fromiter(map(len, parts), np.int64, len(parts))
    else:
        if not prenormalized:
            parts = [t.lower().translate(_NONWORD_ASCII) if t.isascii() else normalize(t) for t in parts]
            big = " ".join(parts)
        blen = np.fromiter(
            (len(p) if p.isascii() else len(p.encode("utf-8", "surrogatepass")) for p in parts), np.int64, len(parts)
        )
    b = np.frombuffer(big.encode("utf-8", "surrogatepass"), np.uint8)
    doc_start = np.zeros(len(parts), np.int64)
    np.cumsum(blen[:-1] + 1, out=doc_start[1:])
    isw = b != 32
    nb = len(b)
    starts = np.flatnonzero(isw[1:] > isw[:-1]) + 1
    ends = np.flatnonzero(isw[1:] < isw[:-1]) + 1
    if nb and isw[0]:
        starts = np.concatenate([[0], starts])
    if nb and isw[-1]:
        ends = np.concatenate([ends, [nb]])
    doc = np.searchsorted(doc_start, starts, side="right") - 1
    lengths = np.bincount(doc, minlength=len(parts)).astype(np.int64)
    if not len(starts):
        return np.zeros(0, np.uint64), lengths
    # tabulation hash over byte bigrams (the first byte paired with the space before it): no per-byte position
    # bookkeeping, and two words collide only with the same length and the same multiset of byte bigrams
    it = np.int32 if nb < 2**31 else np.int64
    idx = b.astype(it)
    idx[1:] |= idx[:-1] << 8
    idx[0] |= 32 << 8
    wh = np.add.reduceat(_TABLE[idx], starts)
    return mix64(wh + (ends - starts).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)), lengths


def word_hashes(
    texts: Sequence, *, prenormalized: bool = False, chunk_chars: int = 262_144
) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every normalised word of `texts`, flat; words per text), in cache-sized chunks of texts."""
    hs, ls = [], []
    start, size = 0, 0
    for i, t in enumerate(texts):
        size += len(t) if isinstance(t, str) else 16
        if size >= chunk_chars:
            h, n = _word_hash_chunk(texts[start : i + 1], prenormalized=prenormalized)
            hs.append(h)
            ls.append(n)
            start, size = i + 1, 0
    if start < len(texts):
        h, n = _word_hash_chunk(texts[start:], prenormalized=prenormalized)
        hs.append(h)
        ls.append(n)
    if not hs:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    return np.concatenate(hs), np.concatenate(ls)


def _sort_unique_within(
    h: np.ndarray, group: np.ndarray, n_groups: int, *, truncated: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Sort hashes within groups and drop repeats; hashes come back truncated to 47 bits."""
    if not truncated:
        h = h >> np.uint64(64 - _HBITS)
    gbits = max(1, int(n_groups - 1).bit_length())
    if gbits + _HBITS <= 64:
        key = (group.astype(np.uint64) << np.uint64(_HBITS)) | h
        key.sort()
        key = key[np.concatenate([[True], key[1:] != key[:-1]])] if len(key) else key
        return key & np.uint64((1 << _HBITS) - 1), (key >> np.uint64(_HBITS)).astype(np.int64)
    order = np.lexsort((h, group))
    h, group = h[order], group[order]
    keep = np.ones(len(h), bool)
    keep[1:] = (h[1:] != h[:-1]) | (group[1:] != group[:-1])
    return h[keep], group[keep]


def shingle_hashes(
    texts: Iterable[str], *, shingle: int = NEAR.shingle, chunk: int = 65_536, chunk_chars: int = 262_144
) -> tuple[np.ndarray, np.ndarray]:
    """47-bit hashes of each text's word `shingle`-grams, in order: (flat uint64 array, int64 offsets).

    Streams `texts` in chunks (`chunk` texts or `chunk_chars` characters), so per-byte work stays bounded."""
    flats, counts_all = [], []
    buf: list = []
    size = 0

    def flush():
        if not buf:
            return
        wh, lengths = _word_hash_chunk(buf)
        h, off = shingles_from_ids(wh, lengths, shingle)
        flats.append(h)
        counts_all.append(np.diff(off))
        buf.clear()

    for t in texts:
        buf.append(t)
        size += len(t) if isinstance(t, str) else 16
        if len(buf) >= chunk or size >= chunk_chars:
            flush()
            size = 0
    flush()
    flat = np.concatenate(flats) if flats else np.zeros(0, np.uint64)
    counts = np.concatenate(counts_all) if counts_all else np.zeros(0, np.int64)
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return flat, offsets


# ------------------------------------------------------------------------------------------------------ jaccard
def jaccard_pairs(
    flat: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray, *, batch: int = 65_536
) -> np.ndarray:
    """True Jaccard |A∩B|/|A∪B| of the shingle sets of records a[i], b[i], vectorised: one sort of packed keys
    (pair id | 47-bit shingle | side) per batch; repeats inside a record count once."""
    out = np.zeros(len(a), np.float64)
    sizes = np.diff(offsets)
    batch = min(batch, 1 << (63 - _HBITS))
    mask = np.uint64((1 << _HBITS) - 1)
    for s in range(0, len(a), batch):
        pa, pb = a[s : s + batch], b[s : s + batch]
        m = len(pa)
        la, lb = sizes[pa], sizes[pb]
        pid = np.concatenate(
            [np.repeat(np.arange(m, dtype=np.uint64), la), np.repeat(np.arange(m, dtype=np.uint64), lb)]
        )
        side = np.concatenate([np.zeros(int(la.sum()), np.uint64), np.ones(int(lb.sum()), np.uint64)])
        vals = flat[np.concatenate([ranges(offsets[pa], la), ranges(offsets[pb], lb)])]
        key = (pid << np.uint64(_HBITS + 1)) | ((vals & mask) << np.uint64(1)) | side
        key.sort()
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]  # a shingle repeated on one side counts once
        owner = (key >> np.uint64(_HBITS + 1)).astype(np.int64)
        both = (key[1:] >> np.uint64(1)) == (key[:-1] >> np.uint64(1))  # same pair and shingle, both sides
        inter = np.bincount(owner[1:][both], minlength=m).astype(np.float64)
        total = np.bincount(owner, minlength=m).astype(np.float64)  # |A| + |B| (distinct per side)
        union = total - inter
        out[s : s + batch] = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return out


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s+l) for each (s, l), vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    rep_start = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return rep_start + np.arange(total, dtype=np.int64)


# ------------------------------------------------------------------------------------------------------ minhash
def choose_bands(num_perm: int, threshold: float, *, target_recall: float = 0.995) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm: the most rows per band (fewest false candidates) for which a pair at
    exactly `threshold` Jaccard is still a candidate with probability >= target_recall (MMDS 3.4.2: 1-(1-s^r)^b)."""
    best = (num_perm, 1)
    for r in range(1, num_perm + 1):
        b = num_perm // r
        if b < 1:
            break
        if 1 - (1 - threshold**r) ** b >= target_recall:
            best = (b, r)
    return best


def _signatures_numpy(flat: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """MinHash in numpy (fallback when rensa is missing): h_p(x) = high 32 bits of (a_p*x + b_p) mod 2**64."""
    rng = np.random.default_rng(seed)
    A = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    B = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    n = len(offsets) - 1
    sig = np.full((n, num_perm), np.iinfo(np.uint32).max, np.uint32)
    sizes = np.diff(offsets)
    nz = np.flatnonzero(sizes)
    step = 2048
    for s in range(0, len(nz), step):
        docs = nz[s : s + step]
        lo, hi = offsets[docs[0]], offsets[docs[-1] + 1]
        H = (flat[lo:hi, None] * A[None, :] + B[None, :]) >> np.uint64(32)
        sig[docs] = np.minimum.reduceat(H, offsets[docs] - lo, axis=0).astype(np.uint32)
    return sig


def _signatures(flat: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """(n, num_perm) uint32 MinHash signatures; rensa's Rust kernel when installed."""
    try:
        import rensa
    except ImportError:  # pragma: no cover - rensa is a dependency
        return _signatures_numpy(flat, offsets, num_perm, seed)
    n = len(offsets) - 1
    sig = np.empty((n, num_perm), np.uint32)
    step = 8192  # rows per rensa call: its rows come back as Python lists, so keep few alive at once
    for s in range(0, n, step):
        e = min(n, s + step)
        mat = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
            flat[offsets[s] : offsets[e]], (offsets[s : e + 1] - offsets[s]).astype(np.uint64), num_perm, seed
        )
        sig[s:e] = np.array(mat.to_rows(), dtype=np.uint32).reshape(e - s, num_perm)
    return sig


def _subset(flat: np.ndarray, offsets: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shingles of records `idx` (sorted) as their own (flat, offsets)."""
    sizes = np.diff(offsets)
    if len(idx) == len(sizes):
        return flat, offsets
    keep = np.zeros(len(sizes), bool)
    keep[idx] = True
    sub_off = np.zeros(len(idx) + 1, np.int64)
    np.cumsum(sizes[idx], out=sub_off[1:])
    return flat[np.repeat(keep, sizes)], sub_off


def _set_fingerprints(flat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """An order-free fingerprint of each record's shingles (sum of mixed hashes, then mixed with the count),
    computed in blocks so no full-size temporaries are made."""
    n = len(offsets) - 1
    sizes = np.diff(offsets)
    fp = np.zeros(n, np.uint64)
    step = 1 << 16
    for s in range(0, n, step):
        e = min(n, s + step)
        lo, hi = offsets[s], offsets[e]
        nz = np.flatnonzero(sizes[s:e])
        if len(nz):
            fp[s + nz] = np.add.reduceat(mix64(flat[lo:hi]), offsets[s + nz] - lo)
    return mix64(fp ^ sizes.astype(np.uint64))


def _flagged(
    flat: np.ndarray, offsets: np.ndarray, num_perm: int, bands: int, threshold: float, seed: int
) -> np.ndarray | None:
    """Which records share at least one LSH band with another (rensa, no Python object per record); None without rensa.
    Rensa's digest takes 0.07 s for 20k documents but handing the signatures to numpy (`to_rows`) 0.4 s, so the
    in-memory path asks rensa which records collide at all and fetches signatures for those only."""
    try:
        import rensa
    except ImportError:  # pragma: no cover
        return None
    mat = rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets.astype(np.uint64), num_perm, seed)
    lsh = rensa.RMinHashLSH(threshold, num_perm, bands)
    return np.asarray(lsh.query_duplicate_flags_matrix_one_shot(mat), dtype=bool)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) LSH bucket keys: band b's `rows` signature values chained with FNV and splitmix64, seeded by b."""
    n = sig.shape[0]
    out = np.empty((n, bands), np.uint64)
    for b in range(bands):
        band = sig[:, b * rows : (b + 1) * rows].astype(np.uint64)
        key = np.full(n, np.uint64(b), np.uint64)
        for c in range(rows):
            key = mix64(key * np.uint64(0x100000001B3) + band[:, c])
        out[:, b] = key
    return out


@dataclass
class RecordKeys:
    """What near-duplicate detection keeps per record: the shingle-set fingerprint, the set size (0: no shingle) and
    the LSH band keys (zeros for an empty record). 8 x (bands + 2) bytes per record, no text."""

    fp: np.ndarray
    sizes: np.ndarray
    keys: np.ndarray

    @staticmethod
    def concat(parts: list[RecordKeys], bands: int) -> RecordKeys:
        if not parts:
            return RecordKeys(np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros((0, bands), np.uint64))
        return RecordKeys(
            np.concatenate([p.fp for p in parts]),
            np.concatenate([p.sizes for p in parts]),
            np.concatenate([p.keys for p in parts]),
        )


def record_keys(
    flat: np.ndarray, offsets: np.ndarray, *, num_perm: int, bands: int, rows: int, seed: int
) -> RecordKeys:
    """`RecordKeys` of records given as shingle hashes (see `shingle_hashes`)."""
    sizes = np.diff(offsets)
    nz = np.flatnonzero(sizes)
    keys = np.zeros((len(sizes), bands), np.uint64)
    if len(nz):
        sub_flat, sub_off = _subset(flat, offsets, nz)
        keys[nz] = band_keys(_signatures(sub_flat, sub_off, num_perm, seed), bands, rows)
    return RecordKeys(_set_fingerprints(flat, offsets), sizes, keys)


def _band_candidates(keys: np.ndarray, window: int, rows: np.ndarray) -> np.ndarray:
    """Candidate pairs (as int64 keys i*n+j, i<j, indices into `rows`) of the records `rows` of `keys` sharing a band
    bucket. Within one bucket each record is paired with up to `window` following members, so a bucket of 100k
    identical templates costs O(n·window), not n²; the union-find still joins the whole bucket through the chain."""
    n = len(rows)
    keys_all = []
    for b in range(keys.shape[1]):
        col = keys[rows, b]
        order = np.argsort(col, kind="stable")
        sk = col[order]
        idx = np.flatnonzero(sk[1:] == sk[:-1])
        d = 1
        while len(idx) and d <= window:
            i, j = order[idx], order[idx + d]
            lo, hi = np.minimum(i, j), np.maximum(i, j)
            keys_all.append(lo.astype(np.int64) * n + hi)
            d += 1
            idx = idx[idx + d < n]
            idx = idx[sk[idx + d] == sk[idx]]
    if not keys_all:
        return np.zeros(0, np.int64)
    keys = np.concatenate(keys_all)
    keys.sort()
    return keys[np.concatenate([[True], keys[1:] != keys[:-1]])]


@dataclass
class NearDupResult:
    """`cluster_of[i]`: cluster id of record i (-1: in no cluster); `clusters[c]`: member indices (sorted);
    `representative[c]`: the member kept (the first); `pairs`: verified (i, j, similarity) with i < j (word-shingle
    Jaccard, or edit similarity for a pair only the short path found); `methods[c]`: which path(s) found cluster c's
    pairs (METHOD_WORDS, METHOD_CHARS, or both joined by ", ")."""

    cluster_of: np.ndarray
    clusters: list[list[int]]
    representative: list[int]
    pairs: list[tuple[int, int, float]]
    config: dict = field(default_factory=dict)
    candidates: int = 0
    methods: list[str] = field(default_factory=list)

    @property
    def duplicate_records(self) -> int:
        """Records in a cluster beyond its representative."""
        return sum(len(c) - 1 for c in self.clusters)


def clusters_from_pairs(n: int, pi: np.ndarray, pj: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Connected components of the verified pairs: `cluster_of` (-1 outside any pair) and member lists, cluster ids in
    order of each cluster's first (smallest) record (the rule both engines share)."""
    cluster_of = np.full(n, -1, np.int64)
    clusters: list[list[int]] = []
    if not len(pi):
        return cluster_of, clusters
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(len(pi), np.int8), (pi, pj)), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    in_pair = np.zeros(n, bool)
    in_pair[pi] = True
    in_pair[pj] = True
    members = np.flatnonzero(in_pair)
    comp_m = comp[members]
    srt = np.lexsort((members, comp_m))
    members, comp_m = members[srt], comp_m[srt]
    groups = np.split(members, np.flatnonzero(np.diff(comp_m)) + 1)
    groups.sort(key=lambda g_: int(g_[0]))
    for cid, g_ in enumerate(groups):
        cluster_of[g_] = cid
        clusters.append(g_.tolist())
    return cluster_of, clusters


def resolve_bands(num_perm: int, threshold: float, bands: int | None, rows: int | None) -> tuple[int, int]:
    """(bands, rows) for LSH: chosen from `threshold` when neither is given, else completed from `num_perm`."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if bands is None and rows is None:
        bands, rows = choose_bands(num_perm, threshold)
    elif bands is None:
        bands = num_perm // rows
    elif rows is None:
        rows = num_perm // bands
    if bands * rows > num_perm or bands < 1 or rows < 1:
        raise ValueError(f"bands x rows ({bands} x {rows}) must fit in num_perm ({num_perm})")
    return bands, rows


def near_duplicates(
    texts: Sequence[str], *, _shingles: tuple[np.ndarray, np.ndarray] | None = None, **settings
) -> NearDupResult:
    """Near-duplicate clusters: word `shingle`-grams -> MinHash (`num_perm`) -> LSH (`bands` x `rows`, chosen from
    `threshold` when not given) -> candidates verified by true Jaccard >= `threshold` -> union-find clusters.
    `settings`: NearSettings's fields, by keyword (those not given keep its defaults)."""
    st = NearSettings(**settings).resolved()
    flat, offsets = _shingles if _shingles is not None else shingle_hashes(texts, shingle=st.shingle)
    n = len(offsets) - 1
    sizes = np.diff(offsets)
    rk = RecordKeys(_set_fingerprints(flat, offsets), sizes, np.zeros((n, st.bands), np.uint64))
    uniq = _first_of_each_set(rk)[2]
    # only records whose band keys collide with another's can be candidates: rensa tells which, then their keys
    sel = np.zeros(0, np.int64)
    if len(uniq) > 1:
        sub_flat, sub_off = _subset(flat, offsets, uniq)
        full = st.bands * st.rows == st.num_perm  # rensa bands all `num_perm` values: only then are its bands ours
        flags = _flagged(sub_flat, sub_off, st.num_perm, st.bands, st.threshold, st.seed) if full else None
        sel = uniq[np.flatnonzero(flags)] if flags is not None else uniq
        del sub_flat
    if len(sel) > 1:
        f2, o2 = _subset(flat, offsets, sel)
        rk.keys[sel] = band_keys(_signatures(f2, o2, st.num_perm, st.seed), st.bands, st.rows)
        ci, cj = near_candidates(rk, window=st.window, among=sel)
    else:
        ci = cj = np.zeros(0, np.int64)
    jac = jaccard_pairs(flat, offsets, ci, cj)
    short, n_short = short_pairs(texts, sizes, st)
    return near_from_candidates(
        rk, ci, cj, jac, threshold=st.threshold, config=st.report_config(), short=short, short_candidates=n_short
    )


def near_candidates(
    rk: RecordKeys, *, window: int = NEAR.window, among: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """LSH candidate pairs (i < j) among records with distinct non-empty shingle sets (records with the same set as
    an earlier one are joined to it directly by `near_from_candidates`), or among the sorted records `among`."""
    n = len(rk.sizes)
    uniq = _first_of_each_set(rk)[2] if among is None else among
    if len(uniq) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    local = _band_candidates(rk.keys, window, uniq)
    m = len(uniq)
    gi, gj = uniq[local // m], uniq[local % m]
    cand = np.minimum(gi, gj) * n + np.maximum(gi, gj)
    return cand // max(n, 1), cand % max(n, 1)


def _first_of_each_set(rk: RecordKeys) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(same_i, same_j, uniq): pairs joining each record to the first record with the same non-empty shingle set,
    and the (sorted) first records of every set."""
    n = len(rk.sizes)
    order = np.lexsort((np.arange(n), rk.fp))
    ord_nz = order[rk.sizes[order] > 0]
    sf = rk.fp[ord_nz]
    first_of = np.ones(len(ord_nz), bool)
    first_of[1:] = sf[1:] != sf[:-1]
    grp_first = np.maximum.accumulate(np.where(first_of, np.arange(len(ord_nz)), 0))
    rep_of = ord_nz[grp_first]  # smallest index with the same set
    uniq = ord_nz[first_of]
    uniq.sort()
    return rep_of[~first_of], ord_nz[~first_of], uniq


def near_from_candidates(
    rk: RecordKeys,
    ci: np.ndarray,
    cj: np.ndarray,
    jac: np.ndarray,
    *,
    threshold: float,
    config: dict,
    short: tuple | None = None,
    short_candidates: int = 0,
) -> NearDupResult:
    """Clusters from candidate pairs and their true Jaccard (`jaccard_pairs`), plus the identical-set pairs and the
    short path's confirmed pairs (`short_pairs`)."""
    same_i, same_j, _ = _first_of_each_set(rk)
    ok = jac >= threshold - 1e-12
    verified = (ci[ok], cj[ok], jac[ok])
    n = len(rk.sizes)
    return near_from_pairs(n, (same_i, same_j), verified, config, candidates=len(ci) + short_candidates, short=short)


def near_from_pairs(
    n: int,
    same: tuple[np.ndarray, np.ndarray],
    verified: tuple[np.ndarray, np.ndarray, np.ndarray],
    config: dict,
    *,
    candidates: int,
    short: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> NearDupResult:
    """The result for `n` records from the pairs joining identical shingle sets, `same` (i, j), the candidate
    pairs whose true Jaccard passed the threshold, `verified` (i, j, jaccard), and the short path's confirmed pairs,
    `short` (i, j, edit similarity; a pair both paths found keeps its Jaccard): clusters by union-find."""
    short = short if short is not None else (np.zeros(0, np.int64),) * 2 + (np.zeros(0),)
    pi = np.concatenate([same[0], verified[0], short[0]]).astype(np.int64)
    pj = np.concatenate([same[1], verified[1], short[1]]).astype(np.int64)
    pjac = np.concatenate([np.ones(len(same[0])), verified[2], short[2]]).astype(np.float64)
    by_chars = np.repeat([False, True], [len(same[0]) + len(verified[0]), len(short[0])])
    o = np.lexsort((by_chars, pj, pi))
    pi, pj, pjac, by_chars = pi[o], pj[o], pjac[o], by_chars[o]
    first = np.ones(len(pi), bool)
    first[1:] = (pi[1:] != pi[:-1]) | (pj[1:] != pj[:-1])
    pi, pj, pjac, by_chars = pi[first], pj[first], pjac[first], by_chars[first]
    cluster_of, clusters = clusters_from_pairs(n, pi, pj)
    pairs = list(zip(pi.tolist(), pj.tolist(), np.round(pjac, 6).tolist()))
    return NearDupResult(
        cluster_of=cluster_of,
        clusters=clusters,
        representative=[c[0] for c in clusters],
        pairs=pairs,
        config=config,
        candidates=int(candidates),
        methods=_cluster_methods(len(clusters), cluster_of[pi], by_chars),
    )


def _cluster_methods(n_clusters: int, pair_cluster: np.ndarray, by_chars: np.ndarray) -> list[str]:
    """Which path found each cluster's pairs: METHOD_WORDS, METHOD_CHARS or both."""
    words_ = np.bincount(pair_cluster[~by_chars], minlength=n_clusters) > 0
    chars = np.bincount(pair_cluster[by_chars], minlength=n_clusters) > 0
    names = {(True, False): METHOD_WORDS, (False, True): METHOD_CHARS, (True, True): f"{METHOD_WORDS}, {METHOD_CHARS}"}
    return [names[(bool(w), bool(c))] for w, c in zip(words_, chars)]


# ------------------------------------------------------------------------------------------------- short records
def short_records(sizes: np.ndarray, st: NearSettings) -> np.ndarray:
    """Indices of the non-empty records of at most `st.short_words` words, from their word-shingle counts (`sizes`:
    a record of w >= shingle words has w - shingle + 1 shingles; one of fewer words has 1 and counts as `shingle`)."""
    if st.short_words <= 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero((sizes > 0) & (sizes + st.shingle - 1 <= st.short_words))


def short_text(text) -> str:
    """The text the short path compares: normalised words joined by one space."""
    return " ".join(words(text))


def char_shingle_hashes(texts: Sequence[str], *, n: int = NEAR.char_shingle) -> tuple[np.ndarray, np.ndarray]:
    """47-bit hashes of the character `n`-grams of each text as given (callers pass `short_text`s): (flat, offsets),
    the same layout as `shingle_hashes`. A text shorter than n gets one shingle of all of it; an empty one none."""
    texts = list(texts)
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    return shingles_from_ids(mix64(codes.astype(np.uint64) + _PAD), lengths, n)


def char_keys(texts: Sequence[str], st: NearSettings) -> RecordKeys:
    """`RecordKeys` of the short path (char shingles, `st.char_bands()`) of `short_text`s."""
    bands, rows = st.char_bands()
    flat, off = char_shingle_hashes(texts, n=st.char_shingle)
    return record_keys(flat, off, num_perm=st.num_perm, bands=bands, rows=rows, seed=st.seed)


def char_candidates(rk: RecordKeys, *, window: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs to confirm by edit distance (indices into `rk`): identical char-shingle sets joined to their first, then
    the LSH candidates; and how many LSH candidates there were."""
    same_i, same_j, _ = _first_of_each_set(rk)
    ci, cj = near_candidates(rk, window=window)
    return np.concatenate([same_i, ci]), np.concatenate([same_j, cj]), len(ci)


def edit_similarity(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Normalised Indel similarity of a[k] and b[k]: 1 - (insertions + deletions) / (|a| + |b|), 1.0 for two empty
    strings (rapidfuzz `fuzz.ratio` / 100)."""
    if not len(a):
        return np.zeros(0, np.float64)
    from rapidfuzz.distance import Indel
    from rapidfuzz.process import cpdist

    return np.asarray(cpdist(list(a), list(b), scorer=Indel.normalized_similarity), np.float64)


def word_codes(text: str) -> str:
    """A `short_text`'s words as one character each (CRC-32 into the supplementary planes), so the edit similarity of
    two such strings is their word-level edit similarity."""
    return "".join(chr(0x10000 + zlib.crc32(w.encode("utf-8", "surrogatepass")) % 0xF0000) for w in text.split())


# What a one-word edit may not change (measured on the shipped Enlighten set: of the 8 clusters the short path added
# there, 7 joined records stating different facts: `OnStart` / `OnEnable` / `OnDisable` methods, `puzzleMainDoor` /
# `puzzleSideDoor`, "is the required color, ... activated" / "is not the required color, ... deactivated", code lines
# one token apart). Names are ASCII so a Korean particle on a number (7일이 / 7일가) is not part of it.
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_NEGATION = re.compile(
    r"(?i:\b(?:not|no|never|none|nothing|nobody|cannot|without|\w+n't)\b)"  # English
    r"|않|없|못|아니|(?<!\S)안(?!\S)"  # Korean: -지 않다, 없다, 못하다, 아니다, 안 + verb
)
_NAME = re.compile(
    r"[A-Za-z0-9]*[a-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*"  # camelCase / PascalCase with an inner capital (OnStart)
    r"|[A-Za-z_][A-Za-z0-9_]*(?:[._][A-Za-z_][A-Za-z0-9_]*)+"  # snake_case, dotted.names (director.gameObject)
    r"|[A-Za-z_][A-Za-z0-9_]*\d[A-Za-z0-9_]*"  # a name with digits (Level2Manager)
)
_CODE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TYPO = 0.8  # a name this close (Indel similarity) to the other text's name is a typo of it: beastAttack / baestAttack


def fact_words(text) -> str:
    """The numbers (#12), negations (!not) and names of `text`, sorted, one string; in a code block every word is a
    name. Two texts that differ here (`same_facts`) state different facts however small the edit."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = unicodedata.normalize("NFKC", text)
    names = _CODE_WORD.findall(text) if "```" in text else _NAME.findall(text)
    facts = [f"#{m}" for m in _NUMBER.findall(text)] + [f"!{m.lower()}" for m in _NEGATION.findall(text)]
    return " ".join(sorted(facts + [m.lower() for m in names]))


def same_facts(a: str, b: str) -> bool:
    """Two `fact_words` strings agree: the same numbers and negations, and names equal or one typo apart."""
    if a == b:
        return True
    from collections import Counter

    from rapidfuzz.distance import Indel

    ca, cb = Counter(a.split()), Counter(b.split())
    only_a, only_b = list((ca - cb).elements()), list((cb - ca).elements())
    if len(only_a) != len(only_b) or any(w[0] in "#!" for w in only_a + only_b):
        return False
    for w in only_a:
        k = next((k for k, v in enumerate(only_b) if Indel.normalized_similarity(w, v) >= _TYPO), None)
        if k is None:
            return False
        only_b.pop(k)
    return True


def edit_verify(
    i: np.ndarray,
    j: np.ndarray,
    text_i: Sequence[str],
    text_j: Sequence[str],
    threshold: float,
    word_threshold: float = NEAR.word_threshold,
    facts: tuple[Sequence[str], Sequence[str]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs (i, j) whose `short_text`s reach edit similarity `threshold` over characters and `word_threshold`
    over words, as (i, j, character similarity), i < j. The word-level check keeps one changed word from passing in
    a text too short to absorb it (1 - 1/n for one word substituted in n words); with `facts` (the pairs'
    `fact_words`), a pair whose names, numbers or negations differ is not a duplicate."""
    sim = edit_similarity(text_i, text_j)
    ok = sim >= threshold - 1e-12
    if facts is not None:
        ok &= np.fromiter((same_facts(a, b) for a, b in zip(*facts)), bool, len(ok))
    k = np.flatnonzero(ok)
    if len(k):
        wsim = edit_similarity([word_codes(text_i[x]) for x in k], [word_codes(text_j[x]) for x in k])
        ok[k] = wsim >= word_threshold - 1e-12
    lo, hi = np.minimum(i, j)[ok], np.maximum(i, j)[ok]
    return lo.astype(np.int64), hi.astype(np.int64), sim[ok]


def short_pairs(texts: Sequence, sizes: np.ndarray, st: NearSettings) -> tuple[tuple, int]:
    """The short path over in-memory `texts` with word-shingle counts `sizes`: confirmed (i, j, similarity) and the
    number of LSH candidates."""
    idx = short_records(sizes, st)
    norm = [short_text(texts[k]) for k in idx]
    li, lj, n_cand = char_candidates(char_keys(norm, st), window=st.window)
    ti, tj = [norm[k] for k in li], [norm[k] for k in lj]
    facts = ([fact_words(texts[k]) for k in idx[li]], [fact_words(texts[k]) for k in idx[lj]])
    pairs = edit_verify(idx[li], idx[lj], ti, tj, st.edit_threshold, st.word_threshold, facts)
    return pairs, n_cand
