"""`curate`: audit a dataset before training, gate CI on it, export a cleaned set."""
from __future__ import annotations

import sys

from evalkit.cliutil import build_parser, run_main

# Each command registers itself here with an `_add_*(sub)` function.
SUBCOMMANDS: list = []


def main(argv=None) -> int:
    parser = build_parser("curate", "Audit a dataset for quality, diversity, duplication, generated text, "
                                    "contamination, PII and tokens; report, gate and clean it.", SUBCOMMANDS)
    return run_main(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
