"""Test suites: run them on models, compare two runs."""

from __future__ import annotations

import sys

from workbench.atomic import check_output_file
from workbench.cli import SEED, keywords, number, store_arg

# numeric options, checked at parse time: a bad value is a usage error (exit 2) naming the option, before a suite, a
# model or the store is opened
COUNT = number(int, at_least=1)
SECONDS = number(above=0, said="> 0 seconds")
ALPHA = number(above=0, below=1, said="between 0 and 1 (e.g. 0.05)")
POWER = number(above=0, below=1, said="between 0 and 1 (e.g. 0.8)")
RATE = number(at_least=0, at_most=1, said="a pass rate between 0 and 1 (e.g. 0.85)")
DROP = number(above=0, below=1, said="a fraction between 0 and 1 (0.05 = 5 points)")
REPEATS = number(int, at_least=1, at_most=100)
TEMPERATURE = number(at_least=0, at_most=5)

# what the hint suggests when a report option names a folder
_EXAMPLE = {"--json": "results.json", "--junit": "junit.xml", "--markdown": "summary.md"}


def add_run(sub) -> None:
    p = sub.add_parser(
        "run", help="run test suites on one or more models (results in the store, JSON, JUnit, Markdown)"
    )
    p.add_argument("suites", nargs="+", metavar="SUITE", help="suite YAML files (suites/*.yaml)")
    p.add_argument(
        "--model", action="append", metavar="SPEC", help="model spec; repeat to compare models (default: default)"
    )
    p.add_argument("--json", metavar="FILE", help='write {"runs": [{"suite", "model", "metrics", "cases"}]} to FILE')
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML (one testcase per case) for CI")
    p.add_argument("--markdown", metavar="FILE", help="write a Markdown summary")
    p.add_argument(
        "--baseline",
        metavar="RUN",
        help="compare with this earlier run of the same suite; exit 3 on a "
        "significant drop or a critical case that now fails",
    )
    p.add_argument(
        "--alpha", type=ALPHA, default=0.05, help="significance level for --baseline and --gate (default 0.05)"
    )
    p.add_argument(
        "--gate",
        action="store_true",
        help="apply the suite's gate: block (default: the whole suite, no allowed drop) against --baseline or the "
        "previous accepted run; exit 3 with a Markdown summary saying why",
    )
    p.add_argument(
        "--repeats",
        type=REPEATS,
        default=1,
        metavar="K",
        help="run each sampled case K times (seeds seed..seed+K-1): per-case pass_rate, pass_all (pass^k), "
        "pass_any (pass@k) and flaky; skipped at temperature 0 on a local model",
    )
    p.add_argument("--temperature", type=TEMPERATURE, metavar="T", help="sample every case at temperature T")
    p.add_argument("--train", metavar="DATA", help="warn when suite cases overlap this training data (held-out check)")
    p.add_argument("--strict", action="store_true", help="with --train: refuse to run (exit 3) on any overlap")
    p.add_argument("--allow-code", action="store_true", help="allow `python` assertions (they run code from the suite)")
    p.add_argument("--judge", metavar="SPEC", help="judge model for llm-rubric assertions (overrides the suite's)")
    p.add_argument("--batch-size", type=COUNT, default=8, help="generation batch size (default 8)")
    p.add_argument("--ll-batch-size", type=COUNT, default=32, help="loglikelihood requests per forward (default 32)")
    p.add_argument("--limit", type=COUNT, metavar="N", help="only the first N cases of each suite (N >= 1)")
    p.add_argument("--timeout", type=SECONDS, metavar="S", help="per-case time limit in seconds (slower: error)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    store_arg(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    from rich.console import Console

    from evalkit.suites import outputs as out
    from evalkit.suites import run_suites
    from evalkit.suites.records import resolve_run
    from workbench import errors
    from workbench.store import open_store

    for option, path in (("--json", args.json), ("--junit", args.junit), ("--markdown", args.markdown)):
        if path:
            check_output_file(path, option=option, example=_EXAMPLE[option])
    store = open_store(args.store)
    base = resolve_run(store, args.baseline) if args.baseline else None  # an unknown baseline fails before the run
    err = Console(stderr=True)
    res = run_suites(
        args.suites,
        args.model or ["default"],
        store=store,
        progress=not args.quiet,
        timeout_s=args.timeout,
        on_model=lambda m: err.print(f"[dim]model {m.name} ({m.fingerprint[:12]})[/dim]"),
        **keywords(args, "batch_size", "ll_batch_size", "allow_code", "judge", "train", "strict", "limit"),
        **keywords(args, "repeats", "temperature"),
    )
    held = res.get("heldout")
    if held and held["contaminated"]:
        err.print(
            f"[yellow]warning:[/yellow] {len(held['contaminated'])} case(s) overlap the training data "
            f"{held['train']}: {', '.join(held['contaminated'][:10])}"
        )
    for r in res["runs"]:
        if "repeats" in r:
            err.print(out.repeats_line(r))
    if args.gate:
        res["gates"] = _gate_reports(args, store, res, base)
    for path, write in (
        (args.json, out.write_json),
        (args.junit, out.write_junit),
        (args.markdown, out.write_markdown),
    ):
        if path:
            write(res, path)
            err.print(f"wrote {path}")
    console = Console() if sys.stdout.isatty() else Console(width=160)  # a pipe or CI log: don't squeeze the table
    console.print(out.results_table(res))
    cached = sum(r["stats"]["cached"] for r in res["runs"])
    computed = sum(r["stats"]["computed"] for r in res["runs"])
    resumed = sum(r["stats"].get("cases_from_store", 0) for r in res["runs"])
    from_store = f"; {resumed} cases resumed from an interrupted run" if resumed else ""
    print(f"model calls: {computed} computed, {cached} from the cache{from_store}; store: {store.url}")
    code = errors.OK
    for rep in res.get("gates") or _regression_reports(args, store, res, base):
        print()
        print(out.compare_markdown(rep) if "a" in rep else out.gate_markdown(rep), end="")
        if (args.baseline or args.gate) and rep["gate_failed"]:
            code = errors.GATE_FAILED
    if code == errors.OK and any(r["metrics"]["errors"] for r in res["runs"]):
        err.print("[red]some cases errored[/red] (model or endpoint failures; see the error column in the outputs)")
        code = errors.MODEL_ERROR
    return code


def _regression_reports(args, store, res: dict, base: dict | None) -> list[dict]:
    """Compare reports after a run: against `base` (the --baseline run), or model vs model (the first model is the
    baseline)."""
    from evalkit.suites import compare_runs
    from workbench import errors

    runs = res["runs"]
    if base is not None:
        reports = [
            compare_runs(store, base["id"], r["run_id"], alpha=args.alpha) for r in runs if r["suite"] == base["name"]
        ]
        if not reports:
            raise errors.UserError(
                f"baseline {args.baseline} is a run of {base['name']!r}, which this run didn't include"
            )
        return reports
    if len(args.model or []) > 1:
        first = {r["suite"]: r for r in runs if r["model"] == runs[0]["model"]}
        return [
            compare_runs(store, first[r["suite"]]["run_id"], r["run_id"], alpha=args.alpha)
            for r in runs
            if r["model"] != runs[0]["model"]
        ]
    return []


def _gate_reports(args, store, res: dict, base: dict | None) -> list[dict]:
    """--gate: each run against --baseline (or the previous accepted run of its suite) under its suite's gate block;
    the outcome is kept on the run, so `evalkit history` knows which runs were accepted."""
    from evalkit.suites import compare_runs
    from evalkit.suites.records import mark_gate, resolve_run

    reports = []
    for r in res["runs"]:
        if base is not None and r["suite"] != base["name"]:
            continue
        ref = base or _previous_accepted(store, r)
        if ref is None:
            rep = {
                "suite": r["suite"],
                "model": r["model"],
                "run_id": r["run_id"],
                "gate_failed": False,
                "note": "no earlier accepted run of this suite: this run is the baseline from now on",
            }
        else:
            cfg = (resolve_run(store, r["run_id"]).get("config") or {}).get("gate") or {"alpha": args.alpha}
            rep = compare_runs(store, ref["id"], r["run_id"], alpha=cfg.get("alpha", args.alpha), gate=cfg)
        reasons = rep.get("gate", {}).get("reasons", [])
        if rep.get("critical_regressions"):
            reasons = [*reasons, f"critical cases now failing: {', '.join(rep['critical_regressions'])}"]
        mark_gate(
            store,
            {"id": r["run_id"]},
            {"failed": rep["gate_failed"], "baseline": ref and ref["id"], "reasons": reasons},
        )
        reports.append(rep)
    return reports


def _previous_accepted(store, run: dict) -> dict | None:
    """The latest finished run of the same suite, before this one, whose gate (if any) passed."""
    from evalkit.suites.records import suite_runs

    earlier = [x for x in suite_runs(store, run["suite"]) if x["id"] != run["run_id"]]
    accepted = [x for x in earlier if not ((x.get("summary") or {}).get("gate") or {}).get("failed")]
    return accepted[-1] if accepted else None


def add_power(sub) -> None:
    p = sub.add_parser(
        "power", help="before a run: the smallest drop a suite can detect, and the cases a given drop needs"
    )
    p.add_argument("suite", metavar="SUITE", help="suite YAML file (its cases, or groups, are the units)")
    p.add_argument("--baseline-rate", type=RATE, metavar="P", help="expected pass rate of the baseline (0..1)")
    p.add_argument(
        "--baseline", metavar="RUN", help="take the pass rate from this stored run, the discordance from past runs"
    )
    p.add_argument(
        "--discordance",
        type=RATE,
        metavar="PSI",
        help="share of cases that differ between two runs (default: from past runs with --baseline, else 2p(1-p))",
    )
    p.add_argument("--alpha", type=ALPHA, default=0.05, help="significance level of the gate (default 0.05)")
    p.add_argument("--power", type=POWER, default=0.8, help="wanted power (default 0.8)")
    p.add_argument(
        "--drop",
        type=DROP,
        action="append",
        metavar="D",
        help="a drop to size the suite for (0.05 = 5 points); repeat (default 0.02, 0.05, 0.10)",
    )
    p.add_argument("--json", metavar="FILE", help="write {cases, mde, cases_needed: {drop: n}} to FILE")
    store_arg(p)
    p.set_defaults(func=_power)


def _power(args) -> int:
    from evalkit.suites import load_suite
    from evalkit.suites.history import past_discordance, run_pass_rate
    from evalkit.suites.outputs import power_text
    from evalkit.suites.power import DEFAULT_DROPS, power_plan
    from evalkit.suites.records import resolve_run
    from workbench import errors
    from workbench.atomic import write_json

    if args.json:
        check_output_file(args.json, option="--json", example="power.json")
    if args.baseline_rate is None and args.baseline is None:
        raise errors.UserError(
            "evalkit power needs the baseline's pass rate", hint="pass --baseline-rate 0.85, or --baseline RUN"
        )
    suite = load_suite(args.suite)
    units = len({c.group or f"case:{c.id}" for c in suite.cases})
    psi, rate, pairs = args.discordance, args.baseline_rate, 0
    if args.baseline:
        from workbench.store import open_store

        store = open_store(args.store)
        run = resolve_run(store, args.baseline)
        rate = run_pass_rate(store, run["id"]) if rate is None else rate
        if psi is None:
            psi, pairs = past_discordance(store, run["name"])
    try:
        plan = power_plan(units, rate, psi=psi, alpha=args.alpha, power=args.power, drops=args.drop or DEFAULT_DROPS)
    except ValueError as e:
        raise errors.user_error(e) from None
    plan.update(suite=suite.name, unit="group" if units < len(suite.cases) else "case", discordance_pairs=pairs)
    if args.discordance is not None:
        plan["discordance_from"] = "--discordance"
    if args.json:
        write_json(args.json, plan)
    print(power_text(plan), end="")
    return errors.OK


def add_history(sub) -> None:
    p = sub.add_parser(
        "history",
        help="every run of a suite over time: pass rate, interval, model, drops against the last accepted run",
    )
    p.add_argument("suite", metavar="SUITE", help="suite YAML file or suite name")
    p.add_argument("--model", metavar="NAME", help="only runs of this model (its name as the runs table shows it)")
    p.add_argument("--alpha", type=ALPHA, default=0.05, help="significance level of a marked drop (default 0.05)")
    p.add_argument("--json", metavar="FILE", help='write {"suite", "runs": [...]} (time order) to FILE')
    store_arg(p)
    p.set_defaults(func=_history)


def _history(args) -> int:
    from pathlib import Path

    from evalkit.suites.history import suite_history
    from evalkit.suites.outputs import history_text
    from workbench import errors
    from workbench.atomic import write_json
    from workbench.store import open_store

    if args.json:
        check_output_file(args.json, option="--json", example="history.json")
    name = args.suite
    if name.endswith((".yaml", ".yml")) or Path(name).is_file():
        from workbench.suitefile import load_suite

        name = load_suite(name).name
    hist = suite_history(open_store(args.store), name, args.model, alpha=args.alpha)
    if not hist["runs"]:
        raise errors.UserError(
            f"no finished run of suite {name!r}" + (f" on model {args.model!r}" if args.model else ""),
            hint="run it with `evalkit run SUITE --model M`; list runs with `evalkit store runs --kind suite`",
        )
    if args.json:
        write_json(args.json, hist)
    print(history_text(hist), end="")
    return errors.OK


def add_compare(sub) -> None:
    p = sub.add_parser(
        "compare", help="compare two suite runs: flips, exact McNemar, bootstrap CI, per tag (exit 3 on a drop)"
    )
    p.add_argument("run_a", metavar="RUN_A", help="baseline run id (or unique prefix)")
    p.add_argument("run_b", metavar="RUN_B", help="candidate run id (or unique prefix)")
    p.add_argument("--alpha", type=ALPHA, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--critical-tag", default="critical", help="tag whose pass→fail flips always fail the gate")
    p.add_argument("--seed", type=SEED, default=0, help="bootstrap seed")
    p.add_argument("--json", metavar="FILE", help="write the report as JSON")
    p.add_argument("--markdown", metavar="FILE", help="write the report as Markdown")
    store_arg(p)
    p.set_defaults(func=_compare)


def _compare(args) -> int:
    from evalkit.suites import compare_runs
    from evalkit.suites.outputs import compare_markdown
    from workbench import errors
    from workbench.atomic import atomic_write, write_json
    from workbench.store import open_store

    for option, path in (("--json", args.json), ("--markdown", args.markdown)):
        if path:
            check_output_file(path, option=option, example=_EXAMPLE[option])
    try:
        rep = compare_runs(
            open_store(args.store), args.run_a, args.run_b, **keywords(args, "alpha", "seed", "critical_tag")
        )
    except ValueError as e:  # a statistic refused its arguments
        raise errors.user_error(e) from None
    text = compare_markdown(rep)
    if args.json:
        write_json(args.json, rep)
    if args.markdown:
        atomic_write(args.markdown, text)
    print(text, end="")
    return errors.GATE_FAILED if rep["gate_failed"] else errors.OK
