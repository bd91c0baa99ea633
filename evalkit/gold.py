"""Gold items in a rating session: units whose verdict is known, mixed unannounced into every rater's queue at a
chosen rate, so each rater's accuracy on them can be measured (`gold_accuracy` in evalkit.agreement's report).

The gold verdicts live in the session's config (`gold`: {unit id: verdict}, `gold_rate`), the mixed-in copies in
`assignments` like any other unit: a rater cannot tell a gold item from the others.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import sqlalchemy as sa

from workbench import verdicts
from workbench.errors import UserError
from workbench.store import Store, schema

__all__ = ["MAX_GOLD_RATE", "check_gold", "mix_gold", "session_gold", "session_units", "set_gold"]

MAX_GOLD_RATE = 0.5  # at most half a queue is gold: beyond that the session measures raters more than models


def _session(conn, session_id: str):
    sess = conn.execute(sa.select(schema.rating_sessions).where(schema.rating_sessions.c.id == session_id)).first()
    if sess is None:
        raise UserError(f"no rating session {session_id!r}")
    return sess


def check_gold(rows: Iterable[tuple[str, dict]], unit_ids: Iterable[str]) -> dict[str, str]:
    """Gold rows ((where, row) with unit_id or item_id, and verdict) as {unit id: canonical verdict}; a row without a
    verdict, with one that is not a pairwise verdict, or for a unit the session lacks is an error that names the
    first such row and says how many there are."""
    rows, units = list(rows), set(unit_ids)
    out, bad = {}, {"no verdict": [], "not a verdict": [], "not in the session": []}
    for where, row in rows:
        unit = str(row.get("unit_id") or row.get("item_id") or "").strip()
        raw = str(row.get("verdict") or "").strip()
        v = verdicts.parse(raw)
        problem = (
            "no verdict"
            if raw.lower() in verdicts.NO_VERDICT
            else "not a verdict"
            if v is None
            else "not in the session"
            if unit not in units
            else None
        )
        if problem:
            bad[problem].append(f"{where} ({unit or '?'})")
        else:
            out[unit] = v
    for problem, where in bad.items():
        if where:
            raise UserError(
                f"{where[0]}: gold item has {problem} ({len(where)} of {len(rows)} gold rows)",
                hint="each gold row needs a unit_id of this session and a verdict: A, B, tie or bothbad",
            )
    if not out:
        raise UserError("no gold items given", hint="a CSV with columns unit_id, verdict")
    return out


def set_gold(store: Store, session_id: str, gold: dict[str, str]) -> None:
    """Mark units of a session as gold with their verdicts (replacing any earlier gold)."""
    s = schema.rating_sessions
    with store.begin() as conn:
        sess = _session(conn, session_id)
        config = dict(sess.config or {})
        known = {u["unit_id"] for u in config.get("units", [])}
        unknown = sorted(set(gold) - known)
        if unknown:
            raise UserError(f"{len(unknown)} gold unit(s) not in the session, e.g. {unknown[0]!r}")
        config["gold"] = dict(gold)
        conn.execute(s.update().where(s.c.id == session_id).values(config=config))


def session_units(store: Store, session_id: str) -> list[dict]:
    """The session's units (unit_id, prompt, models, outputs, reference), for an admin choosing gold items."""
    with store.engine.connect() as conn:
        return list((_session(conn, session_id).config or {}).get("units") or [])


def session_gold(store: Store, session_id: str) -> dict[str, str]:
    """{unit id: verdict} of the session's gold items (empty when it has none)."""
    with store.engine.connect() as conn:
        return dict((_session(conn, session_id).config or {}).get("gold") or {})


def _gold_queue(rng, held: set, gold_units: list[dict], n_plain: int, rate: float) -> list[dict]:
    """The gold units to add to one rater's queue so gold is about `rate` of it (counting the gold units the rater
    was dealt already), each with a random left/right."""
    free = [u for u in gold_units if u["unit_id"] not in held]
    n_held = len(gold_units) - len(free)
    want = max(0, min(len(free), math.ceil(rate * n_plain / (1 - rate)) - n_held))
    picked = [free[i] for i in rng.permutation(len(free))[:want]]
    return [dict(u, order="AB" if rng.random() < 0.5 else "BA") for u in picked]


def mix_gold(store: Store, session_id: str, *, rate: float, seed: int = 0) -> dict[str, int]:
    """Add gold units to every rater's remaining queue at random places so that about `rate` of their items are gold
    (0 < rate ≤ MAX_GOLD_RATE); returns {rater id: gold items added}."""
    if not 0 < rate <= MAX_GOLD_RATE:
        raise UserError(f"gold rate must be in (0, {MAX_GOLD_RATE}], got {rate}", hint="e.g. 0.1 for one item in ten")
    a = schema.assignments
    rng = np.random.default_rng(seed)
    added = {}
    with store.begin() as conn:
        config = dict(_session(conn, session_id).config or {})
        gold = config.get("gold") or {}
        if not gold:
            raise UserError("the session has no gold items", hint="mark gold items first (unit_id, verdict)")
        units = [u for u in config.get("units", []) if u["unit_id"] in gold]
        rows = conn.execute(sa.select(a).where(a.c.session_id == session_id).order_by(a.c.position)).all()
        for rater in dict.fromkeys(r.rater_id for r in rows):
            mine = [r for r in rows if r.rater_id == rater]
            extra = _gold_queue(rng, {r.item_id for r in mine}, units, sum(r.item_id not in gold for r in mine), rate)
            added[rater] = len(extra)
            if extra:
                _insert(conn, session_id, rater, mine, extra, rng)
        config["gold_rate"] = rate
        conn.execute(
            schema.rating_sessions.update().where(schema.rating_sessions.c.id == session_id).values(config=config)
        )
    return added


def _insert(conn, session_id: str, rater: str, mine: list, extra: list[dict], rng) -> None:
    """Place the gold units at random among the rater's undone items and renumber the undone part of the queue."""
    a = schema.assignments
    todo = [r for r in mine if not r.done]
    start = max((r.position for r in mine if r.done), default=-1) + 1
    order: list = list(todo)
    for u in extra:
        order.insert(int(rng.integers(0, len(order) + 1)), u)
    for pos, entry in enumerate(order, start=start):
        if isinstance(entry, dict):
            payload = {k: entry.get(k) for k in ("prompt", "models", "outputs", "reference", "order")}
            conn.execute(
                a.insert().values(
                    session_id=session_id, rater_id=rater, item_id=entry["unit_id"], position=pos, done=False,
                    payload=payload,
                )
            )  # fmt: skip
        else:
            conn.execute(a.update().where(a.c.id == entry.id).values(position=pos))
