"""Audit outputs: report.json, records.parquet, a self-contained report.html (inline SVG charts), and the terminal
summary as a rich renderable (the CLI prints it; nothing here prints)."""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path

import numpy as np

from workbench.atomic import atomic_dir, check_output_dir

__all__ = [
    "REPORT_FILES",
    "output_paths",
    "write_outputs",
    "to_json",
    "records_table",
    "render_html",
    "precision_text",
    "terminal_summary",
]

REPORT_FILES = ("report.json", "records.parquet", "report.html")  # an audit's --out folder holds these, as one set

_PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
]
_VERDICT_COLOR = {"good": "#2e7d32", "fair": "#ef6c00", "poor": "#c62828", "n/a": "#757575"}


def _default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, tuple)):
        return list(o)
    return str(o)


def _finite(o):
    """NaN/inf are not JSON: write them as null."""
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_finite(v) for v in o]
    return o


def to_json(report: dict) -> str:
    return (
        json.dumps(
            _finite(json.loads(json.dumps(report, default=_default))), ensure_ascii=False, indent=2, sort_keys=False
        )
        + "\n"
    )


def records_table(table: dict):
    """The per-record columns as a pyarrow Table (reasons and PII kinds as lists of strings)."""
    import pyarrow as pa

    cols = {}
    for k, v in table.items():
        if k in ("reasons", "pii"):
            cols[k] = pa.array(v, type=pa.list_(pa.string()))
        elif k == "script":
            cols[k] = pa.array(v, type=pa.string())
        else:
            cols[k] = pa.array(np.asarray(v))
    return pa.table(cols)


def output_paths(out: str | os.PathLike) -> dict[str, str]:
    """Where an audit's outputs land in `out` (absolute paths, as report.json's `outputs` gives them)."""
    out = Path(out).resolve()
    return {
        "dir": str(out),
        "report_json": str(out / "report.json"),
        "records": str(out / "records.parquet"),
        "html": str(out / "report.html"),
    }


def write_outputs(
    out: str | os.PathLike,
    report: dict,
    table: dict,
    *,
    shard_rows: int | None = None,
    into: str | os.PathLike | None = None,
) -> dict:
    """Write report.json, records.parquet and report.html as one set: built in a temp sibling of `out` and swapped in
    with one rename (`workbench.atomic.atomic_dir`), so a failure at any point leaves the earlier set whole and no temp
    behind. `into`: write the files into that folder instead (a caller's own atomic_dir temp, swapped in by it); the
    paths in `report["outputs"]` still name `out`. With `shard_rows`, records.parquet is a folder of Parquet shards of
    that many rows (the Ray engine's layout)."""
    paths = output_paths(out)
    report["outputs"] = paths
    if into is not None:
        _write_set(Path(into), report, table, shard_rows)
        return paths
    check_output_dir(out, replaces=REPORT_FILES)
    with atomic_dir(paths["dir"]) as tmp:
        _write_set(tmp, report, table, shard_rows)
    return paths


def _write_set(folder: Path, report: dict, table: dict, shard_rows: int | None) -> None:
    import pyarrow.parquet as pq

    tab = records_table(table)
    if shard_rows:
        (folder / "records.parquet").mkdir()
        for k, start in enumerate(range(0, max(tab.num_rows, 1), shard_rows)):
            pq.write_table(tab.slice(start, shard_rows), folder / "records.parquet" / f"part-{k:05d}.parquet")
    else:
        pq.write_table(tab, folder / "records.parquet")
    (folder / "report.html").write_text(render_html(report, table), encoding="utf-8")
    (folder / "report.json").write_text(to_json(report), encoding="utf-8")


# -- SVG charts ------------------------------------------------------------------------------------------------------
def _esc(x) -> str:
    return html.escape(str(x), quote=True)


