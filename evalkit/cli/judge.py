"""Pairwise LLM judging of two models' answers."""

from __future__ import annotations

from workbench.cli import MAX_NEW_TOKENS, SEED, TEMPERATURE, choice_arg, number, store_arg

# how a judge's verdict is read (evalkit.judges): its text, or the likelihoods of the verdict markers
JUDGE_METHODS = {
    "generate": "read the judge's written verdict, [[A]]/[[B]]/[[C]]/[[D]] (MT-Bench)",
    "logprob": "pick the likeliest verdict marker (small local judges whose text rarely parses; fast, never unparsed)",
}


PAIRS_HELP = "ready-made answer pairs (item_id, question, answer_a, answer_b[, reference, model_a, model_b]), e.g. ones humans rated"


def add_judge(sub) -> None:
    p = sub.add_parser("judge", help="judge two models' (or settings') answers pairwise with an LLM judge, both orders")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--suite", metavar="YAML", help="questions (and reference answers) from a suite's cases")
    src.add_argument("--data", metavar="FILE", help="questions and human answers from a CSV/JSONL Q/A file")
    src.add_argument("--pairs", metavar="FILE", help=PAIRS_HELP)
    p.add_argument(
        "--models",
        nargs=2,
        metavar=("A", "B"),
        help="two model specs; `human-reference` stands for the human-written reference answers",
    )
    p.add_argument("--judge", default="default", metavar="SPEC", help="the judge's model spec (default: default)")
    p.add_argument(
        "--temperature",
        nargs="+",
        type=TEMPERATURE,
        metavar="T",
        help="decoding temperature >= 0, one value or one per model (e.g. 0 1.0; default 0)",
    )
    p.add_argument("--system", nargs="+", metavar="TEXT", help="system prompt, one or one per model ('' for none)")
    p.add_argument("--names", nargs=2, metavar=("NAME_A", "NAME_B"), help="labels for the two contestants")
    p.add_argument("--from-run", metavar="RUN", help="take the answers from a stored suite run instead of generating")
    p.add_argument("--limit", type=number(int, at_least=1), metavar="N", help="judge only the first N items (N >= 1)")
    p.add_argument("--offset", type=number(int, at_least=0), default=0, metavar="N", help="skip the first N items")
    p.add_argument("--lang", default="en", help="judge prompt language (en, ko) or a prompts YAML file")
    p.add_argument(
        "--max-new-tokens", type=MAX_NEW_TOKENS, default=96, metavar="N", help="answer length for generated answers"
    )
    p.add_argument("--judge-max-new-tokens", type=MAX_NEW_TOKENS, default=192, metavar="N", help="judge output length")
    p.add_argument("--no-reference", action="store_true", help="don't show the reference answer to the judge")
    choice_arg(p, "--method", JUDGE_METHODS, default="generate")
    p.add_argument(
        "--repeats",
        type=number(int, at_least=1),
        default=1,
        metavar="K",
        help="judge every pair K times (needs --judge-temperature > 0): how often the verdict stays the same",
    )
    p.add_argument(
        "--judge-temperature", type=TEMPERATURE, default=0.0, metavar="T", help="the judge's temperature (default 0)"
    )
    p.add_argument("--seed", type=SEED, default=0, help="sampling seed, >= 0 (default 0)")
    p.add_argument("--json", metavar="FILE", help="write the summary (every verdict, both orders) as JSON")
    store_arg(p)
    p.set_defaults(func=_judge)


# options that shape the contestants' answers: with --pairs the answers are given, so these would be ignored
_CONTESTANT_OPTIONS = ("--models", "--temperature", "--system", "--names", "--from-run")


def _judge(args) -> int:
    """Every option and file is checked first (the --json path, the judge prompts, the contestants' settings); then
    the items are read, the models loaded, and only then is any model asked anything."""
    from workbench.store import open_store

    contestants = _check_options(args)
    store = open_store(args.store)
    if args.pairs:
        from evalkit.judges.run import judge_pairs, load_pairs

        summary = judge_pairs(
            args.judge,
            load_pairs(args.pairs, limit=args.limit, offset=args.offset),
            store=store,
            lang=args.lang,
            judge_params=_judge_params(args),
            method=args.method,
            use_reference=not args.no_reference,
            repeats=args.repeats,
        )
    else:
        summary = _judge_models(args, contestants, store)
    return _print_judged(summary, store, args.json)


def _check_options(args) -> list | None:
    """The checks no argparse type makes; returns the two contestants (None with --pairs)."""
    from evalkit.judges import load_prompts
    from workbench.atomic import check_output_file
    from workbench.errors import UserError

    if args.json:
        check_output_file(args.json, option="--json", example="judged.json")
    load_prompts(args.lang)
    if args.repeats > 1 and not args.judge_temperature:
        raise UserError(
            f"--repeats {args.repeats} at judge temperature 0 would give the same verdicts every time",
            hint="add --judge-temperature 0.7 (or any value > 0)",
        )
    if args.pairs:
        given = [o for o in _CONTESTANT_OPTIONS if getattr(args, o[2:].replace("-", "_")) is not None]
        if given:
            raise UserError(
                f"{', '.join(given)}: no use with --pairs, whose answers are given",
                hint="leave them out, or judge models' answers with --suite or --data",
            )
        return None
    if not args.models:
        raise UserError("--models A B is required with --suite or --data")
    return _contestants(args)


