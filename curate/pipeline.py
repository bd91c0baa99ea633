"""`curate audit` from Python: `audit(path, ...)` builds the stage list for its settings (curate.stages) and runs it
on the local executor (curate.executor, streaming) or the Ray executor (curate.engine_ray); both give the same report.
"""

from __future__ import annotations

import os

from curate.executor import LocalExecutor, collect, run_audit
from curate.stages import (
    MESSAGES,
    REPORT_VERSION,
    STAGES,
    AuditConfig,
    Collected,
    fix_messages,
    load_test_items,
    stages_except,
    verdicts,
)
from workbench.errors import UserError

__all__ = [
    "MESSAGES",
    "REPORT_VERSION",
    "STAGES",
    "AuditConfig",
    "Collected",
    "audit",
    "collect",
    "fix_messages",
    "load_test_items",
    "stages_except",
    "verdicts",
]


def audit(
    path: str | os.PathLike,
    *,
    out: str | os.PathLike | None = None,
    store=None,
    progress: bool = False,
    engine: str = "local",
    address: str | None = None,
    **settings,
) -> dict:
    """Audit one dataset with `settings` (AuditConfig's fields, by keyword: fields, test, model, near, stages, ...);
    returns the report dict (the content of report.json). With `out`, writes report.json, records.parquet and
    report.html there (only once everything succeeded). With `store` (a Store or URL), records the run as kind
    "audit". `engine="ray"` runs reading, signals and near-duplicates on Ray Data (local Ray, or the cluster at
    `address`); `path` may then also be a folder or list of shards. Both engines give the same report."""
    if engine not in ("local", "ray"):
        raise UserError(f"unknown engine {engine!r}", hint="use --engine local or --engine ray")
    cfg = AuditConfig(**settings)
    if engine == "ray":
        from curate.engine_ray import RayExecutor

        executor = RayExecutor(address)
    else:
        executor = LocalExecutor()
    return run_audit(path, cfg, executor, out=out, store=store, progress=progress)
