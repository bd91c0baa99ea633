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
        work = Path(tempfile.mkdtemp(prefix="wb-audit-"))
        path = work / Path(up.name).name
        path.write_bytes(up.getvalue())
        with st.spinner(t("au.running")):
            try:
                data.run_audit(store, path, work / "out")
                st.success(t("au.done"))
            except data.Unavailable as e:
                ui.unavailable(e)
            except Exception as e:  # noqa: BLE001 - a bad file is a message (curate names file:line)
                # said with the uploaded file's name, never the temporary copy's path or the CLI's flags
                st.error(t("au.failed", error=ui.user_message(e, {str(path): up.name, str(work): ""})))

runs = data.runs(store, "audit")
runs = runs[runs["status"] == "done"]
if runs.empty:
    st.info(t("au.empty"))
    st.stop()
# a run's name can be the path of the file it audited (a temporary copy for an upload): its file name is enough
fmt = {r.id: f"{Path(str(r.name)).name} · {str(r.created_at)[:16]}" for r in runs.itertuples()}
run_id = st.selectbox(t("au.pick"), list(fmt), format_func=fmt.get, key="au_pick")
report = data.audit_report(store, run_id)
records = data.audit_records(store, run_id)
summary = report.get("summary") or {}
if records is None:
    st.caption(t("au.summary_only"))

# -- the four axes with their verdicts --------------------------------------------------------------------------------
verdicts = report.get("verdicts") or summary.get("verdicts") or {}
cols = st.columns(4)
for col, axis in zip(cols, ("quality", "diversity", "real_vs_generated", "amount")):
    v = verdicts.get(axis) or {}
    color = {"good": "green", "fair": "orange", "poor": "red"}.get(v.get("verdict"), "gray")
    col.metric(
        t(f"au.{axis}"),
        t(f"au.verdict_{v.get('verdict', 'none')}"),
        ui.say(v.get("figure_key"), v.get("figure")),
        delta_color=color,
        delta_arrow="off",
        help=ui.say(v.get("rule_key"), v.get("rule")),
        border=True,
    )
if summary:
    counts = (
        ("au.n_records", summary.get("records", 0)),
        ("au.n_flagged", summary.get("flagged_records", 0)),
        ("au.n_pii", summary.get("pii_findings", 0)),
        ("au.n_tokens", (summary.get("tokens") or {}).get("total", 0)),
    )
    st.caption(" · ".join(ui.plural(key, int(n or 0)) for key, n in counts))
fixes = report.get("fixes") or []
for fix, msg in zip(fixes, report.get("fixes_keys") or [None] * len(fixes)):
    st.markdown(f"- {ui.say(msg, fix)}")

# -- histograms --------------------------------------------------------------------------------------------------------
if records is not None:
    num = [c for c in ("answer_chars", "tokens", "perplexity") if c in records.columns and records[c].notna().any()]
    if num:
        st.subheader(t("au.histograms"))
        for col, c in zip(st.columns(len(num)), num):
            with col:
                ui.chart(
                    alt.Chart(records[[c]].dropna())
                    .mark_bar()
                    .encode(
                        x=alt.X(f"{c}:Q", bin=alt.Bin(maxbins=30), title=t(f"au.col_{c}")),
                        y=alt.Y("count():Q", title=t("au.count")),
                    )
                    .properties(height=200)
                )

# -- reason codes with example records -------------------------------------------------------------------------------
# the report's record tables: curate's column names -> catalogue keys
RECORD_COLUMNS = {
    "line": "au.col_line",
    "prompt": "rate.question",
    "answer": "rate.answer",
    "field": "au.col_field",
    "kind": "au.col_kind",
    "masked": "au.col_masked",
    "test_id": "au.col_test_id",
    "train_index": "au.col_train_index",
    "method": "au.col_method",
    "overlap": "au.col_overlap",
}
quality = report.get("quality") or {}
reasons = quality.get("reasons") or {}
if reasons:
    st.subheader(t("au.reasons"))
    rules = quality.get("rules") or {}  # each reason's signal, rule and precision (reports before severity: none)

    def _sure(reason: str) -> str:
        rule = rules.get(reason) or {}
        if rule.get("basis") == "definition":
            return t("au.sure_definition")
        return "—" if rule.get("precision") is None else f"{rule['precision']:.0%}"

    rc = pd.DataFrame(
        [(r, n, _sure(r)) for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])],
        columns=[t("au.reason"), t("au.count"), t("au.precision")],
    )
    ui.table(rc)
    pick = st.selectbox(t("au.examples_for"), list(reasons), key="au_reason")
    if rules.get(pick):
        st.caption(t("au.rule_fired", signal=rules[pick]["signal"], rule=rules[pick]["rule"], sure=_sure(pick)))
    ex = (quality.get("examples") or {}).get(pick) or []
    if ex:
        ui.table(pd.DataFrame(ex), RECORD_COLUMNS)


# -- duplicate clusters, side by side ----------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=4)
def _texts(path: str, fields: dict | None, lines: tuple[int, ...]) -> dict[int, str]:
    """The records at `lines` (1-based data lines, as the report names them) from the audited file."""
    from curate.fields import detect_fields, to_pair
    from workbench.tabular import read_rows

    want, out, fmap = set(lines), {}, None
    for i, row in enumerate(read_rows(path, skip_bad=True), start=1):
        if i in want:
            fmap = fmap or detect_fields(
                list(row),
                {k: v for k, v in (fields or {}).items() if k in ("question", "answer", "text", "messages")} or None,
            )
            q, a = to_pair(row, fmap)
            out[i] = f"{q}\n\n{a}" if isinstance(q, str) else f"{q}\n\n{a}"
        if len(out) == len(want):
            break
    return out


