#!/usr/bin/env bash
# Near-duplicates, contamination and PII on the shipped data, then the near-duplicate stage against datasketch and
# rensa on a small labelled set (the full benchmark: benchmarks/bench_dedup.py, figures on docs/benchmarks.md).
set -euo pipefail
: "${PY:=.venv/bin/python}"
"$PY" - <<'PY'
import csv
from curate.dedup import cross_field_duplicates, exact_duplicates, near_duplicates
from curate.contamination import find_contamination
from curate.pii import find_pii

rows = list(csv.DictReader(open("data/enlighten-instruct/TrainData.csv", encoding="utf-8")))
q, a = [r["Q"] for r in rows], [r["A"] for r in rows]
print(f"Enlighten train: {len(rows)} pairs; exact duplicate questions {exact_duplicates(q).duplicate_records}, "
      f"answers {exact_duplicates(a).duplicate_records}")
cf = cross_field_duplicates(q, a)
print(f"one answer given to different questions: {len(cf.shared_answers)} groups ({cf.shared_answer_records} records); "
      f"one question with different answers: {len(cf.conflicting_answers)} groups ({cf.conflicting_records} records)")
nd = near_duplicates(a)
print(f"near-duplicate answers (word 3-shingles, Jaccard >= 0.7): {len(nd.clusters)} clusters, "
      f"{nd.duplicate_records} records beyond their representative")
big = max(nd.clusters, key=len)
print(f"largest cluster: {len(big)} answers, representative record {big[0]}: {a[big[0]][:90]!r}")
i, j, jac = next(p for p in nd.pairs if p[2] < 1.0)
print(f"a verified near pair (Jaccard {jac:.2f}):\n  [{i}] {a[i][:240]!r}\n  [{j}] {a[j][:240]!r}")
test = list(csv.DictReader(open("data/enlighten-instruct/TestData.csv", encoding="utf-8")))
cr = find_contamination([x + "\n" + y for x, y in zip(q, a)], [(k, r["Question"]) for k, r in enumerate(test)])
f = cr.figures
print(f"contamination vs TestData: {f['contaminated']} of {f['test_items']} test questions "
      f"({f['contaminated_share']:.1%}); 13-gram/whole-item {f['ngram_items']}, near-duplicate {f['near_dup_items']}")
sample = "Call 010-1234-5678 or mail kim@example.co.kr; RRN 900101-1234568; card 4111 1111 1111 1111."
print("PII in a sample line:", ", ".join(f"{p.kind} {p.masked}" for p in find_pii(sample)))
PY
"$PY" benchmarks/bench_dedup.py --docs 3000 --rounds 1 --memory 0 --no-datasketch-update --out "${TMPDIR:-/tmp}/dedup-demo.json"

# Rewordings, which no shingle sees: the semantic stage (an offline multilingual-e5-small, docs/semantic.md) on a few
# English and Korean questions, with a test set holding a reworded training question.
SEM="${DEMO_OUT:-$PWD/demo-out}/semantic"
mkdir -p "$SEM"
cat > "$SEM/train.jsonl" <<'JSONL'
{"question": "How do I reset my password?", "answer": "Use the 'Forgot password' link on the sign-in page."}
{"question": "What are the steps to change a forgotten password?", "answer": "Click 'Forgot password' and follow the email."}
{"question": "How do I change my username?", "answer": "Open Settings > Profile and edit the username."}
{"question": "비밀번호를 재설정하려면 어떻게 하나요?", "answer": "로그인 화면의 '비밀번호 찾기'를 누르세요."}
{"question": "잊어버린 비밀번호를 바꾸는 방법을 알려주세요", "answer": "'비밀번호 찾기'에서 이메일 안내를 따르세요."}
{"question": "아이디를 변경하려면 어떻게 하나요?", "answer": "설정 > 프로필에서 아이디를 바꿀 수 있습니다."}
{"question": "What is the capital of France?", "answer": "Paris."}
JSONL
echo '{"id": "t1", "question": "Which city is the capital of France?", "answer": "Paris"}' > "$SEM/test.jsonl"
echo
echo "\$ curate audit train.jsonl --semantic-threshold 0.91 --test test.jsonl   # 7 questions, EN + KO"
"$PY" -m curate audit "$SEM/train.jsonl" --semantic-threshold 0.91 --test "$SEM/test.jsonl" --out "$SEM/audit" \
  --no-record --quiet --json > "$SEM/summary.json"
"$PY" - "$SEM/audit/report.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1], encoding="utf-8"))
s, sem = rep["summary"], rep["semantic"]
print(f"{sem['about']}, threshold {sem['threshold']}: {s['semantic_clusters']} paraphrase clusters, "
      f"{s['semantic_contaminated_records']} paraphrased test leak; the n-gram contamination check sees {s['contaminated']}")
for c in sem["largest"]:
    print(f"  lines {c['line']} + {c['other_line']} (cosine {c['cosine']:.3f})")
for item in sem["contamination"]["items"]:
    print(f"  test {item['test_id']} ~ train line {item['train_line']} (cosine {item['cosine']:.3f})")
print("the username questions stay apart; at the default 0.95 neither password pair would join (docs/semantic.md)")
PY
