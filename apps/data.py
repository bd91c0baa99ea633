"""What each page shows, as plain functions over the store (the pages only lay these out; the benchmark times them).

Counting and grouping happen in SQL; statistics come from the packages' public functions (evalkit.ratings,
evalkit.agreement, evalkit.suites, finetune.plan). A package that isn't importable raises `Unavailable`, which the
page turns into a clear message instead of a traceback; data the statistics refuse raises their ValueError, which the
page shows as the message it is."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from workbench.store import Store, schema

__all__ = [
    "Unavailable",
    "runs",
    "battle_count",
    "battles_frame",
    "battle_filters",
    "leaderboard_data",
    "ratings_frame",
    "rater_names",
    "agreement_data",
    "confusion_counts",
    "disagreements",
    "suite_summary",
    "case_table",
    "tag_pass_rates",
    "compare_data",
    "train_curves",
    "memory_plan",
    "audit_report",
    "audit_records",
    "run_audit",
]


class Unavailable(Exception):
    """A package the page needs isn't installed or importable yet; the message names it."""


def _frame(store: Store, q, columns: list[str] | None = None) -> pd.DataFrame:
    """Run a query into a DataFrame, its columns named `columns` (default: as the query names them). Rows become plain
    tuples first: pandas builds a frame from SQLAlchemy Row objects about 8x slower (2.5 s vs 0.3 s for 100k rows)."""
    with store.engine.connect() as conn:
        result = conn.execute(q)
        rows = [tuple(r) for r in result]
    return pd.DataFrame.from_records(rows, columns=columns or list(result.keys()))


def _need(module: str, attr: str):
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise Unavailable(f"{module}.{attr}") from e


def runs(store: Store, kind: str) -> pd.DataFrame:
    t = schema.runs
    q = (
        sa.select(t.c.id, t.c.name, t.c.model, t.c.status, t.c.created_at)
        .where(t.c.kind == kind)
        .order_by(t.c.created_at.desc())
        .limit(500)
    )
    return _frame(store, q, ["id", "name", "model", "status", "created_at"])


def _run(store: Store, run_id: str) -> dict | None:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(schema.runs).where(schema.runs.c.id == run_id)).first()
    return dict(row._mapping) if row else None


# -- leaderboard ------------------------------------------------------------------------------------------------------
def battle_filters(store: Store) -> dict:
    b = schema.battles
    with store.engine.connect() as conn:
        suites = [s for (s,) in conn.execute(sa.select(b.c.suite).distinct().order_by(b.c.suite)) if s]
        kinds = [k for (k,) in conn.execute(sa.select(b.c.judge_kind).distinct().order_by(b.c.judge_kind)) if k]
    return dict(suites=suites, judge_kinds=kinds)


def battle_count(store: Store, *, suite: str | None = None, judge_kind: str | None = None) -> int:
    """How many battles match (also the cache key's freshness: a new vote changes it)."""
    b = schema.battles
    q = sa.select(sa.func.count()).select_from(b)
    if suite:
        q = q.where(b.c.suite == suite)
    if judge_kind:
        q = q.where(b.c.judge_kind == judge_kind)
    with store.engine.connect() as conn:
        return int(conn.execute(q).scalar())


def battles_frame(store: Store, *, suite: str | None = None, judge_kind: str | None = None) -> pd.DataFrame:
    """Battles as rows [model_a, model_b, winner]: SQL counts each (a, b, winner) and numpy repeats the groups, so
    only a few hundred rows cross the wire however many battles there are."""
    b = schema.battles
    q = (
        sa.select(b.c.model_a, b.c.model_b, b.c.winner, sa.func.count().label("n"))
        .group_by(b.c.model_a, b.c.model_b, b.c.winner)
        .order_by(b.c.model_a, b.c.model_b, b.c.winner)
    )
    if suite:
        q = q.where(b.c.suite == suite)
    if judge_kind:
        q = q.where(b.c.judge_kind == judge_kind)
    g = _frame(store, q, ["model_a", "model_b", "winner", "n"])
    if g.empty:
        return g.drop(columns="n")
    return g.loc[np.repeat(g.index.to_numpy(), g["n"].to_numpy())].drop(columns="n").reset_index(drop=True)


def leaderboard_data(
    store: Store,
    *,
    suite: str | None = None,
    judge_kind: str | None = None,
    method: str = "bt",
    bootstrap: int = 200,
    seed: int = 0,
) -> dict | None:
    """`evalkit.ratings.leaderboard` over the filtered battles; None when there are none."""
    leaderboard = _need("evalkit.ratings", "leaderboard")
    df = battles_frame(store, suite=suite, judge_kind=judge_kind)
    if df.empty:
        return None
    return leaderboard(df, method=method, bootstrap=bootstrap, seed=seed, disconnected="split")


