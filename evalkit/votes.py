"""A rater's own votes after `sessions.cast_vote`: "unsure / skip" with a reason, review, and changing a vote while
the session is open, with the earlier verdicts kept.

The store holds one `ratings` row per (session, item, rater) (`uq_rating_once`), so a change rewrites that row and
appends what it said before to `raw["history"]` ({verdict, score, rationale, at}): the audit trail lives with the
vote. The pairwise `battles` row follows the current verdict (a skip has none: it says nothing about the models).
Once the model names are shown to a rater at the end of their queue (`finalise`), their votes are final:
`raw["final_at"]` is set and `change` refuses, so no vote is changed knowing whose answer was whose.
"""

from __future__ import annotations

import sqlalchemy as sa

from evalkit import sessions
from workbench import verdicts
from workbench.store import Store, schema, utcnow

__all__ = [
    "REVEAL",
    "SKIP",
    "Closed",
    "NotVoted",
    "skip",
    "my_votes",
    "change",
    "finalise",
    "is_final",
    "display_verdict",
    "screen_config",
]

SKIP = verdicts.SKIP


class Closed(Exception):
    """The session is closed (archived) or this rater's votes are final: votes can no longer change."""


class NotVoted(Exception):
    """This rater has no vote on this item to change."""


def _display_models(payload: dict) -> list[str]:
    models = list(payload["models"])
    return models if payload.get("order", "AB") == "AB" else list(reversed(models))


def _session_closed(conn, session_id: str) -> bool:
    """An archived session takes no changes (its config's `archived`, or an `archived_at` column where there is one)."""
    s = schema.rating_sessions
    row = conn.execute(sa.select(s).where(s.c.id == session_id)).mappings().first()
    if row is None:
        return True
    cfg = row.get("config") or {}
    return bool(row.get("archived_at") or row.get("archived") or cfg.get("archived") or cfg.get("closed"))


def _assignment(conn, session_id: str, rater_id: str, item_id: str):
    a = schema.assignments
    return conn.execute(
        sa.select(a).where(a.c.session_id == session_id, a.c.rater_id == rater_id, a.c.item_id == item_id)
    ).first()


def skip(store: Store, session_id: str, rater_id: str, item_id: str, reason: str | None = None) -> dict:
    """Store "unsure / skip" (verdict `skip`, the reason as rationale, no battle) and mark the item done, in one
    transaction. Agreement leaves skips out (`verdicts.NO_VERDICT`). Raises NotAssigned / AlreadyRated (sessions)."""

    a = schema.assignments
    try:
        with store.begin() as conn:
            row = _assignment(conn, session_id, rater_id, item_id)
            if row is None:
                raise sessions.NotAssigned(item_id)
            if row.done:
                raise sessions.AlreadyRated(item_id)
            kind = conn.execute(sa.select(schema.raters.c.kind).where(schema.raters.c.id == rater_id)).scalar_one()
            p = row.payload
            pair = len(p["models"]) == 2
            conn.execute(
                schema.ratings.insert().values(
                    session_id=session_id,
                    run_id=session_id,
                    item_id=item_id,
                    kind="pairwise" if pair else "single",
                    prompt=p["prompt"],
                    model_a=p["models"][0],
                    model_b=p["models"][1] if pair else None,
                    output_a=p["outputs"][0],
                    output_b=p["outputs"][1] if pair else None,
                    rater=rater_id,
                    rater_kind=kind,
                    verdict=SKIP,
                    rationale=reason or None,
                    order_shown=p["order"],
                    created_at=utcnow(),
                )
            )
            if conn.execute(a.update().where(a.c.id == row.id, a.c.done.is_(False)).values(done=True)).rowcount != 1:
                raise sessions.AlreadyRated(item_id)
    except sa.exc.IntegrityError as e:
        raise sessions.AlreadyRated(item_id) from e
    left, *right = _display_models(row.payload)
    return dict(item_id=item_id, left=left, right=right[0] if right else None)


def display_verdict(verdict: str | None, order: str) -> str | None:
    """A stored pairwise verdict in the terms the rater saw: left / right / tie / bothbad / skip."""
    if verdict == verdicts.A:
        return "left" if order == "AB" else "right"
    if verdict == verdicts.B:
        return "right" if order == "AB" else "left"
    return verdict


