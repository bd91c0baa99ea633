"""The results store: migrate, list runs, prune the runs a killed process left behind."""

from __future__ import annotations

import sys

from workbench.cli import store_arg

ACTIONS = (
    "migrate: bring the schema to head; runs: list recent runs; "
    "prune --interrupted: delete runs whose process died, with their rows"
)


def add_store(sub) -> None:
    p = sub.add_parser("store", help="results store: migrate, list runs, prune interrupted runs")
    p.add_argument("action", choices=["migrate", "runs", "prune"], help=ACTIONS)
    p.add_argument("--kind", help="only runs of this kind")
    p.add_argument("--status", help="runs: only runs with this status (running, done, failed, interrupted)")
    p.add_argument(
        "--interrupted",
        action="store_true",
        help="prune: delete the runs marked interrupted (their process died) and their case results, battles, "
        "verdicts and training metrics",
    )
    store_arg(p)
    p.set_defaults(func=_store)


def _line(r: dict) -> str:
    return (
        f"{r['id'][:8]}  {r['kind']:<10} {r['status']:<11} {str(r['created_at'])[:19]}  {r['name']}  {r['model'] or ''}"
    )


def _store(args) -> int:
    from workbench.errors import UserError
    from workbench.store import INTERRUPTED, open_store

    if args.action == "prune" and not args.interrupted:
        raise UserError("say what to prune", hint="evalkit store prune --interrupted")
    if args.action != "prune" and args.interrupted:
        raise UserError(
            "--interrupted goes with prune", hint="list them with `evalkit store runs --status interrupted`"
        )
    store = open_store(args.store)
    if store.interrupted:
        print(f"marked {len(store.interrupted)} runs interrupted: their process is gone", file=sys.stderr)
    if args.action == "migrate":
        print(f"{store.shown_url}: schema at revision {store.revision()}")
        return 0
    if args.action == "prune":
        runs = store.runs(kind=args.kind, status=INTERRUPTED, limit=None)
        for r in runs:
            print(_line(r))
        n = store.delete_runs(r["id"] for r in runs)
        print(f"deleted {n} interrupted runs from {store.shown_url}")
        return 0
    for r in store.runs(kind=args.kind, status=args.status):
        print(_line(r))
    return 0
