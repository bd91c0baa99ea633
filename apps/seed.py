"""A realistic store for the app's tests, screenshots and demo: a real `curate audit`, suite runs, an expert rating session
(raters with tokens, votes cast through `cast_vote`), LLM-judge verdicts, battles and a fine-tune run with curves.

Everything is written through the public store API and `apps.sessions`; questions come from the shipped data."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from apps import auth, sessions
from evalkit.store import Store, schema

__all__ = ["seed_store", "MODELS"]

REPO = Path(__file__).resolve().parents[1]
# Distinctive names, so a test can tell whether one leaked into the blind rating page.
MODELS = ("smollm2-base", "smollm2-helpdesk-lora", "vendor-chat-7b")
_QUALITY = {"smollm2-base": 0.35, "smollm2-helpdesk-lora": 0.6, "vendor-chat-7b": 0.5}


def _questions(n: int) -> list[dict]:
    rows = list(csv.DictReader(open(REPO / "data/enlighten-instruct/TrainData.csv", encoding="utf-8")))
    ko = [json.loads(line) for line in open(REPO / "data/korean-instruct/ko_instruct.jsonl", encoding="utf-8")
          if line.strip()]
    out = []
    for i in range(n):
        if i % 3 == 2 and ko:  # a third of the items in Korean, as in the Friday story
            r = ko[i % len(ko)]
            out.append(dict(q=r.get("question") or r.get("instruction") or "", a=r.get("answer") or r.get("output") or ""))
        else:
            r = rows[(i * 37) % len(rows)]
            out.append(dict(q=r["Q"], a=r["A"]))
    return out


def _answer(ref: str, model: str, rng: np.random.Generator) -> str:
    """A plausible answer of varying quality: the reference, trimmed, padded or cut mid-sentence."""
    words = ref.split()
    q = _QUALITY[model]
    if rng.random() < q:
        return ref
    if rng.random() < 0.5:
        return " ".join(words[: max(3, len(words) // 2)])
    return ref + " Please contact support if the problem persists."


def _assertion_row(spec: dict, answer: str) -> dict:
    from evalkit.suites.assertions import Output, parse_check

    g = parse_check(dict(spec), "seed").run(Output(text=answer))
    return dict(type=spec["type"], passed=g.passed, score=g.score, weight=1.0, reason=g.reason, reason_key=g.message)


def seed_store(store: Store, *, n_items: int = 12, n_raters: int = 4, k: int = 2,
               votes_per_rater: int | dict[str, int] | None = None,
               seed: int = 0, out_dir: str | Path | None = None, judge: bool = True) -> dict:
    """Fill `store`; returns ids and the personal link tokens: {session_id, admin_token, tokens: {rater: token}, ...}.

    votes_per_rater: how many of their items each expert rates (None: all; a dict sets it per rater id)."""
    rng = np.random.default_rng(seed)
    qs = _questions(n_items)
    out: dict = {"models": list(MODELS)}

    # -- people ---------------------------------------------------------------------------------------------------
    admin, out["admin_token"] = auth.create_user(store, "Admin", role="admin", password="admin-pass", user_id="admin")
    out["tokens"] = {}
    rater_ids = []
    for i in range(n_raters):
        u, tok = auth.create_user(store, f"Expert {i + 1}", user_id=f"expert{i + 1}", password=f"pass{i + 1}")
        out["tokens"][u.id] = tok
        rater_ids.append(u.id)

    # -- suite runs: each model answers every case; assertions pass when the answer is the reference ----------------
    suite_runs = {}
    outputs: dict[str, dict[str, str]] = {}
    for m in MODELS:
        run = store.start_run("suite", "helpdesk", model=m, config={"suites": ["suites/helpdesk.yaml"]})
        rows = []
        for i, q in enumerate(qs):
            ans = _answer(q["a"], m, rng)
            outputs.setdefault(f"case-{i:03d}", {})[m] = ans
            ok = ans == q["a"]
            # the real checks' rows, as the suite runner stores them (English reason, reason_key for the app's Korean)
            asserts = [_assertion_row(spec, ans) for spec in (dict(type="equals", value=q["a"]),
                                                              dict(type="not-icontains", value="contact support"))]
            rows.append(dict(run_id=run, suite="helpdesk", case_id=f"case-{i:03d}", model=m,
                             status="pass" if ok else "fail", score=float(ok), output=ans,
                             details=dict(prompt=q["q"], reference=q["a"], assertions=asserts),
                             tags=["korean" if i % 3 == 2 else "english", "critical" if i % 5 == 0 else "routine"],
                             latency_s=float(rng.uniform(0.2, 1.5))))
        store.insert(schema.case_results, rows)
        store.finish_run(run, summary={"helpdesk": {"pass_rate": sum(r["status"] == "pass" for r in rows) / len(rows)}})
        suite_runs[m] = run
    out["suite_runs"] = suite_runs

    # -- expert session: pairwise, k raters per pair, votes through cast_vote ---------------------------------------
    items = [dict(item_id=cid, prompt=qs[i]["q"], outputs=outputs[cid], reference=qs[i]["a"])
             for i, cid in enumerate(sorted(outputs))]
    sid = sessions.create_session(store, "Friday experts", items, models=list(MODELS), mode="pairwise", k=k,
                                  suite="helpdesk")
    sessions.assign(store, sid, rater_ids, seed=seed)
    out["session_id"] = sid
    for r in rater_ids:
        n, limit = 0, votes_per_rater.get(r) if isinstance(votes_per_rater, dict) else votes_per_rater
        while (item := sessions.next_item(store, sid, r)) is not None:
            if limit is not None and n >= limit:
                break
            left, right = item["texts"]
            choice = ("left" if len(left) > len(right) else "right") if rng.random() < 0.7 else \
                str(rng.choice(["tie", "bothbad", "left", "right"]))
            sessions.cast_vote(store, sid, r, item["item_id"], choice,
                               rationale="clearer steps" if rng.random() < 0.3 else None)
            n += 1

    # -- an LLM judge on the same pairs, as `evalkit judge` records it ----------------------------------------------
    if judge:
        auth.create_user(store, "judge:smollm2", kind="llm", user_id="judge:smollm2", with_token=False)
        with store.engine.connect() as conn:
            units = conn.execute(schema.rating_sessions.select()
                                 .where(schema.rating_sessions.c.id == sid)).first().config["units"]
        jr, jb = [], []
        for u in units:
            la, lb = len(u["outputs"][0]), len(u["outputs"][1])
            v = ("A" if la >= lb else "B") if rng.random() < 0.75 else str(rng.choice(["A", "B", "tie"]))
            jr.append(dict(run_id=sid, session_id=sid, item_id=u["unit_id"], kind="pairwise", prompt=u["prompt"],
                           model_a=u["models"][0], model_b=u["models"][1], output_a=u["outputs"][0],
                           output_b=u["outputs"][1], rater="judge:smollm2", rater_kind="llm", verdict=v,
                           order_shown="AB"))
            jb.append(dict(run_id=sid, suite="helpdesk", item_id=u["unit_id"], model_a=u["models"][0],
                           model_b=u["models"][1], winner={"A": "model_a", "B": "model_b"}.get(v, "tie"),
                           judge="judge:smollm2", judge_kind="llm", len_a=la, len_b=lb))
        store.insert(schema.ratings, jr)
        store.insert(schema.battles, jb)

    # -- a fine-tune run with loss curves ------------------------------------------------------------------------------
    ft = store.start_run("finetune", "helpdesk-lora", model="smollm2-helpdesk-lora",
                         config=dict(model="default", method="lora", lora_r=8, lora_alpha=16, lr=2e-4, epochs=2,
                                     batch_size=8, max_length=512, data="demo-out/enlighten-clean.csv",
                                     out="demo-out/lora", params=134_515_008))
    tm = []
    for step in range(0, 200, 5):
        loss = 2.6 * math.exp(-step / 70) + 0.9 + float(rng.normal(0, 0.04))
        tm.append(dict(run_id=ft, step=step, split="train", loss=loss, lr=2e-4 * (1 - step / 200),
                       tokens_per_s=float(rng.uniform(900, 1100)), epoch=step / 100))
        if step % 25 == 0:
            tm.append(dict(run_id=ft, step=step, split="eval", loss=2.5 * math.exp(-step / 90) + 1.05, lr=None,
                           tokens_per_s=None, epoch=step / 100))
    store.insert(schema.train_metrics, tm)
    store.finish_run(ft, summary=dict(train_loss=tm[-1]["loss"], eval_loss=tm[-1]["loss"], params=134_515_008))
    out["finetune_run"] = ft

    # -- a recorded dataset audit (report.json + records.parquet in its out dir) ----------------------------------------
    if out_dir is not None:
        out["audit_run"] = _seed_audit(store, Path(out_dir))
    return out


def _seed_audit(store: Store, out_dir: Path) -> str:
    """A real `curate audit` of the shipped Korean set (70 pairs with five deliberate flaws), recorded in the store."""
    from curate.pipeline import audit

    report = audit(str(REPO / "data/korean-instruct/ko_instruct.jsonl"), out=str(out_dir), store=store)
    return report["run_id"]
