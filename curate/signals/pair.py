"""Pair rules: faults of one question/answer pair that web-text filters don't look for."""

from __future__ import annotations

import re
from typing import ClassVar

from curate.signals.base import Record, Signal, register
from curate.signals.script import HANGUL_FINAL, TERMINAL

__all__ = [
    "AnswerFault",
    "EitherSide",
    "EmptyField",
    "AnswerRepeatsQuestion",
    "Truncated",
    "HtmlRemnant",
    "TemplateToken",
    "Mojibake",
    "Placeholder",
    "UrlOnly",
    "SymbolSoup",
]


class EitherSide(Signal):
    """Base class for a fault of the text itself, found in the answer or the question alike: the unit says whether
    one text has it (`found`: by default, `pattern` matches a text holding one of the `hints`), the base asks of both
    sides and answers the unit's one reason."""

    hints: ClassVar[tuple[str, ...]] = ()  # substrings every match contains: a cheap test before the regex
    pattern: ClassVar[re.Pattern]

    def found(self, text: str) -> bool:
        for hint in self.hints:
            if hint in text:
                return self.pattern.search(text) is not None
        return False

    def __call__(self, rec: Record) -> str | None:
        return self.reasons[0] if self.found(rec.answer.text) or self.found(rec.prompt.text) else None