def svg_bars(items: list[tuple[str, float]], *, width: int = 640, bar_h: int = 18, color: str = "#4e79a7") -> str:
    """Horizontal bar chart of (label, value)."""
    if not items:
        return "<p class='muted'>nothing to show</p>"
    label_w, pad = 190, 50
    vmax = max(v for _, v in items) or 1
    h = bar_h * len(items) + 10
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{h}' role='img'>"]
    for i, (label, v) in enumerate(items):
        y = 5 + i * bar_h
        w = (width - label_w - pad) * v / vmax
        parts.append(
            f"<text x='{label_w - 6}' y='{y + bar_h * 0.7:.1f}' text-anchor='end' font-size='12'>"
            f"{_esc(label)}</text>"
            f"<rect x='{label_w}' y='{y + 2}' width='{w:.1f}' height='{bar_h - 4}' fill='{color}'>"
            f"<title>{_esc(label)}: {v:g}</title></rect>"
            f"<text x='{label_w + w + 4:.1f}' y='{y + bar_h * 0.7:.1f}' font-size='11'>{v:g}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def svg_histogram(
    counts: list[int],
    edges: list[float],
    *,
    width: int = 640,
    height: int = 200,
    xlabel: str = "",
    color: str = "#59a14f",
) -> str:
    if not counts:
        return "<p class='muted'>nothing to show</p>"
    left, bottom, top = 45, 30, 10
    cmax = max(counts) or 1
    bw = (width - left - 10) / len(counts)
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img'>"]
    for i, c in enumerate(counts):
        hgt = (height - bottom - top) * c / cmax
        parts.append(
            f"<rect x='{left + i * bw:.1f}' y='{height - bottom - hgt:.1f}' width='{max(bw - 1, 1):.1f}' "
            f"height='{hgt:.1f}' fill='{color}'><title>{edges[i]:g}–{edges[i + 1]:g}: {c}</title></rect>"
        )
    parts.append(f"<line x1='{left}' y1='{height - bottom}' x2='{width - 10}' y2='{height - bottom}' stroke='#333'/>")
    parts.append(
        f"<text x='{left}' y='{height - 12}' font-size='11'>{edges[0]:g}</text>"
        f"<text x='{width - 10}' y='{height - 12}' font-size='11' text-anchor='end'>{edges[-1]:g}</text>"
        f"<text x='{(width + left) / 2:.0f}' y='{height - 2}' font-size='11' text-anchor='middle'>"
        f"{_esc(xlabel)}</text><text x='4' y='{top + 10}' font-size='11'>{cmax}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def svg_scatter(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    width: int = 640,
    height: int = 420,
    max_points: int = 4000,
    seed: int = 0,
) -> str:
    """The 2-D map of the set, coloured by cluster (a fixed-seed sample when large)."""
    n = len(x)
    if n == 0 or not np.isfinite(x).any():
        return "<p class='muted'>no map (diversity stage off)</p>"
    idx = np.arange(n)
    if n > max_points:
        idx = np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))
    xs, ys, gs = x[idx], y[idx], groups[idx]
    # axes span the 1st-99th percentiles (outliers sit on the edge) so a few far points don't squash the map
    x0, x1 = (float(v) for v in np.nanpercentile(xs, [1, 99]))
    y0, y1 = (float(v) for v in np.nanpercentile(ys, [1, 99]))
    xs, ys = np.clip(xs, x0, x1), np.clip(ys, y0, y1)
    sx = (width - 20) / ((x1 - x0) or 1)
    sy = (height - 20) / ((y1 - y0) or 1)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
        "style='background:#fafafa'>"
    ]
    for xi, yi, g in zip(xs, ys, gs):
        c = _PALETTE[int(g) % len(_PALETTE)] if g >= 0 else "#999"
        parts.append(
            f"<circle cx='{10 + (xi - x0) * sx:.1f}' cy='{height - 10 - (yi - y0) * sy:.1f}' r='2.2' "
            f"fill='{c}' fill-opacity='0.7'/>"
        )
    parts.append("</svg>")
    return "".join(parts)


# -- HTML ------------------------------------------------------------------------------------------------------------
def _table(rows: list[dict], cols: list[str], limit: int = 50) -> str:
    if not rows:
        return "<p class='muted'>none</p>"
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    body = []
    for r in rows[:limit]:
        body.append("<tr>" + "".join(f"<td>{_esc(_cell(r.get(c)))}</td>" for c in cols) + "</tr>")
    more = f"<p class='muted'>{len(rows) - limit} more in report.json</p>" if len(rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list):
        s = ", ".join(map(str, v[:12]))
        return s + (" …" if len(v) > 12 else "")
    return "" if v is None else str(v)


