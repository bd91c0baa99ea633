"""Adaptive human rating sessions: a rater's next item comes from the pairs still unsettled, recomputed from the
session's votes so far (evalkit.ratings.adaptive.pick_unsettled). A session is adaptive when its config says
`adaptive: true` (record_session(..., extra={"adaptive": True})); evalkit.sessions.next_item calls this."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from evalkit.ratings.adaptive import pick_unsettled
from workbench.store import schema

__all__ = ["is_adaptive", "make_adaptive", "next_adaptive"]


def is_adaptive(conn, session_id: str) -> bool:
    """Whether the session hands out unsettled pairs first."""
    s = schema.rating_sessions
    cfg = conn.execute(sa.select(s.c.config).where(s.c.id == session_id)).scalar() or {}
    return bool(cfg.get("adaptive"))


def next_adaptive(conn, session_id: str, rater_id: str, *, seed: int = 0):
    """The rater's undone assignment whose pair is most unsettled given every vote of the session so far, or None
    when all the pairs left in their queue are settled (or the queue is done)."""
    a, b = schema.assignments, schema.battles
    rows = conn.execute(
        sa.select(a)
        .where(a.c.session_id == session_id, a.c.rater_id == rater_id, a.c.done.is_(False))
        .order_by(a.c.position)
    ).all()
    pairs = [r for r in rows if len(r.payload["models"]) == 2]
    if not pairs:
        return rows[0] if rows else None
    votes = conn.execute(sa.select(b.c.model_a, b.c.model_b, b.c.winner).where(b.c.run_id == session_id)).all()
    battles = pd.DataFrame(votes, columns=["model_a", "model_b", "winner"])
    options = [(r.id, *r.payload["models"]) for r in pairs]
    key = pick_unsettled(options, battles, seed=seed)
    return next((r for r in pairs if r.id == key), None)


def make_adaptive(store, session_id: str, adaptive: bool = True) -> None:
    """Turn a session's adaptive hand-out on (or off): from the next item on, raters get unsettled pairs first."""
    s = schema.rating_sessions
    with store.begin() as conn:
        cfg = conn.execute(sa.select(s.c.config).where(s.c.id == session_id)).scalar()
        if cfg is None:
            raise ValueError(f"no rating session {session_id!r}")
        conn.execute(s.update().where(s.c.id == session_id).values(config={**cfg, "adaptive": bool(adaptive)}))
