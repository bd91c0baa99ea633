"""`curate select`: keep a share of a dataset chosen by a score, and say why each record was kept or not.

Scores (`--by`):
- ifd: instruction-following difficulty, the answer's mean token loss given the question over its mean loss alone,
  IFD(Q, A) = s(A|Q) / s(A) (Li et al. 2024, "From Quantity to Quality", §2.3). Higher: the question helps less, the
  pair teaches more; IFD >= 1 means the question does not help at all, and the paper drops those (§2.3) before
  keeping the highest. Computed under a model (the embedded one by default) with the records rendered as
  `finetune train` renders them (curate.trainability); the answer alone starts after the tokenizer's BOS (EOS when
  it has none), so both losses cover the same answer tokens.
- quality: records with no quality flag from the audit's signals (curate.signals) and no exact duplicate before them
  first, in a seeded random order; flagged ones only to fill the quota, fewest flags first.
- diverse: k-center greedy over the audit's text embeddings (curate.diversity.embed): each pick is the record farthest
  from those already kept (Sener & Savarese 2018, "Active Learning for CNNs: A Core-Set Approach", §4.1), starting
  from the record nearest the centroid.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from curate.trainability import encode_pair, read_records, resolve_template
from workbench.errors import InputError, UserError

__all__ = ["BY", "OUTPUTS", "answer_losses", "ifd_scores", "keep_count", "kcenter_order", "select"]

BY = ("ifd", "quality", "diverse")
OUTPUTS = ("subset.jsonl", "rejects.jsonl", "manifest.json")
SOURCES = {
    "ifd": "Li et al. 2024, From Quantity to Quality, §2.3: IFD = s(A|Q) / s(A); IFD >= 1 dropped, highest kept",
    "quality": "curate.signals reason codes and exact duplicates: unflagged first, seeded random order",
    "diverse": "Sener & Savarese 2018, A Core-Set Approach, §4.1: k-center greedy on curate.diversity embeddings",
}


def keep_count(keep: float, n: int) -> int:
    """Records to keep: `keep` in (0, 1] is a share of `n` (rounded up, at least one); a whole number above 1 is a
    count, at most `n`. Anything else raises InputError."""
    if not keep > 0 or not math.isfinite(keep):
        raise InputError(f"--keep {keep:g}: must be a share in (0, 1] or a whole count of records")
    if keep <= 1:
        return max(1, math.ceil(keep * n))
    if keep != int(keep):
        raise InputError(f"--keep {keep:g}: above 1 it is a count of records, so a whole number (or a share <= 1)")
    if keep > n:
        raise InputError(f"--keep {int(keep)}: larger than the set ({n} records)")
    return int(keep)


def answer_losses(lm, seqs: Sequence[tuple[list[int], int]], *, batch_size: int = 8) -> np.ndarray:
    """Mean cross-entropy (nats per token) of the last `n` tokens of each `ids` in `seqs`, each predicted from what
    precedes it; right-padded batches of similar length. NaN where n is 0."""
    import torch

    out = np.full(len(seqs), np.nan)
    order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i][0]))
    device = next(lm.parameters()).device
    for s in range(0, len(order), batch_size):
        rows = [i for i in order[s : s + batch_size] if seqs[i][1] > 0 and len(seqs[i][0]) > 1]
        if not rows:
            continue
        width = max(len(seqs[i][0]) for i in rows)
        ids = torch.zeros((len(rows), width), dtype=torch.long)
        mask = torch.zeros_like(ids)
        target = torch.zeros((len(rows), width - 1), dtype=torch.bool)  # positions 1.. predicted from 0..
        for r, i in enumerate(rows):
            seq, n = seqs[i]
            ids[r, : len(seq)] = torch.tensor(seq)
            mask[r, : len(seq)] = 1
            target[r, len(seq) - n - 1 : len(seq) - 1] = True
        with torch.no_grad():
            logits = lm(input_ids=ids.to(device), attention_mask=mask.to(device)).logits[:, :-1].float()
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:].to(device), reduction="none").cpu()
        for r, i in enumerate(rows):
            out[i] = float(nll[r][target[r]].mean())
    return out


def ifd_scores(
    pairs,
    lm,
    tokenizer,
    *,
    template: str = "auto",
    max_length: int = 1024,
    batch_size: int = 8,
    answer_end: bool = True,
) -> dict:
    """IFD per (prompt, answer) pair, with the two losses it divides: `conditioned` s(A|Q) and `direct` s(A), over
    the answer tokens that fit in `max_length` after the prompt (none fit: NaN). The answer's tokens are those
    `finetune train` learns, its closing special tokens (end of turn, EOS) included; `answer_end=False` leaves those
    out, as Li et al.'s code and the `wana` package score the answer (the cross-check in the tests)."""
    template = resolve_template(tokenizer, template)
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    special = set(tokenizer.all_special_ids)
    cond, alone = [], []
    for prompt, answer in pairs:
        p, a = encode_pair(prompt, answer, tokenizer, template)
        while not answer_end and a and a[-1] in special:
            a = a[:-1]
        kept = a[: max(0, max_length - len(p))]
        cond.append((p + kept, len(kept)))
        alone.append(([start, *kept], len(kept)))
    c = answer_losses(lm, cond, batch_size=batch_size)
    d = answer_losses(lm, alone, batch_size=batch_size)
    with np.errstate(divide="ignore", invalid="ignore"):
        ifd = np.where(d > 0, c / d, np.nan)
    return {"ifd": ifd, "conditioned": c, "direct": d}


