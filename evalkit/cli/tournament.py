"""Tournaments: battles between models on a suite's prompts, judged by a model or by people."""

from __future__ import annotations

import sys

from evalkit.cli.judge import JUDGE_METHODS
from evalkit.cli.ratings import print_leaderboard
from workbench.atomic import write_json
from workbench.cli import choice_arg, keywords, number, store_arg


def add_tournament(sub) -> None:
    p = sub.add_parser("tournament", help="battles between models on a suite's prompts, judged by a model or humans")
    p.add_argument(
        "--models",
        nargs="+",
        required=True,
        metavar="CONTESTANT",
        help="[NAME=]SPEC[@settings]: a model spec, optionally named and with generation settings, e.g. "
        "default, hot=default@temperature=1.0, tuned=default+out/lora (settings: temperature, top_p, "
        "max_new_tokens, seed, system)",
    )
    p.add_argument("--suite", required=True, help="suite YAML, or a CSV/JSONL of prompts with a question column")
    p.add_argument(
        "--judge",
        required=True,
        help="judge model spec; `reference`: the answer closer to the prompt's reference answer wins "
        "(no model); `human`: queue the battles for raters",
    )
    p.add_argument(
        "--rounds",
        type=number(int, at_least=1),
        metavar="N",
        help="round-robin: prompts per pair (default: every prompt)",
    )
    adaptive = p.add_argument_group(
        "adaptive scheduling",
        "--adaptive spends battles where the rating intervals overlap and stops once every 95% interval is narrower "
        "than --target-ci Elo points (judged only after every contestant has --min-battles battles), or at --budget",
    )
    adaptive.add_argument("--adaptive", action="store_true", help="schedule battles adaptively (see above)")
    adaptive.add_argument(
        "--target-ci", type=number(above=0), default=100.0, metavar="W", help="W Elo points (default 100)"
    )
    adaptive.add_argument(
        "--min-battles", type=number(int, at_least=0), default=10, metavar="N", help="N battles each (default 10)"
    )
    p.add_argument("--budget", type=number(int, at_least=1), metavar="B", help="at most B battles")
    p.add_argument("--limit", type=number(int, at_least=1), metavar="N", help="use the first N prompts only")
    p.add_argument("--max-new-tokens", type=number(int, at_least=1), default=128)
    p.add_argument("--bootstrap", type=number(int, at_least=0), default=1000, metavar="N")
    p.add_argument("--seed", type=number(int, at_least=0), default=0, help="left/right and prompt order (default 0)")
    p.add_argument("--lang", default="en", choices=["en", "ko"], help="judge prompt language")
    choice_arg(p, "--judge-method", JUDGE_METHODS, default="generate")
    p.add_argument("--json", metavar="FILE", help="write the leaderboard object here")
    store_arg(p)
    p.set_defaults(func=_tournament)


def _tournament(args) -> int:
    from evalkit.tournament import HUMAN_JUDGE, load_prompts, run_tournament
    from workbench.atomic import check_output_file
    from workbench.store import open_store

    if args.json:
        check_output_file(args.json, option="--json")
    suite, prompts = load_prompts(args.suite, limit=args.limit)
    store = open_store(args.store)
    res = run_tournament(
        args.models,
        prompts,
        args.judge,
        store=store,
        suite=suite,
        gen={"max_new_tokens": args.max_new_tokens},
        progress=lambda m: print(m, file=sys.stderr, flush=True),
        **keywords(
            args,
            "rounds",
            "adaptive",
            "target_ci",
            "budget",
            "seed",
            "min_battles",
            "bootstrap",
            "lang",
            "judge_method",
        ),
    )
    if args.judge == HUMAN_JUDGE:
        print(
            f"queued {res['units']} battles as rating session {res['session_id']} in {store.shown_url}; invite raters in "
            f"the app, then `evalkit ratings --run {res['session_id'][:8]}`"
        )
        return 0
    lb = res["leaderboard"]
    print(
        f"run {res['run_id'][:8]}: {res['battles']} battles stored ({res['unparsed']} unparsed verdicts skipped); "
        f"stopped: {res['stop_reason']}",
        file=sys.stderr,
    )
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in res["verdicts"].items()), file=sys.stderr)
    if res.get("reliability"):
        print(f"judge {res['reliability']['verdict']}", file=sys.stderr)
    if res["unparsed"] and args.judge_method == "generate":
        print(
            "  hint: a small local judge rarely writes a readable verdict; try --judge-method logprob", file=sys.stderr
        )
    if lb is None:
        print("no ratings: the judged battles don't connect every contestant", file=sys.stderr)
        return 0
    print_leaderboard(lb, f"tournament on {suite}, judged by {args.judge}")
    if args.json:
        write_json(args.json, {"run_id": res["run_id"], "stop_reason": res["stop_reason"], **lb})
    return 0
