"""`finetune plan` against the seed's compute table and LLaMA-Factory's VRAM rules of thumb (within 20 %)."""

import json

import pytest

from finetune.plan import GB, max_params, method_bytes, parse_size, plan_memory, shape_from_params
from tests.finetune.conftest import run_cli

# The seed: one 16 GB V100 runs ~7B for inference and trains ~1B in full; 8x A100 80 GB (DDP: each GPU holds it all)
# runs ~32B and trains ~5B.
SEED = [(16, "inference", 7e9), (16, "full", 1e9), (80, "inference", 32e9), (80, "full", 5e9)]

# hiyouga/LLaMA-Factory README.md, "Hardware Requirement" (commit 00409ff2), GB per method and model size.
LLAMA_FACTORY = {
    ("full", "amp"): {7: 120, 14: 240, 30: 600, 70: 1200},
    ("full", "pure_bf16"): {7: 60, 14: 120, 30: 300, 70: 600},
    ("lora", "amp"): {7: 16, 14: 32, 30: 64, 70: 160},
    ("qlora8", "amp"): {7: 10, 14: 20, 30: 40, 70: 80},
    ("qlora", "amp"): {7: 6, 14: 12, 30: 24, 70: 48},
}


@pytest.mark.parametrize("gpu_gb,method,expected", SEED)
def test_seed_compute_table(gpu_gb, method, expected):
    assert max_params(method, gpu_gb * GB) == pytest.approx(expected, rel=0.2)


@pytest.mark.parametrize("key", list(LLAMA_FACTORY))
def test_llama_factory_rules_of_thumb(key):
    method, precision = key
    for billions, gb in LLAMA_FACTORY[key].items():
        p = int(billions * 1e9)
        h, layers = shape_from_params(p)
        got = method_bytes(method, p, hidden=h, layers=layers, precision=precision) / GB
        assert got == pytest.approx(gb, rel=0.2), f"{method} {billions}B: {got:.1f} GB vs {gb} GB"


def test_shape_and_sizes():
    assert shape_from_params(7_000_000_000) == (4211, 33)  # LLaMA-7B: 4096 x 32
    assert parse_size("7B") == 7_000_000_000 and parse_size("135M") == 135_000_000
    assert parse_size("16GB") == 16 * 10**9 and parse_size("24GiB") == 24 * 2**30


def test_plan_json_stable_interface(tiny_model_dir):
    proc = run_cli("plan", "--params", "7B", "--gpu-mem", "24GB", "--json")
    plan = json.loads(proc.stdout)
    assert set(plan) == {"params", "gpu_mem_bytes", "methods"} and plan["params"] == 7_000_000_000
    assert plan["gpu_mem_bytes"] == 24_000_000_000
    assert set(plan["methods"]) == {"inference", "full", "lora", "qlora"}
    assert all(set(v) == {"bytes", "fits"} for v in plan["methods"].values())
    assert [plan["methods"][m]["fits"] for m in ("inference", "full", "lora", "qlora")] == [True, False, True, True]
    assert plan == plan_memory(7_000_000_000, gpu_mem_bytes=24_000_000_000)
    # --model reads the real parameter count from the config (meta device, no weights loaded).
    from workbench.models import load_hf

    n = sum(p.numel() for p in load_hf(str(tiny_model_dir))[0].parameters())
    plan = json.loads(run_cli("plan", "--model", tiny_model_dir, "--gpu-mem", "1GB", "--json").stdout)
    assert plan["params"] == n and plan["methods"]["full"]["fits"] is True
