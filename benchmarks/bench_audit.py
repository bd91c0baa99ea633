"""Whole `curate audit` without perplexity: wall time per stage and peak memory on generated instruction pairs.

The set: N question/answer pairs built from a Zipf vocabulary and sentence frames (so words, lengths and topics vary),
with faults injected at known rates: 5 % exact duplicate pairs, 3 % near-duplicate answers (one word changed),
2 % truncated answers, 1 % HTML remnants, 1 % LLM boilerplate, 0.5 % phone numbers/emails; 200 test questions of
which 20 were copied into the training set. Every stage runs (reading, per-record signals, PII, exact and near
duplicates, diversity, token estimate, contamination), and the outputs (report.json, records.parquet, report.html)
are written. Target (issue 3): 100k records in <= 60 s on 2 cores; peak memory at 1M records <= 2 GB.

The audit runs in a child process, so its peak memory (the child's maximum resident set size) excludes the
generator's copy of the data:

    .venv/bin/python benchmarks/bench_audit.py [--records 100000] [--out benchmarks/results/audit.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import record  # noqa: E402

TITLE = "Whole curate audit of {records:,} records (no perplexity): time and peak memory"

FRAMES_Q = [
    "How do I {v} the {n}?",
    "What does the {n} {v}?",
    "Why would the {n} not {v}?",
    "Can I {v} the {n} from {n2}?",
    "Where is the {n} that can {v} {n2}?",
    "When should the {n} {v}?",
]
FRAMES_A = [
    "To {v} the {n}, open {n2} and choose {w}. Then {v2} the {w2} and save.",
    "The {n} will {v} {n2} when {w} is {w2}. It also keeps {w3} in {n2}.",
    "Use {n2}: it can {v} the {n} with {w} and {w2}. If that fails, {v2} {w3} first.",
    "It depends on {w}. Most teams {v} the {n} weekly, and {v2} {n2} only after {w2} {w3}.",
]


def make_vocab(rng, size=20_000, min_len=3) -> list[str]:
    """`size` distinct made-up words of `min_len` to 9 letters, in the order `rng` draws them (bench_dedup's too)."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    out, seen = [], set()
    while len(out) < size:
        w = "".join(rng.choice(letters, size=int(rng.integers(min_len, 10))))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def generate(n: int, seed: int = 0) -> tuple[list[dict], list[dict], dict]:
    rng = np.random.default_rng(seed)
    vocab = make_vocab(rng)
    ranks = np.arange(1, len(vocab) + 1)
    p = 1 / ranks**1.05
    p /= p.sum()
    draws = iter(rng.choice(len(vocab), size=n * 24, p=p))

    def w():
        return vocab[next(draws)]

    rows = []
    for i in range(n):
        q = FRAMES_Q[i % len(FRAMES_Q)].format(v=w(), n=w(), n2=w())
        parts = [
            FRAMES_A[(i // 7) % len(FRAMES_A)].format(v=w(), n=w(), n2=w(), w=w(), w2=w(), w3=w(), v2=w())
            for _ in range(1 + i % 3)
        ]
        rows.append({"question": q, "answer": " ".join(parts), "topic": f"t{i % 12}"})
    injected = {}
    idx = rng.permutation(n)
    cut = iter(np.split(idx, np.cumsum([int(n * r) for r in (0.05, 0.03, 0.02, 0.01, 0.01, 0.005)])))
    dup, near, trunc, html, gen, pii = (next(cut) for _ in range(6))
    for i in dup:
        rows[i] = dict(rows[int(rng.integers(n))])
    for i in near:
        src = rows[int(rng.integers(n))]
        words = src["answer"].split()
        words[int(rng.integers(len(words)))] = w()
        rows[i] = {**rows[i], "answer": " ".join(words)}
    for i in trunc:
        rows[i]["answer"] = rows[i]["answer"].rsplit(" ", 3)[0] + " and the"
    for i in html:
        rows[i]["answer"] = rows[i]["answer"].replace(". ", ".<br> ", 1)
    for i in gen:
        rows[i]["answer"] = "As an AI language model, I cannot be sure, but " + rows[i]["answer"]
    for i in pii:
        rows[i]["answer"] += f" Call 010-{1000 + i % 9000:04d}-5678 or mail user{i}@example.com."
    injected.update(
        exact_duplicates=len(dup),
        near_duplicates=len(near),
        truncated=len(trunc),
        html=len(html),
        generated=len(gen),
        pii=len(pii),
    )
    test = [{"question": f"Test question {j}: " + " ".join(w() for _ in range(16)), "answer": "a"} for j in range(200)]
    for j in range(20):
        rows[int(rng.integers(n))]["question"] = test[j]["question"]
    injected["contaminated"] = 20
    return rows, test, injected


def _child(data: str, test: str, out: str, stages: list[str]) -> None:
    """Audit in a fresh process; print timings and the summary as JSON on stdout."""
    from curate.pipeline import audit

    t0, c0 = time.perf_counter(), time.process_time()
    report = audit(data, test=test, out=out, progress=False, stages=tuple(stages))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"wall": wall, "cpu": cpu, "summary": report["summary"], "timings_s": report["timings_s"]}))


