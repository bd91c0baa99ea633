"""curate.tokens: counts against the tokenizer called directly, perplexity against a hand-run forward pass."""

from __future__ import annotations

import math

import numpy as np
import pytest

from curate.tokens import count_tokens, perplexities, token_stats, training_time_s

TEXTS = [
    "What is the purpose of the BeastAttack class?",
    "The strength field determines the force with which the beast attacks the player.",
    "",
    "한국어 문장도 토큰으로 셉니다.",
    "short",
    " ".join(["a long answer that keeps going"] * 30),
]


def test_token_stats_match_direct_tokenizer_counts(tiny_model):
    tok = tiny_model.tokenizer
    direct = [len(tok.encode(t, add_special_tokens=False)) for t in TEXTS]
    st = token_stats(TEXTS, tok, max_length=20, bins=10)
    assert st["per_record"] == direct
    assert st["total"] == sum(direct)
    assert st["p50"] == pytest.approx(float(np.percentile(direct, 50)))
    assert st["p95"] == pytest.approx(float(np.percentile(direct, 95)))
    assert st["mean"] == pytest.approx(sum(direct) / len(direct))
    assert st["max"] == max(direct)
    over = sum(d > 20 for d in direct)
    assert st["truncated_records"] == over and st["truncated_share"] == pytest.approx(over / len(direct))
    assert sum(st["histogram"]["counts"]) == len(TEXTS)
    assert len(st["histogram"]["edges"]) == len(st["histogram"]["counts"]) + 1
    with_bos = count_tokens(TEXTS, tok, add_special_tokens=True, batch_size=2)
    assert with_bos.tolist() == [len(tok(t)["input_ids"]) for t in TEXTS]


def test_token_stats_empty_and_no_max_length(tiny_model):
    st = token_stats([], tiny_model.tokenizer)
    assert st["total"] == 0 and st["per_record"] == [] and st["truncated_share"] == 0.0
    st = token_stats(["one two"], tiny_model.tokenizer)
    assert st["max_length"] is None and st["truncated_records"] == 0


def test_training_time_estimate():
    assert training_time_s(1_000_000, 2_000) == 500.0
    assert training_time_s(1_000_000, 2_000, epochs=3) == 1500.0
    with pytest.raises(ValueError):
        training_time_s(10, 0)


def test_perplexity_matches_hand_run_forward_pass(tiny_model_dir, tiny_model):
    import torch

    from workbench.models import load_hf

    texts = ["The beast attacks the player.", "Hello world, hello again.", ""]
    got = perplexities(texts, tiny_model, batch_size=2)
    hf, tok = load_hf(str(tiny_model_dir))
    prefix = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
    for text, ppl in zip(texts[:2], got[:2]):
        ids = tok.encode(text, add_special_tokens=False)
        x = torch.tensor([[prefix] + ids])
        with torch.no_grad():
            logp = torch.log_softmax(hf(x).logits.float(), dim=-1)[0]
        total = sum(logp[i, t].item() for i, t in enumerate(ids))  # position i predicts token i+1 of x
        assert ppl == pytest.approx(math.exp(-total / len(ids)), rel=1e-4)
    assert math.isnan(got[2])  # nothing to score
