"""The audit gate: curate audits the training data first, and training is refused when a configured gate fails.

The audit renders every record as training will (the model's tokenizer, `template`, `max_length`: curate.trainability,
the code `finetune.data` tokenizes with), so a record whose answer would be cut off entirely is refused here, before
the model loads, unless `audit_gates` sets its own `untrainable` threshold.
"""

from __future__ import annotations

from finetune.config import TrainConfig
from workbench.errors import GATE_FAILED, UserError

UNTRAINABLE_GATE = "untrainable>0"  # a record with no answer token left trains on nothing (TRL #1820, #980)


def gate_spec(cfg: TrainConfig) -> str:
    """`audit_gates` plus the trainability gate, unless the config already gates on `untrainable` itself."""
    spec = cfg.audit_gates or ""
    if "untrainable" in spec:
        return spec
    return f"{spec},{UNTRAINABLE_GATE}" if spec.strip() else UNTRAINABLE_GATE


def audit_gate(cfg: TrainConfig) -> dict:
    """curate's audit on the training data, with the trainability check; refuse (exit 3) when a gate fails."""
    from curate.gates import check
    from curate.pipeline import audit

    failed, report, spec = [], {}, gate_spec(cfg)
    settings = dict(fields=cfg.fields, model=cfg.model, max_length=cfg.max_length, template=cfg.template)
    for test in cfg.audit_test or [None]:  # curate audits against one test set at a time
        report = audit(cfg.data, test=test, **settings)
        failed += [f for f in check(report, spec) if f not in failed]
    if failed:
        flagged = report.get("trainability", {}).get("records_flagged", [])
        rows = [f["index"] for f in flagged if f["reason"] == "untrainable"][:10]
        where = f" (untrainable records, 0-based: {', '.join(map(str, rows))})" if rows else ""
        raise UserError(
            "the training data failed the audit gate: " + "; ".join(failed) + where + " — refusing to train",
            code=GATE_FAILED,
            hint="fix the data (curate clean), raise max_length, change `audit_gates`, or pass --no-audit to train "
            "anyway",
        )
    return report
