"""Stable model fingerprints for cache keys: a hash of the weights (or endpoint + model name)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from workbench.models.convert import file_digest

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf")


def dir_fingerprint(path: str | Path) -> str:
    """sha256 over config and weight files of a model or adapter directory (names + contents)."""
    path = Path(path)
    h = hashlib.sha256()
    files = sorted(
        p
        for p in path.iterdir()
        if p.is_file() and (p.suffix in _WEIGHT_SUFFIXES or p.name in ("config.json", "adapter_config.json"))
    )
    for p in files:
        h.update(p.name.encode())
        h.update(file_digest(p).encode())
    return h.hexdigest()


def text_fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
