"""`evalkit serve`: a small OpenAI-compatible server over the model layer (sharing a tuned model without vLLM).

Production serving stays vLLM's job. Requests that arrive together are batched: a worker thread takes every queued
request with the same generation settings and runs them as one `generate` call."""

from __future__ import annotations

import json
import queue
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from workbench.models.base import Model


class _Job:
    def __init__(self, kind: str, payload, params: dict):
        self.kind, self.payload, self.params = kind, payload, params
        self.done = threading.Event()
        self.result = None
        self.error: BaseException | None = None


class Batcher:
    """One worker owns the model; concurrent requests with equal settings share a batch."""

    def __init__(self, model: Model, max_batch: int = 16):
        self.model, self.max_batch = model, max_batch
        self.q: queue.Queue[_Job] = queue.Queue()
        threading.Thread(target=self._work, daemon=True).start()

    def submit(self, kind: str, payload, params: dict):
        job = _Job(kind, payload, params)
        self.q.put(job)
        job.done.wait()
        if job.error:
            raise job.error
        return job.result

    def _work(self):
        while True:
            jobs = [self.q.get()]
            time.sleep(0.005)  # let simultaneous requests arrive
            while len(jobs) < self.max_batch:
                try:
                    jobs.append(self.q.get_nowait())
                except queue.Empty:
                    break
            groups: dict[str, list[_Job]] = {}
            for j in jobs:
                groups.setdefault(json.dumps([j.kind, j.params], sort_keys=True), []).append(j)
            for group in groups.values():
                head = group[0]
                try:
                    if head.kind == "loglikelihood":
                        res = self.model.loglikelihood([j.payload for j in group])
                    else:
                        res = self.model.generate([j.payload for j in group], batch_size=len(group), **head.params)
                    for j, r in zip(group, res):
                        j.result = r
                except BaseException as e:  # noqa: BLE001 - reported to each waiting request
                    for j in group:
                        j.error = e
                for j in group:
                    j.done.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], model: Model, served_name: str):
        super().__init__(address, _Handler)
        self.model, self.served_name, self.batcher = model, served_name, Batcher(model)


class _Handler(BaseHTTPRequestHandler):
    """OpenAI's /v1/models, /v1/completions and /v1/chat/completions over the server's model and batcher."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args):  # quiet: the CLI prints one line per request count instead
        pass

    def _send(self, code: int, body: dict):
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            return self._send(
                200,
                {
                    "object": "list",
                    "data": [{"id": self.server.served_name, "object": "model", "owned_by": "workbench"}],
                },
            )
        if self.path.rstrip("/") in ("/health", "/v1/health"):
            return self._send(200, {"status": "ok"})
        self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self):
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        except json.JSONDecodeError as e:
            return self._send(400, {"error": {"message": f"invalid JSON: {e}"}})
        path = self.path.rstrip("/")
        try:
            if path in ("/v1/chat/completions", "/chat/completions"):
                return self._chat(body)
            if path in ("/v1/completions", "/completions"):
                return self._completion(body)
        except (KeyError, TypeError, ValueError) as e:
            return self._send(400, {"error": {"message": f"bad request: {e}"}})
        except Exception as e:  # noqa: BLE001
            return self._send(500, {"error": {"message": f"{type(e).__name__}: {e}"}})
        self._send(404, {"error": {"message": f"no route {self.path}"}})

    def _params(self, body: dict, chat: bool) -> dict:
        stop = body.get("stop")
        return dict(
            max_new_tokens=int(body.get("max_tokens") or 256),
            temperature=float(body.get("temperature") or 0.0),
            top_p=float(body.get("top_p") or 1.0),
            seed=int(body.get("seed") or 0),
            stop=[stop] if isinstance(stop, str) else stop,
            chat=chat,
        )

    def _usage(self, g) -> dict:
        return {
            "prompt_tokens": g.prompt_tokens,
            "completion_tokens": g.completion_tokens,
            "total_tokens": g.prompt_tokens + g.completion_tokens,
        }

    def _chat(self, body: dict):
        g = self.server.batcher.submit("generate", list(body["messages"]), self._params(body, True))
        self._send(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.server.served_name,
                "usage": self._usage(g),
                "choices": [
                    {"index": 0, "finish_reason": g.finish_reason, "message": {"role": "assistant", "content": g.text}}
                ],
            },
        )

    def _completion(self, body: dict):
        prompt = body["prompt"]
        if isinstance(prompt, list):
            raise ValueError("send one prompt per request")
        if body.get("echo") and int(body.get("max_tokens") or 0) == 0:
            return self._send(
                200,
                {
                    "id": f"cmpl-{uuid.uuid4().hex}",
                    "object": "text_completion",
                    "model": self.server.served_name,
                    "choices": [
                        {
                            "index": 0,
                            "text": prompt,
                            "finish_reason": "length",
                            "logprobs": _echo_logprobs(self.server.model, prompt),
                        }
                    ],
                },
            )
        g = self.server.batcher.submit("generate", prompt, self._params(body, False))
        self._send(
            200,
            {
                "id": f"cmpl-{uuid.uuid4().hex}",
                "object": "text_completion",
                "created": int(time.time()),
                "model": self.server.served_name,
                "usage": self._usage(g),
                "choices": [{"index": 0, "text": g.text, "finish_reason": g.finish_reason, "logprobs": None}],
            },
        )


def make_server(model: Model, host: str = "127.0.0.1", port: int = 8000, served_name: str | None = None):
    return _Server((host, port), model, served_name or "workbench")


def _stop(_signum, _frame):
    raise KeyboardInterrupt


def serve_until_stopped(server: ThreadingHTTPServer) -> None:
    """Serve until Ctrl-C, SIGTERM or SIGHUP, then close the listening socket and return: a stop signal ends the
    server as Ctrl-C does (exit 0), in the main thread. The server starts no processes; its request and batch
    threads are daemons that end with it."""
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        server.server_close()


_LOCK = threading.Lock()


def _echo_logprobs(model, prompt: str) -> dict:
    """Per-token log-probs of the prompt itself (OpenAI `echo` + `logprobs`), with character offsets."""
    import torch

    tok = model.tokenizer
    enc = tok(prompt, return_offsets_mapping=True, add_special_tokens=False)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    with _LOCK, torch.inference_mode():
        logits = model.model(input_ids=torch.tensor([ids], device=model.device)).logits[0].float()
    logp = torch.log_softmax(logits, dim=-1)
    tokens: list[str] = []
    token_logprobs: list[float | None] = []
    top: list[dict | None] = []
    for i, t in enumerate(ids):
        piece = tok.decode([t])
        tokens.append(piece)
        if i == 0:
            token_logprobs.append(None)
            top.append(None)
            continue
        token_logprobs.append(float(logp[i - 1, t]))
        best = int(logp[i - 1].argmax())
        top.append({tok.decode([best]) if best != t else piece: float(logp[i - 1, best])})
    return {
        "tokens": tokens,
        "token_logprobs": token_logprobs,
        "top_logprobs": top,
        "text_offset": [s for s, _ in offsets],
    }
