"""Leaderboard: Bradley-Terry / Elo ratings with bootstrap intervals, CI-aware ranks, win-rate and battle heatmaps;
style control with the unadjusted ratings beside, a reference ranking's separability and agreement, and what
adaptive tournaments saved."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps import data, ui
from evalkit.ratings.adaptive import tournament_savings

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
style = method == "bt" and st.toggle(t("lb.style_control"), help=t("lb.style_help"), key="lb_style")


@st.cache_data(show_spinner=False, max_entries=32)
def _board(url: str, suite, judge_kind, method, n_battles: int, style: bool):
    if not style:
        return data.leaderboard_data(ui.store(), suite=suite, judge_kind=judge_kind, method=method)
    from evalkit.ratings import leaderboard
    from evalkit.tournament import battles_frame

    df = battles_frame(ui.store(), suite=suite, judge_kind=judge_kind)
    return leaderboard(df, bootstrap=200, seed=0, style_control=True, disconnected="split")


def _load():
    n = data.battle_count(store, suite=suite, judge_kind=judge_kind)
    return _board(store.url, suite, judge_kind, method, n, style) if n else None


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
if board.get("unadjusted"):
    rows.insert(3, t("lb.unadjusted"), [board["unadjusted"]["ratings"].get(m) for m in models])
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

if board.get("style"):
    st.subheader(t("lb.style_title"))
    ui.table(
        pd.DataFrame(
            {
                t("lb.feature"): list(board["style"]),
                t("lb.coef"): [v["coef"] for v in board["style"].values()],
                t("lb.ci_low"): [v.get("ci", [None, None])[0] for v in board["style"].values()],
                t("lb.ci_high"): [v.get("ci", [None, None])[1] for v in board["style"].values()],
            }
        )
    )

ref_file = st.file_uploader(t("lb.reference"), type=["csv"], key="lb_reference") if ci else None
if ref_file is not None:
    from evalkit.ratings.separability import against, reference_scores

    ref = pd.read_csv(ref_file)
    try:
        got = against(
            board["ratings"], ci, reference_scores(ref.to_dict("records"), [f"row {i + 2}" for i in ref.index])
        )
    except ValueError as e:  # a bad reference file: the message names the row
        st.error(str(e))
    else:
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(t("lb.separability"), f"{got['separability']:.0%}")
        m2.metric(t("lb.agreement_ci"), f"{got['agreement_with_ci']:.0%}")
        m3.metric(t("lb.spearman"), "—" if got["spearman"] is None else f"{got['spearman']:.3f}")
        m4.metric(t("lb.kendall"), "—" if got["kendall"] is None else f"{got['kendall']:.3f}")
        st.caption(t("lb.against_caption", n=got["models_compared"]))

saved = tournament_savings(store.runs(kind="tournament", limit=20))
if saved:
    st.subheader(t("lb.saved_title"))
    ui.table(
        pd.DataFrame(
            {
                t("lb.saved_run"): [s["name"] or s["run_id"][:8] for s in saved],
                t("lb.saved_spent"): [s["spent"] for s in saved],
                t("lb.saved_rr"): [s["round_robin"] for s in saved],
                t("lb.saved"): [f"{s['saved']} ({s['saved_share']:.0%})" for s in saved],
                t("lb.saved_stop"): [s["stop_reason"] for s in saved],
            }
        )
    )
