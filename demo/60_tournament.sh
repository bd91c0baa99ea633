#!/usr/bin/env bash
# A small tournament: `default`, `default` at temperature 1.0, a tiny random model (and the LoRA-tuned default when
# the finetune step left one in $DEMO_OUT/lora) answer 6 questions of the enlighten-qa suite; judged by `default`,
# then the same (cached) answers judged against the suite's reference answers. Bradley-Terry ratings with bootstrap
# intervals and CI-aware ranks; online Elo on the exported battles. Answers and verdicts are cached: reruns are quick.
set -euo pipefail
: "${PY:=.venv/bin/python}"
: "${DEMO_OUT:=$PWD/demo-out}"
mkdir -p "$DEMO_OUT"

# A deliberately weak contestant: the random tiny model the tests use, built locally (a few seconds).
if [ ! -f "$DEMO_OUT/tiny-model/config.json" ]; then
  PYTHONPATH=tests "$PY" -c "import sys; from fixtures.tiny_model import build_tiny_model; build_tiny_model(sys.argv[1], seed=0)" \
    "$DEMO_OUT/tiny-model" >/dev/null 2>&1
fi
contestants=(default "hot=default@temperature=1.0" "tiny=$DEMO_OUT/tiny-model")
if [ -f "$DEMO_OUT/lora/adapter_config.json" ]; then      # a LoRA adapter on default
  contestants+=("tuned=default+$DEMO_OUT/lora")
elif [ -f "$DEMO_OUT/lora/config.json" ]; then            # or a merged model directory
  contestants+=("tuned=$DEMO_OUT/lora")
fi
common=(--models "${contestants[@]}" --suite suites/enlighten-qa.yaml --limit 6 --max-new-tokens 48
        --bootstrap 1000 --seed 0)

echo "\$ evalkit tournament --models ${contestants[*]} --suite suites/enlighten-qa.yaml --limit 6 --judge default --judge-method logprob"
"$PY" -m evalkit tournament "${common[@]}" --judge default --judge-method logprob --json "$DEMO_OUT/tournament.json"
echo "(a 135M-parameter judge prefers whichever answer it is shown first; judged in both orders, most verdicts"
echo " become ties — MT-Bench's rule — so its leaderboard can't separate the contestants. Check a judge before trusting it.)"

echo
echo "\$ evalkit tournament ... --judge reference    # the answer closer to the suite's reference answer wins"
"$PY" -m evalkit tournament "${common[@]}" --judge reference --json "$DEMO_OUT/tournament-ref.json"

run=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['run_id'])" "$DEMO_OUT/tournament-ref.json")
"$PY" -m evalkit battles export "$DEMO_OUT/battles.csv" --run "$run"
echo "\$ evalkit ratings battles.csv --method elo --k 16 --bootstrap 1000"
"$PY" -m evalkit ratings "$DEMO_OUT/battles.csv" --method elo --k 16 --bootstrap 1000 --json "$DEMO_OUT/elo.json"

echo
echo "\$ evalkit ratings battles.csv --style-control --bootstrap 200   # does the longer answer win, whatever it says?"
"$PY" -m evalkit ratings "$DEMO_OUT/battles.csv" --style-control --bootstrap 200 --json "$DEMO_OUT/style.json"
echo "(36 battles judged against a reference answer barely constrain a length effect: read the intervals, not the"
echo " point ratings; on thousands of battles a length bias shows as a coefficient clear of 0 — docs/ratings.md)"