# -- agreement --------------------------------------------------------------------------------------------------------
def ratings_frame(store: Store, *, session_id: str | None = None, kind: str = "pairwise") -> pd.DataFrame:
    """One row per verdict: item_id, rater, rating (verdict, or score for single-answer), rater_kind."""
    r = schema.ratings
    rating = r.c.verdict if kind == "pairwise" else r.c.score
    q = sa.select(r.c.item_id, r.c.rater, rating.label("rating"), r.c.rater_kind).where(r.c.kind == kind)
    if session_id:
        q = q.where(r.c.session_id == session_id)
    return _frame(store, q, ["item_id", "rater", "rating", "rater_kind"])


def agreement_data(
    store: Store,
    *,
    session_id: str | None = None,
    kind: str = "pairwise",
    judge: str | None = None,
    bootstrap: int = 200,
    seed: int = 0,
) -> dict | None:
    """`evalkit.agreement.agreement_report` over the session's verdicts; None when nothing is rated twice."""
    agreement_report = _need("evalkit.agreement", "agreement_report")
    df = ratings_frame(store, session_id=session_id, kind=kind)
    if df.empty or df["rater"].nunique() < 2:
        return None
    level = "nominal" if kind == "pairwise" else "interval"
    return agreement_report(df, level=level, judge=judge, bootstrap=bootstrap, seed=seed)


def rater_names(store: Store, *, session_id: str | None = None) -> pd.DataFrame:
    r = schema.ratings
    q = (
        sa.select(r.c.rater, r.c.rater_kind, sa.func.count().label("n"))
        .group_by(r.c.rater, r.c.rater_kind)
        .order_by(r.c.rater)
    )
    if session_id:
        q = q.where(r.c.session_id == session_id)
    return _frame(store, q, ["rater", "rater_kind", "n"])


def confusion_counts(store: Store, *, judge: str, session_id: str | None = None) -> pd.DataFrame:
    """Judge verdict × human verdict counts on the same items: one self-join with GROUP BY."""
    r1, r2 = schema.ratings.alias("j"), schema.ratings.alias("h")
    q = (
        sa.select(r1.c.verdict.label("judge"), r2.c.verdict.label("human"), sa.func.count().label("n"))
        .join(r2, sa.and_(r1.c.item_id == r2.c.item_id, r1.c.session_id == r2.c.session_id))
        .where(r1.c.rater == judge, r2.c.rater_kind == "human", r2.c.rater != judge)
        .group_by(r1.c.verdict, r2.c.verdict)
    )
    if session_id:
        q = q.where(r1.c.session_id == session_id)
    g = _frame(store, q, ["judge", "human", "n"])
    if g.empty:
        return g
    return g.pivot(index="judge", columns="human", values="n").fillna(0).astype(int)


def disagreements(store: Store, *, session_id: str | None = None, limit: int = 50) -> pd.DataFrame:
    """Items whose raters gave different verdicts (GROUP BY item HAVING more than one distinct verdict), with them."""
    r = schema.ratings
    inner = (
        sa.select(r.c.item_id)
        .where(r.c.kind == "pairwise")
        .group_by(r.c.item_id)
        .having(sa.func.count(sa.distinct(r.c.verdict)) > 1)
        .order_by(r.c.item_id)
        .limit(limit)
    )
    if session_id:
        inner = inner.where(r.c.session_id == session_id)
    q = (
        sa.select(
            r.c.item_id,
            r.c.prompt,
            r.c.model_a,
            r.c.model_b,
            r.c.output_a,
            r.c.output_b,
            r.c.rater,
            r.c.rater_kind,
            r.c.verdict,
            r.c.rationale,
        )
        .where(r.c.item_id.in_(inner.scalar_subquery()))
        .order_by(r.c.item_id, r.c.rater)
    )
    if session_id:
        q = q.where(r.c.session_id == session_id)
    return _frame(store, q)


# -- suites -----------------------------------------------------------------------------------------------------------
def suite_summary(store: Store) -> pd.DataFrame:
    """Pass / fail / error counts per run, suite and model (one GROUP BY)."""
    c, t = schema.case_results, schema.runs
    passed = sa.func.sum(sa.case((c.c.status == "pass", 1), else_=0))
    q = (
        sa.select(
            c.c.run_id,
            t.c.created_at,
            c.c.suite,
            c.c.model,
            sa.func.count().label("cases"),
            passed.label("passed"),
            sa.func.sum(sa.case((c.c.status == "error", 1), else_=0)).label("errors"),
        )
        .join(t, t.c.id == c.c.run_id)
        .group_by(c.c.run_id, t.c.created_at, c.c.suite, c.c.model)
        .order_by(t.c.created_at.desc(), c.c.suite, c.c.model)
    )
    df = _frame(store, q, ["run_id", "created_at", "suite", "model", "cases", "passed", "errors"])
    df["pass_rate"] = (df["passed"] / df["cases"]).round(4) if len(df) else []
    return df


