"""Elo / Bradley-Terry ratings from battles, and battles files in and out."""

from __future__ import annotations

import sys

from workbench.atomic import write_json
from workbench.cli import choice_arg, keywords, number, store_arg

RATING_METHODS = {"bt": "Bradley-Terry maximum likelihood (order-free, default)", "elo": "online Elo (order-dependent)"}
TIE_MODELS = {
    "half": "a tie (or both-bad) is half a win for each side, as Chatbot Arena (default)",
    "davidson": "Davidson (1970): ties (and both-bad) inform a fitted tie parameter",
}
CONSENSUS = {
    "majority": "one battle per item and pair: the raters' majority verdict",
    "dawid-skene": "one battle per item and pair: the Dawid-Skene consensus, which weighs each rater by their "
    "estimated reliability (needs item_id and judge columns)",
}


def print_leaderboard(lb: dict, title: str) -> None:
    """The leaderboard table on stdout, its notes under it (warnings on stderr)."""
    from rich.console import Console

    from evalkit.ratings.render import leaderboard_notes, leaderboard_table

    Console().print(leaderboard_table(lb, title))
    lines, warnings = leaderboard_notes(lb)
    for line in lines:
        print(line)
    for line in warnings:
        print(line, file=sys.stderr)


BATTLES_HELP = (
    "CSV/TSV/JSONL/JSON/Parquet with model_a, model_b, winner (model_a|model_b|tie|tie (bothbad)); "
    "omit to read battles from the store (--run)"
)


def add_ratings(sub) -> None:
    p = sub.add_parser(
        "ratings", help="Elo / Bradley-Terry ratings with bootstrap CIs from a battles file or the store"
    )
    p.add_argument("battles", nargs="?", metavar="BATTLES.csv", help=BATTLES_HELP)
    choice_arg(p, "--method", RATING_METHODS, default="bt")
    p.add_argument(
        "--bootstrap",
        type=number(int, at_least=0),
        default=0,
        metavar="N",
        help="bootstrap rounds for CIs and ranks (e.g. 1000; 0: none)",
    )
    p.add_argument("--seed", type=number(int, at_least=0), default=0)
    p.add_argument("--anchor", metavar="MODEL=RATING", help="pin one model's rating (default: mean rating 1000)")
    p.add_argument(
        "--style-control",
        action="store_true",
        help="style-adjusted ratings: answer length and markdown (headers, lists, bold) as covariates, fitted "
        "jointly (needs len_a, len_b [md_*_a/_b] or answer_a, answer_b columns); prints each effect and the "
        "unadjusted ratings",
    )
    choice_arg(p, "--ties", TIE_MODELS, default="half")
    choice_arg(p, "--consensus", CONSENSUS, default=None)
    p.add_argument(
        "--against",
        metavar="REF.csv",
        help="compare with a reference ranking (columns model, rating or rank): separability, agreement with CI, "
        "Spearman, Kendall (needs --bootstrap)",
    )
    p.add_argument(
        "--prior",
        type=number(at_least=0),
        default=None,
        metavar="W",
        help="virtual ties per model against an average opponent (default 0.01; keeps never-winners finite)",
    )
    p.add_argument(
        "--k", type=number(above=0), default=4.0, help="online Elo K factor, > 0 (default 4, as Chatbot Arena)"
    )
    p.add_argument(
        "--split-components",
        action="store_true",
        help="rate groups of models that never met each on its own instead of failing",
    )
    p.add_argument("--run", metavar="RUN", help="read the battles of this run (id prefix) from the store")
    p.add_argument(
        "--judge-kind",
        choices=["llm", "human", "import"],
        help="store battles: only those judged by an LLM, by humans, or imported",
    )
    p.add_argument("--json", metavar="FILE", help="write the ratings object (ratings, ci, rank, matrices) here")
    store_arg(p)
    p.set_defaults(func=_ratings)


