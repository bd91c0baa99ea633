"""Expert rating sessions: create, assign, show the next blind item, and cast a vote.

One implementation for everyone who opens or fills a session: the rating app's pages, the tournament's human queue
(`evalkit tournament --judge human`), the demo and the load test. A session is a list of units (one prompt with one or
two model answers) stored in `rating_sessions`; `assign` deals them into per-rater queues (`assignments`).

`cast_vote` is the one write path for a human verdict. It writes the rating (and, for pairwise sessions, the battle)
and marks the assignment done in one transaction, so a vote is stored before the next item is shown; the store's
unique constraint `uq_rating_once` makes a second vote on an item impossible.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterable, Sequence

import numpy as np
import sqlalchemy as sa

from evalkit import adaptive_sessions, people
from workbench import verdicts
from workbench.errors import UserError
from workbench.store import Store, schema, utcnow

__all__ = [
    "create_session",
    "open_session",
    "archive_session",
    "identical_pairs",
    "same_text",
    "REVEAL",
    "record_session",
    "session_unit",
    "assign",
    "next_item",
    "cast_vote",
    "progress",
    "rater_progress",
    "session_summary",
    "rater_sessions",
    "session_config",
    "sessions",
    "items_from_suite",
    "suite_models",
    "suites_with_outputs",
    "AlreadyRated",
    "NotAssigned",
    "SetupError",
    "CHOICES",
]

# What a rater clicks, in display terms: the left or the right answer, or one of the two ties.
CHOICES = ("left", "right", verdicts.TIE, verdicts.BOTHBAD)
MODES = ("pairwise", "single")
# When a rater learns which model wrote which answer: never, once their queue is done, or after each vote (sessions
# stored without the key behave as "each"). An expert who rates many pairs of the same models learns their styles
# if names show after every vote, so the admin page proposes "end".
REVEAL = ("never", "end", "each")


class AlreadyRated(Exception):
    """This rater already rated this item (the database refused a second row)."""


class NotAssigned(Exception):
    """The item is not in this rater's queue."""


class SetupError(UserError):
    """A session the admin can't create as asked: `key` and `fields` name the app catalogue's sentence for it, the
    message says it in English (for the CLI and the logs)."""

    def __init__(self, key: str, message: str, hint: str | None = None, **fields):
        super().__init__(message, hint=hint)
        self.key, self.fields = key, fields


# ---------------------------------------------------------------------------------------------------------------
# creating a session
# ---------------------------------------------------------------------------------------------------------------
def session_unit(item_id: str, index: int, prompt, models: Sequence[str], outputs: Sequence[str], reference=None):
    """One unit a rater sees: a prompt with one answer (single) or two (pairwise), in `models` order.

    Its id is `item_id/p<index>` (pairwise) or `item_id/m<index>` (single): unit ids reach the rater's page, so they
    carry no model names."""
    kind = "p" if len(models) == 2 else "m"
    return dict(
        unit_id=f"{item_id}/{kind}{index}",
        prompt=prompt,
        models=list(models),
        outputs=list(outputs),
        reference=reference,
    )


def same_text(a: str | None, b: str | None) -> bool:
    """Whether two answers are the same once runs of whitespace are one space (nothing to judge between them)."""
    return " ".join((a or "").split()) == " ".join((b or "").split())


def _units(items: Sequence[dict], models: Sequence[str], mode: str) -> tuple[list[dict], int]:
    """One unit per (item, model pair) for pairwise, per (item, model) for single-answer rubric scoring; pairs whose
    two answers are the same text are left out. Returns (units, identical pairs left out)."""
    units, skipped = [], 0
    for it in items:
        outs = it["outputs"]
        have = [m for m in models if m in outs]
        groups = itertools.combinations(have, 2) if mode == "pairwise" else ((m,) for m in have)
        for i, group in enumerate(groups):
            if len(group) == 2 and same_text(outs[group[0]], outs[group[1]]):
                skipped += 1
                continue
            units.append(
                session_unit(it["item_id"], i, it["prompt"], group, [outs[m] for m in group], it.get("reference"))
            )
    return units, skipped


