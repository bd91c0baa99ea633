"""The training loop, plain PyTorch, read top to bottom: setup → data → model → optimizer → resume → loop → save.

Works unchanged under `torchrun` / `accelerate launch` (DDP: each rank takes every world-th batch of the same plan).
Each part is a small module beside this one: config (the keys), data (examples, batches), model (base + LoRA), optim
(steps, schedule, optimizer), loss (the objective, eval loss), early_stopping, log (JSONL + results store),
checkpoint (save, resume), save (the adapter or model), distributed (ranks).
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune import data as D
from finetune.checkpoint import checkpoints_dir, resume, save_checkpoint, write_errors
from finetune.config import TrainConfig, check_out, check_ranges
from finetune.distributed import Ranks
from finetune.early_stopping import EarlyStopping
from finetune.gate import audit_gate
from finetune.log import RunLog
from finetune.loss import CausalLMLoss, autocast, eval_loss
from finetune.model import bf16_supported, load_base, make_trainable
from finetune.optim import Steps, count_steps, lr_at, make_optimizer
from finetune.save import save_final, weights_digest
from workbench.atomic import write_json
from workbench.errors import UserError
from workbench.models import parse_spec


class TrainingDiverged(UserError):
    """The loss became NaN or infinite."""


@dataclass(frozen=True)
class _Run:
    """What the loop's helpers work with, set up once by `train`."""

    cfg: TrainConfig
    ranks: Ranks
    bf16: bool  # autocast to bf16 (the master weights and the loss stay fp32)
    spec: Any  # the model spec (workbench.models.parse_spec), recorded with the adapter
    lm: Any  # the model being trained (a peft model under LoRA)
    tok: Any
    loss: Any  # CausalLMLoss over `lm`: evaluation calls it directly
    fwd: Any  # the same module, DDP-wrapped under several ranks: training calls this one
    params: list  # the trainable parameters
    train_ex: list
    eval_ex: list
    steps: Steps


def train(cfg: TrainConfig, *, notify=None) -> dict:
    """Train per `cfg`; returns the summary (also written to out/train_summary.json). `notify(str)` gets status lines."""
    import torch

    say = notify or (lambda _msg: None)
    check_ranges(cfg)  # load_config did these two, naming file:line; a TrainConfig built in code is checked here
    check_out(cfg)

    # ---- setup: ranks, seed, precision. The seed comes first: LoRA's init and dropout draw from it ----
    ranks = Ranks.start()
    torch.manual_seed(cfg.seed)
    bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and bf16_supported(ranks.device))
    if cfg.audit and not cfg.resume:
        audit_gate(cfg)

    # ---- data: rows → (prompt, answer) → token ids with answer-only labels; the run's length in steps ----
    spec = parse_spec(cfg.model)
    data = D.read_data(cfg)  # a bad file or field is a message before the model loads
    lm, tok = load_base(spec, cfg, ranks.device, bf16)
    train_ex, eval_ex = D.load_examples(cfg, tok, data)
    steps = count_steps(len(train_ex), ranks.world, cfg)

    # ---- model, loss and optimizer: LoRA adapters beside frozen weights, or every weight trainable ----
    lm = make_trainable(lm, cfg)
    params = [p for p in lm.parameters() if p.requires_grad]
    loss = CausalLMLoss.build(lm)
    run = _Run(cfg, ranks, bf16, spec, lm, tok, loss, ranks.wrap(loss), params, train_ex, eval_ex, steps)
    opt = make_optimizer(params, cfg, ranks.device)

    # ---- resume: weights, optimizer, position in the data plan, RNG; the run's log (rank 0) ----
    state = resume(lm, opt, cfg, say)
    log = RunLog.open(cfg, spec, state, steps.per_epoch, rank=ranks.rank)  # a new run in the store, or the resumed one
    state["run_id"] = log.run_id
    stopper = EarlyStopping(cfg.early_stopping, best=state["best_eval"], bad=state["bad_evals"])

    # ---- the loop: epochs of planned batches; grad_accum batches make one optimizer step ----
    bar, window, seen = _progress_bar(cfg, steps.total, state["step"], ranks.rank), _Window(), []
    step, epoch, micro, stopped_early = state["step"], state["epoch"], state["micro"], False
    while step < steps.total and not stopped_early:
        plan = D.plan_batches(train_ex, cfg.batch_size, seed=cfg.seed, epoch=epoch, group_by_length=cfg.group_by_length)
        mine = plan[ranks.rank : steps.micro_per_epoch * ranks.world : ranks.world]  # every world-th batch
        usable = len(mine) // cfg.grad_accum * cfg.grad_accum  # a partial accumulation at the epoch end is skipped
        while micro < usable and step < steps.total:
            group = mine[micro : micro + cfg.grad_accum]  # grad_accum batches, each a list of example positions
            if ranks.world > 1:
                seen.extend(train_ex[i].index for b in group for i in b)
            batches, n_answer = D.step_batches(group, train_ex, cfg.max_padding, tok.pad_token_id)
            lr = lr_at(step, steps.total, steps.warmup, cfg.lr, cfg.scheduler)
            for g in opt.param_groups:
                g["lr"] = lr
            step_loss, tokens = _forward_backward(run, batches, n_answer, step, lr)
            if cfg.max_grad_norm:
                torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            opt.step()
            opt.zero_grad(set_to_none=True)
            step, micro = step + 1, micro + len(group)
            window.add(step_loss, tokens)
            bar.update(1)

            if step % cfg.log_every == 0 or step == steps.total:  # mean train loss and tokens/s since the last row
                mean, tps = window.rates(ranks.world)
                log.record("train", step, mean, lr=lr, tokens_per_s=tps)
                bar.set_postfix(loss=f"{mean:.4f}", tok_s=f"{tps:.0f}")
                window = _Window()
            if eval_ex and (step % cfg.eval_every == 0 or step == steps.total):
                ev = _evaluate(run)
                log.record("eval", step, ev)
                if stopper.update(ev, lm):
                    say(f"early stopping at step {step}: eval loss has not improved for {cfg.early_stopping} evals")
                    stopped_early = True
                    break
            if step % cfg.save_every == 0 and step < steps.total and ranks.rank == 0:
                state.update(step=step, epoch=epoch, micro=micro, best_eval=stopper.best, bad_evals=stopper.bad)
                save_checkpoint(lm, opt, state, cfg)
        if micro >= usable:
            epoch, micro = epoch + 1, 0
    bar.close()

    # ---- save: the best weights (early stopping), then the adapter (LoRA) or the whole model (full) into out/ ----
    stopper.restore_best(lm)
    summary = _summary(run, state["run_id"], step, stopper, stopped_early)
    _save(run, summary, seen, log)
    return summary


