#!/usr/bin/env bash
# Wednesday, the training: plan the memory, watch the audit gate refuse contaminated data, LoRA-tune the embedded
# model on the cleaned Enlighten Q/A pairs, then prove it on the 269 held-out multiple-choice questions (acc_norm).
# The adapter stays at $DEMO_OUT/lora for the tournament step.
set -euo pipefail
: "${PY:=.venv/bin/python}"
: "${DEMO_OUT:=$PWD/demo-out}"
mkdir -p "$DEMO_OUT"
SECONDS=0
export COLUMNS="${COLUMNS:-100}"
TRAIN="data/enlighten-instruct/TrainData.csv"
TEST="data/enlighten-instruct/TestData.csv"
CLEAN="$DEMO_OUT/enlighten-clean.csv"

echo "\$ finetune plan --params 7B --gpu-mem 24GB"
"$PY" -m finetune plan --params 7B --gpu-mem 24GB

echo
echo "\$ finetune train --data $TRAIN --audit-test $TEST ...   # audit gate on by default"
set +e
"$PY" -m finetune train --data "$TRAIN" --audit-test "$TEST" --out "$DEMO_OUT/lora-refused" --no-progress \
  2> "$DEMO_OUT/refused.txt"
code=$?
set -e
grep -E "^error|hint" "$DEMO_OUT/refused.txt" || true
echo "exit code: $code (3: the audit gate refused to train)"

if [ ! -f "$CLEAN" ]; then  # 20_audit.sh writes it; make it here when this step runs alone
  "$PY" -m curate clean "$TRAIN" --recipe curate/recipes/enlighten.yaml --out "$CLEAN" > /dev/null
fi

cat > "$DEMO_OUT/finetune.yaml" <<YAML
model: default
data: $CLEAN
template: qa              # "Question: ...\nAnswer:" — the format the MC suite scores in
method: lora              # r 16 on every linear layer of the blocks (the default for Llama-family models)
lora_dropout: 0.0         # no dropout mask on every adapter input: a noticeably cheaper step on a CPU
lr: 3.0e-3                # the demo's rate: one epoch at 3e-3; the step prints the acc_norm gain it reaches
warmup: 10
epochs: 1
batch_size: 8
max_length: 256
eval_split: 0.05
eval_every: 100
save_every: 50
audit_test: [$TEST]
out: $DEMO_OUT/lora
YAML

echo
echo "\$ curate audit $CLEAN --finetune-config $DEMO_OUT/finetune.yaml   # will every example train at max_length 256?"
"$PY" -m curate audit "$CLEAN" --finetune-config "$DEMO_OUT/finetune.yaml" --skip near,diversity,pii,contamination \
  --out "$DEMO_OUT/audit-trainable" --quiet --no-record --json > "$DEMO_OUT/audit-trainable.json"
"$PY" - "$DEMO_OUT/audit-trainable/report.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))["trainability"]
print(f"under the {t['template']} template at max_length {t['max_length']}: {t['untrainable_records']} records would train "
      f"on nothing, {t['partly_truncated_records']} lose part of their answer ({t['answer_tokens_lost_share']:.0%} of all "
      f"answer tokens); length p50 {t['length']['p50']:.0f}, p95 {t['length']['p95']:.0f} tokens")
PY

echo
echo "\$ curate select $CLEAN --keep 0.2 --by diverse --out $DEMO_OUT/select-diverse   # a fifth of the set, spread out"
"$PY" -m curate select "$CLEAN" --keep 0.2 --by diverse --out "$DEMO_OUT/select-diverse"
"$PY" - "$DEMO_OUT/select-diverse/manifest.json" benchmarks/results/select.json <<'PY'
import json, sys
from pathlib import Path
m = json.load(open(sys.argv[1], encoding="utf-8"))
for e in m["entries"][:3]:
    print(f"  line {e['line']}: {e['why']}")
res = Path(sys.argv[2])
if res.exists():  # benchmarks/bench_select.py: does acting on a selection score beat a random subset of the same size?
    run = json.loads(res.read_text(encoding="utf-8"))["history"][-1]
    d = run["details"]
    print(f"does it help? benchmarks/bench_select.py ({run['date']}): LoRA on {d['kept']} of {d['pool']} pairs, "
          f"enlighten-mc acc_norm ({d['questions']} questions):")
    if "base_model" in d:
        print(f"  {'untuned':<9} {d['base_model']['acc_norm']:.4f}")
    for name, arm in d["arms"].items():
        print(f"  {name:<9} {arm['metrics']['acc_norm']:.4f}")
    for by, cs in d["compare"].items():
        print(f"  {by} vs the three random subsets: exact McNemar p " + ", ".join(f"{c['p_value']:.2f}" for c in cs))
PY

echo
echo "\$ finetune train $DEMO_OUT/finetune.yaml   # the cleaned data: the same audit gate now passes"
rm -rf "$DEMO_OUT/lora"
time "$PY" -m finetune train "$DEMO_OUT/finetune.yaml" --no-progress

echo
echo "\$ finetune generate --model default --model default+$DEMO_OUT/lora --template qa 'What is the purpose of the BeastAttack class?'"
"$PY" -m finetune generate --model default --model "default+$DEMO_OUT/lora" --template qa --max-new-tokens 40 \
  "What is the purpose of the BeastAttack class?"

echo "\$ evalkit run suites/enlighten-mc.yaml --model default --model default+$DEMO_OUT/lora"
"$PY" -m evalkit run suites/enlighten-mc.yaml --model default --model "default+$DEMO_OUT/lora" --quiet \
  --json "$DEMO_OUT/finetune-mc.json" > /dev/null
"$PY" - "$DEMO_OUT/finetune-mc.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
acc = {r["model"]: r["metrics"] for r in runs}
base, tuned = (acc[m] for m in acc)
for name, m in acc.items():
    print(f"  {name:<40} acc {m['acc']:.4f}  acc_norm {m['acc_norm']:.4f}")
print(f"acc_norm gain: {tuned['acc_norm'] - base['acc_norm']:+.4f} (target: +0.05 over 0.4349)")
PY
echo "this step (plan, refused audit, training, generate, both evals): $((SECONDS / 60)) min $((SECONDS % 60)) s (target: ≤ 15 min)"
