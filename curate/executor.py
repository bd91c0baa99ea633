"""Executors run an audit's stage list (curate.stages) over one dataset, the way datatrove's executors run a
pipeline: the stages are the same whichever runs them; the local executor streams on this machine, the Ray executor
(curate.engine_ray) spreads reading, per-record stages and near-duplicates over a cluster.

Memory. Pass 1 streams the records once in chunks through every stage and keeps a few numbers per record (hashes for
exact duplicates, MinHash band keys, token counts, lengths, reason codes, ~300 bytes a record), never the texts; per
set: distinct n-gram hashes, answer openings, the test set's contamination hits, a few examples per reason. Later
passes re-read only what the set-level stages ask for: the shingles of LSH candidates, the diversity sample, the texts
shown as examples, and (for sets larger than the diversity sample) every record once more to place it on the map. So
memory grows with the number of records, not their length.

The plumbing lives here once: the passes, the progress bar, timings, the results-store record and the outputs.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from curate.signals import flag_rules
from curate.stages import CHUNK, AuditConfig, Batch, Collected, Read, RecordStage, Run, Stage, build_stages, chunks
from curate.stages import record_stages as _record_stages
from workbench.atomic import atomic_dir, check_output_dir
from workbench.errors import UserError

__all__ = ["Executor", "LocalExecutor", "collect", "progress_bar", "run_audit"]

OnChunk = Callable[[Collected, int, list, list], None]  # (col, start, prompts, answers) after each chunk of pass 1


def progress_bar(total: int | None, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=" rec",
        file=sys.stderr,
        disable=not enabled,
        leave=False,
        dynamic_ncols=True,
        mininterval=0.5,
    )


class Executor:
    """Runs a stage list: `begin`, pass 1 (`collect`, which each engine does its own way, feeding `add`), `plan`,
    pass 2 (`take`), `finish`, the texts still asked for, `report`. Subclasses give `collect` and may swap a stage
    for their own form of it (`prepare`) or write the outputs their way (`write`)."""

    name = "local"
    address: str | None = None

    def collect(
        self, path, stages: Sequence[Stage], *, progress: bool, on_chunk: OnChunk | None, keep_texts: bool
    ) -> Collected:  # pragma: no cover - interface
        raise NotImplementedError

    def prepare(self, stages: Sequence[Stage]) -> list[Stage]:
        return list(stages)

    def write(self, out, report: dict, table: dict, *, into=None) -> dict:
        """The report set for `out` (built in `into`, the run's temp folder, when given)."""
        from curate.report import write_outputs

        return write_outputs(out, report, table, into=into)

    def run(self, path, stages: Sequence[Stage], *, config: dict | None = None, progress: bool = False) -> Run:
        stages = self.prepare(stages)
        run = Run(path, config)
        for st in stages:
            _step(run, st, "begin", progress)

        def on_chunk(col: Collected, start: int, prompts: list, answers: list) -> None:
            batch = Batch(start, col.lines[start:], prompts, answers, col.reasons[start:], col.fmap.kind)
            for st in stages:
                st.add(batch)

        t = time.perf_counter()
        col = self.collect(path, stages, progress=progress, on_chunk=on_chunk, keep_texts=False)
        run.timings["read_signals"] = time.perf_counter() - t
        run.attach(col)
        wants = [w for st in stages if (w := _step(run, st, "plan", progress)) is not None]
        want = np.unique(np.concatenate([*wants, run.needed()]))
        t = time.perf_counter()
        if len(want):
            if progress:
                print(f"  second pass ({len(want):,} records) ...", file=sys.stderr, flush=True)
            for idx, prompts, answers in run.reread(want):
                for st in stages:
                    st.take(idx, prompts, answers)
        run.timings["second_pass"] = time.perf_counter() - t
        for st in stages:
            _step(run, st, "finish", progress)
        run.fetch()
        for st in stages:
            _step(run, st, "report", progress)
        return run


def _step(run: Run, stage: Stage, hook: str, progress: bool):
    """One hook of one stage, timed under the stage's name when the stage has one (and announced when it does
    set-level work)."""
    if getattr(type(stage), hook) is getattr(Stage, hook):
        return None
    if progress and (hook == "plan" or (hook == "finish" and type(stage).plan is Stage.plan)):
        print(f"  {stage.name} ...", file=sys.stderr, flush=True)  # once, when its set-level work starts
    t = time.perf_counter()
    out = getattr(stage, hook)(run)
    run.timings[stage.name] = run.timings.get(stage.name, 0.0) + time.perf_counter() - t
    return out


class LocalExecutor(Executor):
    """Streams the file on this machine: one process, chunks of `CHUNK` records."""

    def collect(
        self, path, stages: Sequence[Stage], *, progress: bool, on_chunk: OnChunk | None, keep_texts: bool
    ) -> Collected:
        """Pass 1: read the file once, fields detected on the first chunk, every record through the per-record stages;
        `on_chunk` sees each chunk's texts; `col.text_chunks` re-reads them from the file."""
        read = next(st for st in stages if isinstance(st, Read))
        units = [st for st in stages if isinstance(st, RecordStage)]
        stats: dict = {}
        col: Collected | None = None
        bar = progress_bar(None, "reading + signals", progress)
        try:
            for chunk in chunks(read.rows(path, stats), CHUNK):
                if col is None:
                    col = Collected(
                        read.detect(chunk, path), stats.get("format"), read_stats=stats, keep_texts=keep_texts
                    )
                start = len(col.lines)
                prompts, answers = read.map_chunk(chunk, col, units, path)
                if on_chunk is not None:
                    on_chunk(col, start, prompts, answers)
                bar.update(len(chunk))
        finally:
            bar.close()
        if col is None or not col.lines:
            raise UserError(f"{path}: no records", hint="the file has no data rows")
        fmap = col.fmap
        col.text_chunks = lambda want=None: read.text_chunks(path, fmap, want=want)
        return col


def collect(
    path: str | os.PathLike,
    cfg: AuditConfig,
    *,
    signals: list | None = None,
    progress: bool = True,
    on_chunk: OnChunk | None = None,
    keep_texts: bool = True,
) -> Collected:
    """The local first pass alone: read `path`, run `cfg`'s per-record stages (signals as `signals` units, else
    `cfg.signals`); with `keep_texts=False` the texts are not kept and `col.text_chunks` re-reads them."""
    stages = _record_stages(cfg, signals)
    return LocalExecutor().collect(path, stages, progress=progress, on_chunk=on_chunk, keep_texts=keep_texts)


def run_audit(path, cfg: AuditConfig, executor: Executor, *, out=None, store=None, progress: bool = False) -> dict:
    """Audit one dataset with `executor`; returns the report dict (report.json's content). With `out`, the outputs are
    built in a temp sibling of `out` for the whole run and swapped in as one set once everything succeeded (a failure
    or a kill leaves the earlier set whole; the next run removes a killed run's temp); with `store` (a Store or URL),
    records the run as kind "audit". The settings and `out` are checked before a record is read."""
    stages = build_stages(cfg.validate())
    if out is not None:
        from curate.report import REPORT_FILES

        check_output_dir(out, replaces=REPORT_FILES)
    store, run_id = _start_run(store, path, cfg, out, executor)
    try:
        with atomic_dir(Path(out).resolve()) if out is not None else contextlib.nullcontext() as tmp:
            run = executor.run(path, stages, config=cfg.report_config(), progress=progress)
            report = run.report
            if "signals" in cfg.stages:  # how sure each reason code is, and the rule that gives it
                report["quality"]["rules"] = flag_rules(cfg.signal_units())
            report["run_id"] = run_id
            if out is not None:
                report["outputs"] = executor.write(out, report, run.table, into=tmp)
    except BaseException:
        if store is not None:
            store.finish_run(run_id, status="failed")
        raise
    if store is not None:
        store.finish_run(
            run_id,
            status="done",
            summary={**report["summary"], "verdicts": report["verdicts"], "out": report.get("outputs", {}).get("dir")},
        )
    return report


def _start_run(store, path, cfg: AuditConfig, out, executor: Executor):
    """(store, run id): the audit's record in the results store, or (None, None)."""
    if store is None:
        return None, None
    if not hasattr(store, "start_run"):
        from workbench.store import open_store

        store = open_store(store)
    name = Path(path).name if isinstance(path, (str, os.PathLike)) else f"{len(path)} shards"
    config = {
        **cfg.as_dict(),
        "path": str(path),
        "out": str(out) if out else None,
        "engine": executor.name,
        "address": executor.address,
    }
    return store, store.start_run("audit", name, model=cfg.model, config=config)
