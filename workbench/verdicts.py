"""The one vocabulary of verdicts: A, B, tie, bothbad (pairwise), pass / fail (single answer), and how files, battle
tables and judges spell them.

A pairwise verdict says which of two answers is better. Judges, human raters, tournaments and agreement all speak it;
the battle files of Chatbot Arena and MT-Bench (Zheng et al. 2023, FastChat's llm_judge) spell it as winner
model_a / model_b / tie / "tie (bothbad)"; MT-Bench's judge answers [[A]] / [[B]] / [[C]] (tie) / [[D]] (both bad),
Arena-Hard's [[A>B]] / [[A>>B]] / [[A=B]]. Single-answer grading uses pass / fail, or a score.
"""

from __future__ import annotations

__all__ = [
    "A",
    "B",
    "TIE",
    "BOTHBAD",
    "PAIRWISE",
    "PASS",
    "FAIL",
    "SINGLE",
    "UNPARSED",
    "GRADED",
    "SKIP",
    "STORED",
    "NO_VERDICT",
    "SPELLINGS",
    "LETTERS",
    "MARKERS",
    "ALIASES",
    "JUDGE_SPELLINGS",
    "SINGLE_SPELLINGS",
    "TIE_LIKE",
    "WINNER",
    "SCORE",
    "FROM_WINNER",
    "from_winner",
    "parse",
    "parse_stored",
    "swap",
    "to_winner",
]

A, B, TIE, BOTHBAD = "A", "B", "tie", "bothbad"
PAIRWISE = (A, B, TIE, BOTHBAD)
PASS, FAIL = "pass", "fail"
SINGLE = (PASS, FAIL)
UNPARSED = "unparsed"  # a judge wrote something, but no readable verdict
GRADED = "score"  # a single-answer verdict that is a number: the score sits beside it
SKIP = "skip"  # a human rater's "unsure / skip" (the reason in the rationale): no verdict, left out of agreement
STORED = PAIRWISE + SINGLE + (UNPARSED,)  # what the results store's ratings.verdict holds (besides GRADED)
# labels that carry no verdict at all: left out before agreement is computed
NO_VERDICT = frozenset({"", UNPARSED, SKIP, "nan", "none", "null"})

# Chatbot Arena / MT-Bench battle files: the `winner` column
WINNER = {A: "model_a", B: "model_b", TIE: "tie", BOTHBAD: "tie (bothbad)"}
FROM_WINNER = {w: v for v, w in WINNER.items()}
# A's score in a battle: a win, a loss, or half for either kind of tie (Bradley-Terry and Elo count both as ties)
SCORE = {A: 1.0, B: 0.0, TIE: 0.5, BOTHBAD: 0.5}
_SWAPPED = {A: B, B: A}

# Spellings seen in rating and battle files and other tools, lower-cased, to the verdict they mean
SPELLINGS = {
    "a": A,
    "model_a": A,
    "b": B,
    "model_b": B,
    "tie": TIE,
    "draw": TIE,
    "bothbad": BOTHBAD,
    "both_bad": BOTHBAD,
    "both bad": BOTHBAD,
    "tie (bothbad)": BOTHBAD,
    "tie(bothbad)": BOTHBAD,
    "tie_bothbad": BOTHBAD,
}
# MT-Bench's pairwise judge letters, lower-cased: [[A]], [[B]], [[C]] for a tie, [[D]] when both answers are bad
LETTERS = {"a": A, "b": B, "c": TIE, "d": BOTHBAD}
MARKERS = tuple(letter.upper() for letter in LETTERS)  # ("A", "B", "C", "D"), in the judge prompt's order
ALIASES = {**SPELLINGS, **LETTERS}
# How a pairwise judge writes its verdict, normalised (lower case; spaces, "_" and "-" removed): MT-Bench's letters,
# Arena-Hard's comparisons ([[A>>B]] much better, [[A>B]] better, [[A=B]] tie), and the names a JSON answer uses.
JUDGE_SPELLINGS = {
    **LETTERS,
    "a>b": A,
    "a>>b": A,
    "b>a": B,
    "b>>a": B,
    "a=b": TIE,
    TIE: TIE,
    BOTHBAD: BOTHBAD,
    "assistanta": A,
    "answera": A,
    "assistantb": B,
    "answerb": B,
}
# How a pass/fail judge writes its verdict, lower-cased, in English and Korean
SINGLE_SPELLINGS = {PASS: PASS, FAIL: FAIL, "통과": PASS, "불통과": FAIL, "탈락": FAIL}
# labels that count as "neither answer is better" wherever agreement is computed on winners only (MT-Bench's
# agreement "without tie", Zheng et al. 2023 Table 8; FastChat counts "tie (bothbad)" as a tie)
TIE_LIKE = frozenset(label for label, v in ALIASES.items() if v in (TIE, BOTHBAD))


def parse(label: object, *, letters: bool = True) -> str | None:
    """The pairwise verdict a label means (any spelling, any case), or None. `letters=False` leaves MT-Bench's judge
    letters C and D out, for a column where a single letter may also be a model's name."""
    key = str(label).strip().lower()
    return (ALIASES if letters else SPELLINGS).get(key)


def parse_stored(label: object) -> str | None:
    """A label as the store keeps it: a pairwise verdict (any spelling), pass, fail or unparsed; None otherwise."""
    key = str(label).strip().lower()
    return ALIASES.get(key) or (key if key in STORED else None)


def swap(verdict: str) -> str:
    """The verdict with the two answers' places swapped (A ↔ B; ties and other labels stay)."""
    return _SWAPPED.get(verdict, verdict)


def to_winner(verdict: str) -> str:
    """A verdict as a battle file's `winner` value."""
    return WINNER[verdict]


def from_winner(winner: str) -> str | None:
    """A battle file's `winner` value (or any alias) as a verdict, or None."""
    return parse(winner)