def identical_pairs(items: Sequence[dict], models: Sequence[str]) -> int:
    """How many of the pairs a pairwise session over `items` would hold have the same answer twice (and are skipped)."""
    return _units(items, models, "pairwise")[1]


def _session_rows(
    name: str,
    units: Sequence[dict],
    *,
    models: Sequence[str],
    mode: str = "pairwise",
    k: int = 1,
    suite: str | None = None,
    rubric: str | None = None,
    scale: Sequence[int] = (1, 10),
    reveal: str | None = None,
    session_id: str | None = None,
    run_name: str | None = None,
    run_config: dict | None = None,
    extra: dict | None = None,
) -> tuple[dict, dict]:
    """The `runs` row (kind "session", same id) and the `rating_sessions` row of a new session."""
    if reveal is not None and reveal not in REVEAL:
        raise UserError(f"reveal must be one of {', '.join(REVEAL)}, got {reveal!r}")
    sid, now = session_id or str(uuid.uuid4()), utcnow()
    run = dict(
        id=sid,
        kind="session",
        name=run_name or name,
        model=", ".join(models),
        config={"mode": mode, "k": k, "suite": suite, **(run_config or {})},
        status="running",
        created_at=now,
    )
    config = dict(rubric=rubric, scale=list(scale), units=list(units), **(extra or {}))
    if reveal is not None:
        config["reveal"] = reveal
    sess = dict(id=sid, name=name, suite=suite, models=list(models), mode=mode, k=k, config=config, created_at=now)
    return run, sess


def record_session(store: Store, name: str, units: Sequence[dict], **settings) -> str:
    """Store a session over ready-made units (`session_unit`); returns its id.

    settings: models, mode, k, suite, rubric, scale, reveal (never|end|each; unset behaves as each), session_id,
    run_name, run_config. The session is also a run (kind "session", same id, named `run_name` or `name`;
    `run_config` adds to its config), so its battles carry it as run_id."""
    run, sess = _session_rows(name, units, **settings)
    with store.begin() as conn:
        conn.execute(schema.runs.insert().values(**run))
        conn.execute(schema.rating_sessions.insert().values(**sess))
    return sess["id"]


def _check_session(items: Sequence[dict], models: Sequence[str], mode: str) -> tuple[list[dict], int]:
    if mode not in MODES:
        raise SetupError("ad.bad_mode", f"mode must be pairwise or single, got {mode!r}")
    if mode == "pairwise" and len(models) < 2:
        raise SetupError(
            "ad.two_models", "a pairwise session needs at least two models", hint="pick two or more models"
        )
    if not items:
        raise SetupError(
            "ad.no_items", "the session has no items", hint="pick a suite run that has outputs for these models"
        )
    units, skipped = _units(items, models, mode)
    if not units:
        raise SetupError(
            "ad.all_identical",
            f"all {skipped} pairs have the same answer twice: nothing to compare",
            hint="pick models whose answers differ",
            n=skipped,
        )
    return units, skipped


def create_session(
    store: Store,
    name: str,
    items: Sequence[dict],
    *,
    models: Sequence[str],
    mode: str = "pairwise",
    reveal: str = "end",
    **settings,
) -> str:
    """Record a session over `items` ({item_id, prompt, outputs: {model: text}, reference?}); returns its id.

    Pairwise: every pair of `models` on every item whose two answers differ (identical pairs are skipped and counted
    in the session's config, `identical_skipped`); single: every model's answer alone, scored on `scale`. `reveal`:
    when a rater sees the model names (never, at the end of their queue, after each vote). `settings` go to
    `record_session` as they are (k, suite, rubric, scale, session_id)."""
    units, skipped = _check_session(items, models, mode)
    return record_session(
        store, name, units, models=models, mode=mode, reveal=reveal, extra={"identical_skipped": skipped}, **settings
    )


