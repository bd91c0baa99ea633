"""Document quality rules from Gopher, C4 and FineWeb, adapted so a short correct answer is not punished.

Reference thresholds are datatrove's defaults (GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter,
FineWebQualityFilter). Those filters were tuned for web pages: run unchanged on clean Q/A pairs they drop most of them
as 'short document' or 'too few sentences'. Each adaptation is marked `adapted:` beside its threshold; rules that
only make sense for long documents apply once a text is long enough. On CJK text (Hangul, Han, Kana) word rules give
way to character rules and the English stop-word rule never fires.
"""

from __future__ import annotations

import re
from collections import Counter

from curate.signals.base import Doc, Record, Signal, register
from curate.signals.script import HANGUL_FINAL, TERMINAL

__all__ = ["WebTextRule", "GopherQuality", "GopherRepetition", "C4Rules", "FineWebRules", "Boilerplate", "STOP_WORDS"]

STOP_WORDS = frozenset(["the", "be", "to", "of", "and", "that", "have", "with"])  # Gopher (Rae et al. 2021, A.1)
# a whitespace token that is a code identifier (CamelCase, snake_case, dotted.name, call(), mixed digits)
_IDENT_WORD = re.compile(r"(?<!\S)\S*(?:[a-z][A-Z]|[_.(]\w|\d[A-Za-z]|[A-Za-z]\d)\S*")
_HASH_TOKEN = re.compile(r"(?<!\S)#")
_NON_ALPHA_TOKEN = re.compile(r"(?<!\S)(?:[^\s\w]|[\d_])+(?!\S)")  # a token without a letter
_BULLETS = ("•", "-", "*", "‣", "●", "◦", "▪", "·")


def _duplicates(items: list[str]) -> tuple[int, int]:
    """(number of items that repeat an earlier one, their characters)."""
    seen: set[str] = set()
    n = chars = 0
    for it in items:
        if it in seen:
            n += 1
            chars += len(it)
        else:
            seen.add(it)
    return n, chars


def _prose(rec: Record, skip_code: bool) -> Doc:
    """The answer these web-text rules measure: its prose (fenced or obvious code left out) with `skip_code`."""
    return rec.answer.prose if skip_code else rec.answer


def _tokens(doc: Doc) -> tuple[list[str], int]:
    """Words, or non-space characters for CJK text (character n-grams instead of word n-grams); and an n multiplier."""
    if doc.cjk:
        return [c for c in doc.text if not c.isspace()], 2
    return doc.words, 1


class WebTextRule(Signal):
    """A rule written for web pages (Gopher, FineWeb): it scores plain-text records, and the answers of question/answer
    and chat records only with `on_pairs`. Measured on 5,127 labelled real instruction records
    (benchmarks/results/precision.json, docs/flags.md), 4 of 283 flags of these rules were defects: answers are tables,
    lists, label/value lines and code by design, so on instruction data they are off unless a recipe turns them on."""

    on_pairs: bool = False  # adapted: datatrove runs them on web documents only; see the class docstring

    def skips(self, rec: Record) -> bool:
        """True for a question/answer or chat record when the rule is not turned on for them."""
        return rec.kind != "text" and not self.on_pairs


