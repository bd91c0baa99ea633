"""workbench.atomic: outputs appear whole or not at all, with the permissions a plain open() would give."""

from __future__ import annotations

import json
import os
import stat

import pytest

from workbench.atomic import atomic_dir, atomic_file, atomic_write, write_json


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
