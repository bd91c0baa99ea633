"""The model to train: the base loaded in the right dtype, then LoRA adapters beside its frozen weights (or none)."""

from __future__ import annotations

from pathlib import Path

from finetune.config import TrainConfig
from workbench.errors import UserError

# LoRA on every linear layer of the transformer blocks: QLoRA (Dettmers et al. 2023, §4) finds this is needed to
# match full fine-tuning, and on the Enlighten demo it gave acc_norm 0.4796 vs 0.4312 for q/k/v/o alone (same lr,
# 1 epoch; the H200 sweep in benchmarks/results/finetune_demo.json). Unknown architectures get every linear layer (peft's "all-linear").
_LLAMA_LIKE = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
DEFAULT_TARGETS = {
    **{
        a: _LLAMA_LIKE
        for a in (
            "llama",
            "mistral",
            "mixtral",
            "qwen2",
            "qwen2_moe",
            "qwen3",
            "qwen3_moe",
            "gemma",
            "gemma2",
            "gemma3_text",
            "olmo",
            "olmo2",
            "granite",
            "starcoder2",
            "smollm3",
            "cohere",
            "deepseek_v2",
        )
    },
    "opt": ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"],
    "phi": ["q_proj", "k_proj", "v_proj", "dense", "fc1", "fc2"],
    "phi3": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
    "gpt2": ["c_attn", "c_proj", "c_fc"],
    "gpt_neox": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
    "falcon": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
    "bloom": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
}


def bf16_supported(device) -> bool:
    """bf16 pays where the hardware multiplies it natively: CUDA with bf16, or CPUs with AMX/AVX512-BF16."""
    import torch

    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def load_base(spec, cfg: TrainConfig, device, bf16: bool):
    """(model, tokenizer) for `spec` on `device`; a tokenizer without a pad token pads with EOS."""
    import torch

    from workbench.models import load_hf

    # LoRA's frozen base can live in bf16 (the adapters stay fp32); full training keeps fp32 master weights (AMP).
    dtype = torch.bfloat16 if bf16 and cfg.method == "lora" else torch.float32
    lm, tok = load_hf(spec, dtype=dtype, device=str(device))
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return lm, tok


def resolve_targets(model, configured: list | None) -> list[str] | str:
    """The LoRA target module names for this model; a name that matches no module is an error listing the real ones."""
    import torch

    linear = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)})
    if not configured:
        return DEFAULT_TARGETS.get(getattr(model.config, "model_type", ""), "all-linear")
    missing = [t for t in configured if t not in linear and t != "all-linear"]
    if missing:
        raise UserError(
            f"LoRA target module(s) {', '.join(missing)} not found in {model.config.model_type} model",
            hint="linear modules in this model: " + ", ".join(linear),
        )
    return list(configured)


def make_trainable(lm, cfg: TrainConfig):
    """`lm` ready to train: LoRA adapters wrapped around the target modules (method lora), or every weight (full)."""
    lm.config.use_cache = False  # no KV cache while training: it only costs memory
    if cfg.method == "lora":
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=cfg.lora_r,
            lora_alpha=cfg.lora_alpha,
            lora_dropout=cfg.lora_dropout,
            target_modules=resolve_targets(lm, cfg.target_modules),
            task_type="CAUSAL_LM",
        )
        lm = get_peft_model(lm, lora)
    lm.train()
    return lm
