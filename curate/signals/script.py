"""Script and language detection by Unicode block counts, and Hangul-aware sentence ends (pure functions; the
`script` signal that uses them is in curate.signals.language).

No model download: the script is the block most letters fall in; the language follows from the script (Hangul → ko,
Kana → ja, Han → zh) or, for Latin text, from English stop words (the Gopher list).
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["SCRIPTS", "dominant_script", "script_counts", "language", "ends_sentence", "HANGUL_FINAL", "TERMINAL"]

SCRIPTS: dict[str, re.Pattern] = {
    "hangul": re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"),
    "han": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "arabic": re.compile(r"[\u0600-\u06ff]"),
}
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_ENGLISH_STOP = frozenset(["the", "be", "to", "of", "and", "that", "have", "with", "is", "a", "in", "it"])

# Syllables a Korean sentence ends on: declarative/polite/interrogative endings (-다, -요, -죠, -까, -네, -오)
# and the nominal style of notes and manuals (-음, -함, -임, -됨, -짐), plus imperative/propositive (-라, -자).
HANGUL_FINAL = frozenset("다요죠까네오음함임됨짐라자")
TERMINAL = frozenset(".!?。！？…\"'”’)]}>」』`*|")


def script_counts(text: str) -> Counter:
    return Counter({name: len(rx.findall(text)) for name, rx in SCRIPTS.items()})


def dominant_script(text: str) -> str:
    """The script most letters of `text` are in; Kana wins over Han when present (Japanese mixes both)."""
    if text.isascii():  # fast path: most English records
        return "latin" if _ASCII_LETTER.search(text) else "none"
    counts = script_counts(text)
    total = sum(counts.values())
    if total == 0:
        return "none"
    if counts["kana"] >= 0.1 * total:
        return "kana"
    return counts.most_common(1)[0][0]


def language(text: str) -> str:
    """ko, ja, zh, en, ru, ar, or the script name when the language is not told apart (e.g. "latin")."""
    script = dominant_script(text)
    if script == "latin":
        words = text.lower().split()
        stop = sum(w.strip(".,;:!?") in _ENGLISH_STOP for w in words)
        return "en" if words and stop / len(words) >= 0.08 or stop >= 2 else "latin"
    return {"hangul": "ko", "kana": "ja", "han": "zh", "cyrillic": "ru", "arabic": "ar"}.get(script, script)


def ends_sentence(text: str) -> bool:
    """True when `text` ends like a finished sentence: terminal punctuation, or a Hangul sentence-final syllable."""
    t = text.rstrip()
    if not t:
        return False
    last = t[-1]
    return last in TERMINAL or last in HANGUL_FINAL
