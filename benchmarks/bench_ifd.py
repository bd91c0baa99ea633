"""IFD against wana's (issue 22, part 3): the same records, the same embedded model, two implementations.

wana 0.5.1 (MIT, `pip install --no-deps wana`) computes IFD with its transformers adapter one record at a time: the
chat template rendered by the tokenizer, the answer tokenised on its own, transformers' loss over the answer tokens.
Ours (`curate.select.ifd_scores`) renders each record as `finetune train` does and batches the forward passes. On the
first `--records` Enlighten training pairs under the embedded model's chat template, this reports:

- the largest difference when ours scores the tokens wana scores (`answer_end=False`: the closing `<|im_end|>` left
  out), which should be float noise;
- how far ours with its default (the end of turn scored, as `finetune train` learns it) moves from wana: the largest
  and mean difference in IFD and the Spearman rank correlation, since a selection uses the ranking;
- records per second of each, on the same machine in the same run.

    .venv/bin/python benchmarks/bench_ifd.py [--records 60]

Writes benchmarks/results/ifd.json.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
import record  # noqa: E402

from curate.select import ifd_scores  # noqa: E402
from workbench.models import load_hf, parse_spec, resolve_dir  # noqa: E402

TITLE = "IFD: ours against wana's on the same Enlighten pairs and the same embedded model"
TRAIN = REPO / "data" / "enlighten-instruct" / "TrainData.csv"


def wana_ifd(pairs: list[tuple[str, str]]) -> tuple[np.ndarray, float]:
    """wana's IFD per pair (its transformers adapter on the embedded model's directory), and the seconds it took."""
    from wana.adapters.logprob.transformers_cpu import TransformersCPU
    from wana.adapters.scoring.ifd import IFDScorer
    from wana.domain.example import Example, Message, Role

    scorer = IFDScorer(TransformersCPU(resolve_dir(parse_spec("default"))))
    started = time.perf_counter()
    out = []
    for i, (q, a) in enumerate(pairs):
        scores = scorer.score(Example(str(i), (Message(Role.USER, q), Message(Role.ASSISTANT, a))))
        out.append(next(s.value for s in scores if s.name == "ifd"))
    return np.array(out), time.perf_counter() - started


def table_rows(d: dict) -> list[dict]:
    n = d["records"]
    return [
        record.row(
            "same_tokens_max_abs_diff",
            f"largest |IFD ours - IFD wana| over {n} Enlighten pairs, both scoring the answer without its end of turn",
            "",
            d["same_tokens"]["max_abs_diff"],
            None,
            None,
            better=record.LOWER,
        ),
        record.row(
            "default_spearman",
            f"Spearman rank correlation of our default IFD (end of turn scored) with wana's, {n} pairs",
            "",
            d["default"]["spearman"],
            None,
            None,
            better=record.HIGHER,
        ),
        record.row(
            "records_per_s",
            f"IFD records/s, {n} Enlighten pairs, embedded model on the CPU",
            "rec/s",
            d["ours_records_per_s"],
            d["wana_records_per_s"],
            "wana 0.5.1 (transformers adapter, one record at a time)",
            better=record.HIGHER,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=60, help="Enlighten training pairs scored (default 60)")
    args = ap.parse_args(argv)
    with TRAIN.open(encoding="utf-8", newline="") as fh:
        pairs = [(r["Q"], r["A"]) for r in list(csv.DictReader(fh))[: args.records]]
    started = record.begin()
    lm, tok = load_hf("default", device="cpu")
    t = time.perf_counter()
    ours = ifd_scores(pairs, lm, tok, template="chat")["ifd"]
    ours_s = time.perf_counter() - t
    same = ifd_scores(pairs, lm, tok, template="chat", answer_end=False)["ifd"]
    theirs, wana_s = wana_ifd(pairs)
    details = {
        "records": len(pairs),
        "model": "default (SmolLM2-135M-Instruct, dequantised from the Q4_1 GGUF), float32, CPU",
        "template": "chat",
        "same_tokens": {"max_abs_diff": float(np.max(np.abs(same - theirs)))},
        "default": {
            "max_abs_diff": round(float(np.max(np.abs(ours - theirs))), 4),
            "mean_abs_diff": round(float(np.mean(np.abs(ours - theirs))), 4),
            "spearman": round(float(spearmanr(ours, theirs).statistic), 4),
        },
        "ours_records_per_s": round(len(pairs) / ours_s, 2),
        "wana_records_per_s": round(len(pairs) / wana_s, 2),
    }
    record.append(
        REPO / "benchmarks" / "results" / "ifd.json",
        started,
        title=TITLE,
        rows=table_rows(details),
        details=details,
        command=record.command_line(),
    )
    print(details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
