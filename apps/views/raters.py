"""Raters (admins): which raters to believe in a session — each rater against the others' consensus (Dawid-Skene or
majority), position bias from the side each answer was shown on, tie rate, drift, the flags, the kappa heat map, and
the per-rater figures as CSV (evalkit.agreement's `--consensus` report, drawn)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps import ui
from evalkit import gold, people, sessions
from evalkit.agreement import agreement_report
from evalkit.agreement.raters import rater_rows, seconds_between
from evalkit.verdicts_io import read_ratings

t = ui.t
ui.require_admin()
store = ui.store()
st.title(t("rt.title"))
st.caption(t("rt.caption"))

sess = [s for s in sessions.sessions(store) if s["n_ratings"]]
if not sess:
    st.info(t("ag.empty"))
    st.stop()
labels = {s["id"]: s["name"] for s in sess}
sid = st.selectbox(t("ag.session"), list(labels), format_func=labels.get, key="rt_session")
method = st.radio(t("rt.method"), ["dawid-skene", "majority"], horizontal=True, key="rt_method")
names = people.display_names(store)


@st.cache_data(show_spinner=False, max_entries=16)
def _report(url: str, sid: str, method: str, n: int) -> dict | None:
    """The session's pairwise verdicts, oldest first, with the side model A was shown on; the consensus report."""
    rows = [r for r in read_ratings(ui.store(), kind="pairwise") if r["session_id"] == sid]
    if len({r["rater"] for r in rows}) < 2:
        return None
    side = {"AB": "left", "BA": "right"}
    df = pd.DataFrame(
        {
            "item_id": [r["item_id"] for r in rows],
            "rater": [r["rater"] for r in rows],
            "rating": [r["verdict"] for r in rows],
            "rater_kind": [r["rater_kind"] for r in rows],
            "position": [side.get(r["order_shown"] or "", "") for r in rows],
            # time on each item, from when the votes were saved (a rater's first vote and breaks: unknown)
            "seconds": seconds_between([r["rater"] for r in rows], [r["created_at"] for r in rows]),
        }
    )
    key = gold.session_gold(ui.store(), sid)
    rows_gold = [(f"gold {u}", {"item_id": u, "verdict": v}) for u, v in key.items()] if key else None
    return agreement_report(df, consensus=method, bootstrap=0, gold=rows_gold)


n_ratings = next(s["n_ratings"] for s in sess if s["id"] == sid)
try:
    report = _report(store.url, sid, method, n_ratings)
except ValueError as e:  # ratings the statistics refuse: the message says why and what to do
    st.error(str(e))
    st.stop()
if report is None:
    st.info(t("ag.too_few"))
    st.stop()

table = pd.DataFrame(rater_rows(report))
table.insert(0, "name", table["rater"].map(lambda r: names.get(r, r)))
flagged = table[table["flags"] != ""]
if flagged.empty:
    st.success(t("rt.none_flagged"))
for _, row in flagged.iterrows():
    st.warning(t("rt.flagged", name=row["name"], flags=row["flags"]))
shown = ["name", "n_items", "agreement_with_consensus", "kappa_vs_consensus", "position_bias", "tie_rate"]
shown += ["drift", "gold_accuracy", "seconds_median"]  # the flags are the warnings above
shown_table = table[shown].astype({c: float for c in shown if c not in ("name", "n_items", "flags")})
shown_table = shown_table.round({"kappa_vs_consensus": 2, "drift": 2, "seconds_median": 0})
ui.table(
    shown_table,
    {
        "name": "ag.rater",
        "n_items": "ag.n_items",
        "agreement_with_consensus": "rt.agreement",
        "kappa_vs_consensus": "rt.kappa",
        "position_bias": "rt.left",
        "tie_rate": "rt.ties",
        "drift": "rt.drift",
        "gold_accuracy": "rt.gold",
        "seconds_median": "rt.seconds",
    },
    percent=("agreement_with_consensus", "position_bias", "tie_rate", "gold_accuracy"),
)
st.caption(t("rt.columns"))
st.download_button(
    t("rt.csv"), table.to_csv(index=False).encode("utf-8"), file_name=f"raters-{sid[:8]}.csv", mime="text/csv"
)
st.caption(" · ".join(f"{k}: {v}" for k, v in report["rater_thresholds"].items() if k != "min_items"))

st.subheader(t("rt.heatmap"))
cells = [
    {"a": names.get(a, a), "b": names.get(b, b), "kappa": k}
    for a, f in report["raters"].items()
    for b, k in f["cohen_kappa_vs"].items()
    if k is not None
]
if cells:
    base = alt.Chart(pd.DataFrame(cells)).encode(x=alt.X("a:N", title=None), y=alt.Y("b:N", title=None))
    ui.chart(
        (
            base.mark_rect().encode(color=alt.Color("kappa:Q", scale=alt.Scale(scheme="blues", domain=[-0.2, 1])))
            + base.mark_text(fontSize=12).encode(text=alt.Text("kappa:Q", format=".2f"))
        ).properties(height=alt.Step(40))
    )
