"""Memory plan: bytes needed to run or fine-tune a model on one GPU, part by part, and whether it fits.

Arithmetic only, each part with its source (`method_parts` lists them; the JSON shows them):
- weights: 16-bit for inference and for LoRA's frozen base (2 bytes); full fine-tuning under bf16/fp16 autocast keeps
  fp32 master weights (4). QLoRA: NF4 (0.5 bytes) + one fp32 absmax per 64 weights, itself 8-bit quantised per 256
  (double quantisation: 0.127 bits per weight; Dettmers et al. 2023, QLoRA §3); 8-bit: 1 byte + 4/64 (LLM.int8 per
  row scales, rounded up).
- gradients and optimizer states: fp32 gradients (4) + Adam's two fp32 moments (8) per trained parameter: 16 bytes
  with the weights (Rajbhandari et al. 2020, ZeRO §3.1, "mixed-precision training with Adam": 2 + 2 + 12 = 16,
  whose 16-bit weight and gradient copies torch autocast does not keep whole: it casts per operation). `pure_bf16`
  keeps everything in bf16: 2 + 2 + 4 = 8 (LLaMA-Factory's `8x`, README "Hardware Requirement", commit 00409ff2).
  LoRA trains its adapters like full fine-tuning.
- activations kept for backward, per layer: 34·s·b·h bytes in 16-bit with memory-efficient attention (Korthikanti
  et al. 2022, "Reducing Activation Recomputation in Large Transformer Models", §4.1, eq. 1 without the 5·a·s/h term
  that flash/SDPA attention no longer stores), plus the logits: 16-bit, their fp32 upcast for the loss and its
  gradient (s·b·V·(2 + 4 + 4)). Inference keeps no activations: one layer's working set at prefill,
  s·b·(4h + 3f)·2 bytes (the attention projections and the SwiGLU MLP's three f-wide tensors), and the last
  position's logits.
- KV cache (inference): 2 (K and V) · layers · s · b · kv_heads · head_dim · 2 bytes (Pope et al. 2022, "Efficiently
  Scaling Transformer Inference", §2.1), from the model's config.json with --model (grouped-query attention counted).
- runtime reserve: 0.5 GB for the CUDA context, cuBLAS workspaces and the caching allocator's slack (a PyTorch CUDA
  context alone takes 0.3-0.5 GB with lazy module loading; PyTorch docs, "CUDA semantics", memory management).

Architecture when only a count is known (`Shape.standard`): LLaMA's shape, P ≈ 12·L·h² (Kaplan et al. 2020, §2.1)
with L = h/128 (LLaMA-7B's 4096/32), so h = (128·P/12)^(1/3); multi-head attention (kv width = h: an upper bound
for a grouped-query model), SwiGLU width f = 8h/3, vocabulary 32,000 (LLaMA-1/2).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

GB = 1e9  # decimal gigabytes: GPU vendors and LLaMA-Factory's table quote 16 GB, 80 GB
METHODS = ("inference", "full", "lora", "qlora")
LORA_SHARE = 0.005  # LoRA r=16 on the attention projections of a 7B model trains ~0.5 % of its parameters
RESERVE = 0.5 * GB  # CUDA context + workspaces + allocator slack (see the module docstring)
PARTS = ("weights", "gradients", "optimizer", "activations", "kv_cache", "reserve")


@dataclass(frozen=True)
class Shape:
    """What memory depends on besides the parameter count: hidden size, layers, K/V width (kv_heads · head_dim),
    MLP width and vocabulary."""

    hidden: int
    layers: int
    kv_dim: int
    intermediate: int
    vocab: int

    @classmethod
    def standard(cls, params: int, hidden: int | None = None, layers: int | None = None) -> Shape:
        """The LLaMA-shaped model with `params` parameters (hidden and layers as given, when given)."""
        if hidden is None or layers is None:
            hidden, layers = shape_from_params(params)
        return cls(hidden, layers, hidden, int(round(8 * hidden / 3)), 32_000)


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


def kv_cache_bytes(shape: Shape, seq_len: int, batch: int) -> float:
    """K and V of every layer for `seq_len` tokens in 16-bit (Pope et al. 2022, §2.1)."""
    return 2.0 * shape.layers * seq_len * batch * shape.kv_dim * 2


def _weights(method: str, params: int, precision: str) -> float:
    """Bytes of the model's own weights under `method`."""
    if method == "inference" or method == "lora":
        return 2.0 * params
    if method == "full":
        return (2.0 if precision == "pure_bf16" else 4.0) * params
    if method in ("qlora", "qlora4"):
        return params * (0.5 + 0.127 / 8)
    if method == "qlora8":
        return params * (1 + 4 / 64)
    raise ValueError(f"unknown method {method!r}")


