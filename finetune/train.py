"""The training loop, plain PyTorch, read top to bottom: setup → data → model → optimizer → resume → loop → save.

Works unchanged under `torchrun` / `accelerate launch` (DDP: each rank takes every world-th batch of the same plan).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

from finetune.config import TrainConfig
from finetune.data import IGNORE
from workbench.errors import GATE_FAILED, UserError

# LoRA on every linear layer of the transformer blocks: QLoRA (Dettmers et al. 2023, §4) finds this is needed to
# match full fine-tuning, and on the Enlighten demo it gave acc_norm 0.4796 vs 0.4312 for q/k/v/o alone (same lr,
# 1 epoch; docs/readme/finetune.md). Unknown architectures get every linear layer (peft's "all-linear").
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


class TrainingDiverged(UserError):
    """The loss became NaN or infinite."""


# -- small pure helpers ---------------------------------------------------------------------------------------------
def lr_at(step: int, total: int, warmup: int, base: float, kind: str) -> float:
    """Learning rate for optimizer step `step` (0-based): linear warmup, then cosine/linear decay to 0 or constant."""
    if warmup and step < warmup:
        return base * (step + 1) / warmup
    if kind == "constant":
        return base
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.5 * (1 + math.cos(math.pi * progress)) if kind == "cosine" else 1 - progress)


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


# PyTorch's CPU flash-attention kernel (forward + backward, bf16) loses to the plain math kernel on short sequences
# and wins on long ones; measured crossover between 160 and 192 tokens (benchmarks/bench_sdpa.py). Short chunks are
# the common case in SFT data (Enlighten: median 54 tokens), so those take the math kernel.
MATH_ATTENTION_MAX = 160


def attention_kernel(device, width: int):
    """The scaled-dot-product-attention backend for a forward pass over `width` tokens (a context manager)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    if device.type == "cpu" and width <= MATH_ATTENTION_MAX:
        return sdpa_kernel(SDPBackend.MATH)
    return contextlib.nullcontext()


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


def audit_gate(cfg: TrainConfig) -> dict:
    """curate's audit on the training data; refuse (exit 3) when a configured gate fails."""
    from curate.gates import check
    from curate.pipeline import audit

    failed, report = [], {}
    for test in cfg.audit_test or [None]:  # curate audits against one test set at a time
        report = audit(cfg.data, fields=cfg.fields, test=test)
        failed += [f for f in check(report, cfg.audit_gates) if f not in failed]
    if failed:
        raise UserError(
            "the training data failed the audit gate: " + "; ".join(failed) + " — refusing to train",
            code=GATE_FAILED,
            hint="fix the data (curate clean), change `audit_gates`, or pass --no-audit to train anyway",
        )
    return report


