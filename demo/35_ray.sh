#!/usr/bin/env bash
# Scale-out: the same audit on Ray Data (local Ray, 2 CPUs), checked against the local engine's report from
# 20_audit.sh. On a cluster, add --address ray://HEAD:10001.
set -euo pipefail
: "${PY:=.venv/bin/python}"
: "${DEMO_OUT:=$PWD/demo-out}"
mkdir -p "$DEMO_OUT"
if ! "$PY" -c "import ray" 2>/dev/null; then
  echo "ray is not installed (pip install 'llm-workbench[ray]'): skipping the Ray demo"
  exit 0
fi
echo "\$ curate audit data/enlighten-instruct/TrainData.csv --test data/enlighten-instruct/TestData.csv --engine ray --out $DEMO_OUT/audit-ray"
"$PY" - "$DEMO_OUT" <<'PY'
import json, sys
from pathlib import Path
from curate.engine_ray import audit_ray

out = Path(sys.argv[1])
r = audit_ray("data/enlighten-instruct/TrainData.csv", test="data/enlighten-instruct/TestData.csv", out=out / "audit-ray")
s = r["summary"]
print(f"ray engine: {s['records']:,} records, exact duplicates {s['exact_duplicate_records']}, "
      f"{s['near_duplicate_clusters']} near-duplicate clusters ({s['near_duplicate_records']} records), "
      f"{s['contaminated']} contaminated test items")
shards = sorted(p.name for p in (out / "audit-ray" / "records.parquet").iterdir())
print(f"per-record table as Parquet shards: {out / 'audit-ray' / 'records.parquet'}/{{{','.join(shards)}}}")
local = out / "audit" / "report.json"
if local.exists():
    same = json.loads(local.read_text("utf-8"))["summary"] == json.loads(json.dumps(s))
    print(f"summary equal to the local engine's ({local}): {same}")
PY
