"""Memory plan: bytes needed to run or fine-tune a model of N parameters on one GPU, and whether it fits.

Arithmetic only, each term with its source:
- inference: 16-bit weights x 1.2 for KV cache, activations and allocator slack (EleutherAI, "Transformer Math 101",
  2023: "Total Inference Memory ≈ 1.2 × Model Memory").
- full fine-tuning with Adam under bf16/fp16 autocast: fp32 weights (4) + fp32 gradients (4) + Adam's two moments
  (4 + 4) + the 16-bit copies autocast casts for the forward pass (2) = 18 bytes per parameter; this is the `18x` GB
  of LLaMA-Factory's README, "Hardware Requirement" (hiyouga/LLaMA-Factory README.md at commit 00409ff2). With
  `pure_bf16` everything is 16-bit: 2 + 2 + 2 + 2 = 8 bytes (LLaMA-Factory's `8x`).
- LoRA: frozen 16-bit weights (2 bytes) + adapters trained like full fine-tuning (18 bytes each).
- QLoRA: NF4 weights (0.5 bytes) + one fp32 absmax per 64 weights, itself 8-bit quantised per 256 (double
  quantisation: 0.127 bits per weight; Dettmers et al. 2023, QLoRA §3) + adapters; 8-bit: 1 byte + 4/64 (LLM.int8 per
  row scales, rounded up).
- activations saved for backward, per layer: 34·s·b·h bytes in 16-bit with memory-efficient attention (Korthikanti
  et al. 2022, "Reducing Activation Recomputation in Large Transformer Models", §4.1, eq. 1 without the 5·a·s/h term
  that flash/SDPA attention no longer stores).

Architecture when only a count is known: P ≈ 12·L·h² (Kaplan et al. 2020, §2.1) with L = h/128 (LLaMA-7B's
4096/32), so h = (128·P/12)^(1/3).
"""

from __future__ import annotations

import re

GB = 1e9  # decimal gigabytes: GPU vendors and LLaMA-Factory's table quote 16 GB, 80 GB
METHODS = ("inference", "full", "lora", "qlora")
LORA_SHARE = 0.005  # LoRA r=16 on the attention projections of a 7B model trains ~0.5 % of its parameters


def parse_size(text: str | int | float, unit: float = 1.0) -> int:
    """'7B' → 7e9, '135M' → 1.35e8, '16GB' / '16G' → 1.6e10, '24GiB' → 24·2^30; a bare number is taken as is × unit."""
    if isinstance(text, (int, float)):
        return int(text * unit)
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgtb]?)(i?)b?\s*", str(text).lower())
    if not m:
        from workbench.errors import UserError

        raise UserError(
            f"can't read the size {text!r}", hint="write e.g. 7B, 135M (parameters) or 16GB, 24GiB (memory)"
        )
    num, prefix, binary = float(m.group(1)), m.group(2), m.group(3)
    base = 1024 if binary else 1000
    power = {"": 0, "k": 1, "m": 2, "g": 3, "b": 3, "t": 4}[prefix]
    return int(num * base**power) if prefix else int(num * unit)


def shape_from_params(params: int) -> tuple[int, int]:
    """(hidden size, layers) of a LLaMA-shaped model with `params` parameters."""
    hidden = (128 * params / 12) ** (1 / 3)
    return int(round(hidden)), max(1, int(round(hidden / 128)))


def activation_bytes(hidden: int, layers: int, seq_len: int, batch: int) -> float:
    """Activations kept for backward: 34·s·b·h bytes per layer (Korthikanti et al. 2022, §4.1)."""
    return 34.0 * seq_len * batch * hidden * layers


def method_bytes(
    method: str,
    params: int,
    *,
    hidden: int,
    layers: int,
    seq_len: int = 512,
    batch: int = 1,
    precision: str = "amp",
    lora_share: float = LORA_SHARE,
) -> float:
    """Bytes one GPU needs for `method` (inference, full, lora, qlora) on a model of `params` parameters."""
    act = activation_bytes(hidden, layers, seq_len, batch)
    adapters = params * lora_share * 18
    if method == "inference":
        return 1.2 * 2 * params
    if method == "full":
        return params * (8 if precision == "pure_bf16" else 18) + act
    if method == "lora":
        return params * 2 + adapters + act
    if method in ("qlora", "qlora4"):
        return params * (0.5 + 0.127 / 8) + adapters + act
    if method == "qlora8":
        return params * (1 + 4 / 64) + adapters + act
    raise ValueError(f"unknown method {method!r}")


def max_params(method: str, gpu_mem_bytes: float, **kw) -> int:
    """The largest model (parameters) whose `method` fits in `gpu_mem_bytes`: bisection over the monotone estimate."""
    lo, hi = 1e6, 1e13
    for _ in range(100):
        mid = (lo * hi) ** 0.5
        h, L = shape_from_params(int(mid))
        if method_bytes(method, int(mid), hidden=h, layers=L, **kw) <= gpu_mem_bytes:
            lo = mid
        else:
            hi = mid
    return int(lo)


def plan_memory(
    params: int,
    *,
    gpu_mem_bytes: int | None = None,
    seq_len: int = 512,
    batch: int = 1,
    hidden: int | None = None,
    layers: int | None = None,
    precision: str = "amp",
    methods=METHODS,
) -> dict:
    """The `finetune plan --json` object: bytes per method and whether each fits in `gpu_mem_bytes` (None: unknown)."""
    if hidden is None or layers is None:
        hidden, layers = shape_from_params(params)
    out = {}
    for m in methods:
        need = int(
            method_bytes(m, params, hidden=hidden, layers=layers, seq_len=seq_len, batch=batch, precision=precision)
        )
        out[m] = {"bytes": need, "fits": None if gpu_mem_bytes is None else need <= gpu_mem_bytes}
    return {"params": int(params), "gpu_mem_bytes": gpu_mem_bytes, "methods": out}


def model_shape(spec) -> tuple[int, int, int]:
    """(parameters, hidden size, layers) of a local model spec, counted on the meta device (no weights loaded)."""
    import torch
    from transformers import AutoModelForCausalLM

    from workbench.errors import ModelError
    from workbench.models import model_config

    config = model_config(spec)
    try:
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(config)
    except Exception as e:  # noqa: BLE001 - an architecture this transformers can't build
        raise ModelError(f"model {spec}: cannot build its architecture from config.json: {e}") from e
    params = sum(p.numel() for p in model.parameters())
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    return params, int(text.hidden_size), int(text.num_hidden_layers)