class CausalLMLoss:
    """Builds a module whose forward returns (sum of answer-token losses, their count) for one batch.

    The LM head runs only on positions that have a label: with answer-only loss most positions don't, and the head
    (vocab x hidden) is the largest single matmul in a small model.
    """

    @staticmethod
    def build(lm):
        import torch
        import torch.nn.functional as F

        class _Loss(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lm = lm
                base = lm.get_base_model() if hasattr(lm, "get_base_model") else lm
                # Models that post-process logits (softcapping) take the plain path: full logits from the model.
                self.fast = hasattr(base, "get_decoder") and not getattr(base.config, "final_logit_softcapping", None)
                self.decoder = base.get_decoder() if self.fast else None
                self.head = base.get_output_embeddings() if self.fast else None

            def forward(self, ids, mask, labels):
                target = labels[:, 1:]  # position t predicts token t+1: (B, T-1)
                keep = target != IGNORE
                with attention_kernel(ids.device, ids.shape[1]):
                    if self.fast:
                        h = self.decoder(input_ids=ids, attention_mask=mask).last_hidden_state[:, :-1]  # (B, T-1, H)
                        logits = self.head(h[keep])  # (N, V), N = answer tokens in the batch
                    else:
                        logits = self.lm(input_ids=ids, attention_mask=mask).logits[:, :-1][keep]
                loss = F.cross_entropy(logits.float(), target[keep], reduction="sum")
                return loss, keep.sum()

        return _Loss()


# -- the loop -------------------------------------------------------------------------------------------------------
def train(cfg: TrainConfig, *, notify=None) -> dict:
    """Train per `cfg`; returns the summary (also written to out/train_summary.json). `notify(str)` gets status lines."""
    import torch
    import torch.distributed as dist

    from finetune import data as D
    from workbench.models import load_hf, parse_spec

    say = notify or (lambda _msg: None)

    # ---- setup: ranks, seed, device, precision ----
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(cfg.seed)
    use_bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and bf16_supported(device))
    out = Path(cfg.out)
    ckpt_root = out / "checkpoints"

    if cfg.audit and not cfg.resume:
        audit_gate(cfg)

    # ---- data: rows → (prompt, answer) → token ids with answer-only labels ----
    spec = parse_spec(cfg.model)
    # LoRA's frozen base can live in bf16 (the adapters stay fp32); full training keeps fp32 master weights (AMP).
    load_dtype = torch.bfloat16 if use_bf16 and cfg.method == "lora" else torch.float32
    lm, tok = load_hf(spec, dtype=load_dtype, device=str(device))
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    kw = dict(template=cfg.template, max_length=cfg.max_length, train_on_prompt=cfg.train_on_prompt)
    examples = D.tokenize_pairs(D.read_pairs(cfg.data, cfg.fields), tok, **kw)
    if cfg.eval_data:
        train_ex, eval_ex = examples, D.tokenize_pairs(D.read_pairs(cfg.eval_data, cfg.fields), tok, **kw)
    else:
        train_ex, eval_ex = D.split_eval(examples, cfg.eval_split, cfg.seed)
    if cfg.packing:
        train_ex = D.pack(train_ex, cfg.max_length)
    D.check_batches(
        D.plan_batches(train_ex, cfg.batch_size, seed=cfg.seed, epoch=0, group_by_length=cfg.group_by_length),
        train_ex,
        tok,
    )
    micro_per_epoch = len(D.plan_batches(train_ex, cfg.batch_size, seed=cfg.seed, epoch=0)) // world
    if micro_per_epoch == 0:
        raise UserError(f"{len(train_ex)} training examples make no batch for {world} processes of {cfg.batch_size}")
    steps_per_epoch = max(1, micro_per_epoch // cfg.grad_accum)
    total_steps = cfg.max_steps or max(1, math.ceil(cfg.epochs * steps_per_epoch))
    warmup = int(cfg.warmup if cfg.warmup >= 1 else round(cfg.warmup * total_steps))

    # ---- model: LoRA adapters beside frozen weights, or every weight trainable ----
    lm.config.use_cache = False
    if cfg.method == "lora":
        from peft import LoraConfig, get_peft_model

        targets = resolve_targets(lm, cfg.target_modules)
        lm = get_peft_model(
            lm,
            LoraConfig(
                r=cfg.lora_r,
                lora_alpha=cfg.lora_alpha,
                lora_dropout=cfg.lora_dropout,
                target_modules=targets,
                task_type="CAUSAL_LM",
            ),
        )
    lm.train()
    params = [p for p in lm.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in params)
    loss_mod = CausalLMLoss.build(lm)
    fwd = torch.nn.parallel.DistributedDataParallel(loss_mod) if world > 1 else loss_mod

    # ---- optimizer; weight decay only on matrices (not norms/biases), as in nanoGPT ----
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    if cfg.optimizer == "adamw":
        opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.999), fused=device.type == "cuda")
    else:
        opt = torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9)

    # ---- resume: weights, optimizer, position in the data plan, RNG ----
    state = {"step": 0, "epoch": 0, "micro": 0, "run_id": None, "best_eval": None, "bad_evals": 0, "tokens": 0}
    last = latest_checkpoint(ckpt_root) if cfg.resume else None
    if cfg.resume and last is None:
        say(f"no checkpoint in {ckpt_root}: starting from step 0")
    if last is not None:
        state = _load_checkpoint(last, lm, opt, cfg)
        say(f"resumed from {last.name}: step {state['step']}, epoch {state['epoch']}, batch {state['micro']}")

    # ---- results store and JSONL log (rank 0) ----
    st, log = None, None
    if rank == 0:
        from workbench.models import model_fingerprint
        from workbench.store import open_store

        out.mkdir(parents=True, exist_ok=True)
        st = open_store(cfg.store)
        if state["run_id"] is None:
            state["run_id"] = st.start_run(
                "finetune",
                cfg.name or out.name,
                model=spec.text,
                fingerprint=model_fingerprint(spec),
                config=cfg.to_dict(),
            )
        else:  # drop metrics logged after the checkpoint: the resumed run logs those steps again
            _truncate_metrics(st, state["run_id"], out / "train_log.jsonl", state["step"])
        log = open(out / "train_log.jsonl", "a", encoding="utf-8")

    def record(split: str, step: int, loss: float, **extra) -> None:
        if rank != 0:
            return
        row = {
            "step": step,
            "split": split,
            "loss": loss,
            "lr": extra.get("lr"),
            "tokens_per_s": extra.get("tokens_per_s"),
            "epoch": round(step / steps_per_epoch, 4),
        }
        with _write_errors(f"the training log {log.name}", ckpt_root):
            log.write(json.dumps(row) + "\n")
            log.flush()
        st.insert(st_schema().train_metrics, [{"run_id": state["run_id"], **row}])

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16)

    def evaluate() -> float | None:
        if not eval_ex:
            return None
        loss_mod.eval()
        total, count = 0.0, 0
        order = sorted(range(len(eval_ex)), key=lambda i: len(eval_ex[i].input_ids))
        with torch.no_grad(), autocast():
            for s in range(0, len(order), cfg.batch_size):
                ids, mask, labels = D.collate([eval_ex[i] for i in order[s : s + cfg.batch_size]], tok.pad_token_id)
                loss, n = loss_mod(ids.to(device), mask.to(device), labels.to(device))
                total, count = total + loss.item(), count + int(n)
        loss_mod.train()
        return total / max(1, count)

    # ---- the loop: micro-batches accumulate into optimizer steps ----
    from tqdm.auto import tqdm

    bar = tqdm(
        total=total_steps,
        initial=state["step"],
        desc="train",
        unit="step",
        file=sys.stderr,
        disable=not cfg.progress or rank != 0,
        dynamic_ncols=True,
    )
    best_weights, stopped_early, seen = None, False, []
    window = {"loss": 0.0, "n": 0, "tokens": 0, "t0": time.perf_counter()}
    step, epoch, micro = state["step"], state["epoch"], state["micro"]
    while step < total_steps and not stopped_early:
        plan = D.plan_batches(train_ex, cfg.batch_size, seed=cfg.seed, epoch=epoch, group_by_length=cfg.group_by_length)
        mine = plan[rank : micro_per_epoch * world : world]  # this rank's share: every world-th batch
        usable = len(mine) // cfg.grad_accum * cfg.grad_accum  # a partial accumulation at the epoch end is skipped
        while micro < usable and step < total_steps:
            group = mine[micro : micro + cfg.grad_accum]
            if world > 1:
                seen.extend(train_ex[i].index for b in group for i in b)
            # Each batch as unpadded length-sorted chunks: the same gradient as the padded batch, less work.
            chunks = [c for b in group for c in D.unpadded_chunks(b, train_ex, cfg.max_padding)]
            batches = [D.collate([train_ex[i] for i in c], tok.pad_token_id) for c in chunks]
            n_answer = sum(int((lb[:, 1:] != IGNORE).sum()) for _, _, lb in batches)
            lr = lr_at(step, total_steps, warmup, cfg.lr, cfg.scheduler)
            for g in opt.param_groups:
                g["lr"] = lr
            step_loss = 0.0
            for k, (ids, mask, labels) in enumerate(batches):
                # The step's loss is the mean over all its answer tokens, whatever micro-batch they sit in.
                sync = k == len(batches) - 1 or world == 1
                ctx = fwd.no_sync() if not sync and world > 1 else contextlib.nullcontext()
                with ctx, autocast():
                    loss_sum, _ = fwd(ids.to(device), mask.to(device), labels.to(device))
                loss = loss_sum / max(1, n_answer)
                if not torch.isfinite(loss):
                    raise TrainingDiverged(
                        f"loss is {loss.item()} at step {step + 1} (lr {lr:.3g}): training diverged and stopped",
                        hint="lower lr, use warmup, or precision: fp32; the last checkpoint in "
                        f"{ckpt_root} is still valid (--resume)",
                    )
                loss.backward()
                step_loss += loss.item()
                window["tokens"] += int(mask.sum())
            if cfg.max_grad_norm:
                torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            opt.step()
            opt.zero_grad(set_to_none=True)
            step, micro = step + 1, micro + len(group)
            window["loss"] += step_loss
            window["n"] += 1
            bar.update(1)

            if step % cfg.log_every == 0 or step == total_steps:
                dt = time.perf_counter() - window["t0"]
                tps = window["tokens"] * world / max(dt, 1e-9)
                record("train", step, window["loss"] / window["n"], lr=lr, tokens_per_s=tps)
                bar.set_postfix(loss=f"{window['loss'] / window['n']:.4f}", tok_s=f"{tps:.0f}")
                window = {"loss": 0.0, "n": 0, "tokens": 0, "t0": time.perf_counter()}
            if eval_ex and (step % cfg.eval_every == 0 or step == total_steps):
                ev = evaluate()
                record("eval", step, ev)
                if state["best_eval"] is None or ev < state["best_eval"]:
                    state["best_eval"], state["bad_evals"] = ev, 0
                    if cfg.early_stopping:
                        best_weights = {n: p.detach().clone() for n, p in lm.named_parameters() if p.requires_grad}
                else:
                    state["bad_evals"] += 1
                    if cfg.early_stopping and state["bad_evals"] >= cfg.early_stopping:
                        say(f"early stopping at step {step}: eval loss has not improved for {cfg.early_stopping} evals")
                        stopped_early = True
                        break
            if step % cfg.save_every == 0 and step < total_steps and rank == 0:
                state.update(step=step, epoch=epoch, micro=micro)
                save_checkpoint(ckpt_root, lm, opt, state, cfg)
        if micro >= usable:
            epoch, micro = epoch + 1, 0
    bar.close()

    # ---- save: the adapter (LoRA) or the whole model (full), atomically into out/ ----
    if best_weights is not None:
        lm.load_state_dict(best_weights, strict=False)
    digest = _weights_digest(lm)
    summary = {
        "run_id": state["run_id"],
        "steps": step,
        "epochs": round(step / steps_per_epoch, 3),
        "method": cfg.method,
        "trainable_params": n_trainable,
        "train_examples": len(train_ex),
        "eval_examples": len(eval_ex),
        "precision": "bf16" if use_bf16 else "fp32",
        "eval_loss": evaluate() if eval_ex else None,
        "best_eval_loss": state["best_eval"],
        "early_stopped": stopped_early,
        "out": str(out),
        "world_size": world,
        "rank": rank,
        "weights_digest": digest,
    }
    if world > 1:  # what each rank trained on and ended with (the DDP test compares them)
        _atomic_json(out / f"rank-{rank}.json", {"rank": rank, "weights_digest": digest, "examples": seen[:4096]})
    if rank == 0:
        with _write_errors(f"the trained model to {out}", ckpt_root):
            save_final(lm, tok, out, cfg, spec)
            _atomic_json(out / "train_summary.json", summary)
        st.finish_run(state["run_id"], status="done", summary=summary)
        log.close()
        st.dispose()
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return summary


