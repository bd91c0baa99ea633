"""Plumbing shared by the three CLIs: parser set-up, error reporting and exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from workbench import errors

EXIT_CODES_HELP = """exit codes:
  0  success
  1  unexpected error (a bug: please report it with the traceback from --debug)
  2  bad input or usage (the message names the file:line, field or case)
  3  a gate failed (curate --fail-on, evalkit compare drop, finetune audit refusal)
  4  a model or endpoint failed"""


def build_parser(prog: str, description: str, subcommands: Sequence[Callable]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description=description, epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for add in subcommands:
        add(sub)
    return parser


def main(prog: str, description: str, subcommands: Sequence[Callable], argv: Sequence[str] | None) -> int:
    """A whole CLI: the parser with its subcommands, run on argv, errors as messages and exit codes."""
    return run_main(build_parser(prog, description, subcommands), argv)


def run_main(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return errors.BAD_INPUT if argv else errors.OK
    try:
        return int(args.func(args) or 0)
    except errors.UserError as e:
        if args.debug:
            raise
        print(f"error: {e.message}", file=sys.stderr)
        if e.hint:
            print(f"  hint: {e.hint}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("interrupted: finished work is saved; rerun the same command to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return errors.OK


def store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        metavar="URL",
        help="results store: SQLAlchemy URL or SQLite path (default $WORKBENCH_STORE "
        "or ~/.local/share/workbench/store.db)",
    )


def choice_arg(p: argparse.ArgumentParser, flag: str, meanings: dict[str, str], **kw) -> None:
    """An option taking one of the keys of `meanings`, its help saying what each means ("key: meaning; ...")."""
    p.add_argument(flag, choices=list(meanings), help="; ".join(f"{k}: {v}" for k, v in meanings.items()), **kw)


def keywords(args: argparse.Namespace, *names: str) -> dict:
    """The options `names` of `args` as keyword arguments, for a call whose parameters are named as the options are."""
    return {name: getattr(args, name) for name in names}


def number(
    kind: type = float,
    *,
    at_least: float | None = None,
    above: float | None = None,
    at_most: float | None = None,
    below: float | None = None,
    said: str | None = None,
):
    """An argparse `type`: an int or finite float within bounds, else exit 2 naming the option (`argument --prior:
    must be >= 0, got -1`) before any work starts. `said` words the rule instead (`between 0 and 1 (e.g. 0.05)`)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        for ok, rule in (
            (at_least is None or value >= at_least, f">= {at_least}"),
            (above is None or value > above, f"> {above}"),
            (at_most is None or value <= at_most, f"<= {at_most}"),
            (below is None or value < below, f"< {below}"),
        ):
            if not ok:
                raise argparse.ArgumentTypeError(f"must be {said or rule}, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


# the shared generation options' types: every command taking these options range-checks them the same way
MAX_NEW_TOKENS = number(int, at_least=1)
TEMPERATURE = number(at_least=0)
TOP_P = number(above=0, at_most=1)
SEED = number(int, at_least=0)


def generation_args(p: argparse.ArgumentParser, *, max_new_tokens: int = 128, top_p: bool = False) -> None:
    """--max-new-tokens, --temperature[, --top-p] and --seed: how long and how freely a model answers (greedy by
    default), each range-checked at parse time (the types above), so a bad value is exit 2 before a model loads.
    `top_p` adds --top-p, for commands that pass it on to the model."""
    p.add_argument(
        "--max-new-tokens",
        type=MAX_NEW_TOKENS,
        default=max_new_tokens,
        metavar="N",
        help=f"answer length in tokens, >= 1 (default {max_new_tokens})",
    )
    p.add_argument(
        "--temperature",
        type=TEMPERATURE,
        default=0.0,
        metavar="T",
        help="sampling temperature, >= 0 (default 0: greedy)",
    )
    if top_p:
        p.add_argument(
            "--top-p", type=TOP_P, default=1.0, metavar="P", help="nucleus sampling, 0 < P <= 1 (default 1: off)"
        )
    p.add_argument("--seed", type=SEED, default=0, help="sampling seed, >= 0 (default 0)")
