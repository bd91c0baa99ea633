"""The loss path: the LM head on answer positions only, and unpadded chunks, against transformers' own loss."""

import contextlib

import pytest
import torch

from finetune import data as D
from finetune.loss import CausalLMLoss
from tests.finetune.conftest import REPO
from workbench.models import load_hf


@pytest.fixture(scope="module")
def lora_and_examples(tiny_model_dir):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)
    lm, tok = load_hf(str(tiny_model_dir), dtype=torch.float32)
    lm = get_peft_model(
        lm,
        LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "down_proj"], task_type="CAUSAL_LM"),
    )
    for n, p in lm.named_parameters():  # LoRA B starts at zero; make the adapters matter
        if "lora_B" in n:
            torch.nn.init.normal_(p, std=0.1)
    import csv

    with open(REPO / "data/enlighten-instruct/TrainData.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:8]
    examples = D.tokenize_pairs([(r["Q"], r["A"]) for r in rows], tok, template="qa", max_length=96)
    return lm, tok, examples


def _grads(lm) -> dict:
    return {n: p.grad.clone() for n, p in lm.named_parameters() if p.requires_grad}


def test_answer_only_head_matches_transformers_loss(lora_and_examples):
    lm, tok, examples = lora_and_examples
    ids, mask, labels = D.collate(examples, tok.pad_token_id)
    lm.zero_grad()
    loss_sum, n = CausalLMLoss.build(lm)(ids, mask, labels)
    (loss_sum / n).backward()
    ours = _grads(lm)
    lm.zero_grad()
    ref = lm(input_ids=ids, attention_mask=mask, labels=labels).loss  # full logits, transformers' shift and mean
    ref.backward()
    assert int(n) == sum(e.n_answer for e in examples)  # position 0 is prompt: every answer token gets predicted
    assert (loss_sum / n).item() == pytest.approx(ref.item(), rel=1e-5)
    theirs = _grads(lm)
    assert all(torch.allclose(ours[k], theirs[k], rtol=1e-4, atol=1e-6) for k in ours)


def test_unpadded_chunks_give_the_padded_batchs_loss_and_gradient(lora_and_examples):
    lm, tok, examples = lora_and_examples
    loss = CausalLMLoss.build(lm)
    batch = list(range(len(examples)))
    chunks = D.unpadded_chunks(batch, examples, max_padding=0.15)
    assert sorted(i for c in chunks for i in c) == batch and 1 < len(chunks) < len(batch)
    for c in chunks:  # longest first, each chunk padded by at most 15 %
        lengths = [len(examples[i].input_ids) for i in c]
        assert lengths == sorted(lengths, reverse=True) and sum(lengths) >= 0.85 * lengths[0] * len(c)

    lm.zero_grad()
    whole, n = loss(*D.collate(examples, tok.pad_token_id))
    (whole / n).backward()
    padded = _grads(lm)
    lm.zero_grad()
    total = 0.0
    for c in chunks:
        part, _ = loss(*D.collate([examples[i] for i in c], tok.pad_token_id))
        (part / n).backward()
        total += part.item()
    assert total == pytest.approx(whole.item(), rel=1e-5)
    chunked = _grads(lm)
    assert all(torch.allclose(padded[k], chunked[k], rtol=1e-4, atol=1e-6) for k in padded)


def test_math_attention_for_short_chunks_matches_the_flash_kernel(lora_and_examples):
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from finetune.loss import MATH_ATTENTION_MAX, attention_kernel

    lm, tok, examples = lora_and_examples
    cpu = torch.device("cpu")
    assert not isinstance(attention_kernel(cpu, MATH_ATTENTION_MAX), contextlib.nullcontext)
    assert isinstance(attention_kernel(cpu, MATH_ATTENTION_MAX + 1), contextlib.nullcontext)
    ids, mask, labels = D.collate(examples, tok.pad_token_id)
    assert ids.shape[1] <= MATH_ATTENTION_MAX  # so the loss module runs the math kernel
    lm.zero_grad()
    total, n = CausalLMLoss.build(lm)(ids, mask, labels)
    (total / n).backward()
    ours = _grads(lm)
    lm.zero_grad()
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):  # transformers' own forward on the flash kernel
        ref = lm(input_ids=ids, attention_mask=mask, labels=labels).loss
    ref.backward()
    assert (total / n).item() == pytest.approx(ref.item(), rel=1e-5)
    theirs = _grads(lm)
    assert all(torch.allclose(ours[k], theirs[k], rtol=1e-3, atol=1e-6) for k in ours)
