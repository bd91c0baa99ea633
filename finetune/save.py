"""The run's result in out/: the adapter (LoRA) or the whole model and tokenizer (full), and a digest of its weights."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from finetune.config import TrainConfig


def save_final(lm, tok, out: Path, cfg: TrainConfig, spec) -> None:
    """Adapter files (LoRA) or model + tokenizer (full) into out/, each file moved in with one rename.

    Not `workbench.atomic.atomic_dir`: out/ also holds the checkpoints and the log, so it can't be swapped whole;
    the files are written beside it and renamed in one by one, and a reader never sees a half-written file.
    """
    with tempfile.TemporaryDirectory(prefix=".tmp-final-", dir=out) as tmp_name:
        tmp = Path(tmp_name)
        lm.save_pretrained(str(tmp))
        if cfg.method == "lora":
            # Name the base by its spec (`default`, a path) so `finetune merge OUT` and the spec `OUT` find it.
            ac = tmp / "adapter_config.json"
            conf = json.loads(ac.read_text())
            conf["base_model_name_or_path"] = spec.text if spec.kind == "default" else (spec.path or spec.text)
            ac.write_text(json.dumps(conf, indent=2))
        else:
            tok.save_pretrained(str(tmp))
        for f in tmp.iterdir():
            os.replace(f, out / f.name)


def weights_digest(lm) -> str:
    """A short hash of the trainable weights: two runs (or two DDP ranks) that end alike print the same digest."""
    import hashlib

    h = hashlib.sha256()
    for n, p in sorted(lm.named_parameters()):
        if p.requires_grad:
            h.update(n.encode())
            h.update(p.detach().float().cpu().numpy().tobytes())
    return h.hexdigest()[:16]