# -- checkpoints ----------------------------------------------------------------------------------------------------
def save_checkpoint(root: Path, lm, opt, state: dict, cfg: TrainConfig) -> Path:
    """Write step-N into a temp dir, then rename: a crash or a full disk mid-write leaves the previous one intact."""
    import torch
    from safetensors.torch import save_file

    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{state['step']:08d}"
    tmp = root / f".tmp-step-{state['step']:08d}"
    shutil.rmtree(tmp, ignore_errors=True)
    weights = {n: p.detach().contiguous().cpu() for n, p in lm.named_parameters() if p.requires_grad}
    extra = {"optimizer": opt.state_dict(), "rng": torch.get_rng_state()}
    # The tensors alone are a lower bound of the checkpoint's size: refuse before writing when they can't fit.
    need = sum(t.numel() * t.element_size() for t in [*weights.values(), *_tensors(extra)])
    with _write_errors(f"checkpoint {final.name}", root, cleanup=tmp):
        if need > shutil.disk_usage(root).free:
            raise OSError(errno.ENOSPC, f"No space left on device: it needs at least {need / 1e6:.1f} MB")
        tmp.mkdir()
        save_file(weights, str(tmp / "trainable.safetensors"))
        torch.save(extra, tmp / "optimizer.pt")
        (tmp / "state.json").write_text(json.dumps({**state, "config": cfg.to_dict()}, indent=1))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    for old in sorted(root.glob("step-*"))[: -cfg.keep_checkpoints]:
        shutil.rmtree(old, ignore_errors=True)
    return final