def _per_model(values, option: str) -> list:
    """An option given once (both contestants) or once per contestant, as two values."""
    values = list(values or [None])
    if len(values) not in (1, 2):
        from workbench.errors import UserError

        raise UserError(f"{option} takes one value or one per model (2), got {len(values)}")
    return values * 2 if len(values) == 1 else values


def _contestants(args) -> list:
    from evalkit.judges.run import Contestant

    temps, systems = _per_model(args.temperature, "--temperature"), _per_model(args.system, "--system")
    names = args.names or ["", ""]
    contestants = [
        Contestant(spec, temperature=t or 0.0, system=s or None, seed=args.seed, name=n)
        for spec, t, s, n in zip(args.models, temps, systems, names)
    ]
    if contestants[0].name == contestants[1].name and not args.names:
        contestants[1].name += "#2"
    return contestants


def _judge_models(args, contestants: list, store) -> dict:
    """The items of --suite or --data, the contestants' answers (generated, or from --from-run), judged."""
    from evalkit.judges.record import HUMAN_REFERENCE
    from evalkit.judges.run import answers_from_run, judge_contestants, load_items

    if args.suite:  # evalkit's reading of the suite: its assertions are checked too
        from evalkit.suites import load_suite

        items = load_items(suite=load_suite(args.suite), limit=args.limit, offset=args.offset)
    else:
        items = load_items(data=args.data, limit=args.limit, offset=args.offset)
    if args.from_run:
        ids = [it["item_id"] for it in items]
        for c in contestants:
            if c.spec != HUMAN_REFERENCE:
                c.answers = answers_from_run(store, args.from_run, c.spec, ids)
    return judge_contestants(
        args.judge,
        items,
        contestants,
        store=store,
        lang=args.lang,
        max_new_tokens=args.max_new_tokens,
        use_reference=not args.no_reference,
        judge_params=_judge_params(args),
        seed=args.seed,
        method=args.method,
        repeats=args.repeats,
    )


def _judge_params(args) -> dict:
    return {"max_new_tokens": args.judge_max_new_tokens, "temperature": args.judge_temperature}


def _print_judged(summary: dict, store, json_path: str | None) -> int:
    from workbench import verdicts
    from workbench.atomic import write_json

    for v in summary["verdicts"]:
        print(f"{v['item_id']:<28} {v['winner']:<9} (order AB: {v['order_AB']}, order BA: {v['order_BA']})")
    c = summary["counts"]
    who = f"{summary['model_a']} (A) vs {summary['model_b']} (B)" if "model_a" in summary else "answer A vs answer B"
    print(f"\n{who}, judged by {summary['judge']} ({summary['method']}) on {summary['items']} items in both orders:")
    a, b, tie, bothbad, unparsed = (c[v] for v in (*verdicts.PAIRWISE, verdicts.UNPARSED))
    print(f"  A wins {a}, B wins {b}, ties {tie}, both bad {bothbad}, unparsed {unparsed}")
    pc = summary["position_consistency"]
    print(f"  position consistency: {'n/a (no item readable in both orders)' if pc is None else f'{pc:.2f}'}")
    for model, w in summary.get("winrate_vs_human_reference", {}).items():
        ci = "" if w["ci_low"] is None else f" [{w['ci_low']:.2f}, {w['ci_high']:.2f}]"
        print(f"  {model} vs human-reference: win rate {w['win_rate']:.2f}{ci} over {w['n']} judged items")
    _print_reliability(summary.get("reliability"))
    if summary.get("run_id"):
        print(f"  stored run {summary['run_id'][:8]} (ratings + battles) in {store.url}")
    if json_path:
        write_json(json_path, summary)
    return 0


def _print_reliability(rel: dict | None) -> None:
    """The judge's reliability figures (evalkit.judges.reliability) and its verdict line."""
    if not rel:
        return
    print("  reliability:")
    for name in ("order_flip_rate", "first_position_rate", "longer_wins_rate", "self_preference", "repeat_agreement"):
        fig = rel[name]
        if fig is None:
            print(f"    {name:<20} n/a ({rel['undefined'][name]})")
            continue
        line = f"    {name:<20} {fig['value']:.2f} [{fig['ci'][0]:.2f}, {fig['ci'][1]:.2f}] over {fig['n']}"
        if name == "longer_wins_rate" and fig.get("matched"):
            m = fig["matched"]
            line += f"; matched on length {m['value']:.2f} [{m['ci'][0]:.2f}, {m['ci'][1]:.2f}] over {m['n']}"
        print(line)
    if rel["unparsed"]:
        print(f"    {rel['unparsed']} of {rel['n_items']} verdicts did not parse (counted as unparsed, not dropped)")
    print(f"  {rel['verdict']}")
