"""This process's place in a multi-process run (`torchrun`, `accelerate launch`): one rank per GPU, or gloo on CPUs.

A single process is world 1, rank 0: no process group, no DDP wrapper.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Ranks:
    world: int  # processes in the run (WORLD_SIZE)
    rank: int  # this one's place (RANK); rank 0 logs and saves
    device: object  # torch.device: cuda:LOCAL_RANK, or the CPU

    @classmethod
    def start(cls) -> Ranks:
        """Read the launcher's environment and join the process group (NCCL on GPUs, gloo on CPUs)."""
        import torch
        import torch.distributed as dist

        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if world > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
        return cls(world, rank, device)

    def wrap(self, module):
        """`module` under DistributedDataParallel (gradients averaged across ranks) when there is more than one."""
        import torch

        return torch.nn.parallel.DistributedDataParallel(module) if self.world > 1 else module

    def finish(self) -> None:
        """Wait for every rank, then leave the process group."""
        import torch.distributed as dist

        if self.world > 1:
            dist.barrier()
            dist.destroy_process_group()