@contextlib.contextmanager
def _write_errors(what: str, ckpt_root: Path, cleanup: Path | None = None):
    """A failed write (full disk, permissions) becomes a message with the space left and the checkpoint to resume
    from; `cleanup` (a partial write) is removed. safetensors and torch.save report a full disk as their own errors
    (SafetensorError, RuntimeError "unexpected pos"), not OSError, so those are caught too."""
    from safetensors import SafetensorError

    try:
        yield
    except (OSError, RuntimeError, SafetensorError) as e:
        disk = next(p for p in (ckpt_root, *ckpt_root.parents) if p.exists())
        free = shutil.disk_usage(disk).free  # before the cleanup frees the partial write again
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
        prev = latest_checkpoint(ckpt_root)
        raise UserError(
            f"could not write {what} ({free / 1e6:.1f} MB left on {disk}): {e}",
            hint="free disk space and rerun with --resume; the last checkpoint "
            f"{prev.name + ' is intact' if prev else '(none yet) would start over'}",
        ) from e


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


def latest_checkpoint(root: Path) -> Path | None:
    """The newest complete checkpoint (temp dirs from an interrupted write are ignored)."""
    done = sorted(p for p in root.glob("step-*") if (p / "state.json").exists()) if root.exists() else []
    return done[-1] if done else None