def render_html(report: dict, table: dict) -> str:
    """One self-contained page: no scripts, no external files; charts are inline SVG."""
    parts = (_html_head, _html_verdict, _html_quality, _html_lengths, _html_duplicates, _html_diversity, _html_rest)
    return "".join(part(report, table) for part in parts)


def _html_head(report: dict, table: dict) -> str:
    s, inp = report["summary"], report["input"]
    skipped = f", {inp['skipped_rows']} bad rows skipped" if inp.get("skipped_rows") else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>curate audit: {_esc(Path(inp["path"]).name)}</title>
<style>
body{{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans KR',sans-serif;margin:2em auto;max-width:1000px;
color:#222;padding:0 1em}} h1{{font-size:1.5em}} h2{{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}}
table{{border-collapse:collapse;margin:.5em 0;font-size:.9em}} td,th{{border:1px solid #ddd;padding:3px 8px;
text-align:left;vertical-align:top;max-width:520px;overflow-wrap:anywhere}} th{{background:#f3f3f3}}
.muted{{color:#777}} .grid{{display:grid;grid-template-columns:1fr 1fr;gap:1em}}
</style></head><body>
<h1>Dataset audit: {_esc(inp["path"])}</h1>
<p>{s["records"]:,} records ({_esc(inp["format"])}, {_esc(inp["kind"])}: prompt field <code>{_esc(inp["prompt_field"])}
</code>, answer field <code>{_esc(inp["answer_field"])}</code>){skipped}.</p>
"""


def _html_verdict(report: dict, table: dict) -> str:
    verdict_rows = "".join(
        f"<tr><td>{_esc(axis.replace('_', ' '))}</td><td><b style='color:{_VERDICT_COLOR.get(d['verdict'], '#000')}'>"
        f"{_esc(d['verdict'])}</b></td><td>{_esc(d['figure'])}</td><td class='muted'>{_esc(d['rule'])}</td></tr>"
        for axis, d in report["verdicts"].items()
    )
    fixes = "".join(f"<li>{_esc(f)}</li>" for f in report.get("fixes", [])) or "<li>nothing to fix</li>"
    return f"""<h2>Verdict</h2>
<table><thead><tr><th>axis</th><th>verdict</th><th>figure</th><th>rule of thumb</th></tr></thead>
<tbody>{verdict_rows}</tbody></table>
<h3>Top fixes</h3><ol>{fixes}</ol>
"""


def _html_quality(report: dict, table: dict) -> str:
    q = report["quality"]
    reasons = list(q["reasons"].items())[:25]
    rules = q.get("rules", {})
    blocks = "".join(
        _html_flag(r, exs, rules.get(r), q["reasons"].get(r, 0)) for r, exs in q.get("examples", {}).items()
    )
    return f"""<h2>Quality</h2>
<p>{q["flagged_share"]:.1%} of records have at least one reason code.</p>
{svg_bars([(r, c) for r, c in reasons], color="#e15759")}
<h3>Examples, with the rule that fired and how sure it is</h3>
<p class="muted">Precision: the share of a rule's flags that were real defects on labelled real data
(docs/flags.md). <code>curate clean</code> drops a record on a flag at least as sure as its recipe's
<code>review_below</code> (0.8 by default) and sends the others, and those not measured, to its review file.</p>
{blocks or "<p class='muted'>none</p>"}
"""


def precision_text(p: float | None, basis: str | None = None) -> str:
    """How sure a flag is, in words: a defect by definition, its measured precision, or that it was not measured."""
    if basis == "definition":
        return "a defect by definition"
    return "precision not measured" if p is None else f"precision {p:.2f}"


def _html_flag(reason: str, examples: list[dict], rule: dict | None, records: int) -> str:
    """One reason code: how many records it flags, how sure it is, the rule behind it, then its examples."""
    rule = rule or {}
    sure = _esc(precision_text(rule.get("precision"), rule.get("basis"))) if rule else ""
    behind = f"<p class='muted'>signal <code>{_esc(rule['signal'])}</code>: {_esc(rule['rule'])}</p>" if rule else ""
    return (
        f"<h4><code>{_esc(reason)}</code>: {records:,} record{'' if records == 1 else 's'}"
        f"{'; ' + sure if sure else ''}</h4>{behind}"
        f"{_table(examples, ['line', 'prompt', 'answer'], limit=20)}"
    )


def _html_lengths(report: dict, table: dict) -> str:
    tok = report.get("tokens") or {}
    tok_hist = tok.get("histogram") or {}
    chars = np.asarray(table.get("answer_chars", []))
    chars_svg = ""
    if len(chars):
        hi = max(int(np.percentile(chars, 99)), 1)  # the last bar holds the top 1 %
        ch, ce = np.histogram(np.minimum(chars, hi), bins=min(30, hi), range=(0, hi))
        chars_svg = svg_histogram(
            [int(c) for c in ch], [float(e) for e in ce], xlabel="answer length (characters; last bar: longer)"
        )
    over = f", {tok.get('truncated_share', 0):.1%} over --max-length" if report["config"].get("max_length") else ""
    return f"""<h2>Lengths and tokens</h2>
<p>Tokens ({_esc(tok.get("tokenizer", ""))}): total {tok.get("total", 0):,}, p50 {_cell(tok.get("p50"))},
p95 {_cell(tok.get("p95"))}
{over}.</p>
{svg_histogram(tok_hist.get("counts", []), tok_hist.get("edges", []), xlabel="tokens per record")}
{chars_svg}
"""


def _html_duplicates(report: dict, table: dict) -> str:
    s, dup = report["summary"], report.get("duplicates", {})
    near = dup.get("near", {})
    return f"""<h2>Duplicates</h2>
<p>Exact duplicate records per field: {_esc(json.dumps(s["exact_duplicate_records"], ensure_ascii=False))}.
Near-duplicate clusters: {s["near_duplicate_clusters"]} ({s["near_duplicate_records"]} records beyond their
representatives).</p>
<h3>Exact duplicate pairs</h3>{_table(dup.get("pair_groups") or dup.get("groups") or [], ["size", "lines", "text"], 20)}
<h3>One answer, different questions</h3>{_table(dup.get("shared_answers", []), ["size", "lines", "text"], 20)}
<h3>One question, different answers (conflicting)</h3>
{_table(dup.get("conflicting", []), ["size", "lines", "text"], 20)}
<h3>Largest near-duplicate clusters</h3>{_table(near.get("largest", []), ["cluster", "size", "method", "line", "text"], 20)}
{_html_semantic(report)}"""


def _html_semantic(report: dict) -> str:
    """The optional semantic stage's clusters and paraphrased test leaks (curate.stages.semantic); "" when off."""
    sem = report.get("semantic")
    if not sem:
        return ""
    cont = sem.get("contamination")
    leaks = (
        f"<h3>Paraphrased test items ({cont['test_items']} of {cont['test_items_total']})</h3>"
        + _table(cont["items"], ["test_id", "cosine", "train_line", "train_text"], 50)
        if cont
        else ""
    )
    return f"""<h3>Paraphrase clusters ({_esc(sem["model"])}, cosine &ge; {sem["threshold"]})</h3>
<p>{sem["clusters"]} clusters ({sem["records"]} records beyond their first), compared on {_esc(sem["field"])}.</p>
{_table(sem.get("largest", []), ["cluster", "size", "cosine", "line", "text", "other_line", "other_text"], 20)}
{leaks}"""


def _html_diversity(report: dict, table: dict) -> str:
    div = report.get("diversity", {})
    template = div.get("template", {})
    label_bal = div.get("label_balance") or {}
    scatter = svg_scatter(
        np.asarray(table.get("map_x", [])),
        np.asarray(table.get("map_y", [])),
        np.asarray(table.get("cluster", [])),
        width=480,
        height=360,
    )
    balance = (
        _esc(json.dumps({k: v for k, v in label_bal.items() if k != "counts"}, default=str))
        if label_bal
        else "no label field"
    )
    return f"""<h2>Diversity</h2>
<div class="grid"><div>{scatter}</div>
<div><table><tbody>
<tr><td>distinct-1</td><td>{_cell(div.get("distinct_1"))}</td></tr>
<tr><td>distinct-2</td><td>{_cell(div.get("distinct_2"))}</td></tr>
<tr><td>Vendi score</td><td>{_cell(div.get("vendi"))}</td></tr>
<tr><td>clusters</td><td>{_cell(div.get("n_clusters"))}</td></tr>
<tr><td>cluster entropy (normalised)</td><td>{_cell(div.get("cluster_entropy"))}</td></tr>
<tr><td>coverage</td><td>{_cell(div.get("coverage"))}</td></tr>
<tr><td>commonest answer opening</td><td>{_esc((template.get("top_openings") or [{}])[0].get("opening", ""))}
 ({_cell(template.get("top_opening_share"))})</td></tr>
<tr><td>opening entropy</td><td>{_cell(template.get("opening_entropy"))}</td></tr>
<tr><td>label balance</td><td>{balance}</td></tr>
</tbody></table></div></div>
"""


def _html_rest(report: dict, table: dict) -> str:
    s, pii, cont = report["summary"], report.get("pii", {}), report.get("contamination")
    cont_html = "<p class='muted'>no --test given</p>"
    if cont:
        cont_html = (
            f"<p>{cont['contaminated']} of {cont['test_items']} test items overlap the training set "
            f"({_esc(cont['test'])}).</p>"
            + _table(cont["items"], ["test_id", "method", "overlap", "train_line", "test_text"])
        )
    summary_rows = "".join(
        f"<tr><td>{_esc(k)}</td><td>{_esc(json.dumps(val, ensure_ascii=False, default=str))}</td></tr>"
        for k, val in s.items()
    )
    return f"""<h2>Generated-looking text</h2>
<p>{s["generated_records"]} records carry LLM boilerplate (self-reference, refusals, knowledge-cutoff talk, filler).</p>
<h2>PII</h2>
<p>{pii.get("records", 0)} records with PII; by kind: {_esc(json.dumps(pii.get("by_kind", {})))}.</p>
{_table(pii.get("examples", []), ["line", "field", "kind", "masked"])}
<h2>Contamination</h2>{cont_html}
<h2>Scripts</h2><p>{_esc(json.dumps(report.get("language", {}).get("scripts", {})))}</p>
<h2>Summary (report.json)</h2><table><tbody>{summary_rows}</tbody></table>
<p class="muted">curate audit; timings {_esc(json.dumps(report.get("timings_s", {})))}</p>
</body></html>
"""


# -- terminal ---------------------------------------------------------------------------------------------------------
def terminal_summary(report: dict):
    """A rich renderable: the four axes with verdicts, the key counts, and the top fixes."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    s = report["summary"]
    colors = {"good": "green", "fair": "yellow", "poor": "red", "n/a": "dim"}
    t = Table(
        title=f"curate audit: {Path(report['input']['path']).name} ({s['records']:,} records)", title_justify="left"
    )
    t.add_column("axis")
    t.add_column("verdict")
    t.add_column("figure")
    for axis, d in report["verdicts"].items():
        t.add_row(axis.replace("_", " "), Text(d["verdict"], style=colors.get(d["verdict"], "")), d["figure"])
    exact = ", ".join(f"{k} {v}" for k, v in s["exact_duplicate_records"].items())
    lines = [
        f"exact duplicates: {exact or 'n/a'};  near-duplicate clusters: {s['near_duplicate_clusters']} "
        f"({s['near_duplicate_records']} records)",
        f"truncated {s['truncated_records']}, html {s['html_records']}, generated {s['generated_records']}, "
        f"PII records {s['pii_records']}"
        + (f", contaminated test items {s['contaminated']}" if s.get("contaminated") is not None else ""),
    ]
    if "semantic_clusters" in s:  # only with --semantic
        lines.append(
            f"paraphrase clusters: {s['semantic_clusters']} ({s['semantic_duplicate_records']} records)"
            + (
                f", paraphrased test leaks: {s['semantic_contaminated_records']} records"
                if "semantic_contaminated_records" in s
                else ""
            )
        )
    parts = [t, Text("\n".join(lines))]
    if report.get("fixes"):
        parts.append(Text("top fixes:", style="bold"))
        parts.extend(Text(f"  {i}. {f}") for i, f in enumerate(report["fixes"], 1))
    return Group(*parts)