@register
class GopherQuality(WebTextRule):
    """Gopher quality rules (Rae et al. 2021, appendix A.1; datatrove GopherQualityFilter defaults in comments)."""

    name = "gopher_quality"
    reasons = (
        "too_few_words",
        "too_many_words",
        "avg_word_length_low",
        "avg_word_length_high",
        "symbol_word_ratio",
        "bullet_lines",
        "ellipsis_lines",
        "non_alpha_words",
        "few_stop_words",
    )
    # Measured on labelled real answers, benchmarks/results/precision.json (docs/flags.md): each flag read by hand.
    # Web-page rules: instruction answers are tables, lists and code by design, so nearly every flag is a good record
    # (non_alpha_words 0 of 89, avg_word_length_low 0 of 10, symbol_word_ratio 0 of 6, few_stop_words 0 of 7,
    # avg_word_length_high 1 of 3), measured with `on_pairs`: so they are off for instruction data by default, and
    # under 0.8, so when a recipe turns them on `curate clean` sends them to review, not to rejects.
    precision = {
        "avg_word_length_low": 0.0,
        "avg_word_length_high": 0.3333,
        "symbol_word_ratio": 0.0,
        "non_alpha_words": 0.0,
        "few_stop_words": 0.0,
    }

    min_words: int | None = None  # datatrove 50; adapted: off, a 5-word answer can be right
    max_words: int | None = 100_000  # datatrove 100000
    min_avg_word_length: float | None = 3  # datatrove 3
    # datatrove 10; adapted: identifiers (CamelCase, snake_case, dotted.names, calls()) are not words here
    max_avg_word_length: float | None = 10
    # datatrove 0.1; adapted: '#' counts only as a token start (headings, hashtags), so "C#" is not a symbol
    max_symbol_word_ratio: float | None = 0.1
    max_bullet_lines_ratio: float | None = None  # datatrove 0.9; adapted: off, step lists are answers
    max_ellipsis_lines_ratio: float | None = 0.3  # datatrove 0.3
    max_non_alpha_words_ratio: float | None = 0.8  # datatrove 0.8 (share of words with a letter)
    min_stop_words: int | None = 2  # datatrove 2; adapted: English text of >= 50 words only
    min_words_for_ratios: int = 10  # adapted: word-ratio rules need this many words
    skip_code: bool = True  # adapted: fenced/obvious code is not prose

    def __call__(self, rec: Record) -> str | None:
        if self.skips(rec):
            return None
        doc = _prose(rec, self.skip_code)
        words = doc.words
        n = len(words)
        if n == 0:
            return None  # the empty answer is the pair rules' business (empty_answer)
        if self.min_words is not None and n < self.min_words:
            return "too_few_words"
        if self.max_words is not None and n > self.max_words:
            return "too_many_words"
        long_enough = n >= self.min_words_for_ratios
        if long_enough and not doc.cjk:
            idents = _IDENT_WORD.findall(doc.text)
            chars, count = sum(map(len, words)), n
            if len(idents) < n:
                chars, count = chars - sum(map(len, idents)), n - len(idents)
            avg = chars / count
            if self.min_avg_word_length is not None and avg < self.min_avg_word_length:
                return "avg_word_length_low"
            if self.max_avg_word_length is not None and avg > self.max_avg_word_length:
                return "avg_word_length_high"
        if long_enough and self.max_symbol_word_ratio is not None:
            t = doc.text
            symbols = (len(_HASH_TOKEN.findall(t)) if "#" in t else 0) + t.count("...") + t.count("…")
            if symbols / n > self.max_symbol_word_ratio:
                return "symbol_word_ratio"
        lines = doc.lines
        if lines and self.max_bullet_lines_ratio is not None:
            if sum(ln.lstrip().startswith(_BULLETS) for ln in lines) / len(lines) > self.max_bullet_lines_ratio:
                return "bullet_lines"
        if lines and self.max_ellipsis_lines_ratio is not None and ("..." in doc.text or "…" in doc.text):
            if sum(ln.endswith(("...", "…")) for ln in lines) / len(lines) > self.max_ellipsis_lines_ratio:
                return "ellipsis_lines"
        if long_enough and self.max_non_alpha_words_ratio is not None:
            if (n - len(_NON_ALPHA_TOKEN.findall(doc.text))) / n < self.max_non_alpha_words_ratio:
                return "non_alpha_words"
        if self.min_stop_words is not None and n >= 50 and doc.script == "latin":
            if sum(w.lower().strip(".,;:!?\"'()") in STOP_WORDS for w in words) < self.min_stop_words:
                return "few_stop_words"
        return None


