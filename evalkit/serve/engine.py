"""The serving engine: one worker thread owns the model; rows (one choice of one request each) that arrive together
are generated as one batch.

The worker takes every queued request within a short window (`batch_wait_s`), up to `max_batch` rows, and runs them
through `transformers`' `generate` as one left-padded batch per sampling setting. A `StoppingCriteria` sees each step's
new token of every row: it detokenises incrementally, checks stop strings, per-row `max_tokens`, EOS and cancelled
clients, and fans the new text out to each row's asyncio queue on the server's event loop. Rows that ask for
log-probs get them from a logits processor that keeps the raw distribution of the step. The event loop never waits
on the model: it only reads queues."""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from dataclasses import dataclass, field

# One log-prob entry: (token id, its log-prob or None for a prompt's first token, [(alternative id, log-prob)]).
Entry = tuple[int, float | None, list[tuple[int, float]]]


@dataclass
class Delta:
    """New text released to the client and the log-prob entries of the tokens generated since the last delta."""

    text: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Echo:
    """The prompt's own tokens scored (`echo` with `logprobs`)."""

    entries: list[Entry]


@dataclass
class Done:
    finish_reason: str  # stop | length | cancelled
    completion_tokens: int


@dataclass
class Failed:
    message: str


@dataclass
class Row:
    """One sequence to generate. The request handler creates it on the event loop; the worker fills its queue."""

    prompt_ids: list[int]
    max_new: int
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    logprobs: int | None = None  # alternatives per token; None: no log-probs
    echo: bool = False  # score the prompt's own tokens first
    ignore_eos: bool = False
    request: str = ""  # rows of one request share it (a seeded request is sampled as one batch of its own)
    index: int = 0  # the choice's index in the request's answer
    events: asyncio.Queue = field(default_factory=asyncio.Queue)  # shared by the request's rows: (index, event)
    loop: asyncio.AbstractEventLoop | None = None
    cancelled: bool = False

    def emit(self, event) -> None:
        if self.loop is None:
            return
        try:
            self.loop.call_soon_threadsafe(self.events.put_nowait, (self.index, event))
        except RuntimeError:  # the server's loop is closed: nobody is listening
            pass


class _Detok:
    """Incremental detokenisation (the text-generation-inference rule): decode a short window and release what the
    newest token added, holding back an incomplete UTF-8 character."""

    def __init__(self, tokenizer):
        self.tok, self.ids, self.prefix, self.read = tokenizer, [], 0, 0

    def add(self, token: int) -> str:
        self.ids.append(token)
        before = self.tok.decode(self.ids[self.prefix : self.read], skip_special_tokens=True)
        after = self.tok.decode(self.ids[self.prefix :], skip_special_tokens=True)
        if len(after) > len(before) and not after.endswith("\ufffd"):
            self.prefix, self.read = self.read, len(self.ids)
            return after[len(before) :]
        return ""


class _RowState:
    def __init__(self, row: Row, tokenizer):
        self.row, self.detok = row, _Detok(tokenizer)
        self.text, self.sent, self.done, self.pending = "", "", False, []
        self.hold = max((len(s) for s in row.stop), default=1) - 1  # characters a stop string could still claim


