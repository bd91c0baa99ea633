#!/usr/bin/env bash
# Load the embedded default model, answer three questions from the shipped training data, record the run.
set -euo pipefail
"$PY" - <<'PY'
import csv, os, time
from workbench.models import load_model
from workbench.store import open_store

t0 = time.perf_counter()
model = load_model("default")
print(f"loaded default model (SmolLM2-135M-Instruct) in {time.perf_counter() - t0:.1f} s; fingerprint {model.fingerprint[:12]}")
rows = list(csv.DictReader(open("data/enlighten-instruct/TrainData.csv", encoding="utf-8")))
picks = [rows[0], rows[500], rows[1500]]
store = open_store()
run = store.start_run("generate", "demo: three questions", model=model.name, fingerprint=model.fingerprint,
                      config={"max_new_tokens": 64})
answers = []
for row in picks:
    g = model.generate([row["Q"]], max_new_tokens=64)[0]
    answers.append({"question": row["Q"], "answer": g.text, "reference": row["A"], "latency_s": g.latency_s})
    print(f"\nQ: {row['Q']}\nA: {g.text}\n   ({g.latency_s:.2f} s, {g.completion_tokens} tokens)")
store.finish_run(run, summary={"answers": answers})
print(f"\nstored run {run[:8]} in {store.url}")
PY