@register
class GopherRepetition(WebTextRule):
    """Gopher repetition rules (Rae et al. 2021, table A1; datatrove GopherRepetitionFilter defaults)."""

    name = "gopher_repetition"
    reasons = (
        "dup_line_ratio",
        "dup_para_ratio",
        "dup_line_char_ratio",
        "dup_para_char_ratio",
        "top_ngram_ratio",
        "dup_ngram_ratio",
    )
    # Measured as above (benchmarks/results/precision.json): technical prose repeats its terms, code repeats fences and
    # brackets; 1 passage written twice among 41 flags (dup_ngram_ratio 0 of 24, top_ngram_ratio 0 of 6,
    # dup_para_ratio 0 of 6, dup_line_ratio 0 of 3, dup_para_char_ratio 1 of 2).
    precision = {
        "dup_line_ratio": 0.0,
        "dup_para_ratio": 0.0,
        "dup_para_char_ratio": 0.5,
        "top_ngram_ratio": 0.0,
        "dup_ngram_ratio": 0.0,
    }

    dup_line_frac: float | None = 0.3  # datatrove 0.3
    dup_para_frac: float | None = 0.3  # datatrove 0.3
    dup_line_char_frac: float | None = 0.2  # datatrove 0.2
    dup_para_char_frac: float | None = 0.2  # datatrove 0.2
    top_n_grams: tuple = ((2, 0.2), (3, 0.18), (4, 0.16))  # datatrove defaults
    dup_n_grams: tuple = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))
    min_lines: int = 3  # adapted: line/paragraph rules need this many lines
    # adapted: n-gram rules need Gopher's 50-word minimum document (CJK: 2x as many characters); below it one
    # repeated name trips them
    min_tokens: int = 50
    skip_code: bool = True  # adapted: fenced/obvious code is not prose

    def __post_init__(self):
        self.top_n_grams = tuple(tuple(x) for x in self.top_n_grams)  # YAML gives lists
        self.dup_n_grams = tuple(tuple(x) for x in self.dup_n_grams)

    def __call__(self, rec: Record) -> str | None:
        if self.skips(rec):
            return None
        doc = _prose(rec, self.skip_code)
        text = doc.stripped
        if not text:
            return None
        total = len(text)
        paras = [p for p in re.split(r"\n{2,}", text) if p.strip()]
        for unit, units, frac, char_frac in (  # the same two rules on paragraphs, then on lines
            ("para", paras, self.dup_para_frac, self.dup_para_char_frac),
            ("line", doc.lines, self.dup_line_frac, self.dup_line_char_frac),
        ):
            if len(units) >= self.min_lines:
                n, chars = _duplicates(units)
                if frac is not None and n / len(units) > frac:
                    return f"dup_{unit}_ratio"
                if char_frac is not None and chars / total > char_frac:
                    return f"dup_{unit}_char_ratio"
        tokens, mult = _tokens(doc)
        if len(tokens) < self.min_tokens * mult:
            return None
        sep = "" if doc.cjk else " "
        for n, frac in self.top_n_grams:
            n *= mult
            grams = Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
            if not grams:
                continue
            gram, count = grams.most_common(1)[0]
            if count > 1 and len(sep.join(gram)) * count / total > frac:
                return "top_ngram_ratio"
        for n, frac in self.dup_n_grams:
            n *= mult
            seen: set[tuple] = set()
            dup = [False] * len(tokens)
            for i in range(len(tokens) - n + 1):
                g = tuple(tokens[i : i + n])
                if g in seen:
                    for j in range(i, i + n):
                        dup[j] = True
                else:
                    seen.add(g)
            if sum(len(t) for t, d in zip(tokens, dup) if d) / total > frac:
                return "dup_ngram_ratio"
        return None


_JS = re.compile(r"(enable|requires?|turn on|activate)\s+javascript|javascript (is )?(disabled|required)", re.I)
_POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")


@register
class C4Rules(Signal):
    """C4 line rules (Raffel et al. 2020, sec. 2.2; datatrove C4QualityFilter defaults), adapted to answers."""

    name = "c4"
    reasons = ("javascript_notice", "policy_boilerplate", "word_too_long", "curly_bracket", "too_few_sentences")

    # datatrove True (any line with "javascript"); adapted: only "enable javascript" notices, so JS questions are kept
    filter_javascript: bool = True
    filter_policy: bool = True  # datatrove True
    max_word_length: int | None = 1000  # datatrove 1000
    filter_curly_bracket: bool = False  # datatrove True; adapted: off, code answers use braces
    min_num_sentences: int | None = None  # datatrove 5; adapted: off, one sentence can answer
    skip_code: bool = True  # adapted: fenced/obvious code is not prose

    def __call__(self, rec: Record) -> str | None:
        doc = _prose(rec, self.skip_code)
        text = doc.text
        if not doc.stripped:
            return None
        if self.filter_javascript and "javascript" in doc.norm and _JS.search(text):
            return "javascript_notice"
        if self.filter_policy:
            low = doc.norm
            if any(p in low for p in _POLICY):
                return "policy_boilerplate"
        if self.max_word_length is not None and doc.words and max(map(len, doc.words)) > self.max_word_length:
            return "word_too_long"
        if self.filter_curly_bracket and "{" in text:
            return "curly_bracket"
        if self.min_num_sentences is not None:
            ends = len(re.findall(r"[.!?。！？](\s|$)", text)) + len(re.findall(r"[다요죠까][.!?]?(\s|$)", text))
            if ends < self.min_num_sentences:
                return "too_few_sentences"
        return None


