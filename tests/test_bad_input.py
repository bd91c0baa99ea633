"""The bad-input corpus (issue 16): every command, fed malformed input, exits 2, names the place, prints no traceback
and writes nothing.

Each case is one row of CASES: the command line (`{d}` is the case's own folder, `{model}` the tiny model, `{adapter}`
a LoRA adapter on it), the files to lay out in `{d}` first, and the substring the error must contain (file:line, field,
option or case id). The check is the same for every row: exit code 2, no "Traceback" on stdout or stderr, the substring on stderr, every file under
`{d}` unchanged (no new file, no temp folder) and every table of the results store (`{d}/store.db`, also
$WORKBENCH_STORE) holding as many rows as before. Commands run in-process through their `main(argv)` (an exception
escaping it is a traceback) except the rows marked `proc`, which run the console scripts as users do.

`defect` names the issue-16 defect a row was grown from, so a failure says which fix it checks; rows without one are
the README's bad-input cases and new ones found by this corpus.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAINS = {"curate": "curate.cli", "evalkit": "evalkit.cli", "finetune": "finetune.cli"}


@dataclass
class Case:
    id: str
    argv: str  # the command line, `{d}`, `{model}` and `{adapter}` filled in, split as a shell would
    names: str  # what stderr must contain: the file:line, field, option or case id
    files: dict[str, str | bytes | Callable[[Path], None]] = field(default_factory=dict)  # "x/" makes a folder
    defect: int | None = None  # the issue-16 defect this row checks
    proc: bool = False  # run the console script in a subprocess instead of main(argv)


# -- files the cases are built from ---------------------------------------------------------------------------------
def jsonl(*rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)


QA = [
    {"question": "What is the capital of France?", "answer": "Paris is the capital of France."},
    {"question": "How many days are in a week?", "answer": "There are seven days in a week."},
    {"question": "What colour is the sky on a clear day?", "answer": "The sky is blue on a clear day."},
]
GOOD = jsonl(*QA)
GOOD_CSV = "question,answer\n" + "".join(f'"{r["question"]}","{r["answer"]}"\n' for r in QA)
MALFORMED = jsonl(QA[0], '{"question": "broken", "answer": ', QA[1])
RECIPE = "signals: [empty_field]\ndedup: {exact: pair, near: false}\npii: keep\n"
BATTLES = "model_a,model_b,winner\nalpha,beta,model_a\nbeta,gamma,model_b\ngamma,alpha,tie\n"
AGREE = "item_id,rater,rating\nq1,ann,A\nq1,bob,A\nq2,ann,B\nq2,bob,A\n"
MTBENCH = {"question_id": 81, "model_a": "alpaca-13b", "model_b": "gpt-3.5-turbo", "winner": "model_b"}
PROMPTS_CSV = "id,question\np1,What is the capital of France?\np2,How many days are in a week?\n"
QA_CSV = "Q,A\nWhat?,That.\n"
JUDGE_PROMPTS = (REPO / "evalkit" / "judges" / "prompts" / "en.yaml").read_text(encoding="utf-8")


def suite(case: str, head: str = "name: bad\ndefaults: {max_new_tokens: 4}\n") -> str:
    """A suite file with one case, `case` being its YAML (indented under `cases:`)."""
    return head + "cases:\n" + "".join(f"  {line}\n" for line in case.strip("\n").splitlines())


OK_CASE = "- id: c1\n  input: What is 2 + 2?\n  assert:\n    - type: contains\n      value: '4'\n"


def parquet_rows(rows: list[dict]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)

    return write


def corrupt_parquet(path: Path) -> None:
    """A Parquet file whose footer is intact but whose first page header has one bit flipped."""
    parquet_rows(QA)(path)
    data = bytearray(path.read_bytes())
    data[4] ^= 1
    path.write_bytes(bytes(data))


def truncated_parquet(path: Path) -> None:
    parquet_rows(QA)(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


AUDIT = "curate audit --no-record --quiet"
CLEAN = "curate clean --recipe {d}/recipe.yaml"
RUN = "evalkit run --quiet --model {model}"
JUDGE = "evalkit judge --data {d}/qa.csv --models {model} human-reference --judge {model} --method logprob --max-new-tokens 4"
TRAIN = "finetune train --model {model} --data {d}/qa.jsonl --out {d}/ft --no-progress --no-audit --max-steps 1"

# fmt: off
CASES = [
    # -- curate audit: the data file ---------------------------------------------------------------------------------
    Case("audit-malformed-jsonl", f"{AUDIT} {{d}}/bad.jsonl --out {{d}}/out", "bad.jsonl:2", {"bad.jsonl": MALFORMED}),
    Case("audit-malformed-jsonl-proc", f"{AUDIT} {{d}}/bad.jsonl --out {{d}}/out", "bad.jsonl:2",
         {"bad.jsonl": MALFORMED}, proc=True),
    Case("audit-jsonl-array-line", f"{AUDIT} {{d}}/x.jsonl --out {{d}}/out", "x.jsonl:2", {"x.jsonl": GOOD.splitlines()[0] + "\n[1, 2]\n"}),
    Case("audit-jsonl-string-line", f"{AUDIT} {{d}}/s.jsonl --out {{d}}/out", "s.jsonl:1", {"s.jsonl": '"just a string"\n'}),
    Case("audit-jsonl-cp949-line", f"{AUDIT} {{d}}/enc.jsonl --out {{d}}/out", "enc.jsonl:2",
         {"enc.jsonl": GOOD.splitlines()[0].encode() + b"\n" + '{"question": "안녕", "answer": "하세요"}'.encode("cp949") + b"\n"}),
    Case("audit-jsonl-cp1252-hint", f"{AUDIT} {{d}}/w.jsonl --out {{d}}/out", "cp1252",
         {"w.jsonl": '{"question": "café crème", "answer": "naïve résumé"}\n'.encode("cp1252")}, defect=10),
    Case("audit-jsonl-utf16", f"{AUDIT} {{d}}/u16.jsonl --out {{d}}/out", "u16.jsonl", {"u16.jsonl": GOOD.encode("utf-16")}),
    Case("audit-jsonl-nul-byte", f"{AUDIT} {{d}}/nul.jsonl --out {{d}}/out", "nul.jsonl:2",
         {"nul.jsonl": GOOD.splitlines()[0] + '\n{"question": "a\x00b", \x00"answer": "c"}\n'}, defect=10),
    Case("audit-jsonl-nul-only", f"{AUDIT} {{d}}/zeros.jsonl --out {{d}}/out", "zeros.jsonl", {"zeros.jsonl": b"\x00" * 64}),
    Case("audit-empty-jsonl", f"{AUDIT} {{d}}/empty.jsonl --out {{d}}/out", "empty.jsonl", {"empty.jsonl": ""}),
    Case("audit-blank-lines-jsonl", f"{AUDIT} {{d}}/blank.jsonl --out {{d}}/out", "blank.jsonl", {"blank.jsonl": "\n  \n\n"}),
    Case("audit-empty-csv", f"{AUDIT} {{d}}/empty.csv --out {{d}}/out", "empty.csv", {"empty.csv": ""}),
    Case("audit-header-only-csv", f"{AUDIT} {{d}}/header.csv --out {{d}}/out", "header.csv", {"header.csv": "question,answer\n"}),
    Case("audit-csv-broken-quote", f"{AUDIT} {{d}}/broken.csv --out {{d}}/out", "broken.csv:3",
         {"broken.csv": 'question,answer\nok?,fine.\n"unclosed,oops\nnext,row\n'}),
    Case("audit-csv-field-count", f"{AUDIT} {{d}}/fields.csv --out {{d}}/out", "fields.csv:3",
         {"fields.csv": "question,answer\nq?,a.\nq2?,a2.,extra\n"}),
    Case("audit-csv-repeated-columns", f"{AUDIT} {{d}}/dup.csv --out {{d}}/out", "dup.csv:1",
         {"dup.csv": "question,answer,answer\nq?,a.,b.\n"}),
    Case("audit-csv-cp949", f"{AUDIT} {{d}}/euckr.csv --out {{d}}/out", "euckr.csv:2",
         {"euckr.csv": "question,answer\n질문입니다,답변입니다\n".encode("cp949")}),
    Case("audit-csv-nul-byte", f"{AUDIT} {{d}}/nul.csv --out {{d}}/out", "nul.csv:3",
         {"nul.csv": "question,answer\nq?,a.\nq\x00?,a\x00.\n"}, defect=10),
    Case("audit-csv-nul-in-header", f"{AUDIT} {{d}}/nulh.csv --out {{d}}/out", "nulh.csv:1",
         {"nulh.csv": "ques\x00tion,answer\nq?,a.\n"}),
    Case("audit-tsv-utf16", f"{AUDIT} {{d}}/u16.tsv --out {{d}}/out", "u16.tsv", {"u16.tsv": "question\tanswer\nq?\ta.\n".encode("utf-16")}),
    Case("audit-json-malformed", f"{AUDIT} {{d}}/bad.json --out {{d}}/out", "bad.json:3",
         {"bad.json": '[\n  {"question": "q?", "answer": "a."},\n  {"question": "q2?" "answer": "a2."}\n]\n'}),
    Case("audit-json-scalar", f"{AUDIT} {{d}}/n.json --out {{d}}/out", "n.json", {"n.json": "42\n"}),
    Case("audit-json-array-of-numbers", f"{AUDIT} {{d}}/nums.json --out {{d}}/out", "nums.json", {"nums.json": "[1, 2, 3]\n"}),
    Case("audit-json-empty-array", f"{AUDIT} {{d}}/none.json --out {{d}}/out", "none.json", {"none.json": "[]\n"}),
    Case("audit-answer-is-a-list", f"{AUDIT} {{d}}/mixed.jsonl --out {{d}}/out", "mixed.jsonl:1",
         {"mixed.jsonl": jsonl({"question": "q?", "answer": ["not", "text"]}, QA[0])}),
    Case("audit-answer-is-an-object", f"{AUDIT} {{d}}/obj.jsonl --out {{d}}/out", "obj.jsonl:2",
         {"obj.jsonl": jsonl(QA[0], {"question": "q?", "answer": {"text": "a"}})}),
    Case("audit-record-over-limit", f"{AUDIT} {{d}}/big.jsonl --out {{d}}/out --max-record-mb 0.0002", "big.jsonl:2",
         {"big.jsonl": jsonl(QA[0], {"question": "big?", "answer": "word " * 100})}),
    Case("audit-max-record-mb-negative", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --max-record-mb -1", "--max-record-mb",
         {"qa.jsonl": GOOD}, defect=5),
    Case("audit-max-record-mb-zero", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --max-record-mb 0", "--max-record-mb",
         {"qa.jsonl": GOOD}, defect=5),
    Case("audit-missing-file", f"{AUDIT} {{d}}/nope.jsonl --out {{d}}/out", "nope.jsonl"),
    Case("audit-folder-not-a-dataset", f"{AUDIT} {{d}}/folder --out {{d}}/out", "folder", {"folder/": ""}),
    Case("audit-parquet-truncated", f"{AUDIT} {{d}}/trunc.parquet --out {{d}}/out", "trunc.parquet",
         {"trunc.parquet": truncated_parquet}),
    Case("audit-parquet-corrupt-page", f"{AUDIT} {{d}}/bad.parquet --out {{d}}/out", "bad.parquet", {"bad.parquet": corrupt_parquet}),
    Case("ratings-parquet-corrupt-page", "evalkit ratings {d}/b.parquet", "b.parquet", {"b.parquet": corrupt_parquet}),
    Case("audit-parquet-is-text", f"{AUDIT} {{d}}/fake.parquet --out {{d}}/out", "fake.parquet", {"fake.parquet": GOOD}),
    Case("audit-parquet-list-answer", f"{AUDIT} {{d}}/list.parquet --out {{d}}/out", "list.parquet",
         {"list.parquet": parquet_rows([{"question": "q?", "answer": ["a", "b"]}])}),
    Case("audit-parquet-no-text-columns", f"{AUDIT} {{d}}/nums.parquet --out {{d}}/out", "nums.parquet",
         {"nums.parquet": parquet_rows([{"x": 1, "y": 2.0}])}),
    # -- curate audit: fields and options ---------------------------------------------------------------------------
    Case("audit-unknown-field", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --fields question=Frage", "Frage", {"qa.jsonl": GOOD}),
    Case("audit-unknown-field-names-file", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --fields question=Frage", "qa.jsonl",
         {"qa.jsonl": GOOD}, defect=10),
    Case("audit-unknown-role", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --fields qestion=question", "qestion", {"qa.jsonl": GOOD}),
    Case("audit-fields-syntax", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --fields question", "--fields", {"qa.jsonl": GOOD}),
    Case("audit-no-text-fields", f"{AUDIT} {{d}}/ids.jsonl --out {{d}}/out", "ids.jsonl", {"ids.jsonl": jsonl({"id": 1}, {"id": 2})}),
    Case("audit-unknown-gate", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --fail-on dupes>1", "dupes", {"qa.jsonl": GOOD}),
    Case("audit-gate-syntax", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --fail-on dup_rate=>1", "dup_rate=>1", {"qa.jsonl": GOOD}),
    Case("audit-gate-not-a-number", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --fail-on dup_rate>lots", "lots", {"qa.jsonl": GOOD}),
    Case("audit-unknown-stage", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --skip sigals", "sigals", {"qa.jsonl": GOOD}),
    Case("audit-near-threshold-over-1", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --near-threshold 1.5", "threshold", {"qa.jsonl": GOOD}),
    Case("audit-near-threshold-negative", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --near-threshold -0.2", "threshold", {"qa.jsonl": GOOD}),
    Case("audit-num-perm-zero", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --num-perm 0", "num_perm", {"qa.jsonl": GOOD}),
    Case("audit-shingle-zero", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --shingle 0", "shingle", {"qa.jsonl": GOOD}),
    Case("audit-ngram-zero", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --ngram 0", "--ngram", {"qa.jsonl": GOOD}),
    Case("audit-ngram-not-int", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --ngram many", "--ngram", {"qa.jsonl": GOOD}),
    Case("audit-max-length-negative", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --max-length -5", "--max-length", {"qa.jsonl": GOOD}),
    Case("audit-test-missing", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --test {{d}}/nope.csv", "nope.csv", {"qa.jsonl": GOOD}),
    Case("audit-test-malformed", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --test {{d}}/test.jsonl", "test.jsonl:2",
         {"qa.jsonl": GOOD, "test.jsonl": MALFORMED}),
    Case("audit-test-suite-bad-yaml", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --test {{d}}/suite.yaml", "suite.yaml:4",
         {"qa.jsonl": GOOD, "suite.yaml": "name: s\ncases:\n  - id: c1\n    input: a: b\n  - id: c2\n"}),
    Case("audit-engine-unknown", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --engine spark", "--engine", {"qa.jsonl": GOOD}),
    Case("audit-store-not-a-database", "curate audit --quiet {d}/qa.jsonl --out {d}/out --store {d}/notes.txt", "notes.txt",
         {"qa.jsonl": GOOD, "notes.txt": "these are my notes, not a database\n" * 40}),
    # -- curate audit: where the report goes (defect 1) -------------------------------------------------------------
    Case("audit-out-in-proc", f"{AUDIT} {{d}}/qa.jsonl --out /proc/x", "/proc/x", {"qa.jsonl": GOOD}, defect=1),
    Case("audit-out-in-proc-proc", f"{AUDIT} {{d}}/qa.jsonl --out /proc/x", "/proc/x", {"qa.jsonl": GOOD}, defect=1, proc=True),
    Case("audit-out-is-a-file", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/taken", "taken", {"qa.jsonl": GOOD, "taken": "keep me\n"}, defect=1),
    Case("audit-out-under-a-file", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/taken/out", "taken", {"qa.jsonl": GOOD, "taken": "keep me\n"}, defect=1),
    # -- curate audit: the recipe (defect 7: the same schema as clean) ------------------------------------------------
    Case("audit-recipe-unknown-key", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --recipe {{d}}/recipe.yaml", "foo",
         {"qa.jsonl": GOOD, "recipe.yaml": RECIPE + "foo: 1\n"}, defect=7),
    Case("audit-recipe-misspelt-dedup", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --recipe {{d}}/recipe.yaml", "dedupe",
         {"qa.jsonl": GOOD, "recipe.yaml": "dedupe: {exact: pair}\n"}, defect=7),
    Case("audit-recipe-not-a-mapping", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --recipe {{d}}/recipe.yaml", "recipe.yaml",
         {"qa.jsonl": GOOD, "recipe.yaml": "- empty_field\n- html_remnant\n"}),
    Case("audit-recipe-bad-yaml", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --recipe {{d}}/recipe.yaml", "recipe.yaml",
         {"qa.jsonl": GOOD, "recipe.yaml": "signals: [empty_field\n"}),
    Case("audit-recipe-missing", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --recipe {{d}}/none.yaml", "none.yaml", {"qa.jsonl": GOOD}),
    Case("audit-recipe-unknown-signal", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --recipe {{d}}/recipe.yaml", "html_remnants",
         {"qa.jsonl": GOOD, "recipe.yaml": "signals: [html_remnants]\n"}),
    Case("audit-recipe-unknown-signal-setting", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --recipe {{d}}/recipe.yaml", "min_wrds",
         {"qa.jsonl": GOOD, "recipe.yaml": "signals:\n  - truncated: {min_wrds: 3}\n"}),
    Case("audit-recipe-bad-keep", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --recipe {{d}}/recipe.yaml", "dedup.keep",
         {"qa.jsonl": GOOD, "recipe.yaml": "dedup: {keep: random}\n"}, defect=7),
    # -- curate clean --------------------------------------------------------------------------------------------------
    Case("clean-out-in-proc", f"{CLEAN} {{d}}/qa.jsonl --out /proc/x/c.jsonl", "/proc/x", {"qa.jsonl": GOOD, "recipe.yaml": RECIPE}, defect=1),
    Case("clean-out-in-proc-proc", f"{CLEAN} {{d}}/qa.jsonl --out /proc/x/c.jsonl", "/proc/x",
         {"qa.jsonl": GOOD, "recipe.yaml": RECIPE}, defect=1, proc=True),
    Case("clean-out-is-a-folder-slash", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/some_dir/", "some_dir",
         {"qa.jsonl": GOOD, "recipe.yaml": RECIPE, "some_dir/": ""}, defect=1),
    Case("clean-out-is-a-folder", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/some_dir", "some_dir",
         {"qa.jsonl": GOOD, "recipe.yaml": RECIPE, "some_dir/": ""}, defect=1),
    Case("clean-out-under-a-file", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/taken/c.jsonl", "taken",
         {"qa.jsonl": GOOD, "recipe.yaml": RECIPE, "taken": "keep me\n"}, defect=1),
    Case("clean-out-is-the-input", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/qa.jsonl", "qa.jsonl", {"qa.jsonl": GOOD, "recipe.yaml": RECIPE}),
    Case("clean-recipe-unknown-key", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "foo",
         {"qa.jsonl": GOOD, "recipe.yaml": RECIPE + "foo: 1\n"}),
    Case("clean-recipe-bad-keep", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "dedup.keep",
         {"qa.jsonl": GOOD, "recipe.yaml": "dedup: {keep: random}\n"}),
    Case("clean-recipe-bad-exact", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "dedup.exact",
         {"qa.jsonl": GOOD, "recipe.yaml": "dedup: {exact: everything}\n"}),
    Case("clean-recipe-bad-pii", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "pii",
         {"qa.jsonl": GOOD, "recipe.yaml": "pii: shred\n"}),
    Case("clean-recipe-dedup-not-a-mapping", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "dedup",
         {"qa.jsonl": GOOD, "recipe.yaml": "dedup: yes please\n"}),
    Case("clean-recipe-near-threshold-2", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "threshold",
         {"qa.jsonl": GOOD, "recipe.yaml": "dedup: {near: true, near_settings: {threshold: 2}}\n"}),
    Case("clean-recipe-near-edit-threshold-1.5", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "edit_threshold",
         {"qa.jsonl": GOOD, "recipe.yaml": "dedup: {near: true, near_settings: {edit_threshold: 1.5}}\n"}),
    Case("clean-recipe-near-short-words-negative", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "short_words",
         {"qa.jsonl": GOOD, "recipe.yaml": "dedup: {near: true, near_settings: {short_words: -3}}\n"}),
    Case("clean-recipe-signals-not-a-list", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "signals",
         {"qa.jsonl": GOOD, "recipe.yaml": "signals: 7\n"}),
    Case("clean-recipe-signal-setting-type", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "min_words",
         {"qa.jsonl": GOOD, "recipe.yaml": "signals:\n  - truncated: {min_words: lots}\n"}),
    Case("clean-recipe-contamination-test-missing", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "nope.csv",
         {"qa.jsonl": GOOD, "recipe.yaml": RECIPE + "contamination: {test: nope.csv}\n"}),
    Case("clean-recipe-bad-yaml", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "recipe.yaml",
         {"qa.jsonl": GOOD, "recipe.yaml": "pii: [redact\n"}),
    Case("clean-recipe-not-utf8", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl", "recipe.yaml",
         {"qa.jsonl": GOOD, "recipe.yaml": "# 레시피\npii: keep\n".encode("cp949")}),
    Case("clean-malformed-jsonl", f"{CLEAN} {{d}}/bad.jsonl --out {{d}}/c.jsonl", "bad.jsonl:2", {"bad.jsonl": MALFORMED, "recipe.yaml": RECIPE}),
    Case("clean-csv-broken-quote", f"{CLEAN} {{d}}/broken.csv --out {{d}}/c.csv", "broken.csv:2",
         {"broken.csv": 'question,answer\n"unclosed,oops\nnext,row\n', "recipe.yaml": RECIPE}),
    Case("clean-empty-file", f"{CLEAN} {{d}}/empty.jsonl --out {{d}}/c.jsonl", "empty.jsonl", {"empty.jsonl": "", "recipe.yaml": RECIPE}),
    Case("clean-unknown-field", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl --fields answer=Antwort", "Antwort",
         {"qa.jsonl": GOOD, "recipe.yaml": RECIPE}),
    Case("clean-max-record-mb-negative", f"{CLEAN} {{d}}/qa.jsonl --out {{d}}/c.jsonl --max-record-mb -1", "--max-record-mb",
         {"qa.jsonl": GOOD, "recipe.yaml": RECIPE}, defect=5),
    Case("clean-parquet-truncated", f"{CLEAN} {{d}}/t.parquet --out {{d}}/c.parquet", "t.parquet",
         {"t.parquet": truncated_parquet, "recipe.yaml": RECIPE}),
    # -- evalkit run: the suite file ---------------------------------------------------------------------------------
    Case("run-yaml-syntax", f"{RUN} {{d}}/suite.yaml", "suite.yaml:4",
         {"suite.yaml": "name: bad\ncases:\n  - id: c1\n    input: a: b\n    assert: [{type: contains, value: x}]\n"}),
    Case("run-misspelt-key", f"{RUN} {{d}}/suite.yaml", "inptu",
         {"suite.yaml": suite(OK_CASE.replace("input:", "inptu:"))}),
    Case("run-misspelt-key-proc", f"{RUN} {{d}}/suite.yaml", "suite.yaml:5",
         {"suite.yaml": suite(OK_CASE.replace("input:", "inptu:"))}, proc=True),
    Case("run-unknown-assertion-type", f"{RUN} {{d}}/suite.yaml", "contians",
         {"suite.yaml": suite(OK_CASE.replace("type: contains", "type: contians"))}),
    Case("run-missing-template-var", f"{RUN} {{d}}/suite.yaml", "c1",
         {"suite.yaml": suite(OK_CASE.replace("What is 2 + 2?", "What is {left} + 2?"))}),
    Case("run-duplicate-case-ids", f"{RUN} {{d}}/suite.yaml", "'c1'", {"suite.yaml": suite(OK_CASE + OK_CASE)}),
    Case("run-invalid-regex", f"{RUN} {{d}}/suite.yaml", "suite.yaml:",
         {"suite.yaml": suite(OK_CASE.replace("type: contains\n      value: '4'", 'type: regex\n      value: "([0-9]+"'))},
         defect=3),
    Case("run-choice-answer-out-of-range", f"{RUN} {{d}}/suite.yaml", "c1",
         {"suite.yaml": suite("- id: c1\n  input: 'Pick one:'\n  assert:\n    - type: choice\n      choices: [a, b, c]\n      answer: 7\n")},
         defect=4),
    Case("run-choice-one-choice", f"{RUN} {{d}}/suite.yaml", "c1",
         {"suite.yaml": suite("- id: c1\n  input: 'Pick one:'\n  assert:\n    - type: choice\n      choices: [a]\n      answer: 0\n")}),
    Case("run-choice-answer-not-a-choice", f"{RUN} {{d}}/suite.yaml", "c1",
         {"suite.yaml": suite("- id: c1\n  input: 'Pick one:'\n  assert:\n    - type: choice\n      choices: [a, b]\n      answer: z\n")}),
    Case("run-assertion-missing-value", f"{RUN} {{d}}/suite.yaml", "c1",
         {"suite.yaml": suite("- id: c1\n  input: hi\n  assert:\n    - type: contains\n")}),
    Case("run-assertion-unknown-param", f"{RUN} {{d}}/suite.yaml", "valeu",
         {"suite.yaml": suite("- id: c1\n  input: hi\n  assert:\n    - type: contains\n      valeu: x\n")}),
    Case("run-case-without-assertions", f"{RUN} {{d}}/suite.yaml", "c1", {"suite.yaml": suite("- id: c1\n  input: hi\n")}),
    Case("run-no-cases", f"{RUN} {{d}}/suite.yaml", "cases", {"suite.yaml": "name: bad\ncases: []\n"}),
    Case("run-no-name", f"{RUN} {{d}}/suite.yaml", "name", {"suite.yaml": suite(OK_CASE, head="")}),
    Case("run-suite-is-a-list", f"{RUN} {{d}}/suite.yaml", "suite.yaml", {"suite.yaml": "- id: c1\n  input: hi\n"}),
    Case("run-suite-not-utf8", f"{RUN} {{d}}/suite.yaml", "suite.yaml", {"suite.yaml": suite(OK_CASE, "name: 시험\n").encode("cp949")}),
    Case("run-suite-missing", f"{RUN} {{d}}/nope.yaml", "nope.yaml"),
    Case("run-suite-empty", f"{RUN} {{d}}/suite.yaml", "suite.yaml", {"suite.yaml": ""}),
    Case("run-cases-file-missing", f"{RUN} {{d}}/suite.yaml", "rows.csv",
         {"suite.yaml": suite("- file: rows.csv\n  id: 'r-{_row}'\n  input: '{q}'\n  assert: [{type: contains, value: x}]\n")}),
    Case("run-cases-file-broken-csv", f"{RUN} {{d}}/suite.yaml", "rows.csv:3",
         {"suite.yaml": suite("- file: rows.csv\n  id: 'r-{_row}'\n  input: '{q}'\n  assert: [{type: contains, value: x}]\n"),
          "rows.csv": 'q\nfine\n"unclosed\n'}),
    Case("run-cases-file-missing-column", f"{RUN} {{d}}/suite.yaml", "rows.csv:2",
         {"suite.yaml": suite("- file: rows.csv\n  id: 'r-{_row}'\n  input: '{question}'\n  assert: [{type: contains, value: x}]\n"),
          "rows.csv": "q\nfine\n"}),
    Case("run-length-min-over-max", f"{RUN} {{d}}/suite.yaml", "c1",
         {"suite.yaml": suite("- id: c1\n  input: hi\n  assert:\n    - type: length\n      min: 50\n      max: 5\n")}),
    Case("run-json-schema-not-a-schema", f"{RUN} {{d}}/suite.yaml", "c1",
         {"suite.yaml": suite("- id: c1\n  input: hi\n  assert:\n    - type: json-schema\n      value: {type: 7}\n")}),
    Case("run-python-without-allow-code", f"{RUN} {{d}}/suite.yaml", "--allow-code",
         {"suite.yaml": suite("- id: c1\n  input: hi\n  assert:\n    - type: python\n      value: 'output == \"x\"'\n")}),
    # -- evalkit run: options (defect 5) and outputs -----------------------------------------------------------------
    Case("run-limit-negative", f"{RUN} {{d}}/suite.yaml --limit -1", "--limit", {"suite.yaml": suite(OK_CASE)}, defect=5),
    Case("run-limit-zero", f"{RUN} {{d}}/suite.yaml --limit 0", "--limit", {"suite.yaml": suite(OK_CASE)}, defect=5),
    Case("run-timeout-negative", f"{RUN} {{d}}/suite.yaml --timeout -3", "--timeout", {"suite.yaml": suite(OK_CASE)}, defect=5),
    Case("run-batch-size-zero", f"{RUN} {{d}}/suite.yaml --batch-size 0", "--batch-size", {"suite.yaml": suite(OK_CASE)}, defect=5),
    Case("run-alpha-over-1", f"{RUN} {{d}}/suite.yaml --alpha 1.5", "--alpha", {"suite.yaml": suite(OK_CASE)}, defect=5),
    Case("run-model-missing", "evalkit run --quiet --model {d}/nomodel {d}/suite.yaml", "nomodel", {"suite.yaml": suite(OK_CASE)}),
    Case("run-unknown-baseline", f"{RUN} {{d}}/suite.yaml --baseline nope", "nope", {"suite.yaml": suite(OK_CASE)}),
    Case("run-train-missing", f"{RUN} {{d}}/suite.yaml --train {{d}}/nope.jsonl", "nope.jsonl", {"suite.yaml": suite(OK_CASE)}),
    Case("run-train-malformed", f"{RUN} {{d}}/suite.yaml --train {{d}}/bad.jsonl", "bad.jsonl:2",
         {"suite.yaml": suite(OK_CASE), "bad.jsonl": MALFORMED}),
    Case("run-json-out-in-proc", f"{RUN} {{d}}/suite.yaml --json /proc/x/r.json", "/proc/x", {"suite.yaml": suite(OK_CASE)}),
    Case("run-junit-out-is-a-folder", f"{RUN} {{d}}/suite.yaml --junit {{d}}/reports", "reports",
         {"suite.yaml": suite(OK_CASE), "reports/": ""}),
    Case("run-markdown-out-under-a-file", f"{RUN} {{d}}/suite.yaml --markdown {{d}}/taken/r.md", "taken",
         {"suite.yaml": suite(OK_CASE), "taken": "keep me\n"}),
    # -- evalkit compare ---------------------------------------------------------------------------------------------
    Case("compare-unknown-runs", "evalkit compare nope nada", "nope"),
    Case("compare-alpha-negative", "evalkit compare nope nada --alpha -1", "--alpha"),
    # -- evalkit run --repeats / --gate, power, history (issue 21) -----------------------------------------------------
    Case("run-repeats-zero", f"{RUN} {{d}}/suite.yaml --repeats 0", "--repeats", {"suite.yaml": suite(OK_CASE)}),
    Case("run-temperature-negative", f"{RUN} {{d}}/suite.yaml --temperature -1", "--temperature", {"suite.yaml": suite(OK_CASE)}),
    Case("run-gate-unknown-tag", f"{RUN} {{d}}/suite.yaml --gate", "gate.tags[0]",
         {"suite.yaml": suite(OK_CASE, head="name: bad\ngate: {tags: [nope]}\n")}),
    Case("run-gate-alpha-out-of-range", f"{RUN} {{d}}/suite.yaml --gate", "gate.alpha",
         {"suite.yaml": suite(OK_CASE, head="name: bad\ngate: {alpha: 5}\n")}),
    Case("power-no-baseline", "evalkit power {d}/suite.yaml", "--baseline-rate", {"suite.yaml": suite(OK_CASE)}),
    Case("power-rate-over-1", "evalkit power {d}/suite.yaml --baseline-rate 1.2", "--baseline-rate", {"suite.yaml": suite(OK_CASE)}),
    Case("power-drop-zero", "evalkit power {d}/suite.yaml --baseline-rate 0.8 --drop 0", "--drop", {"suite.yaml": suite(OK_CASE)}),
    Case("power-unknown-baseline-run", "evalkit power {d}/suite.yaml --baseline nope", "nope", {"suite.yaml": suite(OK_CASE)}),
    Case("history-no-runs", "evalkit history nothing-ran", "nothing-ran"),
    Case("history-json-out-in-proc", "evalkit history nothing-ran --json /proc/x/h.json", "/proc/x"),
    # -- evalkit ratings ---------------------------------------------------------------------------------------------
    Case("ratings-unknown-winner", "evalkit ratings {d}/battles.csv", "battles.csv:3", {"battles.csv": BATTLES.replace("model_b\n", "wat\n")}),
    Case("ratings-unknown-winner-proc", "evalkit ratings {d}/battles.csv", "battles.csv:3",
         {"battles.csv": BATTLES.replace("model_b\n", "wat\n")}, proc=True),
    Case("ratings-self-battle", "evalkit ratings {d}/battles.csv", "battles.csv:2", {"battles.csv": BATTLES.replace("alpha,beta", "alpha,alpha")}),
    Case("ratings-missing-winner-column", "evalkit ratings {d}/battles.csv", "winner",
         {"battles.csv": "model_a,model_b\nalpha,beta\n"}),
    Case("ratings-empty-model-name", "evalkit ratings {d}/battles.csv", "battles.csv:2", {"battles.csv": BATTLES.replace("alpha,beta", ",beta")}),
    Case("ratings-empty-file", "evalkit ratings {d}/battles.csv", "battles.csv", {"battles.csv": ""}),
    Case("ratings-header-only", "evalkit ratings {d}/battles.csv", "battles.csv", {"battles.csv": "model_a,model_b,winner\n"}),
    Case("ratings-malformed-jsonl", "evalkit ratings {d}/battles.jsonl", "battles.jsonl:2",
         {"battles.jsonl": jsonl({"model_a": "a", "model_b": "b", "winner": "model_a"}, '{"model_a": "b", ')}),
    Case("ratings-parquet-is-text", "evalkit ratings {d}/b.parquet", "b.parquet", {"b.parquet": BATTLES}),
    Case("ratings-missing-file", "evalkit ratings {d}/nope.csv", "nope.csv"),
    Case("ratings-prior-negative", "evalkit ratings {d}/battles.csv --prior -1", "--prior", {"battles.csv": BATTLES}, defect=5),
    Case("ratings-bootstrap-negative", "evalkit ratings {d}/battles.csv --bootstrap -5", "--bootstrap", {"battles.csv": BATTLES}, defect=5),
    Case("ratings-k-negative", "evalkit ratings {d}/battles.csv --method elo --k -4", "--k", {"battles.csv": BATTLES}, defect=5),
    Case("ratings-anchor-syntax", "evalkit ratings {d}/battles.csv --anchor alpha", "--anchor", {"battles.csv": BATTLES}),
    Case("ratings-anchor-unknown-model", "evalkit ratings {d}/battles.csv --anchor zeta=1000", "zeta", {"battles.csv": BATTLES}),
    Case("ratings-disconnected", "evalkit ratings {d}/battles.csv", "--split-components",
         {"battles.csv": "model_a,model_b,winner\na,b,model_a\nb,a,tie\nc,d,model_b\nd,c,tie\n"}),
    Case("ratings-style-control-without-lengths", "evalkit ratings {d}/battles.csv --style-control", "len_a", {"battles.csv": BATTLES}),
    Case("ratings-json-out-in-proc", "evalkit ratings {d}/battles.csv --json /proc/x/r.json", "/proc/x", {"battles.csv": BATTLES}),
    Case("ratings-unknown-run", "evalkit ratings --run nope", "nope"),
    Case("ratings-ties-unknown", "evalkit ratings {d}/battles.csv --ties wat", "--ties", {"battles.csv": BATTLES}),
    Case("ratings-davidson-with-elo", "evalkit ratings {d}/battles.csv --method elo --ties davidson", "--method bt", {"battles.csv": BATTLES}),
    Case("ratings-against-missing-file", "evalkit ratings {d}/battles.csv --bootstrap 10 --against {d}/nope.csv", "nope.csv", {"battles.csv": BATTLES}),
    Case("ratings-against-no-rating-column", "evalkit ratings {d}/battles.csv --bootstrap 10 --against {d}/ref.csv", "rating",
         {"battles.csv": BATTLES, "ref.csv": "name,score\nalpha,1\n"}),
    Case("ratings-against-bad-rank", "evalkit ratings {d}/battles.csv --bootstrap 10 --against {d}/ref.csv", "ref.csv:3",
         {"battles.csv": BATTLES, "ref.csv": "model,rank\nalpha,1\nbeta,first\n"}),
    Case("ratings-against-without-bootstrap", "evalkit ratings {d}/battles.csv --against {d}/ref.csv", "--bootstrap",
         {"battles.csv": BATTLES, "ref.csv": "model,rank\nalpha,1\nbeta,2\n"}),
    Case("ratings-style-md-not-a-number", "evalkit ratings {d}/battles.csv --style-control", "battles.csv:3",
         {"battles.csv": "model_a,model_b,winner,len_a,len_b,md_bold_a,md_bold_b\nalpha,beta,model_a,1,2,0,1\nbeta,gamma,tie,3,4,x,1\n"}),
    # -- evalkit battles ---------------------------------------------------------------------------------------------
    Case("battles-import-unknown-winner", "evalkit battles import {d}/b.csv", "b.csv:3", {"b.csv": BATTLES.replace("model_b\n", "wat\n")}),
    Case("battles-import-self-play", "evalkit battles import {d}/b.csv", "b.csv:3", {"b.csv": BATTLES.replace("beta,gamma", "beta,beta")}),
    Case("battles-import-missing-file", "evalkit battles import {d}/nope.csv", "nope.csv"),
    Case("battles-import-bad-encoding", "evalkit battles import {d}/b.csv", "b.csv:2",
         {"b.csv": ("model_a,model_b,winner\n모델가,모델나,model_a\n").encode("cp949")}),
    Case("battles-export-out-in-proc", "evalkit battles export /proc/x/b.csv", "/proc/x"),
    # -- evalkit agree -----------------------------------------------------------------------------------------------
    Case("agree-mixed-scales", "evalkit agree {d}/mixed.csv", "mixed.csv:2",
         {"mixed.csv": "item_id,rater,rating\nq1,ann,7\nq2,ann,A\nq1,bob,6\nq2,bob,B\n"}),
    Case("agree-missing-column", "evalkit agree {d}/r.csv", "r.csv", {"r.csv": "item_id,rater\nq1,ann\nq1,bob\n"}, defect=10),
    Case("agree-rated-twice", "evalkit agree {d}/dup.csv", "dup.csv:3", {"dup.csv": AGREE.replace("q1,bob,A", "q1,ann,B")}),
    Case("agree-unknown-item", "evalkit agree {d}/r.csv --items {d}/ids.csv", "q2", {"r.csv": AGREE, "ids.csv": "item_id\nq1\n"}),
    Case("agree-bootstrap-negative", "evalkit agree {d}/r.csv --bootstrap -1", "--bootstrap", {"r.csv": AGREE}),
    Case("agree-json-out-in-proc", "evalkit agree {d}/r.csv --json /proc/x/a.json", "/proc/x", {"r.csv": AGREE}),
    Case("agree-empty-file", "evalkit agree {d}/empty.csv", "empty.csv", {"empty.csv": ""}),
    Case("agree-malformed-jsonl", "evalkit agree {d}/r.jsonl", "r.jsonl:2",
         {"r.jsonl": jsonl({"item_id": "q1", "rater": "ann", "rating": "A"}, '{"item_id": "q1", "rater": ')}),
    Case("agree-unknown-judge", "evalkit agree {d}/r.csv --judge nobody", "nobody", {"r.csv": AGREE}),
    Case("agree-one-rater", "evalkit agree {d}/r.csv", "one rater",
         {"r.csv": "item_id,rater,rating\nq1,ann,A\nq2,ann,B\n"}),
    Case("agree-gold-no-verdict", "evalkit agree {d}/r.csv --gold {d}/gold.csv", "gold.csv:3: gold item has no verdict (1 of 2",
         {"r.csv": AGREE, "gold.csv": "item_id,verdict\nq1,A\nq2,\n"}),
    Case("agree-gold-unknown-verdict", "evalkit agree {d}/r.csv --gold {d}/gold.csv", "gold.csv:2",
         {"r.csv": AGREE, "gold.csv": "item_id,verdict\nq1,maybe\n"}),
    Case("agree-consensus-unknown", "evalkit agree {d}/r.csv --consensus mean", "--consensus", {"r.csv": AGREE}),
    Case("agree-position-not-a-side", "evalkit agree {d}/r.csv --consensus majority", "r.csv:3: position 'up'",
         {"r.csv": "item_id,rater,rating,position\nq1,ann,A,left\nq1,bob,A,up\n"}),
    Case("agree-seconds-negative", "evalkit agree {d}/r.csv --consensus majority", "r.csv:2: seconds",
         {"r.csv": "item_id,rater,rating,seconds\nq1,ann,A,-3\nq1,bob,A,4\n"}),
    # -- evalkit ratings-import / ratings-export ---------------------------------------------------------------------
    Case("ratings-import-mtbench-self-play", "evalkit ratings-import {d}/mt.jsonl", "mt.jsonl:2",
         {"mt.jsonl": jsonl({**MTBENCH, "judge": "expert_1", "turn": 1},
                            {**MTBENCH, "model_b": "alpaca-13b", "judge": "expert_2", "turn": 1})}, defect=6),
    Case("ratings-import-unknown-winner", "evalkit ratings-import {d}/mt.jsonl", "mt.jsonl:1",
         {"mt.jsonl": jsonl({**MTBENCH, "winner": "left", "judge": "expert_1", "turn": 1})}),
    Case("ratings-import-missing-field", "evalkit ratings-import {d}/mt.jsonl", "mt.jsonl:2",
         {"mt.jsonl": jsonl({**MTBENCH, "judge": "expert_1"}, {**MTBENCH, "judge": ""})}),
    Case("ratings-import-unknown-columns", "evalkit ratings-import {d}/cols.csv", "cols.csv",
         {"cols.csv": "who,what\nann,A\n"}, defect=10),
    Case("ratings-import-bad-score", "evalkit ratings-import {d}/n.jsonl", "n.jsonl:1",
         {"n.jsonl": jsonl({"item_id": "q1", "rater": "ann", "score": "ten"})}),
    Case("ratings-import-bad-date", "evalkit ratings-import {d}/n.jsonl", "n.jsonl:1",
         {"n.jsonl": jsonl({"item_id": "q1", "rater": "ann", "score": 3, "created_at": "yesterday"})}),
    Case("ratings-import-bad-rater-kind", "evalkit ratings-import {d}/r.csv", "r.csv:2",
         {"r.csv": "item_id,rater,rating,rater_kind\nq1,ann,A,robot\n"}),
    Case("ratings-import-malformed-jsonl", "evalkit ratings-import {d}/r.jsonl", "r.jsonl:2",
         {"r.jsonl": jsonl({"item_id": "q1", "rater": "ann", "rating": "A"}, '{"item_id": "q2", "rater": "bob", "rating": "A"')}),
    Case("ratings-import-malformed-column", "evalkit ratings-import {d}/r.jsonl", "column 50",
         {"r.jsonl": '{"item_id": "q1", "rater": "ann", "rating": "A"} x\n'}, defect=10),
    Case("ratings-import-txt", "evalkit ratings-import {d}/r.txt", "r.txt", {"r.txt": AGREE}),
    Case("ratings-import-empty", "evalkit ratings-import {d}/r.csv", "r.csv", {"r.csv": ""}),
    Case("ratings-export-out-in-proc", "evalkit ratings-export /proc/x/r.jsonl", "/proc/x"),
    Case("ratings-export-unknown-suffix", "evalkit ratings-export {d}/r.txt", "r.txt"),
    # -- evalkit judge -----------------------------------------------------------------------------------------------
    Case("judge-repeats-at-temperature-0", JUDGE.replace("{model} human-reference", "{model} human-reference --repeats 3"), "--repeats 3",
         {"qa.csv": QA_CSV}),
    Case("judge-repeats-zero", JUDGE + " --repeats 0", "--repeats", {"qa.csv": QA_CSV}),
    Case("judge-pairs-missing-column", "evalkit judge --pairs {d}/pairs.jsonl --judge {model} --method logprob --max-new-tokens 4", "answer_b",
         {"pairs.jsonl": jsonl({"item_id": "i1", "question": "q?", "answer_a": "a"})}),
    Case("judge-pairs-malformed", "evalkit judge --pairs {d}/pairs.jsonl --judge {model} --method logprob --max-new-tokens 4", "pairs.jsonl:2",
         {"pairs.jsonl": jsonl({"item_id": "i1", "question": "q?", "answer_a": "a", "answer_b": "b"}, '{"item_id": ')}),
    Case("judge-data-empty", "evalkit judge --data {d}/qa.csv --models {model} human-reference --judge {model} --method logprob --max-new-tokens 4", "qa.csv",
         {"qa.csv": ""}),
    Case("judge-limit-negative", "evalkit judge --data {d}/qa.csv --models {model} human-reference --judge {model} --method logprob --max-new-tokens 4 --limit -1",
         "--limit", {"qa.csv": "Q,A\nWhat?,That.\n"}),
    Case("judge-three-temperatures", "evalkit judge --data {d}/qa.csv --models {model} {model} --temperature 0 1 2 --judge {model} --method logprob --max-new-tokens 4",
         "--temperature", {"qa.csv": "Q,A\nWhat?,That.\n"}),
    Case("judge-lang-file-missing", "evalkit judge --data {d}/qa.csv --models {model} human-reference --judge {model} --method logprob --max-new-tokens 4 --lang {d}/nope.yaml",
         "nope.yaml", {"qa.csv": "Q,A\nWhat?,That.\n"}),
    Case("judge-json-out-in-proc", "evalkit judge --data {d}/qa.csv --models {model} human-reference --judge {model} --method logprob --max-new-tokens 4 --json /proc/x/j.json",
         "/proc/x", {"qa.csv": "Q,A\nWhat?,That.\n"}),
    Case("judge-json-out-is-a-folder", f"{JUDGE} --json {{d}}/reports", "reports/judged.json", {"qa.csv": QA_CSV, "reports/": ""}),
    Case("judge-offset-negative", f"{JUDGE} --offset -2", "--offset", {"qa.csv": QA_CSV}),
    Case("judge-offset-past-the-end", f"{JUDGE} --offset 5", "--offset 5", {"qa.csv": QA_CSV}),
    Case("judge-max-new-tokens-zero", f"{JUDGE} --judge-max-new-tokens 0", "--judge-max-new-tokens", {"qa.csv": QA_CSV}),
    Case("judge-seed-negative", f"{JUDGE} --seed -1", "--seed", {"qa.csv": QA_CSV}),
    Case("judge-temperature-negative", f"{JUDGE} --temperature -0.5", "--temperature", {"qa.csv": QA_CSV}),
    Case("judge-judge-model-missing", "evalkit judge --data {d}/qa.csv --models {model} human-reference --judge {d}/nojudge --max-new-tokens 4",
         "nojudge", {"qa.csv": QA_CSV}),
    Case("judge-from-run-unknown", f"{JUDGE} --from-run nope", "nope", {"qa.csv": QA_CSV}),
    Case("judge-lang-bad-yaml", f"{JUDGE} --lang {{d}}/p.yaml", "p.yaml:2", {"qa.csv": QA_CSV, "p.yaml": "pairwise:\n  system: a: b\n"}),
    Case("judge-lang-unknown-placeholder", f"{JUDGE} --lang {{d}}/p.yaml", "pairwise.user",
         {"qa.csv": QA_CSV, "p.yaml": JUDGE_PROMPTS.replace("{answer_a}", "{answr_a}")}),
    Case("judge-lang-not-a-mapping", f"{JUDGE} --lang {{d}}/p.yaml", "p.yaml", {"qa.csv": QA_CSV, "p.yaml": "- en\n"}),
    Case("judge-pairs-with-models", "evalkit judge --pairs {d}/pairs.jsonl --models {model} {model} --judge {model} --method logprob",
         "--models", {"pairs.jsonl": jsonl({"item_id": "i1", "question": "q?", "answer_a": "a", "answer_b": "b"})}),
    # -- evalkit tournament ------------------------------------------------------------------------------------------
    Case("tournament-one-contestant", "evalkit tournament --models {model} --suite {d}/p.csv --judge reference", "--models",
         {"p.csv": PROMPTS_CSV}),
    Case("tournament-duplicate-names", "evalkit tournament --models a={model} a={model}@temperature=1 --suite {d}/p.csv --judge reference",
         "'a'", {"p.csv": PROMPTS_CSV}),
    Case("tournament-unknown-setting", "evalkit tournament --models {model} hot={model}@tempurature=1 --suite {d}/p.csv --judge reference",
         "tempurature", {"p.csv": PROMPTS_CSV}),
    Case("tournament-suite-missing", "evalkit tournament --models {model} b={model}@temperature=1 --suite {d}/nope.yaml --judge reference",
         "nope.yaml"),
    Case("tournament-no-question-column", "evalkit tournament --models {model} b={model}@temperature=1 --suite {d}/p.csv --judge reference",
         "p.csv", {"p.csv": "id,text\np1,hello\n"}),
    Case("tournament-duplicate-prompt-ids", "evalkit tournament --models {model} b={model}@temperature=1 --suite {d}/p.csv --judge reference",
         "p1", {"p.csv": PROMPTS_CSV.replace("p2", "p1")}),
    Case("tournament-rounds-negative", "evalkit tournament --models {model} b={model}@temperature=1 --suite {d}/p.csv --judge reference --rounds -1",
         "--rounds", {"p.csv": PROMPTS_CSV}),
    Case("tournament-target-ci-negative", "evalkit tournament --models {model} b={model}@temperature=1 --suite {d}/p.csv --judge reference --adaptive --target-ci -5",
         "--target-ci", {"p.csv": PROMPTS_CSV}),
    Case("tournament-budget-zero", "evalkit tournament --models {model} b={model}@temperature=1 --suite {d}/p.csv --judge reference --budget 0",
         "--budget", {"p.csv": PROMPTS_CSV}),
    # -- evalkit store and generate ----------------------------------------------------------------------------------
    Case("store-not-a-database", "evalkit store runs --store {d}/notes.db", "notes.db", {"notes.db": "plain text, not SQLite\n" * 40}),
    Case("store-unknown-driver", "evalkit store runs --store nosuchdb://host/x", "nosuchdb"),
    Case("store-unknown-action", "evalkit store vacuum", "vacuum"),
    Case("generate-max-new-tokens-negative", "evalkit generate --model {model} --max-new-tokens -1 hello", "--max-new-tokens"),
    Case("generate-temperature-negative", "evalkit generate --model {model} --temperature -1 hello", "--temperature"),
    Case("generate-top-p-zero", "evalkit generate --model {model} --top-p 0 hello", "--top-p"),
    Case("generate-top-p-over-1", "evalkit generate --model {model} --top-p 1.5 hello", "--top-p"),
    Case("generate-seed-negative", "evalkit generate --model {model} --seed -3 hello", "--seed"),
    Case("generate-max-new-tokens-nan", "evalkit generate --model {model} --max-new-tokens nan hello", "--max-new-tokens"),
    Case("generate-record-store-not-a-database", "evalkit generate --model {model} --record --store {d}/notes.db hello", "notes.db",
         {"notes.db": "plain text, not SQLite\n" * 40}),
    Case("serve-port-negative", "evalkit serve {model} --port -1", "--port"),
    # -- finetune train: the config (defect 2) -----------------------------------------------------------------------
    Case("train-lr-negative", f"{TRAIN} {{d}}/train.yaml", "train.yaml:1", {"qa.jsonl": GOOD, "train.yaml": "lr: -1.0e-4\n"}, defect=2),
    Case("train-lr-negative-proc", f"{TRAIN} {{d}}/train.yaml", "train.yaml:1", {"qa.jsonl": GOOD, "train.yaml": "lr: -1.0e-4\n"},
         defect=2, proc=True),
    Case("train-epochs-zero", "finetune train --model {model} --data {d}/qa.jsonl --out {d}/ft --no-progress --no-audit {d}/train.yaml",
         "epochs", {"qa.jsonl": GOOD, "train.yaml": "epochs: 0\n"}, defect=2),
    Case("train-unknown-key", f"{TRAIN} {{d}}/train.yaml", "lerning_rate", {"qa.jsonl": GOOD, "train.yaml": "lerning_rate: 1e-4\n"}),
    Case("train-lr-not-a-number", f"{TRAIN} --lr fast", "lr", {"qa.jsonl": GOOD}),
    Case("train-bad-yaml", f"{TRAIN} {{d}}/train.yaml", "train.yaml:2", {"qa.jsonl": GOOD, "train.yaml": "lr: 1e-4\nmethod: a: b\nepochs: 1\n"}),
    Case("train-not-a-mapping", f"{TRAIN} {{d}}/train.yaml", "train.yaml", {"qa.jsonl": GOOD, "train.yaml": "- lr: 1e-4\n"}),
    Case("train-config-missing", f"{TRAIN} {{d}}/nope.yaml", "nope.yaml", {"qa.jsonl": GOOD}),
    Case("train-unknown-method", f"{TRAIN} --method qlora2", "method", {"qa.jsonl": GOOD}),
    Case("train-batch-size-zero", f"{TRAIN} --batch-size 0", "batch_size", {"qa.jsonl": GOOD}, defect=2),
    Case("train-eval-split-over-1", f"{TRAIN} {{d}}/train.yaml", "train.yaml:1", {"qa.jsonl": GOOD, "train.yaml": "eval_split: 1.5\n"}, defect=2),
    Case("train-lora-r-zero", f"{TRAIN} --lora-r 0", "lora_r", {"qa.jsonl": GOOD}, defect=2),
    Case("train-max-length-zero", f"{TRAIN} --set max_length=0", "max_length", {"qa.jsonl": GOOD}, defect=2),
    Case("train-warmup-negative", f"{TRAIN} --warmup -1", "warmup", {"qa.jsonl": GOOD}, defect=2),
    Case("train-lr-nan", f"{TRAIN} --lr nan", "lr", {"qa.jsonl": GOOD}, defect=2),
    Case("train-set-syntax", f"{TRAIN} --set lr", "--set", {"qa.jsonl": GOOD}),
    Case("train-data-missing", "finetune train --model {model} --data {d}/nope.jsonl --out {d}/ft --no-progress --no-audit", "nope.jsonl"),
    Case("train-data-malformed", "finetune train --model {model} --data {d}/bad.jsonl --out {d}/ft --no-progress --no-audit",
         "bad.jsonl:2", {"bad.jsonl": MALFORMED}),
    Case("train-no-data", "finetune train --model {model} --out {d}/ft --no-progress --no-audit", "data"),
    Case("train-fields-unknown-column", f"{TRAIN} --fields '{{{{question: Q, answer: A}}}}'", "qa.jsonl", {"qa.jsonl": GOOD}),
    Case("train-audit-gate-unknown", "finetune train --model {model} --data {d}/qa.jsonl --out {d}/ft --no-progress --audit-gates dupes>1",
         "dupes", {"qa.jsonl": GOOD}),
    Case("train-out-in-proc", "finetune train --model {model} --data {d}/qa.jsonl --out /proc/x --no-progress --no-audit --max-steps 1",
         "/proc/x", {"qa.jsonl": GOOD}),
    Case("train-out-is-a-file", "finetune train --model {model} --data {d}/qa.jsonl --out {d}/taken --no-progress --no-audit --max-steps 1",
         "taken", {"qa.jsonl": GOOD, "taken": "keep me\n"}),
    Case("train-eval-data-malformed", f"{TRAIN} --eval-data {{d}}/bad.jsonl", "bad.jsonl:2", {"qa.jsonl": GOOD, "bad.jsonl": MALFORMED}),
    # -- finetune plan, merge, generate ------------------------------------------------------------------------------
    Case("plan-params-unparseable", "finetune plan --params 7X", "7X"),
    Case("plan-params-negative", "finetune plan --params=-7B", "-7B"),
    Case("plan-gpu-mem-negative", "finetune plan --params 7B --gpu-mem=-16GB", "-16GB"),
    Case("plan-seq-len-zero", "finetune plan --params 7B --seq-len 0", "--seq-len"),
    Case("plan-batch-negative", "finetune plan --params 7B --batch -2", "--batch"),
    Case("plan-model-missing", "finetune plan --model {d}/nomodel", "nomodel"),
    Case("merge-adapter-missing", "finetune merge {d}/noadapter --out {d}/merged", "noadapter"),
    Case("merge-not-an-adapter", "finetune merge {model} --out {d}/merged", "adapter"),
    Case("merge-out-is-a-file", "finetune merge {adapter} --out {d}/taken", "taken", {"taken": "keep me\n"}),
    Case("merge-out-in-proc", "finetune merge {adapter} --out /proc/x/merged", "/proc/x"),
    Case("merge-base-missing", "finetune merge {adapter} --base {d}/nobase --out {d}/merged", "nobase"),
    Case("finetune-generate-bad-template", "finetune generate --model {model} --template '{{nope}}' hello", "{prompt}"),
    Case("finetune-generate-model-missing", "finetune generate --model {d}/nomodel hello", "nomodel"),
    Case("finetune-generate-max-new-tokens-zero", "finetune generate --model {model} --max-new-tokens 0 hi", "--max-new-tokens"),
    Case("finetune-generate-temperature-negative", "finetune generate --model {model} --temperature -0.5 hi", "--temperature"),
    Case("finetune-generate-seed-negative", "finetune generate --model {model} --seed -1 hi", "--seed"),
    Case("plan-params-zero", "finetune plan --params 0", "--params"),
    Case("plan-gpu-mem-zero", "finetune plan --params 7B --gpu-mem 0GB", "--gpu-mem"),
    Case("plan-seq-len-not-a-number", "finetune plan --params 7B --seq-len long", "--seq-len"),
    Case("merge-out-holds-other-files", "finetune merge {adapter} --out {d}/mine", "notes.txt", {"mine/notes.txt": "mine\n"}),
    Case("merge-out-is-the-base", "finetune merge {model}+{adapter} --out {model}", "folder itself"),
    Case("train-out-in-yaml-is-a-file", "finetune train --model {model} --data {d}/qa.jsonl --no-progress --no-audit {d}/train.yaml", "train.yaml:1",
         {"qa.jsonl": GOOD, "taken": "keep me\n", "train.yaml": "out: taken\n"}, defect=2),
    Case("train-save-every-zero-flag", f"{TRAIN} --save-every 0", "--save-every", {"qa.jsonl": GOOD}),
    Case("train-max-steps-zero-flag", "finetune train --model {model} --data {d}/qa.jsonl --out {d}/ft --no-audit --max-steps 0",
         "--max-steps", {"qa.jsonl": GOOD}),
    Case("train-fields-unknown-role", f"{TRAIN} --fields '{{{{questionz: question}}}}'", "questionz", {"qa.jsonl": GOOD}),
    # -- curate select, audit's trainability check (issue 22) ------------------------------------------------------
    Case("select-keep-zero", "curate select {d}/qa.jsonl --keep 0 --by quality --out {d}/sel", "--keep", {"qa.jsonl": GOOD}),
    Case("select-keep-over-1-not-whole", "curate select {d}/qa.jsonl --keep 1.5 --by quality --out {d}/sel", "--keep 1.5", {"qa.jsonl": GOOD}),
    Case("select-keep-larger-than-set", "curate select {d}/qa.jsonl --keep 50 --by quality --out {d}/sel", "larger than the set", {"qa.jsonl": GOOD}),
    Case("select-by-unknown", "curate select {d}/qa.jsonl --keep 0.5 --by random --out {d}/sel", "--by", {"qa.jsonl": GOOD}),
    Case("select-template-no-placeholder", "curate select {d}/qa.jsonl --keep 0.5 --by ifd --out {d}/sel --model {model} --template nope",
         "{prompt}", {"qa.jsonl": GOOD}),
    Case("audit-template-without-model", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --template chat", "--model", {"qa.jsonl": GOOD}),
    Case("audit-fail-on-untrainable-without-model", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --fail-on untrainable>0", "untrainable",
         {"qa.jsonl": GOOD}),
    Case("audit-finetune-config-missing", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --finetune-config {{d}}/nope.yaml", "nope.yaml",
         {"qa.jsonl": GOOD}),
    Case("audit-finetune-config-no-model", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --finetune-config {{d}}/t.yaml", "model",
         {"qa.jsonl": GOOD, "t.yaml": "data: qa.jsonl\n"}),
    Case("audit-finetune-config-bad-length", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --finetune-config {{d}}/t.yaml", "max_length",
         {"qa.jsonl": GOOD, "t.yaml": "model: default\nmax_length: 0\n"}),
    # -- curate audit --semantic (issue 24): checked before a record is read or a model loaded -----------------------
    Case("audit-semantic-threshold-zero", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --semantic-threshold 0", "--semantic-threshold", {"qa.jsonl": GOOD}),
    Case("audit-semantic-threshold-above-one", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --semantic --semantic-threshold 1.5", "--semantic-threshold", {"qa.jsonl": GOOD}),
    Case("audit-semantic-unknown-model", f"{AUDIT} {{d}}/qa.jsonl --out {{d}}/out --semantic --semantic-model e5-huge", "--semantic-model", {"qa.jsonl": GOOD}),
]
# fmt: on


def test_the_corpus_is_large_and_its_ids_unique():
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)
    commands = {tuple(shlex.split(c.argv)[:2]) for c in CASES}
    for command in [("curate", "audit"), ("curate", "clean"), ("evalkit", "run"), ("evalkit", "ratings-import")]:
        assert command in commands
    for cli in ("finetune",):
        assert {"train", "plan", "merge", "generate"} <= {sub for top, sub in commands if top == cli}


# -- the check ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def store_template(tmp_path_factory) -> Path:
    """An empty results store, migrated once; each case gets a copy."""
    from workbench.store import open_store

    path = tmp_path_factory.mktemp("bad-input-store") / "store.db"
    open_store(path).dispose()
    return path


@pytest.fixture(scope="session")
def tiny_adapter_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """A LoRA adapter on the tiny model, saved as a training run saves one."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    out = tmp_path_factory.mktemp("tiny-adapter")
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"])).save_pretrained(out)
    return out


