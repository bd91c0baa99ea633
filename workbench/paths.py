"""Where workbench keeps its files: XDG directories, each overridable by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Converted models and other rebuildable files: $WORKBENCH_CACHE, else $XDG_CACHE_HOME/workbench."""
    root = (
        os.environ.get("WORKBENCH_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "workbench"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """The default results store lives here: $XDG_DATA_HOME/workbench."""
    path = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "workbench"
    path.mkdir(parents=True, exist_ok=True)
    return path