def method_parts(
    method: str,
    params: int,
    shape: Shape,
    *,
    seq_len: int = 512,
    batch: int = 1,
    precision: str = "amp",
    lora_share: float = LORA_SHARE,
) -> dict[str, float]:
    """Bytes one GPU needs for `method` (inference, full, lora, qlora, qlora8), part by part (PARTS)."""
    s, b = seq_len, batch
    parts = dict.fromkeys(PARTS, 0.0)
    parts["weights"] = _weights(method, params, precision)
    parts["reserve"] = RESERVE
    if method == "inference":
        parts["kv_cache"] = kv_cache_bytes(shape, s, b)
        parts["activations"] = s * b * (4 * shape.hidden + 3 * shape.intermediate) * 2.0 + b * shape.vocab * 4.0
        return parts
    bf16 = method == "full" and precision == "pure_bf16"
    trained = params if method == "full" else params * lora_share
    if method != "full":
        parts["weights"] += trained * 4  # the adapters' fp32 weights
    parts["gradients"] = trained * (2 if bf16 else 4)
    parts["optimizer"] = trained * (4 if bf16 else 8)
    logits = s * b * shape.vocab * (2 + 4 + 4)
    parts["activations"] = activation_bytes(shape.hidden, shape.layers, s, b) + logits
    return parts


def method_bytes(method: str, params: int, *, hidden: int, layers: int, **kw) -> float:
    """Total bytes for `method` on a LLaMA-shaped model of `params` parameters with this hidden size and depth."""
    return sum(method_parts(method, params, Shape.standard(params, hidden, layers), **kw).values())


def max_params(method: str, gpu_mem_bytes: float, **kw) -> int:
    """The largest LLaMA-shaped model (parameters) whose `method` fits in `gpu_mem_bytes`: bisection over the monotone
    estimate."""
    lo, hi = 1e6, 1e13
    for _ in range(100):
        mid = (lo * hi) ** 0.5
        if sum(method_parts(method, int(mid), Shape.standard(int(mid)), **kw).values()) <= gpu_mem_bytes:
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
    shape: Shape | None = None,
    precision: str = "amp",
    methods=METHODS,
) -> dict:
    """The `finetune plan --json` object: bytes per method, each part, and whether it fits in `gpu_mem_bytes`
    (None: unknown). `shape` (a model's, from `model_arch`) beats `hidden`/`layers`, which beat the standard shape."""
    shape = shape or Shape.standard(params, hidden, layers)
    out = {}
    for m in methods:
        parts = method_parts(m, params, shape, seq_len=seq_len, batch=batch, precision=precision)
        need = int(sum(parts.values()))
        out[m] = {
            "bytes": need,
            "fits": None if gpu_mem_bytes is None else need <= gpu_mem_bytes,
            "parts": {k: int(v) for k, v in parts.items()},
        }
    return {"params": int(params), "gpu_mem_bytes": gpu_mem_bytes, "methods": out, "shape": asdict(shape)}


def _meta_model(spec):
    """(config, model on the meta device) of a local model spec: the architecture without loading weights."""
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
    return config, model


def model_arch(spec) -> tuple[int, Shape]:
    """(parameters, Shape) of a local model spec from its config.json (K/V heads and head size as configured)."""
    config, model = _meta_model(spec)
    params = sum(p.numel() for p in model.parameters())
    c = config.get_text_config() if hasattr(config, "get_text_config") else config
    heads = int(c.num_attention_heads)
    head_dim = int(getattr(c, "head_dim", None) or c.hidden_size // heads)
    kv_heads = int(getattr(c, "num_key_value_heads", None) or heads)
    inter = int(getattr(c, "intermediate_size", None) or 4 * c.hidden_size)
    return params, Shape(int(c.hidden_size), int(c.num_hidden_layers), kv_heads * head_dim, inter, int(c.vocab_size))


def model_shape(spec) -> tuple[int, int, int]:
    """(parameters, hidden size, layers) of a local model spec, counted on the meta device (no weights loaded)."""
    params, shape = model_arch(spec)
    return params, shape.hidden, shape.layers