def _forward_backward(run: _Run, batches: list, n_answer: int, step: int, lr: float) -> tuple[float, int]:
    """Forward and backward over optimizer step `step`'s micro-batches; returns (the step's loss, tokens seen).
    A NaN or infinite loss stops the run (TrainingDiverged)."""
    import torch

    device, world = run.ranks.device, run.ranks.world
    step_loss, tokens = 0.0, 0
    for k, (ids, mask, labels) in enumerate(batches):
        # Under DDP only the step's last backward all-reduces the gradients; the others accumulate locally.
        sync = k == len(batches) - 1 or world == 1
        ctx = run.fwd.no_sync() if not sync and world > 1 else contextlib.nullcontext()
        with ctx, autocast(device, run.bf16):
            loss_sum, _ = run.fwd(ids.to(device), mask.to(device), labels.to(device))
        # The step's loss is the mean over all its answer tokens, whatever micro-batch they sit in.
        loss = loss_sum / max(1, n_answer)
        if not torch.isfinite(loss):
            raise TrainingDiverged(
                f"loss is {loss.item()} at step {step + 1} (lr {lr:.3g}): training diverged and stopped",
                hint="lower lr, use warmup, or precision: fp32; the last checkpoint in "
                f"{checkpoints_dir(run.cfg)} is still valid (--resume)",
            )
        loss.backward()
        step_loss += loss.item()
        tokens += int(mask.sum())
    return step_loss, tokens


def _evaluate(run: _Run) -> float:
    """The mean answer-token loss on the held-out examples."""
    return eval_loss(run.loss, run.eval_ex, run.cfg.batch_size, run.tok.pad_token_id, run.ranks.device, run.bf16)


def _summary(run: _Run, run_id: str | None, step: int, stopper: EarlyStopping, stopped_early: bool) -> dict:
    """What the run did and ended with (train_summary.json, the store's run row, the CLI's report)."""
    digest = weights_digest(run.lm)  # before the final eval, as it always was: eval changes no weight
    return {
        "run_id": run_id,
        "steps": step,
        "epochs": round(step / run.steps.per_epoch, 3),
        "method": run.cfg.method,
        "trainable_params": sum(p.numel() for p in run.params),
        "train_examples": len(run.train_ex),
        "eval_examples": len(run.eval_ex),
        "precision": "bf16" if run.bf16 else "fp32",
        "eval_loss": _evaluate(run) if run.eval_ex else None,
        "best_eval_loss": stopper.best,
        "early_stopped": stopped_early,
        "out": str(Path(run.cfg.out)),
        "world_size": run.ranks.world,
        "rank": run.ranks.rank,
        "weights_digest": digest,
    }


def _save(run: _Run, summary: dict, seen: list, log: RunLog) -> None:
    """Rank 0 writes the adapter or model and the summary into out/ and closes the run; under DDP each rank also
    writes what it trained on and ended with (rank-N.json: the DDP test compares them), then leaves the group."""
    out = Path(run.cfg.out)
    if run.ranks.world > 1:
        rank = run.ranks.rank
        write_json(
            out / f"rank-{rank}.json",
            {"rank": rank, "weights_digest": summary["weights_digest"], "examples": seen[:4096]},
            indent=1,
        )
    if run.ranks.rank == 0:
        with write_errors(f"the trained model to {out}", checkpoints_dir(run.cfg)):
            save_final(run.lm, run.tok, out, run.cfg, run.spec)
            write_json(out / "train_summary.json", summary, indent=1)
    log.finish(summary)
    run.ranks.finish()


class _Window:
    """The train loss and real (unpadded) tokens of the steps since the last logged row, and when they began."""

    def __init__(self):
        self.loss, self.n, self.tokens, self.t0 = 0.0, 0, 0, time.perf_counter()

    def add(self, step_loss: float, tokens: int) -> None:
        self.loss, self.n, self.tokens = self.loss + step_loss, self.n + 1, self.tokens + tokens

    def rates(self, world: int) -> tuple[float, float]:
        """(mean step loss, tokens/s over all ranks)."""
        dt = time.perf_counter() - self.t0
        return self.loss / self.n, self.tokens * world / max(dt, 1e-9)


def _progress_bar(cfg: TrainConfig, total: int, initial: int, rank: int):
    """A tqdm bar of optimizer steps on stderr (rank 0 only, and only with `progress`)."""
    from tqdm.auto import tqdm

    disable = not cfg.progress or rank != 0
    return tqdm(
        total=total, initial=initial, desc="train", unit="step", file=sys.stderr, disable=disable, dynamic_ncols=True
    )