# ---------------------------------------------------------------------------------------------------------------
# assigning units to raters
# ---------------------------------------------------------------------------------------------------------------
def _deal(units: Sequence[dict], raters: list[str], k: int, mode: str, rng: np.random.Generator):
    """Per-rater queues: each unit, in random order, to the k least-loaded raters (random tie break), each copy with
    its own random left/right order. Returns ({rater: [unit + order]}, {rater: load})."""
    load = {r: 0 for r in raters}
    queues: dict[str, list[dict]] = {r: [] for r in raters}
    for ui in rng.permutation(len(units)):
        u = units[ui]
        tie_break = rng.random(len(raters))
        chosen = sorted(range(len(raters)), key=lambda j: (load[raters[j]], tie_break[j]))[:k]
        for j in chosen:
            r = raters[j]
            load[r] += 1
            order = "AB" if (mode == "single" or rng.random() < 0.5) else "BA"
            queues[r].append(dict(u, order=order))
    return queues, load


def _assignment_rows(session_id: str, queues: dict[str, list[dict]]) -> list[dict]:
    """`assignments` rows: one per (rater, unit), numbered in queue order."""
    rows = []
    for r, q in queues.items():
        for pos, u in enumerate(q):
            payload = dict(
                prompt=u["prompt"],
                models=u["models"],
                outputs=u["outputs"],
                reference=u.get("reference"),
                order=u["order"],
            )
            rows.append(
                dict(session_id=session_id, rater_id=r, item_id=u["unit_id"], position=pos, done=False, payload=payload)
            )
    return rows


def _check_k(k: int, n_raters: int) -> None:
    if k < 1:
        raise SetupError("ad.k_range", f"k must be at least 1, got {k}", k=k)
    if k > n_raters:
        raise SetupError(
            "ad.too_few",
            f"k={k} ratings per item needs at least {k} raters, got {n_raters}",
            hint="invite more raters or lower k",
            k=k,
            n=n_raters,
        )


def assign(store: Store, session_id: str, rater_ids: Sequence[str], *, seed: int = 0) -> dict[str, int]:
    """Give each unit to k distinct raters, keeping loads within one of each other; randomise left/right per copy.

    Greedy least-loaded: units in random order, each to the k raters with the fewest units so far (random tie
    break) among those who don't hold it. Returns {rater_id: number of items}."""
    with store.engine.connect() as conn:
        sess = conn.execute(sa.select(schema.rating_sessions).where(schema.rating_sessions.c.id == session_id)).first()
    if sess is None:
        raise UserError(f"no rating session {session_id!r}")
    raters = list(dict.fromkeys(rater_ids))
    _check_k(int(sess.k), len(raters))
    queues, load = _deal(list(sess.config["units"]), raters, int(sess.k), sess.mode, np.random.default_rng(seed))
    store.insert(schema.assignments, _assignment_rows(session_id, queues))
    return load


def _check_people(store: Store, invite: Sequence[str], new_people: Sequence[str]) -> list[str]:
    """The new names, stripped; refuses an unknown or non-human invitee, a blank or repeated name, and a new name
    that is already someone's in the directory (pick them from the directory instead)."""
    known = {p["id"]: p for p in people.directory(store, kind=None)}
    for pid in invite:
        if pid not in known or known[pid]["kind"] != "human":
            raise SetupError("ad.unknown_person", f"no person with id {pid!r} in the directory", id=pid)
    names = [n.strip() for n in new_people if n.strip()]
    taken = {p["name"].casefold(): p["name"] for p in known.values()}
    seen: set[str] = set()
    for n in names:
        if len(n) > 255:
            raise SetupError("ad.name_too_long", f"the name {n[:40]!r}... is over 255 characters", name=n[:40])
        if n.casefold() in seen:
            raise SetupError("ad.name_twice", f"{n!r} is listed twice", hint="list each new person once", name=n)
        if n.casefold() in taken:
            raise SetupError(
                "ad.name_exists",
                f"{n!r} is already in the directory",
                hint="pick them from the people list instead of typing the name",
                name=taken[n.casefold()],
            )
        seen.add(n.casefold())
    return names


