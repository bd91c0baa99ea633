"""Training examples: curate's readers and field detection → prompt/answer text → token ids with answer-only labels.

Batches are planned up front (`plan_batches`) from the seed and the epoch, so a resumed run replays the same order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from curate.trainability import ALPACA, IGNORE, QA, encode_pair, render_prompt, resolve_template
from finetune.config import TrainConfig
from workbench.errors import UserError

# The rendering and masking live in curate.trainability, so `curate audit --model --max-length` counts exactly what
# training will see; they are re-exported here for the training code.
__all__ = [
    "ALPACA",
    "IGNORE",
    "QA",
    "Example",
    "check_batches",
    "collate",
    "load_examples",
    "pack",
    "plan_batches",
    "read_data",
    "read_pairs",
    "render_prompt",
    "split_eval",
    "step_batches",
    "tokenize_pairs",
    "unpadded_chunks",
]


@dataclass
class Example:
    index: int  # row number in the source file (0-based, after the header)
    input_ids: list[int]
    labels: list[int]  # IGNORE on prompt tokens (unless train_on_prompt) and on nothing else

    @property
    def n_answer(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE)


def read_pairs(path: str, fields: dict | None = None) -> list[tuple[object, str]]:
    """(prompt or chat messages, answer) for every row, through curate's readers and field detection."""
    from curate.fields import detect_fields, to_pair
    from workbench.tabular import read_rows

    rows = list(read_rows(path))
    if not rows:
        raise UserError(f"{path}: no rows to train on")
    fmap = detect_fields(list(rows[0].keys()), fields, source=path)
    if fmap.kind == "text" or (fmap.kind == "pair" and not fmap.answer):
        raise UserError(
            f"{path}: no answer field among columns {', '.join(rows[0].keys())}",
            hint="fine-tuning needs question/answer pairs or chat messages; name the columns with "
            "`fields: {question: COL, answer: COL}` in the config",
        )
    return [to_pair(row, fmap) for row in rows]


def tokenize_pairs(
    pairs, tokenizer, *, template: str = "auto", max_length: int = 512, train_on_prompt: bool = False
) -> list[Example]:
    """Prompt and answer are tokenized separately and joined, so the answer/prompt boundary is exact
    (curate.trainability.encode_pair, the rendering the audit checks), then cut at `max_length`."""
    template = resolve_template(tokenizer, template)
    out, prompt_lens = [], []
    for i, (prompt, answer) in enumerate(pairs):
        p, a = encode_pair(prompt, answer, tokenizer, template)
        ids = (p + a)[:max_length]
        labels = (list(p) if train_on_prompt else [IGNORE] * len(p)) + a
        out.append(Example(i, ids, labels[:max_length]))
        prompt_lens.append(len(p))
    if out and all(ex.n_answer == 0 for ex in out):
        raise UserError(
            f"max_length {max_length} is shorter than every prompt (shortest prompt: "
            f"{min(prompt_lens)} tokens): no answer token would be trained on",
            hint=f"raise max_length above {min(prompt_lens)}, e.g. --max-length {2 * max(prompt_lens)}",
        )
    return out


def read_data(cfg: TrainConfig) -> tuple[list, list | None]:
    """(training pairs, `eval_data` pairs or None): every row read and its fields found, so a bad file or field is a
    message before the model loads."""
    return read_pairs(cfg.data, cfg.fields), (read_pairs(cfg.eval_data, cfg.fields) if cfg.eval_data else None)


def load_examples(cfg: TrainConfig, tokenizer, data: tuple[list, list | None] | None = None):
    """(training, held-out) examples per `cfg` from `data` (`read_data`'s, read here when None): tokenized, split
    off (or from `eval_data`), packed; a batch with no answer token stops the run here, before the model is touched."""
    kw = dict(template=cfg.template, max_length=cfg.max_length, train_on_prompt=cfg.train_on_prompt)
    pairs, eval_pairs = data or read_data(cfg)
    examples = tokenize_pairs(pairs, tokenizer, **kw)
    if eval_pairs is not None:
        train, held = examples, tokenize_pairs(eval_pairs, tokenizer, **kw)
    else:
        train, held = split_eval(examples, cfg.eval_split, cfg.seed)
    if cfg.packing:
        train = pack(train, cfg.max_length)
    first = plan_batches(train, cfg.batch_size, seed=cfg.seed, epoch=0, group_by_length=cfg.group_by_length)
    check_batches(first, train, tokenizer)
    return train, held


