"""Bad input and faults in `curate` (issue 16): output locations, recipe keys and numbers are checked before a record
is read (exit 2, the path or key named, a fix, nothing written); the audit's three outputs are replaced as one set,
and a failed or killed audit leaves no temp folder behind; reader messages name the file, the line and the encoding
they detected."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.synth import make_records

import curate.report
from curate.cli import main
from curate.pipeline import audit

REPO = Path(__file__).resolve().parents[2]
KO = REPO / "data/korean-instruct/ko_instruct.jsonl"
RECIPE = REPO / "curate/recipes/default.yaml"


def _error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.fixture()
def broken(tmp_path) -> Path:
    """A dataset whose line 2 is malformed: an error naming it means a record was read before the check."""
    p = tmp_path / "broken.jsonl"
    p.write_text('{"question": "q", "answer": "a"}\n{"question": \n', encoding="utf-8")
    return p


def _temps(folder: Path) -> list[str]:
    """Temp folders or files beside/inside an output: atomic's `.NAME.PID.XXXX.tmp|old` and the old `.curate-*`."""
    return sorted(
        n for n in os.listdir(folder) if n.startswith(".") and (n.endswith((".tmp", ".old")) or "curate-" in n)
    )


# -- 1. output locations, before any work -------------------------------------------------------------------------------
def test_audit_out_under_proc_is_refused_before_reading(broken, capsys):
    assert main(["audit", str(broken), "--out", "/proc/x", "--no-record", "--quiet"]) == 2
    err = _error(capsys)
    assert "--out /proc/x: cannot write in /proc" in err and "hint: choose a folder" in err
    assert "broken.jsonl:2" not in err


def test_audit_out_naming_a_file_is_refused(broken, tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    assert main(["audit", str(broken), "--out", str(target), "--no-record", "--quiet"]) == 2
    err = _error(capsys)
    assert f"--out {target}: is a file, but this output is a folder" in err and "hint:" in err
    assert target.read_text() == "keep me"


def test_audit_out_folder_with_other_files_is_refused_and_left_alone(broken, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("do not replace")
    assert main(["audit", str(broken), "--out", str(out), "--no-record", "--quiet"]) == 2
    err = _error(capsys)
    assert "holds files this command did not write (thesis.tex)" in err and "new or empty folder" in err
    assert os.listdir(out) == ["thesis.tex"]


@pytest.mark.parametrize(
    ("out", "expect"),
    [
        ("/proc/x/c.jsonl", "--out /proc/x/c.jsonl: cannot write in /proc"),
        ("{tmp}/existing", "--out {tmp}/existing: is a folder, but a file name is needed here"),
        ("{tmp}/new/", "--out {tmp}/new/: is a folder, but a file name is needed here"),
        ("{tmp}/afile/c.jsonl", "afile is a file, so no folder can be made under it"),
        ("{data}", "would overwrite the input"),
    ],
)
def test_clean_bad_out_is_refused_before_reading(broken, tmp_path, capsys, out, expect):
    (tmp_path / "existing").mkdir()
    (tmp_path / "afile").write_text("x")
    fill = {"tmp": str(tmp_path), "data": str(broken)}
    before = sorted(os.listdir(tmp_path))
    code = main(["clean", str(broken), "--recipe", str(RECIPE), "--out", out.format(**fill)])
    assert code == 2
    err = _error(capsys)
    assert expect.format(**fill) in err and "hint:" in err
    assert "broken.jsonl:2" not in err
    assert sorted(os.listdir(tmp_path)) == before  # nothing written, not even a folder


# -- 2. one recipe validation for audit and clean ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "expect"),
    [
        ("foo: 1\n", "unknown key(s) ['foo']"),
        ("dedupe: {keep: first}\n", "unknown key(s) ['dedupe']"),
        ("contamination: {tset: x.csv}\n", "unknown key(s) in `contamination` ['tset']"),
        ("near: {threshold: 2}\n", "threshold (curate audit --near-threshold): 2 is not a Jaccard similarity"),
        ("contamination: {n: 0}\n", "contamination.n 0 is not a whole number >= 1"),
    ],
)
def test_audit_and_clean_reject_a_recipe_alike(tmp_path, broken, capsys, extra, expect):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("signals: [truncated]\n" + extra, encoding="utf-8")
    assert main(["audit", str(broken), "--recipe", str(recipe), "--out", str(tmp_path / "a"), "--no-record"]) == 2
    audit_err = _error(capsys)
    assert main(["clean", str(broken), "--recipe", str(recipe), "--out", str(tmp_path / "c.jsonl")]) == 2
    clean_err = _error(capsys)
    assert audit_err == clean_err  # the same schema, the same message
    assert f"error: {recipe}: " in audit_err and expect in audit_err
    assert sorted(os.listdir(tmp_path)) == ["broken.jsonl", "r.yaml"]


@pytest.mark.parametrize(
    ("signals", "expect"),
    [
        ("[{truncated: {min_words: -1}}]", "signal 'truncated': min_words -1 is not a number >= 0"),
        (
            "[{symbol_soup: {min_alnum_share: 1.5}}]",
            "signal 'symbol_soup': min_alnum_share 1.5 is not a share in [0, 1]",
        ),
        ("[{llm_boilerplate: {filler: maybe}}]", "signal 'llm_boilerplate': filler 'maybe' is not true or false"),
        ("truncated", "`signals` must be a list of signal specs"),
    ],
)
def test_signal_settings_are_range_checked_before_reading(tmp_path, broken, capsys, signals, expect):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"signals: {signals}\n", encoding="utf-8")
    assert main(["clean", str(broken), "--recipe", str(recipe), "--out", str(tmp_path / "c.jsonl")]) == 2
    err = _error(capsys)
    assert f"error: {recipe}: " in err and expect in err and "broken.jsonl:2" not in err


