"""The training objective: summed cross-entropy over answer tokens, the LM head run on those positions only.

The loop divides the sum by the answer tokens of the whole optimizer step, so the step's loss is a mean over its
answer tokens whatever micro-batch or chunk they sit in (the same gradient as one padded batch).
"""

from __future__ import annotations

import contextlib

from finetune.data import IGNORE, collate

# PyTorch's CPU flash-attention kernel (forward + backward, bf16) loses to the plain math kernel on short sequences
# and wins on long ones; measured crossover between 160 and 192 tokens (benchmarks/bench_sdpa.py). Short chunks are
# the common case in SFT data (Enlighten: median 54 tokens), so those take the math kernel.
MATH_ATTENTION_MAX = 160


def attention_kernel(device, width: int):
    """The scaled-dot-product-attention backend for a forward pass over `width` tokens (a context manager)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    if device.type == "cpu" and width <= MATH_ATTENTION_MAX:
        return sdpa_kernel(SDPBackend.MATH)
    return contextlib.nullcontext()


def autocast(device, bf16: bool):
    """bf16 autocast on `device` when `bf16`, else a no-op (fp32 throughout)."""
    import torch

    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)


class CausalLMLoss:
    """Builds a module whose forward returns (sum of answer-token losses, their count) for one batch.

    The LM head runs only on positions that have a label: with answer-only loss most positions don't, and the head
    (vocab x hidden) is the largest single matmul in a small model.
    """

    @staticmethod
    def build(lm):
        import torch
        import torch.nn.functional as F

        class _Loss(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lm = lm
                base = lm.get_base_model() if hasattr(lm, "get_base_model") else lm
                # Models that post-process logits (softcapping) take the plain path: full logits from the model.
                self.fast = hasattr(base, "get_decoder") and not getattr(base.config, "final_logit_softcapping", None)
                self.decoder = base.get_decoder() if self.fast else None
                self.head = base.get_output_embeddings() if self.fast else None

            def forward(self, ids, mask, labels):
                target = labels[:, 1:]  # position t predicts token t+1: (B, T-1)
                keep = target != IGNORE
                with attention_kernel(ids.device, ids.shape[1]):
                    if self.fast:
                        h = self.decoder(input_ids=ids, attention_mask=mask).last_hidden_state[:, :-1]  # (B, T-1, H)
                        logits = self.head(h[keep])  # (N, V), N = answer tokens in the batch
                    else:
                        logits = self.lm(input_ids=ids, attention_mask=mask).logits[:, :-1][keep]
                loss = F.cross_entropy(logits.float(), target[keep], reduction="sum")
                return loss, keep.sum()

        return _Loss()


def eval_loss(loss_mod, examples: list, batch_size: int, pad_id: int, device, bf16: bool) -> float:
    """Mean answer-token loss over held-out `examples`, batched by length (least padding), without gradients."""
    import torch

    loss_mod.eval()  # dropout off
    total, count = 0.0, 0
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))
    with torch.no_grad(), autocast(device, bf16):
        for s in range(0, len(order), batch_size):
            ids, mask, labels = collate([examples[i] for i in order[s : s + batch_size]], pad_id)
            loss, n = loss_mod(ids.to(device), mask.to(device), labels.to(device))
            total, count = total + loss.item(), count + int(n)
    loss_mod.train()
    return total / max(1, count)
