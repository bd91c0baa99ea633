"""`evalkit`: generate, serve, suites, judges, agreement, ratings and tournaments. One small `_add_*` per command."""
from __future__ import annotations

import sys

from workbench.cli import build_parser, run_main, store_arg


def _add_generate(sub) -> None:
    p = sub.add_parser("generate", help="answer prompts with a model (prints each answer)")
    p.add_argument("prompts", nargs="+", metavar="PROMPT")
    p.add_argument("--model", default="default", help="model spec (default: the embedded SmolLM2-135M-Instruct)")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
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
    gens = model.generate(args.prompts, max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                          seed=args.seed, system=args.system, chat=False if args.no_chat else None)
    for prompt, g in zip(args.prompts, gens):
        if args.json:
            print(json.dumps({"prompt": prompt, "answer": g.text, "prompt_tokens": g.prompt_tokens,
                              "completion_tokens": g.completion_tokens, "latency_s": round(g.latency_s, 3)},
                             ensure_ascii=False))
        else:
            print(g.text)
            if args.timings:
                print(f"  [{g.latency_s:.2f} s, {g.completion_tokens} tokens]", file=sys.stderr)
    if args.record:
        from workbench.store import open_store

        store = open_store(args.store)
        run = store.start_run("generate", "generate", model=model.name, fingerprint=model.fingerprint,
                              config={"max_new_tokens": args.max_new_tokens, "temperature": args.temperature})
        store.finish_run(run, summary={"load_s": load_s, "answers": [
            {"prompt": p, "answer": g.text, "latency_s": g.latency_s} for p, g in zip(args.prompts, gens)]})
        print(f"recorded run {run[:8]} in {store.url}", file=sys.stderr)
    return 0


def _add_serve(sub) -> None:
    p = sub.add_parser("serve", help="serve a model over an OpenAI-compatible HTTP API (127.0.0.1 by default)")
    p.add_argument("model", help="model spec")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--name", help="model name reported by /v1/models (default: workbench)")
    p.set_defaults(func=_serve)


def _serve(args) -> int:
    from workbench.models import load_model
    from workbench.models.serve import make_server

    model = load_model(args.model)
    server = make_server(model, args.host, args.port, args.name)
    host, port = server.server_address[:2]
    print(f"serving {model.name} at http://{host}:{port}/v1 (model name: {args.name or 'workbench'}); Ctrl-C stops",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _add_store(sub) -> None:
    p = sub.add_parser("store", help="results store: migrate, list runs")
    p.add_argument("action", choices=["migrate", "runs"], help="migrate: bring the schema to head; runs: list recent runs")
    p.add_argument("--kind", help="only runs of this kind")
    store_arg(p)
    p.set_defaults(func=_store)


def _store(args) -> int:
    from workbench.store import open_store

    store = open_store(args.store)
    if args.action == "migrate":
        print(f"{store.url}: schema at revision {store.revision()}")
        return 0
    for r in store.runs(kind=args.kind):
        print(f"{r['id'][:8]}  {r['kind']:<10} {r['status']:<8} {str(r['created_at'])[:19]}  {r['name']}  {r['model'] or ''}")
    return 0


def _write_json_atomic(path: str, obj) -> None:
    import json
    import os
    import tempfile

    target = os.path.abspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target) or ".", prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, target)


