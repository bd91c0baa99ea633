"""Merge a LoRA adapter into its base weights (full precision): the result loads as a plain model directory."""

from __future__ import annotations

from pathlib import Path

from workbench.atomic import atomic_dir
from workbench.errors import UserError


def merge_adapter(adapter: str, out: str | Path, *, base: str | None = None) -> Path:
    """Write base + adapter, merged in fp32, to `out` (built in a temp folder, then swapped in whole)."""
    import torch

    from workbench.models import load_hf, parse_spec

    spec = parse_spec(f"{base}+{adapter}" if base else adapter)
    if spec.kind != "adapter":
        raise UserError(
            f"{adapter} is not a LoRA adapter directory (no adapter_config.json)",
            hint="point at the `out` directory of a `method: lora` training run",
        )
    model, tok = load_hf(spec, dtype=torch.float32, device="cpu", merge_adapter=True)
    out = Path(out)
    with atomic_dir(out) as tmp:
        model.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
    return out
