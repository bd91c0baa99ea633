"""The audit as a list of stages, run by an executor (curate.executor locally, curate.engine_ray on Ray), the way
datatrove runs a pipeline. In order:

    read → signals, pii (per record, inside the read loop) → exact → near → diversity → template → tokens
    → contamination → verdicts

Each stage is a small unit whose constructor keywords are its config (curate/stages/<name>.py, citing its source);
`AuditConfig` holds an audit's settings and `build_stages` turns them into the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from curate.dedup import NearSettings
from curate.signals import Signal, build_signals, default_signals, signal_config
from curate.stages.base import NONE, Batch, Collected, RecordStage, Run, Stage, record_text
from curate.stages.contamination import Contamination, contamination_text, load_test_items
from curate.stages.diversity import Diversity, Template
from curate.stages.exact import Exact
from curate.stages.near import Near
from curate.stages.pii import Pii
from curate.stages.read import CHUNK, Read, chunks
from curate.stages.semantic import Semantic
from curate.stages.signals import Signals
from curate.stages.tokens import Tokens
from curate.stages.trainable import Trainable
from curate.stages.verdicts import MESSAGES, REPORT_VERSION, Verdicts, fix_messages, verdicts
from workbench import tabular as io
from workbench.errors import UserError, user_error

__all__ = [
    "AuditConfig",
    "Batch",
    "CHUNK",
    "Collected",
    "Contamination",
    "Diversity",
    "Exact",
    "MESSAGES",
    "NONE",
    "Near",
    "Pii",
    "REPORT_VERSION",
    "Read",
    "RecordStage",
    "Run",
    "STAGES",
    "STAGE_TYPES",
    "Semantic",
    "Signals",
    "Stage",
    "Template",
    "Tokens",
    "Trainable",
    "Verdicts",
    "build_stages",
    "chunks",
    "contamination_text",
    "fix_messages",
    "load_test_items",
    "near_settings",
    "record_stages",
    "record_text",
    "semantic_settings",
    "stages_except",
    "verdicts",
]

# Stages by name: how a stage's config, `(name, stage.config())`, becomes the stage again (on a Ray worker).
STAGE_TYPES: dict[str, type[Stage]] = {
    cls.name: cls
    for cls in (
        Read,
        Signals,
        Pii,
        Exact,
        Near,
        Diversity,
        Template,
        Tokens,
        Trainable,
        Contamination,
        Semantic,
        Verdicts,
    )
}


@dataclass
class AuditConfig:
    """Every setting of an audit; stored in report.json so a report says how it was made."""

    fields: dict | None = None
    test: str | None = None
    model: str | None = None
    perplexity: bool = False
    max_length: int | None = None
    skip_bad: bool = False
    max_record_bytes: int = io.MAX_RECORD_BYTES
    signals: list | None = None  # YAML-style specs; None = default_signals()
    near: dict = field(default_factory=dict)  # curate.dedup.NearSettings overrides
    ngram: int = 13
    seed: int = 0
    diversity_sample: int = 20_000  # records the diversity embedding is fitted on (all when fewer)
    stages: tuple = ("signals", "pii", "exact", "near", "diversity", "tokens", "contamination")
    template: str | None = None  # finetune's `template` for the trainability check (None: auto); model + max_length
    semantic: dict | None = None  # the optional semantic stage's {model, threshold} (curate.semantic); None: off

    def __post_init__(self):
        self.near = dict(self.near or {})
        self.stages = STAGES if self.stages is None else tuple(self.stages)

    def as_dict(self) -> dict:
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in self.__dict__.items()
            if not (k in ("template", "semantic") and v is None)  # only audits that set it say so (older reports stay)
        }

    def validate(self) -> AuditConfig:
        """Check every setting before a record is read: numbers in range, the near-duplicate settings, the signal
        specs, the stage names and the test set's path; a bad one is a UserError naming it (exit 2)."""
        _whole_at_least("ngram", "--ngram", self.ngram, 1)
        _whole_at_least("diversity_sample", None, self.diversity_sample, 1)
        _whole_at_least("max_record_bytes", "--max-record-mb", self.max_record_bytes, 1)
        if self.max_length is not None:
            _whole_at_least("max_length", "--max-length", self.max_length, 1)
        if self.fields is not None and not isinstance(self.fields, dict):
            raise UserError(f"fields: expected a mapping of role to column, got {self.fields!r}")
        unknown = set(self.stages) - set(STAGES)
        if unknown:
            raise UserError(f"stages: unknown stage(s) {sorted(unknown)}", hint=f"stages: {', '.join(STAGES)}")
        near_settings(self.near, seed=self.seed)
        if self.signals is not None and not isinstance(self.signals, list):
            raise UserError(
                f"signals: expected a list of signal specs, got {type(self.signals).__name__}",
                hint="write e.g. `signals: [truncated, html_remnant]`",
            )
        self.signal_units()
        if self.semantic is not None:
            semantic_settings(self.semantic)
        if self.test and ("contamination" in self.stages or self.semantic is not None):
            from pathlib import Path

            if not Path(self.test).exists():
                raise UserError(
                    f"--test {self.test}: no such file", hint="pass a suite .yaml or a data file with questions"
                )
        return self

    def signal_units(self) -> list[Signal]:
        return default_signals() if self.signals is None else build_signals(self.signals)

    def report_config(self) -> dict:
        """The report's `config` section: these settings, every signal with its thresholds."""
        return {**self.as_dict(), "signals": signal_config(self.signal_units())}


