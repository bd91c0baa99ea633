"""Suite results as files: results.json, JUnit XML (one testcase per case), a Markdown summary, a rich table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench import atomic

__all__ = [
    "write_json",
    "junit_xml",
    "write_junit",
    "markdown_summary",
    "write_markdown",
    "results_table",
    "compare_markdown",
    "gate_markdown",
    "history_text",
    "power_text",
    "repeats_line",
]


def _pct(x) -> str:
    return "" if x is None else f"{100 * x:.1f}%"


def _frac(x) -> str:
    return "" if x is None else f"{x:.4f}"


def write_json(results: dict, path: str | Path) -> Path:
    """results.json (indent 2, non-ASCII kept), written atomically."""
    return atomic.write_json(path, results, indent=2, default=str)


def junit_xml(results: dict) -> str:
    """JUnit XML: a <testsuite> per suite × model, a <testcase> per case; fail → <failure>, error → <error>."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="evalkit")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for run in results["runs"]:
        m = run["metrics"]
        time_s = sum(c.get("latency_s") or 0.0 for c in run["cases"])
        ts = ET.SubElement(
            root,
            "testsuite",
            name=f"{run['suite']} [{run['model']}]",
            tests=str(m["total"]),
            failures=str(m["failed"]),
            errors=str(m["errors"]),
            skipped="0",
            time=f"{time_s:.3f}",
        )
        props = ET.SubElement(ts, "properties")
        for k in ("pass_rate", "acc", "acc_norm"):
            if m.get(k) is not None:
                ET.SubElement(props, "property", name=k, value=f"{m[k]:.6f}")
        ET.SubElement(props, "property", name="run_id", value=str(run.get("run_id", "")))
        for c in run["cases"]:
            tc = ET.SubElement(
                ts,
                "testcase",
                classname=f"{run['suite']}.{run['model']}",
                name=str(c["id"]),
                time=f"{c.get('latency_s') or 0.0:.3f}",
            )
            if c["status"] == "pass":
                continue
            failed = [a for a in c.get("assertions", []) if a.get("passed") is False]
            if c["status"] == "error":
                el = ET.SubElement(tc, "error", message=str(c.get("error", "error"))[:500], type="error")
            else:
                msg = "; ".join(f"{a['type']}: {a['reason']}" for a in failed)[:500] or "below threshold"
                el = ET.SubElement(tc, "failure", message=msg, type="assertion")
            el.text = f"output: {c.get('output', '')}"
            ET.SubElement(tc, "system-out").text = json.dumps(c.get("assertions", []), ensure_ascii=False)
        totals["tests"] += m["total"]
        totals["failures"] += m["failed"]
        totals["errors"] += m["errors"]
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(results: dict, path: str | Path) -> Path:
    """`junit_xml`, written atomically."""
    return atomic.atomic_write(path, junit_xml(results))


def _md_cell(text: Any, n: int = 80) -> str:
    s = " ".join(str(text).split())
    s = s if len(s) <= n else s[: n - 1] + "…"
    return s.replace("|", "\\|")