def open_session(
    store: Store,
    name: str,
    items: Sequence[dict],
    *,
    models: Sequence[str],
    invite: Sequence[str] = (),
    new_people: Sequence[str] = (),
    mode: str = "pairwise",
    k: int = 1,
    reveal: str = "end",
    seed: int = 0,
    adaptive: bool = False,
    **settings,
) -> dict:
    """Create a session, add the new people to the directory and deal the units to everyone invited, in one
    transaction after every check (a refusal or a failure writes nothing: no empty session, no orphan person).

    invite: ids of people already in the directory; new_people: display names (any script) of people to add, each
    given a random id and a personal link. adaptive: raters get the pairs still unsettled by the votes so far first
    (evalkit.adaptive_sessions). settings: suite, rubric, scale (as `record_session`).
    Returns {session_id, people: [{id, name, token (new people only), items}], identical_skipped, units}."""
    if not name.strip():
        raise SetupError("ad.no_name", "the session needs a name")
    if reveal not in REVEAL:
        raise SetupError("ad.bad_reveal", f"reveal must be one of {', '.join(REVEAL)}, got {reveal!r}")
    names = _check_people(store, list(dict.fromkeys(invite)), new_people)
    _check_k(int(k), len(set(invite)) + len(names))
    units, skipped = _check_session(items, models, mode)
    run, sess = _session_rows(
        name.strip(), units, models=models, mode=mode, k=int(k), reveal=reveal,
        extra={"identical_skipped": skipped, **({"adaptive": True} if adaptive else {})}, **settings,
    )  # fmt: skip
    new = [people.person_row(n) for n in names]
    rater_ids = list(dict.fromkeys(invite)) + [row["id"] for row, _ in new]
    queues, load = _deal(units, rater_ids, int(k), mode, np.random.default_rng(seed))
    with store.begin() as conn:
        conn.execute(schema.runs.insert().values(**run))
        conn.execute(schema.rating_sessions.insert().values(**sess))
        if new:
            conn.execute(schema.raters.insert(), [row for row, _ in new])
        conn.execute(schema.assignments.insert(), _assignment_rows(sess["id"], queues))
    shown = people.display_names(store)
    tokens = {row["id"]: tok for row, tok in new}
    return dict(
        session_id=sess["id"],
        people=[dict(id=r, name=shown.get(r, r), token=tokens.get(r), items=load[r]) for r in rater_ids],
        identical_skipped=skipped,
        units=len(units),
    )


def archive_session(store: Store, session_id: str, archived: bool = True) -> None:
    """Hide a session from the lists (its rows stay in the store), or bring it back."""
    s = schema.rating_sessions
    with store.begin() as conn:
        n = conn.execute(
            s.update().where(s.c.id == session_id).values(archived_at=utcnow() if archived else None)
        ).rowcount
    if not n:
        raise UserError(f"no rating session {session_id!r}")


# ---------------------------------------------------------------------------------------------------------------
# a rater's queue
# ---------------------------------------------------------------------------------------------------------------
def _blind(row) -> dict:
    """What the rater may see: texts in display order, no model names."""
    p = row.payload
    outs = p["outputs"] if p["order"] == "AB" else list(reversed(p["outputs"]))
    return dict(
        item_id=row.item_id, position=row.position, prompt=p["prompt"], texts=outs, reference=p.get("reference")
    )


def next_item(store: Store, session_id: str, rater_id: str) -> dict | None:
    """The rater's first unrated item (resume = same call after coming back), blind; None when the queue is done.
    In an adaptive session: the item whose pair is most unsettled by the votes so far; None once all are settled."""
    a = schema.assignments
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(a)
            .where(a.c.session_id == session_id, a.c.rater_id == rater_id, a.c.done.is_(False))
            .order_by(a.c.position)
            .limit(1)
        ).first()
        if row is not None and adaptive_sessions.is_adaptive(conn, session_id):  # unsettled pairs first (issue 20)
            row = adaptive_sessions.next_adaptive(conn, session_id, rater_id)
    return _blind(row) if row is not None else None


def _done_count(a):
    """SUM(done) as a SQL expression (booleans don't sum on every backend)."""
    return sa.func.sum(sa.case((a.c.done.is_(True), 1), else_=0))


