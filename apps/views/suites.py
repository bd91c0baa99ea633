"""Suites: pass rates by suite and model, per tag, per-case outputs with the failed assertions, compare two runs, and
each suite's trend (its runs over time with their intervals, drops marked against the previous accepted run)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps import data, ui

t = ui.t


def pass_rate_bars(df: pd.DataFrame, by: str, **encode) -> None:
    """Bars of the pass rate (0 to 1) per `by`, one row each; `encode` adds channels (colour, facets, tooltip)."""
    x = alt.X("pass_rate:Q", scale=alt.Scale(domain=[0, 1]), title=t("su.pass_rate"), axis=alt.Axis(format="%"))
    y = alt.Y(f"{by}:N", title=None, axis=alt.Axis(labelLimit=0))  # full names, never "smollm2-helpd…"
    # a step per bar (a fixed height is ignored on a discrete axis, and labels then drop out)
    ui.chart(alt.Chart(df).mark_bar().encode(x=x, y=y, **encode).properties(height=alt.Step(30)))


ui.require_admin()
store = ui.store()
st.title(t("su.title"))

summary = data.suite_summary(store)
if summary.empty:
    st.info(t("su.empty"))
    st.stop()
ui.table(
    summary.assign(run_id=summary["run_id"].str[:8]),
    {
        "run_id": "su.run",
        "created_at": "su.when",
        "suite": "su.suite",
        "model": "lb.model",
        "cases": "su.cases",
        "passed": "su.passed",
        "errors": "su.errors",
        "pass_rate": "su.pass_rate",
    },
    percent=("pass_rate",),
)
latest = summary.drop_duplicates(["suite", "model"])
pass_rate_bars(
    latest,
    "model",
    color=alt.Color("model:N", title=t("lb.model"), legend=alt.Legend(orient="bottom", labelLimit=0)),
    row=alt.Row("suite:N", title=None, header=alt.Header(labelAngle=0, labelOrient="top", labelAnchor="start")),
    tooltip=[
        alt.Tooltip("suite:N", title=t("su.suite")),
        alt.Tooltip("model:N", title=t("lb.model")),
        alt.Tooltip("cases:Q", title=t("su.cases")),
        alt.Tooltip("passed:Q", title=t("su.passed")),
        alt.Tooltip("pass_rate:Q", title=t("su.pass_rate"), format=".1%"),
    ],
)


def trend_chart(runs: pd.DataFrame) -> None:
    """Pass rate per run over time with its 95% interval; runs that dropped against the last accepted run in red."""
    base = alt.Chart(runs).encode(x=alt.X("created_at:T", title=t("su.when")))
    band = base.mark_rule(opacity=0.5).encode(
        y=alt.Y("lo:Q", scale=alt.Scale(domain=[0, 1]), title=t("su.pass_rate"), axis=alt.Axis(format="%")), y2="hi:Q"
    )
    line = base.mark_line(color="#888").encode(y="pass_rate:Q")
    points = base.mark_point(filled=True, size=80).encode(
        y="pass_rate:Q",
        color=alt.Color(
            "drop:N", scale=alt.Scale(domain=[False, True], range=["#4c78a8", "#e45756"]), title=t("su.drop")
        ),
        tooltip=[
            alt.Tooltip("run:N", title=t("su.run")),
            alt.Tooltip("model:N", title=t("lb.model")),
            alt.Tooltip("fingerprint:N", title=t("su.fingerprint")),
            alt.Tooltip("pass_rate:Q", title=t("su.pass_rate"), format=".1%"),
            alt.Tooltip("delta:Q", title=t("su.change"), format="+.1%"),
            alt.Tooltip("accepted:N", title=t("su.accepted")),
        ],
    )
    ui.chart((band + line + points).properties(height=280))


def trend_tab() -> None:
    """A suite's history (`evalkit history`) as a chart and a table."""
    from evalkit.suites.history import suite_history

    c1, c2 = st.columns(2)
    suite = c1.selectbox(t("su.suite"), sorted(summary["suite"].unique()), key="su_trend_suite")
    models = sorted(summary.loc[summary["suite"] == suite, "model"].unique())
    model = c2.selectbox(t("lb.model"), [None, *models], format_func=lambda m: m or t("su.all_models"), key="su_tm")
    hist = pd.DataFrame(suite_history(store, suite, model)["runs"])
    if hist.empty:
        st.info(t("su.empty"))
        return
    hist = hist.assign(
        run=hist["run_id"].str[:8],
        created_at=pd.to_datetime(hist["created_at"]),
        lo=hist["ci"].str[0],
        hi=hist["ci"].str[1],
        fingerprint=hist["fingerprint"].fillna("").str[:12],
    )
    st.caption(t("su.trend_help"))
    trend_chart(hist)
    ui.table(
        hist[["run", "created_at", "model", "fingerprint", "cases", "pass_rate", "delta", "drop", "accepted"]],
        {
            "run": "su.run",
            "created_at": "su.when",
            "model": "lb.model",
            "fingerprint": "su.fingerprint",
            "cases": "su.cases",
            "pass_rate": "su.pass_rate",
            "delta": "su.change",
            "drop": "su.drop",
            "accepted": "su.accepted",
        },
        percent=("pass_rate",),
    )


