"""`evalkit serve` against the clients people use: the official `openai` package, raw HTTP for bad requests, and
lm-evaluation-harness's `local-completions` model. Real `evalkit serve` subprocesses over the tiny model."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, wait_http

REPO = Path(__file__).resolve().parents[2]
CHAT = [{"role": "user", "content": "What is the capital of Mexico?"}]


@pytest.fixture(scope="module")
def client(served_tiny):
    from openai import OpenAI

    return OpenAI(base_url=served_tiny, api_key="unused", http_client=httpx.Client(trust_env=False))


def _metric(base: str, name: str) -> float:
    text = httpx.get(base.removesuffix("/v1") + "/metrics", trust_env=False).text
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


# -- the openai client ---------------------------------------------------------------------------------------------
def test_chat_streamed_equals_whole_equals_local(client, tiny_model):
    whole = client.chat.completions.create(model="tiny", messages=CHAT, max_tokens=12, temperature=0)
    parts = client.chat.completions.create(
        model="tiny", messages=CHAT, max_tokens=12, temperature=0, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(parts)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    local = tiny_model.generate([CHAT], max_new_tokens=12)[0]
    assert whole.choices[0].message.content == text == local.text
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == whole.choices[0].finish_reason
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens == local.completion_tokens
    assert whole.usage.prompt_tokens == local.prompt_tokens


def test_completions_streamed_equals_whole_and_n(client, tiny_model):
    prompt = "Question: What is the capital of Mexico?\nAnswer:"
    whole = client.completions.create(model="tiny", prompt=prompt, max_tokens=10, temperature=0, n=2)
    assert [c.index for c in whole.choices] == [0, 1]
    local = tiny_model.generate([prompt], max_new_tokens=10, chat=False)[0].text
    assert whole.choices[0].text == whole.choices[1].text == local
    streamed = client.completions.create(model="tiny", prompt=prompt, max_tokens=10, temperature=0, stream=True)
    assert "".join(c.choices[0].text for c in streamed) == local


def test_prompt_lists_and_token_ids(client, tiny_model):
    prompts = ["Describe the beast.", "Hi"]
    ids = [tiny_model.encode(p) for p in prompts]
    by_text = client.completions.create(model="tiny", prompt=prompts, max_tokens=6, temperature=0, n=2)
    by_ids = client.completions.create(model="tiny", prompt=ids, max_tokens=6, temperature=0)
    one_ids = client.completions.create(model="tiny", prompt=ids[1], max_tokens=6, temperature=0)
    local = [g.text for g in tiny_model.generate(prompts, max_new_tokens=6, chat=False)]
    assert [c.text for c in by_text.choices] == [local[0], local[0], local[1], local[1]]
    assert [c.text for c in by_ids.choices] == local and one_ids.choices[0].text == local[1]
    assert by_ids.usage.prompt_tokens == sum(len(i) for i in ids)


def test_generation_logprobs(client):
    out = client.completions.create(model="tiny", prompt="Hi there", max_tokens=5, temperature=0, logprobs=3)
    lp = out.choices[0].logprobs
    assert len(lp.tokens) == len(lp.token_logprobs) == 5 == out.usage.completion_tokens
    for tok, val, top in zip(lp.tokens, lp.token_logprobs, lp.top_logprobs):
        assert val < 0 and 3 <= len(top) <= 4 and top[tok] == val == max(top.values())  # greedy: the likeliest
    assert "".join(lp.tokens) == out.choices[0].text
    chat = client.chat.completions.create(
        model="tiny", messages=CHAT, max_tokens=4, temperature=0, logprobs=True, top_logprobs=2
    )
    content = chat.choices[0].logprobs.content
    assert len(content) == 4 and all(len(c.top_logprobs) == 2 for c in content)
    assert all(c.logprob == c.top_logprobs[0].logprob for c in content)


def test_echo_with_one_token_scores_the_prompt_like_loglikelihood(client, tiny_model):
    """lm-eval's request: echo, max_tokens 1, logprobs 1; its continuation's log-probs are the local loglikelihood."""
    pairs = [("Question: What does it do?\nAnswer:", " It attacks."), ("The beast", " runs away")]
    ctx = [tiny_model.encode(c) for c, _ in pairs]
    whole = [tiny_model.encode(c + k) for c, k in pairs]
    out = client.completions.create(model="tiny", prompt=whole, max_tokens=1, echo=True, logprobs=1, temperature=0)
    local = tiny_model.loglikelihood(pairs)
    for choice, n_ctx, ids, (want, greedy) in zip(out.choices, ctx, whole, local):
        lps = choice.logprobs.token_logprobs
        assert len(lps) == len(ids) + 1 and lps[0] is None
        assert sum(lps[len(n_ctx) : -1]) == pytest.approx(want, abs=1e-4)
        tops = choice.logprobs.top_logprobs[len(n_ctx) : -1]
        assert all(v == max(t.values()) for v, t in zip(lps[len(n_ctx) : -1], tops)) == greedy


def test_stop_strings_cut_the_answer(client, tiny_model):
    prompt = "Question: What is the capital of Mexico?\nAnswer:"
    free = tiny_model.generate([prompt], max_new_tokens=16, chat=False)[0].text
    stop = free[3:5]
    want = free[: free.find(stop)]
    got = client.completions.create(model="tiny", prompt=prompt, max_tokens=16, temperature=0, stop=[stop])
    assert got.choices[0].text == want and got.choices[0].finish_reason == "stop"
    streamed = client.completions.create(
        model="tiny", prompt=prompt, max_tokens=16, temperature=0, stop=stop, stream=True
    )
    assert "".join(c.choices[0].text for c in streamed) == want


def test_seed_makes_sampling_repeatable(client):
    def ask():
        out = client.completions.create(model="tiny", prompt="Hi", max_tokens=12, temperature=1.0, seed=7, n=2)
        return [c.text for c in out.choices]

    first = ask()
    assert ask() == first and first[0] != first[1]


def test_max_tokens_absent_runs_to_the_context_or_eos(client):
    out = client.completions.create(model="tiny", prompt="Hi", temperature=0)
    total = out.usage.prompt_tokens + out.usage.completion_tokens
    assert out.usage.completion_tokens > 256 or out.choices[0].finish_reason == "stop"
    assert total <= 512 and (out.choices[0].finish_reason == "stop" or total == 512)


def test_requests_that_arrive_together_share_a_batch(served_tiny):
    from openai import AsyncOpenAI

    async def main():
        c = AsyncOpenAI(base_url=served_tiny, api_key="x", http_client=httpx.AsyncClient(trust_env=False))
        outs = await asyncio.gather(
            *(
                c.completions.create(model="tiny", prompt=f"Question {i}", max_tokens=8, temperature=0)
                for i in range(16)
            )
        )
        return [o.choices[0].text for o in outs]

    calls0 = _metric(served_tiny, "workbench_serve_batch_rows_count")
    rows0 = _metric(served_tiny, "workbench_serve_batch_rows_sum")
    assert len(asyncio.run(main())) == 16
    calls = _metric(served_tiny, "workbench_serve_batch_rows_count") - calls0
    rows = _metric(served_tiny, "workbench_serve_batch_rows_sum") - rows0
    assert rows == 16 and calls < 16  # some generate calls carried several requests


# -- bad requests: OpenAI's error shape, and the server keeps serving ----------------------------------------------
BAD = [
    ("completions", b'{"prompt": "hi", ', 400, None),
    ("completions", {"prompt": "hi", "max_tokens": "5"}, 400, "max_tokens"),
    ("completions", {"prompt": "hi", "temperature": "hot"}, 400, "temperature"),
    ("completions", {"prompt": 5}, 400, "prompt"),
    ("completions", {"prompt": []}, 400, None),
    ("completions", {"prompt": [1, 999999]}, 400, "prompt"),
    ("completions", {"prompt": "hi", "n": 0}, 400, "n"),
    ("completions", {"prompt": "hi", "logprobs": 50}, 400, "logprobs"),
    ("completions", {"prompt": "hi", "max_tokens": 100000}, 400, "prompt"),
    ("completions", {"prompt": "word " * 600, "max_tokens": 4}, 400, "prompt"),
    ("completions", {"prompt": "hi", "model": "gpt-4"}, 404, "model"),
    ("chat/completions", {"messages": "hi"}, 400, "messages"),
    ("chat/completions", {"messages": []}, 400, "messages"),
    ("chat/completions", {"messages": [{"role": "user"}]}, 400, "messages.0.content"),
    ("chat/completions", {"messages": [{"role": "wizard", "content": "hi"}]}, 400, "messages.0.role"),
    ("chat/completions", {"messages": [{"role": "user", "content": "hi"}], "presence_penalty": 1}, 400, None),
    ("nowhere", {}, 404, None),
]


@pytest.mark.parametrize("route,body,status,param", BAD, ids=[f"{i}-{b[0]}" for i, b in enumerate(BAD)])
def test_bad_requests_get_openai_errors(served_tiny, route, body, status, param):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = httpx.post(
        f"{served_tiny}/{route}", content=data, headers={"Content-Type": "application/json"}, trust_env=False
    )
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["type"] == "invalid_request_error"
    assert err["param"] == param and err["message"] and "Traceback" not in err["message"]
    assert "dictionary update" not in err["message"] and "Error(" not in err["message"]


def test_a_2mb_prompt_is_refused_fast_and_the_server_keeps_serving(served_tiny, client):
    t0 = time.perf_counter()
    r = httpx.post(f"{served_tiny}/completions", json={"prompt": "x" * (2 << 20)}, trust_env=False, timeout=30)
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
    assert time.perf_counter() - t0 < 5
    r = httpx.post(f"{served_tiny}/completions", json={"prompt": "word " * 20_000}, trust_env=False)  # under 1 MiB
    assert r.status_code == 400 and r.json()["error"]["code"] == "context_length_exceeded"
    assert client.completions.create(model="tiny", prompt="Hi", max_tokens=2).choices[0].finish_reason


def test_a_client_leaving_mid_stream_frees_its_slot(served_tiny, client):
    body = {"model": "tiny", "prompt": "Hi", "max_tokens": 500, "ignore_eos": True, "stream": True, "temperature": 0}
    before = _metric(served_tiny, "workbench_serve_generation_tokens_total")
    with httpx.stream("POST", f"{served_tiny}/completions", json=body, trust_env=False) as r:
        lines = r.iter_lines()
        got = [line for _, line in zip(range(6), lines) if line]
        assert got[0].startswith("data: {")
    deadline = time.time() + 20
    while _metric(served_tiny, "workbench_serve_rows_running") > 0 and time.time() < deadline:
        time.sleep(0.1)
    assert _metric(served_tiny, "workbench_serve_rows_running") == 0
    spent = _metric(served_tiny, "workbench_serve_generation_tokens_total") - before
    assert 0 < spent < 500  # generation stopped early
    assert client.completions.create(model="tiny", prompt="Hi", max_tokens=2).usage.completion_tokens >= 1


def test_health_models_and_metrics(served_tiny):
    base = served_tiny.removesuffix("/v1")
    assert httpx.get(f"{base}/health", trust_env=False).json() == {"status": "ok"}
    assert httpx.get(f"{served_tiny}/models", trust_env=False).json()["data"][0]["max_model_len"] == 512
    text = httpx.get(f"{base}/metrics", trust_env=False).text
    for name in ("workbench_serve_requests_total", "workbench_serve_rows_waiting", "workbench_serve_request_seconds"):
        assert name in text


# -- the API key ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keyed(tiny_model_dir):
    port = free_port()
    env = {**os.environ, "WORKBENCH_API_KEY": "s3cret"}
    cmd = [sys.executable, "-m", "evalkit", "serve", str(tiny_model_dir), "--port", str(port), "--name", "tiny"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


def test_api_key_is_checked(keyed):
    from openai import AuthenticationError, OpenAI

    def ask(key):
        c = OpenAI(base_url=keyed, api_key=key, http_client=httpx.Client(trust_env=False), max_retries=0)
        return c.completions.create(model="tiny", prompt="Hi", max_tokens=2)

    assert ask("s3cret").choices[0].text is not None
    with pytest.raises(AuthenticationError) as e:
        ask("wrong")
    assert e.value.status_code == 401 and e.value.code == "invalid_api_key"
    r = httpx.get(f"{keyed}/models", trust_env=False)
    assert r.status_code == 401 and "no API key" in r.json()["error"]["message"]
    assert httpx.get(keyed.removesuffix("/v1") + "/health", trust_env=False).status_code == 200


def test_serving_off_loopback_without_a_key_warns(tiny_model_dir):
    port = free_port()
    cmd = [sys.executable, "-m", "evalkit", "serve", str(tiny_model_dir), "--host", "0.0.0.0", "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_API_KEY"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
    assert "without an API key" in out and "WORKBENCH_API_KEY" in out


def test_a_taken_port_fails_before_the_model_loads(served_tiny, tiny_model_dir):
    port = served_tiny.split(":")[-1].split("/")[0]
    out = subprocess.run(
        [sys.executable, "-m", "evalkit", "serve", str(tiny_model_dir), "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "cannot listen" in out.stderr and "Traceback" not in out.stderr


# -- lm-evaluation-harness pointed at the server -------------------------------------------------------------------
N_MC = 40


@pytest.mark.slow
def test_lm_eval_local_completions_equals_evalkit_run(served_tiny, tiny_model, tiny_model_dir, tmp_path):
    """lm-eval 0.4.13's `local-completions` model scoring enlighten-mc's questions through the server gives the
    acc and acc_norm `evalkit run` gives on the same model, and the same log-likelihood for every choice. lm-eval's
    API models need its `api` extra (tenacity)."""
    pytest.importorskip("tenacity", reason="lm-eval's API models need lm-eval[api] (tenacity)")
    from lm_eval import simple_evaluate

    from evalkit.suites import run_suites
    from tests.evalkit.test_lm_eval_parity import lm_eval_task
    from workbench.store import open_store

    theirs = simple_evaluate(
        model="local-completions",
        model_args={
            "base_url": f"{served_tiny}/completions",
            "model": "tiny",
            "tokenizer": str(tiny_model_dir),
            "tokenizer_backend": "huggingface",
            "batch_size": 16,
            "max_length": 512,
        },
        tasks=[lm_eval_task(REPO / "data" / "enlighten-instruct" / "TestData.csv")],
        limit=N_MC,
        log_samples=True,
        verbosity="ERROR",
    )
    samples = sorted(theirs["samples"]["enlighten_mc"], key=lambda s: s["doc_id"])
    theirs = theirs["results"]["enlighten_mc"]
    store = open_store(tmp_path / "store.db")
    ours = run_suites([REPO / "suites" / "enlighten-mc.yaml"], [tiny_model], store=store, limit=N_MC)["runs"][0]
    store.dispose()
    assert ours["metrics"]["total"] == N_MC
    assert round(ours["metrics"]["acc"], 4) == round(theirs["acc,none"], 4)
    assert round(ours["metrics"]["acc_norm"], 4) == round(theirs["acc_norm,none"], 4)
    for s, case in zip(samples, ours["cases"]):
        assert case["loglikelihoods"] == pytest.approx([r[0][0] for r in s["resps"]], abs=1e-4)
        assert case["is_greedy"] == [bool(r[0][1]) for r in s["resps"]]