STAGES: tuple = AuditConfig.stages  # the stages `--skip` can leave out, in the report's order


def _whole_at_least(name: str, flag: str | None, value, low: int) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= low:
        return
    label = f"{flag} ({name})" if flag else name
    raise UserError(f"{label}: {value!r} is not a whole number >= {low}", hint=f"pass a value of at least {low}")


def stages_except(skip) -> tuple:
    """STAGES without those named in `skip` (names; blanks ignored); an unknown name is the user's error."""
    skip = {x.strip() for x in skip if x.strip()}
    if skip - set(STAGES):
        raise UserError(f"--skip: unknown stage(s) {sorted(skip - set(STAGES))}", hint=f"stages: {', '.join(STAGES)}")
    return tuple(st for st in STAGES if st not in skip)


def near_settings(near: dict | None, **defaults) -> NearSettings:
    """NearSettings from a recipe's or the CLI's mapping; an unknown key is the user's error."""
    try:
        return NearSettings.from_dict(near, **defaults)
    except ValueError as e:
        raise user_error(e) from None


def semantic_settings(semantic: dict) -> dict:
    """The semantic stage's settings, checked before a record is read or a model loaded: a known key, a threshold in
    (0, 1], a model whose package is installed; else the user's error."""
    from curate.semantic import DEFAULT_MODEL, DEFAULT_THRESHOLD, check_model, check_threshold

    if not isinstance(semantic, dict) or set(semantic) - {"model", "threshold"}:
        raise UserError(f"semantic: expected {{model, threshold}}, got {semantic!r}", hint="e.g. {model: e5-small}")
    out = {"model": semantic.get("model") or DEFAULT_MODEL, "threshold": semantic.get("threshold", DEFAULT_THRESHOLD)}
    try:
        check_threshold(out["threshold"])
        check_model(out["model"])
    except ValueError as e:
        raise user_error(e) from None
    return out


def record_stages(cfg: AuditConfig, signals: list[Signal] | None = None) -> list[Stage]:
    """The read stage and the per-record stages `cfg` runs (the first pass of `curate.executor.collect`);
    `signals` (units) replace `cfg.signals`."""
    on = set(cfg.stages)
    stages: list[Stage] = [Read(fields=cfg.fields, skip_bad=cfg.skip_bad, max_record_bytes=cfg.max_record_bytes)]
    if "signals" in on:
        stages.append(Signals(cfg.signals if signals is None else signal_config(signals)))
    if "pii" in on:
        stages.append(Pii())
    return stages


def build_stages(cfg: AuditConfig, signals: list[Signal] | None = None) -> list[Stage]:
    """The audit's stage list for `cfg`, in order (a stage left out of `cfg.stages` is not in it)."""
    on = set(cfg.stages)
    near = near_settings(cfg.near, seed=cfg.seed)
    stages = record_stages(cfg, signals)
    if "exact" in on:
        stages.append(Exact())
    if "near" in on:
        stages.append(Near(**near.as_dict()))
    if "diversity" in on:
        stages.append(Diversity(sample=cfg.diversity_sample, seed=cfg.seed))
    stages.append(Template())
    if "tokens" in on or cfg.perplexity:
        stages.append(Tokens(cfg.model, cfg.max_length, perplexity=cfg.perplexity, counts="tokens" in on))
    if cfg.model and cfg.max_length:  # will every example train? (curate.trainability)
        stages.append(Trainable(cfg.model, cfg.max_length, cfg.template or "auto", cfg.max_record_bytes))
    if cfg.test and "contamination" in on:
        stages.append(Contamination(cfg.test, n=cfg.ngram, near_threshold=near.threshold, seed=cfg.seed))
    if cfg.semantic is not None:
        stages.append(Semantic(**semantic_settings(cfg.semantic), test=cfg.test, seed=cfg.seed))
    stages.append(Verdicts())
    return stages