def markdown_summary(results: dict, *, max_failures: int = 10) -> str:
    """A table of suites × models, the held-out check, and the first failures of each run with why."""
    lines = [
        "# Suite results",
        "",
        "| suite | model | cases | passed | failed | errors | pass rate | acc | acc_norm |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        m = run["metrics"]
        lines.append(
            f"| {run['suite']} | {_md_cell(run['model'], 40)} | {m['total']} | {m['passed']} | {m['failed']} | "
            f"{m['errors']} | {_pct(m['pass_rate'])} | {_frac(m.get('acc'))} | {_frac(m.get('acc_norm'))} |"
        )
    held = results.get("heldout")
    if held:
        lines += [
            "",
            f"Held-out check against `{held['train']}`: {len(held['contaminated'])} case(s) overlap the "
            "training data" + (": " + ", ".join(held["contaminated"][:20]) if held["contaminated"] else "."),
        ]
    for run in results["runs"]:
        if "repeats" in run:
            lines += ["", repeats_line(run)]
    for rep in results.get("gates") or []:
        lines += [
            "",
            compare_markdown(rep).replace("# Compare", "## Gate compare", 1) if "a" in rep else gate_markdown(rep),
        ]
    for run in results["runs"]:
        bad = [c for c in run["cases"] if c["status"] != "pass" and "acc" not in c]
        if not bad:
            continue
        lines += [
            "",
            f"## {run['suite']} on {run['model']}: {len(bad)} not passing",
            "",
            "| case | status | why | output |",
            "|---|---|---|---|",
        ]
        for c in bad[:max_failures]:
            why = c.get("error") or "; ".join(
                f"{a['type']}: {a['reason']}" for a in c.get("assertions", []) if a.get("passed") is False
            )
            lines.append(f"| {c['id']} | {c['status']} | {_md_cell(why, 60)} | {_md_cell(c.get('output', ''), 60)} |")
        if len(bad) > max_failures:
            lines.append(f"| … | | {len(bad) - max_failures} more in results.json | |")
    return "\n".join(lines) + "\n"


def write_markdown(results: dict, path: str | Path) -> Path:
    """`markdown_summary`, written atomically."""
    return atomic.atomic_write(path, markdown_summary(results))


def results_table(results: dict):
    """A rich Table: one row per suite × model. `resumed` counts the cases an interrupted run had already stored
    (they call no model, so `cached` and `computed`, which count model calls, leave them out)."""
    from rich.table import Table

    t = Table(title="evalkit run", show_lines=False)
    for col, just in (
        ("suite", "left"),
        ("model", "left"),
        ("cases", "right"),
        ("pass", "right"),
        ("fail", "right"),
        ("error", "right"),
        ("pass rate", "right"),
        ("acc", "right"),
        ("acc_norm", "right"),
        ("resumed", "right"),
        ("cached", "right"),
        ("computed", "right"),
        ("run", "left"),
    ):
        t.add_column(col, justify=just, no_wrap=True)
    for run in results["runs"]:
        m, st = run["metrics"], run.get("stats", {})
        t.add_row(
            run["suite"],
            run["model"],
            str(m["total"]),
            str(m["passed"]),
            str(m["failed"]),
            f"[red]{m['errors']}[/red]" if m["errors"] else "0",
            _pct(m["pass_rate"]),
            _frac(m.get("acc")),
            _frac(m.get("acc_norm")),
            str(st.get("cases_from_store", "")),
            str(st.get("cached", "")),
            str(st.get("computed", "")),
            str(run.get("run_id", ""))[:8],
        )
    return t


def compare_markdown(rep: dict) -> str:
    """The compare report (`evalkit.suites.compare`) as Markdown: what the suite can detect, figures, verdict, the
    gate and why, per-tag table, flaky cases, flips."""
    from evalkit.suites.compare import power_line

    a, b = rep["a"], rep["b"]
    mc = rep["mcnemar"]
    lines = [
        f"# Compare {a['suite']}: {a['model']} ({a['run_id'][:8]}) → {b['model']} ({b['run_id'][:8]})",
        "",
        f"{power_line(rep)}.",
        "",
        f"- paired cases: {rep['n']}"
        + (
            f" (only in A: {len(rep['only_a'])}, only in B: {len(rep['only_b'])})"
            if rep["only_a"] or rep["only_b"]
            else ""
        ),
        f"- pass rate: {_pct(a['pass_rate'])} → {_pct(b['pass_rate'])} (Δ {100 * rep['delta']:+.1f} points, "
        f"{int(100 * rep['confidence'])}% bootstrap CI {100 * rep['ci'][0]:+.1f} … {100 * rep['ci'][1]:+.1f})",
        f"- exact McNemar: {mc['pass_to_fail']} pass→fail, {mc['fail_to_pass']} fail→pass, p = {mc['p_value']:.4g}",
    ]
    if rep.get("test", "exact McNemar") != "exact McNemar":
        lines.append(f"- {rep['test']} ({rep['power']['units']} {rep['power']['unit']}s): p = {rep['p_value']:.4g}")
    for k in ("acc", "acc_norm"):
        if k in rep.get("metrics_delta", {}):
            d = rep["metrics_delta"][k]
            lines.append(f"- {k}: {_pct(d['a'])} → {_pct(d['b'])} ({100 * d['delta']:+.1f} points)")
    lines.append(f"- verdict: **{rep['verdict']}**")
    if rep["critical_regressions"]:
        lines.append(f"- critical cases now failing: {', '.join(rep['critical_regressions'])}")
    for side in ("a", "b"):
        flaky = (rep.get("flaky") or {}).get(side)
        if flaky:
            lines.append(f"- flaky in {side.upper()} ({len(flaky)}): {', '.join(flaky[:20])}")
    if "gate" in rep:
        lines += _gate_lines(rep["gate"], rep["gate_failed"], rep["critical_regressions"])
    if rep["by_tag"]:
        lines += [
            "",
            "| tag | cases | A pass | B pass | Δ | pass→fail | fail→pass |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for tag, t in rep["by_tag"].items():
            lines.append(
                f"| {_md_cell(tag, 40)} | {t['n']} | {_pct(t['pass_rate_a'])} | {_pct(t['pass_rate_b'])} | "
                f"{100 * t['delta']:+.1f} | {t['pass_to_fail']} | {t['fail_to_pass']} |"
            )
    flips = rep["flips"]
    if flips["pass_to_fail"] or flips["fail_to_pass"]:
        lines += ["", "| case | flip |", "|---|---|"]
        lines += [f"| {cid} | pass → fail |" for cid in flips["pass_to_fail"][:30]]
        lines += [f"| {cid} | fail → pass |" for cid in flips["fail_to_pass"][:30]]
    return "\n".join(lines) + "\n"


def _gate_lines(gate: dict, failed: bool, critical_cases: list[str]) -> list[str]:
    """The gate's decision, its reasons, and its tests (Holm-adjusted for the family, alone for critical tags)."""
    cfg = gate["config"]
    lines = [
        "",
        f"## Gate: **{'FAILED' if failed else 'passed'}**",
        "",
        f"{cfg['metric']}, allowed drop {100 * cfg['allowed_drop']:g} points, α = {cfg['alpha']:g} (one-sided paired "
        "t-test; the suite and its gate tags Holm-corrected together, critical tags alone)",
        "",
    ]
    reasons = list(gate["reasons"]) + (
        [f"critical cases now failing: {', '.join(critical_cases)}"] * bool(critical_cases)
    )
    lines += [f"- {r}" for r in reasons] or ["- no drop beyond the allowed one is significant"]
    lines += ["", "| tested | units | Δ | p | Holm p | failed |", "|---|---:|---:|---:|---:|---|"]
    for name, t in gate["tests"].items():
        lines.append(
            f"| {_md_cell(name, 40)} | {t['n']} | {100 * t['delta']:+.1f} | {t['p_value']:.3g} | {t['p_holm']:.3g} | "
            f"{'yes' if t['failed'] else 'no'} |"
        )
    for name, t in gate["critical"].items():
        lines.append(
            f"| {_md_cell(name, 40)} (critical) | {t['n']} | {100 * t['delta']:+.1f} | {t['p_value']:.3g} | — | "
            f"{'yes' if t['failed'] else 'no'} |"
        )
    return lines


def gate_markdown(rep: dict) -> str:
    """A gate that had nothing to compare with (the suite's first accepted run)."""
    return f"# Gate {rep['suite']} on {rep['model']} ({rep['run_id'][:8]}): passed\n\n{rep['note']}.\n"


def repeats_line(run: dict) -> str:
    """What --repeats did on one run: cases repeated, skipped and why, flaky cases found."""
    rep, m = run["repeats"], run["metrics"]
    flaky = [c["id"] for c in run["cases"] if c.get("flaky")]
    text = f"{run['suite']} · {run['model']}: {rep['repeated_cases']} case(s) run {rep['k']} times"
    if rep["skipped"]:
        text += "; not repeated: " + "; ".join(rep["skipped"])
    text += f"; mean pass rate {_pct(m.get('mean_pass_rate'))}, pass@{rep['k']} {_pct(m.get('pass_any_rate'))}"
    return text + (f"; flaky ({len(flaky)}): {', '.join(flaky[:20])}" if flaky else "; no flaky case")


def power_text(plan: dict) -> str:
    """`evalkit power`'s report as text."""
    unit = plan.get("unit", "case")
    head = (
        f"{plan.get('suite', 'suite')}: {plan['cases']} {unit}s, baseline pass rate {_pct(plan['baseline_rate'])}, "
        f"discordance {plan['discordance']:.3f} ({plan['discordance_from']}), α = {plan['alpha']:g}, "
        f"power {plan['power']:g}"
    )
    if plan["mde"] is None:
        lines = [head, f"the gate can't reach power {plan['power']:g} for any drop with {plan['cases']} {unit}s"]
    else:
        lines = [head, f"this suite can detect drops of ≥ {100 * plan['mde']:.1f} points"]
    for drop, n in plan["cases_needed"].items():
        need = "not reachable" if n is None else f"{n} {unit}s"
        lines.append(f"  to detect a drop of {100 * float(drop):g} points: {need}")
    return "\n".join(lines) + "\n"


def history_text(hist: dict) -> str:
    """`evalkit history`'s report: one line per run, oldest first, drops marked against the last accepted run."""
    lines = [f"# History of {hist['suite']}" + (f" on {hist['model']}" if hist["model"] else ""), ""]
    lines += ["| run | when | model | fingerprint | cases | pass rate | 95% interval | Δ vs accepted | mark |"]
    lines += ["|---|---|---|---|---:|---:|---|---:|---|"]
    for r in hist["runs"]:
        delta = "" if r["delta"] is None else f"{100 * r['delta']:+.1f} (p = {r['p_value']:.3g})"
        mark = ("DROP" if r["drop"] else "") + ("" if r["accepted"] else " (gate failed)")
        lines.append(
            f"| {r['run_id'][:8]} | {r['created_at'][:19]} | {_md_cell(r['model'], 30)} | {(r['fingerprint'] or '')[:12]} | "
            f"{r['cases']} | {_pct(r['pass_rate'])} | {_pct(r['ci'][0])} … {_pct(r['ci'][1])} | {delta} | "
            f"{mark.strip()} |"
        )
    return "\n".join(lines) + "\n"
