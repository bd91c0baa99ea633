"""Commands on a model: answer prompts, serve it over an OpenAI-compatible API."""

from __future__ import annotations

import sys

from workbench.cli import generation_args, keywords, number, store_arg


def add_generate(sub) -> None:
    p = sub.add_parser("generate", help="answer prompts with a model (prints each answer)")
    p.add_argument("prompts", nargs="+", metavar="PROMPT")
    p.add_argument("--model", default="default", help="model spec (default: the embedded SmolLM2-135M-Instruct)")
    generation_args(p, top_p=True)
    p.add_argument("--system", help="system prompt")
    p.add_argument("--no-chat", action="store_true", help="send the prompt as plain text, without the chat template")
    p.add_argument("--json", action="store_true", help="print one JSON object per answer instead of text")
    p.add_argument("--timings", action="store_true", help="print seconds and token counts after each answer")
    p.add_argument("--record", action="store_true", help="record the run in the results store")
    store_arg(p)
    p.set_defaults(func=_generate)


def _generate(args) -> int:
    import json
    import time

    from workbench.models import load_model
    from workbench.store import open_store

    store = open_store(args.store) if args.record else None  # a bad --store fails before the model loads
    t0 = time.perf_counter()
    model = load_model(args.model)
    load_s = time.perf_counter() - t0
    gens = model.generate(
        args.prompts,
        system=args.system,
        chat=False if args.no_chat else None,
        **keywords(args, "max_new_tokens", "temperature", "top_p", "seed"),
    )
    for prompt, g in zip(args.prompts, gens):
        if args.json:
            print(
                json.dumps(
                    {
                        "prompt": prompt,
                        "answer": g.text,
                        "prompt_tokens": g.prompt_tokens,
                        "completion_tokens": g.completion_tokens,
                        "latency_s": round(g.latency_s, 3),
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(g.text)
            if args.timings:
                print(f"  [{g.latency_s:.2f} s, {g.completion_tokens} tokens]", file=sys.stderr)
    if store is not None:
        run = store.start_run(
            "generate",
            "generate",
            model=model.name,
            fingerprint=model.fingerprint,
            config=keywords(args, "max_new_tokens", "temperature", "top_p", "seed"),
        )
        store.finish_run(
            run,
            summary={
                "load_s": load_s,
                "answers": [
                    {"prompt": p, "answer": g.text, "latency_s": g.latency_s} for p, g in zip(args.prompts, gens)
                ],
            },
        )
        print(f"recorded run {run[:8]} in {store.url}", file=sys.stderr)
    return 0


def add_serve(sub) -> None:
    p = sub.add_parser("serve", help="serve a model over an OpenAI-compatible HTTP API (127.0.0.1 by default)")
    p.add_argument("model", help="model spec (a local model: directory, GGUF, adapter or default)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=number(int, at_least=0, at_most=65535), default=8000)
    p.add_argument("--name", default="workbench", help="model name clients send and /v1/models lists")
    p.add_argument(
        "--api-key",
        help="require 'Authorization: Bearer KEY' on /v1 (default: $WORKBENCH_API_KEY; prefer the variable: "
        "a command line is visible to other users)",
    )
    p.add_argument(
        "--max-batch",
        type=number(int, at_least=1, at_most=1024),
        default=32,
        help="sequences generated together at most (1 turns batching off; default 32)",
    )
    p.add_argument(
        "--batch-wait-ms",
        type=number(float, at_least=0, at_most=1000),
        default=5.0,
        help="how long the first request of a batch waits for others (default 5)",
    )
    p.add_argument(
        "--max-body-mb",
        type=number(float, above=0, at_most=1024),
        default=1.0,
        help="largest request body accepted, in MiB (larger: 413; default 1)",
    )
    p.add_argument(
        "--threads",
        type=number(int, at_least=1, at_most=1024),
        help="CPU threads for the model (default: PyTorch's choice; on a shared CPU, fewer is often faster)",
    )
    p.set_defaults(func=_serve)


def _serve(args) -> int:
    import os

    from evalkit.serve import Engine, ServeMetrics, bind, is_loopback, make_app, run
    from workbench.errors import UserError
    from workbench.models import load_model, parse_spec

    key = args.api_key or os.environ.get("WORKBENCH_API_KEY") or None
    if parse_spec(args.model).kind == "openai":
        raise UserError(f"{args.model} is an endpoint; evalkit serve serves a local model", hint="docs/serve.md")
    try:
        sock = bind(args.host, args.port)  # a taken port or a bad address fails before the model loads
    except OSError as e:
        raise UserError(
            f"cannot listen on {args.host}:{args.port}: {e.strerror or e}", hint="pick another --port"
        ) from None
    if not key and not is_loopback(args.host):
        print(
            f"warning: serving on {args.host} without an API key: anyone who can reach this address can use the "
            "model; set $WORKBENCH_API_KEY (docs/serve.md)",
            file=sys.stderr,
            flush=True,
        )
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    model = load_model(args.model)
    metrics = ServeMetrics()
    engine = Engine(model, max_batch=args.max_batch, batch_wait_s=args.batch_wait_ms / 1000, metrics=metrics)
    app = make_app(engine, args.name, api_key=key, max_body=int(args.max_body_mb * (1 << 20)), metrics=metrics)
    host, port = sock.getsockname()[:2]
    print(
        f"serving {model.name} at http://{host}:{port}/v1 (model name: {args.name}"
        f"{', API key required' if key else ''}); Ctrl-C stops",
        flush=True,
    )
    run(app, sock)
    return 0
