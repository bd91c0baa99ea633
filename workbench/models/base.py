"""What every model backend offers: generate, loglikelihood, tokenizer and a fingerprint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Message = dict  # {"role": ..., "content": ...}
Prompt = str | Sequence[Message]


@dataclass
class Generation:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    finish_reason: str = "stop"  # stop|length|error
    error: str | None = None


def apply_stop(text: str, stop: Sequence[str] | None) -> tuple[str, bool]:
    """Cut `text` at the first stop string; returns (text, was_cut)."""
    if not stop:
        return text, False
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def as_messages(prompt: Prompt, system: str | None) -> list[Message]:
    msgs = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else [dict(m) for m in prompt]
    if system and not any(m.get("role") == "system" for m in msgs):
        msgs.insert(0, {"role": "system", "content": system})
    return msgs


class Model:
    """Base class: subclasses implement generate and loglikelihood."""

    name: str
    fingerprint: str
    tokenizer: Any = None
    max_length: int = 2048

    def generate(
        self,
        prompts: Sequence[Prompt],
        *,
        max_new_tokens: int,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        system: str | None = None,
        stop: Sequence[str] | None = None,
        chat: bool | None = None,
        batch_size: int = 8,
        progress: bool = False,
        errors: str = "raise",
    ) -> list[Generation]:
        raise NotImplementedError

    def loglikelihood(
        self, requests: Sequence[tuple[str, str]], *, batch_size: int = 16, progress: bool = False
    ) -> list[tuple[float, bool]]:
        raise NotImplementedError

    def loglikelihood_rolling(
        self, texts: Sequence[str], *, batch_size: int = 8, progress: bool = False
    ) -> list[tuple[float, int]]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
