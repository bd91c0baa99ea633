"""How fast the app's heaviest pages render from a store with 100k ratings and 100k battles (target: < 2 s).

Times, in one process on the same SQLite store: the leaderboard and agreement pages rendered end to end with
Streamlit's AppTest (cold: empty cache), their data functions alone, and the app's GROUP BY battle query against the
naive alternative it replaces (fetch every row, then count in pandas). Writes benchmarks/results/app.json.

    .venv/bin/python benchmarks/bench_app.py [--ratings 100000] [--battles 100000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import record  # noqa: E402

TITLE = "The app's heaviest pages on a store with 100k ratings and 100k battles"


def table_rows(d: dict) -> list[dict]:
    """The table rows of one run's figures: each page's first render (target < 2 s), and GROUP BY vs every row."""
    size = f"{d['ratings']:,} ratings + {d['battles']:,} battles ({d['store']})"
    return [
        record.row(
            "leaderboard_page", f"leaderboard page, first render, {size}, seconds", "s", d["leaderboard_page_s"]
        ),
        record.row("agreement_page", f"agreement page, first render, {size}, seconds", "s", d["agreement_page_s"]),
        record.row(
            "battle_counts",
            f"battle counts, {d['battles']:,} battles, seconds",
            "s",
            d["battles_group_by_s"],
            d["battles_fetch_all_rows_s"],
            "fetching every row, counting in pandas",
            ratio=d.get("group_by_speedup"),
        ),
    ]


def build(store, n_ratings: int, n_battles: int, seed: int = 0) -> dict:
    """A session whose 4 experts and 1 LLM judge rated n_ratings/5 pairs, plus n_battles battles among 8 models."""
    from evalkit import people
    from workbench.store import schema

    rng = np.random.default_rng(seed)
    models = [f"model-{i}" for i in range(8)]
    admin, token = people.create_user(store, "Admin", role="admin", user_id="admin")
    raters = [f"expert{i}" for i in range(4)] + ["judge:llm"]
    for r in raters:
        people.create_user(store, r, user_id=r, kind="llm" if r.startswith("judge") else "human", with_token=False)
    sid = "bench-session"
    store.start_run("session", "bench", run_id=sid)
    store.insert(
        schema.rating_sessions,
        [dict(id=sid, name="bench", suite="bench", models=models, mode="pairwise", k=4, config={"units": []})],
    )
    n_items = n_ratings // len(raters)
    truth = rng.choice(["A", "B", "tie"], n_items, p=[0.45, 0.4, 0.15])
    rows = []
    for r in raters:
        noisy = np.where(rng.random(n_items) < 0.7, truth, rng.choice(["A", "B", "tie", "bothbad"], n_items))
        rows += [
            dict(
                session_id=sid,
                run_id=sid,
                item_id=f"item-{i}",
                kind="pairwise",
                prompt="q",
                model_a=models[i % 8],
                model_b=models[(i + 1) % 8],
                output_a="a",
                output_b="b",
                rater=r,
                rater_kind="llm" if r.startswith("judge") else "human",
                verdict=str(noisy[i]),
            )
            for i in range(n_items)
        ]
    for i in range(0, len(rows), 20_000):
        store.insert(schema.ratings, rows[i : i + 20_000])
    skill = np.linspace(0, 1.5, 8)
    a = rng.integers(0, 8, n_battles)
    b = (a + rng.integers(1, 8, n_battles)) % 8
    p = 1 / (1 + np.exp(-(skill[a] - skill[b])))
    u = rng.random(n_battles)
    winner = np.where(u < p * 0.9, "model_a", np.where(u < 0.9, "model_b", "tie"))
    kinds = rng.choice(["human", "llm"], n_battles)
    brow = [
        dict(
            run_id=sid,
            suite="bench",
            item_id=f"b{i}",
            model_a=models[a[i]],
            model_b=models[b[i]],
            winner=str(winner[i]),
            judge="x",
            judge_kind=str(kinds[i]),
        )
        for i in range(n_battles)
    ]
    for i in range(0, n_battles, 20_000):
        store.insert(schema.battles, brow[i : i + 20_000])
    return dict(token=token, session=sid)


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def render(page: str, token: str) -> tuple[float, float]:
    """Seconds to render one page end to end with AppTest (sign-in, queries, statistics, charts): with an empty
    cache (the first visitor after new votes), and again (every later visitor until the next vote)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    at = AppTest.from_file(str(REPO / "apps" / "app.py"), default_timeout=120)
    at.query_params["token"] = token
    at.run()
    at.switch_page(page)
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    t0 = time.perf_counter()
    at.run()
    return cold, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ratings", type=int, default=100_000)
    ap.add_argument("--battles", type=int, default=100_000)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "app.json"))
    args = ap.parse_args()

    from apps import data
    from workbench.store import open_store, schema

    started = record.begin()
    tmp = Path(tempfile.mkdtemp(prefix="wb-bench-app-"))
    store = open_store(tmp / "store.db")
    t0 = time.perf_counter()
    ids = build(store, args.ratings, args.battles)
    build_s = time.perf_counter() - t0
    os.environ["WORKBENCH_STORE"] = store.url

    def naive_battles():  # the alternative: every row over the wire, counted in Python
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(schema.battles)).mappings().all()
        return pd.DataFrame(rows)[["model_a", "model_b", "winner"]]

    group_s = timed(lambda: data.battles_frame(store))
    naive_s = timed(naive_battles)
    lb_data_s = timed(lambda: data.leaderboard_data(store), repeat=1)
    ag_data_s = timed(lambda: data.agreement_data(store, session_id=ids["session"], judge="judge:llm"), repeat=1)
    lb = [render("views/leaderboard.py", ids["token"]) for _ in range(2)]
    ag = [render("views/agreement.py", ids["token"]) for _ in range(2)]
    lb_page_s, lb_warm_s = min(c for c, _ in lb), min(w for _, w in lb)
    ag_page_s, ag_warm_s = min(c for c, _ in ag), min(w for _, w in ag)
    res = {
        "python": platform.python_version(),
        "store": "SQLite (WAL)",
        "ratings": args.ratings,
        "battles": args.battles,
        "build_store_s": round(build_s, 2),
        "leaderboard_page_s": round(lb_page_s, 3),
        "agreement_page_s": round(ag_page_s, 3),
        "leaderboard_page_cached_s": round(lb_warm_s, 3),
        "agreement_page_cached_s": round(ag_warm_s, 3),
        "leaderboard_data_s": round(lb_data_s, 3),
        "agreement_data_s": round(ag_data_s, 3),
        "battles_group_by_s": round(group_s, 3),
        "battles_fetch_all_rows_s": round(naive_s, 3),
        "group_by_speedup": round(naive_s / group_s, 1),
        "target_s": 2.0,
        "meets_target": bool(max(lb_page_s, ag_page_s) < 2.0),
        "bootstrap_rounds": 200,
    }
    record.append(args.out, started, title=TITLE, rows=table_rows(res), details=res, command=record.command_line())
    print(f"store with {args.ratings:,} ratings and {args.battles:,} battles (built in {build_s:.1f} s)")
    print(
        f"leaderboard page: {lb_page_s:.2f} s first render, {lb_warm_s:.2f} s cached (data function {lb_data_s:.2f} s)"
    )
    print(
        f"agreement page:   {ag_page_s:.2f} s first render, {ag_warm_s:.2f} s cached (data function {ag_data_s:.2f} s)"
    )
    print(f"target < 2 s on first render: {'met' if res['meets_target'] else 'MISSED'}")
    print(
        f"battle counts: GROUP BY {group_s * 1000:.0f} ms vs fetch every row {naive_s * 1000:.0f} ms "
        f"({res['group_by_speedup']}x)"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