class AnswerFault(Signal):
    """Base class for a fault of the answer's text (stripped): the unit says whether a text has it (`found`); the base
    leaves the empty answer to `EmptyField` and answers the unit's one reason."""

    def found(self, text: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def __call__(self, rec: Record) -> str | None:
        text = rec.answer.stripped
        return self.reasons[0] if text and self.found(text) else None


@register
class EmptyField(Signal):
    """An empty or whitespace-only question or answer (a text record: empty text)."""

    name = "empty_field"
    reasons = ("empty_question", "empty_answer", "empty_text")
    definite = reasons  # an empty field is missing data by definition

    def __call__(self, rec: Record) -> str | None:
        if rec.kind == "text":
            return None if rec.answer.stripped else "empty_text"
        if not rec.prompt.stripped:
            return "empty_question"
        if not rec.answer.stripped:
            return "empty_answer"
        return None


_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


_YES_NO = frozenset(["yes", "no", "네", "예", "아니요", "아뇨", "아니오"])


@register
class AnswerRepeatsQuestion(Signal):
    """The answer only restates the question (rapidfuzz similarity of the normalised texts >= min_similarity)."""

    name = "answer_repeats_question"
    reasons = ("answer_repeats_question",)

    # hand-checked: at 0.9 "Yes, X is Y." restating "Is X Y?" was caught, and that is an answer
    min_similarity: float = 0.95

    def __call__(self, rec: Record) -> str | None:
        if rec.kind == "text":
            return None
        if len(rec.answer.text) > 1.2 * len(rec.prompt.text) + 10:
            return None  # far longer than the question: adds something whatever it says
        q = _PUNCT.sub(" ", rec.prompt.norm).strip()
        a = _PUNCT.sub(" ", rec.answer.norm).strip()
        if not q or not a:
            return None
        if q == a or (a in q and len(a) >= 0.6 * len(q)):
            return "answer_repeats_question"
        if a.split(" ", 1)[0] in _YES_NO:
            return None
        if abs(len(q) - len(a)) > (1 - self.min_similarity) * max(len(q), len(a)) + 1:
            return None
        from rapidfuzz import fuzz

        return "answer_repeats_question" if fuzz.ratio(q, a) / 100 >= self.min_similarity else None


# Words a finished English sentence does not end on.
_DANGLING = frozenset(
    "and or but the a an of to with for in on at by from that which who whose is are was were be "
    "been as if because its their your our his her this these those than then so such into "
    "about when while".split()
)
_OPENERS = ",:-–—(/&+=\\"  # not ';': code ends on it
_DASHES = "-–—"
_LAST_WORD = re.compile(r"([A-Za-z']+)\W*$")
# A last token that ends where it should without a full stop: a URL, an e-mail address, a file path or file name.
_ADDRESS = re.compile(
    r"(?:https?://|www\.)\S+$|[\w.+-]+@[\w-]+(?:\.[\w-]+)+$|(?:^|[\s=:'(])(?:~|\.{1,2})?/[\w.~/-]*$"
    r"|\S+\.(?:com|org|net|io|ai|kr|dev|md|mdx|html?|json|ya?ml|toml|py|txt|csv|sh)$",
    re.I,
)
# A list item, table row or heading: such lines end without a full stop by convention.
_ITEM = re.compile(r"^\s*(?:[-*•‣●◦▪·+>|#]|\d{1,3}[.)]|[a-zA-Z][.)]\s)")
# The last line is code: it ends where the code does, unless it stops on an opener ("{", "(", "=", ",").
_CODE_TAIL = re.compile(
    r";$|^\s{2,}\S|^\s*(?:\$ |#!|//|import |from \S+ import|def |class |return\b|print\(|let |const |var |for \(|"
    r"while |if \(|std::|public |private )|[\w\])]\s*(?:=|\+=|==)\s|^\s*(?:find|sed|grep|curl|pip|npm|git|docker|"
    r"export|cd|ls|cat|echo|python3?|ollama|sudo) \S"
)
_CODE_OPEN = "{([=,+\\&|"
_FIND_EXEC = re.compile(r"\{\}\s*\+$")  # find ... -exec cmd {} +
# Korean particles that cannot end a list item either (an object, topic or locative left hanging: "데이터셋을")
_KO_PARTICLES = frozenset("을를은는에와")
_NOMINAL = 16  # index of the final consonant ㅁ in a Hangul syllable: -음/-함/-됨/-냄 end a note or a list item


def _hangul_end(ch: str) -> bool:
    """A Hangul syllable a sentence or note can end on: -다/-요/-죠... (HANGUL_FINAL) or any nominal -ㅁ form."""
    return ch in HANGUL_FINAL or (ord(ch) - 0xAC00) % 28 == _NOMINAL


def _own_style_unpunctuated(lines: list[str]) -> bool:
    """Most earlier lines also end without terminal punctuation: the writer's style (notes, lists), not a cut."""
    body = [ln for ln in lines[:-1] if ln.strip()]
    if len(body) < 2:
        return False
    bare = sum(not (ln[-1] in TERMINAL or _hangul_end(ln[-1]) or ln[-1].isdigit()) for ln in body)
    return bare / len(body) >= 0.5


@register
class Truncated(Signal):
    """The answer stops mid-sentence: a dangling comma/conjunction/article or a colon announcing what never comes, a
    Hangul particle or connective ending, or a long prose answer whose last word runs on without punctuation.
    Not flagged: an answer ending on a URL, e-mail address or path, on code, on a list item or table row, on a Hangul
    sentence-final or nominal (-ㅁ) syllable, or a text whose own lines end without full stops."""

    name = "truncated"
    reasons = ("truncated",)
    precision = {"truncated": 0.9583}  # 23 of 24 flags, benchmarks/results/precision.json (docs/flags.md)

    min_words: int = 3  # shorter answers ("Yes", "Vector3") are never truncated
    # a lower-case run-on this long without an end is cut off; measured on benchmarks/precision (docs/flags.md)
    min_words_no_punct: int | None = 15

    def __call__(self, rec: Record) -> str | None:
        doc = rec.answer
        t = doc.stripped
        if not t or len(doc.words) < self.min_words:
            return None
        lines = doc.lines
        tail = lines[-1] if lines else t
        last = t[-1]
        if last in TERMINAL or last.isdigit() or t.endswith("```") or _ADDRESS.search(t[-300:]):
            return None
        if _CODE_TAIL.search(tail):
            return "truncated" if last in _CODE_OPEN and not _FIND_EXEC.search(tail) else None
        if "\uac00" <= last <= "\ud7a3":
            if _hangul_end(last) or (_ITEM.match(tail) and last not in _KO_PARTICLES):
                return None
            return "truncated"
        if last in _OPENERS:
            return self._opener(t, last, lines)
        m = _LAST_WORD.search(t)
        if not (m and last.isalpha()):
            return None
        word = m.group(1)
        if word.lower() in _DANGLING:
            return "truncated"
        if (
            self.min_words_no_punct is not None
            and len(doc.words) >= self.min_words_no_punct
            and word.islower()
            and "\n" not in t[-200:]
            and not _ITEM.match(tail)
            and not _own_style_unpunctuated(lines)
        ):
            return "truncated"
        return None

    @staticmethod
    def _opener(t: str, last: str, lines: list[str]) -> str | None:
        before = t[:-1].rstrip()
        if last == "," and before and _hangul_end(before[-1]) and before[-1] in "다요죠까":
            return None  # "사셔야겠어요," : a finished sentence with a stray comma
        if last in _DASHES and t[-2:-1].isspace() and len(lines) >= 3:
            return None  # "Kenya - –": a dash standing for a missing value in a list
        return "truncated"


_HTML_TAGS = (
    "br|p|div|span|a|b|i|u|em|strong|table|tr|td|th|tbody|thead|ul|ol|li|h[1-6]|img|font|center|html|body|"
    "head|script|style|iframe|hr|blockquote|pre|sup|sub|small|label|form|button|meta|link|nav|section|"
    "article|header|footer"
)
_HTML = re.compile(
    rf"</?(?:{_HTML_TAGS})(?:\s[^<>]*)?/?>"
    r"|&(?:nbsp|amp|lt|gt|quot|apos|#\d{2,5}|#x[0-9a-fA-F]{2,4});",
    re.I,
)


@register
class HtmlRemnant(EitherSide):
    """HTML tags (`<br>`, `</p>`, ...) or entities (`&nbsp;`, `&#39;`) left over from an export, in either side."""

    name = "html_remnant"
    reasons = ("html_remnant",)
    precision = {"html_remnant": 0.8986}  # 62 of 69 flags, benchmarks/results/precision.json (docs/flags.md)
    hints = ("<", "&")
    pattern = _HTML


_TEMPLATE = re.compile(
    r"<\|(?:im_start|im_end|endoftext|eot_id|start_header_id|end_header_id|user|assistant|system)\|>"
    r"|\[/?INST\]|<</?SYS>>|</?s>|^### (?:Instruction|Response|Input):",
    re.M,
)


_FENCED_CODE = re.compile(r"```.*?(?:```|\Z)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUOTED_STRING = re.compile(r"\"[^\"\n]{0,300}\"|(?<!\w)'[^'\n]{0,300}'(?!\w)")


def _outside_code(text: str, *, strings: bool = False) -> str:
    """`text` without fenced blocks and inline code (and, with `strings`, quoted strings): what the writer says, not
    code they show. A template token or `{{var}}` in a code example is the subject, not a leak."""
    if "```" in text:
        text = _FENCED_CODE.sub("\n", text)
    if "`" in text:
        text = _INLINE_CODE.sub(" ", text)
    return _QUOTED_STRING.sub(" ", text) if strings else text


_EMPHASIS = "*_"


def _named(text: str, m: re.Match) -> bool:
    """The match is wrapped in markdown emphasis (`**<|im_end|>**`, `_[INST]_`): the writer names the token."""
    i, j = m.start(), m.end()
    return 0 < i and j < len(text) and text[i - 1] in _EMPHASIS and text[j] == text[i - 1]


@register
class TemplateToken(EitherSide):
    """Chat-template control tokens or prompt-format headers leaked into the text (`<|im_end|>`, `[INST]`), outside
    code and quoted strings."""

    name = "template_token"
    reasons = ("template_token",)
    # none flagged on the labelled real data after the fixes (0 of 16 before, 0 of 1 after the code fix; the bold-name
    # fix took the last), so not measured: its flags go to review; recall on planted tokens in docs/flags.md
    hints = ("<", "[", "###")
    pattern = _TEMPLATE

    def found(self, text: str) -> bool:
        # Measured on benchmarks/precision (docs/flags.md): matched anywhere, 0 of 16 flags were leaks; every one was
        # a template shown in a code block, inline code or a quoted token list (`special_tokens=["<|endoftext|>"]`),
        # and the last one a token named in bold prose ("an EOS token which is **<|im_end|>**").
        if not super().found(text):
            return False
        prose = _outside_code(text, strings=True)
        return any(not _named(prose, m) for m in self.pattern.finditer(prose))


@register
class Mojibake(EitherSide):
    """Text decoded with the wrong encoding (ftfy's badness heuristic) or carrying U+FFFD replacement characters."""

    name = "mojibake"
    reasons = ("mojibake",)

    def found(self, text: str) -> bool:
        if "\ufffd" in text:
            return True
        if text.isascii():  # ASCII cannot be mis-decoded; the empty text is ASCII
            return False
        from ftfy.badness import is_bad

        return is_bad(text)


_PLACEHOLDER = re.compile(
    r"lorem ipsum|\[(?:insert|your|placeholder|answer)\b[^\]]*\](?!\()|\{\{\s*\w+\s*\}\}"
    r"|\A\s*(?:n/?a|none|null|nan|xxx+|test|asdf|placeholder|answer here|-+|\?+|\.+|\(?미정\)?)\s*\Z"
    r"|내용\s*없음|작성\s*예정|추후\s*(?:작성|업데이트)|답변\s*준비\s*중",
    re.I,
)
_PLACEHOLDER_HINTS = ("lorem", "Lorem", "[", "{{", "작성", "없음", "추후", "준비")
_TODO = re.compile(r"\b(?:TODO|TBD|FIXME)\b")


@register
class Placeholder(AnswerFault):
    """Placeholder or filler text: lorem ipsum, TODO/TBD, `[insert ...]`, `{{var}}`, "N/A", Korean "작성 예정"."""

    name = "placeholder"
    reasons = ("placeholder",)
    precision = {
        "placeholder": 1.0
    }  # 5 of 5 flags (5 of 11 before the code fix), benchmarks/results/precision.json (docs/flags.md)

    def found(self, text: str) -> bool:
        # Measured on benchmarks/precision (docs/flags.md): 6 of 11 flags were wrong, five `{{ end }}` in Go templates
        # shown in code blocks and one link text `[Answer.AI](...)`; code and link texts are left out since.
        text = _outside_code(text)
        if (len(text) <= 20 or any(k in text for k in _PLACEHOLDER_HINTS)) and _PLACEHOLDER.search(text):
            return True
        return ("TODO" in text or "TBD" in text or "FIXME" in text) and _TODO.search(text) is not None


_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)


