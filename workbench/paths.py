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


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write a file through a temp file in the same folder and rename it, so readers never see half a file."""
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
