"""Commands on a model: answer prompts, serve it over an OpenAI-compatible API."""

from __future__ import annotations

import sys

from workbench.cli import generation_args, keywords, store_arg


def add_generate(sub) -> None:
    p = sub.add_parser("generate", help="answer prompts with a model (prints each answer)")
    p.add_argument("prompts", nargs="+", metavar="PROMPT")
    p.add_argument("--model", default="default", help="model spec (default: the embedded SmolLM2-135M-Instruct)")
    generation_args(p)
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

    t0 = time.perf_counter()
    model = load_model(args.model)
    load_s = time.perf_counter() - t0
    gens = model.generate(
        args.prompts,
        system=args.system,
        chat=False if args.no_chat else None,
        **keywords(args, "max_new_tokens", "temperature", "seed"),
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
    if args.record:
        from workbench.store import open_store

        store = open_store(args.store)
        run = store.start_run(
            "generate",
            "generate",
            model=model.name,
            fingerprint=model.fingerprint,
            config={"max_new_tokens": args.max_new_tokens, "temperature": args.temperature},
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
    p.add_argument("model", help="model spec")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--name", help="model name reported by /v1/models (default: workbench)")
    p.set_defaults(func=_serve)


def _serve(args) -> int:
    from evalkit.serve import make_server, serve_until_stopped
    from workbench.models import load_model

    model = load_model(args.model)
    server = make_server(model, args.host, args.port, args.name)
    host, port = server.server_address[:2]
    print(
        f"serving {model.name} at http://{host}:{port}/v1 (model name: {args.name or 'workbench'}); Ctrl-C stops",
        flush=True,
    )
    serve_until_stopped(server)
    return 0
