"""`python tests/finetune/_boot.py ARGS` = `finetune ARGS`, with curate's stand-in installed if curate isn't there yet."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _curate_shim  # noqa: E402

_curate_shim.install()
from finetune.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
