"""The run's record, written by rank 0: a row per logged step in out/train_log.jsonl (tail -f, plots) and in the
results store's train_metrics table (the app's charts), under one run id that survives `--resume`."""

from __future__ import annotations

import json
from pathlib import Path

from finetune.checkpoint import checkpoints_dir, write_errors
from finetune.config import TrainConfig
from workbench.atomic import atomic_write


class RunLog:
    """Rank 0's log (`RunLog.open`); on the other ranks every call does nothing (no store, no file)."""

    def __init__(self, store, run_id: str | None, file, ckpt_root: Path | None, steps_per_epoch: int):
        self.store, self.run_id, self.file = store, run_id, file
        self.ckpt_root, self.steps_per_epoch = ckpt_root, steps_per_epoch

    @classmethod
    def open(cls, cfg: TrainConfig, spec, state: dict, steps_per_epoch: int, rank: int = 0) -> RunLog:
        """Start a run in the store, or (resuming the run of `state` at its step) drop the rows logged after the
        checkpoint: the resumed run logs those steps again. Ranks other than 0 get a log that writes nothing."""
        from workbench.models import model_fingerprint
        from workbench.store import open_store

        run_id, step, out = state["run_id"], state["step"], Path(cfg.out)
        if rank != 0:
            return cls(None, run_id, None, None, steps_per_epoch)
        out.mkdir(parents=True, exist_ok=True)
        store = open_store(cfg.store)
        if run_id is None:
            fingerprint = model_fingerprint(spec)
            run_id = store.start_run(
                "finetune", cfg.name or out.name, model=spec.text, fingerprint=fingerprint, config=cfg.to_dict()
            )
        else:
            store.resume_run(run_id)  # "running" again (it may be "interrupted"), owned by this process
            _truncate(store, run_id, out / "train_log.jsonl", step)
        file = open(out / "train_log.jsonl", "a", encoding="utf-8")  # noqa: SIM115 (closed by `finish`)
        return cls(store, run_id, file, checkpoints_dir(cfg), steps_per_epoch)

    def record(self, split: str, step: int, loss: float, lr: float | None = None, tokens_per_s: float | None = None):
        """One row: `split` is "train" (mean loss since the last row) or "eval" (held-out loss)."""
        if self.store is None:
            return
        row = {
            "step": step,
            "split": split,
            "loss": loss,
            "lr": lr,
            "tokens_per_s": tokens_per_s,
            "epoch": round(step / self.steps_per_epoch, 4),
        }
        with write_errors(f"the training log {self.file.name}", self.ckpt_root):
            self.file.write(json.dumps(row) + "\n")
            self.file.flush()
        self.store.insert(_schema().train_metrics, [{"run_id": self.run_id, **row}])

    def finish(self, summary: dict) -> None:
        """Mark the run done in the store with its summary, and close the log."""
        if self.store is None:
            return
        self.store.finish_run(self.run_id, status="done", summary=summary)
        self.file.close()
        self.store.dispose()


def _truncate(store, run_id: str, log_path: Path, step: int) -> None:
    """Keep the store's and the JSONL log's rows up to `step`."""
    import sqlalchemy as sa

    tm = _schema().train_metrics
    with store.begin() as conn:
        conn.execute(sa.delete(tm).where(tm.c.run_id == run_id, tm.c.step > step))
    if log_path.exists():
        keep = [ln for ln in log_path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] <= step]
        atomic_write(log_path, "".join(ln + "\n" for ln in keep))


def _schema():
    from workbench.store import schema  # SQLAlchemy loads only when a run logs

    return schema
