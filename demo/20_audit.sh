#!/usr/bin/env bash
# Monday, the data: audit the shipped Enlighten train set against its test set (duplicates, quality, generated text,
# PII, diversity, tokens, contamination), gate on it as CI would, then clean it into the set finetune trains on.
# The Korean set shows the Hangul-aware rules finding its five deliberate flaws.
set -euo pipefail
: "${PY:=.venv/bin/python}"
: "${DEMO_OUT:=$PWD/demo-out}"
mkdir -p "$DEMO_OUT"
export COLUMNS="${COLUMNS:-100}"

echo "\$ curate audit data/enlighten-instruct/TrainData.csv --test data/enlighten-instruct/TestData.csv --out $DEMO_OUT/audit"
"$PY" -m curate audit data/enlighten-instruct/TrainData.csv --test data/enlighten-instruct/TestData.csv \
  --out "$DEMO_OUT/audit" --quiet

echo
echo "\$ curate audit ... --fail-on 'dup_rate>0.01,contaminated>0'   # a CI gate: exit code 3 when a gate fails"
set +e
"$PY" -m curate audit data/enlighten-instruct/TrainData.csv --test data/enlighten-instruct/TestData.csv \
  --out "$DEMO_OUT/audit-gate" --quiet --no-record --json --skip diversity \
  --fail-on 'dup_rate>0.01,contaminated>0' > /dev/null
code=$?
set -e
echo "exit code: $code"

echo
echo "\$ curate clean data/enlighten-instruct/TrainData.csv --recipe curate/recipes/enlighten.yaml --out $DEMO_OUT/enlighten-clean.csv"
"$PY" -m curate clean data/enlighten-instruct/TrainData.csv --recipe curate/recipes/enlighten.yaml \
  --out "$DEMO_OUT/enlighten-clean.csv"

echo
echo "\$ curate audit data/korean-instruct/ko_instruct.jsonl --out $DEMO_OUT/audit-ko"
"$PY" -m curate audit data/korean-instruct/ko_instruct.jsonl --out "$DEMO_OUT/audit-ko" --quiet
"$PY" - "$DEMO_OUT/audit-ko/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
print("Korean set, reason codes by line:")
for reason, examples in r["quality"]["examples"].items():
    print(f"  {reason:<20} lines {[e['line'] for e in examples]}")
print(f"  {'pii':<20} lines {sorted({e['line'] for e in r['pii']['examples']})}")
print(f"  {'exact duplicate':<20} lines {r['duplicates']['pair_groups'][0]['lines']}")
PY
echo
echo "open $DEMO_OUT/audit/report.html in a browser for the charts (duplicate clusters, 2-D map, PII table)"