def _print_leaderboard(lb: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col, just in (("rank", "right"), ("model", "left"), ("rating", "right"), ("95% CI", "right"),
                      ("battles", "right")):
        table.add_column(col, justify=just)
    for i, m in enumerate(lb["models"], 1):
        r = lb["ratings"][m]
        ci = lb.get("ci", {}).get(m)
        table.add_row(str(lb.get("rank", {}).get(m, i)), m, f"{r:.1f}",
                      f"{ci[0] - r:+.1f} / {ci[1] - r:+.1f}" if ci else "", str(lb["battles_per_model"][m]))
    Console().print(table)
    if lb.get("style"):
        print(f"length effect: {lb['style']['length_coef_elo']:+.1f} Elo per typical length difference")
    if lb.get("unbounded"):
        print("note: some groups never won (or never lost) against the rest: " +
              "; ".join("{" + ", ".join(g) + "}" for g in lb["unbounded"]) +
              f"; their ratings are held finite by the prior ({lb['settings']['prior']} virtual ties per model)",
              file=sys.stderr)


def _add_ratings(sub) -> None:
    p = sub.add_parser("ratings", help="Elo / Bradley-Terry ratings with bootstrap CIs from a battles file or the store")
    p.add_argument("battles", nargs="?", metavar="BATTLES.csv",
                   help="CSV/TSV/JSONL/JSON/Parquet with model_a, model_b, winner (model_a|model_b|tie|tie (bothbad)); "
                        "omit to read battles from the store (--run)")
    p.add_argument("--method", choices=["bt", "elo"], default="bt",
                   help="bt: Bradley-Terry maximum likelihood (order-free, default); elo: online Elo (order-dependent)")
    p.add_argument("--bootstrap", type=int, default=0, metavar="N", help="bootstrap rounds for CIs and ranks (e.g. 1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--anchor", metavar="MODEL=RATING", help="pin one model's rating (default: mean rating 1000)")
    p.add_argument("--style-control", action="store_true",
                   help="add the answer-length difference as a covariate (needs len_a, len_b columns)")
    p.add_argument("--prior", type=float, default=None, metavar="W",
                   help="virtual ties per model against an average opponent (default 0.01; keeps never-winners finite)")
    p.add_argument("--k", type=float, default=4.0, help="online Elo K factor (default 4, as Chatbot Arena)")
    p.add_argument("--split-components", action="store_true",
                   help="rate groups of models that never met each on its own instead of failing")
    p.add_argument("--run", metavar="RUN", help="read the battles of this run (id prefix) from the store")
    p.add_argument("--judge-kind", choices=["llm", "human", "import"],
                   help="store battles: only those judged by an LLM, by humans, or imported")
    p.add_argument("--json", metavar="FILE", help="write the ratings object (ratings, ci, rank, matrices) here")
    store_arg(p)
    p.set_defaults(func=_ratings)


def _ratings(args) -> int:
    from workbench.errors import UserError
    from evalkit.ratings import DEFAULT_PRIOR, leaderboard

    if args.battles:
        from evalkit.tournament import read_battles

        df, where = read_battles(args.battles)
        source = args.battles
    elif args.run or args.store or args.judge_kind:
        from workbench.store import open_store
        from evalkit.tournament import battles_frame

        df, where = battles_frame(open_store(args.store), run_id=args.run, judge_kind=args.judge_kind), None
        source = f"run {args.run}" if args.run else "the store"
        if df.empty:
            raise UserError(f"no battles in {source}", hint="run `evalkit tournament` or `evalkit battles import` first")
    else:
        raise UserError("give a battles file or --run RUN", hint="evalkit ratings battles.csv --bootstrap 1000")
    lb = leaderboard(df, method=args.method, bootstrap=args.bootstrap, seed=args.seed, anchor=args.anchor,
                     style_control=args.style_control, prior=DEFAULT_PRIOR if args.prior is None else args.prior,
                     k=args.k, disconnected="split" if args.split_components else "error", where=where)
    _print_leaderboard(lb, f"{'Bradley-Terry' if args.method == 'bt' else 'online Elo'} ratings: {lb['battles']} "
                           f"battles from {source}")
    if args.json:
        _write_json_atomic(args.json, lb)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


def _add_tournament(sub) -> None:
    p = sub.add_parser("tournament", help="battles between models on a suite's prompts, judged by a model or humans")
    p.add_argument("--models", nargs="+", required=True, metavar="CONTESTANT",
                   help="[NAME=]SPEC[@settings]: a model spec, optionally named and with generation settings, e.g. "
                        "default, hot=default@temperature=1.0, tuned=default+out/lora (settings: temperature, top_p, "
                        "max_new_tokens, seed, system)")
    p.add_argument("--suite", required=True, help="suite YAML, or a CSV/JSONL of prompts with a question column")
    p.add_argument("--judge", required=True,
                   help="judge model spec; `reference`: the answer closer to the prompt's reference answer wins "
                        "(no model); `human`: queue the battles for raters")
    p.add_argument("--rounds", type=int, metavar="N", help="round-robin: prompts per pair (default: every prompt)")
    p.add_argument("--adaptive", action="store_true",
                   help="spend battles where the rating intervals overlap; stop at --target-ci or --budget")
    p.add_argument("--target-ci", type=float, default=100.0, metavar="W",
                   help="adaptive: stop once every 95%% interval is narrower than W Elo points (default 100)")
    p.add_argument("--budget", type=int, metavar="B", help="at most B battles")
    p.add_argument("--min-battles", type=int, default=10, metavar="N",
                   help="adaptive: judge the interval widths only once every contestant has N battles (default 10)")
    p.add_argument("--limit", type=int, metavar="N", help="use the first N prompts only")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N")
    p.add_argument("--seed", type=int, default=0, help="left/right and prompt order (default 0)")
    p.add_argument("--lang", default="en", choices=["en", "ko"], help="judge prompt language")
    p.add_argument("--judge-method", choices=["generate", "logprob"], default="generate",
                   help="generate: read the judge's written verdict (MT-Bench); logprob: score the verdict markers "
                        "(small local judges whose text rarely parses)")
    p.add_argument("--json", metavar="FILE", help="write the leaderboard object here")
    store_arg(p)
    p.set_defaults(func=_tournament)


def _tournament(args) -> int:
    from workbench.store import open_store
    from evalkit.tournament import load_prompts, run_tournament

    suite, prompts = load_prompts(args.suite, limit=args.limit)
    store = open_store(args.store)
    res = run_tournament(args.models, prompts, args.judge, store=store, suite=suite, rounds=args.rounds,
                         adaptive=args.adaptive, target_ci=args.target_ci, budget=args.budget, seed=args.seed,
                         min_battles=args.min_battles,
                         bootstrap=args.bootstrap, gen={"max_new_tokens": args.max_new_tokens}, lang=args.lang,
                         judge_method=args.judge_method, progress=lambda m: print(m, file=sys.stderr, flush=True))
    if args.judge == "human":
        print(f"queued {res['units']} battles as rating session {res['session_id']} in {store.url}; invite raters in "
              f"the app, then `evalkit ratings --run {res['session_id'][:8]}`")
        return 0
    lb = res["leaderboard"]
    print(f"run {res['run_id'][:8]}: {res['battles']} battles stored ({res['unparsed']} unparsed verdicts skipped); "
          f"stopped: {res['stop_reason']}", file=sys.stderr)
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in res["verdicts"].items()), file=sys.stderr)
    if res["unparsed"] and args.judge_method == "generate":
        print("  hint: a small local judge rarely writes a readable verdict; try --judge-method logprob",
              file=sys.stderr)
    if lb is None:
        print("no ratings: the judged battles don't connect every contestant", file=sys.stderr)
        return 0
    _print_leaderboard(lb, f"tournament on {suite}, judged by {args.judge}")
    if args.json:
        _write_json_atomic(args.json, {"run_id": res["run_id"], "stop_reason": res["stop_reason"], **lb})
    return 0


