"""Request bodies of OpenAI's /v1/completions and /v1/chat/completions as pydantic models, and OpenAI's error shape.

Validation is strict (a number sent as a string is refused, as OpenAI does); unknown fields are ignored, as vLLM
does, except those that would change the answer and that this server cannot honour, which are refused."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MAX_N = 16  # choices per prompt
MAX_LOGPROBS = 20  # alternatives per token (vLLM's default limit; OpenAI allows 5 on completions, 20 on chat)


class ApiError(Exception):
    """An error answered in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code

    @property
    def type(self) -> str:
        if self.status == 401:
            return "authentication_error"
        return "invalid_request_error" if self.status < 500 else "server_error"

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class StreamOptions(_Body):
    include_usage: bool = False


class _Sampling(_Body):
    """What both routes share."""

    model: str | None = None
    max_tokens: int | None = Field(None, ge=0)
    temperature: float = Field(1.0, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    n: int = Field(1, ge=1, le=MAX_N)
    stop: str | list[str] | None = None
    seed: int | None = Field(None, ge=-(2**63), le=2**63 - 1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    ignore_eos: bool = False  # vLLM's extension: generate max_tokens whatever the model says
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    user: str | None = None

    @model_validator(mode="after")
    def _supported(self):
        for name in ("presence_penalty", "frequency_penalty"):
            if getattr(self, name):
                raise ValueError(f"{name} is not supported by evalkit serve: leave it out or send 0")
        if isinstance(self.stop, list) and len(self.stop) > 16:
            raise ValueError("stop: at most 16 stop strings")
        return self

    @property
    def stops(self) -> tuple[str, ...]:
        stop = [self.stop] if isinstance(self.stop, str) else (self.stop or [])
        return tuple(s for s in stop if s)

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


class CompletionRequest(_Sampling):
    prompt: str | list[str] | list[int] | list[list[int]]
    echo: bool = False
    logprobs: int | None = Field(None, ge=0, le=MAX_LOGPROBS)
    suffix: None = None
    best_of: int | None = None

    @model_validator(mode="after")
    def _prompts(self):
        if isinstance(self.prompt, list) and (not self.prompt or any(p in ("", []) for p in self.prompt)):
            raise ValueError("prompt: an empty list or an empty prompt in the list; send at least one token")
        if self.best_of is not None and self.best_of != self.n:
            raise ValueError("best_of is not supported by evalkit serve: leave it out or send the same value as n")
        return self

    @property
    def prompts(self) -> list[str | list[int]]:
        """One entry per prompt: a string or a list of token ids."""
        p = self.prompt
        if isinstance(p, str):
            return [p]
        if p and isinstance(p[0], int):
            return [p]  # type: ignore[list-item]
        return list(p)  # type: ignore[arg-type]


class TextPart(_Body):
    type: Literal["text"]
    text: str


class ChatMessage(_Body):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: str | None = None

    def plain(self) -> dict:
        text = self.content if isinstance(self.content, str) else "".join(p.text for p in self.content)
        return {"role": "system" if self.role == "developer" else self.role, "content": text}


class ChatRequest(_Sampling):
    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: int | None = Field(None, ge=0)
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=MAX_LOGPROBS)

    @property
    def limit(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens


_UNION_HINTS = {
    "prompt": "must be a string, a list of strings, a list of token ids or a list of token-id lists",
    "content": "must be a string or a list of {'type': 'text', 'text': ...} parts",
    "stop": "must be a string or a list of strings",
}


def parse(model: type[_Body], raw: bytes):
    """The request body as `model`, or a 400 ApiError naming the first wrong field."""
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as e:
        err = e.errors(include_input=False)[0]
        if err["type"] == "json_invalid":
            raise ApiError(400, f"the body is not valid JSON: {err['msg'].removeprefix('Invalid JSON: ')}") from None
        names = [str(x) for x in err["loc"] if isinstance(x, int) or ("[" not in x and x not in _TAGS)]
        param = ".".join(names) or None
        union = len(names) < len(err["loc"])
        field = next((n for n in reversed(names) if not n.isdigit()), "")
        msg = _UNION_HINTS.get(field, err["msg"]) if union else err["msg"]
        msg = msg.removeprefix("Value error, ")
        raise ApiError(
            400, f"{param}: {msg}" if param and not msg.startswith(f"{param}:") else msg, param=param
        ) from None


_TAGS = {"str", "int", "float", "bool", "none", "list", "dict", "function-after"}