# Keys that change what a step means: resuming with a different value would not continue the same run.
_RESUME_KEYS = (
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


def _load_checkpoint(path: Path, lm, opt, cfg: TrainConfig) -> dict:
    import torch
    from safetensors.torch import load_file

    state = json.loads((path / "state.json").read_text())
    saved = state.pop("config")
    changed = [k for k in _RESUME_KEYS if saved.get(k) != getattr(cfg, k)]
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


def _truncate_metrics(st, run_id: str, log_path: Path, step: int) -> None:
    import sqlalchemy as sa

    tm = st_schema().train_metrics
    with st.begin() as conn:
        conn.execute(sa.delete(tm).where(tm.c.run_id == run_id, tm.c.step > step))
    if log_path.exists():
        keep = [ln for ln in log_path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] <= step]
        tmp = log_path.with_suffix(".tmp")
        tmp.write_text("".join(ln + "\n" for ln in keep))
        os.replace(tmp, log_path)


def save_final(lm, tok, out: Path, cfg: TrainConfig, spec) -> None:
    """Adapter files (LoRA) or model + tokenizer (full) into out/, each file moved in with os.replace."""
    tmp = out / ".tmp-final"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if cfg.method == "lora":
        lm.save_pretrained(str(tmp))
        # Name the base by its spec (`default`, a path) so `finetune merge OUT` and the spec `OUT` find it.
        ac = tmp / "adapter_config.json"
        conf = json.loads(ac.read_text())
        conf["base_model_name_or_path"] = spec.text if spec.kind == "default" else (spec.path or spec.text)
        ac.write_text(json.dumps(conf, indent=2))
    else:
        lm.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
    for f in tmp.iterdir():
        os.replace(f, out / f.name)
    tmp.rmdir()


# -- small plumbing -------------------------------------------------------------------------------------------------
def st_schema():
    from workbench.store import schema

    return schema


def _atomic_json(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)


def _weights_digest(lm) -> str:
    import hashlib

    h = hashlib.sha256()
    for n, p in sorted(lm.named_parameters()):
        if p.requires_grad:
            h.update(n.encode())
            h.update(p.detach().float().cpu().numpy().tobytes())
    return h.hexdigest()[:16]