@register
class UrlOnly(AnswerFault):
    """The answer is nothing but one or more links."""

    name = "url_only"
    reasons = ("url_only",)

    def found(self, text: str) -> bool:
        return ("http" in text or "www." in text) and not _URL.sub("", text).strip(" \n\t,;.<>()[]-")


_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]*-[\s:|-]*\|?\s*$", re.M)  # | --- | :---: |


def _table_cells(text: str) -> str:
    """`text` with markdown table structure (rule lines, cell pipes, escaping backslashes) left out: a table of short
    values ("| q4_K_M | \\* |") is an answer, not symbol soup (measured: the rule's one flag on real data)."""
    return _TABLE_RULE.sub("", text).replace("|", " ").replace("\\", "")


@register
class SymbolSoup(Signal):
    """Mostly symbols: letters and digits are under `min_alnum_share` of the non-space characters."""

    name = "symbol_soup"
    reasons = ("symbol_soup",)
    # its one flag on the labelled real data was a markdown table of short values (0 of 1); tables are read by their
    # cells since, and it flags none there (benchmarks/results/precision.json, docs/flags.md)

    min_alnum_share: float = 0.5  # code is ~70 % alphanumeric; "!!!???" or "@#$%" is not
    min_chars: int = 4

    def __call__(self, rec: Record) -> str | None:
        t = rec.answer.text
        if "|" in t:
            t = _table_cells(t)
        visible = len(t) - sum(map(str.isspace, t))
        if visible < self.min_chars:
            return None
        return "symbol_soup" if sum(map(str.isalnum, t)) / visible < self.min_alnum_share else None
