"""Judge agreement: judge vs experts and expert vs expert (% agreement, kappa, alpha with CIs), confusion matrix,
and a browser of the items the raters disagree on."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps import data, ui
from evalkit import sessions

t = ui.t
ui.require_admin()
store = ui.store()
st.title(t("ag.title"))

sess = sessions.sessions(store)
if not sess:
    st.info(t("ag.empty"))
    st.stop()
labels = {s["id"]: s["name"] for s in sess}
sid = st.selectbox(t("ag.session"), list(labels), format_func=labels.get, key="ag_session")
raters = data.rater_names(store, session_id=sid)
llms = raters.loc[raters["rater_kind"] == "llm", "rater"].tolist()
judge = st.selectbox(
    t("ag.judge"),
    [None] + llms,
    index=1 if llms else 0,
    format_func=lambda j, humans_only=t("ag.no_judge"): j or humans_only,
    key="ag_judge",
)


@st.cache_data(show_spinner=False, max_entries=32)
def _report(url: str, sid: str, judge, n_ratings: int):
    return data.agreement_data(ui.store(), session_id=sid, judge=judge)


try:
    report = ui.load_or_stop(lambda: _report(store.url, sid, judge, int(raters["n"].sum())), "ag.too_few")
except ValueError as e:  # ratings the statistics refuse (evalkit.agreement says why and what to do)
    st.error(str(e))
    st.stop()


def _fig_rows(figs: dict, names) -> pd.DataFrame:
    ci = figs.get("ci", {})
    out = []
    for name in names:
        if name in figs:
            c = ci.get(name) or {}
            out.append(
                {
                    t("ag.figure"): t(f"agreement.figure.{name}"),
                    t("ag.value"): figs[name],
                    t("ag.ci_low"): c.get("ci_low"),
                    t("ag.ci_high"): c.get("ci_high"),
                }
            )
    return pd.DataFrame(out)


FIGS = ["percent_agreement", "percent_agreement_without_ties", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha"]
# the per-rater tables' columns: the agreement package's names -> catalogue keys
PAIR_COLUMNS = {
    "rater": "ag.rater",
    "raters": "ag.raters",
    "n_items": "ag.n_items",
    **{f: f"agreement.figure.{f}" for f in ("percent_agreement", "cohen_kappa", "weighted_kappa", "spearman")},
}
st.caption(t("ag.caption", ratings=report["n_ratings"], items=report["n_items"], raters=report["n_raters"]))
if judge and "judge" in report:
    j = report["judge"]
    st.subheader(t("ag.judge_vs_experts"))
    (st.success if j.get("comparable") else st.warning)(ui.say(j.get("verdict_key"), j["verdict"]))
    both = pd.concat(
        [
            _fig_rows(j["judge_vs_humans"], FIGS).assign(**{t("ag.who"): t("ag.judge_humans")}),
            _fig_rows(j["human_vs_human"], FIGS).assign(**{t("ag.who"): t("ag.human_human")}),
        ]
    )
    ui.table(both)
    rule = (
        alt.Chart()
        .mark_rule(strokeWidth=3)
        .encode(
            y=alt.Y(f"{t('ag.who')}:N", title=None),
            x=alt.X(f"{t('ag.ci_low')}:Q", title=t("ag.value")),
            x2=f"{t('ag.ci_high')}:Q",
        )
    )
    dot = alt.Chart().mark_point(filled=True, size=70).encode(y=f"{t('ag.who')}:N", x=f"{t('ag.value')}:Q")
    ui.chart(alt.layer(rule, dot, data=both).facet(row=alt.Row(f"{t('ag.figure')}:N", title=None)))
    ui.table(pd.DataFrame(j["per_human"]), PAIR_COLUMNS)

st.subheader(t("ag.all_raters"))
ui.table(_fig_rows(report, FIGS))
lines = report.get("interpretation", [])
for line, msg in zip(lines, report.get("interpretation_keys") or [None] * len(lines)):
    st.markdown(f"- {ui.say(msg, line)}")
if report.get("pairs"):
    with st.expander(t("ag.pairs")):
        pairs = pd.DataFrame(report["pairs"]).assign(raters=lambda d: d["raters"].map(" – ".join))
        ui.table(pairs, PAIR_COLUMNS)

if judge:
    st.subheader(t("ag.confusion"))
    cm = data.confusion_counts(store, judge=judge, session_id=sid)
    if not cm.empty:
        long = cm.reset_index().melt(id_vars="judge", var_name="human", value_name="n")
        base = alt.Chart(long).encode(
            x=alt.X("human:N", title=t("ag.human_verdict")), y=alt.Y("judge:N", title=t("ag.judge_verdict"))
        )
        ui.chart(
            base.mark_rect().encode(color=alt.Color("n:Q", scale=alt.Scale(scheme="oranges"), title=None))
            + base.mark_text(fontSize=13).encode(text="n:Q")
        )

st.subheader(t("ag.disagreements"))
dis = data.disagreements(store, session_id=sid)
if dis.empty:
    st.info(t("ag.no_disagreements"))
else:
    items = list(dict.fromkeys(dis["item_id"]))
    item = st.selectbox(t("ag.item"), items, key="ag_item")
    rows = dis[dis["item_id"] == item]
    first = rows.iloc[0]
    st.markdown(f"**{t('rate.question')}** {first['prompt']}")
    a, b = st.columns(2, border=True)
    a.markdown(f"**A · {first['model_a']}**")
    a.markdown(first["output_a"] or "")
    b.markdown(f"**B · {first['model_b']}**")
    b.markdown(first["output_b"] or "")
    shown = rows[["rater", "rater_kind", "verdict", "rationale"]].assign(
        rater_kind=rows["rater_kind"].map(ui.labels("ag.kind_")), verdict=rows["verdict"].map(ui.labels("ag.verdict_"))
    )
    ui.table(
        shown,
        {"rater": "ag.rater", "rater_kind": "ag.rater_kind", "verdict": "ag.verdict", "rationale": "rate.rationale"},
    )
