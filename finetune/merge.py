"""Merge a LoRA adapter into its base weights (full precision): the result loads as a plain model directory."""

from __future__ import annotations

import os
import re
from pathlib import Path

from workbench.atomic import atomic_dir, check_output_dir
from workbench.errors import UserError

# What a saved model and tokenizer consist of: an earlier merge in `out` may be replaced, anything else is refused.
_MODEL_FILE = re.compile(
    r"(config|generation_config|special_tokens_map|added_tokens|chat_template|vocab)\.(json|jinja|txt)"
    r"|tokenizer(_config)?\.(json|model)|merges\.txt|.*\.safetensors(\.index\.json)?"
    r"|pytorch_model.*\.bin(\.index\.json)?"
)


def merge_adapter(adapter: str, out: str | Path, *, base: str | None = None) -> Path:
    """Write base + adapter, merged in fp32, to `out` (built in a temp folder, then swapped in whole). `out` is
    checked before anything loads: not a file, writable, and no folder holding files other than a model's."""
    import torch

    from workbench.models import load_hf, parse_spec

    spec = parse_spec(f"{base}+{adapter}" if base else adapter)
    if spec.kind != "adapter":
        raise UserError(
            f"{adapter} is not a LoRA adapter directory (no adapter_config.json)",
            hint="point at the `out` directory of a `method: lora` training run",
        )
    out = check_merge_out(out, spec)
    model, tok = load_hf(spec, dtype=torch.float32, device="cpu", merge_adapter=True)
    with atomic_dir(out) as tmp:
        model.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
    return out


def check_merge_out(out: str | Path, spec) -> Path:
    """`out` as `finetune merge --out`: a new folder, or one holding only model files (an earlier merge), which is
    replaced whole; never the adapter or base folder itself, never a file."""
    text = os.fspath(out)
    for name, path in (("adapter", spec.path), ("base model", spec.base.path)):
        if path and Path(text).resolve() == Path(path).resolve():
            raise UserError(
                f"--out {text}: is the {name} folder itself, which the merge would replace",
                hint=f"write the merged model to a new folder, e.g. --out {Path(text).name}-merged",
            )
    try:
        names = os.listdir(text) if Path(text).is_dir() else []
    except OSError:  # unreadable: check_output_dir says so
        names = []
    return check_output_dir(text, option="--out", replaces=[n for n in names if _MODEL_FILE.fullmatch(n)])
