"""Ratings from pairwise battles: online Elo, Bradley-Terry with ties (half a win, or Davidson's), style control,
bootstrap CIs, CI-aware ranks, separability against a reference, adaptive pairing.

prepare (DataFrame → arrays, `battles`) → fit (numpy/scipy: `bt`, `elo`, `bootstrap`) → present (Elo scale `scale`,
JSON-ready dicts `leaderboard`, terminal `render`), after Chatbot Arena's rating code (FastChat
`fastchat/serve/monitor/rating_systems.py`) and its paper (Chiang et al. 2024, "Chatbot Arena", §5). Pure functions:
bad input raises InputError, a ValueError that the CLI turns into a message.

Elo scale everywhere: P(a beats b) = 1 / (1 + base ** ((R_b - R_a) / scale)), scale 400, base 10. Internally the
Bradley-Terry strengths are natural-log units (beta); rating = beta * scale / ln(base) + offset.
"""

from evalkit.ratings.battles import Battles, DisconnectedError, components, prepare, style_feature, unbounded
from evalkit.ratings.bootstrap import bootstrap_bt, bootstrap_elo
from evalkit.ratings.bt import DEFAULT_PRIOR, fit_bt
from evalkit.ratings.davidson import bootstrap_davidson, fit_davidson
from evalkit.ratings.elo import online_elo
from evalkit.ratings.leaderboard import ci_rank, leaderboard, parse_anchor
from evalkit.ratings.scale import BASE, OFFSET, SCALE, predicted_matrix, to_elo
from workbench import verdicts

# a name this module had before it became a package, kept for callers: model_a's score per Arena winner label
WINNER_LABELS = {winner: verdicts.SCORE[v] for v, winner in verdicts.WINNER.items()}

__all__ = [
    "BASE",
    "Battles",
    "DEFAULT_PRIOR",
    "DisconnectedError",
    "OFFSET",
    "SCALE",
    "WINNER_LABELS",
    "bootstrap_bt",
    "bootstrap_davidson",
    "bootstrap_elo",
    "ci_rank",
    "components",
    "fit_bt",
    "fit_davidson",
    "leaderboard",
    "online_elo",
    "parse_anchor",
    "predicted_matrix",
    "prepare",
    "style_feature",
    "to_elo",
    "unbounded",
]
