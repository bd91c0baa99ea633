"""LoRA on the embedded model: our loop vs TRL's SFTTrainer, same data, LoRA config, batch and max length.

Each configuration runs in its own subprocess (peak RSS is per process); throughput counts real (non-padding) tokens
entering the decoder during optimizer steps 2..N (the first step warms up). With identical settings both sides get
random (not length-grouped) batches of the same size; TRL pads each batch to its longest example, our loop runs a batch
as unpadded length-sorted chunks (`max_padding`), which gives the same gradient.

    .venv/bin/python benchmarks/bench_lora.py [--steps 8] [--pairs 256]

Writes benchmarks/results/lora.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import record  # noqa: E402

TITLE = "LoRA on the embedded model: our loop vs TRL's SFTTrainer"
SETTINGS = {"fp32": "same settings, fp32", "bf16": "same settings, bf16", "defaults": "each side's defaults"}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]
RUNS = [  # (name, side, settings)
    ("trl-fp32", "trl", {"bf16": False}),
    ("ours-fp32", "ours", {"precision": "fp32"}),
    ("trl-bf16", "trl", {"bf16": True}),
    ("ours-bf16", "ours", {"precision": "bf16"}),
    ("trl-defaults", "trl", {}),
    ("ours-defaults", "ours", {}),
]


def pairs(n: int) -> list[tuple[str, str]]:
    with open(REPO / "data/enlighten-instruct/TrainData.csv", newline="", encoding="utf-8") as fh:
        return [(r["Q"], r["A"]) for r in list(csv.DictReader(fh))[:n]]


class Meter:
    """Real tokens entering the decoder (a forward pre-hook) and the time of every optimizer step (a global hook)."""

    def __init__(self, decoder):
        from torch.optim.optimizer import register_optimizer_step_post_hook

        self.tokens, self.steps = 0, []  # steps: (time, tokens so far) after each optimizer step
        decoder.register_forward_pre_hook(self, with_kwargs=True)
        register_optimizer_step_post_hook(lambda *_: self.steps.append((time.perf_counter(), self.tokens)))

    def __call__(self, _mod, args, kwargs):
        mask = kwargs.get("attention_mask")
        ids = kwargs.get("input_ids") if kwargs.get("input_ids") is not None else args[0]
        self.tokens += int(mask.sum()) if mask is not None else ids.numel()

    def tokens_per_s(self) -> float:
        (t0, k0), (t1, k1) = self.steps[0], self.steps[-1]
        return (k1 - k0) / (t1 - t0)


def run_trl(settings: dict, steps: int, n_pairs: int, batch: int, max_length: int) -> float:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    from workbench.models import load_hf

    identical = bool(settings)  # identical runs switch off what our loop doesn't do (checkpointing, eval, saving)
    model, tok = load_hf("default", dtype=torch.float32)
    meter = Meter(model.get_decoder())
    ds = Dataset.from_list([{"prompt": f"Question: {q}\nAnswer:", "completion": f" {a}"} for q, a in pairs(n_pairs)])
    extra = dict(gradient_checkpointing=False, bf16=settings["bf16"]) if identical else {}
    args = SFTConfig(
        output_dir=tempfile.mkdtemp(),
        per_device_train_batch_size=batch,
        max_length=max_length,
        max_steps=steps,
        learning_rate=2e-4,
        logging_steps=10_000,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        **extra,
    )
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules=TARGETS, task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=args, train_dataset=ds, processing_class=tok, peft_config=lora)
    meter.tokens, meter.steps = 0, []
    trainer.train()
    return meter.tokens_per_s()


def run_ours(settings: dict, steps: int, n_pairs: int, batch: int, max_length: int) -> float:
    from finetune.config import load_config
    from finetune.loss import CausalLMLoss
    from finetune.train import train

    data = Path(tempfile.mkdtemp()) / "pairs.jsonl"
    data.write_text("".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in pairs(n_pairs)))
    cfg = load_config(
        None,
        {
            "model": "default",
            "data": str(data),
            "template": "qa",
            "batch_size": batch,
            "max_length": max_length,
            "max_steps": steps,
            "lr": 2e-4,
            "lora_r": 16,
            "lora_alpha": 32,
            "lora_dropout": 0.05,
            "target_modules": TARGETS,
            "eval_split": 0,
            "audit": False,
            "progress": False,
            "out": str(data.parent / "out"),
            "store": str(data.parent / "store.db"),
            **({"group_by_length": False} if settings else {}),
            **settings,
        },
    )
    meters = []
    build = CausalLMLoss.build

    def metered(lm):  # the decoder our loss module calls, metered like TRL's
        mod = build(lm)
        meters.append(Meter(mod.decoder))
        return mod

    CausalLMLoss.build = staticmethod(metered)
    train(cfg)
    return meters[0].tokens_per_s()


def one(name: str, steps: int, n_pairs: int, batch: int, max_length: int) -> dict:
    side, settings = next((s, st) for n, s, st in RUNS if n == name)
    tps = (run_trl if side == "trl" else run_ours)(settings, steps, n_pairs, batch, max_length)
    return {"name": name, "tokens_per_s": tps, "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}


def table_rows(d: dict) -> list[dict]:
    """The table rows of one run's figures: tokens/s and peak memory per configuration."""
    peer, out = f"TRL {d['trl']} SFTTrainer", []
    for k, label in SETTINGS.items():
        ours, trl = d["runs"][f"ours-{k}"], d["runs"][f"trl-{k}"]
        what = f"LoRA on {d['model']}, {label}"
        out.append(
            record.row(
                f"tokens_{k}",
                f"{what}, tokens/s",
                "tokens/s",
                round(ours["tokens_per_s"], 1),
                round(trl["tokens_per_s"], 1),
                peer,
                better=record.HIGHER,
                ratio=d["speedup"][k],
            )
        )
        out.append(
            record.row(
                f"memory_{k}",
                f"{what}, peak RSS",
                "GB",
                round(ours["peak_rss_gb"], 2),
                round(trl["peak_rss_gb"], 2),
                peer,
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--pairs", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.steps, a.pairs, a.batch, a.max_length)))
        return
    import torch
    import trl

    started = record.begin()
    results = {}
    for name, _, _ in RUNS:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                name,
                "--steps",
                str(a.steps),
                "--pairs",
                str(a.pairs),
                "--batch",
                str(a.batch),
                "--max-length",
                str(a.max_length),
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        if proc.returncode:
            sys.exit(f"{name} failed:\n{proc.stderr[-3000:]}")
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{name:<14} {results[name]['tokens_per_s']:8.1f} tokens/s   peak RSS {results[name]['peak_rss_gb']:.2f} GB",
            flush=True,
        )
    ratios = {
        k: results[f"ours-{k}"]["tokens_per_s"] / results[f"trl-{k}"]["tokens_per_s"]
        for k in ("fp32", "bf16", "defaults")
    }
    for k, r in ratios.items():
        mem = results[f"ours-{k}"]["peak_rss_gb"] / results[f"trl-{k}"]["peak_rss_gb"]
        print(f"{k:<9} ours/TRL tokens/s {r:.2f}x   peak RSS {mem:.2f}x")
    out = {
        "torch": torch.__version__,
        "trl": trl.__version__,
        "model": "default (SmolLM2-135M-Instruct)",
        "pairs": a.pairs,
        "steps": a.steps,
        "batch": a.batch,
        "max_length": a.max_length,
        "lora": {"r": 16, "alpha": 32, "targets": TARGETS},
        "runs": results,
        "speedup": ratios,
    }
    path = record.append(
        REPO / "benchmarks/results/lora.json",
        started,
        title=TITLE,
        rows=table_rows(out),
        details=out,
        command=record.command_line(),
    )
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
