"""The three console scripts: --help lists commands and exits 0; generate prints answers; errors exit 2 or 4."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("pkg", ["curate", "evalkit", "finetune"])
def test_help_lists_commands_and_exits_zero(pkg):
    out = subprocess.run([sys.executable, "-m", pkg, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "commands:" in out.stdout and "exit codes:" in out.stdout


def test_help_does_not_import_torch():
    code = "import sys; from evalkit.cli import main; import curate.cli, finetune.cli; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_generate_prints_each_answer(tiny_model_dir, tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "evalkit",
            "generate",
            "--model",
            str(tiny_model_dir),
            "--max-new-tokens",
            "3",
            "--json",
            "--record",
            "--store",
            str(tmp_path / "s.db"),
            "one",
            "two",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    assert len(lines) == 2 and '"prompt": "one"' in lines[0] and "recorded run" in out.stderr


def test_bad_model_spec_exits_2_with_a_hint():
    out = subprocess.run(
        [sys.executable, "-m", "evalkit", "generate", "--model", "nope/none", "hi"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "does not exist" in out.stderr and "hint:" in out.stderr and "Traceback" not in out.stderr


def test_unreachable_endpoint_exits_4():
    from tests.conftest import free_port

    out = subprocess.run(
        [sys.executable, "-m", "evalkit", "generate", "--model", f"openai:http://127.0.0.1:{free_port()}/v1#x", "hi"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "WORKBENCH_API_KEY": ""},
        timeout=120,
    )
    assert out.returncode == 4 and "failed after" in out.stderr
