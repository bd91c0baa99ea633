"""The local backend: transformers models on CPU or GPU, batched generate and loglikelihood."""

from __future__ import annotations

import time
from collections.abc import Sequence

from workbench.models.base import Generation, Model, Prompt, apply_stop, as_messages


def _progress(total: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, leave=False)


class HFModel(Model):
    """A causal LM loaded through `load_hf` (the only loader)."""

    def __init__(self, name: str, model, tokenizer, fingerprint: str):
        self.name = name
        self.model = model
        self.tokenizer = tokenizer
        self.fingerprint = fingerprint
        self.max_length = int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.device = next(model.parameters()).device

    # -- prompts --------------------------------------------------------------------------------------------
    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def render(self, prompt: Prompt, *, system: str | None = None, chat: bool | None = None) -> str:
        """The exact text the model sees: the chat template when the model has one (chat=None), else the prompt."""
        use_chat = self.has_chat_template if chat is None else chat
        if use_chat:
            if not self.has_chat_template:
                from workbench.errors import UserError

                raise UserError(f"model {self.name} has no chat template", hint="pass plain-text prompts or chat=False")
            return self.tokenizer.apply_chat_template(
                as_messages(prompt, system), add_generation_prompt=True, tokenize=False
            )
        if not isinstance(prompt, str):
            return "\n".join(m["content"] for m in as_messages(prompt, system)) + "\n"
        return f"{system}\n\n{prompt}" if system else prompt

    def encode(self, text: str) -> list[int]:
        """Token ids as lm-evaluation-harness encodes them (the tokenizer's own special-token default)."""
        return self.tokenizer.encode(text)

    # -- generate -------------------------------------------------------------------------------------------
    # the signature and its types are Model.generate's (base.py)
    def generate(self, prompts, *, max_new_tokens, temperature=0.0, top_p=1.0, seed=0, system=None, stop=None,
                 chat=None, batch_size=8, progress=False, errors="raise") -> list[Generation]:  # fmt: skip
        import torch

        texts = [self.render(p, system=system, chat=chat) for p in prompts]
        encoded = [self.encode(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: -len(encoded[i]))  # length-sorted batches waste no padding
        out: list[Generation | None] = [None] * len(texts)
        tok = self.tokenizer
        bar = _progress(len(texts), progress, "generate")
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            width = max(len(encoded[i]) for i in idx)
            ids = torch.full((len(idx), width), tok.pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):  # left padding: every prompt ends where generation starts
                ids[row, width - len(encoded[i]) :] = torch.tensor(encoded[i])
                mask[row, width - len(encoded[i]) :] = 1
            kwargs = dict(max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id)
            if temperature and temperature > 0:
                kwargs.update(do_sample=True, temperature=float(temperature), top_p=float(top_p))
            else:
                kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
            torch.manual_seed(seed + start)
            t0 = time.perf_counter()
            with torch.inference_mode():
                gen = self.model.generate(input_ids=ids.to(self.device), attention_mask=mask.to(self.device), **kwargs)
            dt = (time.perf_counter() - t0) / len(idx)
            for row, i in enumerate(idx):
                new = gen[row, width:].tolist()
                eos = [j for j, t in enumerate(new) if t in self._stop_ids]
                finish = "stop" if eos else "length"
                new = new[: eos[0]] if eos else new
                text, cut = apply_stop(tok.decode(new, skip_special_tokens=True), stop)
                out[i] = Generation(
                    text=text,
                    prompt_tokens=len(encoded[i]),
                    completion_tokens=len(new),
                    latency_s=dt,
                    finish_reason="stop" if cut else finish,
                )
            bar.update(len(idx))
        bar.close()
        return out  # type: ignore[return-value]

    @property
    def _stop_ids(self) -> set[int]:
        ids = {self.tokenizer.eos_token_id, self.tokenizer.pad_token_id}
        eos = getattr(self.model.generation_config, "eos_token_id", None)
        ids.update(eos if isinstance(eos, list) else [eos])
        return {i for i in ids if i is not None}

    # -- loglikelihood --------------------------------------------------------------------------------------
    def _encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """lm-evaluation-harness's rule: trailing spaces move to the continuation; split the whole encoding."""
        if not context:
            cont = self.tokenizer.encode(continuation, add_special_tokens=False)
            prefix = (
                self.tokenizer.bos_token_id if self.tokenizer.bos_token_id is not None else self.tokenizer.eos_token_id
            )
            return ([prefix], cont) if cont[:1] != [prefix] else (cont[:1], cont[1:])
        n_spaces = len(context) - len(context.rstrip())
        if n_spaces:
            continuation = context[-n_spaces:] + continuation
            context = context[:-n_spaces]
        whole = self.encode(context + continuation)
        ctx = self.encode(context)
        return ctx, whole[len(ctx) :]

    def _score_tokens(
        self, pairs: list[tuple[list[int], list[int]]], batch_size: int, progress: bool, desc: str
    ) -> list[tuple[float, bool]]:
        """Sum of log-probs of each continuation given its context, and whether greedy decoding would produce it.

        Continuations that share a context are packed into one row, `ctx + cont_1[:-1] + cont_2[:-1] + ...`, with a
        mask that lets each continuation see the context and itself only and position ids that restart after the
        context: one forward per shared context (multiple choice scores 4 choices for about the price of one).
        Pairs that would need left truncation take the plain path, one row each, as lm-evaluation-harness does."""
        out: list[tuple[float, bool] | None] = [None] * len(pairs)
        groups: dict[tuple[int, ...], list[int]] = {}
        plain: list[int] = []
        for i, (c, k) in enumerate(pairs):
            if c and k and len(c) + len(k) <= self.max_length:
                groups.setdefault(tuple(c), []).append(i)
            else:
                plain.append(i)
        bar = _progress(len(pairs), progress, desc)
        rows = sorted(groups.items(), key=lambda g: -(len(g[0]) + sum(len(pairs[i][1]) - 1 for i in g[1])))
        batch: list[tuple[tuple[int, ...], list[int]]] = []
        for row in rows:
            batch.append(row)
            if sum(len(m) for _, m in batch) >= batch_size:
                self._score_packed(pairs, batch, out)
                bar.update(sum(len(m) for _, m in batch))
                batch = []
        if batch:
            self._score_packed(pairs, batch, out)
            bar.update(sum(len(m) for _, m in batch))
        if plain:
            self._score_plain(pairs, plain, batch_size, out, bar)
        bar.close()
        return out  # type: ignore[return-value]

    def _score_packed(self, pairs, batch, out) -> None:
        """One forward over rows of (context, members sharing it); fills out[member].

        Rows are right-aligned (padding on the left), so every position whose logits we need — the context's last
        token and the fed continuation tokens — lies in the last `keep` columns: only those go through the LM head."""
        import torch

        layout = []  # per row: (row length, ctx length, [(member, segment offset from row start, continuation)])
        for ctx, members in batch:
            pos, segs = len(ctx), []
            for i in members:
                cont = pairs[i][1]
                segs.append((i, pos, cont))
                pos += len(cont) - 1
            layout.append((pos, len(ctx), segs))
        width = max(n for n, _, _ in layout)
        keep = max(n - n_ctx + 1 for n, n_ctx, _ in layout)
        rows = len(batch)
        ids = torch.full((rows, width), self.tokenizer.pad_token_id, dtype=torch.long)
        positions = torch.zeros((rows, width), dtype=torch.long)
        allowed = torch.zeros((rows, 1, width, width), dtype=torch.bool)
        causal = torch.ones((width, width), dtype=torch.bool).tril()
        for r, ((ctx, _), (n, n_ctx, segs)) in enumerate(zip(batch, layout)):
            o = width - n
            ids[r, o : o + n_ctx] = torch.tensor(ctx)
            positions[r, o : o + n_ctx] = torch.arange(n_ctx)
            allowed[r, 0, o : o + n_ctx, o : o + n_ctx] = causal[:n_ctx, :n_ctx]
            for _, start, cont in segs:
                m, s0 = len(cont) - 1, o + start
                if m == 0:
                    continue
                ids[r, s0 : s0 + m] = torch.tensor(cont[:-1])
                positions[r, s0 : s0 + m] = torch.arange(n_ctx, n_ctx + m)
                allowed[r, 0, s0 : s0 + m, o : o + n_ctx] = True
                allowed[r, 0, s0 : s0 + m, s0 : s0 + m] = causal[:m, :m]
        idx = torch.arange(width)
        allowed[:, 0, idx, idx] = True  # padding attends to itself (never read): no all-masked rows
        kwargs = dict(
            input_ids=ids.to(self.device),
            attention_mask=allowed.to(self.device),
            position_ids=positions.to(self.device),
        )
        with torch.inference_mode():
            try:
                logits = self.model(**kwargs, logits_to_keep=keep).logits
            except TypeError:  # an architecture without logits_to_keep: compute them all
                logits = self.model(**kwargs).logits
        first = width - logits.shape[1]  # column of logits[:, 0]
        for r, (n, n_ctx, segs) in enumerate(layout):
            o = width - n
            for i, start, cont in segs:
                # the context's last position predicts the first token; each fed token of the segment the next one
                cols = [o + n_ctx - 1] + list(range(o + start, o + start + len(cont) - 1))
                lp = torch.log_softmax(logits[r, torch.tensor(cols) - first].float(), dim=-1)
                target = torch.tensor(cont, device=lp.device)
                out[i] = (lp.gather(1, target[:, None]).sum().item(), bool((lp.argmax(-1) == target).all().item()))

    def _score_plain(self, pairs, which: list[int], batch_size: int, out, bar) -> None:
        """One right-padded row per pair, (ctx + cont) left-truncated to max_length + 1, minus the last token."""
        import torch

        seqs = {i: (pairs[i][0] + pairs[i][1])[-(self.max_length + 1) :][:-1] for i in which}
        order = sorted(which, key=lambda i: -len(seqs[i]))
        pad = self.tokenizer.pad_token_id
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            width = max(len(seqs[i]) for i in idx)
            ids = torch.full((len(idx), width), pad, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):  # right padding: positions line up with the unpadded forward pass
                ids[row, : len(seqs[i])] = torch.tensor(seqs[i])
                mask[row, : len(seqs[i])] = 1
            with torch.inference_mode():
                logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
            for row, i in enumerate(idx):
                cont = pairs[i][1]
                n = len(seqs[i])
                # logits at position t predict token t+1: the continuation's predictions are the last len(cont) rows.
                rows = torch.log_softmax(logits[row, n - len(cont) : n].float(), dim=-1)
                target = torch.tensor(cont, device=rows.device)
                out[i] = (rows.gather(1, target[:, None]).sum().item(), bool((rows.argmax(-1) == target).all().item()))
            bar.update(len(idx))

    def loglikelihood(self, requests: Sequence[tuple[str, str]], *, batch_size=16, progress=False):
        pairs = [self._encode_pair(c, k) for c, k in requests]
        return self._score_tokens(pairs, batch_size, progress, "loglikelihood")

    def loglikelihood_rolling(self, texts: Sequence[str], *, batch_size=8, progress=False):
        """Log-likelihood of whole texts (for perplexity): disjoint windows of max_length tokens after a prefix token."""
        prefix = self.tokenizer.bos_token_id if self.tokenizer.bos_token_id is not None else self.tokenizer.eos_token_id
        pairs, owner = [], []
        for i, text in enumerate(texts):
            toks = self.tokenizer.encode(text, add_special_tokens=False)
            for s in range(0, len(toks), self.max_length):
                window = toks[s : s + self.max_length]
                ctx = [prefix] if s == 0 else toks[max(0, s - 1) : s]
                pairs.append((ctx, window))
                owner.append(i)
        scores = self._score_tokens(pairs, batch_size, progress, "perplexity")
        total = [[0.0, 0] for _ in texts]
        for i, (pair, (lp, _)) in zip(owner, zip(pairs, scores)):
            total[i][0] += lp
            total[i][1] += len(pair[1])
        return [(lp, n) for lp, n in total]
