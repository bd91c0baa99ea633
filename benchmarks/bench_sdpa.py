"""Attention on the CPU: PyTorch's flash-attention kernel vs its plain math kernel, forward + backward in bf16,
at the sequence lengths fine-tuning batches have. Same tokens per call (2,048) at every length, the embedded model's
shape (9 heads of 64), a causal mask with padding as transformers passes it. This sets
`finetune.loss.MATH_ATTENTION_MAX`: chunks up to that many tokens take the math kernel.

    .venv/bin/python benchmarks/bench_sdpa.py [--reps 5]

Writes benchmarks/results/sdpa.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import record  # noqa: E402

TITLE = "Attention on the CPU: the math kernel vs the flash-attention kernel, forward + backward in bf16"


def table_rows(d: dict) -> list[dict]:
    """One table row per sequence length: the math kernel (ours below the crossover) against the flash kernel."""
    return [
        record.row(
            f"width_{r['width']}",
            f"attention fwd+bwd, bf16, 2,048 tokens as {r['width']}-token sequences, ms",
            "ms",
            round(r["math_ms"], 2),
            round(r["flash_ms"], 2),
            "PyTorch's flash kernel (its CPU default)",
        )
        for r in d["rows"]
    ]


def run(width: int, backend, reps: int) -> float:
    """Median milliseconds of one forward + backward over 2,048 tokens in batches of `width`."""
    torch.manual_seed(0)
    batch = max(1, 2048 // width)
    q, k, v = (torch.randn(batch, 9, width, 64, dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
    mask = torch.ones(width, width, dtype=torch.bool).tril()[None, None].expand(batch, 1, width, width).clone()
    mask[0, :, :, -5:] = False  # the first row is padded by 5 tokens
    mask[0, :, -5:, :] = True
    times = []
    with sdpa_kernel(backend):
        for _rep in range(reps + 1):  # the first call warms up
            t = time.perf_counter()
            F.scaled_dot_product_attention(q, k, v, attn_mask=mask).sum().backward()
            times.append(time.perf_counter() - t)
    return statistics.median(times[1:]) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    started = record.begin()
    measured = []
    print(f"{'tokens':>6} {'flash ms':>9} {'math ms':>8} {'flash/math':>10}")
    for width in (32, 64, 96, 128, 160, 192, 224, 256, 384, 512, 1024):
        flash = run(width, SDPBackend.FLASH_ATTENTION, a.reps)
        math_ = run(width, SDPBackend.MATH, a.reps)
        measured.append({"width": width, "flash_ms": flash, "math_ms": math_, "flash_over_math": flash / math_})
        print(f"{width:>6} {flash:9.1f} {math_:8.1f} {flash / math_:10.2f}")
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "reps": a.reps, "rows": measured}
    record.append(
        REPO / "benchmarks/results/sdpa.json",
        started,
        title=TITLE,
        rows=table_rows(out),
        details=out,
        command=record.command_line(),
    )


if __name__ == "__main__":
    main()
