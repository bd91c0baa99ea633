"""Where finetune writes, checked before any model loads (merge --out, train out), and a resumed run's store row."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from finetune.config import load_config
from workbench.errors import UserError


@pytest.fixture(scope="module")
def adapter(tiny_model_dir, tmp_path_factory):
    """A LoRA adapter on the tiny model, as a training run saves one (base named by its path)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    out = tmp_path_factory.mktemp("adapter")
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"])).save_pretrained(out)
    return out


def _tree(d) -> dict:
    return {p.relative_to(d).as_posix(): p.read_bytes() if p.is_file() else None for p in sorted(d.rglob("*"))}


def test_merge_refuses_a_file_as_out_and_keeps_it(adapter, tmp_path, capsys):
    from finetune.cli import main

    taken = tmp_path / "taken"
    taken.write_text("keep me\n")
    assert main(["merge", str(adapter), "--out", str(taken)]) == 2
    assert "--out" in capsys.readouterr().err and taken.read_text() == "keep me\n"


def test_merge_replaces_an_earlier_merge_but_not_a_folder_of_other_files(adapter, tiny_model_dir, tmp_path):
    from finetune.merge import merge_adapter

    out = tmp_path / "merged"
    merge_adapter(str(adapter), out)
    merge_adapter(str(adapter), out)  # an earlier merge is replaced whole
    assert (out / "config.json").exists() and (out / "model.safetensors").exists()

    (out / "notes.txt").write_text("mine\n")
    before = _tree(out)
    with pytest.raises(UserError, match=r"notes\.txt"):
        merge_adapter(str(adapter), out)
    assert _tree(out) == before

    for itself in (adapter, tiny_model_dir):
        before = _tree(itself)
        with pytest.raises(UserError, match="folder itself"):
            merge_adapter(f"{tiny_model_dir}+{adapter}", itself)
        assert _tree(itself) == before


def test_train_refuses_an_out_that_is_a_file_before_the_model(tmp_path):
    """The model does not exist: reaching it would fail differently. The YAML's line is named."""
    from finetune.train import train

    taken = tmp_path / "taken"
    taken.write_text("keep me\n")
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text(f"model: {tmp_path / 'no-model'}\ndata: x.jsonl\nout: {taken}\n")
    with pytest.raises(UserError) as e:
        load_config(cfg_file)
    assert f"out ({cfg_file}:3) {taken}: is a file" in e.value.message
    cfg = load_config(None, {"model": str(tmp_path / "no-model"), "data": "x.jsonl"})
    cfg.out, cfg.audit = str(taken), False  # a config built in code is checked by train itself
    with pytest.raises(UserError, match=f"--out {taken}: is a file"):
        train(cfg)
    assert taken.read_text() == "keep me\n"


def test_a_resumed_run_is_running_again_under_this_process(tmp_path):
    """`--resume` takes over the interrupted run's store row: "running", this pid, a fresh heartbeat."""
    from finetune.log import RunLog
    from workbench.store import open_store, schema

    store = open_store(tmp_path / "s.db")
    run_id = store.start_run("finetune", "ft", config={})
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    with store.begin() as conn:  # the run's process is gone (killed): the store marks it "interrupted"
        conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(pid=proc.pid))
    assert store.mark_interrupted() == [run_id]
    store.dispose()
    cfg = load_config(None, {"data": "x.jsonl", "out": str(tmp_path / "ft"), "store": str(tmp_path / "s.db")})
    log = RunLog.open(cfg, None, {"run_id": run_id, "step": 0}, steps_per_epoch=4)
    try:
        row = log.store.run(run_id)
        assert (row["status"], row["pid"], row["finished_at"]) == ("running", os.getpid(), None)
        assert row["heartbeat_at"] is not None
    finally:
        log.finish({"steps": 0})
