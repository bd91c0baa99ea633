"""The endpoint backend against a real `evalkit serve` subprocess over the tiny model (no canned stubs)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from workbench.errors import ModelError
from workbench.models import load_model


def test_models_route_lists_the_served_name(served_tiny):
    assert httpx.get(f"{served_tiny}/models", trust_env=False).json()["data"][0]["id"] == "tiny"


def test_endpoint_generate_equals_local_generate(served_tiny, tiny_model):
    remote = load_model(f"openai:{served_tiny}#tiny")
    prompts = ["What is the capital of Mexico?", "Describe the beast.", "Hi"]
    got = remote.generate(prompts, max_new_tokens=8)
    want = tiny_model.generate(prompts, max_new_tokens=8)
    assert [g.text for g in got] == [g.text for g in want]
    assert all(g.completion_tokens == w.completion_tokens for g, w in zip(got, want))
    plain = remote.generate(["Question: hi\nAnswer:"], max_new_tokens=5, chat=False)[0].text
    assert plain == tiny_model.generate(["Question: hi\nAnswer:"], max_new_tokens=5, chat=False)[0].text


def test_endpoint_loglikelihood_equals_local(served_tiny, tiny_model):
    remote = load_model(f"openai:{served_tiny}#tiny")
    reqs = [("Question: What does it do?\nAnswer:", " It attacks."), ("The beast", " runs away")]
    for (lp_r, _), (lp_l, _) in zip(remote.loglikelihood(reqs), tiny_model.loglikelihood(reqs)):
        assert lp_r == pytest.approx(lp_l, abs=1e-4)


def test_32_concurrent_requests_lose_and_duplicate_nothing(served_tiny, tiny_model):
    remote = load_model({"kind": "openai", "base_url": served_tiny, "model": "tiny", "concurrency": 32})
    prompts = [f"Question number {i}: what is {i} plus {i}?" for i in range(32)]
    got = remote.generate(prompts, max_new_tokens=4)
    want = tiny_model.generate(prompts, max_new_tokens=4, batch_size=1)
    assert len(got) == 32 and [g.text for g in got] == [w.text for w in want]


def test_unreachable_endpoint_is_an_error_not_an_empty_answer():
    from tests.conftest import free_port

    m = load_model(
        {
            "kind": "openai",
            "base_url": f"http://127.0.0.1:{free_port()}/v1",
            "model": "x",
            "max_retries": 1,
            "backoff": 0.01,
            "timeout": 2,
        }
    )
    with pytest.raises(ModelError) as e:
        m.generate(["hi"], max_new_tokens=2)
    assert "127.0.0.1" in str(e.value) and "2 attempts" in str(e.value)
    g = m.generate(["hi"], max_new_tokens=2, errors="return")[0]
    assert g.finish_reason == "error" and g.error and g.text == ""


class _Flaky(BaseHTTPRequestHandler):
    """Answers 429 (with Retry-After) twice, then like a server would; counts calls."""

    calls = 0

    def log_message(self, *a):
        pass

    def do_POST(self):
        type(self).calls += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).calls <= 2:
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_429_is_retried_with_backoff():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        m = load_model(
            {
                "kind": "openai",
                "base_url": f"http://127.0.0.1:{server.server_address[1]}/v1",
                "model": "x",
                "backoff": 0.01,
            }
        )
        assert m.generate(["hi"], max_new_tokens=2)[0].text == "ok"
        assert _Flaky.calls == 3
    finally:
        server.shutdown()
