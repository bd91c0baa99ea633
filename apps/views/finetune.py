"""Fine-tune runs: train and eval loss curves, the run's config, the memory plan."""

from __future__ import annotations

import altair as alt
import streamlit as st

from apps import data, ui

t = ui.t
ui.require_admin()
store = ui.store()
st.title(t("ft.title"))

runs = data.runs(store, "finetune")
if runs.empty:
    st.info(t("ft.empty"))
    st.stop()
fmt = {r.id: f"{r.name} · {r.model or ''} · {r.status} · {str(r.created_at)[:16]}" for r in runs.itertuples()}
run_id = st.selectbox(t("ft.run"), list(fmt), format_func=fmt.get, key="ft_run")
run = store.run(run_id) or {}
curves = data.train_curves(store, run_id)
if curves.empty:
    st.info(t("ft.no_metrics"))
else:
    last = curves.dropna(subset=["loss"]).groupby("split")["loss"].last()

    def _loss(split: str) -> str:
        return f"{last[split]:.3f}" if split in last else "—"  # a run without that split says so, not "nan"

    cols = st.columns(3)
    cols[0].metric(t("ft.train_loss"), _loss("train"))
    cols[1].metric(t("ft.eval_loss"), _loss("eval"))
    cols[2].metric(t("ft.steps"), int(curves["step"].max()))
    ui.chart(
        alt.Chart(curves.dropna(subset=["loss"]).assign(split=lambda d: d["split"].map(ui.labels("ft.split_"))))
        .mark_line(point=True)
        .encode(
            x=alt.X("step:Q", title=t("ft.step"), axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("loss:Q", title=t("ft.loss"), scale=alt.Scale(zero=False)),
            color=alt.Color("split:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("step:Q", title=t("ft.step")),
                alt.Tooltip("split:N", title=t("ft.split")),
                alt.Tooltip("loss:Q", title=t("ft.loss"), format=".4f"),
                alt.Tooltip("lr:Q", title=t("ft.lr"), format=".2e"),
            ],
        )
        .properties(height=320)
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _plan(run_id: str, status):
    return data.memory_plan(ui.store().run(run_id) or {})


c1, c2 = st.columns(2)
with c1:
    st.subheader(t("ft.config"))
    st.json(run.get("config") or {}, expanded=True)
with c2:
    st.subheader(t("ft.plan"))
    try:
        plan = _plan(run_id, run.get("status"))
    except data.Unavailable as e:
        ui.unavailable(e)
        plan = None
    except Exception as e:  # noqa: BLE001 - a bad recorded config is shown, the page still renders
        st.error(t("ft.plan_failed", error=ui.user_message(e)))
        plan = None
    if plan:
        method = ui.labels("ft.method_")
        rows = [
            {
                t("ft.method"): method(m),
                t("ft.memory"): f"{v['bytes'] / 2**30:.1f} GiB",
                t("ft.fits"): {None: "—", True: "✓", False: "✗"}[v.get("fits")],
            }
            for m, v in plan.get("methods", {}).items()
        ]
        st.caption(t("ft.plan_caption", params=f"{plan['params']:,}"))
        ui.table(rows)
    else:
        st.caption(t("ft.no_plan"))