def kcenter_order(X: np.ndarray, k: int) -> tuple[list[int], list[float]]:
    """The first `k` picks of k-center greedy on rows of `X` (Sener & Savarese 2018, §4.1), and each pick's distance
    to the ones before it (the first: its distance to the centroid)."""
    first = int(np.argmin(np.linalg.norm(X - X.mean(axis=0), axis=1)))
    picks, dists = [first], [float(np.linalg.norm(X[first] - X.mean(axis=0)))]
    nearest = np.linalg.norm(X - X[first], axis=1)
    for _ in range(1, k):
        nxt = int(np.argmax(nearest))
        picks.append(nxt)
        dists.append(float(nearest[nxt]))
        nearest = np.minimum(nearest, np.linalg.norm(X - X[nxt], axis=1))
    return picks, dists


def _by_ifd(pairs, model: str, template: str, max_length: int, batch_size: int) -> tuple[list[int], list[dict]]:
    """(every record in the order IFD keeps them, per-record facts): IFD < 1 by IFD descending, then the rest."""
    from workbench.models import load_hf, load_tokenizer

    resolve_template(load_tokenizer(model), template)  # `chat` on a model without one: exit 2 before the weights load
    lm, tok = load_hf(model)
    got = ifd_scores(pairs, lm, tok, template=template, max_length=max_length, batch_size=batch_size)
    ifd = got["ifd"]
    useful = sorted((i for i in range(len(pairs)) if ifd[i] < 1), key=lambda i: (-ifd[i], i))
    rest = sorted((i for i in range(len(pairs)) if not ifd[i] < 1), key=lambda i: (np.nan_to_num(ifd[i], nan=9e9), i))
    facts = []
    for i in range(len(pairs)):
        f = {"score": None if np.isnan(ifd[i]) else round(float(ifd[i]), 6)}
        f.update(conditioned_loss=_num(got["conditioned"][i]), direct_loss=_num(got["direct"][i]))
        f["why"] = (
            "no answer token fits max_length"
            if np.isnan(ifd[i])
            else f"IFD {ifd[i]:.3f} >= 1: the question does not help predict the answer"
            if ifd[i] >= 1
            else f"IFD {ifd[i]:.3f}: the answer is this hard to predict even given the question"
        )
        facts.append(f)
    return useful + rest, facts


def _num(x) -> float | None:
    return None if np.isnan(x) else round(float(x), 6)


def _by_quality(path, fields, texts: list[str], seed: int) -> tuple[list[int], list[dict]]:
    """Clean records (no signal flag, not an exact repeat of an earlier pair) in a seeded random order, then flagged
    ones, fewest flags first."""
    from curate.executor import collect
    from curate.pipeline import AuditConfig

    col = collect(path, AuditConfig(fields=fields), progress=False, keep_texts=False)
    if len(col.reasons) != len(texts):  # a row the audit's reader reads differently: never pair the wrong flags
        raise UserError(f"{path}: {len(col.reasons)} records audited but {len(texts)} read", hint="check --fields")
    seen: set[str] = set()
    flags = []
    for i, text in enumerate(texts):
        rs = list(col.reasons[i]) + (["exact_duplicate"] if text in seen else [])
        seen.add(text)
        flags.append(rs)
    rank = np.random.default_rng(seed).permutation(len(texts))
    order = sorted(range(len(texts)), key=lambda i: (len(flags[i]), rank[i]))
    facts = [
        {"score": -len(rs), "why": "flagged: " + ", ".join(rs) if rs else "no quality flag, not a duplicate"}
        for rs in flags
    ]
    return order, facts


