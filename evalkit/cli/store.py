"""The results store: migrate, list runs."""

from __future__ import annotations

from workbench.cli import store_arg


def add_store(sub) -> None:
    p = sub.add_parser("store", help="results store: migrate, list runs")
    p.add_argument(
        "action", choices=["migrate", "runs"], help="migrate: bring the schema to head; runs: list recent runs"
    )
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
        print(
            f"{r['id'][:8]}  {r['kind']:<10} {r['status']:<8} {str(r['created_at'])[:19]}  {r['name']}  {r['model'] or ''}"
        )
    return 0