def _add_battles_import(sub) -> None:
    p = sub.add_parser("battles", help="import battles (model_a, model_b, winner; Chatbot Arena's layout) or export them")
    p.add_argument("action", choices=["import", "export"])
    p.add_argument("file", metavar="FILE", help="import: CSV/TSV/JSONL/JSON/Parquet to read; export: CSV to write")
    p.add_argument("--judge", help="import: who judged (default: the file's judge column)")
    p.add_argument("--suite", help="import: suite name to file the battles under")
    p.add_argument("--run", metavar="RUN", help="export: only this run's battles")
    store_arg(p)
    p.set_defaults(func=_battles)


def _battles(args) -> int:
    import os
    import tempfile

    from workbench.store import open_store
    from evalkit.tournament import battles_frame, import_battles

    store = open_store(args.store)
    if args.action == "import":
        run_id, n = import_battles(store, args.file, judge=args.judge, suite=args.suite)
        print(f"imported {n} battles from {args.file} as run {run_id[:8]} in {store.url}")
        return 0
    df = battles_frame(store, run_id=args.run)
    target = os.path.abspath(args.file)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-", suffix=".csv")
    os.close(fd)
    df.to_csv(tmp, index=False)
    os.replace(tmp, target)
    print(f"wrote {len(df)} battles to {args.file}")
    return 0


def _add_app(sub) -> None:
    p = sub.add_parser("app", help="start the Streamlit app (audits, suites, expert rating, leaderboard, agreement)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--print-url", action="store_true", help="print the admin link and the command, don't start")
    store_arg(p)
    p.set_defaults(func=_app)