def table_rows(d: dict) -> list[dict]:
    """The table rows of one run's figures (no peer: the whole audit is ours)."""
    what = f"whole audit, {d['records']:,} records" + (
        f" without {', '.join(d['skipped_stages'])}" if d.get("skipped_stages") else ""
    )
    return [
        record.row("wall_s", f"{what}, wall seconds", "s", d["audit_s"]),
        record.row("cpu_s", f"{what}, CPU seconds", "s", d["audit_cpu_s"]),
        record.row("peak_rss_mb", f"{what}, peak RSS", "MB", d["peak_rss_mb"]),
        record.row(
            "records_per_s", f"{what}, records per second", "records/s", d["records_per_s"], better=record.HIGHER
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip", default="", help="stages to leave out, e.g. diversity (reported in the result)")
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/audit.json"))
    ap.add_argument("--child", nargs=4, metavar=("DATA", "TEST", "OUT", "STAGES"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        data, test, out, stages = args.child
        _child(data, test, out, stages.split(","))
        return

    import subprocess

    from curate.pipeline import STAGES

    started = record.begin()
    skip = {s for s in args.skip.split(",") if s}
    stages = [s for s in STAGES if s not in skip]
    t0 = time.perf_counter()
    rows, test, injected = generate(args.records, args.seed)
    gen_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        data, test_path = Path(tmp) / "pairs.jsonl", Path(tmp) / "test.jsonl"
        with open(data, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r) + "\n")
        with open(test_path, "w", encoding="utf-8") as fh:
            for r in test:
                fh.write(json.dumps(r) + "\n")
        size_mb = data.stat().st_size / 2**20
        del rows
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(data), str(test_path), str(Path(tmp) / "out"), ",".join(stages)],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        if proc.returncode != 0:
            sys.exit(proc.stderr)
        child = json.loads(proc.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    s = child["summary"]
    wall, cpu = child["wall"], child["cpu"]
    found = {
        "exact_duplicate_pairs": s["exact_duplicate_records"]["pair"],
        "near_duplicate_records": s["near_duplicate_records"],
        "truncated": s["truncated_records"],
        "html": s["html_records"],
        "generated": s["generated_records"],
        "pii_records": s["pii_records"],
        "contaminated": s["contaminated"],
    }
    result = {
        "records": args.records,
        "file_mb": round(size_mb, 1),
        "generate_s": round(gen_s, 2),
        "audit_s": round(wall, 2),
        "audit_cpu_s": round(cpu, 2),
        "skipped_stages": sorted(skip),
        "records_per_s": round(args.records / wall),
        "target_s_per_100k": 60,
        "stages_s": child["timings_s"],
        "peak_rss_mb": round(peak_mb),
        "injected": injected,
        "found": found,
    }
    print(json.dumps(result, indent=2))
    out = Path(args.out)
    if args.records != 100_000 or skip:
        out = out.with_name(f"{out.stem}_{args.records}{'_no_' + '_'.join(sorted(skip)) if skip else ''}{out.suffix}")
    record.append(
        out,
        started,
        title=TITLE.format(records=args.records),
        rows=table_rows(result),
        details=result,
        command=record.command_line(),
    )
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