def my_votes(store: Store, session_id: str, rater_id: str) -> list[dict]:
    """This rater's votes in queue order, as they saw them: item_id, position, prompt, texts (display order), models
    (display order), choice (left/right/tie/bothbad/skip; None for a score), score, rationale, changes (how many
    times changed), final."""
    a, r = schema.assignments, schema.ratings
    q = (
        sa.select(a.c.item_id, a.c.position, a.c.payload, r.c.verdict, r.c.score, r.c.rationale, r.c.raw)
        .join(r, sa.and_(r.c.session_id == a.c.session_id, r.c.item_id == a.c.item_id, r.c.rater == a.c.rater_id))
        .where(a.c.session_id == session_id, a.c.rater_id == rater_id)
        .order_by(a.c.position)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    out = []
    for item_id, position, p, verdict, score, rationale, raw in rows:
        order = p.get("order", "AB")
        texts = p["outputs"] if order == "AB" else list(reversed(p["outputs"]))
        raw = raw or {}
        out.append(
            dict(
                item_id=item_id,
                position=position,
                prompt=p["prompt"],
                texts=list(texts),
                models=_display_models(p),
                choice=display_verdict(verdict, order) if verdict != verdicts.GRADED else None,
                score=score,
                rationale=rationale,
                changes=len(raw.get("history", [])),
                final=bool(raw.get("final_at")),
            )
        )
    return out


def _new_values(row, choice: str | None, score: float | None, rationale: str | None) -> dict:
    """The rating row's new verdict / score / rationale; ValueError for a choice the item's kind doesn't take."""
    if choice == SKIP:
        return dict(verdict=SKIP, score=None, rationale=rationale or None)
    if row.kind == "single":
        if score is None:
            raise ValueError("a single-answer item needs a score or skip")
        return dict(verdict=verdicts.GRADED, score=float(score), rationale=rationale or None)
    if choice not in ("left", "right", verdicts.TIE, verdicts.BOTHBAD):
        raise ValueError(f"choice must be left, right, tie, bothbad or skip, got {choice!r}")
    return dict(verdict=sessions.canonical(row.order_shown or "AB", choice), score=None, rationale=rationale or None)


def _sync_battle(conn, session_id: str, row, verdict: str) -> None:
    """Keep the pair's battle in step with the current verdict: updated, added (after a skip) or removed (skip)."""
    b = schema.battles
    where = sa.and_(b.c.run_id == session_id, b.c.item_id == row.item_id, b.c.judge == row.rater)
    if verdict not in verdicts.PAIRWISE:
        conn.execute(b.delete().where(where))
        return
    winner = verdicts.to_winner(verdict)
    if conn.execute(b.update().where(where).values(winner=winner)).rowcount:
        return
    suite = conn.execute(
        sa.select(schema.rating_sessions.c.suite).where(schema.rating_sessions.c.id == session_id)
    ).scalar()
    models, outputs = (row.model_a, row.model_b), (row.output_a, row.output_b)
    conn.execute(
        b.insert().values(
            **sessions.battle_row(
                session_id, suite, row.item_id, models, outputs, verdict, row.rater, row.rater_kind, utcnow()
            )
        )
    )


def change(
    store: Store,
    session_id: str,
    rater_id: str,
    item_id: str,
    choice: str | None = None,
    *,
    score: float | None = None,
    rationale: str | None = None,
) -> dict:
    """Change this rater's vote on an item (choice in display terms, or a score, or `skip`), keeping what it said
    before in `raw["history"]`. Raises NotVoted (no vote yet), Closed (session archived or votes final)."""
    r = schema.ratings
    with store.begin() as conn:
        row = conn.execute(
            sa.select(r).where(r.c.session_id == session_id, r.c.item_id == item_id, r.c.rater == rater_id)
        ).first()
        if row is None:
            raise NotVoted(item_id)
        raw = dict(row.raw or {})
        if raw.get("final_at") or _session_closed(conn, session_id):
            raise Closed(session_id)
        new = _new_values(row, choice, score, rationale)
        old = dict(verdict=row.verdict, score=row.score, rationale=row.rationale)
        if new == old:
            return dict(item_id=item_id, changed=False)
        at = row.created_at.isoformat() if row.created_at else None
        raw["history"] = [*raw.get("history", []), dict(old, at=at)]
        conn.execute(r.update().where(r.c.id == row.id).values(**new, raw=raw, created_at=utcnow()))
        if row.kind == "pairwise":
            _sync_battle(conn, session_id, row, new["verdict"])
    return dict(item_id=item_id, changed=True)


def finalise(store: Store, session_id: str, rater_id: str) -> int:
    """Mark this rater's votes final (the model names are about to be shown); returns how many were marked."""
    r = schema.ratings
    now = utcnow().isoformat()
    n = 0
    with store.begin() as conn:
        rows = conn.execute(sa.select(r.c.id, r.c.raw).where(r.c.session_id == session_id, r.c.rater == rater_id)).all()
        for rid, raw in rows:
            if not (raw or {}).get("final_at"):
                conn.execute(r.update().where(r.c.id == rid).values(raw={**(raw or {}), "final_at": now}))
                n += 1
    return n


def is_final(store: Store, session_id: str, rater_id: str) -> bool:
    """Whether this rater's votes in the session are final (names shown) or the session is closed."""
    r = schema.ratings
    with store.engine.connect() as conn:
        if _session_closed(conn, session_id):
            return True
        raws = conn.execute(sa.select(r.c.raw).where(r.c.session_id == session_id, r.c.rater == rater_id)).scalars()
        return any((raw or {}).get("final_at") for raw in raws)


REVEAL = ("never", "end", "each")


def screen_config(store: Store, session_id: str) -> dict:
    """What the rater's screen shows beside the task: rubric, example, scale, and the reveal policy (never | end |
    each; "each" for sessions stored before there was one), from the session's stored config."""
    s = schema.rating_sessions
    with store.engine.connect() as conn:
        cfg = conn.execute(sa.select(s.c.config).where(s.c.id == session_id)).scalar() or {}
    reveal = cfg.get("reveal", "each")
    return dict(
        rubric=cfg.get("rubric"),
        example=cfg.get("example"),
        scale=list(cfg.get("scale") or [1, 10]),
        reveal=reveal if reveal in REVEAL else "each",
    )
