"""Agreement between raters, and verdict files in and out of the store."""

from __future__ import annotations

import sys

from workbench.cli import store_arg


def add_agree(sub) -> None:
    p = sub.add_parser(
        "agree", help="agreement between raters (humans, LLM judges): kappa, alpha, %% agreement with CIs"
    )
    p.add_argument(
        "ratings",
        nargs="+",
        metavar="RATINGS",
        help="CSV/JSONL with item_id, rater, rating[, rater_kind] (or the ratings/MT-Bench layouts); "
        "several files are pooled",
    )
    p.add_argument("--json", metavar="FILE", help="write the full report as JSON here")
    p.add_argument("--judge", metavar="RATER", help="compare this rater (an LLM judge) with the humans")
    p.add_argument(
        "--level",
        choices=["nominal", "ordinal", "interval"],
        default="nominal",
        help="Krippendorff's alpha level: nominal for categories, ordinal or interval for scores",
    )
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples over items (0: no CIs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--items", metavar="FILE", help="suite YAML or CSV/JSONL with item_id: ratings for other items are an error"
    )
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
            recs = [
                {**a, "_line": f"{path}:{r['raw'].get('line', '?') if isinstance(r.get('raw'), dict) else '?'}"}
                for r, a in zip(rows, ratings_to_agree_rows(rows))
            ]
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
    report = agreement_report(
        _agree_frame(args.ratings),
        level=args.level,
        judge=args.judge,
        bootstrap=args.bootstrap,
        seed=args.seed,
        items=items,
    )
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


def add_ratings_io(sub) -> None:
    p = sub.add_parser("ratings-import", help="import human/LLM ratings (JSONL/CSV, MT-Bench layout) into the store")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--layout", choices=["native", "agree", "mtbench"], help="default: recognised from the columns")
    p.add_argument("--rater-kind", choices=["human", "llm"], help="override every row's rater kind")
    store_arg(p)
    p.set_defaults(func=_ratings_import)
    p = sub.add_parser("ratings-export", help="export the store's ratings to JSONL/CSV (native, agree or MT-Bench)")
    p.add_argument("file", metavar="FILE", help=".jsonl or .csv")
    p.add_argument(
        "--layout",
        choices=["native", "agree", "mtbench"],
        default="native",
        help="agree: item_id,rater,rating for `evalkit agree`; mtbench: question_id,model_a,... ",
    )
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
    print(
        f"imported {got['ratings']} ratings ({got['layout']} layout) on {got['items']} items from "
        f"{len(got['raters'])} raters into run {got['run_id'][:8]} in {store.url}"
    )
    return 0


def _ratings_export(args) -> int:
    from evalkit.ratings_io import export_ratings
    from workbench.store import open_store

    store = open_store(args.store)
    n = export_ratings(
        store, args.file, layout=args.layout, run_id=args.run, rater_kind=args.rater_kind, kind=args.kind
    )
    print(f"wrote {n} ratings ({args.layout} layout) to {args.file}")
    return 0
