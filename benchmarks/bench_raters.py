"""Which raters to believe, on simulated raters of known quality: Dawid-Skene consensus vs majority vote vs the truth,
and whether the spammers and the position-biased rater are flagged by name.

8 raters (5 good ones of accuracy 0.9 … 0.7, 2 spammers, 1 rater who picks the left answer 85 % of the time),
500 items, each rated by k = 3 raters drawn at random (tests/fixtures/raters_sim.py), over several seeds. The peer is
crowd-kit's DawidSkene on the same ratings (same labels expected). Writes benchmarks/results/raters.json.

    .venv/bin/python benchmarks/bench_raters.py [--items 500] [--k 3] [--seeds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import record  # noqa: E402
from fixtures.raters_sim import LABELS, default_panel, simulate  # noqa: E402

from evalkit.agreement import agreement_report, prepare  # noqa: E402
from evalkit.agreement.consensus import dawid_skene, majority_vote  # noqa: E402

TITLE = "Rater quality on simulated raters: Dawid-Skene consensus vs majority vote, and who gets flagged"
BAD = {"spammer-1": "spammer", "spammer-2": "spammer", "lefty": "position_bias"}


def one_session(n_items: int, k: int, seed: int) -> dict:
    """Accuracy of each consensus against the simulated truth, crowd-kit's labels, and the flags raised."""
    from crowdkit.aggregation import DawidSkene

    df, truth = simulate(default_panel(), n_items, k, np.random.default_rng(seed))
    r = prepare(df)
    code = {lab: i for i, lab in enumerate(r.labels)}
    t = np.array([code[LABELS[truth[int(i[1:])]]] for i in r.items])
    t0 = time.perf_counter()
    ds = dawid_skene(r.codes, len(r.values))
    ours_s = time.perf_counter() - t0
    rr, nn = np.nonzero(~np.isnan(r.codes))
    data = pd.DataFrame({"task": nn, "worker": rr, "label": r.codes[rr, nn].astype(int)})
    t0 = time.perf_counter()
    peer = DawidSkene(n_iter=100).fit(data).labels_.sort_index()
    peer_s = time.perf_counter() - t0
    rep = agreement_report(df, consensus="dawid-skene", bootstrap=0)
    flags = {name: f["flags"] for name, f in rep["raters"].items()}
    return {
        "seed": seed,
        "dawid_skene_accuracy": float((ds.labels == t).mean()),
        "majority_accuracy": float((majority_vote(r.codes, len(r.values)).labels == t).mean()),
        "crowdkit_accuracy": float((peer.to_numpy() == t[peer.index.to_numpy()]).mean()),
        "same_labels_as_crowdkit": float((ds.labels[peer.index.to_numpy()] == peer.to_numpy()).mean()),
        "bad_raters_flagged": sum(want in flags[name] for name, want in BAD.items()),
        "good_raters_flagged": sum(bool(f) for name, f in flags.items() if name not in BAD),
        "flags": flags,
        "ours_s": ours_s,
        "peer_s": peer_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=500)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    started = record.begin()
    runs = [one_session(args.items, args.k, seed) for seed in range(args.seeds)]
    ds = [x["dawid_skene_accuracy"] for x in runs]
    mv = [x["majority_accuracy"] for x in runs]
    details = {
        "items": args.items,
        "k": args.k,
        "raters": [p.name for p in default_panel()],
        "seeds": args.seeds,
        "dawid_skene_accuracy_mean": round(float(np.mean(ds)), 4),
        "majority_accuracy_mean": round(float(np.mean(mv)), 4),
        "crowdkit_accuracy_mean": round(float(np.mean([x["crowdkit_accuracy"] for x in runs])), 4),
        "bad_raters_flagged": f"{sum(x['bad_raters_flagged'] for x in runs)} of {len(BAD) * len(runs)}",
        "good_raters_flagged": sum(x["good_raters_flagged"] for x in runs),
        "runs": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in x.items()} for x in runs],
    }
    rows = [
        record.row(
            "consensus_accuracy",
            f"consensus accuracy vs the simulated truth, {args.items} items, k = {args.k}, 8 raters (2 spammers, "
            f"1 position-biased), mean of {args.seeds} seeds",
            "share",
            details["dawid_skene_accuracy_mean"],
            details["majority_accuracy_mean"],
            "majority vote",
            better=record.HIGHER,
            ours_rounds=ds,
            peer_rounds=mv,
        ),
        record.row(
            "peer_accuracy",
            "Dawid-Skene consensus accuracy: ours vs crowd-kit's DawidSkene, same ratings",
            "share",
            details["dawid_skene_accuracy_mean"],
            details["crowdkit_accuracy_mean"],
            "crowd-kit DawidSkene",
            better=record.HIGHER,
        ),
        record.row(
            "bad_flagged",
            f"spammers and the position-biased rater flagged by name, of {len(BAD) * len(runs)} "
            f"(3 raters x {len(runs)} seeds)",
            "raters",
            sum(x["bad_raters_flagged"] for x in runs),
            better=record.HIGHER,
        ),
        record.row(
            "good_flagged",
            f"good raters flagged (any flag), of {5 * len(runs)} (5 raters x {len(runs)} seeds)",
            "raters",
            details["good_raters_flagged"],
        ),
        record.row(
            "fit_seconds",
            "Dawid-Skene fit, seconds (best of the seeds)",
            "s",
            round(min(x["ours_s"] for x in runs), 4),
            round(min(x["peer_s"] for x in runs), 4),
            "crowd-kit DawidSkene",
        ),
    ]
    record.append(
        Path(__file__).with_name("results") / "raters.json",
        started,
        title=TITLE,
        rows=rows,
        details=details,
        rounds=args.seeds,
        command=record.command_line(),
    )
    print(f"Dawid-Skene {details['dawid_skene_accuracy_mean']:.3f} vs majority {details['majority_accuracy_mean']:.3f}")
    print(f"crowd-kit {details['crowdkit_accuracy_mean']:.3f}; bad raters flagged {details['bad_raters_flagged']}, ")
    print(f"good raters flagged {details['good_raters_flagged']}")
    for x in runs:
        print(f"  seed {x['seed']}: " + "; ".join(f"{n}: {','.join(f)}" for n, f in x["flags"].items() if f))


if __name__ == "__main__":
    main()
