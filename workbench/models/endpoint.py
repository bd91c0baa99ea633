"""OpenAI-compatible endpoints (vLLM, TGI, Ollama, llama.cpp server, `evalkit serve`): async, bounded concurrency,
retries with backoff on 429/5xx, and errors that name the endpoint and status instead of empty outputs."""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from collections.abc import Sequence
from typing import Any

from workbench.errors import ModelError
from workbench.models.base import Generation, Model, apply_stop, as_messages
from workbench.models.fingerprint import text_fingerprint

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class EndpointModel(Model):
    def __init__(
        self,
        name: str,
        base_url: str,
        model_name: str,
        *,
        api_key_env: str | None = None,
        concurrency: int = 8,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 0.5,
    ):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.model_name = model_name
        self.fingerprint = text_fingerprint("openai", self.base_url, model_name)
        self.concurrency = int(concurrency)
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        key = (
            os.environ.get(api_key_env)
            if api_key_env
            else (os.environ.get("WORKBENCH_API_KEY") or os.environ.get("OPENAI_API_KEY"))
        )
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    # -- transport ------------------------------------------------------------------------------------------
    async def _post(self, client, path: str, body: dict) -> dict:
        import httpx

        url = f"{self.base_url}{path}"
        last = "no attempt"
        for attempt in range(self.max_retries + 1):
            try:
                r = await client.post(url, json=body, headers=self.headers)
            except (httpx.TransportError, httpx.TimeoutException) as e:
                last = f"{type(e).__name__}: {e}"
            else:
                if r.status_code == 200:
                    return r.json()
                last = f"HTTP {r.status_code}: {r.text[:200]}"
                if r.status_code not in RETRY_STATUS:
                    break
                retry_after = r.headers.get("retry-after")
                if retry_after:
                    try:
                        await asyncio.sleep(min(float(retry_after), 60.0))
                        continue
                    except ValueError:
                        pass
            if attempt < self.max_retries:
                await asyncio.sleep(self.backoff * (2**attempt) * (0.5 + random.random()))
        raise ModelError(
            f"endpoint {url} failed after {self.max_retries + 1} attempts: {last}",
            hint="is the server running and the model name right? (`curl BASE_URL/models`)",
        )

    def _run_all(self, path: str, bodies: list[dict], progress: bool) -> list[Any]:
        """POST every body with at most `concurrency` in flight; results (or exceptions) in input order."""
        import httpx
        from tqdm.auto import tqdm

        async def main():
            sem = asyncio.Semaphore(self.concurrency)
            limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
            bar = tqdm(total=len(bodies), disable=not progress, desc=path, leave=False)
            async with httpx.AsyncClient(timeout=self.timeout, limits=limits, trust_env=False) as client:

                async def one(body):
                    async with sem:
                        t0 = time.perf_counter()
                        try:
                            return await self._post(client, path, body), time.perf_counter() - t0
                        finally:
                            bar.update(1)

                res = await asyncio.gather(*(one(b) for b in bodies), return_exceptions=True)
            bar.close()
            return res

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(main())
        box: list = []  # called from inside an event loop (e.g. a notebook): run in a thread of its own
        t = threading.Thread(target=lambda: box.append(asyncio.run(main())))
        t.start()
        t.join()
        return box[0]

    # -- operations -----------------------------------------------------------------------------------------
    # the signature and its types are Model.generate's (base.py)
    def generate(self, prompts, *, max_new_tokens, temperature=0.0, top_p=1.0, seed=0, system=None, stop=None,
                 chat=None, batch_size=8, progress=False, errors="raise") -> list[Generation]:  # fmt: skip
        use_chat = True if chat is None else chat
        bodies = []
        for p in prompts:
            body: dict[str, Any] = dict(
                model=self.model_name,
                max_tokens=int(max_new_tokens),
                temperature=float(temperature),
                top_p=float(top_p),
                seed=int(seed),
            )
            if stop:
                body["stop"] = list(stop)
            if use_chat:
                body["messages"] = as_messages(p, system)
            else:
                body["prompt"] = p if isinstance(p, str) else "\n".join(m["content"] for m in p)
            bodies.append(body)
        path = "/chat/completions" if use_chat else "/completions"
        out = []
        for res in self._run_all(path, bodies, progress):
            if isinstance(res, BaseException):
                if errors == "raise":
                    raise res if isinstance(res, ModelError) else ModelError(f"endpoint {self.base_url}: {res}")
                out.append(Generation(text="", finish_reason="error", error=str(res)))
                continue
            data, latency = res
            try:
                choice = data["choices"][0]
                text = choice["message"]["content"] if use_chat else choice["text"]
            except (KeyError, IndexError, TypeError) as e:
                err = ModelError(f"endpoint {self.base_url}{path} returned an unexpected body: {str(data)[:200]}")
                if errors == "raise":
                    raise err from e
                out.append(Generation(text="", finish_reason="error", error=str(err)))
                continue
            text, _ = apply_stop(text or "", stop)
            usage = data.get("usage") or {}
            out.append(
                Generation(
                    text=text,
                    prompt_tokens=usage.get("prompt_tokens", 0),
                    completion_tokens=usage.get("completion_tokens", 0),
                    latency_s=latency,
                    finish_reason=choice.get("finish_reason") or "stop",
                )
            )
        return out

    def loglikelihood(self, requests: Sequence[tuple[str, str]], *, batch_size=16, progress=False):
        """Score continuations with /completions echo + logprobs (as lm-eval's local-completions does)."""
        bodies = [
            dict(model=self.model_name, prompt=c + k, max_tokens=0, echo=True, logprobs=1, temperature=0.0)
            for c, k in requests
        ]
        out = []
        for (ctx, _), res in zip(requests, self._run_all("/completions", bodies, progress)):
            if isinstance(res, BaseException):
                raise res
            lp = res[0]["choices"][0]["logprobs"]
            total, greedy = 0.0, True
            for tok, logp, off, top in zip(lp["tokens"], lp["token_logprobs"], lp["text_offset"], lp["top_logprobs"]):
                if off < len(ctx) or logp is None:
                    continue
                total += logp
                if top:
                    greedy &= max(top, key=top.get) == tok
            out.append((total, greedy))
        return out
