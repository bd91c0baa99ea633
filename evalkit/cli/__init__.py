"""evalkit's command line: one module per command group, each turning arguments into calls of public functions."""

from __future__ import annotations

import sys

from evalkit.cli import agree, app, judge, models, ratings, store, suites, tournament
from workbench import cli

SUBCOMMANDS = [
    models.add_generate,
    models.add_serve,
    store.add_store,
    ratings.add_ratings,
    tournament.add_tournament,
    ratings.add_battles_import,
    app.add_app,
    suites.add_run,
    suites.add_compare,
    suites.add_power,
    suites.add_history,
    agree.add_agree,
    judge.add_judge,
    agree.add_verdicts_io,
]


def parser():
    """The `evalkit` argument parser (the docs' CLI reference is generated from it)."""
    return cli.build_parser(
        "evalkit", "Held-out test suites, judges, human ratings, agreement and Elo tournaments.", SUBCOMMANDS
    )


def main(argv=None) -> int:
    return cli.run_main(parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