def progress(store: Store, session_id: str, rater_id: str) -> tuple[int, int]:
    """(done, total) for one rater, counted in the database."""
    a = schema.assignments
    q = sa.select(sa.func.count(), sa.func.coalesce(_done_count(a), 0)).where(
        a.c.session_id == session_id, a.c.rater_id == rater_id
    )
    with store.engine.connect() as conn:
        total, done = conn.execute(q).one()
    return int(done), int(total)


# A gap longer than this between two votes of one rater is a break, not time spent on an item.
BREAK = dt.timedelta(minutes=30)


def _pace(times: list[dt.datetime]) -> float | None:
    """Seconds per item from one rater's vote times: the median gap between consecutive votes, breaks left out (the
    first vote's own time is unknown: the store doesn't record when an item was shown). None under two votes."""
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sorted(times)) if b - a <= BREAK]
    return float(np.median(gaps)) if gaps else None


def _vote_times(store: Store, session_id: str) -> dict[str, list[dt.datetime]]:
    r = schema.ratings
    q = sa.select(r.c.rater, r.c.created_at).where(r.c.session_id == session_id, r.c.rater_kind == "human")
    out: dict[str, list[dt.datetime]] = {}
    with store.engine.connect() as conn:
        for rater, at in conn.execute(q):
            out.setdefault(rater, []).append(at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc))
    return out


def rater_progress(store: Store, session_id: str) -> list[dict]:
    """Per-rater progress for the admin view: {rater_id, name, total, done, s_per_item, expected_finish}, by name.

    s_per_item: `_pace` of their votes; expected_finish: their last vote plus the items left at that pace (None when
    done or not yet measurable)."""
    a = schema.assignments
    q = (
        sa.select(a.c.rater_id, sa.func.count().label("total"), _done_count(a).label("done"))
        .where(a.c.session_id == session_id)
        .group_by(a.c.rater_id)
    )
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    names, times = people.display_names(store), _vote_times(store, session_id)
    for row in rows:
        row["done"] = int(row["done"] or 0)
        row["name"] = names.get(row["rater_id"], row["rater_id"])
        mine = times.get(row["rater_id"], [])
        row["s_per_item"] = pace = _pace(mine)
        left = row["total"] - row["done"]
        row["expected_finish"] = max(mine) + dt.timedelta(seconds=pace * left) if pace and left > 0 else None
    return sorted(rows, key=lambda r: (r["name"].casefold(), r["rater_id"]))


def session_summary(progress_rows: Sequence[dict]) -> dict:
    """A session's totals from `rater_progress`: done, total, median s_per_item, expected_finish (the last rater's)."""
    paces = [r["s_per_item"] for r in progress_rows if r["s_per_item"]]
    ends = [r["expected_finish"] for r in progress_rows if r["expected_finish"]]
    return dict(
        done=sum(r["done"] for r in progress_rows),
        total=sum(r["total"] for r in progress_rows),
        s_per_item=float(np.median(paces)) if paces else None,
        expected_finish=max(ends) if ends else None,
    )


def sessions(store: Store, *, archived: bool = False) -> list[dict]:
    """Sessions (id, name, suite, models, mode, k, created_at, archived_at, n_ratings), newest first: the open ones,
    or with `archived` the archived ones."""
    s, r = schema.rating_sessions, schema.ratings
    n = sa.select(r.c.session_id, sa.func.count().label("n")).group_by(r.c.session_id).subquery()
    q = (
        sa.select(
            s.c.id, s.c.name, s.c.suite, s.c.models, s.c.mode, s.c.k, s.c.created_at, s.c.archived_at,
            sa.func.coalesce(n.c.n, 0).label("n_ratings"),
        )
        .outerjoin(n, n.c.session_id == s.c.id)
        .where(s.c.archived_at.is_not(None) if archived else s.c.archived_at.is_(None))
        .order_by(s.c.created_at.desc())
    )  # fmt: skip
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def session_config(store: Store, session_id: str) -> dict:
    """What a rater may see of the session (not its units): rubric, scale, reveal (never|end|each; "each" for
    sessions stored before the choice existed) and how many identical pairs were skipped."""
    s = schema.rating_sessions
    with store.engine.connect() as conn:
        cfg = conn.execute(sa.select(s.c.config).where(s.c.id == session_id)).scalar() or {}
    return dict(
        rubric=cfg.get("rubric"),
        scale=cfg.get("scale") or [1, 10],
        reveal=cfg.get("reveal") or "each",
        identical_skipped=int(cfg.get("identical_skipped") or 0),
    )


