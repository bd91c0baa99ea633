"""Precision of every per-record flag on labelled real data, and recall of the main ones on planted defects.

Precision: benchmarks/precision/labels.jsonl holds, per signal reason, records read and labelled by hand (a defect or
not): every record the rules flag (before and after the fixes of issue 23) and a sample of what they pass. The records
are the real, human-written sets in benchmarks/precision/sample.jsonl plus the shipped Enlighten and Korean sets.
Precision = labelled defects among the records the rule flags with that reason; recall on the labelled set = flagged
defects among labelled defects.

Recall on planted defects: 30 English and 30 Korean clean answers cut mid-sentence (at a word boundary 40-80 % in),
30 chat-model sentences planted into clean answers as a first or last paragraph (boilerplate), 30 HTML remnants; the share each rule catches.

    .venv/bin/python benchmarks/bench_precision.py [--label after] [--code DIR] [--out benchmarks/results/precision.json]

`--code DIR` imports `curate` from DIR instead of this checkout: how the 'before' run measured yesterday's rules
(`git archive HEAD curate workbench | tar -x -C DIR`).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "benchmarks" / "precision"


# Every reason the default signals can give (`curate.signals.DEFAULT_SIGNALS`), less the `definite` ones (an empty
# field is the defect itself): each is measured on the labels it has; one that flags nothing here stays None.
def reasons() -> tuple[str, ...]:
    from curate.signals import DEFAULT_SIGNALS, REGISTRY

    return tuple(r for n in DEFAULT_SIGNALS for r in REGISTRY[n].reasons if r not in REGISTRY[n].definite)


PLANT_POOL = ("llm_self_reference", "knowledge_cutoff", "llm_refusal", "llm_filler", "truncated")
GENERATED = ("llm_self_reference", "knowledge_cutoff", "llm_refusal", "llm_filler")

# Chat-model sentences planted into clean answers (the boilerplate of ShareGPT-style exports), with the reason each is.
PLANTED = [
    ("As an AI language model, I don't have personal opinions, but here is an overview.", "llm_self_reference"),
    ("As an AI, I cannot browse the internet.", "llm_self_reference"),
    ("I'm just an AI, so I can't be sure about this.", "llm_self_reference"),
    ("I am a language model trained by OpenAI.", "llm_self_reference"),
    ("As a large language model, I can only give general advice.", "llm_self_reference"),
    ("I'm sorry, but I cannot help with that request.", "llm_refusal"),
    ("I cannot assist with creating harmful content.", "llm_refusal"),
    ("I'm unable to provide medical advice.", "llm_refusal"),
    ("I must decline to answer that.", "llm_refusal"),
    ("As of my last update in September 2021, this was the case.", "knowledge_cutoff"),
    ("My knowledge cutoff is 2021, so newer versions may differ.", "knowledge_cutoff"),
    ("I don't have access to real-time data, so please check the website.", "knowledge_cutoff"),
    ("Based on my training data, this is the usual answer.", "knowledge_cutoff"),
    ("I hope this helps!", "llm_filler"),
    ("Let me know if you have any other questions.", "llm_filler"),
    ("Feel free to ask if anything is unclear.", "llm_filler"),
    ("AI 언어 모델로서 저는 개인적인 의견이 없습니다.", "llm_self_reference"),
    ("저는 AI이기 때문에 직접 확인할 수 없습니다.", "llm_self_reference"),
    ("인공지능 언어 모델로서 정확한 답을 드리기 어렵습니다.", "llm_self_reference"),
    ("저는 인공지능이라서 감정을 느끼지 않습니다.", "llm_self_reference"),
    ("AI로서 저는 법률 자문을 드릴 수 없습니다.", "llm_self_reference"),
    ("죄송하지만 그 요청은 도와드릴 수 없습니다.", "llm_refusal"),
    ("해당 정보는 제공해 드릴 수 없습니다.", "llm_refusal"),
    ("저는 실시간 정보에 접근할 수 없습니다.", "knowledge_cutoff"),
    ("제 학습 데이터는 2021년까지의 정보만 담고 있습니다.", "knowledge_cutoff"),
    ("제 지식은 2023년 기준입니다.", "knowledge_cutoff"),
    ("도움이 되었기를 바랍니다.", "llm_filler"),
    ("도움이 되셨기를 바랍니다!", "llm_filler"),
    ("좋은 질문입니다!", "llm_filler"),
    ("Certainly! Here is the answer you asked for.", "llm_filler"),
]
TEMPLATE = ["<|im_end|>", "<|eot_id|>", "\n<|im_start|>assistant", "[/INST]", "</s>", "\n### Response:"]
HTML = ["<br>", "</p>", "&nbsp;", "<div>", "&amp;", "<span>", "&#39;", "<b>", "</li>", "<p>"]


def load_records() -> dict[str, dict]:
    """Every record the labels may name, by id: the sample plus the shipped Enlighten and Korean sets."""
    recs = {}
    for line in (HERE / "sample.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        recs[r["id"]] = r
    with open(REPO / "data" / "enlighten-instruct" / "TrainData.csv", newline="", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            recs[f"enlighten:{i}"] = {"id": f"enlighten:{i}", "question": r["Q"], "answer": r["A"]}
    ko = (REPO / "data" / "korean-instruct" / "ko_instruct.jsonl").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(ko, 1):
        r = json.loads(line)
        recs[f"korean_instruct:{i}"] = {"id": f"korean_instruct:{i}", "question": r["question"], "answer": r["answer"]}
    return recs


def flags(recs: dict[str, dict]) -> dict[str, set[str]]:
    """Record ids each reason flags, with every default signal at its default settings; the web-page rules, off for
    question/answer records by default, are turned on (`on_pairs`) so their figure says what turning them on costs."""
    from curate.signals import DEFAULT_SIGNALS, REGISTRY, Record

    units = [REGISTRY[n](**({"on_pairs": True} if _web_rule(REGISTRY[n]) else {})) for n in DEFAULT_SIGNALS]
    out: dict[str, set[str]] = {r: set() for r in reasons()}
    for i, r in recs.items():
        rec = Record(r["question"], r["answer"])
        for u in units:
            reason = u(rec)
            if reason in out:
                out[reason].add(i)
    return out


def _web_rule(cls) -> bool:
    """A rule that scores question/answer records only when turned on (curate.signals.quality.WebTextRule)."""
    import dataclasses

    return any(f.name == "on_pairs" for f in dataclasses.fields(cls))


def off_for_pairs() -> list[str]:
    """Reasons whose rule is off for question/answer records by default."""
    from curate.signals import DEFAULT_SIGNALS, REGISTRY

    return sorted(r for n in DEFAULT_SIGNALS if _web_rule(REGISTRY[n]) for r in REGISTRY[n].reasons)


def precision_table(labels: list[dict], flagged: dict[str, set[str]]) -> dict:
    """Per reason: flagged records in the data, labelled ones among them, precision; recall over labelled defects."""
    out = {}
    for reason in flagged:
        lab = {x["id"]: x["defect"] for x in labels if x["signal"] == reason}
        hit = flagged[reason]
        judged = [lab[i] for i in hit if i in lab]
        defects = [i for i, d in lab.items() if d]
        out[reason] = {
            "flagged": len(hit),
            "flagged_labelled": len(judged),
            "true_flags": sum(judged),
            "precision": round(sum(judged) / len(judged), 4) if judged else None,
            "labelled_defects": len(defects),
            "recall_labelled": round(sum(i in hit for i in defects) / len(defects), 4) if defects else None,
            "labelled_passes": sum(i not in hit for i in lab),
        }
    return out


def _cut(text: str, rng: random.Random) -> str | None:
    """`text` cut at a word boundary 40-80 % in, or None when the cut would end on a finished sentence anyway."""
    words = text.split(" ")
    k = int(len(words) * rng.uniform(0.4, 0.8))
    out = " ".join(words[:k]).rstrip()
    return None if not out or out[-1] in ".!?。다요" else out


def planted(recs: dict[str, dict], labels: list[dict], seed: int = 0) -> dict:
    """Recall on planted defects: cut answers (English, Korean), chat-model boilerplate, HTML remnants."""
    from curate.signals import REGISTRY, Record
    from curate.signals.script import dominant_script

    rng = random.Random(seed)
    # hosts: records labelled clean for the generated-text and truncation reasons, the pool the planted run was
    # designed on (labels of the other reasons, added later, would change the sample and so the figure)
    labels = [x for x in labels if x["signal"] in PLANT_POOL]
    clean = sorted({x["id"] for x in labels if not x["defect"]} - {x["id"] for x in labels if x["defect"]})
    prose = [recs[i] for i in clean if "```" not in recs[i]["answer"] and len(recs[i]["answer"].split()) >= 12]
    en = [r for r in prose if dominant_script(r["answer"]) == "latin"]
    ko = [r for r in prose if dominant_script(r["answer"]) == "hangul"]
    ko += [r for r in recs.values() if r["id"].startswith("chatbot_ko") and len(r["answer"].split()) >= 6]
    trunc, gen, html = REGISTRY["truncated"](), REGISTRY["llm_boilerplate"](), REGISTRY["html_remnant"]()
    out = {}
    for name, pool in (("cut_en", en), ("cut_ko", ko)):
        cuts = []
        for r in rng.sample(pool, len(pool)):
            c = _cut(r["answer"], rng)
            if c is not None:
                cuts.append((r, c))
            if len(cuts) == 30:
                break
        caught = [r["id"] for r, c in cuts if trunc(Record(r["question"], c)) == "truncated"]
        out[name] = {"planted": len(cuts), "caught": len(caught)}
    hosts = rng.sample(en + ko, len(PLANTED))
    caught_any = caught_reason = 0
    missed = []
    for (sentence, reason), r in zip(PLANTED, hosts):
        # its own paragraph, first or last, as chat models write it
        text = f"{sentence}\n\n{r['answer']}" if rng.random() < 0.5 else f"{r['answer']}\n\n{sentence}"
        got = gen(Record(r["question"], text))
        caught_any += got in GENERATED
        caught_reason += got == reason
        if got not in GENERATED:
            missed.append(sentence)
    out["boilerplate"] = {
        "planted": len(PLANTED),
        "caught": caught_any,
        "right_reason": caught_reason,
        "missed": missed,
    }
    hosts = rng.sample(en + ko, 30)
    caught = 0
    for k, r in enumerate(hosts):
        words = r["answer"].split(" ")
        j = rng.randrange(1, len(words))
        caught += html(Record(r["question"], " ".join([*words[:j], HTML[k % len(HTML)], *words[j:]]))) is not None
    out["html"] = {"planted": 30, "caught": caught}
    hosts, tok = rng.sample(en + ko, 30), REGISTRY["template_token"]()
    caught = 0
    for k, r in enumerate(hosts):  # a chat template's end or header token left at the end of the answer, as exports do
        caught += tok(Record(r["question"], r["answer"] + TEMPLATE[k % len(TEMPLATE)])) is not None
    out["template_token"] = {"planted": 30, "caught": caught}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--label", default="after", help="what this run measures, e.g. before / after")
    ap.add_argument("--code", help="import curate from this folder (yesterday's rules), not this checkout")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "precision.json"))
    args = ap.parse_args()
    sys.path.insert(0, args.code or str(REPO))
    import curate.signals  # noqa: F401  (first, so --code's rules are the ones measured)

    sys.path.insert(1, str(Path(__file__).resolve().parent))
    import record

    started = record.begin()
    recs = load_records()
    labels = [json.loads(x) for x in (HERE / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    flagged = flags(recs)
    table = precision_table(labels, flagged)
    plant = planted(recs, labels)
    rows = [
        record.row(
            f"{r}.precision",
            f"{r}: precision on labelled real data ({t['flagged']} flagged)",
            "share",
            t["precision"],
            better=record.HIGHER,
        )
        for r, t in table.items()
    ] + [
        record.row(
            f"planted.{k}",
            f"recall on planted defects: {k} ({v['caught']} of {v['planted']})",
            "share",
            round(v["caught"] / v["planted"], 4),
            better=record.HIGHER,
        )
        for k, v in plant.items()
    ]
    details = {
        "label": args.label,
        "records": len(recs),
        "sources": dict(Counter(i.split(":")[0] for i in recs)),
        "labels": len(labels),
        "per_reason": table,
        "off_for_pairs": off_for_pairs(),
        "planted": plant,
        "flagged_ids": {r: sorted(ids) for r, ids in flagged.items()},
    }
    title = "Generated-text and truncation flags: precision on labelled real data, recall on planted defects"
    record.append(args.out, started, title=title, rows=rows, details=details, command=record.command_line())
    for r, t in table.items():
        print(f"{r:20} flagged {t['flagged']:4}  precision {t['precision']}  labelled-recall {t['recall_labelled']}")
    for k, v in plant.items():
        print(f"planted {k:12} {v['caught']}/{v['planted']}")


if __name__ == "__main__":
    main()
