"""The model layer: every spec kind, generate, loglikelihood against a hand-computed forward pass."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from workbench.errors import UserError
from workbench.models import load_hf, load_model, parse_spec


def test_parse_every_spec_kind(tiny_model_dir, tmp_path):
    assert parse_spec("default").kind == "default"
    assert parse_spec(str(tiny_model_dir)).kind == "hf"
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert parse_spec(str(gguf)).kind == "gguf"
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    spec = parse_spec(f"{tiny_model_dir}+{adapter}")
    assert (spec.kind, spec.base.kind, spec.path) == ("adapter", "hf", str(adapter))
    ep = parse_spec("openai:http://127.0.0.1:9/v1#judge")
    assert (ep.kind, ep.base_url, ep.model_name) == ("openai", "http://127.0.0.1:9/v1", "judge")
    yaml_spec = parse_spec({"kind": "openai", "base_url": "http://h:1/v1", "model": "m", "concurrency": 4})
    assert yaml_spec.options == {"concurrency": 4}


@pytest.mark.parametrize(
    "bad, words",
    [
        ("no/such/dir", "does not exist"),
        ("openai:localhost#m", "openai:http://HOST:PORT/v1#MODEL_NAME"),
        ("openai:http://h/v1", "openai:http://HOST:PORT/v1#MODEL_NAME"),
        ("", "empty model spec"),
    ],
)
def test_bad_specs_say_what_to_do(bad, words):
    with pytest.raises(UserError) as e:
        parse_spec(bad)
    assert words in str(e.value)


def _hand_loglikelihood(model, tokenizer, context: str, continuation: str) -> float:
    """One unbatched forward pass over context+continuation, summing log-softmax at the continuation tokens."""
    ctx = tokenizer.encode(context)
    whole = tokenizer.encode(context + continuation)
    cont = whole[len(ctx) :]
    with torch.no_grad():
        logits = model(torch.tensor([whole])).logits[0]
    logp = torch.log_softmax(logits.double(), -1)
    return sum(logp[len(ctx) + i - 1, t].item() for i, t in enumerate(cont))


def test_loglikelihood_equals_hand_forward_pass(tiny_model, tiny_model_dir):
    hf, tok = load_hf(str(tiny_model_dir))
    reqs = [
        ("Question: What does the OnTriggerEnter method do?\nAnswer:", " It checks the player."),
        ("Question: short\nAnswer:", " a"),
        ("The beast attacks", " the player when it is close enough to reach"),
    ]
    got = tiny_model.loglikelihood(reqs, batch_size=3)  # padded batch of different lengths
    for (c, k), (lp, greedy) in zip(reqs, got):
        assert lp == pytest.approx(_hand_loglikelihood(hf, tok, c, k), abs=1e-4)
        assert isinstance(greedy, bool)
    assert [round(x, 4) for x, _ in got] == [round(x, 4) for x, _ in tiny_model.loglikelihood(reqs, batch_size=1)]


def test_trailing_space_moves_to_continuation(tiny_model):
    a = tiny_model.loglikelihood([("Answer: ", "yes")])[0][0]
    b = tiny_model.loglikelihood([("Answer:", " yes")])[0][0]
    assert a == pytest.approx(b, abs=1e-5)


def test_rolling_loglikelihood_counts_every_token(tiny_model):
    text = "The player is pushed back when attacked."
    lp, n = tiny_model.loglikelihood_rolling([text])[0]
    assert n == len(tiny_model.tokenizer.encode(text, add_special_tokens=False))
    assert lp < 0 and math.isfinite(lp)


def test_generate_is_greedy_batched_and_bounded(tiny_model):
    prompts = ["What is the capital of Mexico?", "Hi", [{"role": "user", "content": "Describe the beast."}]]
    a = tiny_model.generate(prompts, max_new_tokens=6, batch_size=3)
    b = [tiny_model.generate([p], max_new_tokens=6)[0] for p in prompts]
    assert [g.text for g in a] == [g.text for g in b]
    assert all(g.completion_tokens <= 6 and g.prompt_tokens > 0 for g in a)
    rendered = tiny_model.render("Hi", system="Be brief.")
    assert rendered.startswith("<|im_start|>system\nBe brief.<|im_end|>") and rendered.endswith("assistant\n")


def test_sampling_is_seeded(tiny_model):
    a = tiny_model.generate(["Hi"], max_new_tokens=8, temperature=1.0, seed=3)[0].text
    b = tiny_model.generate(["Hi"], max_new_tokens=8, temperature=1.0, seed=3)[0].text
    assert a == b


def test_fingerprint_changes_with_weights(tiny_model_dir, tmp_path):
    from fixtures.tiny_model import build_tiny_model

    other = build_tiny_model(tmp_path / "other", seed=1)
    a, b = load_model(str(tiny_model_dir)), load_model(str(other))
    assert a.fingerprint != b.fingerprint
    assert a.fingerprint == load_model(str(tiny_model_dir)).fingerprint


def test_adapter_spec_loads_lora_on_base(tiny_model_dir, tmp_path):
    from peft import LoraConfig, get_peft_model

    base, tok = load_hf(str(tiny_model_dir))
    peft_model = get_peft_model(
        base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    )
    adapter = tmp_path / "adapter"
    peft_model.save_pretrained(adapter)
    ids = torch.tensor([tok.encode("The beast attacks the player")])
    with torch.no_grad():
        expected = peft_model(ids).logits
    loaded = load_model(f"{tiny_model_dir}+{adapter}")
    with torch.no_grad():
        got = loaded.model(ids).logits
        plain = load_model(str(tiny_model_dir)).model(ids).logits
    assert torch.allclose(got, expected, atol=1e-5)
    assert not torch.allclose(got, plain, atol=1e-3)
    assert loaded.fingerprint != load_model(str(tiny_model_dir)).fingerprint


@pytest.mark.slow
def test_default_model_is_the_embedded_smollm2(default_model):
    from workbench.models.convert import default_model_dir

    d = default_model_dir()
    assert (d / "model.safetensors").exists() and (d / "SOURCE").read_text().startswith("SmolLM2-135M-Instruct")
    assert default_model.model.config.num_hidden_layers == 30
    g = default_model.generate(["What is the capital of Mexico?"], max_new_tokens=16)[0]
    assert "Mexico City" in g.text


@pytest.mark.slow
def test_gguf_spec_resolves_to_the_same_conversion(default_model):
    from workbench.models import resolve_dir
    from workbench.models.convert import default_gguf, default_model_dir

    spec = parse_spec(str(default_gguf()))
    assert spec.kind == "gguf"
    assert Path(resolve_dir(spec)) == default_model_dir()


def _broken(src: Path, dst: Path, how: str) -> Path:
    """A copy of the tiny model directory with one part missing or damaged."""
    import shutil

    shutil.copytree(src, dst)
    if how == "no tokenizer":
        for f in dst.glob("tokenizer*"):
            f.unlink()
    elif how == "no weights":
        (dst / "model.safetensors").unlink()
    elif how == "truncated weights":
        (dst / "model.safetensors").write_bytes((src / "model.safetensors").read_bytes()[:1000])
    elif how == "unknown architecture":
        (dst / "config.json").write_text('{"model_type": "no_such_arch"}')
    elif how == "config not JSON":
        (dst / "config.json").write_text("not json")
    return dst


@pytest.mark.parametrize(
    "how, names",
    [
        ("no tokenizer", "has no tokenizer files"),
        ("no weights", "has no weights"),
        ("truncated weights", "could not load its weights"),
        ("unknown architecture", "no_such_arch"),
        ("config not JSON", "not a valid JSON"),
    ],
)
def test_a_model_that_fails_to_load_is_a_model_error_naming_path_and_part(tiny_model_dir, tmp_path, how, names):
    """Exit 4 (ModelError) with the directory and what is wrong named, never a transformers traceback."""
    from workbench.errors import MODEL_ERROR, ModelError

    bad = _broken(tiny_model_dir, tmp_path / "bad", how)
    with pytest.raises(ModelError) as e:
        load_model(str(bad))
    assert e.value.code == MODEL_ERROR and str(bad) in e.value.message and names in e.value.message
    assert "docs/reference/models.md" in e.value.hint


@pytest.mark.parametrize("how", ["no tokenizer", "config not JSON"])
def test_commands_loading_a_broken_model_exit_4(tiny_model_dir, tmp_path, how, capsys):
    """finetune generate, finetune plan and evalkit generate: the model layer's message, exit 4, no traceback."""
    from evalkit.cli import main as evalkit_main
    from finetune.cli import main as finetune_main

    bad = str(_broken(tiny_model_dir, tmp_path / "bad", how))
    for main, argv in [
        (finetune_main, ["generate", "--model", bad, "hello"]),
        (finetune_main, ["plan", "--model", bad]),
        (evalkit_main, ["generate", "--model", bad, "hello"]),
    ]:
        if argv[0] == "plan" and how == "no tokenizer":
            continue  # plan reads config.json only: a model without a tokenizer can be planned
        assert main(argv) == 4, argv
        err = capsys.readouterr().err
        assert bad in err and "Traceback" not in err, (argv, err)