def _ratings(args) -> int:
    from evalkit.ratings import DEFAULT_PRIOR, leaderboard
    from workbench.atomic import check_output_file
    from workbench.errors import UserError, user_error

    if args.json:
        check_output_file(args.json, option="--json")
    reference = _reference(args.against) if args.against else None
    if args.battles:
        from evalkit.tournament import read_battles

        df, where = read_battles(args.battles)
        source = args.battles
    elif args.run or args.store or args.judge_kind:
        from evalkit.tournament import battles_frame
        from workbench.store import open_store

        df, where = battles_frame(open_store(args.store), run_id=args.run, judge_kind=args.judge_kind), None
        source = f"run {args.run}" if args.run else "the store"
        if df.empty:
            raise UserError(
                f"no battles in {source}", hint="run `evalkit tournament` or `evalkit battles import` first"
            )
    else:
        raise UserError("give a battles file or --run RUN", hint="evalkit ratings battles.csv --bootstrap 1000")
    merged = None
    if args.consensus:
        from evalkit.ratings.consensus import consensus_battles

        try:
            df, merged = consensus_battles(df, args.consensus)
        except ValueError as e:
            raise UserError(
                str(e), hint="battles from rating sessions carry both; a file needs item_id and judge columns"
            ) from None
        where = None  # one battle now stands for several rows
    try:
        lb = leaderboard(
            df,
            prior=DEFAULT_PRIOR if args.prior is None else args.prior,
            disconnected="split" if args.split_components else "error",
            where=where,
            against=reference,
            **keywords(args, "method", "bootstrap", "seed", "anchor", "style_control", "k", "ties"),
        )
    except ValueError as e:  # bad battles or options: the message names the file:line
        raise user_error(e) from None
    if merged is not None:
        lb["consensus"] = merged
        source += f" ({merged['votes']} votes of {merged['raters']} raters merged by {merged['method']})"
    print_leaderboard(
        lb, f"{'Bradley-Terry' if args.method == 'bt' else 'online Elo'} ratings: {lb['battles']} battles from {source}"
    )
    if args.json:
        write_json(args.json, lb)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


def _reference(path: str) -> dict[str, float]:
    """`--against`: the reference ranking file → model → higher-is-better score; bad rows are user errors."""
    from evalkit.ratings.separability import reference_scores
    from workbench.errors import user_error
    from workbench.tabular import read_numbered

    numbered = list(read_numbered(path, skip_option=None))
    rows, where = [r for _, r in numbered], [f"{path}:{n}" for n, _ in numbered]
    try:
        return reference_scores(rows, where)
    except ValueError as e:
        raise user_error(e) from None


def add_battles_import(sub) -> None:
    p = sub.add_parser(
        "battles", help="import battles (model_a, model_b, winner; Chatbot Arena's layout) or export them"
    )
    p.add_argument("action", choices=["import", "export"])
    p.add_argument("file", metavar="FILE", help="import: CSV/TSV/JSONL/JSON/Parquet to read; export: CSV to write")
    p.add_argument("--judge", help="import: who judged (default: the file's judge column)")
    p.add_argument("--suite", help="import: suite name to file the battles under")
    p.add_argument("--run", metavar="RUN", help="export: only this run's battles")
    store_arg(p)
    p.set_defaults(func=_battles)


def _battles(args) -> int:
    from evalkit.tournament import battles_frame, import_battles
    from workbench.atomic import atomic_file, check_output_file
    from workbench.errors import user_error
    from workbench.store import open_store

    if args.action == "export":
        check_output_file(args.file, option="battles export")
    store = open_store(args.store)
    if args.action == "import":
        try:
            run_id, n = import_battles(store, args.file, judge=args.judge, suite=args.suite)
        except ValueError as e:  # a bad row (evalkit.ratings.prepare): the message names the file:line
            raise user_error(e) from None
        print(f"imported {n} battles from {args.file} as run {run_id[:8]} in {store.shown_url}")
        return 0
    df = battles_frame(store, run_id=args.run)
    with atomic_file(args.file, "w", newline="") as fh:
        df.to_csv(fh, index=False)
    print(f"wrote {len(df)} battles to {args.file}")
    return 0
