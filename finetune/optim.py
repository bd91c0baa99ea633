"""How many optimizer steps a run takes, the learning rate at each, and the optimizer that takes them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from finetune.config import TrainConfig
from workbench.errors import UserError


@dataclass(frozen=True)
class Steps:
    """The run's length: each rank takes `micro_per_epoch` micro-batches per epoch, `grad_accum` to a step."""

    micro_per_epoch: int
    per_epoch: int  # optimizer steps per epoch
    total: int
    warmup: int


def count_steps(n_examples: int, world: int, cfg: TrainConfig) -> Steps:
    """Steps for an epoch of `n_examples` shared by `world` ranks; `max_steps` overrides `epochs`."""
    micro_per_epoch = -(-n_examples // cfg.batch_size) // world  # an epoch's batches (the last may be short), shared
    if micro_per_epoch == 0:
        raise UserError(f"{n_examples} training examples make no batch for {world} processes of {cfg.batch_size}")
    per_epoch = max(1, micro_per_epoch // cfg.grad_accum)
    total = cfg.max_steps or max(1, math.ceil(cfg.epochs * per_epoch))
    warmup = int(cfg.warmup if cfg.warmup >= 1 else round(cfg.warmup * total))
    return Steps(micro_per_epoch, per_epoch, total, warmup)


def lr_at(step: int, total: int, warmup: int, base: float, kind: str) -> float:
    """Learning rate for optimizer step `step` (0-based): linear warmup, then cosine/linear decay to 0 or constant."""
    if warmup and step < warmup:
        return base * (step + 1) / warmup
    if kind == "constant":
        return base
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.5 * (1 + math.cos(math.pi * progress)) if kind == "cosine" else 1 - progress)


def make_optimizer(params: list, cfg: TrainConfig, device):
    """AdamW (fused on CUDA) or SGD with momentum; weight decay only on matrices, not norms/biases, as in nanoGPT."""
    import torch

    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.999), fused=device.type == "cuda")
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9)
