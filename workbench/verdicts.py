"""The one vocabulary of pairwise verdicts: A, B, tie, bothbad, and how files and other tools spell them.

A verdict says which of two answers is better. Judges, human raters, tournaments and agreement all speak it; the
battle files of Chatbot Arena and MT-Bench (Zheng et al. 2023, FastChat's llm_judge) spell it as winner
model_a / model_b / tie / "tie (bothbad)". Single-answer grading uses pass / fail.
"""

from __future__ import annotations

__all__ = [
    "A",
    "B",
    "TIE",
    "BOTHBAD",
    "PAIRWISE",
    "SINGLE",
    "UNPARSED",
    "ALIASES",
    "TIE_LIKE",
    "WINNER",
    "SCORE",
    "FROM_WINNER",
    "from_winner",
    "parse",
    "to_winner",
]

A, B, TIE, BOTHBAD = "A", "B", "tie", "bothbad"
PAIRWISE = (A, B, TIE, BOTHBAD)
SINGLE = ("pass", "fail")
UNPARSED = "unparsed"

# Chatbot Arena / MT-Bench battle files: the `winner` column
WINNER = {A: "model_a", B: "model_b", TIE: "tie", BOTHBAD: "tie (bothbad)"}
FROM_WINNER = {w: v for v, w in WINNER.items()}
# A's score in a battle: a win, a loss, or half for either kind of tie (Bradley-Terry and Elo count both as ties)
SCORE = {A: 1.0, B: 0.0, TIE: 0.5, BOTHBAD: 0.5}

# Spellings seen in rating files, judge outputs and other tools, lower-cased, to the verdict they mean
ALIASES = {
    "a": A,
    "model_a": A,
    "b": B,
    "model_b": B,
    "tie": TIE,
    "c": TIE,
    "draw": TIE,
    "bothbad": BOTHBAD,
    "both_bad": BOTHBAD,
    "both bad": BOTHBAD,
    "tie (bothbad)": BOTHBAD,
    "tie(bothbad)": BOTHBAD,
    "tie_bothbad": BOTHBAD,
    "d": BOTHBAD,
}
# labels that count as "neither answer is better" wherever agreement is computed on winners only
TIE_LIKE = frozenset({TIE, BOTHBAD, "c", "both_bad", "both bad", "tie (bothbad)"})


def parse(label: object) -> str | None:
    """The verdict a label means (any spelling in ALIASES, any case), or None."""
    return ALIASES.get(str(label).strip().lower())


def to_winner(verdict: str) -> str:
    """A verdict as a battle file's `winner` value."""
    return WINNER[verdict]


def from_winner(winner: str) -> str | None:
    """A battle file's `winner` value (or any alias) as a verdict, or None."""
    return parse(winner)