def rater_sessions(store: Store, rater_id: str) -> list[dict]:
    """Open (not archived) sessions where this rater has a queue, with their progress (one GROUP BY)."""
    a, s = schema.assignments, schema.rating_sessions
    q = (
        sa.select(s.c.id, s.c.name, s.c.mode, sa.func.count().label("total"), _done_count(a).label("done"))
        .join(s, s.c.id == a.c.session_id)
        .where(a.c.rater_id == rater_id, s.c.archived_at.is_(None))
        .group_by(s.c.id, s.c.name, s.c.mode, s.c.created_at)
        .order_by(s.c.created_at.desc())
    )
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


# ---------------------------------------------------------------------------------------------------------------
# votes
# ---------------------------------------------------------------------------------------------------------------
def canonical(order: str, choice: str) -> str:
    """The verdict a display choice means: A is models[0], shown on the left when `order` is AB."""
    if choice == "left":
        return verdicts.A if order == "AB" else verdicts.B
    if choice == "right":
        return verdicts.B if order == "AB" else verdicts.A
    return choice


def battle_row(session_id, suite, item_id, models, outputs, verdict, judge, judge_kind, now) -> dict:
    """The `battles` row of one pairwise vote (canonical A/B), for the ratings to use."""
    return dict(
        run_id=session_id,
        suite=suite,
        item_id=item_id,
        model_a=models[0],
        model_b=models[1],
        winner=verdicts.to_winner(verdict),
        judge=judge,
        judge_kind=judge_kind,
        len_a=len(outputs[0] or ""),
        len_b=len(outputs[1] or ""),
        created_at=now,
    )


def _vote_rows(conn, session_id: str, row, rater_kind: str, choice, score, rationale) -> list[tuple[sa.Table, dict]]:
    """The rows one vote writes: its `ratings` row and, for a pair, its `battles` row (both in canonical A/B)."""
    p, now = row.payload, utcnow()
    models, outs, order = p["models"], p["outputs"], p["order"]
    rating = dict(
        session_id=session_id,
        run_id=session_id,
        item_id=row.item_id,
        prompt=p["prompt"],
        model_a=models[0],
        output_a=outs[0],
        rater=row.rater_id,
        rater_kind=rater_kind,
        rationale=rationale or None,
        order_shown=order,
        created_at=now,
    )
    if len(models) != 2:
        if score is None:
            raise ValueError("a single-answer item needs a score")
        return [(schema.ratings, dict(rating, kind="single", verdict="score", score=float(score)))]
    if choice not in CHOICES:
        raise ValueError(f"choice must be one of {CHOICES}, got {choice!r}")
    verdict = canonical(order, choice)
    suite = conn.execute(
        sa.select(schema.rating_sessions.c.suite).where(schema.rating_sessions.c.id == session_id)
    ).scalar()
    battle = battle_row(session_id, suite, row.item_id, models, outs, verdict, row.rater_id, rater_kind, now)
    pair = dict(rating, kind="pairwise", model_b=models[1], output_b=outs[1], verdict=verdict)
    return [(schema.ratings, pair), (schema.battles, battle)]


def _revealed(item_id: str, payload: dict) -> dict:
    """The model names behind the left and right answers, shown once the vote is stored."""
    models = payload["models"] if payload["order"] == "AB" else list(reversed(payload["models"]))
    left, right = models + ([None] if len(models) == 1 else [])
    return dict(item_id=item_id, left=left, right=right)