def test_unknown_recipe_key_lists_the_valid_ones_and_the_docs_page(tmp_path, broken, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("dedupe: {}\n", encoding="utf-8")
    assert main(["audit", str(broken), "--recipe", str(recipe), "--out", str(tmp_path / "a"), "--no-record"]) == 2
    err = _error(capsys)
    assert "recipe keys: contamination, dedup, description, name, near, pii, review_below, signals" in err
    assert "docs/curate.md" in err and (REPO / "mkdocs.yml").read_text().count("curate.md")


# -- numbers, before any work ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--near-threshold", "1.5"], "--near-threshold): 1.5 is not a Jaccard similarity in (0, 1]"),
        (["--near-threshold", "0"], "--near-threshold): 0.0 is not a Jaccard similarity in (0, 1]"),
        (["--shingle", "0"], "--shingle): 0 is not a whole number >= 1"),
        (["--num-perm", "0"], "--num-perm): 0 is not a whole number >= 1"),
        (["--ngram", "0"], "--ngram (ngram): 0 is not a whole number >= 1"),
        (["--max-length", "-3"], "--max-length (max_length): -3 is not a whole number >= 1"),
        (["--max-record-mb", "-1"], "--max-record-mb -1: the limit per record must be > 0 MB"),
        (["--max-record-mb", "0"], "--max-record-mb 0: the limit per record must be > 0 MB"),
        (["--test", "no-such-test.csv"], "--test no-such-test.csv: no such file"),
    ],
)
def test_audit_numbers_are_range_checked_before_reading(broken, tmp_path, capsys, args, expect):
    assert main(["audit", str(broken), "--out", str(tmp_path / "o"), "--no-record", "--quiet", *args]) == 2
    err = _error(capsys)
    assert expect in err and "hint:" in err and "broken.jsonl:2" not in err
    assert not (tmp_path / "o").exists() and not _temps(tmp_path)


def test_clean_record_limit_is_range_checked(broken, tmp_path, capsys):
    code = main(
        ["clean", str(broken), "--recipe", str(RECIPE), "--out", str(tmp_path / "c.jsonl"), "--max-record-mb", "0"]
    )
    assert code == 2 and "--max-record-mb 0: the limit per record must be > 0 MB" in _error(capsys)


# -- 3. outputs replaced as a set; no temp left by a failure or a kill ---------------------------------------------------
def _snapshot(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in ("report.json", "records.parquet", "report.html")}


def test_a_failed_html_write_keeps_the_old_set_whole(tmp_path, monkeypatch):
    out = tmp_path / "audit"
    audit(KO, out=out, stages=("signals",))
    old = _snapshot(out)

    def broken_render(report, table):  # fault injection: the HTML writer fails after records.parquet was written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(curate.report, "render_html", broken_render)
    with pytest.raises(OSError, match="No space left"):
        audit(KO, out=out, stages=("signals", "exact"))  # a different report: its parquet and json differ
    assert _snapshot(out) == old
    assert os.listdir(tmp_path) == ["audit"] and sorted(os.listdir(out)) == sorted(old)


