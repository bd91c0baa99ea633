#!/usr/bin/env bash
# A small tournament: `default`, `default` at temperature 1.0, a tiny random model (and the LoRA-tuned default when
# the finetune step left one in $DEMO_OUT/lora), judged by `default` on 8 help-desk questions; Bradley-Terry ratings
# with bootstrap intervals and CI-aware ranks. Answers and verdicts are cached in the store: a rerun takes seconds.
set -euo pipefail
: "${PY:=.venv/bin/python}"
: "${DEMO_OUT:=$PWD/demo-out}"
mkdir -p "$DEMO_OUT"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"

# A deliberately weak contestant: the random tiny model the tests use, built locally (a few seconds).
if [ ! -f "$DEMO_OUT/tiny-model/config.json" ]; then
  "$PY" -c "import sys; from evalkit.models.tiny import build_tiny_model; build_tiny_model(sys.argv[1], seed=0)" \
    "$DEMO_OUT/tiny-model" >/dev/null 2>&1
fi
contestants=(default "hot=default@temperature=1.0" "tiny=$DEMO_OUT/tiny-model")
if [ -f "$DEMO_OUT/lora/adapter_config.json" ]; then
  contestants+=("tuned=default+$DEMO_OUT/lora")
fi

echo "\$ evalkit tournament --models ${contestants[*]} --suite TrainData.csv --limit 8 --judge default --judge-method logprob"
"$PY" -m evalkit tournament --models "${contestants[@]}" \
  --suite data/enlighten-instruct/TrainData.csv --limit 8 \
  --judge default --judge-method logprob --max-new-tokens 64 --bootstrap 1000 --seed 0 \
  --json "$DEMO_OUT/tournament.json"

# The same battles, exported and rated with online Elo (order-dependent) next to Bradley-Terry.
"$PY" -m evalkit battles export "$DEMO_OUT/battles.csv" \
  --run "$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['run_id'])" "$DEMO_OUT/tournament.json")"
echo "\$ evalkit ratings battles.csv --method elo --k 16 --bootstrap 1000"
"$PY" -m evalkit ratings "$DEMO_OUT/battles.csv" --method elo --k 16 --bootstrap 1000 --json "$DEMO_OUT/elo.json"
