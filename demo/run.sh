#!/usr/bin/env bash
# `make demo`: the team's week on shipped data, step by step (demo/NN_*.sh, in order).
set -euo pipefail
cd "$(dirname "$0")/.."
export PY="${PY:-.venv/bin/python}"
export WORKBENCH_STORE="${WORKBENCH_STORE:-$PWD/.workbench/store.db}"
export DEMO_OUT="${DEMO_OUT:-$PWD/demo-out}"
mkdir -p "$DEMO_OUT" "$(dirname "$WORKBENCH_STORE")"
for step in demo/[0-9][0-9]_*.sh; do
  echo
  echo "=== ${step#demo/} ==="
  bash "$step"
done
