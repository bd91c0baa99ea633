"""`curate audit` and `curate clean` as a user runs them: output, exit codes, no partial output on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from curate.cli import main

REPO = Path(__file__).resolve().parents[2]
KO = REPO / "data/korean-instruct/ko_instruct.jsonl"


@pytest.fixture()
def store_path(tmp_path):
    return str(tmp_path / "store.db")


def test_help_lists_commands_and_exit_codes():
    r = subprocess.run([sys.executable, "-m", "curate", "--help"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0
    assert "audit" in r.stdout and "clean" in r.stdout and "3  a gate failed" in r.stdout


def test_audit_prints_summary_and_report_path(tmp_path, capsys, store_path):
    out = tmp_path / "audit"
    code = main(["audit", str(KO), "--out", str(out), "--store", store_path, "--quiet", "--skip", "diversity"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "quality" in printed and "real vs generated" in printed and "amount" in printed
    assert f"report: {out.resolve() / 'report.html'}" in printed.replace("\n", "")
    assert "recorded run" in printed
    from workbench.store import open_store

    runs = open_store(store_path).runs(kind="audit")
    assert len(runs) == 1 and runs[0]["summary"]["records"] == 70


def test_fail_on_exits_3_and_names_the_gate(tmp_path, capsys):
    code = main(
        [
            "audit",
            str(KO),
            "--out",
            str(tmp_path / "a"),
            "--no-record",
            "--quiet",
            "--skip",
            "near,diversity",
            "--fail-on",
            "pii_count>0,dup_rate>0.5",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 3
    assert "gate failed: pii_count = 2 (> 0)" in captured.err
    assert json.loads(captured.out)["failed_gates"] == ["pii_count = 2 (> 0)"]


def test_bad_gate_fails_before_any_work(tmp_path, capsys):
    out = tmp_path / "a"
    code = main(["audit", str(KO), "--out", str(out), "--no-record", "--fail-on", "dupes>1"])
    assert code == 2 and not out.exists()
    code = main(["audit", str(KO), "--out", str(out), "--no-record", "--fail-on", "dup_rate=>1"])
    assert code == 2 and "cannot read" in capsys.readouterr().err and not out.exists()


def test_bad_input_exit_2_names_file_line_and_leaves_nothing(tmp_path, capsys):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"question": "q", "answer": "a"}\n{"question": "q2", "answer": "a2"\n', encoding="utf-8")
    out = tmp_path / "out"
    code = main(["audit", str(data), "--out", str(out), "--no-record", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: {data}:2: malformed JSON" in err and "--skip-bad" in err
    assert not out.exists()


def test_unknown_field_lists_fields(tmp_path, capsys):
    code = main(["audit", str(KO), "--fields", "question=Frage", "--out", str(tmp_path / "o"), "--no-record"])
    err = capsys.readouterr().err
    assert code == 2 and "question, answer, category" in err


def test_empty_file_exit_2(tmp_path, capsys):
    data = tmp_path / "empty.csv"
    data.write_text("", encoding="utf-8")
    assert main(["audit", str(data), "--out", str(tmp_path / "o"), "--no-record"]) == 2
    assert "empty" in capsys.readouterr().err


def test_skip_bad_counts(tmp_path, capsys):
    data = tmp_path / "some_bad.jsonl"
    data.write_text(
        '{"question": "q", "answer": "Fine."}\n{nope}\n{"question": "q3", "answer": "Also fine."}\n', encoding="utf-8"
    )
    code = main(
        [
            "audit",
            str(data),
            "--skip-bad",
            "--out",
            str(tmp_path / "o"),
            "--no-record",
            "--quiet",
            "--skip",
            "near,diversity",
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert code == 0 and summary["records"] == 2 and summary["skipped_rows"] == 1


def test_clean_command(tmp_path, capsys):
    out = tmp_path / "clean.jsonl"
    code = main(["clean", str(KO), "--recipe", str(REPO / "curate/recipes/default.yaml"), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "kept 66 of 70 records" in printed and "truncated" in printed
    assert len(out.read_text("utf-8").splitlines()) == 66


def test_clean_missing_recipe(tmp_path, capsys):
    code = main(["clean", str(KO), "--recipe", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "c.jsonl")])
    assert code == 2 and "no such recipe" in capsys.readouterr().err
