"""`curate`: audit a dataset before training, gate CI on it, export a cleaned set."""

from __future__ import annotations

import sys

from workbench.cli import build_parser, run_main, store_arg


def _dataset_command(sub, name: str, help: str):
    """A subcommand that reads one dataset: its parser, with the input arguments every such command takes."""
    p = sub.add_parser(name, help=help)
    p.add_argument("data", help="dataset: .jsonl .json .csv .tsv .parquet .txt or a save_to_disk folder")
    p.add_argument(
        "--fields",
        metavar="ROLE=COL,...",
        help="say which column is which, e.g. question=Q,answer=A (roles: question answer input system "
        "messages text label)",
    )
    p.add_argument("--skip-bad", action="store_true", help="skip malformed rows and count them instead of stopping")
    p.add_argument("--max-record-mb", type=float, default=16, help="refuse records larger than this (default 16)")
    return p


def _add_audit(sub) -> None:
    p = _dataset_command(
        sub,
        "audit",
        "audit a dataset: quality, diversity, duplicates, generated text, PII, tokens, contamination; write "
        "report.json, records.parquet, report.html",
    )
    p.add_argument(
        "--test",
        metavar="FILE_OR_SUITE",
        help="held-out test set (data file or suite .yaml): report test items that overlap the training data",
    )
    p.add_argument("--model", help="count tokens with this model's tokenizer (model spec); default: an estimate")
    p.add_argument("--max-length", type=int, help="report the share of records longer than this many tokens")
    p.add_argument(
        "--perplexity",
        action="store_true",
        help="score answers' perplexity under --model (default: the embedded model); slow",
    )
    p.add_argument("--out", default="audit", help="output folder (default ./audit)")
    p.add_argument("--recipe", help="a clean recipe: audit with its `signals:` and `dedup.near_settings`")
    p.add_argument("--ngram", type=int, default=13, help="n-gram size for contamination (default 13)")
    p.add_argument("--near-threshold", type=float, help="Jaccard threshold for near-duplicates (default 0.7)")
    p.add_argument("--shingle", type=int, help="words per shingle for near-duplicates")
    p.add_argument("--num-perm", type=int, help="MinHash permutations")
    p.add_argument(
        "--fail-on",
        metavar="GATES",
        help='CI gates, e.g. "dup_rate>0.05,pii_count>0,contaminated>0": exit 3 when any holds',
    )
    p.add_argument(
        "--skip",
        metavar="STAGE,...",
        default="",
        help="stages to leave out: signals, pii, exact, near, diversity, tokens, contamination",
    )
    p.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local (default; streams on this machine) or ray (Ray Data; DATA may be a folder of shards)",
    )
    p.add_argument(
        "--address",
        help="Ray cluster for --engine ray: auto, HOST:PORT or ray://HOST:10001 (default: start a local Ray)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of the table")
    p.add_argument("--no-record", action="store_true", help="do not record the run in the results store")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    store_arg(p)
    p.set_defaults(func=_audit)


def _load_recipe(path: str | None) -> dict:
    """The recipe file, validated the one way both commands use (curate.recipe); {} without one."""
    if not path:
        return {}
    from curate.recipe import load_recipe

    return load_recipe(path)


def _record_limit(args) -> int:
    """--max-record-mb in bytes, refused unless > 0 (before a record is read)."""
    mb = args.max_record_mb
    if not mb > 0 or int(mb * 2**20) < 1:
        from workbench.errors import UserError

        raise UserError(f"--max-record-mb {mb:g}: the limit per record must be > 0 MB", hint="e.g. --max-record-mb 16")
    return int(mb * 2**20)


def _audit(args) -> int:
    from curate import gates
    from curate.fields import parse_fields_arg
    from curate.pipeline import audit, stages_except
    from curate.recipe import recipe_options

    recipe = _load_recipe(args.recipe)
    limit = _record_limit(args)
    if args.fail_on:
        gates.validate(args.fail_on)  # a typo in a gate fails before the work, not after
    stages = stages_except(args.skip.split(","))
    near = dict(recipe_options(recipe, args.recipe)["near_settings"]) if recipe else {}
    for key, val in (("threshold", args.near_threshold), ("shingle", args.shingle), ("num_perm", args.num_perm)):
        if val is not None:
            near[key] = val
    store = None
    if not args.no_record:
        from workbench.store import open_store

        store = open_store(args.store)
    report = audit(
        args.data,
        fields=parse_fields_arg(args.fields),
        test=args.test,
        model=args.model,
        out=args.out,
        perplexity=args.perplexity,
        store=store,
        skip_bad=args.skip_bad,
        max_length=args.max_length,
        signals=recipe.get("signals"),
        near=near,
        ngram=args.ngram,
        progress=not args.quiet,
        max_record_bytes=limit,
        stages=stages,
        engine=args.engine,
        address=args.address,
    )
    failed = gates.check(report, args.fail_on) if args.fail_on else []
    _show_audit(report, failed, args.json)
    if failed:
        from workbench.errors import GATE_FAILED

        for f in failed:
            print(f"gate failed: {f}", file=sys.stderr)
        return GATE_FAILED
    return 0


def _show_audit(report: dict, failed: list[str], as_json: bool) -> None:
    if as_json:
        import json

        shown = {k: report.get(k) for k in ("summary", "verdicts")}
        shown.update(failed_gates=failed, outputs=report.get("outputs"))
        print(json.dumps(shown, ensure_ascii=False, indent=2, default=str))
        return
    from rich.console import Console

    from curate.report import terminal_summary

    console = Console()
    console.print(terminal_summary(report))
    if report["summary"].get("skipped_rows"):
        console.print(
            f"skipped {report['summary']['skipped_rows']} bad rows (--skip-bad); first: "
            f"{report['input']['skip_errors'][:1]}"
        )
    console.print(f"report: {report['outputs']['html']}")
    if report.get("run_id"):
        console.print(f"recorded run {report['run_id'][:8]} in the results store", style="dim")


def _add_clean(sub) -> None:
    p = _dataset_command(
        sub,
        "clean",
        "apply a recipe's filters and dedup policy; write the cleaned set, a rejects file with reasons, "
        "and a count log",
    )
    p.add_argument("--recipe", required=True, help="recipe YAML (see curate/recipes/default.yaml)")
    p.add_argument("--out", required=True, help="cleaned dataset path (written in the input's format)")
    p.add_argument("--json", action="store_true", help="print the count log as JSON")
    p.set_defaults(func=_clean)


def _clean(args) -> int:
    import json

    from curate.clean import clean, summary_text
    from curate.fields import parse_fields_arg

    log = clean(
        args.data,
        _load_recipe(args.recipe),
        args.out,
        fields=parse_fields_arg(args.fields),
        skip_bad=args.skip_bad,
        max_record_bytes=_record_limit(args),
        recipe_path=args.recipe,
    )
    if args.json:
        print(json.dumps(log, ensure_ascii=False, indent=2))
        return 0
    print(summary_text(log))
    return 0


# Each command registers itself here with an `_add_*(sub)` function.
SUBCOMMANDS: list = [_add_audit, _add_clean]


def parser():
    """The `curate` argument parser (the docs' CLI reference is generated from it)."""
    return build_parser(
        "curate",
        "Audit a dataset for quality, diversity, duplication, generated text, "
        "contamination, PII and tokens; report, gate and clean it.",
        SUBCOMMANDS,
    )


def main(argv=None) -> int:
    return run_main(parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
