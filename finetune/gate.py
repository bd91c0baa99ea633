"""The audit gate: curate audits the training data first, and training is refused when a configured gate fails."""

from __future__ import annotations

from finetune.config import TrainConfig
from workbench.errors import GATE_FAILED, UserError


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
