"""The HTTP side of `evalkit serve`: FastAPI routes in OpenAI's shapes over the engine.

Every request is validated (size, JSON, fields, model name, key, context length) before a token reaches the model;
every 4xx is OpenAI's error shape. Streaming answers are server-sent events ending in `data: [DONE]`; a client that
goes away mid-stream has its rows cancelled, which frees their batch slots."""

from __future__ import annotations

import hmac
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException

from evalkit.serve.engine import Delta, Done, Echo, Engine, Failed, Row
from evalkit.serve.metrics import ServeMetrics
from evalkit.serve.prompts import Prepared, prepare_chat, prepare_completion
from evalkit.serve.schemas import ApiError, ChatRequest, CompletionRequest, parse
from evalkit.serve.shapes import Choice, chat_logprobs, chunk, chunk_object, completion_logprobs, merge_logprobs

ROUTES = ("/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics")


class _Guard:
    """ASGI middleware: refuse bodies over `max_body` bytes (413) before the app reads them, and count requests,
    statuses and latency for /metrics."""

    def __init__(self, app, max_body: int, metrics: ServeMetrics):
        self.app, self.max_body, self.metrics = app, max_body, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        route = scope["path"] if scope["path"] in ROUTES else "other"
        status, t0 = [500], time.perf_counter()

        async def counted(msg):
            if msg["type"] == "http.response.start":
                status[0] = msg["status"]
            await send(msg)

        try:
            body, size, more = [], 0, True
            while more:  # read (and past the limit, drain) the body: the app sees it whole or not at all
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                size += len(msg.get("body", b""))
                if size <= self.max_body:
                    body.append(msg.get("body", b""))
                more = msg.get("more_body", False)
            if size > self.max_body:
                err = ApiError(413, f"the request body is {size} bytes, over this server's limit of {self.max_body}")
                err.code = "request_too_large"
                return await _json(err.body(), 413)(scope, receive, counted)
            await self.app(scope, _replay(b"".join(body), receive), counted)
        finally:
            self.metrics.requests.labels(route, str(status[0])).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - t0)


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _json(body: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def make_app(
    engine: Engine,
    served_name: str = "workbench",
    *,
    api_key: str | None = None,
    max_body: int = 1 << 20,
    metrics: ServeMetrics | None = None,
) -> FastAPI:
    """The ASGI app over a started engine."""
    metrics = metrics or engine.metrics or ServeMetrics()

    @asynccontextmanager
    async def lifespan(app):
        yield
        engine.close()

    app = FastAPI(title="evalkit serve", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    state = _State(engine, served_name, api_key, metrics)

    @app.exception_handler(ApiError)
    async def api_error(request, exc: ApiError):
        return _json(exc.body(), exc.status)

    @app.exception_handler(HTTPException)
    async def http_error(request, exc: HTTPException):
        msg = f"no route {request.method} {request.url.path}" if exc.status_code in (404, 405) else str(exc.detail)
        return _json(ApiError(exc.status_code, msg).body(), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, exc):
        return _json(ApiError(400, "the request is not valid").body(), 400)

    @app.exception_handler(Exception)
    async def crash(request, exc):
        print(f"evalkit serve: {request.url.path}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return _json(ApiError(500, "internal server error (details in the server's log)").body(), 500)

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/metrics")
    async def prometheus():
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/v1/models")
    async def models(request: Request):
        state.check_key(request)
        card = {"id": served_name, "object": "model", "created": state.started, "owned_by": "workbench"}
        return {"object": "list", "data": [{**card, "max_model_len": engine.max_length}]}

    @app.post("/v1/completions")
    async def completions(request: Request):
        state.check_key(request)
        req = parse(CompletionRequest, await request.body())
        state.check_model(req.model)
        return await state.answer(req, await prepare_completion(engine, req), chat=False)

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        state.check_key(request)
        req = parse(ChatRequest, await request.body())
        state.check_model(req.model)
        return await state.answer(req, await prepare_chat(engine, req), chat=True)

    return _Guard(app, max_body, metrics)  # type: ignore[return-value]


class _State:
    def __init__(self, engine: Engine, served_name: str, api_key: str | None, metrics: ServeMetrics):
        self.engine, self.served_name, self.api_key, self.metrics = engine, served_name, api_key, metrics
        self.started = int(time.time())

    def check_key(self, request: Request) -> None:
        if not self.api_key:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), self.api_key.encode()):
            what = "no API key given" if not given else "the API key is wrong"
            raise ApiError(401, f"{what}: send 'Authorization: Bearer KEY'", code="invalid_api_key")

    def check_model(self, name: str | None) -> None:
        if name is not None and name != self.served_name:
            raise ApiError(
                404,
                f"the model {name!r} does not exist here; this server serves {self.served_name!r} (GET /v1/models)",
                param="model",
                code="model_not_found",
            )

    async def answer(self, req, prep: Prepared, *, chat: bool):
        t0 = time.perf_counter()
        rid = f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex}"
        rows = prep.rows(req, rid)
        self.metrics.prompt_tokens.inc(sum(len(p) for p in prep.ids))
        self.engine.submit(rows)
        if req.stream:
            return StreamingResponse(
                self._stream(req, prep, rows, rid, chat, t0),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            choices = [Choice(i) for i in range(len(rows))]
            remaining = len(rows)
            while remaining:
                i, ev = await rows[0].events.get()
                remaining -= _apply(choices[i], ev)
        finally:
            for r in rows:
                r.cancelled = True  # no effect on finished rows; frees the slots of a request that was cancelled
        return self._whole(req, prep, choices, rid, chat)

    def _whole(self, req, prep: Prepared, choices: list[Choice], rid: str, chat: bool) -> dict:
        failed = next((c.failed for c in choices if c.failed), None)
        if failed:
            print(f"evalkit serve: {failed}", file=sys.stderr, flush=True)
            raise ApiError(500, "generation failed (details in the server's log)")
        tok = self.engine.tokenizer
        body = {"id": rid, "created": int(time.time()), "model": self.served_name, "usage": _usage(prep, choices)}
        out = []
        for c in choices:
            if chat:
                lp = chat_logprobs(tok, c.entries, req.top_logprobs or 0) if req.logprobs else None
                msg = {"role": "assistant", "content": c.text}
                out.append({"index": c.index, "message": msg, "logprobs": lp, "finish_reason": c.finish})
                continue
            p = c.index // req.n
            lp = None
            if req.logprobs is not None:
                parts = [completion_logprobs(tok, c.echo, req.logprobs, offsets=prep.offsets[p])] if req.echo else []
                start = len(prep.texts[p]) if req.echo else 0
                lp = merge_logprobs([*parts, completion_logprobs(tok, c.entries, req.logprobs, start=start)])
            text = prep.texts[p] + c.text if req.echo else c.text
            out.append({"index": c.index, "text": text, "logprobs": lp, "finish_reason": c.finish})
        return {**body, "object": "chat.completion" if chat else "text_completion", "choices": out}

    async def _stream(self, req, prep: Prepared, rows: list[Row], rid: str, chat: bool, t0: float) -> AsyncIterator:
        choices, first = [Choice(i) for i in range(len(rows))], True
        head = {"id": rid, "created": int(time.time()), "model": self.served_name}
        remaining = len(rows)
        try:
            for c in choices:  # chat announces the role; an echo without log-probs sends the prompt first
                if chat:
                    yield _sse(chunk(head, True, c.index, {"role": "assistant", "content": ""}, None, None))
                elif req.echo and req.logprobs is None:
                    yield _sse(chunk(head, False, c.index, prep.texts[c.index // req.n], None, None))
            while remaining:
                i, ev = await rows[0].events.get()
                c = choices[i]
                before = (len(c.text), len(c.entries))
                remaining -= _apply(c, ev)
                if isinstance(ev, Failed):
                    print(f"evalkit serve: {ev.message}", file=sys.stderr, flush=True)
                    yield _sse(ApiError(500, "generation failed (details in the server's log)").body())
                    continue
                if first and isinstance(ev, Delta) and (ev.text or ev.entries):
                    self.metrics.first_token.observe(time.perf_counter() - t0)
                    first = False
                part = self._part(req, prep, c, ev, before, chat)
                if part is not None:
                    yield _sse(chunk(head, chat, c.index, *part))
            if req.include_usage:
                yield _sse({**head, "object": chunk_object(chat), "choices": [], "usage": _usage(prep, choices)})
            yield "data: [DONE]\n\n"
        finally:
            for r in rows:
                r.cancelled = True  # a client that went away mid-stream frees its rows' batch slots

    def _part(self, req, prep: Prepared, c: Choice, ev, before: tuple[int, int], chat: bool):
        """(text or delta, logprobs, finish_reason) of one event for one choice, or None when it carries nothing."""
        tok, entries = self.engine.tokenizer, c.entries[before[1] :]
        if isinstance(ev, Done):
            return ({} if chat else ""), None, c.finish
        if isinstance(ev, Echo):
            p = c.index // req.n
            lp = completion_logprobs(tok, c.echo, req.logprobs or 0, offsets=prep.offsets[p])
            return None if chat or not req.echo else (prep.texts[p], lp, None)
        text = c.text[before[0] :]
        if not text and not entries:
            return None
        if chat:
            lp = chat_logprobs(tok, entries, req.top_logprobs or 0) if req.logprobs else None
            return {"content": text}, lp, None
        if req.logprobs is None:
            return text, None, None
        start = (len(prep.texts[c.index // req.n]) if req.echo else 0) + before[0]
        return text, completion_logprobs(tok, entries, req.logprobs, start=start), None


def _apply(c: Choice, ev) -> int:
    """Fold one engine event into a choice; 1 when the choice is finished."""
    if isinstance(ev, Delta):
        c.text += ev.text
        c.entries += ev.entries
    elif isinstance(ev, Echo):
        c.echo = ev.entries
    elif isinstance(ev, Done):
        c.finish, c.completion_tokens = ev.finish_reason, ev.completion_tokens
        return 1
    elif isinstance(ev, Failed):
        c.failed = ev.message
        return 1
    return 0


def _usage(prep: Prepared, choices: list[Choice]) -> dict:
    prompt = sum(len(p) for p in prep.ids)
    completion = sum(c.completion_tokens for c in choices)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _sse(obj: dict) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"
