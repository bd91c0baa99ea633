#!/usr/bin/env bash
# Judge the base `default` against a second decoding setting (temperature 1.0) with `default` as the judge, both
# orders, verdicts stored; then let the same judge rate answer pairs our (authored) human raters rated, and print
# how well the judge agrees with them compared with how well they agree with each other.
set -euo pipefail
PY="${PY:-.venv/bin/python}"
OUT="${DEMO_OUT:-demo-out}/judge"
mkdir -p "$OUT"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"

echo "--- 1. default (greedy) vs default at temperature 1.0 on 3 cases of suites/enlighten-qa.yaml, judged by default ---"
"$PY" -m evalkit judge --suite suites/enlighten-qa.yaml --limit 3 \
  --models default default --temperature 0 1.0 --names default default@t=1.0 \
  --judge default --method logprob --max-new-tokens 16 --no-reference --json "$OUT/judge-summary.json"

echo
echo "--- 2. the same judge on 6 answer pairs rated by 3 human raters (authored for this project, see data/human-ratings/README.md) ---"
"$PY" -m evalkit judge --pairs data/human-ratings/pairs.jsonl --limit 6 --judge default --method logprob \
  --no-reference --json "$OUT/pairs-summary.json" | tail -n 4
RUN=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['run_id'])" "$OUT/pairs-summary.json")
"$PY" -m evalkit ratings-export "$OUT/judge-ratings.csv" --layout agree --run "$RUN"

echo
echo "--- 3. agreement: the judge vs the human raters, and the raters among themselves ---"
"$PY" -m evalkit agree data/human-ratings/pairwise.csv "$OUT/judge-ratings.csv" --judge default \
  --json "$OUT/agreement.json"
echo "(full report: $OUT/agreement.json)"

echo
echo "--- 4. which raters to believe: each against the others' Dawid-Skene consensus ---"
echo "\$ evalkit agree data/human-ratings/pairwise.csv --consensus dawid-skene"
"$PY" -m evalkit agree data/human-ratings/pairwise.csv --consensus dawid-skene --json "$OUT/raters.json" \
  | sed -n '/^consensus/,/^interpretation/{/^interpretation/!p}'
echo "(per-rater figures, flags and the consensus labels: $OUT/raters.json)"