def _app(args) -> int:
    import os
    import subprocess
    from pathlib import Path

    from apps.auth import create_user, issue_token
    from workbench.store import open_store

    store = open_store(args.store)
    try:
        token = issue_token(store, "admin")  # a fresh admin link each start; the previous one stops working
    except KeyError:
        token = create_user(store, "Admin", role="admin", user_id="admin")[1]
    app = Path(__file__).resolve().parents[1] / "apps" / "app.py"
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port), "--server.address",
           args.host, "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--client.toolbarMode", "viewer"]
    print(f"store: {store.url}")
    print(f"admin link (valid 14 days, keep it private): http://{args.host}:{args.port}/?token={token}")
    if args.print_url:
        print("start it with: evalkit app" + (f" --store {args.store}" if args.store else "") +
              (f" --port {args.port}" if args.port != 8501 else ""))
        return 0
    store.dispose()
    return subprocess.call(cmd, env={**os.environ, "WORKBENCH_STORE": store.url})


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="run test suites on one or more models (results in the store, JSON, JUnit, Markdown)")
    p.add_argument("suites", nargs="+", metavar="SUITE", help="suite YAML files (suites/*.yaml)")
    p.add_argument("--model", action="append", metavar="SPEC", help="model spec; repeat to compare models (default: default)")
    p.add_argument("--json", metavar="FILE", help='write {"runs": [{"suite", "model", "metrics", "cases"}]} to FILE')
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML (one testcase per case) for CI")
    p.add_argument("--markdown", metavar="FILE", help="write a Markdown summary")
    p.add_argument("--baseline", metavar="RUN", help="compare with this earlier run of the same suite; exit 3 on a "
                                                     "significant drop or a critical case that now fails")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level for --baseline (default 0.05)")
    p.add_argument("--train", metavar="DATA", help="warn when suite cases overlap this training data (held-out check)")
    p.add_argument("--strict", action="store_true", help="with --train: refuse to run (exit 3) on any overlap")
    p.add_argument("--allow-code", action="store_true", help="allow `python` assertions (they run code from the suite)")
    p.add_argument("--judge", metavar="SPEC", help="judge model for llm-rubric assertions (overrides the suite's)")
    p.add_argument("--batch-size", type=int, default=8, help="generation batch size (default 8)")
    p.add_argument("--ll-batch-size", type=int, default=32, help="loglikelihood requests per forward (default 32)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N cases of each suite")
    p.add_argument("--timeout", type=float, metavar="S", help="per-case time limit in seconds (slower: error)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    store_arg(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    from rich.console import Console

    from workbench import errors
    from workbench.store import open_store
    from evalkit.suites import compare_runs, run_suites
    from evalkit.suites import outputs as out

    store = open_store(args.store)
    err = Console(stderr=True)
    res = run_suites(args.suites, args.model or ["default"], store=store, batch_size=args.batch_size,
                     ll_batch_size=args.ll_batch_size, progress=not args.quiet, allow_code=args.allow_code,
                     judge=args.judge, train=args.train, strict=args.strict, timeout_s=args.timeout, limit=args.limit,
                     on_model=lambda m: err.print(f"[dim]model {m.name} ({m.fingerprint[:12]})[/dim]"))
    held = res.get("heldout")
    if held and held["contaminated"]:
        err.print(f"[yellow]warning:[/yellow] {len(held['contaminated'])} case(s) overlap the training data "
                  f"{held['train']}: {', '.join(held['contaminated'][:10])}")
    for path, write in ((args.json, out.write_json), (args.junit, out.write_junit), (args.markdown, out.write_markdown)):
        if path:
            write(res, path)
            err.print(f"wrote {path}")
    console = Console() if sys.stdout.isatty() else Console(width=160)  # a pipe or CI log: don't squeeze the table
    console.print(out.results_table(res))
    cached = sum(r["stats"]["cached"] for r in res["runs"])
    computed = sum(r["stats"]["computed"] for r in res["runs"])
    print(f"model calls: {computed} computed, {cached} from the cache; store: {store.url}")
    code = errors.OK
    reports = []
    if args.baseline:
        from evalkit.suites.compare import resolve_run

        base = resolve_run(store, args.baseline)
        reports = [compare_runs(store, base["id"], r["run_id"], alpha=args.alpha) for r in res["runs"]
                   if r["suite"] == base["name"]]
        if not reports:
            raise errors.UserError(f"baseline {args.baseline} is a run of {base['name']!r}, which this run didn't include")
    elif len(args.model or []) > 1:  # model vs model: the first model is the baseline
        first = {r["suite"]: r for r in res["runs"] if r["model"] == res["runs"][0]["model"]}
        reports = [compare_runs(store, first[r["suite"]]["run_id"], r["run_id"], alpha=args.alpha)
                   for r in res["runs"] if r["model"] != res["runs"][0]["model"]]
    for rep in reports:
        print()
        print(out.compare_markdown(rep), end="")
        if args.baseline and rep["gate_failed"]:
            code = errors.GATE_FAILED
    if code == errors.OK and any(r["metrics"]["errors"] for r in res["runs"]):
        err.print("[red]some cases errored[/red] (model or endpoint failures; see the error column in the outputs)")
        code = errors.MODEL_ERROR
    return code


def _add_compare(sub) -> None:
    p = sub.add_parser("compare", help="compare two suite runs: flips, exact McNemar, bootstrap CI, per tag (exit 3 on a drop)")
    p.add_argument("run_a", metavar="RUN_A", help="baseline run id (or unique prefix)")
    p.add_argument("run_b", metavar="RUN_B", help="candidate run id (or unique prefix)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--critical-tag", default="critical", help="tag whose pass→fail flips always fail the gate")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.add_argument("--json", metavar="FILE", help="write the report as JSON")
    p.add_argument("--markdown", metavar="FILE", help="write the report as Markdown")
    store_arg(p)
    p.set_defaults(func=_compare)


def _compare(args) -> int:
    import json

    from workbench import errors
    from workbench.paths import atomic_write
    from workbench.store import open_store
    from evalkit.suites import compare_runs
    from evalkit.suites.outputs import compare_markdown

    rep = compare_runs(open_store(args.store), args.run_a, args.run_b, alpha=args.alpha, seed=args.seed,
                       critical_tag=args.critical_tag)
    text = compare_markdown(rep)
    if args.json:
        atomic_write(args.json, json.dumps(rep, indent=2, ensure_ascii=False) + "\n")
    if args.markdown:
        atomic_write(args.markdown, text)
    print(text, end="")
    return errors.GATE_FAILED if rep["gate_failed"] else errors.OK


def _add_agree(sub) -> None:
    p = sub.add_parser("agree", help="agreement between raters (humans, LLM judges): kappa, alpha, %% agreement with CIs")
    p.add_argument("ratings", nargs="+", metavar="RATINGS",
                   help="CSV/JSONL with item_id, rater, rating[, rater_kind] (or the ratings/MT-Bench layouts); "
                        "several files are pooled")
    p.add_argument("--json", metavar="FILE", help="write the full report as JSON here")
    p.add_argument("--judge", metavar="RATER", help="compare this rater (an LLM judge) with the humans")
    p.add_argument("--level", choices=["nominal", "ordinal", "interval"], default="nominal",
                   help="Krippendorff's alpha level: nominal for categories, ordinal or interval for scores")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples over items (0: no CIs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--items", metavar="FILE", help="suite YAML or CSV/JSONL with item_id: ratings for other items "
                                                   "are an error")
    p.set_defaults(func=_agree)


def _agree_frame(paths):
    import pandas as pd

    from evalkit.ratings_io import ratings_to_agree_rows, read_records, records_to_ratings

    frames = []
    for path in paths:
        records = list(read_records(path))
        layout, rows = records_to_ratings(path, records)
        if layout == "agree":
            recs = [{**r, "_line": f"{path}:{n}"} for n, r in records]
        else:
            recs = [{**a, "_line": f"{path}:{r['raw'].get('line', '?') if isinstance(r.get('raw'), dict) else '?'}"}
                    for r, a in zip(rows, ratings_to_agree_rows(rows))]
        frames.append(pd.DataFrame(recs))
    return pd.concat(frames, ignore_index=True)


def _agree(args) -> int:
    import json
    import os
    import tempfile

    from evalkit.agreement import agreement_report, report_text

    items = None
    if args.items:
        if args.items.endswith((".yaml", ".yml")):
            from evalkit.suites import load_suite

            items = [c.id for c in load_suite(args.items).cases]
        else:
            from evalkit.ratings_io import read_records

            items = [str(r.get("item_id") or r.get("id")) for _, r in read_records(args.items)]
    report = agreement_report(_agree_frame(args.ratings), level=args.level, judge=args.judge,
                              bootstrap=args.bootstrap, seed=args.seed, items=items)
    if args.json:
        d = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(d, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, ensure_ascii=False)
        os.replace(tmp, args.json)
    print(report_text(report))
    if report["n_raters"] < 2:
        print(f"error: only one rater ({report['raters'][0]}): agreement needs two or more", file=sys.stderr)
        return 2
    return 0


def _add_judge(sub) -> None:
    p = sub.add_parser("judge", help="judge two models' (or settings') answers pairwise with an LLM judge, both orders")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--suite", metavar="YAML", help="questions (and reference answers) from a suite's cases")
    src.add_argument("--data", metavar="FILE", help="questions and human answers from a CSV/JSONL Q/A file")
    src.add_argument("--pairs", metavar="FILE", help="ready-made answer pairs (item_id, question, answer_a, answer_b"
                                                     "[, reference, model_a, model_b]), e.g. ones humans rated")
    p.add_argument("--models", nargs=2, metavar=("A", "B"),
                   help="two model specs; `human-reference` stands for the human-written reference answers")
    p.add_argument("--judge", default="default", metavar="SPEC", help="the judge's model spec (default: default)")
    p.add_argument("--temperature", nargs="+", type=float, default=[0.0], metavar="T",
                   help="decoding temperature, one value or one per model (e.g. 0 1.0)")
    p.add_argument("--system", nargs="+", metavar="TEXT", help="system prompt, one or one per model ('' for none)")
    p.add_argument("--names", nargs=2, metavar=("NAME_A", "NAME_B"), help="labels for the two contestants")
    p.add_argument("--from-run", metavar="RUN", help="take the answers from a stored suite run instead of generating")
    p.add_argument("--limit", type=int, help="judge only the first N items")
    p.add_argument("--offset", type=int, default=0, help="skip the first N items")
    p.add_argument("--lang", default="en", help="judge prompt language (en, ko) or a prompts YAML file")
    p.add_argument("--max-new-tokens", type=int, default=96, help="answer length for generated answers")
    p.add_argument("--judge-max-new-tokens", type=int, default=192, help="judge output length")
    p.add_argument("--no-reference", action="store_true", help="don't show the reference answer to the judge")
    p.add_argument("--method", choices=["generate", "logprob"], default="generate",
                   help="generate: read [[A]]/[[B]]/[[C]]/[[D]] from the judge's text (MT-Bench); logprob: pick the "
                        "likeliest marker (local judges; fast, never unparsed)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", help="write the summary (every verdict, both orders) as JSON")
    store_arg(p)
    p.set_defaults(func=_judge)


def _judge(args) -> int:

    from workbench.errors import UserError
    from evalkit.judges.run import Contestant, answers_from_run, judge_contestants, load_items
    from workbench.store import open_store

    def per_model(values, what):
        values = list(values or [None])
        if len(values) not in (1, 2):
            raise UserError(f"--{what} takes one value or one per model (2), got {len(values)}")
        return values * 2 if len(values) == 1 else values

    store = open_store(args.store)
    if args.pairs:
        from evalkit.judges.run import judge_pairs, load_pairs

        summary = judge_pairs(args.judge, load_pairs(args.pairs, limit=args.limit, offset=args.offset), store=store,
                              lang=args.lang, judge_params={"max_new_tokens": args.judge_max_new_tokens},
                              method=args.method, use_reference=not args.no_reference)
        return _print_judged(summary, store, args.json)
    if not args.models:
        raise UserError("--models A B is required with --suite or --data")
    items = load_items(suite=args.suite, data=args.data, limit=args.limit, offset=args.offset)
    temps, systems = per_model(args.temperature, "temperature"), per_model(args.system, "system")
    names = args.names or ["", ""]
    contestants = [Contestant(spec, temperature=t or 0.0, system=s or None, seed=args.seed, name=n)
                   for spec, t, s, n in zip(args.models, temps, systems, names)]
    if contestants[0].name == contestants[1].name and not args.names:
        contestants[1].name += "#2"
    if args.from_run:
        ids = [it["item_id"] for it in items]
        for c in contestants:
            if c.spec != "human-reference":
                c.answers = answers_from_run(store, args.from_run, c.spec, ids)
    summary = judge_contestants(args.judge, items, contestants, store=store, lang=args.lang,
                                max_new_tokens=args.max_new_tokens, use_reference=not args.no_reference,
                                judge_params={"max_new_tokens": args.judge_max_new_tokens}, seed=args.seed,
                                method=args.method)
    return _print_judged(summary, store, args.json)


def _print_judged(summary: dict, store, json_path: str | None) -> int:
    import json
    import os
    import tempfile

    for v in summary["verdicts"]:
        print(f"{v['item_id']:<28} {v['winner']:<9} (order AB: {v['order_AB']}, order BA: {v['order_BA']})")
    c = summary["counts"]
    who = f"{summary['model_a']} (A) vs {summary['model_b']} (B)" if "model_a" in summary else "answer A vs answer B"
    print(f"\n{who}, judged by {summary['judge']} ({summary['method']}) on {summary['items']} items in both orders:")
    print(f"  A wins {c['A']}, B wins {c['B']}, ties {c['tie']}, both bad {c['bothbad']}, unparsed {c['unparsed']}")
    pc = summary["position_consistency"]
    print(f"  position consistency: {'n/a (no item readable in both orders)' if pc is None else f'{pc:.2f}'}")
    for model, w in summary.get("winrate_vs_human_reference", {}).items():
        ci = "" if w["ci_low"] is None else f" [{w['ci_low']:.2f}, {w['ci_high']:.2f}]"
        print(f"  {model} vs human-reference: win rate {w['win_rate']:.2f}{ci} over {w['n']} judged items")
    if summary.get("run_id"):
        print(f"  stored run {summary['run_id'][:8]} (ratings + battles) in {store.url}")
    if json_path:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(json_path)), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2, ensure_ascii=False)
        os.replace(tmp, json_path)
    return 0


