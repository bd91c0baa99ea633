"""Agreement between raters (`agree`), and verdict files in and out of the store (`ratings-import`/`-export`)."""

from __future__ import annotations

from workbench.cli import choice_arg, keywords, number, store_arg

# the layouts of verdict files (evalkit.verdicts_io.LAYOUTS)
LAYOUTS = {
    "native": "every field of the store's verdicts",
    "agree": "item_id,rater,rating for `evalkit agree`",
    "mtbench": "question_id,model_a,model_b,winner,judge,turn (MT-Bench's judgments)",
}


RATINGS_HELP = (
    "CSV/JSONL with item_id, rater, rating[, rater_kind] (or the ratings/MT-Bench layouts); several files are pooled"
)


def add_agree(sub) -> None:
    p = sub.add_parser(
        "agree", help="agreement between raters (humans, LLM judges): kappa, alpha, %% agreement with CIs"
    )
    p.add_argument("ratings", nargs="+", metavar="RATINGS", help=RATINGS_HELP)
    p.add_argument("--json", metavar="FILE", help="write the full report as JSON here")
    p.add_argument("--judge", metavar="RATER", help="compare this rater (an LLM judge) with the humans")
    p.add_argument(
        "--level",
        choices=["nominal", "ordinal", "interval"],
        default="nominal",
        help="Krippendorff's alpha level: nominal for categories, ordinal or interval for scores",
    )
    p.add_argument(
        "--bootstrap", type=number(int, at_least=0), default=1000, help="bootstrap resamples over items (0: no CIs)"
    )
    p.add_argument("--seed", type=number(int, at_least=0), default=0)
    p.add_argument(
        "--items", metavar="FILE", help="suite YAML or CSV/JSONL with item_id: ratings for other items are an error"
    )
    p.add_argument(
        "--consensus",
        choices=["dawid-skene", "majority"],
        help="add a consensus label per item (Dawid-Skene weighs raters by estimated reliability) and per-rater "
        "figures against it: agreement, kappa vs each rater, position bias, tie rate, drift, seconds, flags",
    )
    p.add_argument(
        "--gold",
        metavar="FILE",
        help="CSV/JSONL of gold items (item_id, verdict): each rater's accuracy on them with a CI "
        "(implies --consensus dawid-skene when --consensus is not given)",
    )
    p.set_defaults(func=_agree)


def _agree(args) -> int:
    from evalkit.agreement import agreement_report, report_text
    from evalkit.verdicts_io import agree_table, read_records
    from workbench.atomic import check_output_file, write_json
    from workbench.errors import UserError, user_error

    if args.json:
        check_output_file(args.json, option="--json")
    items = None
    if args.items:
        if args.items.endswith((".yaml", ".yml")):
            from evalkit.suites import load_suite

            items = [c.id for c in load_suite(args.items).cases]
        else:
            items = [str(r.get("item_id") or r.get("id")) for _, r in read_records(args.items)]
    gold = None
    if args.gold:
        from workbench.tabular import read_numbered

        gold = [(f"{args.gold}:{n}", row) for n, row in read_numbered(args.gold)]
    try:
        report = agreement_report(
            agree_table(args.ratings),
            items=items,
            gold=gold,
            **keywords(args, "level", "judge", "bootstrap", "seed", "consensus"),
        )
    except ValueError as e:  # bad ratings: the message names the file:line
        raise user_error(e) from None
    if report["n_raters"] < 2:
        raise UserError(
            f"only one rater ({', '.join(report['raters'])}) in {', '.join(args.ratings)}: agreement needs two or more",
            hint="pool several raters' files: evalkit agree ann.csv bob.csv",
        )
    if args.json:
        write_json(args.json, report)
    print(report_text(report))
    return 0


def add_verdicts_io(sub) -> None:
    """`ratings-import` / `ratings-export` (human and LLM verdicts in and out of the store), with the aliases
    `verdicts-import` / `verdicts-export`."""
    p = sub.add_parser(
        "ratings-import",
        aliases=["verdicts-import"],
        help="import human/LLM verdicts (JSONL/CSV, MT-Bench layout) into the store",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--layout", choices=list(LAYOUTS), help="default: recognised from the columns")
    p.add_argument("--rater-kind", choices=["human", "llm"], help="override every row's rater kind")
    store_arg(p)
    p.set_defaults(func=_verdicts_import)
    p = sub.add_parser(
        "ratings-export",
        aliases=["verdicts-export"],
        help="export the store's verdicts to JSONL/CSV (native, agree or MT-Bench)",
    )
    p.add_argument("file", metavar="FILE", help=".jsonl or .csv")
    choice_arg(p, "--layout", LAYOUTS, default="native")
    p.add_argument("--run", metavar="RUN", help="only verdicts of this run (id or prefix)")
    p.add_argument("--rater-kind", choices=["human", "llm"])
    p.add_argument("--kind", choices=["pairwise", "single"])
    store_arg(p)
    p.set_defaults(func=_verdicts_export)


def _verdicts_import(args) -> int:
    from evalkit.verdicts_io import import_verdicts
    from workbench.store import open_store

    store = open_store(args.store)
    got = import_verdicts(store, args.file, layout=args.layout, rater_kind=args.rater_kind)
    print(
        f"imported {got['ratings']} ratings ({got['layout']} layout) on {got['items']} items from "
        f"{len(got['raters'])} raters into run {got['run_id'][:8]} in {store.shown_url}"
    )
    return 0


def _verdicts_export(args) -> int:
    from evalkit.verdicts_io import SUFFIXES, export_verdicts
    from workbench.atomic import check_output_file
    from workbench.errors import UserError
    from workbench.store import open_store

    check_output_file(args.file, option="ratings-export")
    if not args.file.lower().endswith(SUFFIXES):
        raise UserError(f"{args.file}: unknown ratings file type", hint="use .jsonl or .csv")
    store = open_store(args.store)
    n = export_verdicts(
        store, args.file, layout=args.layout, run_id=args.run, rater_kind=args.rater_kind, kind=args.kind
    )
    print(f"wrote {n} ratings ({args.layout} layout) to {args.file}")
    return 0
