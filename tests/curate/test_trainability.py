"""Will every example train? A labelled set built to be cut fully, partly or not at all at a given length; the rendering
checked against the tokenizer's own chat template; the audit's report, its gate and finetune's refusal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from curate.trainability import IGNORE, boundary_mismatch, check_pairs, encode_pair, render_prompt, resolve_template
from workbench.errors import UserError

REPO = Path(__file__).resolve().parents[2]
LENGTH = 64  # tokens: the training length the labelled set is built around

# (label, prompt, answer): built by length alone. Every template here adds under 40 tokens to a short question, so
# "keep" fits whole in 64; "partly" has a short question and a ~150-token answer; "fully" has a ~200-token question.
LONG_Q = "Summarise this for me please: " + "the beast attacks the player with great strength " * 25
LONG_A = "The beast attacks the player with great strength. " * 15
LABELLED = [
    ("keep", "What is 2+2?", "4."),
    ("keep", "Name a colour.", "Blue."),
    ("keep", [{"role": "user", "content": "Hi there"}], "Hello!"),
    ("partly", "Describe the beast.", LONG_A),
    ("partly", [{"role": "user", "content": "Describe it."}], LONG_A),
    ("fully", LONG_Q, "Yes."),
    ("fully", [{"role": "system", "content": "Be brief."}, {"role": "user", "content": LONG_Q}], LONG_A),
]
EXPECTED = {"keep": None, "partly": "answer_truncated", "fully": "untrainable"}


@pytest.fixture(params=["default", "tiny"])
def tokenizer(request, tiny_model_dir):
    """The embedded model's tokenizer (SmolLM2's chat template, with its system turn) and the tiny test model's."""
    from workbench.models import load_tokenizer

    return load_tokenizer("default" if request.param == "default" else str(tiny_model_dir))


def test_labelled_set_every_record_classified_right(tokenizer):
    fits = check_pairs([(p, a) for _, p, a in LABELLED], tokenizer, max_length=LENGTH, template="chat")
    assert [f.reason for f in fits] == [EXPECTED[label] for label, _, _ in LABELLED]
    for f, (label, _, _) in zip(fits, LABELLED):
        assert (f.lost_share == 0) == (label == "keep") and (f.lost_share == 1) == (label == "fully")


def test_rendering_is_the_tokenizers_own_chat_template(tokenizer):
    """Prompt + answer ids equal the tokenizer's own rendering of the whole conversation (apply_chat_template with the
    assistant turn), up to the end-of-turn token: the audit sees what training sees."""
    for _, prompt, answer in LABELLED:
        p, a = encode_pair(prompt, answer, tokenizer, "chat")
        msgs = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
        whole = tokenizer.apply_chat_template([*msgs, {"role": "assistant", "content": answer}], tokenize=False)
        direct = tokenizer(whole)["input_ids"]
        assert direct[: len(p) + len(a)] == p + a
        assert a[-1] == tokenizer.eos_token_id


def test_finetune_tokenizes_with_the_same_code(tiny_model):
    """finetune.data's examples: the answer tokens the audit says survive are exactly the labelled ones."""
    from finetune.data import tokenize_pairs

    tok = tiny_model.tokenizer
    pairs = [(p, a) for _, p, a in LABELLED]
    examples = tokenize_pairs(pairs, tok, template="chat", max_length=LENGTH)
    fits = check_pairs(pairs, tok, max_length=LENGTH, template="chat")
    assert [ex.n_answer for ex in examples] == [f.kept_answer_tokens for f in fits]
    assert all(len(ex.input_ids) <= LENGTH for ex in examples)
    assert [sum(t != IGNORE for t in ex.labels) == 0 for ex in examples] == [
        label == "fully" for label, _, _ in LABELLED
    ]


