"""Generated-looking text: LLM self-reference, refusals, knowledge-cutoff talk and filler, English and Korean;
and template uniformity of a whole set (many answers opening the same way)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from curate.signals.base import Record, Signal, register

__all__ = ["LlmBoilerplate", "template_uniformity", "opening", "PHRASES"]

# Phrase lists, lower-case. Sources: phrases that instruction-set builders filter on (e.g. the "As an AI language
# model" lists used to clean ShareGPT-derived sets such as WizardLM/Vicuna "unfiltered"), plus their Korean forms.
PHRASES: dict[str, tuple[str, ...]] = {
    "llm_self_reference": (
        "as an ai language model",
        "as a language model",
        "as an ai assistant",
        "as a large language model",
        "as an ai,",
        "i am an ai",
        "i'm an ai",
        "i am a language model",
        "i'm just an ai",
        "openai",
        "ai 언어 모델로서",
        "ai 언어모델로서",
        "인공지능 언어 모델로서",
        "언어 모델로서",
        "ai 모델로서",
        "ai로서",
        "저는 ai",
        "저는 인공지능",
        "인공지능으로서",
        "ai 어시스턴트로서",
    ),
    "llm_refusal": (
        "i cannot assist",
        "i can't assist",
        "i cannot help with",
        "i can't help with",
        "i'm sorry, but i can",
        "i am sorry, but i can",
        "i cannot fulfill",
        "i can't fulfill",
        "i cannot provide",
        "i'm unable to",
        "i am unable to provide",
        "i must decline",
        "도와드릴 수 없습니다",
        "도움을 드릴 수 없습니다",
        "답변을 드릴 수 없습니다",
        "요청을 수행할 수 없습니다",
        "제공해 드릴 수 없습니다",
    ),
    "knowledge_cutoff": (
        "as of my last update",
        "as of my knowledge cutoff",
        "my knowledge cutoff",
        "my training data",
        "as of my last training",
        "i don't have access to real-time",
        "i do not have access to real-time",
        "i don't have real-time",
        "i do not have real-time",
        "i don't have browsing",
        "실시간 정보에 접근할 수 없",
        "실시간 정보에 접근할 수 없",
        "학습 데이터",
        "제 지식은",
        "지식 기준일",
        "최신 정보를 알 수 없",
    ),
    "llm_filler": (
        "i hope this helps",
        "certainly! here",
        "sure! here",
        "great question",
        "feel free to ask",
        "let me know if you have any other questions",
        "도움이 되었기를 바랍니다",
        "도움이 되셨기를 바랍니다",
        "궁금한 점이 있으시면 언제든지",
        "좋은 질문입니다",
    ),
}


@register
class LlmBoilerplate(Signal):
    """Phrases chat models leave in their answers; `filler=False` ignores the weak "I hope this helps" kind."""

    name = "llm_boilerplate"
    axis = "generated"
    reasons = tuple(PHRASES)

    filler: bool = True
    extra_phrases: tuple = ()

    def __post_init__(self):
        self.extra_phrases = tuple(self.extra_phrases)
        groups = {r: p for r, p in PHRASES.items() if self.filler or r != "llm_filler"}
        groups["llm_self_reference"] = groups["llm_self_reference"] + tuple(x.lower() for x in self.extra_phrases)
        # flat (phrase, reason) list: `in` on a str beats a regex alternation of 70 phrases by ~5x
        self._phrases = [(p, r) for r, ps in groups.items() for p in ps]

    def __call__(self, rec: Record) -> str | None:
        low = rec.answer.norm
        if not low:
            return None
        for p, r in self._phrases:
            if p in low:
                return r
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
