"""LLM judges (single-answer grading, pairwise with both orders), verdict parsing, and verdicts in the store.

Verdicts are spelled as `workbench.verdicts` says; `read_ratings` (the store's table of verdicts) lives in
`evalkit.verdicts_io` and is re-exported here."""

from evalkit.judges.judge import (
    JUDGE_PARAMS,
    PairVerdict,
    SingleVerdict,
    combine_orders,
    load_prompts,
    pairwise_judge,
    pairwise_prompt,
    rubric_grade,
    rubric_grade_many,
    single_prompt,
)
from evalkit.judges.parse import UNPARSED, parse_pair_verdict, parse_pass_fail, parse_score
from evalkit.judges.record import HUMAN_REFERENCE, record_pair_verdicts, record_single_verdicts, reference_winrates
from evalkit.verdicts_io import read_ratings

__all__ = [
    "HUMAN_REFERENCE",
    "JUDGE_PARAMS",
    "PairVerdict",
    "SingleVerdict",
    "UNPARSED",
    "combine_orders",
    "load_prompts",
    "pairwise_judge",
    "pairwise_prompt",
    "parse_pair_verdict",
    "parse_pass_fail",
    "parse_score",
    "read_ratings",
    "record_pair_verdicts",
    "record_single_verdicts",
    "reference_winrates",
    "rubric_grade",
    "rubric_grade_many",
    "single_prompt",
]
