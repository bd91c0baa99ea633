"""Suite runs in the results store: start or resume a run, record its cases as they finish, read them back.

A run is a `runs` row (kind "suite"); each graded case is a `case_results` row whose `details` hold everything of the
case result but its columns. A run still "running", or "interrupted" (its process died: the store marks it so when
opened), with the same suite digest, model fingerprint and limit is the one a rerun resumes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from workbench.errors import UserError
from workbench.store import Store, schema

__all__ = [
    "case_statuses",
    "finish_run",
    "mark_gate",
    "open_run",
    "record_cases",
    "resolve_run",
    "stored_cases",
    "suite_runs",
]

_COLUMNS = ("id", "tags", "output", "latency_s", "status", "score")  # case result keys stored as their own columns
_RESUME_KEYS = ("digest", "model", "limit", "repeats")  # an unfinished run with these config values is resumed
_UNFINISHED = ("running", "interrupted")  # run statuses a rerun picks up


def open_run(store: Store, name: str, model, config: dict) -> tuple[str, bool]:
    """(run id, resumed): the unfinished run of this suite on this model with the same config, else a new run."""
    t = schema.runs
    q = (
        sa.select(t.c.id, t.c.config)
        .where(
            t.c.kind == "suite",
            t.c.name == name,
            t.c.status.in_(_UNFINISHED),
            t.c.fingerprint == model.fingerprint[:64],
        )
        .order_by(t.c.created_at.desc())
    )
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    for row in rows:
        if all((row.config or {}).get(k) == config.get(k) for k in _RESUME_KEYS):
            store.resume_run(row.id)  # "running" again, owned by this process, with a fresh heartbeat
            return row.id, True
    run_id = store.start_run("suite", name, model=model.name, fingerprint=model.fingerprint[:64], config=config)
    return run_id, False


def stored_cases(store: Store, run_id: str) -> dict[str, dict]:
    """The case results a run has recorded, by case id, as `grade_case` returned them."""
    t = schema.case_results
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.run_id == run_id)).mappings().all()
    return {r["case_id"]: _from_row(r) for r in rows}


def record_cases(store: Store, run_id: str, suite: str, model: str, results: Sequence[dict]) -> None:
    """Store finished case results (one insert per chunk, so a killed run keeps every chunk it finished)."""
    store.insert(schema.case_results, [_to_row(run_id, suite, model, r) for r in results])


def finish_run(store: Store, run_id: str, metrics: dict, stats: dict) -> None:
    """Mark the run done with its metrics and call counts."""
    store.finish_run(run_id, status="done", summary={"metrics": metrics, "stats": stats})


def _from_row(r) -> dict:
    details = dict(r["details"] or {})
    return {
        "id": r["case_id"],
        "tags": r["tags"] or [],
        "output": r["output"] or "",
        "latency_s": r["latency_s"] or 0.0,
        "status": r["status"],
        "score": r["score"],
        **details,
    }


def _to_row(run_id: str, suite: str, model: str, res: dict) -> dict[str, Any]:
    return dict(
        run_id=run_id,
        suite=suite,
        case_id=res["id"],
        model=model,
        status=res["status"],
        score=res["score"],
        output=res["output"],
        details={k: v for k, v in res.items() if k not in _COLUMNS},
        tags=res["tags"],
        latency_s=res["latency_s"],
    )


# -- reading runs back (compare) -----------------------------------------------------------------------------------


def resolve_run(store: Store, ref: str) -> dict:
    """A suite run by id or unique id prefix; the message lists candidates when it isn't unique."""
    t = schema.runs
    with store.engine.connect() as conn:
        rows = (
            conn.execute(
                sa.select(t).where(t.c.id.like(f"{ref}%"), t.c.kind == "suite").order_by(t.c.created_at.desc())
            )
            .mappings()
            .all()
        )
    if not rows:
        raise UserError(f"no suite run {ref!r} in {store.url}", hint="list runs with `evalkit store runs --kind suite`")
    if len(rows) > 1:
        shown = ", ".join(f"{r['id'][:12]} ({r['name']}, {r['model']})" for r in rows[:5])
        raise UserError(f"run id {ref!r} is ambiguous: {shown}", hint="give more characters of the run id")
    return dict(rows[0])


def case_statuses(store: Store, run_id: str) -> dict[str, dict]:
    """{case_id: {status, score, tags, details}} of a stored run: what a compare pairs by case id. With repeats the
    details carry the case's pass_rate, pass_all, pass_any, flaky and each repeat."""
    t = schema.case_results
    cols = (t.c.case_id, t.c.status, t.c.score, t.c.tags, t.c.details)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(*cols).where(t.c.run_id == run_id)).all()
    return {
        r.case_id: {"status": r.status, "score": r.score, "tags": list(r.tags or []), "details": r.details or {}}
        for r in rows
    }


def suite_runs(store: Store, suite: str, model: str | None = None) -> list[dict]:
    """Every finished run of a suite (optionally of one model), oldest first, with its config and summary."""
    t = schema.runs
    q = sa.select(t).where(t.c.kind == "suite", t.c.name == suite, t.c.status == "done")
    if model is not None:
        q = q.where(t.c.model == model)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q.order_by(t.c.created_at, t.c.id)).mappings().all()]


def mark_gate(store: Store, run: dict, gate: dict) -> None:
    """Keep a gate's outcome on the run's summary: `evalkit history` counts a run accepted unless its gate failed."""
    t = schema.runs
    with store.engine.begin() as conn:
        summary = conn.execute(sa.select(t.c.summary).where(t.c.id == run["id"])).scalar_one_or_none() or {}
        conn.execute(t.update().where(t.c.id == run["id"]).values(summary={**summary, "gate": gate}))
