"""Will every example train? Records rendered and masked exactly as `finetune train` renders them (this module is that
rendering: finetune.data calls it), then each record's answer tokens counted against the training length.

A record whose prompt fills `max_length` keeps no answer token: with completion-only masking it trains on nothing and
its loss is silently 0 (the TRL issues #1820 and #980 are users losing runs to this). One whose answer runs past the
length loses its end. Both are counted here, per record, before any GPU time is spent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from workbench.errors import UserError

__all__ = [
    "ALPACA",
    "IGNORE",
    "QA",
    "REASONS",
    "Fit",
    "check_pairs",
    "read_records",
    "encode_pair",
    "fit_of",
    "render_prompt",
    "resolve_template",
    "summarize_fits",
]

IGNORE = -100  # label value the loss skips (torch.nn.functional.cross_entropy's ignore_index)

# Stanford Alpaca's prompt (tatsu-lab/stanford_alpaca, train.py PROMPT_DICT["prompt_no_input"]).
ALPACA = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{prompt}\n\n### Response:\n"
)
# lm-evaluation-harness's multiple-choice prompt: train in the format the model is scored in.
QA = "Question: {prompt}\nAnswer:"

# Reason codes a record gets (report.json's `trainability`, records.parquet's `reasons`).
REASONS = {
    "untrainable": "every answer token is cut off at max_length: the record trains on nothing",
    "answer_truncated": "part of the answer is cut off at max_length",
}


def resolve_template(tokenizer, template: str | None = "auto") -> str:
    """`auto` → `chat` when the tokenizer has a chat template, else `alpaca`; `chat` without one is the user's error."""
    template = template or "auto"
    has_chat = bool(getattr(tokenizer, "chat_template", None))
    if template == "auto":
        return "chat" if has_chat else "alpaca"
    if template == "chat" and not has_chat:
        raise UserError(
            "template: chat, but the model's tokenizer has no chat template",
            hint="use template: alpaca, qa or a custom string with {prompt}",
        )
    return template


def render_prompt(prompt, tokenizer, template: str = "auto") -> str:
    """The prompt text exactly as training saw it (also used by `finetune generate --template`)."""
    template = resolve_template(tokenizer, template)
    if template == "chat":
        messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    if not isinstance(prompt, str):  # chat messages in a non-chat template: flatten them
        prompt = "\n".join(f"{m['role']}: {m['content']}" for m in prompt)
    fmt = {"alpaca": ALPACA, "qa": QA}.get(template, template)
    if "{prompt}" not in fmt:
        raise UserError(
            f"template {template!r} has no {{prompt}} placeholder",
            hint="use auto, chat, alpaca, qa or a string like 'Q: {prompt}\\nA:'",
        )
    return fmt.replace("{prompt}", prompt)


def answer_text(answer: str, prompt_ids: Sequence[int], template: str) -> str:
    """QA-style prompts end in "Answer:": the answer starts with a space, like lm-eval's continuation " {choice}";
    a chat template's assistant turn starts on its own line, so the answer is taken as is."""
    return answer if not prompt_ids or template == "chat" or answer[:1].isspace() else " " + answer


def encode_pair(prompt, answer: str, tokenizer, template: str = "auto") -> tuple[list[int], list[int]]:
    """(prompt ids, answer ids + EOS), untruncated: tokenized separately and joined, so the boundary is exact."""
    template = resolve_template(tokenizer, template)
    p = tokenizer(render_prompt(prompt, tokenizer, template))["input_ids"]
    eos = tokenizer.eos_token_id
    a = tokenizer(answer_text(answer, p, template), add_special_tokens=False)["input_ids"]
    return list(p), list(a) + ([eos] if eos is not None else [])


def boundary_mismatch(prompt, answer: str, tokenizer, template: str, p: Sequence[int], a: Sequence[int]) -> bool:
    """True when the rendered prompt and answer tokenized as one text differ from the two tokenized apart (a token
    spanning the boundary): training then sees token ids that generation from the prompt never produces."""
    template = resolve_template(tokenizer, template)
    text = render_prompt(prompt, tokenizer, template) + answer_text(answer, p, template)
    eos = tokenizer.eos_token_id
    body = list(a[:-1]) if eos is not None and a and a[-1] == eos else list(a)
    return tokenizer(text)["input_ids"] != list(p) + body


def read_records(path, fmap, *, max_record_bytes: int | None = None):
    """(line, row, (prompt, answer)) per record of `path` as training reads it (chat messages kept whole), in the
    audit's order: rows the audit skips (unreadable, or a field of the wrong type) are skipped here too."""
    from curate.fields import FieldTypeError, to_pair
    from workbench import tabular as io

    limit = {} if max_record_bytes is None else {"max_record_bytes": max_record_bytes}
    for line, row in io.read_numbered(path, skip_bad=True, **limit):
        try:
            yield line, row, to_pair(row, fmap)
        except FieldTypeError:
            continue


