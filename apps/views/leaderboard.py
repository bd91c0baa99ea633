"""Leaderboard: Bradley-Terry / Elo ratings with bootstrap intervals, CI-aware ranks, win-rate and battle heatmaps."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps import data, ui

t = ui.t
ui.require_admin()
store = ui.store()
st.title(t("lb.title"))

filters = data.battle_filters(store)
c1, c2, c3 = st.columns(3)
suite = c1.selectbox(
    t("lb.suite"), [None] + filters["suites"], format_func=lambda s, every=t("common.all"): s or every, key="lb_suite"
)
judge_kind = c2.selectbox(
    t("lb.judge"), [None, "human", "llm"], format_func=ui.labels("lb.judge_", none="both"), key="lb_judge"
)
method = c3.selectbox(t("lb.method"), ["bt", "elo"], format_func=ui.labels("lb.method_"), key="lb_method")


@st.cache_data(show_spinner=False, max_entries=32)
def _board(url: str, suite, judge_kind, method, n_battles: int):
    return data.leaderboard_data(ui.store(), suite=suite, judge_kind=judge_kind, method=method)


def _load():
    n = data.battle_count(store, suite=suite, judge_kind=judge_kind)
    return _board(store.url, suite, judge_kind, method, n) if n else None


try:
    board = ui.load_or_stop(_load, "lb.empty")
except ValueError as e:  # battles the fit refuses (evalkit.ratings says why and what to do)
    st.error(str(e))
    st.stop()

models = board["models"]
ci = board.get("ci", {})
rows = pd.DataFrame(
    {
        t("lb.model"): models,
        t("lb.rank"): pd.array([board.get("rank", {}).get(m) for m in models], dtype="Int64"),
        t("lb.rating"): [board["ratings"][m] for m in models],
        t("lb.ci_low"): [ci[m][0] if m in ci else float("nan") for m in models],
        t("lb.ci_high"): [ci[m][1] if m in ci else float("nan") for m in models],
        t("lb.battles"): [board["battles_per_model"][m] for m in models],
    }
)
st.caption(t("lb.caption", n=board["battles"], method=t(f"lb.method_{method}"), rounds=board["settings"]["bootstrap"]))
st.caption(t("lb.rank_rule"))
ui.table(rows.fillna({t("lb.ci_low"): "—", t("lb.ci_high"): "—"}) if not ci else rows)

# full model names: no label is cut while there is room for it
names = alt.Axis(labelLimit=0)
base = alt.Chart(rows).encode(y=alt.Y(f"{t('lb.model')}:N", sort=None, title=None, axis=names))
bars = base.mark_rule(strokeWidth=2).encode(
    x=alt.X(f"{t('lb.ci_low')}:Q", scale=alt.Scale(zero=False), title=t("lb.rating")), x2=f"{t('lb.ci_high')}:Q"
)
dots = base.mark_point(filled=True, size=80).encode(x=f"{t('lb.rating')}:Q", tooltip=list(rows.columns))
ui.chart((bars + dots).properties(height=60 * len(rows) + 40, title=t("lb.chart_title")))

ROW_PX = 56  # a heat-map row: tall enough for a two-line label and its figure


def _heat(nested: dict, title: str, fmt: str, legend_fmt: str):
    """A model × opponent heat map with each cell's figure written in it, full names on both axes."""
    long = pd.DataFrame(
        [(a, b, v) for a, row in nested.items() for b, v in row.items() if v is not None],
        columns=["row", "col", "value"],
    )
    order = board["models"]
    base = alt.Chart(long).encode(
        x=alt.X("col:N", sort=order, title=t("lb.opponent"), axis=alt.Axis(labelLimit=0, labelAngle=-30)),
        y=alt.Y("row:N", sort=order, title=t("lb.model"), axis=names),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "value:Q",
            scale=alt.Scale(scheme="blues"),
            title=None,
            legend=alt.Legend(format=legend_fmt, **({"tickMinStep": 1} if legend_fmt == "d" else {})),
        ),
        tooltip=[
            alt.Tooltip("row:N", title=t("lb.model")),
            alt.Tooltip("col:N", title=t("lb.opponent")),
            alt.Tooltip("value:Q", title=title, format=fmt),
        ],
    )
    text = base.mark_text(fontSize=13).encode(
        text=alt.Text("value:Q", format=fmt),
        color=alt.condition(alt.datum.value > long["value"].max() * 0.6, alt.value("white"), alt.value("black")),
    )
    return (cells + text).properties(title=title, height=alt.Step(ROW_PX))


h1, h2 = st.columns(2)
with h1:
    ui.chart(_heat(board["winrate"], t("lb.winrate"), ".0%", ".0%"))
with h2:
    ui.chart(_heat(board["counts"], t("lb.counts"), "d", "d"))
if len(board.get("components", [])) > 1:
    st.warning(t("lb.disconnected", groups=" | ".join(", ".join(p) for p in board["components"])))
