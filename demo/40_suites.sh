#!/usr/bin/env bash
# Thursday, the proof: the multiple-choice suite (269 held-out questions) and the sanity suite on the default model.
# Results go to the store, JUnit XML for CI, a Markdown summary; the second run finds every answer in the cache.
set -euo pipefail
OUT="${DEMO_OUT:-demo-out}/suites"
mkdir -p "$OUT"

echo "--- evalkit run suites/enlighten-mc.yaml suites/sanity.yaml --model default (first run)"
"$PY" -m evalkit run suites/enlighten-mc.yaml suites/sanity.yaml --model default \
  --json "$OUT/results.json" --junit "$OUT/junit.xml" --markdown "$OUT/summary.md"

echo
echo "--- the same command again: nothing is evaluated, every answer comes from the store's cache"
"$PY" -m evalkit run suites/enlighten-mc.yaml suites/sanity.yaml --model default --quiet \
  --json "$OUT/results-again.json" --junit "$OUT/junit.xml"

"$PY" - "$OUT" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
out = sys.argv[1]
first, again = (json.load(open(f"{out}/{n}", encoding="utf-8")) for n in ("results.json", "results-again.json"))
for a, b in zip(first["runs"], again["runs"]):
    print(f"{a['suite']:<13} first run: {a['stats']['computed']:>5} computed, {a['stats']['cached']:>5} cached"
          f"   second run: {b['stats']['computed']:>3} computed, {b['stats']['cached']:>5} cached")
    if a["suite"] == "enlighten-mc":
        m = a["metrics"]
        print(f"{'':<13} acc {m['acc']:.4f}  acc_norm {m['acc_norm']:.4f}  (lm-eval 0.4.13: 0.2379 / 0.4349)")
root = ET.parse(f"{out}/junit.xml").getroot()
print(f"junit.xml: {root.get('tests')} test cases, {root.get('failures')} failures, {root.get('errors')} errors")
sanity = [r for r in first["runs"] if r["suite"] == "sanity"][0]
print("sanity failures:", ", ".join(c["id"] for c in sanity["cases"] if c["status"] != "pass") or "none")
open(f"{out}/sanity-runs.txt", "w").write(" ".join(r["run_id"] for r in (first["runs"][1], again["runs"][1])) + "\n")
PY

echo
echo "--- evalkit compare (first sanity run vs the cached rerun: same answers, no flips)"
read -r RUN_A RUN_B < "$OUT/sanity-runs.txt"
"$PY" -m evalkit compare "$RUN_A" "$RUN_B"
echo
echo "--- evalkit power (before a run: the smallest drop a suite can see, and the cases a smaller one needs)"
echo "\$ evalkit power suites/enlighten-mc.yaml --baseline-rate 0.43"
"$PY" -m evalkit power suites/enlighten-mc.yaml --baseline-rate 0.43
echo
echo "JUnit: $OUT/junit.xml   summary: $OUT/summary.md   results: $OUT/results.json"
