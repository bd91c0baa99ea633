"""Inter-rater agreement for human and LLM verdicts, each figure with a bootstrap CI over items.

prepare → statistic → present, one module each: `table` validates a long table (item_id, rater, rating
[, rater_kind]) into a raters × items matrix; `stats` holds the statistics (% agreement with and without ties, Cohen's
and weighted kappa, Fleiss' kappa, Krippendorff's alpha, Spearman and Kendall, a confusion matrix, position
consistency, verbosity preference, the bootstrap), pure functions raising ValueError; `consensus` gives a label per
item (majority vote, Dawid-Skene) and `raters` the per-rater figures and flags against it; `report` assembles the
`evalkit agree --json` object, `messages` holds its sentences and `render` prints it for the terminal.
"""

from evalkit.agreement.consensus import CONSENSUS_METHODS, dawid_skene, majority_vote
from evalkit.agreement.messages import MESSAGES, alpha_message, english, interpret_alpha, interpret_kappa, kappa_message
from evalkit.agreement.raters import rater_report, rater_rows
from evalkit.agreement.render import report_text
from evalkit.agreement.report import agreement_report
from evalkit.agreement.stats import (
    alpha_from_coincidences,
    bootstrap_ci,
    cohen_kappa,
    confusion_matrix,
    fleiss_kappa,
    kendall,
    krippendorff_alpha,
    pair_counts,
    percent_agreement,
    position_consistency,
    spearman,
    unit_coincidences,
    verbosity_preference,
)
from evalkit.agreement.table import RaterMatrix, prepare
from workbench.verdicts import TIE_LIKE

# names this module had before it became a package, kept for callers
Ratings = RaterMatrix
TIE_LABELS = TIE_LIKE

__all__ = [
    "CONSENSUS_METHODS",
    "MESSAGES",
    "RaterMatrix",
    "Ratings",
    "TIE_LABELS",
    "agreement_report",
    "alpha_from_coincidences",
    "alpha_message",
    "bootstrap_ci",
    "cohen_kappa",
    "confusion_matrix",
    "dawid_skene",
    "fleiss_kappa",
    "interpret_alpha",
    "interpret_kappa",
    "kappa_message",
    "kendall",
    "krippendorff_alpha",
    "majority_vote",
    "pair_counts",
    "percent_agreement",
    "position_consistency",
    "prepare",
    "rater_report",
    "rater_rows",
    "report_text",
    "english",
    "spearman",
    "unit_coincidences",
    "verbosity_preference",
]
