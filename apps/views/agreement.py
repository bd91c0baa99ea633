"""Judge agreement: judge vs experts and expert vs expert (% agreement, kappa, alpha with CIs), confusion matrix,
and a browser of the items the raters disagree on."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from apps import data, ui
from evalkit import people, sessions

t = ui.t
ui.require_admin()
store = ui.store()
st.title(t("ag.title"))

sess = sessions.sessions(store)
if not sess:
    st.info(t("ag.empty"))
    st.stop()
labels = {s["id"]: s["name"] for s in sess}
# ?session= from a progress row on the admin page; else the newest session that has ratings
wanted = st.query_params.get("session")
first = wanted if wanted in labels else next((s["id"] for s in sess if s["n_ratings"]), sess[0]["id"])
sid = st.selectbox(
    t("ag.session"), list(labels), index=list(labels).index(first), format_func=labels.get, key="ag_session"
)
raters = data.rater_names(store, session_id=sid)
names = people.display_names(store)  # raters are labelled by their display names, never their ids
llms = raters.loc[raters["rater_kind"] == "llm", "rater"].tolist()
judge = st.selectbox(
    t("ag.judge"),
    [None] + llms,
    index=1 if llms else 0,
    format_func=lambda j, humans_only=t("ag.no_judge"): names.get(j, j) if j else humans_only,
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


def _name(rater: str) -> str:
    return names.get(rater, rater)


def _fmt(figure: str, v) -> str:
    """A figure as the tables show it: a percentage with %, the others to two decimals, "—" where undefined."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.1%}" if figure.startswith("percent") else f"{v:.2f}"


def _fig_rows(figs: dict, wanted, *, shown: bool = False) -> pd.DataFrame:
    """One row per figure: value and CI, as numbers (for the chart) or, `shown`, as the table writes them."""
    ci = figs.get("ci", {})
    out = []
    for name in wanted:
        if name in figs:
            c = ci.get(name) or {}
            vals = [figs[name], c.get("ci_low"), c.get("ci_high")]
            if shown:
                vals = [_fmt(name, v) for v in vals]
            out.append(
                {t("ag.figure"): t(f"agreement.figure.{name}")}
                | dict(zip([t("ag.value"), t("ag.ci_low"), t("ag.ci_high")], vals))
            )
    return pd.DataFrame(out)


def _pair_table(rows: list[dict]) -> pd.DataFrame:
    """A per-rater or per-pair table: raters by name, figures formatted."""
    df = pd.DataFrame(rows)
    for col in df.columns:
        if col in ("percent_agreement", "cohen_kappa", "weighted_kappa", "spearman"):
            df[col] = [_fmt(col, v) for v in df[col]]
    if "rater" in df:
        df["rater"] = df["rater"].map(_name)
    if "raters" in df:
        df["raters"] = df["raters"].map(lambda p: " – ".join(map(_name, p)))
    return df


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
    ui.table(
        pd.concat(
            [
                _fig_rows(j["judge_vs_humans"], FIGS, shown=True).assign(**{t("ag.who"): t("ag.judge_humans")}),
                _fig_rows(j["human_vs_human"], FIGS, shown=True).assign(**{t("ag.who"): t("ag.human_human")}),
            ]
        )
    )
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
    # one facet per figure, its name above it (a long or Korean name beside a facet overlapped the next one)
    header = alt.Header(labelAngle=0, labelOrient="top", labelAnchor="start", labelFontSize=13, labelFont=ui.CHART_FONT)
    ui.chart(
        alt.layer(rule, dot, data=both)
        .properties(height=70)
        .facet(row=alt.Row(f"{t('ag.figure')}:N", title=None, header=header), spacing=18)
    )
    ui.table(_pair_table(j["per_human"]), PAIR_COLUMNS)

st.subheader(t("ag.all_raters"))
ui.table(_fig_rows(report, FIGS, shown=True))
lines = report.get("interpretation", [])
for line, msg in zip(lines, report.get("interpretation_keys") or [None] * len(lines)):
    st.markdown(f"- {ui.say(msg, line)}")
if report.get("pairs"):
    with st.expander(t("ag.pairs")):
        pairs = _pair_table(report["pairs"])
        ui.table(pairs, PAIR_COLUMNS)

if judge:
    st.subheader(t("ag.confusion"))
    cm = data.confusion_counts(store, judge=judge, session_id=sid)
    if not cm.empty:
        long = cm.reset_index().melt(id_vars="judge", var_name="human", value_name="n")
        verdict = ui.labels("ag.verdict_")
        long = long.assign(human=long["human"].map(verdict), judge=long["judge"].map(verdict))
        base = alt.Chart(long).encode(
            x=alt.X("human:N", title=t("ag.human_verdict"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("judge:N", title=t("ag.judge_verdict")),
        )
        ui.chart(  # rows tall enough to read (about 48 px each)
            (
                base.mark_rect().encode(
                    color=alt.Color(
                        "n:Q",
                        scale=alt.Scale(scheme="oranges"),
                        title=t("ag.count"),
                        legend=alt.Legend(format="d", tickMinStep=1),
                    )
                )
                + base.mark_text(fontSize=14).encode(text="n:Q")
            ).properties(height=alt.Step(48))  # a step per row: a fixed height is ignored for a discrete axis
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
        rater=rows["rater"].map(_name),
        rater_kind=rows["rater_kind"].map(ui.labels("ag.kind_")),
        verdict=rows["verdict"].map(ui.labels("ag.verdict_")),
        rationale=rows["rationale"].fillna(""),  # no reason given: an empty cell, never "None"
    )
    ui.table(
        shown,
        {"rater": "ag.rater", "rater_kind": "ag.rater_kind", "verdict": "ag.verdict", "rationale": "ag.rationale"},
    )

st.subheader(t("ag.reliability"))
rel_rows = [
    {"run": f"{r['name']} ({r['id'][:8]})", **r["summary"]["reliability"]}
    for kind in ("judge", "tournament")
    for r in store.runs(kind=kind, limit=20)
    if isinstance(r.get("summary"), dict) and r["summary"].get("reliability")
]
if not rel_rows:
    st.info(t("ag.reliability_none"))
else:
    fig = lambda f: "—" if f is None else f"{f['value']:.0%} [{f['ci'][0]:.0%}, {f['ci'][1]:.0%}]"  # noqa: E731
    ui.table(
        pd.DataFrame(
            {
                "run": [r["run"] for r in rel_rows],
                **{k: [fig(r.get(k)) for r in rel_rows] for k in ("order_flip_rate", "first_position_rate")},
                **{k: [fig(r.get(k)) for r in rel_rows] for k in ("longer_wins_rate", "repeat_agreement")},
                "verdict": [r["verdict"] for r in rel_rows],
            }
        ),
        {
            "run": "ag.run",
            "order_flip_rate": "ag.flips",
            "first_position_rate": "ag.first_position",
            "longer_wins_rate": "ag.longer_wins",
            "repeat_agreement": "ag.repeat",
            "verdict": "ag.trust",
        },
    )
