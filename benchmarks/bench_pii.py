"""PII detection: precision and recall per kind on the labelled set benchmarks/precision/pii/pii.jsonl.

The set (built by benchmarks/precision/pii/make_set.py; its README says how) holds Korean and English sentences with
one labelled PII value each (phone, e-mail, card, resident registration number; particles attached, with and without
spaces) and hard negatives (order numbers in the 6-7 layout of a registration number, dates, invoice numbers,
versions, prices, business registration numbers, ...). A finding counts as a true positive only when its kind and its
exact span match a label: a phone number reported with its particle ("010-1234-5678로") is one false positive and one
miss. A look-alike is "reported" when any finding overlaps it.

With `--baseline REV`, curate/pii.py as it was at git revision REV is scored too, as the peer: the figure before
and after a change, from one run.

    .venv/bin/python benchmarks/bench_pii.py [--baseline 468ced2]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import record  # noqa: E402  (this folder is on sys.path when a benchmark runs)

from curate.pii import find_pii  # noqa: E402

SET = REPO / "benchmarks/precision/pii/pii.jsonl"
RESULTS = REPO / "benchmarks/results/pii.json"
KINDS = ("phone", "email", "card", "rrn")


def load_set(path: Path = SET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def find_pii_at(rev: str):
    """curate.pii.find_pii as it was at git revision `rev` (the module is self-contained: standard library only)."""
    src = subprocess.run(
        ["git", "show", f"{rev}:curate/pii.py"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    name = f"_pii_at_{rev.replace('-', '_')}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(src, f"{rev}:curate/pii.py", "exec"), module.__dict__)
    return module.find_pii


def score(find, rows: list[dict]) -> dict:
    """Per kind: true positives, false positives, misses, precision, recall; recall per (kind, sub) and language;
    the look-alikes reported, by kind, with their ids."""
    tp, fp, fn = Counter(), Counter(), Counter()
    sub_hit, sub_all = Counter(), Counter()
    misses, false_pos, lookalikes_hit = [], [], defaultdict(list)
    for r in rows:
        found = {(f.kind, r["text"][f.start : f.end]): (f.start, f.end) for f in find(r["text"])}
        labels = {(p["kind"], p["value"]): p for p in r["pii"]}
        for key, p in labels.items():
            hit = key in found
            tp[key[0]] += hit
            fn[key[0]] += not hit
            sub_all[f"{p['kind']}/{p['sub']}/{r['lang']}"] += 1
            sub_hit[f"{p['kind']}/{p['sub']}/{r['lang']}"] += hit
            if not hit:
                misses.append({"id": r["id"], "text": r["text"], "found": sorted(found)})
        for key in found:
            if key not in labels:
                fp[key[0]] += 1
                false_pos.append({"id": r["id"], "kind": key[0], "span": key[1]})
        for la in r["lookalikes"]:
            ls = r["text"].index(la["value"])
            if any(s < ls + len(la["value"]) and ls < e for s, e in found.values()):
                lookalikes_hit[la["kind"]].append(r["id"])
    per_kind = {}
    for k in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[k] / (tp[k] + fp[k]) if tp[k] + fp[k] else 1.0
        rc = tp[k] / (tp[k] + fn[k]) if tp[k] + fn[k] else 1.0
        per_kind[k] = {"tp": tp[k], "fp": fp[k], "fn": fn[k], "precision": round(p, 4), "recall": round(rc, 4)}
    n_pos = sum(len(r["pii"]) for r in rows)
    return {
        "per_kind": per_kind,
        "recall_overall": round(sum(tp.values()) / n_pos, 4),
        "recall_by_sub_and_language": {k: f"{sub_hit[k]}/{n}" for k, n in sorted(sub_all.items())},
        "lookalikes": sum(len(r["lookalikes"]) for r in rows),
        "lookalikes_reported": {k: len(v) for k, v in sorted(lookalikes_hit.items())},
        "lookalike_ids": {k: v[:10] for k, v in sorted(lookalikes_hit.items())},
        "misses": misses[:20],
        "false_positives": false_pos[:20],
    }


def not_reported_share(s: dict) -> float:
    return round(1 - sum(s["lookalikes_reported"].values()) / s["lookalikes"], 4)


def rows_for(ours: dict, peer: dict | None, peer_name: str | None) -> list[dict]:
    def one(key: str, what: str, get) -> dict:
        o, p = get(ours), (get(peer) if peer else None)
        ratio = None if p is None else (o / p if p else (1.0 if o == p else None))
        return record.row(key, what, "", o, p, peer_name if peer else None, better=record.HIGHER, ratio=ratio)

    out = []
    for k in KINDS:
        out.append(one(f"{k}_precision", f"PII {k}: precision", lambda s, k=k: s["per_kind"].get(k, {}).get("precision", 1.0)))  # fmt: skip
        out.append(one(f"{k}_recall", f"PII {k}: recall", lambda s, k=k: s["per_kind"][k]["recall"]))
    out.append(one("recall", "PII: recall over every labelled value", lambda s: s["recall_overall"]))
    out.append(one("lookalikes_clear", "Hard negatives (order numbers, dates, ...) not reported", not_reported_share))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", metavar="REV", help="also score curate/pii.py at this git revision, as the peer")
    ap.add_argument("--out", default=str(RESULTS), help="results file (record format)")
    args = ap.parse_args()
    started = record.begin()
    rows = load_set()
    ours = score(find_pii, rows)
    peer = score(find_pii_at(args.baseline), rows) if args.baseline else None
    peer_name = f"curate/pii.py at {args.baseline}" if args.baseline else None
    details = {"set": str(SET.relative_to(REPO)), "records": len(rows), "ours": ours}
    if peer:
        details["peer"] = {"revision": args.baseline, **peer}
    record.append(
        args.out,
        started,
        title="PII detection: precision and recall per kind (labelled Korean and English set)",
        rows=rows_for(ours, peer, peer_name),
        details=details,
        command=record.command_line(),
    )
    for k, v in ours["per_kind"].items():
        before = f"   (before: P {peer['per_kind'][k]['precision']:.3f} R {peer['per_kind'][k]['recall']:.3f})" if peer and k in peer["per_kind"] else ""  # fmt: skip
        print(f"{k:6s} P {v['precision']:.3f} R {v['recall']:.3f}  tp {v['tp']} fp {v['fp']} fn {v['fn']}{before}")
    print(f"recall overall {ours['recall_overall']:.3f}; look-alikes reported: {ours['lookalikes_reported'] or 'none'}")


if __name__ == "__main__":
    main()
