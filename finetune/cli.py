"""`finetune`: train (full or LoRA), merge, generate side by side, plan memory."""
from __future__ import annotations

import sys

from evalkit.cliutil import build_parser, run_main

# Each command registers itself here with an `_add_*(sub)` function.
SUBCOMMANDS: list = []


def main(argv=None) -> int:
    parser = build_parser("finetune", "Fine-tune a model on your own hardware: full or LoRA, memory plan, merge.",
                          SUBCOMMANDS)
    return run_main(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
