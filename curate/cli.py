"""`curate`: audit a dataset before training, gate CI on it, export a cleaned set."""

from __future__ import annotations

import sys

from workbench.cli import build_parser, number, run_main, store_arg


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
    p.add_argument(
        "--max-length",
        type=int,
        help="report the share of records longer than this many tokens; with --model, also the records whose answer "
        "training at this length would cut off (untrainable, answer_truncated)",
    )
    p.add_argument(
        "--template",
        help="with --model and --max-length: render records as finetune will (auto, chat, alpaca, qa or a {prompt} "
        "string) and report records whose answer is cut off (untrainable, answer_truncated)",
    )
    p.add_argument(
        "--finetune-config",
        metavar="FILE",
        help="take --model, --max-length, --template and --fields from a finetune config YAML",
    )
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
        "--semantic",
        action="store_true",
        help="also find paraphrased duplicates (and, with --test, paraphrased test leaks) with an offline embedding "
        "model; costs far more than the rest of the audit (docs/semantic.md)",
    )
    p.add_argument(
        "--semantic-model",
        metavar="NAME",
        help="embedding model for --semantic: e5-small (default), chat, or the path of a local encoder directory",
    )
    p.add_argument(
        "--semantic-threshold",
        type=number(float, above=0, at_most=1),
        metavar="T",
        help="cosine in (0, 1] at which two records are paraphrases (default 0.95); implies --semantic",
    )
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
    _trainability_args(args)
    if args.fail_on:
        gates.validate(args.fail_on)  # a typo in a gate fails before the work, not after
    stages = stages_except(args.skip.split(","))
    semantic = _semantic_args(args)
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
        **({"template": args.template} if args.template else {}),
        signals=recipe.get("signals"),
        **({"semantic": semantic} if semantic is not None else {}),
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


def _trainability_args(args) -> None:
    """--finetune-config fills --model, --max-length, --template and --fields (options given on the line win); a
    trainability option or gate without both a model and a length is the user's error, before any work."""
    from workbench.errors import UserError

    if args.finetune_config:
        from curate.trainability import finetune_settings

        cfg = finetune_settings(args.finetune_config)
        args.model = args.model or cfg["model"]
        args.max_length = args.max_length or cfg["max_length"]
        args.template = args.template or cfg["template"]
        if args.fields is None and isinstance(cfg.get("fields"), dict):
            args.fields = ",".join(f"{k}={v}" for k, v in cfg["fields"].items())
    if args.model and args.max_length:
        return
    from curate.gates import TRAINABILITY, parse

    wanted = {*TRAINABILITY, *TRAINABILITY.values(), "boundary_mismatch_records"}
    asked = [n for n, _, _ in parse(args.fail_on or "") if n in wanted] + (["--template"] if args.template else [])
    if asked:
        raise UserError(
            f"{asked[0]} needs --model and --max-length (the tokenizer and the training length to check against)",
            hint="add --model SPEC --max-length N, or --finetune-config FILE",
        )


def _semantic_args(args) -> dict | None:
    """The semantic stage's settings from --semantic / --semantic-model / --semantic-threshold (either of the last two
    turns it on), checked before any record is read or model loaded; None when off."""
    if not (args.semantic or args.semantic_model or args.semantic_threshold is not None):
        return None
    from curate.stages import semantic_settings

    given = {"model": args.semantic_model, "threshold": args.semantic_threshold}
    return semantic_settings({k: v for k, v in given.items() if v is not None})


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


def _add_select(sub) -> None:
    from workbench.cli import number

    p = _dataset_command(
        sub, "select", "keep a share of a dataset by IFD, quality or diversity; write subset, rejects and a manifest"
    )
    p.add_argument(
        "--keep", required=True, type=number(float, above=0), help="share in (0, 1] (e.g. 0.2) or a count of records"
    )
    p.add_argument("--by", required=True, choices=["ifd", "quality", "diverse"], help="the score to select by")
    p.add_argument("--out", required=True, help="folder for subset.jsonl, rejects.jsonl and manifest.json")
    p.add_argument("--model", default="default", help="model spec IFD is computed under (default: the embedded one)")
    p.add_argument("--template", default="auto", help="render as finetune will: auto, chat, alpaca, qa or {prompt}")
    p.add_argument("--max-length", type=number(int, at_least=2), default=1024, help="tokens per record (default 1024)")
    p.add_argument("--batch-size", type=number(int, at_least=1), default=8, help="records per forward pass (ifd)")
    p.add_argument("--seed", type=number(int, at_least=0), default=0, help="seed for ties and embeddings (default 0)")
    p.add_argument("--json", action="store_true", help="print the manifest's header as JSON")
    p.set_defaults(func=_select)


def _select(args) -> int:
    import json

    from curate.fields import parse_fields_arg
    from curate.select import select

    keys = ("model", "template", "max_length", "seed", "batch_size")
    m = select(
        args.data, keep=args.keep, by=args.by, out=args.out, fields=parse_fields_arg(args.fields),
        **{k: getattr(args, k) for k in keys},
    )  # fmt: skip
    head = {k: v for k, v in m.items() if k != "entries"}
    if args.json:
        print(json.dumps({**head, "out": args.out}, ensure_ascii=False, indent=2))
        return 0
    print(f"kept {m['kept']} of {m['records']} records by {m['by']} -> {args.out}/subset.jsonl")
    print(f"rejects in {args.out}/rejects.jsonl; why each was kept or not in {args.out}/manifest.json")
    return 0


# Each command registers itself here with an `_add_*(sub)` function.
SUBCOMMANDS: list = [_add_audit, _add_clean, _add_select]


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
