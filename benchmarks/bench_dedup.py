"""Near-duplicate stage: curate.dedup.near_duplicates vs datasketch (MinHash + MinHashLSH) and rensa (RMinHash +
RMinHashLSH) on the same documents and settings, in one process.

Each system runs the whole stage, texts in, clusters out: the same normalisation and word 3-gram shingles, MinHash
with 128 permutations, LSH at threshold 0.7, every query's candidates joined by union-find. The peers are used the
way their docs show, on their fast paths (`MinHash.bulk` + insertion session for datasketch,
`RMinHash.from_token_sets` + `insert_many` + `query_all` for rensa); "datasketch-update" is datasketch as its README
shows it (one `MinHash` per document, `update` per shingle) and their LSH
candidates are taken as found, which is how they are used; curate verifies every candidate by true Jaccard.

Labelled set: base documents of 30-120 words (instruction answers) drawn from a Zipf vocabulary, a quarter of them copied with word edits at
several rates. Copies at 0 (exact), one word, 2 % and 4 % edits are near-duplicates of their base (positives); copies at
15 % and 30 % edits are labelled distinct (hard negatives). Scores: pair-counting precision/recall/F1 of the predicted
clusters against the true ones, overall and per edit rate (recall of (base, copy) pairs).

Short records (issue 24): the labelled set in benchmarks/dedup_short/ (1,512 real records of 8-30 words, English and
Korean, one-word / one-particle / one-character edits, 457 hard same-topic distinct pairs; its README). Recall =
labelled (base, edit) pairs put in one cluster; false-merge rate = labelled distinct pairs put in one cluster, over
all labelled distinct pairs. Systems: curate (its short path on), curate's word path alone (`short_words=0`, the
old behaviour), datasketch on word 3-shingles at 0.7 (the same input and settings as the long run) and datasketch on
the char 4-shingles curate's short path uses, at its candidate threshold 0.5, candidates taken as found (no edit
confirmation). Throughput on short records: `--short-docs` generated records of 8-24 words (the Zipf vocabulary
above, a quarter copied with a one-word edit or a one-character typo), records/s and pair F1.

    .venv/bin/python benchmarks/bench_dedup.py [--docs 20000] [--rounds 3] [--memory 1000000] [--short-docs 20000]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import record  # noqa: E402  (this folder is on sys.path when a benchmark runs)
from bench_audit import make_vocab  # noqa: E402

from curate.dedup import NEAR, near_duplicates, normalize  # noqa: E402

POSITIVE_RATES = {"exact": 0.0, "one_word": None, "2%": 0.02, "4%": 0.04}
NEGATIVE_RATES = {"15%": 0.15, "30%": 0.30}
SHINGLE, NUM_PERM, THRESHOLD, SEED = NEAR.shingle, NEAR.num_perm, NEAR.threshold, NEAR.seed  # curate's defaults


def edit(words, rate, rng, vocab):
    """Word substitutions (80 %), insertions (10 %) and deletions (10 %) at `rate` of the words (None: one word)."""
    w = list(words)
    k = 1 if rate is None else int(round(rate * len(w)))
    for _ in range(k):
        op = rng.random()
        pos = int(rng.integers(0, len(w)))
        if op < 0.8:
            w[pos] = vocab[int(rng.integers(0, len(vocab)))] + "x"
        elif op < 0.9:
            w.insert(pos, vocab[int(rng.integers(0, len(vocab)))] + "x")
        elif len(w) > 5:
            del w[pos]
    return w


def labelled_set(n_docs: int, seed: int = 0):
    """Texts, true cluster label per text (-1 = unique), and the edit kind of each copy ("" for a base)."""
    rng = np.random.default_rng(seed)
    vocab = make_vocab(rng, 30_000, min_len=2)
    zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    zipf /= zipf.sum()
    kinds = list(POSITIVE_RATES) + list(NEGATIVE_RATES)
    n_base = int(n_docs / (1 + 0.25 * 1.5))  # 25 % of bases get on average 1.5 copies
    texts, label, kind, base_of = [], [], [], []
    for b in range(n_base):
        words = [vocab[i] for i in rng.choice(len(vocab), size=int(rng.integers(30, 121)), p=zipf)]
        texts.append(" ".join(words))
        label.append(b)
        kind.append("")
        base_of.append(b)
        if rng.random() < 0.25:
            for _ in range(int(rng.integers(1, 3))):
                kd = kinds[int(rng.integers(0, len(kinds)))]
                rate = POSITIVE_RATES.get(kd, NEGATIVE_RATES.get(kd))
                w = words if kd == "exact" else edit(words, rate, rng, vocab)
                texts.append(" ".join(w))
                # negatives get their own label: distinct from their base by construction
                label.append(b if kd in POSITIVE_RATES else n_base + len(texts))
                kind.append(kd)
                base_of.append(b)
    order = rng.permutation(len(texts))
    return ([texts[i] for i in order], np.array(label)[order], [kind[i] for i in order], np.array(base_of)[order])


def shingle_strings(text: str) -> list[str]:
    w = normalize(text).split()
    if len(w) < SHINGLE:
        return [" ".join(w)] if w else []
    return [" ".join(w[i : i + SHINGLE]) for i in range(len(w) - SHINGLE + 1)]


def union_find_labels(n, pairs):
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not pairs:
        return np.arange(n)
    a = np.array(pairs, dtype=np.int64)
    g = coo_matrix((np.ones(len(a), np.int8), (a[:, 0], a[:, 1])), shape=(n, n))
    return connected_components(g, directed=False)[1]


def run_curate(texts):
    r = near_duplicates(texts, shingle=SHINGLE, num_perm=NUM_PERM, threshold=THRESHOLD, seed=SEED)
    lab = np.arange(len(texts))
    for cid, members in enumerate(r.clusters):
        lab[members] = len(texts) + cid
    return lab, r.config


def run_datasketch(texts):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    # MinHash.bulk reuses one permutation state for all documents (datasketch's documented fast path)
    mhs = MinHash.bulk([[s.encode("utf-8") for s in shingle_strings(t)] for t in texts], num_perm=NUM_PERM, seed=SEED)
    with lsh.insertion_session() as session:
        for i, m in enumerate(mhs):
            session.insert(i, m)
    pairs = [(i, j) for i, m in enumerate(mhs) for j in lsh.query(m) if j != i]
    return union_find_labels(len(texts), pairs), {"b": lsh.b, "r": lsh.r}


def run_datasketch_update(texts):
    """datasketch as its README shows it: one MinHash per document, `update` per shingle, `insert` and `query`."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    mhs = []
    for i, t in enumerate(texts):
        m = MinHash(num_perm=NUM_PERM, seed=SEED)
        for s in shingle_strings(t):
            m.update(s.encode("utf-8"))
        lsh.insert(i, m)
        mhs.append(m)
    pairs = [(i, j) for i, m in enumerate(mhs) for j in lsh.query(m) if j != i]
    return union_find_labels(len(texts), pairs), {"b": lsh.b, "r": lsh.r}