def case_table(
    store: Store, run_id: str, *, suite: str | None = None, model: str | None = None, failed_only: bool = False
) -> pd.DataFrame:
    c = schema.case_results
    q = (
        sa.select(c.c.suite, c.c.case_id, c.c.model, c.c.status, c.c.score, c.c.output, c.c.details, c.c.tags)
        .where(c.c.run_id == run_id)
        .order_by(c.c.suite, c.c.case_id, c.c.model)
    )
    if suite:
        q = q.where(c.c.suite == suite)
    if model:
        q = q.where(c.c.model == model)
    if failed_only:
        q = q.where(c.c.status != "pass")
    df = _frame(store, q, ["suite", "case_id", "model", "status", "score", "output", "details", "tags"])
    df["why"] = [_why(d) for d in df["details"]] if len(df) else []
    return df


def _why(details) -> str:
    """The failed assertions' messages, as the suite runner recorded them."""
    if not isinstance(details, dict):
        return ""
    bad = [a for a in details.get("assertions", []) if isinstance(a, dict) and not a.get("passed", True)]
    return "; ".join(
        f"{a.get('type') or a.get('name')}: {a.get('message') or a.get('reason') or ''}".rstrip(": ") for a in bad
    ) or str(details.get("error") or "")


def tag_pass_rates(cases: pd.DataFrame) -> pd.DataFrame:
    """Pass rate per tag and model for one run's cases (already fetched for the case table)."""
    if cases.empty:
        return pd.DataFrame(columns=["tag", "model", "cases", "pass_rate"])
    df = cases[["model", "status", "tags"]].assign(tag=cases["tags"].map(lambda t: t or ["(none)"])).explode("tag")
    df["ok"] = df["status"] == "pass"
    g = df.groupby(["tag", "model"], as_index=False).agg(cases=("ok", "size"), pass_rate=("ok", "mean"))
    return g.round({"pass_rate": 4})


def compare_data(store: Store, run_a: str, run_b: str) -> dict:
    compare_runs = _need("evalkit.suites", "compare_runs")
    try:
        return compare_runs(store, run_a, run_b)
    except ModuleNotFoundError as e:  # the package is there, its compare module not yet
        raise Unavailable(f"{e.name}.compare_runs") from e


# -- fine-tune --------------------------------------------------------------------------------------------------------
def train_curves(store: Store, run_id: str) -> pd.DataFrame:
    m = schema.train_metrics
    q = (
        sa.select(m.c.step, m.c.split, m.c.loss, m.c.lr, m.c.tokens_per_s, m.c.epoch)
        .where(m.c.run_id == run_id)
        .order_by(m.c.split, m.c.step)
    )
    return _frame(store, q, ["step", "split", "loss", "lr", "tokens_per_s", "epoch"])


def memory_plan(run: dict) -> dict | None:
    """`finetune.plan.plan_memory` for the run's model and settings: the recorded parameter count, else the model's
    shape counted by `finetune.plan.model_shape` (config only, no weights); None when neither is available."""
    summary, config = run.get("summary") or {}, run.get("config") or {}
    if summary.get("plan") or config.get("plan"):
        return summary.get("plan") or config.get("plan")
    plan_memory = _need("finetune.plan", "plan_memory")
    params, shape = summary.get("params") or config.get("params"), {}
    if not params and config.get("model"):
        try:
            params, hidden, layers = _need("finetune.plan", "model_shape")(config["model"])
            shape = dict(hidden=hidden, layers=layers)
        except Unavailable:
            raise
        except Exception:  # noqa: BLE001 - the model moved or is remote: no plan, the page says so
            return None
    if not params:
        return None
    return plan_memory(
        int(params), seq_len=int(config.get("max_length") or 512), batch=int(config.get("batch_size") or 1), **shape
    )


# -- audits -----------------------------------------------------------------------------------------------------------
def _audit_dir(run: dict) -> Path | None:
    cfg = run.get("config") or {}
    out = cfg.get("out") or cfg.get("out_dir")
    return Path(out) if out else None


def audit_report(store: Store, run_id: str) -> dict:
    """The audit's report.json when its out dir is still there, else the summary recorded in the run."""
    run = _run(store, run_id) or {}
    d = _audit_dir(run)
    if d and (d / "report.json").is_file():
        return json.loads((d / "report.json").read_text(encoding="utf-8"))
    return dict(run.get("summary") or {})


def run_audit(store: Store, path: str | Path, out: str | Path) -> dict:
    """`curate.pipeline.audit` on an uploaded file, recorded in the store (the page then lists it)."""
    audit = _need("curate.pipeline", "audit")
    return audit(str(path), out=str(out), store=store)


def audit_records(store: Store, run_id: str) -> pd.DataFrame | None:
    run = _run(store, run_id) or {}
    d = _audit_dir(run)
    if d and (d / "records.parquet").exists():
        return pd.read_parquet(d / "records.parquet")
    return None
