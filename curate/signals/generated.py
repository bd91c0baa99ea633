"""Generated-looking text: LLM self-reference, refusals, knowledge-cutoff talk and filler, English and Korean;
and template uniformity of a whole set (many answers opening the same way)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from curate.signals.base import Record, Signal, register

__all__ = ["LlmBoilerplate", "template_uniformity", "opening", "PATTERNS"]

# Each reason is a list of regular expressions over the answer's prose (code and quoted strings taken out, lower case,
# whitespace collapsed). The phrases come from the lists instruction-set builders filter on (the "As an AI language
# model" lists used to clean ShareGPT-derived sets such as WizardLM/Vicuna "unfiltered"), and their Korean forms; each
# is matched in context, never as a bare substring: a mention of OpenAI, of "training data" / "학습 데이터" or of a
# language model is what people write about this field, so self-talk needs first-person or assistant framing (I, my,
# 저는, 제). Measured on benchmarks/precision (docs/flags.md): the bare "openai" and "학습 데이터" phrases were right
# 1 time in 41 and 0 in 5.
_I = r"(?:i|i'm|i am|i've|i have|i do|i don't|i do not|i can't|i cannot|my)\b"
_KO_I = r"(?:저는|제가|저의|제\s|저로서는)"
PATTERNS: dict[str, tuple[str, ...]] = {
    "llm_self_reference": (
        # "As an AI language model, I ..." (a subject of the sentence that follows must be me: I/my)
        rf"\bas (?:an? )?(?:ai|artificial intelligence|(?:ai |large )?language model|llm|ai assistant|ai model|"
        rf"virtual assistant|chatbot)\b[^.!?\n]{{0,40}}?[,]?\s*{_I}",
        r"\b(?:i am|i'm) (?:just |only |merely )?(?:an? )?(?:ai|artificial intelligence|(?:ai |large )?language model|"
        r"ai assistant|ai model|chatbot|virtual assistant)\b(?! (?:researcher|engineer|developer|company|startup))",
        r"\b(?:i am|i'm|i was|i've been) (?:chatgpt|gpt-\d|an? (?:\w+ )?model) (?:trained|developed|created|made|built) by\b",
        r"\b(?:i was|i've been|i have been) (?:trained|developed|created|made|built|programmed) by (?:openai|anthropic|google)",
        r"\b(?:i am|i'm) chatgpt\b",
        # Korean: "AI 언어 모델로서 (저는)", "저는 AI/인공지능 ...입니다", "저는 OpenAI가 만든"
        rf"(?:^|[.!?]\s*|{_KO_I}\s*)(?:ai |인공지능 )?(?:언어 ?모델|ai 어시스턴트|ai 모델|ai|인공지능)(?:로서|으로서)(?!의)",
        rf"(?:ai |인공지능 )?(?:언어 ?모델|ai 어시스턴트|ai 모델)(?:로서|으로서)(?!의)[^.!?]{{0,20}}{_KO_I}",
        r"저는 (?:ai|인공지능|언어 ?모델|챗봇|ai 어시스턴트)(?:이|입니다|이라|이기|일 뿐|로서|으로서|라서)",
        r"저는 (?:openai|오픈ai|오픈에이아이)(?:가|에서|에 의해)",
    ),
    "llm_refusal": (
        r"\bi (?:cannot|can't|can not) (?:assist|help) (?:with|you with)\b",
        r"\bi'?m sorry, but (?:i|as an)\b",
        r"\bi am sorry, but (?:i|as an)\b",
        r"\bi (?:cannot|can't) fulfill\b",
        r"\bi (?:cannot|can't) provide (?:assistance|help|information|an answer|that|any|personal|real-time)",
        r"\bi(?:'m| am) (?:unable|not able) to (?:assist|help|provide|fulfill|comply|answer|browse|access)",
        r"\bi must decline\b",
        r"도와드릴 수 없습니다|도움을 드릴 수 없습니다|답변을 드릴 수 없습니다|요청을 수행할 수 없습니다|제공해 드릴 수 없습니다",
    ),
    "knowledge_cutoff": (
        r"\bas of my (?:last|latest|most recent) (?:update|training|knowledge)",
        r"\bmy (?:knowledge|training)(?: data)? cut-?off\b",
        r"\bmy (?:training data|knowledge|training) (?:only )?(?:goes|extends|runs|is current|is limited|cuts off|"
        r"includes information|is up to|only covers)",
        r"\b(?:in|from|based on) my training data\b",
        r"\bi (?:don't|do not|cannot|can't) (?:have )?(?:access|browse)(?: to)? (?:real-time|the internet|current|live)",
        r"\bi (?:don't|do not) have (?:real-time|browsing|internet|live)",
        r"실시간 정보에 (?:접근|액세스)할 수 없",
        rf"{_KO_I}\s*(?:학습|훈련) 데이터(?:는|가|에는)?",
        r"제가 (?:학습|훈련)한 (?:데이터|정보)",
        r"(?:제|저의) (?:지식|정보)(?:은|는|으로는) \d{4}년",
        r"지식 (?:기준일|차단 시점|컷오프)",
    ),
    "llm_filler": (
        r"\bi hope this helps\b",
        r"^(?:certainly|sure|absolutely|of course)! here(?:'s| is| are)\b",
        r"^great question\b",
        r"\bfeel free to ask\b",
        r"\blet me know if you have any (?:other|more|further) questions\b",
        r"도움이 되(?:었|셨)기를 바랍니다",
        r"^좋은 질문입니다",
    ),
}
# Cheap literal tests before a reason's regexes: a text holding none of its hints cannot match.
_HINTS: dict[str, tuple[str, ...]] = {
    "llm_self_reference": ("as a", "i am", "i'm", "i was", "i've", "i have", "로서", "으로서", "저는"),
    "llm_refusal": ("i ", "i'", "없습니다"),
    "knowledge_cutoff": ("my ", "i ", "실시간", "데이터", "학습한", "훈련한", "지식"),
    "llm_filler": ("hope", "here", "great", "feel free", "let me", "바랍니다", "좋은 질문"),
}
_QUOTED = re.compile(r"\"[^\"\n]{0,300}\"|“[^”\n]{0,300}”|(?<!\w)'[^'\n]{0,300}'(?!\w)|`[^`\n]*`")
_SPACES = re.compile(r"\s+")
_FENCED = re.compile(r"```.*?(?:```|\Z)", re.S)
_CODE = re.compile(
    r"[;{}]\s*$|^\s*(?://|#include|import |def |class |public |private |return\b|print\(|std::)|\w\s*=\s*\S"
)


def speech(text: str) -> str:
    """What an answer says in its own voice: no fenced code, no lines of code, no inline code or quoted strings;
    lower case, one space."""
    if "```" in text:
        text = _FENCED.sub("\n", text)
    lines = [ln for ln in text.split("\n") if not _CODE.search(ln)]
    return _SPACES.sub(" ", _QUOTED.sub(" ", "\n".join(lines))).strip().lower()


@register
class LlmBoilerplate(Signal):
    """Phrases chat models leave in their answers, matched in context (first-person or assistant framing; see
    PATTERNS); `filler=False` ignores the weak "I hope this helps" kind; `extra_phrases` are literal self-reference
    phrases of your own."""

    name = "llm_boilerplate"
    axis = "generated"
    reasons = tuple(PATTERNS)
    # benchmarks/results/precision.json (docs/flags.md): 3 of 3 self-reference flags right; the other three reasons
    # flagged nothing on the labelled real data, so their precision is not measured
    precision = {"llm_self_reference": 1.0, "knowledge_cutoff": None, "llm_refusal": None, "llm_filler": None}

    filler: bool = True
    extra_phrases: tuple = ()

    def __post_init__(self):
        self.extra_phrases = tuple(self.extra_phrases)
        self._extra = tuple(x.lower() for x in self.extra_phrases)
        self._rules = [
            (r, _HINTS[r], re.compile("|".join(f"(?:{p})" for p in ps), re.M))
            for r, ps in PATTERNS.items()
            if self.filler or r != "llm_filler"
        ]

    def __call__(self, rec: Record) -> str | None:
        low = speech(rec.answer.text)
        if not low:
            return None
        for p in self._extra:
            if p in low:
                return "llm_self_reference"
        for reason, hints, rx in self._rules:
            if any(h in low for h in hints) and rx.search(low):
                return reason
        return None


_WORD = re.compile(r"\w+", re.UNICODE)


def opening(answer: str, n_words: int = 3) -> str:
    """An answer's opening: its first `n_words` words, lower case, digits masked ("" for no word)."""
    return " ".join(re.sub(r"\d+", "0", w) for w in _WORD.findall(answer.lower())[:n_words])


def template_uniformity(answers: Sequence[str] | Counter, *, n_words: int = 3, top: int = 5) -> dict:
    """How alike answers open: the share taken by the commonest opening (first `n_words` words, digits masked) and
    the normalised entropy of openings (1 = all different, 0 = all the same). Template-generated sets score low.
    `answers` may also be a Counter of `opening`s already counted (how the audit streams it)."""
    openings = answers if isinstance(answers, Counter) else Counter(opening(a, n_words) for a in answers)
    openings.pop("", None)
    n = sum(openings.values())
    if n == 0:
        return {"records": 0, "top_opening_share": 0.0, "opening_entropy": 1.0, "top_openings": []}
    probs = [c / n for c in openings.values()]
    ent = -sum(p * math.log(p) for p in probs)
    norm = ent / math.log(n) if n > 1 else 1.0
    return {
        "records": n,
        "top_opening_share": round(openings.most_common(1)[0][1] / n, 4),
        "opening_entropy": round(norm, 4),
        "top_openings": [{"opening": o, "count": c, "share": round(c / n, 4)} for o, c in openings.most_common(top)],
    }
