"""Training configuration: one flat dataclass, read from YAML, every key overridable on the command line."""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import UserError


@dataclass
class TrainConfig:
    # -- what to train ----------------------------------------------------------------------------------------
    model: str = "default"  # any local model spec (workbench.models.parse_spec)
    data: str = ""  # a file curate can read: JSONL/JSON/CSV/TSV/Parquet/save_to_disk dir
    fields: dict | None = None  # column overrides for curate.fields.detect_fields, e.g. {question: Q, answer: A}
    eval_data: str | None = None  # a separate held-out file; else `eval_split` of `data` is held out
    eval_split: float = 0.05  # share of examples held out for eval loss (0 turns eval off)
    template: str = "auto"  # auto (chat template if the model has one, else alpaca) | chat | alpaca | qa
    # | a custom string with {prompt}, e.g. "Q: {prompt}\nA:"
    train_on_prompt: bool = False  # False: loss only on answer tokens (the usual SFT choice)
    out: str = "out/finetune"  # adapter (LoRA) or model (full) directory; checkpoints in out/checkpoints
    name: str | None = None  # run name in the results store (default: out dir name)
    # -- method ---------------------------------------------------------------------------------------------
    method: str = "lora"  # lora | full
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: list | None = None  # None: per-architecture default (finetune.model.DEFAULT_TARGETS)
    # -- optimisation ---------------------------------------------------------------------------------------
    lr: float = 2e-4
    scheduler: str = "cosine"  # cosine | linear | constant
    warmup: float = 0.03  # < 1: share of total steps; >= 1: number of steps
    optimizer: str = "adamw"  # adamw | sgd
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0  # 0 turns clipping off
    epochs: float = 1.0
    max_steps: int | None = None  # optimizer steps; overrides epochs when set
    batch_size: int = 8
    grad_accum: int = 1
    max_length: int = 512
    packing: bool = False  # concatenate examples into max_length blocks (no padding at all)
    group_by_length: bool = True  # batches of similar length: little padding waste
    max_padding: float = 0.15  # a batch runs as length-sorted chunks padded at most this share (1: one
    # padded tensor per batch, better on GPUs)
    precision: str = "auto"  # auto (bf16 where the CPU/GPU supports it) | bf16 | fp32
    seed: int = 0
    # -- bookkeeping ----------------------------------------------------------------------------------------
    eval_every: int = 50  # optimizer steps between eval-loss measurements
    early_stopping: int | None = None  # stop after this many evals without improvement
    save_every: int = 100  # optimizer steps between checkpoints
    keep_checkpoints: int = 2
    log_every: int = 10
    store: str | None = None  # results store URL/path (default $WORKBENCH_STORE)
    resume: bool = False  # continue from the last checkpoint in out/checkpoints
    progress: bool = True
    # -- audit gate -----------------------------------------------------------------------------------------
    audit: bool = True  # run curate's audit first and refuse to train when a gate fails
    audit_gates: str = "dup_rate>0.05,pii_count>0,contaminated>0"
    audit_test: list | None = None  # suites/test files to check contamination against

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
CHOICES = {
    "method": ("lora", "full"),
    "scheduler": ("cosine", "linear", "constant"),
    "optimizer": ("adamw", "sgd"),
    "precision": ("auto", "bf16", "fp32"),
}


def _unknown(key: str, where: str) -> UserError:
    close = difflib.get_close_matches(key, FIELDS, n=1)
    hint = (f"did you mean {close[0]!r}? " if close else "") + "valid keys: " + ", ".join(FIELDS)
    return UserError(f"unknown config key {key!r} ({where})", hint=hint)


def coerce(key: str, value: Any, where: str | None = "command line") -> Any:
    """Turn a YAML value or a command-line string into the type the field declares; `where` (file:line, "command
    line") starts an error message when given."""
    if key not in FIELDS:
        raise _unknown(key, where or "command line")
    default = FIELDS[key].default
    kind = str(FIELDS[key].type)
    try:
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null") and "None" in kind):
            return None
        if kind.startswith("bool"):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError(value)
                return value.lower() in ("true", "1", "yes", "on")
            return bool(value)
        if kind.startswith(("int", "float")) and isinstance(value, bool):
            raise ValueError(value)
        if kind.startswith("int"):
            if isinstance(value, int):
                return value
            number = float(value)  # "1e3" and 8.0 are integers; 1.5, NaN and infinity are not
            if not number.is_integer():
                raise ValueError(value)
            return int(number)
        if kind.startswith("float"):
            return float(value)
        if kind.startswith("list"):
            return [s.strip() for s in value.split(",") if s.strip()] if isinstance(value, str) else list(value)
        if kind.startswith("dict"):
            if isinstance(value, str):
                import yaml

                value = yaml.safe_load(value)
            if not isinstance(value, dict):
                raise ValueError(value)
            return value
        value = str(value)
    except (TypeError, ValueError):
        raise UserError(f"{_at(key, where)}{value!r} is not a valid {kind}", hint=f"default is {default!r}") from None
    if key in CHOICES and value not in CHOICES[key]:
        raise UserError(f"{_at(key, where)}{value!r} is not one of {', '.join(CHOICES[key])}")
    return value