def run_rensa(texts):
    import rensa

    bands = NUM_PERM // 4
    mhs = rensa.RMinHash.from_token_sets([shingle_strings(t) for t in texts], NUM_PERM, SEED)
    lsh = rensa.RMinHashLSH(THRESHOLD, NUM_PERM, bands)
    lsh.insert_many(mhs)
    cands = lsh.query_all(mhs)
    pairs = [(i, j) for i, c in enumerate(cands) for j in c if j != i]
    return union_find_labels(len(texts), pairs), {"bands": bands, "rows": NUM_PERM // bands}


# -- short records -----------------------------------------------------------------------------------------------------
SHORT_DIR = REPO / "benchmarks/dedup_short"


def short_labelled() -> tuple[list[dict], list[dict]]:
    """The labelled short set: records (id, group, kind, lang, text) and the labelled distinct pairs (a, b)."""
    records = [json.loads(line) for line in open(SHORT_DIR / "records.jsonl", encoding="utf-8")]
    distinct = [json.loads(line) for line in open(SHORT_DIR / "distinct_pairs.jsonl", encoding="utf-8")]
    return records, distinct


def run_curate_words(texts):
    """curate's word path alone: the near-duplicate stage before issue 24."""
    r = near_duplicates(texts, shingle=SHINGLE, num_perm=NUM_PERM, threshold=THRESHOLD, seed=SEED, short_words=0)
    lab = np.arange(len(texts))
    for cid, members in enumerate(r.clusters):
        lab[members] = len(texts) + cid
    return lab, r.config


def char_grams(text: str, n: int = NEAR.char_shingle) -> list[str]:
    t = " ".join(normalize(text).split())
    return [t[i : i + n] for i in range(len(t) - n + 1)] if len(t) >= n else ([t] if t else [])


def run_datasketch_chars(texts):
    """datasketch on curate's short-path input: char n-gram MinHash, LSH at the candidate threshold, no confirmation."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=NEAR.char_threshold, num_perm=NUM_PERM)
    mhs = MinHash.bulk([[g.encode("utf-8") for g in char_grams(t)] for t in texts], num_perm=NUM_PERM, seed=SEED)
    with lsh.insertion_session() as session:
        for i, m in enumerate(mhs):
            session.insert(i, m)
    pairs = [(i, j) for i, m in enumerate(mhs) for j in lsh.query(m) if j != i]
    return union_find_labels(len(texts), pairs), {"b": lsh.b, "r": lsh.r, "char_shingle": NEAR.char_shingle}


def short_scores(records: list[dict], distinct: list[dict], lab: np.ndarray) -> dict:
    """Recall of the labelled edits (overall, per language and kind), the false-merge rate over the labelled distinct
    pairs, and pair precision (co-clustered pairs from one base over all co-clustered pairs)."""
    base = {r["group"]: r["id"] for r in records if r["kind"] == "base"}
    edits = [(base[r["group"]], r["id"], f"{r['lang']}:{r['kind']}") for r in records if r["kind"] != "base"]
    hit = {k: [] for k in sorted({e[2] for e in edits})}
    for a, b, k in edits:
        hit[k].append(bool(lab[a] == lab[b]))
    merged = [bool(lab[p["a"]] == lab[p["b"]]) for p in distinct]
    group = np.array([r["group"] for r in records])
    return {
        "recall": round(float(np.mean([h for v in hit.values() for h in v])), 4),
        "recall_en": round(float(np.mean([h for k, v in hit.items() if k.startswith("en") for h in v])), 4),
        "recall_ko": round(float(np.mean([h for k, v in hit.items() if k.startswith("ko") for h in v])), 4),
        "recall_by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in hit.items()},
        "false_merge_rate": round(float(np.mean(merged)), 4),
        "false_merges": int(sum(merged)),
        "distinct_pairs": len(merged),
        "pair_precision": pair_scores(group, lab)["precision"],
    }


def short_synthetic(n_docs: int, seed: int = 1):
    """Generated short records (8-24 Zipf words), a quarter copied once or twice with a one-word substitution or a
    one-character typo: texts and true labels."""
    rng = np.random.default_rng(seed)
    vocab = make_vocab(rng, 30_000, min_len=2)
    zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    zipf /= zipf.sum()
    texts, label = [], []
    b = 0
    while len(texts) < n_docs:
        words = [vocab[i] for i in rng.choice(len(vocab), size=int(rng.integers(8, 25)), p=zipf)]
        texts.append(" ".join(words))
        label.append(b)
        for _ in range(int(rng.integers(1, 3)) if rng.random() < 0.25 else 0):
            w = list(words)
            k = int(rng.integers(0, len(w)))
            if rng.random() < 0.5:
                w[k] = vocab[int(rng.integers(0, len(vocab)))] + "x"
            else:
                c = int(rng.integers(0, len(w[k])))
                w[k] = w[k][:c] + "q" + w[k][c + 1 :]
            texts.append(" ".join(w))
            label.append(b)
        b += 1
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.array(label)[order]


def short_results(rounds: int, n_synth: int) -> dict:
    """The short-record figures: the labelled set (recall, false merges, records/s) and the generated set (records/s,
    pair F1), every system on the same input, rounds interleaved."""
    import datasketch

    records, distinct = short_labelled()
    texts = [r["text"] for r in records]
    systems = [
        ("curate", run_curate, "-"),
        ("curate-words", run_curate_words, "-"),
        ("datasketch", run_datasketch, datasketch.__version__),
        ("datasketch-chars", run_datasketch_chars, datasketch.__version__),
    ]
    out: dict = {"labelled": {"records": len(texts), "systems": {}}, "generated": {"systems": {}}}
    walls, _, labels = interleaved(systems, texts, rounds)
    for name, _, ver in systems:
        lab, cfg = labels[name]
        wall = min(walls[name])
        out["labelled"]["systems"][name] = {
            "version": ver,
            "wall_s": wall,
            "docs_per_s": round(len(texts) / wall, 1),
            "lsh": cfg,
            **short_scores(records, distinct, lab),
        }
    if n_synth:
        gtexts, glab = short_synthetic(n_synth)
        out["generated"]["records"] = len(gtexts)
        walls, _, labels = interleaved(systems[:3], gtexts, rounds)
        for name, _, ver in systems[:3]:
            wall = min(walls[name])
            out["generated"]["systems"][name] = {
                "version": ver,
                "wall_s": wall,
                "wall_s_rounds": walls[name],
                "docs_per_s": round(len(gtexts) / wall, 1),
                **pair_scores(glab, labels[name][0]),
            }
    return out


def short_rows(sh: dict) -> list[dict]:
    """Table rows of the short-record figures."""
    L, G = sh["labelled"], sh["generated"]
    S = L["systems"]
    ds = PEERS["datasketch"].format(v=S["datasketch"]["version"])
    rows = [
        record.row(
            "short_recall_vs_datasketch",
            f"short near-duplicates (8-30 words, English + Korean, {L['records']:,} labelled records), recall",
            "",
            S["curate"]["recall"],
            S["datasketch"]["recall"],
            ds + ", word 3-shingles",
            better=record.HIGHER,
        ),
        record.row(
            "short_kept_apart_vs_datasketch_chars",
            "short near-duplicates, labelled distinct pairs kept apart (1 - false-merge rate)",
            "",
            round(1 - S["curate"]["false_merge_rate"], 4),
            round(1 - S["datasketch-chars"]["false_merge_rate"], 4),
            ds + f", char {NEAR.char_shingle}-shingles, no edit check",
            better=record.HIGHER,
        ),
    ]
    if G["systems"]:
        g = G["systems"]
        rows.append(
            record.row(
                "short_docs_per_s_vs_datasketch",
                f"short near-duplicates, {G['records']:,} generated 8-24-word records, records/s",
                "records/s",
                g["curate"]["docs_per_s"],
                g["datasketch"]["docs_per_s"],
                ds + ", word 3-shingles",
                better=record.HIGHER,
            )
        )
        rows.append(
            record.row(
                "short_f1_vs_datasketch",
                f"short near-duplicates, {G['records']:,} generated records (one-word / one-character edits), pair F1",
                "",
                g["curate"]["f1"],
                g["datasketch"]["f1"],
                ds + ", word 3-shingles",
                better=record.HIGHER,
            )
        )
    return rows


def pair_scores(true_lab, pred_lab):
    """Pair-counting precision/recall/F1: a pair is positive when both records share a cluster."""

    def pairs(lab):
        out = set()
        _, inv = np.unique(lab, return_inverse=True)
        order = np.argsort(inv, kind="stable")
        cuts = np.flatnonzero(np.diff(inv[order])) + 1
        for g in np.split(order, cuts):
            if len(g) > 1:
                g = np.sort(g)
                out.update((int(g[i]), int(g[j])) for i in range(len(g)) for j in range(i + 1, len(g)))
        return out

    t, p = pairs(true_lab), pairs(pred_lab)
    tp = len(t & p)
    prec = tp / len(p) if p else 1.0
    rec = tp / len(t) if t else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {
        "precision": round(prec, 4),
        "recall": round(rec, 4),
        "f1": round(f1, 4),
        "true_pairs": len(t),
        "predicted_pairs": len(p),
    }


def per_kind(texts, kinds, base_of, pred_lab):
    """Share of copies of each kind put in their base's cluster (recall for positives, false merges for negatives)."""
    base_idx = {}
    for i, k in enumerate(kinds):
        if k == "":
            base_idx[int(base_of[i])] = i
    out = {}
    for kd in list(POSITIVE_RATES) + list(NEGATIVE_RATES):
        idx = [i for i, k in enumerate(kinds) if k == kd]
        hit = sum(pred_lab[i] == pred_lab[base_idx[int(base_of[i])]] for i in idx)
        out[kd] = round(float(hit) / len(idx), 4) if idx else None
    return out


def timed(fn, texts):
    """(wall seconds, CPU seconds of this process incl. all its threads, result) of one run."""
    w0, c0 = time.perf_counter(), time.process_time()
    res = fn(texts)
    return time.perf_counter() - w0, time.process_time() - c0, res


def memory_probe(n: int) -> dict:
    """Peak RSS of a fresh process running near_duplicates on n short records (15-40 words, 5 % near-copies)."""
    code = f"""
import resource, time, numpy as np, sys
sys.path.insert(0, {str(REPO)!r})
from curate.dedup import near_duplicates
rng = np.random.default_rng(1)
vocab = np.array(['w%d' % i for i in range(50000)])
n = {n}
lens = rng.integers(15, 41, size=n)
texts = []
for i in range(n):
    if i and rng.random() < 0.05:
        w = texts[int(rng.integers(0, i))].split(); w[int(rng.integers(0, len(w)))] = 'zz'; texts.append(' '.join(w))
    else:
        texts.append(' '.join(vocab[rng.integers(0, 50000, size=lens[i])]))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
r = near_duplicates(texts)
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(base, peak, dt, len(r.clusters), r.duplicate_records)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    base_kb, peak_kb, dt, ncl, ndup = int(out[0]), int(out[1]), float(out[2]), int(out[3]), int(out[4])
    return {
        "records": n,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "rss_before_mb": round(base_kb / 1024, 1),
        "seconds": round(dt, 2),
        "docs_per_s": round(n / dt),
        "clusters": ncl,
        "duplicate_records": ndup,
    }


def interleaved(systems: list, texts: list[str], rounds: int) -> tuple[dict, dict, dict]:
    """Wall and CPU seconds of every round per system, and each system's result. Rounds are interleaved (every
    system once, then again): the 2-core machine is shared, so a slow moment hits one round, not one system."""
    walls: dict = {name: [] for name, _, _ in systems}
    cpus: dict = {name: [] for name, _, _ in systems}
    labels: dict = {}
    for _ in range(rounds):
        for name, fn, _ in systems:
            wall, cpu, labels[name] = timed(fn, texts)
            walls[name].append(round(wall, 3))
            cpus[name].append(round(cpu, 3))
    return walls, cpus, labels


TITLE = "Near-duplicate stage: curate vs datasketch and rensa"
PEERS = {"datasketch": "datasketch {v}, bulk path", "datasketch-update": "datasketch {v}, as its README shows it",
         "rensa": "rensa {v}"}  # fmt: skip


def table_rows(d: dict) -> list[dict]:
    """The table rows of one run's figures: wall and CPU seconds against each peer, and F1 against datasketch."""
    S, n, out = d["systems"], d["docs"], []
    cur = S["curate"]
    for peer in [p for p in PEERS if p in S]:
        p, name = S[peer], PEERS[peer].format(v=S[peer]["version"])
        for kind, ratio_key in (("wall", "speedup_vs_"), ("cpu", "cpu_speedup_vs_")):
            out.append(
                record.row(
                    f"{kind}_vs_{peer}",
                    f"near-duplicate stage, {n:,} labelled docs, {kind.replace('cpu', 'CPU')} seconds",
                    "s",
                    cur[f"{kind}_s"],
                    p[f"{kind}_s"],
                    name,
                    ratio=d.get(ratio_key + peer),
                    ours_rounds=cur.get(f"{kind}_s_rounds"),
                    peer_rounds=p.get(f"{kind}_s_rounds"),
                )
            )
    if "datasketch" in S:
        out.append(
            record.row(
                "f1_vs_datasketch",
                f"near-duplicate clusters, {n:,} labelled docs, pair F1",
                "",
                cur["f1"],
                S["datasketch"]["f1"],
                PEERS["datasketch"].format(v=S["datasketch"]["version"]),
                better=record.HIGHER,
            )
        )
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--memory", type=int, default=1_000_000, help="records for the peak-memory probe (0: skip)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--no-datasketch-update",
        dest="datasketch_update",
        action="store_false",
        help="skip datasketch's per-document update loop (its README usage; slow)",
    )
    ap.add_argument("--short-docs", type=int, default=20_000, help="generated short records for throughput (0: skip)")
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/dedup.json"))
    args = ap.parse_args(argv)
    if args.rounds < 1 or args.docs < 10 or args.short_docs < 0:
        ap.error("--rounds must be >= 1, --docs >= 10 and --short-docs >= 0")

    started = record.begin()
    texts, true_lab, kinds, base_of = labelled_set(args.docs, seed=SEED)
    n = len(texts)
    results = {
        "python": platform.python_version(),
        "docs": n,
        "settings": {"shingle": SHINGLE, "num_perm": NUM_PERM, "threshold": THRESHOLD, "seed": SEED},
        "systems": {},
    }
    from importlib.metadata import version

    import datasketch
    import rensa  # noqa: F401

    systems = [
        ("curate", run_curate, "-"),
        ("rensa", run_rensa, version("rensa")),
        ("datasketch", run_datasketch, datasketch.__version__),
    ]
    if args.datasketch_update:
        systems.append(("datasketch-update", run_datasketch_update, datasketch.__version__))
    walls, cpus, labels = interleaved(systems, texts, args.rounds)
    for name, _, ver in systems:
        lab, cfg = labels[name]
        wall, cpu = min(walls[name]), min(cpus[name])
        results["systems"][name] = {
            "version": ver,
            "wall_s": wall,
            "cpu_s": cpu,
            "wall_s_rounds": walls[name],
            "cpu_s_rounds": cpus[name],
            "docs_per_s": round(n / wall, 1),
            "docs_per_cpu_s": round(n / cpu, 1),
            "lsh": cfg,
            **pair_scores(true_lab, lab),
            "same_cluster_as_base": per_kind(texts, kinds, base_of, lab),
        }
    S = results["systems"]
    for peer in [p for p in ("datasketch", "datasketch-update", "rensa") if p in S]:
        results[f"speedup_vs_{peer}"] = round(S["curate"]["docs_per_s"] / S[peer]["docs_per_s"], 2)
        results[f"cpu_speedup_vs_{peer}"] = round(S["curate"]["docs_per_cpu_s"] / S[peer]["docs_per_cpu_s"], 2)
    if args.memory:
        results["memory"] = memory_probe(args.memory)
    results["short"] = short_results(args.rounds, args.short_docs)

    _print_results(results, args)
    out = record.append(
        args.out,
        started,
        title=TITLE,
        rows=table_rows(results) + short_rows(results["short"]),
        details=results,
        rounds=args.rounds,
        command=record.command_line(),
    )
    print(f"wrote {out}")


