"""curate's local engine vs its Ray engine (local Ray, 2 CPUs) on the same generated data, in one run.

Two stages, each run by both engines in a fresh child process (so memory peaks don't mix):
- near-duplicates: `curate.dedup.near_duplicates` vs `curate.engine_ray.near_duplicates_ray` on the answers of
  `--near-records` generated records (default 1M; 3 % exact copies, 5 % one-to-three-word edits);
- reading + per-record signals + PII: `curate.pipeline.collect` on one JSONL file vs `curate.engine_ray.collect_ray`
  on the same records in `--shards` JSONL shards (default 200k records: the signals cost ~0.6 ms per record on one
  core, so 1M records would take ~10 minutes per engine here).
Both engines must return the same clusters / the same records, or the run fails.

Time is the stage's wall time (Ray's start-up is reported apart). Peak memory is the largest sum of PSS (proportional
set size, so Ray's shared object store counts once) over the child and all its descendants (Ray's GCS, raylet and
workers included), sampled every 0.25 s over the child's life (input loading included, for both engines).

    .venv/bin/python benchmarks/bench_ray.py [--near-records 1000000] [--collect-records 200000] [--shards 8]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the synthetic-data fixture

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import record  # noqa: E402

TITLE = "curate on Ray (local, 2 CPUs) vs curate's local engine"
STAGE_WHAT = {"near": "near-duplicates", "collect": "reading + per-record signals + PII"}


def table_rows(d: dict) -> list[dict]:
    """The table rows of one run's figures: per stage, Ray's wall time and peak memory against the local engine's
    (ratio > 1: Ray is better)."""
    out = []
    for stage, r in d["stages"].items():
        what = f"{STAGE_WHAT.get(stage, stage)}, {r['local']['records']:,} records"
        peer = "curate's local engine"
        out.append(
            record.row(f"{stage}_wall_s", f"{what}, wall seconds", "s", r["ray"]["wall_s"], r["local"]["wall_s"], peer)
        )
        out.append(
            record.row(
                f"{stage}_peak_mb",
                f"{what}, peak memory (PSS)",
                "MB",
                r["ray"]["peak_mem_mb"],
                r["local"]["peak_mem_mb"],
                peer,
            )
        )
    return out


# -- child: run one engine on one stage, print JSON ------------------------------------------------------------------
def child(args) -> None:
    import numpy as np

    out: dict = {}
    if args.stage == "near":
        import pyarrow.parquet as pq

        texts = pq.read_table(args.data, columns=["answer"]).column("answer").to_pylist()
        if args.engine == "ray":
            from curate.engine_ray import init_ray, near_duplicates_ray

            t = time.perf_counter()
            init_ray(num_cpus=2)
            out["ray_start_s"] = time.perf_counter() - t
            t = time.perf_counter()
            res = near_duplicates_ray(texts)
        else:
            from curate.dedup import near_duplicates

            t = time.perf_counter()
            res = near_duplicates(texts)
        out["wall_s"] = time.perf_counter() - t
        out["records"] = len(texts)
        out["clusters"] = len(res.clusters)
        out["duplicate_records"] = res.duplicate_records
        out["candidates"] = res.candidates
        out["digest"] = _digest(res.cluster_of.astype(np.int64).tobytes())
    else:
        from curate.pipeline import AuditConfig, collect

        cfg = AuditConfig()
        if args.engine == "ray":
            from curate.engine_ray import collect_ray, init_ray

            t = time.perf_counter()
            init_ray(num_cpus=2)
            out["ray_start_s"] = time.perf_counter() - t
            t = time.perf_counter()
            col = collect_ray(args.data, cfg, progress=False)
        else:
            t = time.perf_counter()
            col = collect(args.data, cfg, progress=False)
        out["wall_s"] = time.perf_counter() - t
        out["records"] = len(col.answers)
        out["flagged"] = sum(1 for r in col.reasons if r)
        out["digest"] = _digest(json.dumps([col.answers, col.reasons, col.pii, col.scripts]).encode())
    print("RESULT " + json.dumps(out), flush=True)


def _digest(b: bytes) -> str:
    import hashlib

    return hashlib.sha256(b).hexdigest()[:16]


# -- parent: generate data, run children, sample memory ---------------------------------------------------------------
def tree_pss(pid: int) -> int:
    import psutil

    total = 0
    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def run_child(stage: str, engine: str, data: str) -> dict:
    cmd = [sys.executable, __file__, "--child", stage, "--engine", engine, "--data", data]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RAY_DEDUP_LOGS": "0"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    peak = 0
    t0 = time.perf_counter()
    while proc.poll() is None:
        peak = max(peak, tree_pss(proc.pid))
        time.sleep(0.25)
    total = time.perf_counter() - t0
    text = proc.stdout.read()
    line = next((ln for ln in text.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        raise SystemExit(f"{stage}/{engine} failed (exit {proc.returncode}):\n{text[-2000:]}")
    res = json.loads(line[len("RESULT ") :])
    res["peak_mem_mb"] = round(peak / 2**20)
    res["process_s"] = round(total, 1)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--near-records", type=int, default=1_000_000)
    ap.add_argument("--collect-records", type=int, default=200_000)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/ray.json"))
    ap.add_argument("--child", choices=["near", "collect"])
    ap.add_argument("--engine", choices=["local", "ray"])
    ap.add_argument("--data")
    args = ap.parse_args()
    if args.child:
        args.stage = args.child
        return child(args)

    import pyarrow as pa
    import pyarrow.parquet as pq
    import ray
    from fixtures.synth import make_records, write_shards

    started = record.begin()
    results: dict = {"python": platform.python_version(), "ray": ray.__version__, "stages": {}}
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        tmp = Path(tmp)
        print(f"generating {args.near_records:,} records ...", file=sys.stderr, flush=True)
        records = make_records(args.near_records, seed=0)
        pq.write_table(pa.table({"answer": [r["answer"] for r in records]}), tmp / "answers.parquet")
        sub = records[: args.collect_records]
        whole = write_shards(sub, tmp / "whole", shards=1)[0]
        write_shards(sub, tmp / "shards", shards=args.shards)
        del records, sub
        plan = [
            ("near", str(tmp / "answers.parquet"), str(tmp / "answers.parquet")),
            ("collect", str(whole), str(tmp / "shards")),
        ]
        for stage, local_data, ray_data in plan:
            row = {}
            for engine, data in (("local", local_data), ("ray", ray_data)):
                print(f"{stage} / {engine} ...", file=sys.stderr, flush=True)
                row[engine] = run_child(stage, engine, data)
                print(f"  {row[engine]}", file=sys.stderr, flush=True)
            if row["local"]["digest"] != row["ray"]["digest"]:
                raise SystemExit(f"{stage}: the engines disagree: {row}")
            row["same_result"] = True
            row["ray_over_local_time"] = round(row["ray"]["wall_s"] / row["local"]["wall_s"], 2)
            row["ray_over_local_memory"] = round(row["ray"]["peak_mem_mb"] / max(row["local"]["peak_mem_mb"], 1), 2)
            for e in ("local", "ray"):
                row[e] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row[e].items()}
            results["stages"][stage] = row
    results["collect_shards"] = args.shards
    out = record.append(
        args.out, started, title=TITLE, rows=table_rows(results), details=results, command=record.command_line()
    )
    print(f"{'stage':<10}{'records':>10}{'local s':>10}{'ray s':>10}{'ratio':>8}{'local MB':>10}{'ray MB':>10}")
    for stage, row in results["stages"].items():
        print(
            f"{stage:<10}{row['local']['records']:>10,}{row['local']['wall_s']:>10.1f}{row['ray']['wall_s']:>10.1f}"
            f"{row['ray_over_local_time']:>8.2f}{row['local']['peak_mem_mb']:>10,}{row['ray']['peak_mem_mb']:>10,}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