def _add_ratings_io(sub) -> None:
    p = sub.add_parser("ratings-import", help="import human/LLM ratings (JSONL/CSV, MT-Bench layout) into the store")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--layout", choices=["native", "agree", "mtbench"], help="default: recognised from the columns")
    p.add_argument("--rater-kind", choices=["human", "llm"], help="override every row's rater kind")
    store_arg(p)
    p.set_defaults(func=_ratings_import)
    p = sub.add_parser("ratings-export", help="export the store's ratings to JSONL/CSV (native, agree or MT-Bench)")
    p.add_argument("file", metavar="FILE", help=".jsonl or .csv")
    p.add_argument("--layout", choices=["native", "agree", "mtbench"], default="native",
                   help="agree: item_id,rater,rating for `evalkit agree`; mtbench: question_id,model_a,... ")
    p.add_argument("--run", metavar="RUN", help="only ratings of this run (id or prefix)")
    p.add_argument("--rater-kind", choices=["human", "llm"])
    p.add_argument("--kind", choices=["pairwise", "single"])
    store_arg(p)
    p.set_defaults(func=_ratings_export)


def _ratings_import(args) -> int:
    from evalkit.ratings_io import import_ratings
    from workbench.store import open_store

    store = open_store(args.store)
    got = import_ratings(store, args.file, layout=args.layout, rater_kind=args.rater_kind)
    print(f"imported {got['ratings']} ratings ({got['layout']} layout) on {got['items']} items from "
          f"{len(got['raters'])} raters into run {got['run_id'][:8]} in {store.url}")
    return 0


def _ratings_export(args) -> int:
    from evalkit.ratings_io import export_ratings
    from workbench.store import open_store

    store = open_store(args.store)
    n = export_ratings(store, args.file, layout=args.layout, run_id=args.run, rater_kind=args.rater_kind,
                       kind=args.kind)
    print(f"wrote {n} ratings ({args.layout} layout) to {args.file}")
    return 0


# Each command registers itself here; helpers append their `_add_*` functions.
SUBCOMMANDS = [_add_generate, _add_serve, _add_store, _add_ratings, _add_tournament, _add_battles_import, _add_app, _add_run, _add_compare, _add_agree, _add_judge, _add_ratings_io]


def main(argv=None) -> int:
    parser = build_parser("evalkit", "Held-out test suites, judges, human ratings, agreement and Elo tournaments.",
                          SUBCOMMANDS)
    return run_main(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