def test_boundary_mismatch_and_template_errors(tiny_model_dir):
    """A generation prompt ending mid-word ("The") and an answer that completes it ("re is ...") tokenize as one word
    ("There") when joined: training's ids then differ from the text's, which the check reports."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert resolve_template(tok, "auto") == "chat"
    p, a = encode_pair("Hi", "Hello.", tok, "chat")
    assert not boundary_mismatch("Hi", "Hello.", tok, "chat", p, a)
    tok.chat_template = (
        "{% for m in messages %}{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}The{% endif %}"
    )
    p, a = encode_pair("Hi", "re is a beast", tok, "chat")
    joined = tok("Hi\nThere is a beast")["input_ids"]
    assert joined != p + a[:-1] and boundary_mismatch("Hi", "re is a beast", tok, "chat", p, a)
    assert check_pairs([("Hi", "re is a beast")], tok, max_length=64, template="chat")[0].boundary_mismatch
    tok.chat_template = None
    assert resolve_template(tok, "auto") == "alpaca" and render_prompt("Q?", tok, "qa") == "Question: Q?\nAnswer:"
    with pytest.raises(UserError, match="no chat template"):
        resolve_template(tok, "chat")
    with pytest.raises(UserError, match="placeholder"):
        render_prompt("Q?", tok, "no placeholder here")


def _write_labelled(path: Path) -> Path:
    """The labelled set as a chat JSONL (messages with the assistant turn last)."""
    rows = []
    for _, prompt, answer in LABELLED:
        msgs = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
        rows.append({"messages": [*msgs, {"role": "assistant", "content": answer}]})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_audit_reports_reason_codes_and_gates(tiny_model_dir, tmp_path):
    from curate.gates import check
    from curate.pipeline import audit

    data = _write_labelled(tmp_path / "chat.jsonl")
    report = audit(data, model=str(tiny_model_dir), max_length=LENGTH, out=tmp_path / "audit", progress=False)
    s = report["summary"]
    assert s["untrainable_records"] == 2 and s["partly_truncated_records"] == 2 and s["boundary_mismatch_records"] == 0
    # a fact about the training length, not the data's quality: counted on its own, not in the quality verdict
    assert s["quality_flagged_records"] == 0 and report["quality"]["categories"] == {"trainability": 4}
    assert s["flagged_records"] == 2  # a partly cut answer still trains on what fits: usable; an untrainable one not
    flagged = {f["index"]: f["reason"] for f in report["trainability"]["records_flagged"]}
    assert flagged == {i: EXPECTED[label] for i, (label, _, _) in enumerate(LABELLED) if EXPECTED[label]}
    assert report["trainability"]["template"] == "chat" and report["trainability"]["length"]["over_max_length"] == 4
    table = pd.read_parquet(tmp_path / "audit" / "records.parquet")
    got = [next((r for r in rs if r in ("untrainable", "answer_truncated")), None) for rs in table["reasons"]]
    assert got == [EXPECTED[label] for label, _, _ in LABELLED]
    on_disk = json.loads((tmp_path / "audit" / "report.json").read_text())
    assert on_disk["summary"]["untrainable_records"] == 2
    assert check(report, "untrainable>0") == ["untrainable = 2 (> 0)"]
    assert check(report, "partly_truncated_records>2") == [] and check(report, "untrainable>5") == []
    plain = audit(data, progress=False)  # without a model and a length: no new keys, and the gate is "not measured"
    assert "untrainable_records" not in plain["summary"] and "trainability" not in plain
    assert "template" not in plain["config"]
    assert check(plain, "untrainable>0") == ["untrainable > 0: not measured in this audit"]


def _cli(*args, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_cli_finetune_config_gate_and_finetune_refuses_the_same_records(tiny_model_dir, tmp_path):
    """`curate audit --finetune-config` exits 3 on `untrainable>0`, and `finetune train` with that config refuses."""
    data = _write_labelled(tmp_path / "chat.jsonl")
    cfg = tmp_path / "train.yaml"
    cfg.write_text(
        f"model: {tiny_model_dir}\ndata: {data}\nout: {tmp_path / 'ft'}\nmax_length: {LENGTH}\ntemplate: chat\n"
        f"store: {tmp_path / 's.db'}\naudit_gates: dup_rate>0.5\nmax_steps: 1\nprecision: fp32\n"
    )
    proc = _cli(
        "curate", "audit", data, "--finetune-config", cfg, "--out", tmp_path / "a", "--fail-on", "untrainable>0",
        "--json", "--no-record", "--quiet", "--skip", "near,diversity,pii",
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr[-2000:]
    shown = json.loads(proc.stdout)
    assert shown["summary"]["untrainable_records"] == 2 and shown["failed_gates"] == ["untrainable = 2 (> 0)"]
    proc = _cli("finetune", "train", cfg, "--no-progress")
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "untrainable = 2 (> 0)" in proc.stderr and "0-based: 5, 6" in proc.stderr
    assert not (tmp_path / "ft" / "adapter_config.json").exists()