def _by_diversity(texts: list[str], k: int, seed: int) -> tuple[list[int], list[dict]]:
    """k-center greedy picks first (each with its distance to those before it), then the rest in input order."""
    from curate.diversity import embed

    X, _ = embed(texts, seed=seed)
    picks, dists = kcenter_order(np.asarray(X), k)
    facts = [{"score": None, "why": "close to a record already kept"} for _ in texts]
    for j, (i, d) in enumerate(zip(picks, dists)):
        where = "nearest the centroid" if j == 0 else f"{d:.3f} from the nearest record kept before it"
        facts[i] = {"score": round(d, 6), "why": f"pick {j + 1}: {where}"}
    chosen = set(picks)
    return picks + [i for i in range(len(texts)) if i not in chosen], facts


def select(
    path: str | os.PathLike,
    *,
    keep: float,
    by: str,
    out: str | os.PathLike,
    model: str = "default",
    template: str = "auto",
    max_length: int = 1024,
    fields: dict | None = None,
    seed: int = 0,
    batch_size: int = 8,
) -> dict:
    """Keep `keep` (a share in (0, 1] or a count) of `path`'s records by `by` (BY); write subset.jsonl, rejects.jsonl
    and manifest.json (every record: kept or not, its score, its rank, why) into `out` in one swap; returns the
    manifest."""
    from curate.fields import prompt_text
    from curate.stages.base import record_text
    from workbench.atomic import check_output_dir

    if by not in BY:
        raise UserError(f"--by {by!r}: unknown score", hint=f"use one of {', '.join(BY)}")
    check_output_dir(out, replaces=OUTPUTS)
    fmap, records = _rows(path, fields)
    k = _keep(keep, len(records))
    pairs = [pair for _, _, pair in records]
    texts = [record_text(prompt_text(p), a, fmap.kind) for p, a in pairs]
    if by == "ifd":
        if fmap.kind == "text":
            raise UserError(f"{path}: --by ifd needs question/answer pairs or chat messages, not plain text")
        order, facts = _by_ifd(pairs, model, template, max_length, batch_size)
    elif by == "quality":
        order, facts = _by_quality(path, fields, texts, seed)
    else:
        order, facts = _by_diversity(texts, k, seed)
    manifest = _manifest(path, by, keep, k, records, order, facts, model if by == "ifd" else None)
    _write(out, records, manifest)
    return manifest


def _rows(path, fields):
    """(field map, [(line, row, pair)]) of `path`; an empty set is the user's error."""
    from curate.fields import detect_fields
    from workbench import tabular as io

    first = next(iter(io.read_numbered(path, skip_bad=True)), None)
    if first is None:
        raise UserError(f"{path}: no records to select from")
    fmap = detect_fields(list(first[1].keys()), fields, source=os.fspath(path))
    return fmap, list(read_records(path, fmap))


def _keep(keep: float, n: int) -> int:
    try:
        return keep_count(keep, n)
    except InputError as e:
        raise UserError(str(e), hint="e.g. --keep 0.2 (a fifth of the records) or --keep 100 (records)") from None


def _manifest(path, by, keep, k, records, order, facts, model) -> dict:
    """manifest.json: the settings, then every record with its fate (kept first, in the order chosen)."""
    rank = {i: r + 1 for r, i in enumerate(order)}
    entries = [{"index": i, "line": records[i][0], "kept": rank[i] <= k, "rank": rank[i], **facts[i]} for i in order]
    return {
        "input": os.fspath(path),
        "by": by,
        "keep": keep,
        "kept": k,
        "records": len(records),
        "model": model,
        "source": SOURCES[by],
        "entries": entries,
    }


def _write(out, records, manifest: dict) -> None:
    """The three files, built in a temp folder and swapped in whole (workbench.atomic.atomic_dir)."""
    import json

    from workbench.atomic import atomic_dir, write_json

    kept = {e["index"] for e in manifest["entries"] if e["kept"]}
    with atomic_dir(Path(out)) as tmp:
        sub = open(tmp / "subset.jsonl", "w", encoding="utf-8")
        rej = open(tmp / "rejects.jsonl", "w", encoding="utf-8")
        with sub, rej:
            for i, (_, row, _) in enumerate(records):
                (sub if i in kept else rej).write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        write_json(tmp / "manifest.json", manifest)