def _at(key: str, where: str | None) -> str:
    return f"config key {key!r} ({where}): " if where else ""


# Each numeric key's valid values (every int and float field has one; a test keeps it so): (test, as said to users).
# Keys that may be None (max_steps, early_stopping) are checked when set. NaN and infinity are refused everywhere.
def _at_least_1(v) -> bool:
    return v >= 1


RANGES: dict[str, tuple[Callable[[float], bool], str]] = {
    "lora_r": (_at_least_1, "at least 1"),
    "lora_alpha": (lambda v: v > 0, "> 0"),
    "lora_dropout": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "lr": (lambda v: v > 0, "> 0"),
    "warmup": (lambda v: v >= 0, ">= 0 (below 1 a share of the steps, from 1 a number of steps)"),
    "weight_decay": (lambda v: v >= 0, ">= 0"),
    "max_grad_norm": (lambda v: v >= 0, ">= 0 (0 turns clipping off)"),
    "epochs": (lambda v: v > 0, "> 0 (or set max_steps)"),
    "max_steps": (_at_least_1, "at least 1 (leave it unset to train `epochs`)"),
    "batch_size": (_at_least_1, "at least 1"),
    "grad_accum": (_at_least_1, "at least 1"),
    "max_length": (_at_least_1, "at least 1"),
    "max_padding": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "eval_split": (lambda v: 0 <= v < 1, "in [0, 1) (0 turns eval off)"),
    "seed": (lambda v: v >= 0, ">= 0"),
    "eval_every": (_at_least_1, "at least 1"),
    "early_stopping": (_at_least_1, "at least 1 eval (leave it unset to train to the end)"),
    "save_every": (_at_least_1, "at least 1"),
    "keep_checkpoints": (_at_least_1, "at least 1"),
    "log_every": (_at_least_1, "at least 1"),
}


def check_ranges(cfg: TrainConfig, where: dict[str, str] | None = None) -> None:
    """Refuse a numeric key outside its range, naming where it was set (file:line or command line); run before any
    model loads or record is read."""
    for key in RANGES:
        _check_range(key, getattr(cfg, key), (where or {}).get(key, "TrainConfig"))


def _check_range(key: str, value: Any, at: str | None) -> None:
    ok, said = RANGES[key]
    if value is None or (isinstance(value, (int, float)) and math.isfinite(value) and ok(value)):
        return
    raise UserError(
        f"{_at(key, at)}{value!r} is out of range: {key} must be {said}", hint=f"default is {FIELDS[key].default!r}"
    )


def check_value(key: str, value: Any, where: str | None = None) -> Any:
    """One key's value, coerced to its type and range-checked (`finetune train --lr` checks its text with this at
    parse time); `where` (file:line, "command line") starts the message when given."""
    value = coerce(key, value, where)
    if key in RANGES:
        _check_range(key, value, where)
    return value


def _read_yaml(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """A config file's keys, coerced, and where each was set (file:line); paths in it are relative to the file."""
    import yaml

    p = Path(path)
    if not p.exists():
        raise UserError(f"config file {path} does not exist")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        raise UserError(f"{path}{':' + str(line + 1) if line is not None else ''}: not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise UserError(f"{path}: a training config is a mapping of keys to values")
    lines = p.read_text(encoding="utf-8").splitlines()
    values: dict[str, Any] = {}
    where: dict[str, str] = {}
    for key, value in raw.items():
        lineno = next((i + 1 for i, ln in enumerate(lines) if ln.lstrip().startswith(f"{key}:")), None)
        where[key] = f"{path}:{lineno}" if lineno else str(path)
        values[key] = coerce(key, value, where[key])
        if (
            key in ("data", "eval_data", "out")
            and values[key]
            and not Path(values[key]).is_absolute()
            and (p.parent / values[key]).exists()
        ):
            values[key] = str(p.parent / values[key])
    return values, where


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """YAML file (optional) + overrides (later wins), every key and range checked; paths in the file are relative
    to the file."""
    values, where = _read_yaml(path) if path else ({}, {})
    for key, value in (overrides or {}).items():
        values[key] = coerce(key, value)
        where[key] = "command line"
    cfg = TrainConfig(**values)
    if not cfg.data:
        raise UserError("no training data: set `data:` in the config or pass --data FILE")
    check_ranges(cfg, where)
    check_out(cfg, where.get("out"))
    return cfg


def check_out(cfg: TrainConfig, at: str | None = None) -> None:
    """`out` can hold the run's files (adapter or model, checkpoints, log): not a file, in a folder this process can
    write; checked before the audit, the data or the model is read. `at` is where `out` was set (file:line)."""
    from workbench.atomic import check_output_dir

    check_output_dir(cfg.out, option="--out" if at in (None, "command line") else f"out ({at})")


def parse_set(items: list[str] | None) -> dict[str, str]:
    """`--set key=value` items into a dict (values are coerced by `load_config`)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"--set {item!r}: write KEY=VALUE", hint="valid keys: " + ", ".join(FIELDS))
        out[key.strip()] = value
    return out