tab_run, tab_cmp, tab_trend = st.tabs([t("su.one_run"), t("su.compare"), t("su.trend")])
runs = summary.drop_duplicates("run_id")
fmt = {r.run_id: f"{r.run_id[:8]} · {r.suite} · {r.model} · {str(r.created_at)[:16]}" for r in runs.itertuples()}
with tab_run:
    run = st.selectbox(t("su.run"), list(fmt), format_func=fmt.get, key="su_run")
    cases = data.case_table(store, run)
    tags = data.tag_pass_rates(cases)
    st.subheader(t("su.by_tag"))
    pass_rate_bars(
        tags,
        "tag",
        tooltip=[
            alt.Tooltip("tag:N"),
            alt.Tooltip("cases:Q", title=t("su.cases")),
            alt.Tooltip("pass_rate:Q", title=t("su.pass_rate"), format=".1%"),
        ],
    )
    st.subheader(t("su.cases"))
    failed_only = st.toggle(t("su.failed_only"), key="su_failed")
    shown = cases[cases["status"] != "pass"] if failed_only else cases
    shown = shown[["case_id", "model", "status", "score", "why", "output"]].assign(
        status=shown["status"].map(ui.labels("su.status_")), why=shown["details"].map(ui.why)
    )
    ui.table(
        shown,
        {
            "case_id": "su.case",
            "model": "lb.model",
            "status": "su.status",
            "score": "su.score",
            "why": "su.why",
            "output": "su.output",
        },
    )

with tab_cmp:
    c1, c2 = st.columns(2)
    run_a = c1.selectbox(t("su.run_a"), list(fmt), format_func=fmt.get, key="su_a")
    run_b = c2.selectbox(t("su.run_b"), list(fmt), format_func=fmt.get, index=min(1, len(fmt) - 1), key="su_b")
    if run_a == run_b:
        st.info(t("su.pick_two"))
    else:
        try:
            cmp = data.compare_data(store, run_a, run_b)
        except data.Unavailable as e:
            ui.unavailable(e)
            cmp = None
        except Exception as e:  # a UserError from compare (different suites, ...) is a message, not a crash
            st.error(t("su.compare_failed", error=str(e)))
            cmp = None
        if cmp:
            m = st.columns(5)
            m[0].metric(t("su.pass_rate_a"), f"{cmp['pass_rate_a']:.1%}")
            m[1].metric(t("su.pass_rate_b"), f"{cmp['pass_rate_b']:.1%}", f"{cmp['delta']:+.1%}")
            lo, hi = cmp.get("ci") or (None, None)
            m[2].metric(t("su.ci"), "—" if lo is None else f"[{lo:+.1%}, {hi:+.1%}]")
            m[3].metric(t("su.mcnemar_p"), f"{cmp['mcnemar']['p_value']:.3g}")
            mde = (cmp.get("power") or {}).get("mde")
            m[4].metric(t("su.mde"), "—" if mde is None else f"{mde:.1%}")
            verdict = cmp.get("verdict_key") or cmp.get("verdict", "")  # a message, or the English of an older report
            (st.warning if cmp.get("gate_failed") else st.success)(t("su.verdict", verdict=verdict))
            flaky = sorted(set().union(*(cmp.get("flaky") or {}).values()))
            if flaky:
                st.caption(f"{t('su.flaky')}: {', '.join(flaky)}")
            flips = cmp.get("flips") or {}
            critical = set(cmp.get("critical_regressions") or [])
            rows = [
                dict(case=c, change=t("su.pass_to_fail"), critical=c in critical) for c in flips.get("pass_to_fail", [])
            ]
            regressed = len(rows)
            rows += [dict(case=c, change=t("su.fail_to_pass"), critical=False) for c in flips.get("fail_to_pass", [])]
            if rows:
                st.subheader(t("su.flips"))
                df = ui.columns(
                    pd.DataFrame(rows), {"case": "su.case", "change": "su.change", "critical": "su.critical"}
                )
                red, green = "background-color: #fde2e1", "background-color: #e3f5e1"
                ui.table(df.style.apply(lambda r: [red if r.name < regressed else green] * len(r), axis=1))
            if cmp.get("by_tag"):
                st.subheader(t("su.by_tag"))
                ui.table(
                    pd.DataFrame(cmp["by_tag"]).T,
                    {
                        "n": "su.cases",
                        "pass_rate_a": "su.pass_rate_a",
                        "pass_rate_b": "su.pass_rate_b",
                        "delta": "su.change",
                        "pass_to_fail": "su.pass_to_fail",
                        "fail_to_pass": "su.fail_to_pass",
                    },
                    hide_index=None,
                )

with tab_trend:
    trend_tab()
