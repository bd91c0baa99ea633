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
    p.add_argument("--alpha", type=ALPHA, default=0.05, help="significance level for --baseline (default 0.05)")
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
    )
    held = res.get("heldout")
    if held and held["contaminated"]:
        err.print(
            f"[yellow]warning:[/yellow] {len(held['contaminated'])} case(s) overlap the training data "
            f"{held['train']}: {', '.join(held['contaminated'][:10])}"
        )
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
    for rep in _regression_reports(args, store, res, base):
        print()
        print(out.compare_markdown(rep), end="")
        if args.baseline and rep["gate_failed"]:
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
