"""OpenAI's response shapes: a choice being assembled, streamed chunks, and log-probs in the completions form
(`tokens`, `token_logprobs`, `top_logprobs`, `text_offset`) and the chat form (`content: [{token, logprob, bytes,
top_logprobs}]`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Choice:
    """One choice as its events arrive: text, generated and echoed log-prob entries, finish reason."""

    index: int
    text: str = ""
    entries: list = field(default_factory=list)
    echo: list = field(default_factory=list)
    finish: str | None = None
    completion_tokens: int = 0
    failed: str | None = None


def piece(tok, token: int) -> str:
    return tok.decode([token])


def completion_logprobs(tok, entries: list, k: int, *, offsets: list[int] | None = None, start: int = 0) -> dict:
    """The completions form. `offsets` are the prompt's own character offsets (echo); otherwise tokens are placed one
    after another from `start`. `top_logprobs` holds the k likeliest tokens and always the chosen one, so the chosen
    token's log-prob equals the largest exactly when it was the greedy choice (how lm-evaluation-harness reads it)."""
    out: dict = {"tokens": [], "token_logprobs": [], "top_logprobs": [], "text_offset": []}
    pos = start
    for j, (token, lp, alts) in enumerate(entries):
        s = piece(tok, token)
        top = None
        if lp is not None:
            top = {piece(tok, a): alp for a, alp in alts[:k]}
            top.setdefault(s, lp)
        out["tokens"].append(s)
        out["token_logprobs"].append(lp)
        out["top_logprobs"].append(top)
        out["text_offset"].append(offsets[j] if offsets is not None else pos)
        pos += len(s)
    return out


def merge_logprobs(parts: list[dict]) -> dict:
    return {
        key: [v for p in parts for v in p[key]] for key in ("tokens", "token_logprobs", "top_logprobs", "text_offset")
    }


def _tok(s: str, lp: float) -> dict:
    return {"token": s, "logprob": lp, "bytes": list(s.encode("utf-8"))}


def chat_logprobs(tok, entries: list, k: int) -> dict:
    content = []
    for token, lp, alts in entries:
        item = _tok(piece(tok, token), lp)
        item["top_logprobs"] = [_tok(piece(tok, a), alp) for a, alp in alts[:k]]
        content.append(item)
    return {"content": content}


def chunk(head: dict, chat: bool, index: int, value, logprobs, finish: str | None) -> dict:
    """One streamed chunk: `delta` for chat, `text` for completions."""
    choice = {"index": index, ("delta" if chat else "text"): value, "logprobs": logprobs, "finish_reason": finish}
    return {**head, "object": chunk_object(chat), "choices": [choice]}


def chunk_object(chat: bool) -> str:
    return "chat.completion.chunk" if chat else "text_completion"