@dataclass(frozen=True)
class Fit:
    """One record at the training length: its tokens, the answer tokens left after truncation, its reason code."""

    index: int
    prompt_tokens: int
    answer_tokens: int
    kept_answer_tokens: int
    boundary_mismatch: bool = False

    @property
    def reason(self) -> str | None:
        if self.kept_answer_tokens == 0:
            return "untrainable"
        if self.kept_answer_tokens < self.answer_tokens:
            return "answer_truncated"
        return None

    @property
    def lost_share(self) -> float:
        """Share of the answer's tokens cut off (1.0 for an untrainable record)."""
        return 1.0 - self.kept_answer_tokens / self.answer_tokens if self.answer_tokens else 1.0


def fit_of(index: int, n_prompt: int, n_answer: int, max_length: int, mismatch: bool = False) -> Fit:
    """The record truncated to `max_length` tokens the way training truncates it (prompt first, answer after)."""
    kept = max(0, min(n_answer, max_length - n_prompt))
    return Fit(index, n_prompt, n_answer, kept, mismatch)


def check_pairs(
    pairs: Iterable[tuple[object, str]], tokenizer, *, max_length: int, template: str = "auto", start: int = 0
) -> list[Fit]:
    """A `Fit` per (prompt, answer) pair (chat messages or text), numbered from `start`."""
    template = resolve_template(tokenizer, template)
    fits = []
    for i, (prompt, answer) in enumerate(pairs, start):
        p, a = encode_pair(prompt, answer, tokenizer, template)
        mismatch = boundary_mismatch(prompt, answer, tokenizer, template, p, a)
        fits.append(fit_of(i, len(p), len(a), max_length, mismatch))
    return fits


def summarize_fits(fits: Sequence[Fit], *, max_length: int, template: str, examples: int = 1000) -> dict:
    """report.json's `trainability` section: counts, the share of answer tokens lost, length quantiles under the
    template, and the flagged records (index, reason, tokens; the first `examples`)."""
    n = len(fits)
    total = np.array([f.prompt_tokens + f.answer_tokens for f in fits], np.int64)
    answer = sum(f.answer_tokens for f in fits)
    lost = sum(f.answer_tokens - f.kept_answer_tokens for f in fits)
    flagged = [f for f in fits if f.reason or f.boundary_mismatch]
    quantiles = {f"p{q}": float(np.percentile(total, q)) if n else 0.0 for q in (50, 90, 95, 99)}
    return {
        "max_length": max_length,
        "template": template,
        "records": n,
        "untrainable_records": sum(1 for f in fits if f.reason == "untrainable"),
        "partly_truncated_records": sum(1 for f in fits if f.reason == "answer_truncated"),
        "boundary_mismatch_records": sum(1 for f in fits if f.boundary_mismatch),
        "answer_tokens": int(answer),
        "answer_tokens_lost_share": lost / answer if answer else 0.0,
        "length": {
            **quantiles,
            "max": int(total.max()) if n else 0,
            "over_max_length": int((total > max_length).sum()),
        },
        "reasons": dict(REASONS),
        "records_flagged": [
            {**asdict(f), "reason": f.reason, "lost_share": round(f.lost_share, 4)} for f in flagged[:examples]
        ],
    }


FINETUNE_DEFAULTS = {"max_length": 512, "template": "auto"}  # finetune/config.py's defaults for these keys


def finetune_settings(path: str) -> dict:
    """`model`, `max_length`, `template` and `fields` of a finetune config YAML (finetune's defaults where unset), for
    `curate audit --finetune-config`: the audit checks the data at the length and template training will use."""
    from pathlib import Path

    import yaml

    p = Path(path)
    if not p.is_file():
        raise UserError(f"--finetune-config {path}: no such file", hint="pass the YAML you give `finetune train`")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        raise UserError(f"{path}{':' + str(line + 1) if line is not None else ''}: not valid YAML: {e}") from None
    if not isinstance(raw, dict) or not raw.get("model"):
        raise UserError(f"--finetune-config {path}: no `model:` key", hint="a finetune config names its model")
    out = {**FINETUNE_DEFAULTS, **{k: raw[k] for k in ("model", "max_length", "template", "fields") if k in raw}}
    length = out["max_length"]
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise UserError(f"--finetune-config {path}: max_length {length!r} is not a whole number >= 1")
    return out
