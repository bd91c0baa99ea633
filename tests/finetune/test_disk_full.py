"""Disk full while checkpointing, on a real small filesystem: a tmpfs mounted in a private mount namespace
(`unshare -rm`), sized so the first checkpoint fits and the second does not."""

import json
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from tests.finetune.conftest import FINETUNE, REPO, cli_env, run_cli, tiny_args, write_pairs

PAGE = 4096
COMMON = dict(method="full", max_steps=6, save_every=2)  # full fine-tuning: checkpoints of a few MB


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt && umount /mnt"], capture_output=True
    )
    return proc.returncode == 0


pytestmark = pytest.mark.skipif(
    not _unshare_works(), reason="needs `unshare -rm` and tmpfs mounts (a user/mount namespace) for a real full disk"
)


def _pages(n: int) -> int:
    return -(-n // PAGE) * PAGE


def _tensors(obj):
    if isinstance(obj, torch.Tensor):
        return [obj]
    items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else []
    return [t for v in items for t in _tensors(v)]


@pytest.fixture(scope="module")
def reference(tiny_model_dir, tmp_path_factory):
    """The same run on a roomy disk, and the data it trained on."""
    tmp = tmp_path_factory.mktemp("reference")
    data = write_pairs(tmp / "d.jsonl", 48)
    run_cli(*tiny_args(tiny_model_dir, data, tmp / "whole", tmp / "s.db", **COMMON))
    return data, tmp / "whole"


@pytest.mark.parametrize("room", ["too_small", "fails_mid_write"])
def test_disk_full_keeps_the_previous_checkpoint_and_resume_finishes_the_run(tiny_model_dir, reference, tmp_path, room):
    data, whole = reference
    first = whole / "checkpoints" / "step-00000002"
    on_disk = sum(_pages(f.stat().st_size) for f in first.iterdir())
    # The second checkpoint's tensors (the weights, Adam's state, the RNG state): same shapes as the first's.
    saved = [
        *load_file(first / "trainable.safetensors").values(),
        *_tensors(torch.load(first / "optimizer.pt", weights_only=False)),
    ]
    tensors = sum(t.numel() * t.element_size() for t in saved)
    # too_small: the second checkpoint can't fit, train refuses before writing it. fails_mid_write: there is room
    # for its tensors (the size check passes) but not for them plus state.json's page, so the write hits ENOSPC.
    size = on_disk + PAGE + (on_disk // 2 if room == "too_small" else _pages(tensors))  # + a page for the log

    # In the namespace: out/ is that tmpfs; train (fails writing the second checkpoint), keep a copy of what is
    # left, then grow the filesystem ("free space") and resume.
    disk, kept = tmp_path / "disk", tmp_path / "kept"
    disk.mkdir()
    out = disk / "run"
    train = [sys.executable, *FINETUNE, *tiny_args(tiny_model_dir, data, out, tmp_path / "s.db", **COMMON)]
    q = shlex.quote
    script = f"""
mount -t tmpfs -o size={size} tmpfs {q(str(disk))}
{shlex.join(train)} > /dev/null 2> {q(str(tmp_path / "full.err"))}
echo $? > {q(str(tmp_path / "full.rc"))}
cp -a {q(str(out))} {q(str(kept))}
mount -o remount,size=64m {q(str(disk))}
{shlex.join(train)} --resume > /dev/null 2> {q(str(tmp_path / "resume.err"))}
echo $? > {q(str(tmp_path / "resume.rc"))}
cp {q(str(out / "train_summary.json"))} {q(str(tmp_path / "resumed.json"))}
"""
    subprocess.run(["unshare", "-rm", "sh", "-c", script], env=cli_env(), cwd=REPO, timeout=300)

    err = (tmp_path / "full.err").read_text()
    assert (tmp_path / "full.rc").read_text().strip() == "2", err[-3000:]
    assert "Traceback" not in err
    left = re.search(r"error: could not write checkpoint step-00000004 \((\d+\.\d) MB left on (\S+)\)", err)
    assert left and left.group(2) == str(disk / "run" / "checkpoints"), err
    if room == "too_small":  # refused before writing: what it needs against what is left
        assert "No space left on device: it needs at least" in err and float(left.group(1)) > 0.5
    else:  # the write's own error; nothing left
        assert float(left.group(1)) < 0.1
    assert "free disk space and rerun with --resume" in err and "step-00000002 is intact" in err
    # What is left on the full disk: the first checkpoint, complete and identical to the reference run's, no temp dir.
    assert sorted(p.name for p in (kept / "checkpoints").iterdir()) == ["step-00000002"]
    a = kept / "checkpoints" / "step-00000002"
    assert (a / "trainable.safetensors").read_bytes() == (first / "trainable.safetensors").read_bytes()
    state_a, state_b = (json.loads((d / "state.json").read_text()) for d in (a, first))
    assert [state_a[k] for k in ("step", "epoch", "micro")] == [state_b[k] for k in ("step", "epoch", "micro")]
    # After freeing space, --resume picks it up and ends with the reference run's weights.
    assert (tmp_path / "resume.rc").read_text().strip() == "0", (tmp_path / "resume.err").read_text()[-3000:]
    assert "resumed from step-00000002" in (tmp_path / "resume.err").read_text()
    resumed = json.loads((tmp_path / "resumed.json").read_text())
    assert resumed["steps"] == 6
    assert resumed["weights_digest"] == json.loads((whole / "train_summary.json").read_text())["weights_digest"]