def cast_vote(
    store: Store,
    session_id: str,
    rater_id: str,
    item_id: str,
    choice: str | None = None,
    *,
    score: float | None = None,
    rationale: str | None = None,
) -> dict:
    """Store one verdict and mark the item done, in one transaction; returns the revealed model names.

    choice: what the rater clicked, in display terms (left|right|tie|bothbad) for pairwise sessions; `score` for
    single-answer sessions. The rating row holds the canonical verdict (A = models[0]) and order_shown (AB: models[0]
    was on the left). Raises NotAssigned for an item outside the rater's queue, AlreadyRated for a second vote."""
    a, r = schema.assignments, schema.raters
    try:
        with store.begin() as conn:
            row = conn.execute(
                sa.select(a).where(a.c.session_id == session_id, a.c.rater_id == rater_id, a.c.item_id == item_id)
            ).first()
            if row is None:
                raise NotAssigned(item_id)
            if row.done:
                raise AlreadyRated(item_id)
            kind = conn.execute(sa.select(r.c.kind).where(r.c.id == rater_id)).scalar_one()
            for table, values in _vote_rows(conn, session_id, row, kind, choice, score, rationale):
                conn.execute(table.insert().values(**values))
            done = conn.execute(a.update().where(a.c.id == row.id, a.c.done.is_(False)).values(done=True)).rowcount
            if done != 1:  # a concurrent vote on the same item got there first
                raise AlreadyRated(item_id)
    except sa.exc.IntegrityError as e:
        raise AlreadyRated(item_id) from e
    return _revealed(item_id, row.payload)


# ---------------------------------------------------------------------------------------------------------------
# items from suite runs
# ---------------------------------------------------------------------------------------------------------------
def suites_with_outputs(store: Store) -> list[str]:
    """Suites whose runs stored outputs (case results), by name: what a session can be made from."""
    c = schema.case_results
    with store.engine.connect() as conn:
        return [s for (s,) in conn.execute(sa.select(c.c.suite).distinct().order_by(c.c.suite))]


def suite_models(store: Store, suite: str) -> list[str]:
    """Models with outputs on `suite`, by name."""
    c = schema.case_results
    q = sa.select(c.c.model).where(c.c.suite == suite).distinct().order_by(c.c.model)
    with store.engine.connect() as conn:
        return [m for (m,) in conn.execute(q)]


def _suite_prompts(store: Store, suite: str) -> dict[str, str]:
    """case id → prompt text, from the suite file the latest run of `suite` recorded (empty if it moved)."""
    from evalkit.suites import load_suite

    t = schema.runs
    with store.engine.connect() as conn:
        cfg = conn.execute(
            sa.select(t.c.config).where(t.c.kind == "suite", t.c.name == suite).order_by(t.c.created_at.desc()).limit(1)
        ).scalar()
    path = (cfg or {}).get("suite_path")
    if not path:
        return {}
    try:
        cases = load_suite(path).cases
    except Exception:  # noqa: BLE001 - a moved or edited suite file: fall back to what the results hold
        return {}
    out = {}
    for c in cases:
        p = c.prompt
        out[c.id] = p if isinstance(p, str) else "\n\n".join(str(m.get("content", "")) for m in p)
    return out


def items_from_suite(store: Store, suite: str, models: Iterable[str], *, limit: int | None = None) -> list[dict]:
    """Items for a session: the latest output of each model on each case of `suite`, cases every model answered.
    The prompt comes from the case result, else from the suite file the run recorded."""
    c = schema.case_results
    models = list(models)
    prompts = _suite_prompts(store, suite)
    q = (
        sa.select(c.c.case_id, c.c.model, c.c.output, c.c.details, c.c.id)
        .where(c.c.suite == suite, c.c.model.in_(models))
        .order_by(c.c.case_id, c.c.id)
    )
    by_case: dict[str, dict] = {}
    with store.engine.connect() as conn:
        for case_id, model, output, details, _ in conn.execute(q):
            d = details or {}
            it = by_case.setdefault(
                case_id,
                dict(
                    item_id=case_id,
                    outputs={},
                    prompt=d.get("prompt") or prompts.get(case_id) or case_id,
                    reference=d.get("reference"),
                ),
            )
            it["outputs"][model] = output or ""
    items = [it for it in by_case.values() if all(m in it["outputs"] for m in models)]
    return items[:limit] if limit else items
