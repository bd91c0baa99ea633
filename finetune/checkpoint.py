"""Checkpoints: out/checkpoints/step-N holds the trainable weights, the optimizer and RNG state, and the loop's
position (state.json), so `--resume` continues the same run: same data order, same losses.

A checkpoint appears whole or not at all (`workbench.atomic.atomic_dir`); a full disk is refused before writing when
the tensors alone can't fit, and any failed write becomes a message naming the checkpoint that is still intact.
"""

from __future__ import annotations

import contextlib
import errno
import json
import shutil
from pathlib import Path

from finetune.config import TrainConfig
from workbench.atomic import atomic_dir
from workbench.errors import UserError

# Keys that change what a step means: resuming with a different value would not continue the same run.
RESUME_KEYS = (
    "model",
    "data",
    "method",
    "template",
    "batch_size",
    "grad_accum",
    "max_length",
    "packing",
    "seed",
    "eval_split",
    "group_by_length",
    "lora_r",
    "target_modules",
)


def new_state() -> dict:
    """The loop's position and bookkeeping at step 0 (what state.json records; `tokens` is never counted, kept so
    checkpoints read the same before and after)."""
    return {"step": 0, "epoch": 0, "micro": 0, "run_id": None, "best_eval": None, "bad_evals": 0, "tokens": 0}


def checkpoints_dir(cfg: TrainConfig) -> Path:
    """Where a run's checkpoints go: out/checkpoints."""
    return Path(cfg.out) / "checkpoints"


def resume(lm, opt, cfg: TrainConfig, say) -> dict:
    """The loop state to start from: with `cfg.resume`, the newest checkpoint's (its weights, optimizer and RNG
    restored into `lm` and `opt`); else, or when there is none yet, step 0. `say(str)` gets a status line."""
    root = checkpoints_dir(cfg)
    last = latest_checkpoint(root) if cfg.resume else None
    if cfg.resume and last is None:
        say(f"no checkpoint in {root}: starting from step 0")
    if last is None:
        return new_state()
    state = load_checkpoint(last, lm, opt, cfg)
    say(f"resumed from {last.name}: step {state['step']}, epoch {state['epoch']}, batch {state['micro']}")
    return state


def latest_checkpoint(root: Path) -> Path | None:
    """The newest complete checkpoint (temp dirs from an interrupted write are ignored)."""
    done = sorted(p for p in root.glob("step-*") if (p / "state.json").exists()) if root.exists() else []
    return done[-1] if done else None


def save_checkpoint(lm, opt, state: dict, cfg: TrainConfig) -> Path:
    """Write step-N (weights, optimizer, RNG, `state`); keep the newest `cfg.keep_checkpoints`."""
    import torch
    from safetensors.torch import save_file

    root = checkpoints_dir(cfg)
    final = root / f"step-{state['step']:08d}"
    weights = {n: p.detach().contiguous().cpu() for n, p in lm.named_parameters() if p.requires_grad}
    extra = {"optimizer": opt.state_dict(), "rng": torch.get_rng_state()}
    with write_errors(f"checkpoint {final.name}", root):
        root.mkdir(parents=True, exist_ok=True)
        for stale in [*root.glob(".step-*.tmp"), *root.glob(".step-*.old")]:  # left by a kill mid-write: free them
            shutil.rmtree(stale, ignore_errors=True)
        _check_room(root, [*weights.values(), *_tensors(extra)])
    # write_errors inside atomic_dir: it measures the space left while the partial write still fills the disk.
    with atomic_dir(final) as tmp, write_errors(f"checkpoint {final.name}", root):
        save_file(weights, str(tmp / "trainable.safetensors"))
        torch.save(extra, tmp / "optimizer.pt")
        (tmp / "state.json").write_text(json.dumps({**state, "config": cfg.to_dict()}, indent=1))
    for old in sorted(root.glob("step-*"))[: -cfg.keep_checkpoints]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(path: Path, lm, opt, cfg: TrainConfig) -> dict:
    """Restore weights, optimizer and RNG from `path` into `lm`/`opt`; returns the loop state saved with them."""
    import torch
    from safetensors.torch import load_file

    state = json.loads((path / "state.json").read_text())
    saved = state.pop("config")
    changed = [k for k in RESUME_KEYS if saved.get(k) != getattr(cfg, k)]
    if changed:
        raise UserError(
            f"--resume: {', '.join(changed)} changed since checkpoint {path}",
            hint="resume with the same config, or start a new run in another `out` directory",
        )
    missing, unexpected = lm.load_state_dict(load_file(str(path / "trainable.safetensors")), strict=False)
    if unexpected:
        raise UserError(f"checkpoint {path} does not match the model: {unexpected[:3]}")
    extra = torch.load(path / "optimizer.pt", weights_only=False)
    opt.load_state_dict(extra["optimizer"])
    torch.set_rng_state(extra["rng"])
    return state


@contextlib.contextmanager
def write_errors(what: str, ckpt_root: Path):
    """A failed write (full disk, permissions) becomes a message with the space left and the checkpoint to resume
    from. safetensors and torch.save report a full disk as their own errors (SafetensorError, RuntimeError
    "unexpected pos"), not OSError, so those are caught too."""
    from safetensors import SafetensorError

    try:
        yield
    except (OSError, RuntimeError, SafetensorError) as e:
        disk = next(p for p in (ckpt_root, *ckpt_root.parents) if p.exists())
        free = shutil.disk_usage(disk).free
        prev = latest_checkpoint(ckpt_root)
        raise UserError(
            f"could not write {what} ({free / 1e6:.1f} MB left on {disk}): {e}",
            hint="free disk space and rerun with --resume; the last checkpoint "
            f"{prev.name + ' is intact' if prev else '(none yet) would start over'}",
        ) from e


def _check_room(root: Path, tensors: list) -> None:
    """The tensors alone are a lower bound of the checkpoint's size: refuse before writing when they can't fit."""
    need = sum(t.numel() * t.element_size() for t in tensors)
    if need > shutil.disk_usage(root).free:
        raise OSError(errno.ENOSPC, f"No space left on device: it needs at least {need / 1e6:.1f} MB")


def _tensors(obj):
    """Every tensor inside nested dicts/lists (an optimizer state dict)."""
    import torch

    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors(v)
