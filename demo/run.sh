#!/usr/bin/env bash
# `make demo`: the team's week on shipped data, step by step (demo/NN_*.sh, in order), then how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
export PY="${PY:-.venv/bin/python}"
export WORKBENCH_STORE="${WORKBENCH_STORE:-$PWD/.workbench/store.db}"
export DEMO_OUT="${DEMO_OUT:-$PWD/demo-out}"
mkdir -p "$DEMO_OUT" "$(dirname "$WORKBENCH_STORE")"
timings=()
total_start=$SECONDS
for step in demo/[0-9][0-9]_*.sh; do
  echo
  echo "=== ${step#demo/} ==="
  start=$SECONDS
  bash "$step"
  timings+=("$(printf '%-18s %4d min %02d s' "${step#demo/}" $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)))")
done
echo
echo "=== how long each step took ==="
printf '%s\n' "${timings[@]}"
total=$((SECONDS - total_start))
printf '%-18s %4d min %02d s\n' "total" $((total / 60)) $((total % 60))
