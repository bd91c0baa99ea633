"""Dataset audit: a recorded `curate audit` (or one run here on an uploaded file): the four axes with verdicts,
histograms, reason codes with examples, duplicate clusters side by side, the diversity map, PII, contamination."""
from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from apps import data, ui

t = ui.t
ui.require_admin()
store = ui.store()
st.title(t("au.title"))

with st.expander(t("au.upload")):
    up = st.file_uploader(t("au.file"), type=["jsonl", "json", "csv", "tsv", "parquet"], key="au_file")
    if up is not None and st.button(t("au.run"), key="au_run"):
        try:
            audit = data._need("curate.pipeline", "audit")
        except data.Unavailable as e:
            ui.unavailable(e)
        else:
            work = Path(tempfile.mkdtemp(prefix="wb-audit-"))
            path = work / up.name
            path.write_bytes(up.getvalue())
            with st.spinner(t("au.running")):
                try:
                    audit(str(path), out=str(work / "out"), store=store)
                    st.success(t("au.done"))
                except Exception as e:  # noqa: BLE001 - a bad file is a message (curate names file:line)
                    st.error(str(e))

runs = data.runs(store, "audit")
if runs.empty:
    st.info(t("au.empty"))
    st.stop()
fmt = {r.id: f"{r.name} · {str(r.created_at)[:16]}" for r in runs.itertuples()}
run_id = st.selectbox(t("au.pick"), list(fmt), format_func=fmt.get, key="au_pick")
report = data.audit_report(store, run_id)
records = data.audit_records(store, run_id)

# -- the four axes --------------------------------------------------------------------------------------------------
axes = report.get("axes") or {}
cols = st.columns(4)
for col, axis in zip(cols, ("quality", "diversity", "real_vs_generated", "amount")):
    a = axes.get(axis) or {}
    val = a.get("value", a.get("score"))
    col.metric(t(f"au.{axis}"), "—" if val is None else (f"{val:,}" if isinstance(val, int) else f"{val:.3g}"),
               a.get("verdict"), delta_color="off")

# -- histograms -----------------------------------------------------------------------------------------------------
if records is not None:
    num = [c for c in ("chars", "tokens", "perplexity", "length", "answer_tokens") if c in records.columns]
    if num:
        st.subheader(t("au.histograms"))
        hcols = st.columns(len(num))
        for col, c in zip(hcols, num):
            with col:
                ui.chart(alt.Chart(records[[c]].dropna()).mark_bar().encode(
                    x=alt.X(f"{c}:Q", bin=alt.Bin(maxbins=30), title=t(f"au.col_{c}") if c in
                            ("chars", "tokens", "perplexity") else c), y=alt.Y("count():Q", title=None))
                    .properties(height=200))

# -- reason codes -------------------------------------------------------------------------------------------------
reasons = report.get("reasons") or {}
if reasons:
    st.subheader(t("au.reasons"))
    rc = pd.DataFrame([(k, v.get("count", v) if isinstance(v, dict) else v) for k, v in reasons.items()],
                      columns=[t("au.reason"), t("au.count")]).sort_values(t("au.count"), ascending=False)
    st.dataframe(rc, hide_index=True, width="stretch")
    pick = st.selectbox(t("au.examples_for"), list(reasons), key="au_reason")
    ex = reasons[pick].get("examples", []) if isinstance(reasons[pick], dict) else []
    if records is not None and ex:
        st.dataframe(records.iloc[[i for i in ex if isinstance(i, int) and i < len(records)]],
                     width="stretch")
    elif ex:
        st.write(ex)

# -- duplicate clusters ----------------------------------------------------------------------------------------------
dedup = report.get("dedup") or {}
clusters = dedup.get("clusters") or []
if clusters:
    st.subheader(t("au.clusters", n=len(clusters)))
    ci = st.number_input(t("au.cluster"), 1, len(clusters), 1, key="au_cluster") - 1
    members = clusters[ci]
    if records is not None and len(members) >= 2:
        text_col = next((c for c in ("question", "text", "prompt") if c in records.columns), records.columns[0])
        a, b = str(records.iloc[members[0]][text_col]), str(records.iloc[members[1]][text_col])
        left, right = st.columns(2, border=True)
        left.caption(f"#{members[0]}")
        left.write(a)
        right.caption(f"#{members[1]}")
        right.write(b)
        diff = "\n".join(difflib.unified_diff(a.split(), b.split(), lineterm="", n=2))
        st.code(diff or t("au.identical"), language="diff")
    else:
        st.write(members)

# -- diversity map -------------------------------------------------------------------------------------------------
div = report.get("diversity") or {}
if div.get("map_xy"):
    st.subheader(t("au.map"))
    m = pd.DataFrame(div["map_xy"], columns=["x", "y"]).assign(cluster=div.get("cluster_ids") or 0)
    if records is not None and len(records) == len(m):
        text_col = next((c for c in ("question", "text", "prompt") if c in records.columns), None)
        if text_col:
            m["text"] = records[text_col].astype(str).str.slice(0, 120).to_numpy()
    ui.chart(alt.Chart(m).mark_circle(size=40, opacity=0.7).encode(
        x=alt.X("x:Q", title=None), y=alt.Y("y:Q", title=None), color=alt.Color("cluster:N", title=t("au.cluster")),
        tooltip=[c for c in ("cluster", "text") if c in m.columns]).properties(height=380))
    figs = {k: v for k, v in div.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if figs:
        st.caption(" · ".join(f"{k} {v:.3g}" for k, v in figs.items()))

# -- PII and contamination -----------------------------------------------------------------------------------------------
pii = report.get("pii")
if isinstance(pii, dict):
    pii = pii.get("findings") or pii.get("items") or []
st.subheader(t("au.pii", n=len(pii or [])))
if pii:
    st.dataframe(pd.DataFrame(pii), hide_index=True, width="stretch")
cont = report.get("contamination") or {}
items = cont.get("items") if isinstance(cont, dict) else cont
st.subheader(t("au.contamination", n=len(items or [])))
if items:
    st.dataframe(pd.DataFrame(items), hide_index=True, width="stretch")
