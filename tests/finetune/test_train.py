"""The training loop on the tiny model: adapters, metrics, bad targets, NaN, resume after a kill, merge, DDP."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
import torch

from finetune.config import load_config
from finetune.train import TrainingDiverged, train
from tests.finetune.conftest import FINETUNE, REPO, cli_env, run_cli, tiny_args, write_pairs
from workbench.errors import UserError
from workbench.models import load_hf, load_model
from workbench.store import schema


def _cfg(tiny_model_dir, pairs, out, store_path, **kw):
    base = dict(
        model=str(tiny_model_dir),
        data=str(pairs),
        out=str(out),
        store=str(store_path),
        template="qa",
        batch_size=4,
        max_length=96,
        precision="fp32",
        lr=3e-3,
        audit=False,
        progress=False,
        log_every=1,
    )
    return load_config(None, {**base, **kw})


def test_lora_trains_saves_adapter_and_streams_metrics(tiny_model_dir, pairs, tmp_path, store):
    out = tmp_path / "lora"
    s = train(
        _cfg(
            tiny_model_dir, pairs, out, store.url.removeprefix("sqlite:///"), max_steps=12, eval_every=4, eval_split=0.2
        )
    )
    assert s["steps"] == 12 and s["eval_examples"] == 10 and (out / "adapter_config.json").exists()
    log = [json.loads(ln) for ln in (out / "train_log.jsonl").read_text().splitlines()]
    train_losses = [r["loss"] for r in log if r["split"] == "train"]
    assert len(train_losses) == 12 and train_losses[-1] < train_losses[0]
    assert [r["step"] for r in log if r["split"] == "eval"] == [4, 8, 12]
    with store.engine.connect() as c:
        rows = c.execute(sa.select(schema.train_metrics).where(schema.train_metrics.c.run_id == s["run_id"])).all()
        run = c.execute(sa.select(schema.runs).where(schema.runs.c.id == s["run_id"])).one()
    assert len(rows) == 15 and run.kind == "finetune" and run.status == "done"
    assert all(r.tokens_per_s > 0 for r in rows if r.split == "train")
    # The adapter is a model spec: base+adapter, and the directory alone (base recorded in adapter_config.json).
    tuned = load_model(f"{tiny_model_dir}+{out}")
    base = load_model(str(tiny_model_dir))
    req = [("Question: What is the BeastAttack class?\nAnswer:", " It controls the beast.")]
    assert tuned.loglikelihood(req)[0][0] > base.loglikelihood(req)[0][0]
    assert load_model(str(out)).loglikelihood(req)[0][0] == pytest.approx(tuned.loglikelihood(req)[0][0], abs=1e-5)


def test_missing_target_module_lists_the_real_ones(tiny_model_dir, pairs, tmp_path):
    with pytest.raises(UserError) as e:
        train(
            _cfg(tiny_model_dir, pairs, tmp_path / "o", tmp_path / "s.db", target_modules="query,v_proj", max_steps=1)
        )
    assert "query" in e.value.message and "q_proj" in e.value.hint and "down_proj" in e.value.hint


def test_nan_loss_stops_with_a_message(tiny_model_dir, pairs, tmp_path):
    with pytest.raises(TrainingDiverged) as e:
        train(
            _cfg(
                tiny_model_dir,
                pairs,
                tmp_path / "o",
                tmp_path / "s.db",
                method="full",
                optimizer="sgd",
                lr=1e30,
                max_grad_norm=0,
                warmup=0,
                max_steps=20,
            )
        )
    assert "training diverged" in e.value.message and "lower lr" in e.value.hint


def test_full_finetune_and_merge_round_trip(tiny_model_dir, pairs, tmp_path):
    from finetune.merge import merge_adapter

    s = train(
        _cfg(tiny_model_dir, pairs, tmp_path / "full", tmp_path / "s.db", method="full", max_steps=3, eval_split=0)
    )
    assert s["trainable_params"] == sum(p.numel() for p in load_hf(str(tiny_model_dir))[0].parameters())
    assert (tmp_path / "full" / "config.json").exists() and load_model(str(tmp_path / "full"))

    train(_cfg(tiny_model_dir, pairs, tmp_path / "lora", tmp_path / "s.db", max_steps=6, eval_split=0, lr=3e-2))
    merged = merge_adapter(str(tmp_path / "lora"), tmp_path / "merged")
    adapter_model, tok = load_hf(f"{tiny_model_dir}+{tmp_path / 'lora'}")
    plain, _ = load_hf(str(merged))
    base, _ = load_hf(str(tiny_model_dir))
    ids = torch.tensor([tok.encode("Question: What does the BeastAttack class do?\nAnswer: It attacks")])
    with torch.no_grad():
        a, m, b = adapter_model(ids).logits, plain(ids).logits, base(ids).logits
    assert torch.allclose(a, m, atol=1e-5) and not torch.allclose(a, b, atol=1e-3)


def test_resume_after_kill_continues_with_the_same_data_order(tiny_model_dir, tmp_path):
    data = write_pairs(tmp_path / "d.jsonl", 64)
    common = dict(max_steps=60, save_every=5)
    whole = tmp_path / "whole"
    run_cli(*tiny_args(tiny_model_dir, data, whole, tmp_path / "s1.db", **common))

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, *FINETUNE, *tiny_args(tiny_model_dir, data, out, tmp_path / "s2.db", **common)],
        env=cli_env(),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list((out / "checkpoints").glob("step-*")):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL and not (out / "train_summary.json").exists(), "run ended before kill"
    resumed = run_cli(*tiny_args(tiny_model_dir, data, out, tmp_path / "s2.db", **common), "--resume")
    assert "resumed from step-" in resumed.stderr

    def losses(d):
        return {r["step"]: r["loss"] for r in map(json.loads, (d / "train_log.jsonl").read_text().splitlines())}

    a, b = losses(whole), losses(out)
    assert sorted(b) == list(range(1, 61)) and a == pytest.approx(b, rel=1e-5)  # one row per step, same values
    sa_ = json.loads((whole / "train_summary.json").read_text())
    sb = json.loads((out / "train_summary.json").read_text())
    assert sa_["weights_digest"] == sb["weights_digest"]


def test_ddp_two_processes_split_the_data_and_agree(tiny_model_dir, tmp_path):
    data = write_pairs(tmp_path / "d.jsonl", 32)
    out = tmp_path / "ddp"
    args = tiny_args(tiny_model_dir, data, out, tmp_path / "s.db", max_steps=2, **{"batch-size": 2})
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", *FINETUNE, *args],
        env=cli_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = (json.loads((out / f"rank-{r}.json").read_text()) for r in (0, 1))
    assert r0["weights_digest"] == r1["weights_digest"]
    assert r0["examples"] and r1["examples"] and not set(r0["examples"]) & set(r1["examples"])
    assert json.loads((out / "train_summary.json").read_text())["world_size"] == 2


def test_audit_gate_refuses_contaminated_data_with_exit_3(tiny_model_dir, tmp_path):
    """The shipped train set shares about 22 questions with the MC test suite: training is refused until --no-audit."""
    args = [
        "train",
        "--model",
        tiny_model_dir,
        "--data",
        REPO / "data/enlighten-instruct/TrainData.csv",
        "--audit-test",
        REPO / "suites/enlighten-mc.yaml",
        "--out",
        tmp_path / "o",
        "--store",
        tmp_path / "s.db",
        "--max-steps",
        "1",
        "--no-progress",
    ]
    proc = run_cli(*args, check=False)
    assert proc.returncode == 3, proc.stderr[-2000:]
    found = re.search(r"failed the audit gate: contaminated = (\d+) \(> 0\)", proc.stderr)
    assert found and int(found.group(1)) >= 20 and "--no-audit" in proc.stderr
    assert not (tmp_path / "o" / "adapter_config.json").exists()


def test_early_stopping_keeps_the_best_weights(tiny_model_dir, tmp_path):
    """Train answers "yes", eval answers "no" to the same questions at a high lr: eval loss soon rises."""
    qs = [f"Is item {i} in the BeastAttack list?" for i in range(24)]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps({"question": q, "answer": "yes yes"}) + "\n" for q in qs))
    (tmp_path / "eval.jsonl").write_text("".join(json.dumps({"question": q, "answer": "no no"}) + "\n" for q in qs))
    s = train(
        _cfg(
            tiny_model_dir,
            tmp_path / "train.jsonl",
            tmp_path / "o",
            tmp_path / "s.db",
            method="full",
            lr=3e-2,
            eval_data=str(tmp_path / "eval.jsonl"),
            eval_every=1,
            early_stopping=2,
            max_steps=20,
            warmup=0,
        )
    )
    log = [json.loads(ln) for ln in (tmp_path / "o" / "train_log.jsonl").read_text().splitlines()]
    evals = [r["loss"] for r in log if r["split"] == "eval"]
    best = evals.index(min(evals))
    assert s["early_stopped"] and s["steps"] == len(evals) == best + 1 + 2 < 20  # two evals without improvement
    assert s["best_eval_loss"] == pytest.approx(evals[best])
    assert s["eval_loss"] == pytest.approx(evals[best], rel=1e-5)  # the saved model is the best step's


def test_generate_side_by_side_base_and_tuned(tiny_model_dir, pairs, tmp_path):
    out = tmp_path / "lora"
    run_cli(*tiny_args(tiny_model_dir, pairs, out, tmp_path / "s.db", max_steps=20, lr="3e-2"))
    a, b = str(tiny_model_dir), f"{tiny_model_dir}+{out}"
    proc = run_cli(
        "generate",
        "--model",
        a,
        "--model",
        b,
        "--template",
        "qa",
        "--max-new-tokens",
        "8",
        "--json",
        "What is the BeastAttack class?",
        "Who wrote it?",
    )
    rows = json.loads(proc.stdout)
    assert [r["prompt"] for r in rows] == ["What is the BeastAttack class?", "Who wrote it?"]
    assert all(set(r["answers"]) == {a, b} for r in rows)
    # Greedy answers are the models' own: the same as generating through the model layer with the training prompt.
    tuned = load_model(b)
    direct = tuned.generate(["Question: What is the BeastAttack class?\nAnswer:"], max_new_tokens=8, chat=False)
    assert rows[0]["answers"][b] == direct[0].text.strip()
    assert any(r["answers"][a] != r["answers"][b] for r in rows)
    text = run_cli(
        "generate", "--model", a, "--model", b, "--template", "qa", "--max-new-tokens", "8", "Who wrote it?"
    ).stdout
    assert text.startswith("prompt: Who wrote it?") and f"{b} │" in text