def test_a_failed_swap_puts_the_old_set_back(tmp_path, monkeypatch):
    out = tmp_path / "audit"
    audit(KO, out=out, stages=("signals",))
    old = _snapshot(out)
    real = os.replace
    calls = []

    def flaky_replace(src, dst):  # fault injection: the second rename of the output step fails (EXDEV, EIO, a kill)
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(18, "Invalid cross-device link")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(OSError, match="cross-device"):
        audit(KO, out=out, stages=("signals", "exact"))
    monkeypatch.setattr(os, "replace", real)
    assert _snapshot(out) == old and os.listdir(tmp_path) == ["audit"]  # not a new records.parquet with old JSON


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temps_of_dead_audits_are_removed_on_the_next_start(tmp_path):
    out = tmp_path / "audit"
    audit(KO, out=out, stages=("signals",))
    (out / ".curate-k1l2m3").mkdir()  # what a killed audit of the earlier version left inside --out
    (out / ".curate-k1l2m3" / "records.parquet").write_bytes(b"half")
    pid = _dead_pid()
    stale = tmp_path / f".audit.{pid}.abcd1234.tmp"  # what a killed audit leaves beside --out now
    stale.mkdir()
    (stale / "report.json").write_text("{")
    live = tmp_path / f".audit.{os.getpid()}.live0000.tmp"  # a concurrent writer's temp: left alone
    live.mkdir()
    audit(KO, out=out, stages=("signals",))
    assert sorted(os.listdir(out)) == ["records.parquet", "report.html", "report.json"]
    assert sorted(os.listdir(tmp_path)) == sorted(["audit", live.name])
    assert json.loads((out / "report.json").read_text())["summary"]["records"] == 70


def test_kill_9_mid_audit_then_a_new_run_leaves_no_temp(tmp_path):
    data = tmp_path / "big.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for r in make_records(30_000, seed=1):
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    out = tmp_path / "audit"
    audit(KO, out=out, stages=("signals",))
    old = _snapshot(out)
    cmd = [sys.executable, "-m", "curate", "audit", str(data), "--out", str(out), "--no-record", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not _temps(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)  # let it write into its temp
        assert proc.poll() is None, "the audit finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert _temps(tmp_path), "the killed audit left no temp: the test killed it outside the window it tests"
    assert _snapshot(out) == old  # the kill left the earlier set whole
    audit(KO, out=out, stages=("signals",))
    assert _temps(tmp_path) == [] and _temps(out) == []
    assert sorted(os.listdir(tmp_path)) == ["audit", "big.jsonl"]


# -- 4. reader and field messages --------------------------------------------------------------------------------------
def test_encoding_hint_names_the_detected_encoding(tmp_path, capsys):
    p = tmp_path / "latin.jsonl"
    p.write_bytes('{"question": "café au lait?", "answer": "oui"}\n'.encode("cp1252"))
    assert main(["audit", str(p), "--out", str(tmp_path / "o"), "--no-record", "--quiet"]) == 2
    err = _error(capsys)
    assert f"{p}:1: not valid UTF-8" in err and "decodes as cp1252" in err
    assert "iconv -f cp1252 -t utf-8" in err and "cp949" not in err


def test_csv_encoding_error_names_the_line_and_the_encoding(tmp_path, capsys):
    p = tmp_path / "ko.csv"
    p.write_bytes(b"Q,A\nhello,world\n" + "안녕하세요,네\n".encode("cp949"))
    assert main(["audit", str(p), "--out", str(tmp_path / "o"), "--no-record", "--quiet"]) == 2
    err = _error(capsys)
    assert f"{p}:3: not valid UTF-8 at byte 0 of the line" in err and "iconv -f cp949 -t utf-8" in err


def test_field_detection_error_names_the_file(tmp_path, capsys):
    p = tmp_path / "odd.jsonl"
    p.write_text('{"foo": "a", "bar": "b"}\n', encoding="utf-8")
    assert main(["audit", str(p), "--out", str(tmp_path / "o"), "--no-record", "--quiet"]) == 2
    err = _error(capsys)
    assert f"error: {p}: could not tell which field is the question and answer; the fields are: foo, bar" in err


def test_test_set_field_detection_error_names_the_test_file(tmp_path, capsys):
    test = tmp_path / "test.jsonl"
    test.write_text('{"foo": "a"}\n', encoding="utf-8")
    code = main(["audit", str(KO), "--test", str(test), "--out", str(tmp_path / "o"), "--no-record", "--quiet"])
    assert code == 2 and f"error: --test {test}: could not tell which field" in _error(capsys)


def test_nul_byte_message_is_whole(tmp_path, capsys):
    p = tmp_path / "nul.jsonl"
    p.write_bytes(b'{"question": "a\x00b", "answer": "c"}\n')
    assert main(["audit", str(p), "--out", str(tmp_path / "o"), "--no-record", "--quiet"]) == 2
    err = _error(capsys)
    line = next(x for x in err.splitlines() if x.startswith("error:"))
    assert (
        line
        == f"error: {p}:1: malformed JSON at character 16: a NUL byte (\\x00) inside a string, which JSON does not allow"
    )
    assert "tr -d '\\000'" in err
