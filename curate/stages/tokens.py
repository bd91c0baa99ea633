"""The token stage: token counts with the target model's own tokenizer (curate.tokens), or an estimate without one,
and each answer's perplexity under the model when asked."""

from __future__ import annotations

import numpy as np

from curate.stages.base import Batch, Run, Stage
from curate.tokens import approx_tokens, count_tokens, perplexities, summarize_counts

__all__ = ["Tokens"]


class Tokens(Stage):
    """Tokens per record (`counts`: total, p50/p95, histogram, the share longer than `max_length`) with `model`'s
    tokenizer (a model spec; None: ~4 bytes per token), and with `perplexity` each answer's perplexity under the model
    (None: the default model)."""

    name = "tokens"

    def __init__(
        self, model: str | None = None, max_length: int | None = None, perplexity: bool = False, counts: bool = True
    ):
        self.model = model
        self.max_length = max_length
        self.perplexity = perplexity
        self.counts = counts

    def begin(self, run: Run) -> None:
        from workbench.models import load_model, load_tokenizer, parse_spec

        self._model, self._tokenizer = None, None
        if self.perplexity:
            self._model = load_model(self.model or "default")
            self._tokenizer = getattr(self._model, "tokenizer", None)
        elif self.model and parse_spec(self.model).kind != "openai":  # counting needs the tokenizer, not the weights
            self._tokenizer = load_tokenizer(self.model)
        self._name = getattr(self._model, "name", None) or (parse_spec(self.model).text if self.model else None)
        self._tokens: list[np.ndarray] = []
        self._ppl: list[np.ndarray] = []

    def add(self, batch: Batch) -> None:
        if self.counts:
            texts = batch.texts
            self._tokens.append(
                count_tokens(texts, self._tokenizer) if self._tokenizer is not None else approx_tokens(texts)
            )
        if self.perplexity:
            self._ppl.append(np.asarray(perplexities(batch.answers, self._model), np.float64))

    def report(self, run: Run) -> None:
        tokens: dict = {}
        if self.counts:
            per = np.concatenate(self._tokens) if self._tokens else np.zeros(0, np.int64)
            tokens = summarize_counts(per, max_length=self.max_length)
            tokens["tokenizer"] = (
                self._name if self._tokenizer is not None else "approx (no --model: ~4 bytes per token)"
            )
            run.columns["tokens"] = per
        if self.perplexity:
            ppl = np.concatenate(self._ppl) if self._ppl else np.zeros(0, np.float64)
            arr = ppl[np.isfinite(ppl)]
            tokens["perplexity"] = {
                "model": self._model.name,
                "p50": float(np.median(arr)) if len(arr) else None,
                "p95": float(np.percentile(arr, 95)) if len(arr) else None,
            }
            run.columns["perplexity"] = ppl
        run.sections["tokens"] = tokens
