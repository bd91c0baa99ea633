"""`evalkit serve` under load on loopback: concurrent streaming clients, batching on (`--max-batch 64`) against off
(`--max-batch 1`), in one run.

Each mode starts a real `evalkit serve` subprocess; `--clients` clients each send `--requests` streaming completions
one after another (`ignore_eos`, so every answer is `--max-tokens` tokens and the modes do the same work). Every
stream is checked: every event is `data: {json}` with the request's id, the text chunks come in order, exactly one
finish reason, the usage chunk counts `--max-tokens` tokens, and `data: [DONE]` ends it. Reported: tokens per second
over the whole run, and p50/p95 time to the first token.

    .venv/bin/python benchmarks/bench_serve.py [--model tiny|default|SPEC] [--clients 64] [--requests 4]
                                               [--max-tokens 32] [--threads 1]

`tiny` (the default) is the test suite's random 0.4 M-parameter Llama: it measures the server (HTTP, batching,
streaming), not the model; `--threads 1` because on a shared CPU PyTorch's
own thread count made every step of that model 10x slower. Writes benchmarks/results/serve.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))
import record  # noqa: E402

TITLE = "evalkit serve: concurrent streaming clients on loopback, batching on vs off"


def start(model: str, port: int, max_batch: int, threads: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "evalkit", "serve", model, "--port", str(port), "--max-batch", str(max_batch)]
    cmd += ["--threads", str(threads)] if threads else []
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)


def check_stream(lines: list[str], max_tokens: int) -> tuple[str, int]:
    """The text and token count of one well-formed stream; raises AssertionError otherwise."""
    assert lines and lines[-1] == "data: [DONE]", f"stream does not end with [DONE]: {lines[-1:]}"
    events = [json.loads(line.removeprefix("data: ")) for line in lines[:-1] if line.startswith("data: ")]
    assert len(events) == len(lines) - 1, "a line that is not a data event"
    ids = {e["id"] for e in events}
    assert len(ids) == 1, f"chunks of several requests in one stream: {ids}"
    finishes = [c["finish_reason"] for e in events for c in e["choices"] if c["finish_reason"]]
    assert finishes == ["length"], f"finish reasons {finishes}"
    usage = events[-1].get("usage")
    assert usage and usage["completion_tokens"] == max_tokens, f"usage {usage}"
    return "".join(c["text"] for e in events for c in e["choices"]), usage["completion_tokens"]


async def client(http, base: str, who: int, args, out: list) -> None:
    for k in range(args.requests):
        body = {
            "model": "workbench",
            "prompt": f"Question {who}-{k}: what does the beast do?\nAnswer:",
            "max_tokens": args.max_tokens,
            "temperature": 0,
            "ignore_eos": True,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        t0 = time.perf_counter()
        first, lines = None, []
        async with http.stream("POST", f"{base}/completions", json=body) as r:
            assert r.status_code == 200, await r.aread()
            async for line in r.aiter_lines():
                if not line:
                    continue
                if first is None and line.startswith("data: {") and '"text": ""' not in line:
                    first = time.perf_counter() - t0
                lines.append(line)
        _, tokens = check_stream(lines, args.max_tokens)
        out.append({"ttft_s": first, "total_s": time.perf_counter() - t0, "tokens": tokens})


async def load(base: str, args) -> dict:
    import httpx

    out: list[dict] = []
    limits = httpx.Limits(max_connections=args.clients + 4, max_keepalive_connections=args.clients + 4)
    async with httpx.AsyncClient(timeout=900, limits=limits, trust_env=False) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http, base, i, args, out) for i in range(args.clients)))
        wall = time.perf_counter() - t0
    assert len(out) == args.clients * args.requests, f"{len(out)} streams finished of {args.clients * args.requests}"
    ttft = sorted(o["ttft_s"] for o in out)
    tokens = sum(o["tokens"] for o in out)
    return {
        "streams": len(out),
        "complete_and_well_formed": len(out),
        "tokens": tokens,
        "wall_s": round(wall, 2),
        "tokens_per_s": round(tokens / wall, 1),
        "ttft_p50_s": round(statistics.median(ttft), 3),
        "ttft_p95_s": round(ttft[min(len(ttft) - 1, int(0.95 * len(ttft)))], 3),
        "latency_p50_s": round(statistics.median(o["total_s"] for o in out), 3),
    }


def measure(model: str, max_batch: int, args) -> dict:
    from conftest import free_port, wait_http

    port = free_port()
    proc = start(model, port, max_batch, args.threads)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc, timeout=300)
        base = f"http://127.0.0.1:{port}/v1"
        asyncio.run(load(base, argparse.Namespace(**{**vars(args), "clients": 2, "requests": 1})))  # warm up
        res = asyncio.run(load(base, args))
    finally:
        proc.terminate()
        proc.wait(30)
    return {"max_batch": max_batch, **res}


def rows(on: dict, off: dict, args) -> list[dict]:
    shape = f"{args.clients} clients x {args.requests} streams of {args.max_tokens} tokens"
    off_name = "the same server, batching off (--max-batch 1)"
    return [
        record.row(
            "throughput",
            f"generated tokens per second, {shape}",
            "tokens/s",
            on["tokens_per_s"],
            off["tokens_per_s"],
            off_name,
            better=record.HIGHER,
        ),
        record.row("ttft_p50", "time to first token, p50", "s", on["ttft_p50_s"], off["ttft_p50_s"], off_name),
        record.row("ttft_p95", "time to first token, p95", "s", on["ttft_p95_s"], off["ttft_p95_s"], off_name),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="tiny", help="tiny (a random 0.4 M Llama built here), default, or a spec")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--requests", type=int, default=4, help="streams per client, one after another")
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="the server's --threads (0: PyTorch's choice)")
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/serve.json"))
    args = ap.parse_args()
    started = record.begin()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model == "tiny":
            from fixtures.tiny_model import build_tiny_model

            model = str(build_tiny_model(Path(tmp) / "tiny"))
        on = measure(model, 64, args)
        print(json.dumps({"batching_on": on}), flush=True)
        off = measure(model, 1, args)
        print(json.dumps({"batching_off": off}), flush=True)
    out = record.append(
        args.out,
        started,
        title=TITLE,
        rows=rows(on, off, args),
        details={"model": args.model, "batching_on": on, "batching_off": off, "settings": vars(args) | {"out": None}},
        command=record.command_line(),
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