dups = report.get("duplicates") or {}
groups = [dict(kind=t("au.exact"), lines=g["lines"], size=g["size"]) for g in dups.get("pair_groups") or []]
for column, kind in (("near_cluster", "au.near"), ("semantic_cluster", "au.semantic")):  # MinHash, then --semantic
    if records is not None and column in records.columns:
        found = records[records[column] >= 0].groupby(column)["line"].apply(list)
        groups += [dict(kind=t(kind), lines=ls, size=len(ls), reworded=column == "semantic_cluster") for ls in found]
if groups:
    st.subheader(t("au.clusters", n=len(groups)))
    gi = st.selectbox(
        t("au.cluster"),
        range(len(groups)),
        key="au_cluster",
        format_func=lambda i: (
            f"{groups[i]['kind']} · {groups[i]['size']} · " + ", ".join(map(str, groups[i]["lines"][:6]))
        ),
    )
    lines = groups[gi]["lines"][:2]
    src = (report.get("input") or {}).get("path")
    texts = {}
    if src and Path(src).exists() and len(lines) == 2:
        try:
            texts = _texts(src, (report.get("input") or {}).get("fields"), tuple(lines))
        except Exception:  # noqa: BLE001 - the file moved or changed since the audit: show the line numbers only
            texts = {}
    if len(texts) == 2:
        a, b = texts[lines[0]], texts[lines[1]]
        left, right = st.columns(2, border=True)
        left.caption(t("au.line", n=lines[0]))
        left.text(a)
        right.caption(t("au.line", n=lines[1]))
        right.text(b)
        if groups[gi].get("reworded"):  # a word diff of a rewording is every word: say how close instead
            cos = {(c["line"], c["other_line"]): c["cosine"] for c in (report.get("semantic") or {}).get("largest", [])}
            if tuple(lines) in cos:
                st.caption(t("au.cosine", cos=cos[tuple(lines)]))
        else:
            diff = "\n".join(difflib.unified_diff(a.split(), b.split(), lineterm="", n=2))
            st.code(diff or t("au.identical"), language="diff")
    else:
        st.write(t("au.lines", lines=", ".join(map(str, groups[gi]["lines"]))))


# -- diversity map ----------------------------------------------------------------------------------------------------
def _map_view(m: pd.DataFrame, reach: float = 1.5) -> tuple[pd.DataFrame, int]:
    """The map's points with far outliers held at the edge of the view, so one stray point can't squash the rest:
    the view spans the 5th to 95th percentile widened by `reach` times that range on each side (Tukey's fences on
    a wider, cluster-friendly spread). Returns the points (x, y, edge) and how many sit outside."""
    m = m.copy()
    edge = pd.Series(False, index=m.index)
    for src, dst in (("map_x", "x"), ("map_y", "y")):
        v = m[src].astype(float)
        p5, p95 = v.quantile([0.05, 0.95])
        span = max(p95 - p5, 1e-9) * reach
        lo, hi = p5 - span, p95 + span
        edge |= (v < lo) | (v > hi)
        m[dst] = v.clip(lo, hi)
    m["edge"] = edge
    return m, int(edge.sum())


div = report.get("diversity") or {}
if records is not None and {"map_x", "map_y"} <= set(records.columns):
    st.subheader(t("au.map"))
    m, outside = _map_view(records[["line", "map_x", "map_y", "cluster"]].dropna())
    point = alt.Chart(m).encode(
        x=alt.X("x:Q", title=t("au.map_x"), scale=alt.Scale(zero=False, nice=False), axis=alt.Axis(labels=False)),
        y=alt.Y("y:Q", title=t("au.map_y"), scale=alt.Scale(zero=False, nice=False), axis=alt.Axis(labels=False)),
        color=alt.Color("cluster:N", title=t("au.cluster"), legend=alt.Legend(columns=2, symbolLimit=40)),
        shape=alt.Shape("edge:N", scale=alt.Scale(domain=[False, True], range=["circle", "triangle-up"]), legend=None),
        tooltip=[alt.Tooltip("line:Q", title=t("au.col_line")), alt.Tooltip("cluster:N", title=t("au.cluster"))],
    )
    ui.chart(point.mark_point(filled=True, size=45, opacity=0.75).properties(height=420))
    if outside:
        st.caption(ui.plural("au.map_outside", outside))
    figs = {
        k: div[k]
        for k in ("distinct_1", "distinct_2", "vendi", "cluster_entropy", "coverage")
        if isinstance(div.get(k), (int, float))
    }
    st.caption(" · ".join(f"{t(f'au.div_{k}')} {v:.3g}" for k, v in figs.items()))

# -- PII (masked) and contamination ----------------------------------------------------------------------------------
pii = report.get("pii") or {}
found = pii.get("examples") or []
st.subheader(t("au.pii", n=summary.get("pii_findings", len(found))))
if found:
    ui.table(pd.DataFrame(found)[[c for c in ("line", "field", "kind", "masked") if c in found[0]]], RECORD_COLUMNS)
cont = report.get("contamination")
if cont is None:
    st.subheader(t("au.contamination_none"))
else:
    items = cont.get("items") or []
    st.subheader(t("au.contamination", n=cont.get("contaminated", len(items))))
    if items:
        ui.table(pd.DataFrame(items), RECORD_COLUMNS)
