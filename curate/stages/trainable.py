"""The trainability stage: every record rendered, tokenized and masked as `finetune train` will (curate.trainability),
and checked against the training length; records that would train on nothing (`untrainable`) or lose part of their
answer (`answer_truncated`) get those reason codes."""

from __future__ import annotations

from curate.stages.base import Run, Stage
from curate.trainability import check_pairs, read_records, render_prompt, resolve_template, summarize_fits
from workbench import tabular as io

__all__ = ["Trainable"]


class Trainable(Stage):
    """Runs when an audit has both a model (its tokenizer and chat template) and a `max_length`; `template` as in a
    finetune config (auto, chat, alpaca, qa or a string with {prompt}). Plain-text datasets have no answer to mask
    and are skipped (the section says so)."""

    name = "trainable"

    def __init__(
        self, model: str, max_length: int, template: str = "auto", max_record_bytes: int = io.MAX_RECORD_BYTES
    ):
        self.model = model
        self.max_length = max_length
        self.template = template
        self.max_record_bytes = max_record_bytes

    def begin(self, run: Run) -> None:
        from workbench.models import load_tokenizer

        self._tokenizer = load_tokenizer(self.model)
        self._template = resolve_template(self._tokenizer, self.template)  # chat without one: exit 2 before reading
        render_prompt("?", self._tokenizer, self._template)  # a custom template without {prompt}: the same

    def _pairs(self, run: Run):
        """(prompt, answer) per record as training reads them: chat messages kept whole, in the first pass's order
        (rows the first pass skipped are skipped here too)."""
        for _, _, pair in read_records(run.path, run.col.fmap, max_record_bytes=self.max_record_bytes):
            yield pair

    def report(self, run: Run) -> None:
        if run.col.fmap.kind == "text":
            run.sections["trainability"] = {"skipped": "plain text: no answer to mask (finetune trains on pairs)"}
            return
        fits = check_pairs(self._pairs(run), self._tokenizer, max_length=self.max_length, template=self._template)
        reasons = run.col.reasons
        for f in fits:
            if f.reason and f.index < len(reasons):
                reasons[f.index] = [*reasons[f.index], f.reason]  # a new list: the shared empty one is never mutated
        section = summarize_fits(fits, max_length=self.max_length, template=self._template)
        section["model"] = self.model
        run.sections["trainability"] = section