def _print_results(results: dict, args) -> None:
    S, n = results["systems"], results["docs"]
    print(
        f"near-duplicate stage, {n} labelled docs, word {SHINGLE}-shingles, {NUM_PERM} perms, threshold {THRESHOLD}"
        f" (best of {args.rounds} interleaved rounds)"
    )
    print(
        f"{'system':<17} {'docs/s':>8} {'docs/cpu-s':>10} {'x wall':>7} {'x cpu':>6} {'prec':>7} {'recall':>7} "
        f"{'F1':>7}  found with base: " + " ".join(POSITIVE_RATES) + " | " + " ".join(NEGATIVE_RATES)
    )
    for name, r in S.items():
        kinds_s = " ".join(f"{r['same_cluster_as_base'][k]:.2f}" for k in list(POSITIVE_RATES) + list(NEGATIVE_RATES))
        print(
            f"{name:<17} {r['docs_per_s']:>8.0f} {r['docs_per_cpu_s']:>10.0f} "
            f"{S['curate']['docs_per_s'] / r['docs_per_s']:>7.2f} {S['curate']['docs_per_cpu_s'] / r['docs_per_cpu_s']:>6.2f} "
            f"{r['precision']:>7.4f} {r['recall']:>7.4f} {r['f1']:>7.4f}  {kinds_s}"
        )
    for name, r in S.items():
        print(f"{name:<17} wall s per round: {', '.join(map(str, r['wall_s_rounds']))}")
    for peer in [p for p in ("datasketch", "datasketch-update", "rensa") if p in S]:
        print(f"curate vs {peer}: {results['speedup_vs_' + peer]}x wall, {results['cpu_speedup_vs_' + peer]}x CPU")
    if args.memory:
        m = results["memory"]
        print(
            f"memory: {m['records']} short records, peak RSS {m['peak_rss_mb']} MB "
            f"(texts alone {m['rss_before_mb']} MB), {m['seconds']} s, {m['clusters']} clusters"
        )
    sh = results["short"]
    print(f"short records, labelled set ({sh['labelled']['records']} records, benchmarks/dedup_short):")
    for name, r in sh["labelled"]["systems"].items():
        print(
            f"  {name:<17} recall {r['recall']:.4f} (en {r['recall_en']:.4f}, ko {r['recall_ko']:.4f})  "
            f"false merges {r['false_merges']}/{r['distinct_pairs']} ({r['false_merge_rate']:.2%})  "
            f"pair precision {r['pair_precision']:.4f}  {r['docs_per_s']:.0f} records/s  {r['recall_by_kind']}"
        )
    if sh["generated"]["systems"]:
        print(f"short records, generated ({sh['generated']['records']} records of 8-24 words):")
        for name, r in sh["generated"]["systems"].items():
            print(
                f"  {name:<17} {r['docs_per_s']:>8.0f} records/s  precision {r['precision']:.4f} "
                f"recall {r['recall']:.4f} F1 {r['f1']:.4f}"
            )


if __name__ == "__main__":
    main()