def _line_ends(line: str) -> bool:
    return line[-1] in TERMINAL or line[-1] in HANGUL_FINAL


@register
class FineWebRules(WebTextRule):
    """FineWeb rules (Penedo et al. 2024, sec. 3.3; datatrove FineWebQualityFilter defaults), for multi-line texts."""

    name = "fineweb"
    reasons = ("line_punct_ratio", "short_line_ratio", "char_dup_ratio", "list_ratio")
    # Measured as above (benchmarks/results/precision.json): lists, label/value lines and tables are how answers are
    # written (line_punct_ratio 1 of 41, short_line_ratio 0 of 31, char_dup_ratio 1 of 28, list_ratio 0 of 27).
    precision = {"line_punct_ratio": 0.0244, "short_line_ratio": 0.0, "char_dup_ratio": 0.0357, "list_ratio": 0.0}

    line_punct_thr: float | None = 0.12  # datatrove 0.12; Hangul sentence-final syllables count
    short_line_thr: float | None = 0.67  # datatrove 0.67
    short_line_length: int = 30  # datatrove 30
    char_duplicates_ratio: float | None = 0.01  # datatrove 0.01
    new_line_ratio: float | None = 0.3  # datatrove 0.3
    min_lines: int = 5  # adapted: a 1-4 line answer is not a web page
    skip_code: bool = True  # adapted: fenced/obvious code is not prose

    def __call__(self, rec: Record) -> str | None:
        if self.skips(rec):
            return None
        doc = _prose(rec, self.skip_code)
        lines = doc.lines
        if len(lines) < self.min_lines:
            return None
        if self.line_punct_thr is not None and sum(map(_line_ends, lines)) / len(lines) < self.line_punct_thr:
            return "line_punct_ratio"
        if self.short_line_thr is not None:
            if sum(len(ln) <= self.short_line_length for ln in lines) / len(lines) > self.short_line_thr:
                return "short_line_ratio"
        if self.char_duplicates_ratio is not None:
            if _duplicates(lines)[1] / max(len(doc.text.replace("\n", "")), 1) > self.char_duplicates_ratio:
                return "char_dup_ratio"
        if self.new_line_ratio is not None and doc.words:
            if doc.text.count("\n") / len(doc.words) > self.new_line_ratio:
                return "list_ratio"
        return None


# Web and mail boilerplate that has no place in an answer; Korean list for Korean news/shop/mail exports.
BOILERPLATE_EN = (
    "all rights reserved",
    "click here to",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "this email was sent",
    "read more »",
    "share this article",
)
BOILERPLATE_KO = (
    "무단 전재 및 재배포 금지",
    "무단전재 및 재배포 금지",
    "무단 전재",
    "저작권자 ©",
    "저작권자(c)",
    "구독과 좋아요",
    "좋아요와 구독",
    "본 메일은 발신 전용",
    "수신거부",
    "개인정보처리방침",
    "기사제보",
    "광고 문의",
    "로그인이 필요합니다",
    "더보기 클릭",
)


@register
class Boilerplate(Signal):
    """Web/mail boilerplate phrases in English and Korean (lists above)."""

    name = "boilerplate"
    reasons = ("boilerplate",)

    extra_phrases: tuple = ()

    def __post_init__(self):
        self.extra_phrases = tuple(self.extra_phrases)
        self._phrases = BOILERPLATE_EN + BOILERPLATE_KO + tuple(p.lower() for p in self.extra_phrases)

    def __call__(self, rec: Record) -> str | None:
        low = rec.answer.norm
        for p in self._phrases:
            if p in low:
                return "boilerplate"
        return None