def _lay_out(d: Path, files: dict) -> None:
    for name, content in files.items():
        path = d / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            path.mkdir(exist_ok=True)
        elif callable(content):
            content(path)
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def _snapshot(d: Path) -> dict[str, str]:
    """Every file and folder under `d` (the store aside) with its content's hash."""
    seen = {}
    for p in sorted(d.rglob("*")):
        rel = p.relative_to(d).as_posix()
        if rel.startswith("store.db"):
            continue
        seen[rel] = "folder" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return seen


def _store_rows(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables if t != "alembic_version"}
    finally:
        con.close()


def _in_process(argv: list[str], capsys) -> tuple[int, str, str]:
    """main(argv) of the command's CLI; an exception escaping it is what a user would see as a traceback."""
    main = importlib.import_module(MAINS[argv[0]]).main
    escaped = ""
    try:
        code = main(argv[1:])
    except SystemExit as e:  # argparse's usage errors
        code = e.code if isinstance(e.code, int) else 1
    except Exception:  # noqa: BLE001 - the point is to see any of them
        code, escaped = 1, traceback.format_exc()
    out, err = capsys.readouterr()
    return code, out, err + escaped


def _subprocess(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """The console script, as users run it."""
    script = Path(sys.executable).with_name(argv[0])
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", argv[0]]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(cmd + argv[1:], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_exits_2_names_the_place_and_writes_nothing(
    case, tmp_path, store_template, request, capsys, monkeypatch
):
    d = tmp_path / "case"
    d.mkdir()
    _lay_out(d, case.files)
    shutil.copy(store_template, d / "store.db")
    model = request.getfixturevalue("tiny_model_dir") if "{model}" in case.argv else None
    adapter = request.getfixturevalue("tiny_adapter_dir") if "{adapter}" in case.argv else None
    argv = shlex.split(case.argv.format(d=d, model=model, adapter=adapter))
    monkeypatch.chdir(d)
    monkeypatch.setenv("WORKBENCH_STORE", str(d / "store.db"))
    files, rows = _snapshot(d), _store_rows(d / "store.db")

    code, out, err = _subprocess(argv, d) if case.proc else _in_process(argv, capsys)

    problems = []
    if code != 2:
        problems.append(f"exit code {code}, expected 2")
    if "Traceback" in err or "Traceback" in out:
        problems.append("a traceback was printed")
    if case.names not in err:
        problems.append(f"stderr does not name {case.names!r}")
    after = _snapshot(d)
    if after != files:
        changed = sorted(k for k in set(files) | set(after) if files.get(k) != after.get(k))
        problems.append(f"files written or changed: {changed[:8]}")
    if _store_rows(d / "store.db") != rows:
        problems.append(f"store rows changed: {rows} -> {_store_rows(d / 'store.db')}")
    defect = f" (issue 16, defect {case.defect})" if case.defect else ""
    assert not problems, f"{case.id}{defect}: {'; '.join(problems)}\n--- stderr:\n{err[-2500:]}"
