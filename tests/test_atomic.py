"""workbench.atomic: outputs appear whole or not at all, with the permissions a plain open() would give."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from workbench.atomic import (
    atomic_dir,
    atomic_file,
    atomic_write,
    check_output_dir,
    check_output_file,
    sweep_stale,
    write_json,
)
from workbench.errors import UserError


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_file_replaced_whole_and_left_untouched_on_error(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    atomic_write(target, "first\n")
    with pytest.raises(RuntimeError), atomic_file(target) as fh:
        fh.write("half of the second")
        raise RuntimeError("killed")
    assert target.read_text() == "first\n"
    assert sorted(os.listdir(target.parent)) == ["out.txt"]  # no temp file left behind


def test_json_keeps_korean_and_ends_in_a_newline(tmp_path):
    p = write_json(tmp_path / "r.json", {"이름": "김민준"})
    text = p.read_text(encoding="utf-8")
    assert "김민준" in text and text.endswith("\n") and json.loads(text) == {"이름": "김민준"}


def test_modes_follow_the_umask_like_open_and_mkdir(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "f", b"x")
        with atomic_dir(tmp_path / "d") as d:
            (d / "inner").write_text("y")
        (tmp_path / "plain").write_text("z")
        (tmp_path / "plaindir").mkdir()
    finally:
        os.umask(old)
    assert _mode(tmp_path / "f") == _mode(tmp_path / "plain") == 0o644
    assert _mode(tmp_path / "d") == _mode(tmp_path / "plaindir") == 0o755


def test_dir_swapped_whole_and_kept_on_error(tmp_path):
    out = tmp_path / "model"
    with atomic_dir(out) as d:
        (d / "a").write_text("1")
    with atomic_dir(out) as d:
        (d / "b").write_text("2")
    assert sorted(os.listdir(out)) == ["b"]
    with pytest.raises(RuntimeError), atomic_dir(out) as d:
        (d / "c").write_text("3")
        raise RuntimeError("killed")
    assert sorted(os.listdir(out)) == ["b"]
    assert sorted(os.listdir(tmp_path)) == ["model"]


def test_dir_failure_removes_the_parent_folders_it_created(tmp_path):
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "a" / "b" / "out") as d:
        (d / "x").write_text("1")
        raise RuntimeError("bad input found while working")
    assert os.listdir(tmp_path) == []


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_sweep_restores_a_copy_set_aside_by_a_swap_killed_halfway(tmp_path):
    """Killed between atomic_dir's two renames: the old folder is aside, `out` is missing; the next start puts it
    back and removes the dead writer's temp."""
    pid = _dead_pid()
    aside = tmp_path / f".out.{pid}.abc_1234.old"
    (aside / "out").mkdir(parents=True)
    (aside / "out" / "report.json").write_text("old")
    (tmp_path / f".out.{pid}.xyz98765.tmp").mkdir()
    (tmp_path / f".out.{pid}.file0000.tmp").write_text("half a file")
    removed = sweep_stale(tmp_path / "out")
    assert len(removed) == 3
    assert sorted(os.listdir(tmp_path)) == ["out"] and (tmp_path / "out" / "report.json").read_text() == "old"


def test_check_output_file_refuses_folders_and_unwritable_places(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_text("x")
    for bad, says in [
        (tmp_path / "d", "is a folder, but a file name is needed"),
        (f"{tmp_path}/new/", "is a folder, but a file name is needed"),
        (tmp_path / "f" / "c.jsonl", "is a file, so no folder can be made under it"),
        ("/proc/x/c.jsonl", "cannot write in /proc"),
    ]:
        with pytest.raises(UserError, match=says) as e:
            check_output_file(bad)
        assert str(bad) in e.value.message and e.value.hint
    assert check_output_file(tmp_path / "new" / "deeper" / "c.jsonl").name == "c.jsonl"
    assert sorted(os.listdir(tmp_path)) == ["d", "f"]  # the check writes nothing


def test_check_output_dir_refuses_files_and_folders_it_would_clobber(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(UserError, match="is a file, but this output is a folder"):
        check_output_dir(tmp_path / "f")
    with pytest.raises(UserError, match="cannot write in /proc"):
        check_output_dir("/proc/x")
    out = tmp_path / "audit"
    out.mkdir()
    (out / "report.json").write_text("{}")
    assert check_output_dir(out, replaces=["report.json"]) == out
    (out / "notes.md").write_text("mine")
    with pytest.raises(UserError, match=r"holds files this command did not write \(notes.md\)"):
        check_output_dir(out, replaces=["report.json"])
