#!/usr/bin/env bash
# Near-duplicates, contamination and PII on the shipped data, then the near-duplicate stage against datasketch and
# rensa on a small labelled set (the full benchmark: benchmarks/bench_dedup.py, figures on docs/benchmarks.md).
set -euo pipefail
: "${PY:=.venv/bin/python}"
"$PY" - <<'PY'
import csv
from curate.dedup import cross_field_duplicates, exact_duplicates, near_duplicates
from curate.contamination import find_contamination
from curate.pii import find_pii

rows = list(csv.DictReader(open("data/enlighten-instruct/TrainData.csv", encoding="utf-8")))
q, a = [r["Q"] for r in rows], [r["A"] for r in rows]
print(f"Enlighten train: {len(rows)} pairs; exact duplicate questions {exact_duplicates(q).duplicate_records}, "
      f"answers {exact_duplicates(a).duplicate_records}")
cf = cross_field_duplicates(q, a)
print(f"one answer given to different questions: {len(cf.shared_answers)} groups ({cf.shared_answer_records} records); "
      f"one question with different answers: {len(cf.conflicting_answers)} groups ({cf.conflicting_records} records)")
nd = near_duplicates(a)
print(f"near-duplicate answers (word 3-shingles, Jaccard >= 0.7): {len(nd.clusters)} clusters, "
      f"{nd.duplicate_records} records beyond their representative")
big = max(nd.clusters, key=len)
print(f"largest cluster: {len(big)} answers, representative record {big[0]}: {a[big[0]][:90]!r}")
i, j, jac = next(p for p in nd.pairs if p[2] < 1.0)
print(f"a verified near pair (Jaccard {jac:.2f}):\n  [{i}] {a[i][:240]!r}\n  [{j}] {a[j][:240]!r}")
test = list(csv.DictReader(open("data/enlighten-instruct/TestData.csv", encoding="utf-8")))
cr = find_contamination([x + "\n" + y for x, y in zip(q, a)], [(k, r["Question"]) for k, r in enumerate(test)])
f = cr.figures
print(f"contamination vs TestData: {f['contaminated']} of {f['test_items']} test questions "
      f"({f['contaminated_share']:.1%}); 13-gram/whole-item {f['ngram_items']}, near-duplicate {f['near_dup_items']}")
sample = "Call 010-1234-5678 or mail kim@example.co.kr; RRN 900101-1234568; card 4111 1111 1111 1111."
print("PII in a sample line:", ", ".join(f"{p.kind} {p.masked}" for p in find_pii(sample)))
PY
"$PY" benchmarks/bench_dedup.py --docs 3000 --rounds 1 --memory 0 --no-datasketch-update --out "${TMPDIR:-/tmp}/dedup-demo.json"