class _Tracker:
    """Per-row bookkeeping for one `generate` call, as transformers' StoppingCriteria and LogitsProcessor."""

    def __init__(self, engine: Engine, rows: list[Row]):
        self.engine, self.states = engine, [_RowState(r, engine.tokenizer) for r in rows]
        self.k = max((r.logprobs or 0 for r in rows if r.logprobs is not None), default=-1)
        self.logp = None  # this step's log-softmax over the vocabulary, when a row wants log-probs

    def _entry(self, i: int, token: int) -> Entry:
        lp = self.logp[i]
        alts = []
        if self.k > 0:
            top = lp.topk(self.k)
            alts = list(zip(top.indices.tolist(), top.values.tolist()))
        return token, float(lp[token]), alts

    def __call__(self, input_ids, scores, **kwargs):  # a StoppingCriteria: one bool per row
        import torch

        new = input_ids[:, -1].tolist()
        for i, st in enumerate(self.states):
            if not st.done:
                self._step(i, st, new[i])
        return torch.tensor([st.done for st in self.states], dtype=torch.bool, device=input_ids.device)

    def _step(self, i: int, st: _RowState, token: int) -> None:
        row = st.row
        if row.cancelled:
            return self.finish(st, "cancelled")
        self.engine.count_tokens(1)
        if row.logprobs is not None:
            st.pending.append(self._entry(i, token))
        if token in self.engine.stop_ids and not row.ignore_eos:
            return self.finish(st, "stop")
        before = len(st.text)
        st.text += st.detok.add(token)
        if row.stop:
            cut = _find_stop(st.text, row.stop, max(0, before - st.hold))
            if cut >= 0:
                st.text = st.text[:cut]
                return self.finish(st, "stop")
        if len(st.detok.ids) >= row.max_new:
            return self.finish(st, "length")
        upto = max(len(st.text) - st.hold, len(st.sent))
        if upto > len(st.sent) or st.pending:
            row.emit(Delta(st.text[len(st.sent) : upto], st.pending))
            st.sent, st.pending = st.text[:upto], []

    def finish(self, st: _RowState, reason: str) -> None:
        """Release the rest of the text: the whole generation decoded at once (as `generate` does), cut at a stop."""
        st.done = True
        if reason != "cancelled":
            whole = self.engine.tokenizer.decode(st.detok.ids, skip_special_tokens=True)
            cut = _find_stop(whole, st.row.stop, 0)
            st.text = whole[:cut] if cut >= 0 else whole
        rest = st.text[len(st.sent) :] if st.text.startswith(st.sent) else ""
        st.row.emit(Delta(rest, st.pending))
        st.row.emit(Done(reason, len(st.detok.ids)))


class _Capture:
    """A LogitsProcessor that keeps the step's raw distribution (before temperature and top-p) for log-probs."""

    def __init__(self, tracker: _Tracker):
        self.tracker = tracker

    def __call__(self, input_ids, scores):
        import torch

        self.tracker.logp = torch.log_softmax(scores.float(), dim=-1)
        return scores


def _find_stop(text: str, stop: tuple[str, ...], start: int) -> int:
    hits = [i for i in (text.find(s, start) for s in stop if s) if i >= 0]
    return min(hits) if hits else -1


