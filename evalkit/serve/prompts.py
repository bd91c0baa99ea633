"""From a validated request to token ids and rows: chat template, tokenisation, token-id checks and the context
budget, all before anything reaches the model.

A prompt far longer than the context could ever hold is refused by its length in characters, before it is
tokenised; `max_tokens` absent means "up to the context or EOS" (vLLM's rule)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from evalkit.serve.engine import Engine, Row
from evalkit.serve.schemas import ApiError, ChatRequest, CompletionRequest

CHARS_PER_TOKEN_BOUND = 32  # no tokenizer in use packs more characters into one token on real text
THREAD_ABOVE_CHARS = 4096  # longer prompts are tokenised off the event loop


@dataclass
class Prepared:
    ids: list[list[int]]  # per prompt
    texts: list[str]  # per prompt: the text echoed back
    offsets: list[list[int]]  # per prompt: each token's character offset in its text
    max_new: list[int]  # per prompt: tokens it may generate

    def rows(self, req, rid: str) -> list[Row]:
        """n rows per prompt, choice index prompt * n + j, sharing one event queue."""
        if isinstance(req, ChatRequest):
            k, echo = ((req.top_logprobs or 0) if req.logprobs else None), False
        else:
            k, echo = req.logprobs, req.echo and req.logprobs is not None
        events: asyncio.Queue = asyncio.Queue()
        return [
            Row(
                prompt_ids=ids,
                max_new=self.max_new[p],
                temperature=req.temperature,
                top_p=req.top_p,
                seed=req.seed,
                stop=req.stops,
                logprobs=k,
                echo=echo,
                ignore_eos=req.ignore_eos,
                request=rid,
                index=p * req.n + j,
                events=events,
            )
            for p, ids in enumerate(self.ids)
            for j in range(req.n)
        ]


def budget(engine: Engine, n_prompt: int, max_tokens: int | None, param: str) -> int:
    """Tokens the prompt may generate, or a 400 when prompt and answer cannot fit the model's context."""
    ctx = engine.max_length
    if n_prompt == 0:
        raise ApiError(400, f"{param}: the prompt is empty; send at least one token", param=param)
    if max_tokens is None and n_prompt < ctx:
        return ctx - n_prompt
    if n_prompt + (max_tokens or 0) > ctx or max_tokens is None:
        asked = f"{n_prompt} in the prompt" + (f" + {max_tokens} to generate" if max_tokens else "")
        raise ApiError(
            400,
            f"this model's context is {ctx} tokens; the request needs {asked}. Shorten the prompt or lower max_tokens",
            param=param,
            code="context_length_exceeded",
        )
    return max_tokens


def _too_long(engine: Engine, text: str, param: str) -> None:
    if len(text) > engine.max_length * CHARS_PER_TOKEN_BOUND:
        raise ApiError(
            400,
            f"{param}: {len(text)} characters cannot fit this model's context of {engine.max_length} tokens",
            param=param,
            code="context_length_exceeded",
        )


def _encode(tok, text: str) -> tuple[list[int], list[int]]:
    """Token ids as the model layer encodes them (the tokenizer's special-token default) and character offsets."""
    if getattr(tok, "is_fast", False):
        enc = tok(text, return_offsets_mapping=True)
        return list(enc["input_ids"]), [s for s, _ in enc["offset_mapping"]]
    ids = tok.encode(text)
    return ids, _offsets(tok, ids)


def _offsets(tok, ids: list[int]) -> list[int]:
    out, pos = [], 0
    for t in ids:
        out.append(pos)
        pos += len(tok.decode([t]))
    return out


async def _encode_async(tok, text: str) -> tuple[list[int], list[int]]:
    if len(text) > THREAD_ABOVE_CHARS:
        return await asyncio.to_thread(_encode, tok, text)
    return _encode(tok, text)


async def prepare_completion(engine: Engine, req: CompletionRequest) -> Prepared:
    tok = engine.tokenizer
    prep = Prepared([], [], [], [])
    prompts = req.prompts
    for i, p in enumerate(prompts):
        param = "prompt" if len(prompts) == 1 else f"prompt.{i}"
        if isinstance(p, str):
            _too_long(engine, p, param)
            ids, offsets = await _encode_async(tok, p)
            text = p
        else:
            bad = next((t for t in p if not 0 <= t < engine.vocab_size), None)
            if bad is not None:
                raise ApiError(
                    400, f"{param}: token id {bad} is outside the vocabulary (0-{engine.vocab_size - 1})", param=param
                )
            ids, text, offsets = list(p), tok.decode(p), _offsets(tok, p)
        prep.ids.append(ids)
        prep.texts.append(text)
        prep.offsets.append(offsets)
        prep.max_new.append(budget(engine, len(ids), req.max_tokens, param))
    return prep


async def prepare_chat(engine: Engine, req: ChatRequest) -> Prepared:
    model = engine.model
    if not getattr(model, "has_chat_template", False):
        raise ApiError(400, "this model has no chat template: send plain text to /v1/completions", param="messages")
    messages = [m.plain() for m in req.messages]
    _too_long(engine, "".join(m["content"] for m in messages), "messages")
    try:
        text = model.render(messages, chat=True)
    except Exception as e:  # noqa: BLE001 - a template's own refusal (e.g. roles must alternate) is the user's to fix
        raise ApiError(400, f"the model's chat template refused these messages: {e}", param="messages") from None
    ids, offsets = await _encode_async(engine.tokenizer, text)
    return Prepared([ids], [text], [offsets], [budget(engine, len(ids), req.limit, "messages")])