def pack(examples: list[Example], max_length: int) -> list[Example]:
    """Concatenate examples into max_length blocks (no padding; attention crosses example borders)."""
    ids, labels, out = [], [], []
    for ex in examples:
        ids += ex.input_ids
        labels += ex.labels
        while len(ids) >= max_length:
            out.append(Example(len(out), ids[:max_length], labels[:max_length]))
            ids, labels = ids[max_length:], labels[max_length:]
    if ids:
        out.append(Example(len(out), ids, labels))
    return out


def split_eval(examples: list[Example], share: float, seed: int) -> tuple[list[Example], list[Example]]:
    """A seeded held-out share (at least one example when share > 0)."""
    if share <= 0 or len(examples) < 2:
        return examples, []
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_eval = max(1, int(round(len(examples) * share)))
    held = set(order[:n_eval])
    return [e for i, e in enumerate(examples) if i not in held], [e for i, e in enumerate(examples) if i in held]


def plan_batches(
    examples: list[Example], batch_size: int, *, seed: int, epoch: int, group_by_length: bool = True
) -> list[list[int]]:
    """One epoch's batches as lists of positions into `examples`: shuffled by (seed, epoch), then, when grouping by
    length, sorted by length inside mega-batches of 50 batches (HF's LengthGroupedSampler rule) and batch order
    shuffled again, so batches hold similar lengths without a fixed easy-to-hard order."""
    rng = random.Random(seed * 100_003 + epoch)
    order = list(range(len(examples)))
    rng.shuffle(order)
    if group_by_length:
        mega = batch_size * 50
        order = [
            i
            for s in range(0, len(order), mega)
            for i in sorted(order[s : s + mega], key=lambda i: -len(examples[i].input_ids))
        ]
    batches = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    if group_by_length:
        rng.shuffle(batches)
    return batches


def unpadded_chunks(batch: list[int], examples: list[Example], max_padding: float = 0.15) -> list[list[int]]:
    """A batch cut into chunks of similar length, longest first, each padded by at most `max_padding` of its tokens.

    The gradient of a batch is the sum over its examples however they are grouped, so chunks train exactly like the
    padded batch; on a CPU the padding is pure waste (random batches of Enlighten pairs are 47 % padding).
    """
    order = sorted(batch, key=lambda i: -len(examples[i].input_ids))
    chunks = [[order[0]]]
    for i in order[1:]:
        grown = chunks[-1] + [i]
        width = len(examples[grown[0]].input_ids)  # the chunk's longest: its first
        if sum(len(examples[j].input_ids) for j in grown) >= (1 - max_padding) * width * len(grown):
            chunks[-1] = grown
        else:
            chunks.append([i])
    return chunks


def step_batches(group: list[list[int]], examples: list[Example], max_padding: float, pad_id: int):
    """One optimizer step's tensors and its answer-token count: each batch of `group` as unpadded length-sorted chunks
    (`unpadded_chunks`), collated to (ids, mask, labels) of shape (B, T) each."""
    chunks = [c for b in group for c in unpadded_chunks(b, examples, max_padding)]
    batches = [collate([examples[i] for i in c], pad_id) for c in chunks]
    n_answer = sum(int((labels[:, 1:] != IGNORE).sum()) for _, _, labels in batches)  # the predicted tokens
    return batches, n_answer


def check_batches(batches: list[list[int]], examples: list[Example], tokenizer) -> None:
    """Stop before training when a batch has no answer token at all (the silent zero-loss trap: TRL #1820, #980)."""
    for b, batch in enumerate(batches):
        if all(examples[i].n_answer == 0 for i in batch):
            ex = examples[batch[0]]
            shown = tokenizer.decode(ex.input_ids)
            shown = shown if len(shown) < 600 else shown[:300] + " … " + shown[-300:]
            raise UserError(
                f"every label in batch {b} is masked: no answer token left to learn from, so the loss would be 0 "
                f"(example at data row {ex.index}, {len(ex.input_ids)} tokens):\n---\n{shown}\n---",
                hint="the prompt fills max_length or the template hides the answer: raise max_length, shorten or "
                "drop long prompts, or check `template`",
            )


def collate(batch: list[Example], pad_id: int):
    """Right-padded tensors: input_ids, attention_mask, labels (IGNORE on padding). Shapes (B, T), T = longest."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    for r, e in enumerate(batch):
        n = len(e.input_ids)
        ids[r, :n] = torch.tensor(e.input_ids)
        mask[r, :n] = 1
        labels[r, :n] = torch.tensor(e.labels)
    return ids, mask, labels