class Engine:
    """Owns the model. `submit(rows)` from the event loop; events arrive on each row's queue."""

    def __init__(self, model, *, max_batch: int = 32, batch_wait_s: float = 0.005, metrics=None):
        self.model, self.max_batch, self.batch_wait_s, self.metrics = model, int(max_batch), batch_wait_s, metrics
        self.tokenizer = model.tokenizer
        self.max_length = int(model.max_length)
        self.vocab_size = len(self.tokenizer)
        eos = getattr(model.model.generation_config, "eos_token_id", None)
        ids = {self.tokenizer.eos_token_id, self.tokenizer.pad_token_id, *(eos if isinstance(eos, list) else [eos])}
        self.stop_ids = {i for i in ids if i is not None}
        self._queue: queue.Queue[list[Row] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="evalkit-serve-engine", daemon=True)
        self._thread.start()

    # -- the event-loop side -------------------------------------------------------------------------------------
    def submit(self, rows: list[Row]) -> None:
        loop = asyncio.get_running_loop()
        for r in rows:
            r.loop = loop
        self._queue.put(rows)
        if self.metrics:
            self.metrics.waiting.inc(len(rows))

    def close(self) -> None:
        self._queue.put(None)

    def count_tokens(self, n: int) -> None:
        if self.metrics:
            self.metrics.generation_tokens.inc(n)

    # -- the worker ------------------------------------------------------------------------------------------------
    def _take(self) -> list[list[Row]] | None:
        """Block for one request, then take what arrives within the batch window, up to max_batch rows."""
        first = self._queue.get()
        if first is None:
            return None
        taken, n = [first], len(first)
        deadline = time.monotonic() + self.batch_wait_s
        while n < self.max_batch:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)
                break
            taken.append(item)
            n += len(item)
        return taken

    def _work(self) -> None:
        while (taken := self._take()) is not None:
            rows = [r for req in taken for r in req]
            if self.metrics:
                self.metrics.waiting.dec(len(rows))
                self.metrics.running.inc(len(rows))
            try:
                self._run(rows)
            except Exception as e:  # noqa: BLE001 - reported to every waiting client, the worker lives on
                for r in rows:
                    r.emit(Failed(f"generation failed: {type(e).__name__}: {e}"))
            finally:
                if self.metrics:
                    self.metrics.running.dec(len(rows))

    def _run(self, rows: list[Row]) -> None:
        live = [r for r in rows if not r.cancelled]
        for r in rows:
            if r.cancelled:
                r.emit(Done("cancelled", 0))
        echo = [r for r in live if r.echo]
        for start in range(0, len(echo), self.max_batch):
            self._score(echo[start : start + self.max_batch])
        for r in live:
            if r.max_new == 0:
                r.emit(Done("length", 0))
        for group in _groups([r for r in live if r.max_new > 0], self.max_batch):
            if self.metrics:
                self.metrics.batch_rows.observe(len(group))
            self._generate(group)

    def _generate(self, rows: list[Row]) -> None:
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        pad = self.tokenizer.pad_token_id
        width = max(len(r.prompt_ids) for r in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):  # left padding: every prompt ends where generation starts
            ids[i, width - len(r.prompt_ids) :] = torch.tensor(r.prompt_ids)
            mask[i, width - len(r.prompt_ids) :] = 1
        tracker = _Tracker(self, rows)
        head = rows[0]
        kwargs: dict = dict(max_new_tokens=max(r.max_new for r in rows), pad_token_id=pad, eos_token_id=None)
        if head.temperature > 0:
            kwargs.update(do_sample=True, temperature=head.temperature, top_p=head.top_p, top_k=None)
            torch.manual_seed(head.seed if head.seed is not None else int.from_bytes(os.urandom(4), "little"))
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if tracker.k >= 0:
            kwargs["logits_processor"] = LogitsProcessorList([_Capture(tracker)])
        with torch.inference_mode():
            self.model.model.generate(
                input_ids=ids.to(self.model.device),
                attention_mask=mask.to(self.model.device),
                stopping_criteria=StoppingCriteriaList([tracker]),
                **kwargs,
            )
        for st in tracker.states:
            if not st.done:  # generate's own length limit came first (it cannot: max_new_tokens is the rows' max)
                tracker.finish(st, "length")

    def _score(self, rows: list[Row]) -> None:
        """Log-prob of every prompt token given the ones before it, with `logprobs` alternatives: one right-padded
        forward per batch; the first token has none (OpenAI's `echo`)."""
        import torch

        width = max(len(r.prompt_ids) for r in rows)
        ids = torch.full((len(rows), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r.prompt_ids)] = torch.tensor(r.prompt_ids)
            mask[i, : len(r.prompt_ids)] = 1
        with torch.inference_mode():
            logits = self.model.model(input_ids=ids.to(self.model.device), attention_mask=mask.to(self.model.device))
            for i, r in enumerate(rows):
                n, k = len(r.prompt_ids), max(r.logprobs or 0, 0)
                lp = torch.log_softmax(logits.logits[i, : n - 1].float(), dim=-1)
                target = torch.tensor(r.prompt_ids[1:], device=lp.device)
                chosen = lp.gather(1, target[:, None])[:, 0].tolist()
                top = lp.topk(k) if k else None
                entries: list[Entry] = [(r.prompt_ids[0], None, [])]
                for j, t in enumerate(r.prompt_ids[1:]):
                    alts = list(zip(top.indices[j].tolist(), top.values[j].tolist())) if top is not None else []
                    entries.append((t, chosen[j], alts))
                r.emit(Echo(entries))


def _groups(rows: list[Row], max_batch: int) -> list[list[Row]]:
    """Rows that can share one `generate` call: greedy rows together; sampled rows by (temperature, top_p); a seeded
    sampled request alone, as one batch, so its samples depend on its seed only."""
    keyed: dict[tuple, list[Row]] = {}
    for r in rows:
        if r.temperature <= 0:
            key: tuple = ("greedy",)
        elif r.seed is None:
            key = ("sample", r.temperature, r.top_p)
        else:
            key = ("seeded", r.request)
        keyed.setdefault(key, []).append(r)
    out = []
    for key, members in keyed.items():
        step = len(members) if key[0] == "seeded" else max_batch
        out += [members[i : i + step] for i in range(0, len(members), step)]
    return out
