"""A judge run: questions from a suite or a Q/A file, two contestants' answers, both-order verdicts, stored.

A contestant is a model spec with its decoding settings, or `human-reference`: the human-written reference answers
of the suite or dataset, so model answers can be compared with human ones blind.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.judges.judge import JUDGE_PARAMS, PairVerdict, load_prompts, pairwise_judge
from evalkit.judges.record import HUMAN_REFERENCE, record_pair_verdicts, reference_winrates
from evalkit.judges.reliability import reliability_report
from evalkit.verdicts_io import read_records
from workbench import verdicts
from workbench.errors import UserError
from workbench.suitefile import SuiteFile, load_suite

__all__ = ["Contestant", "answers_from_run", "judge_contestants", "judge_pairs", "load_items", "load_pairs"]

_QUESTION_COLS = ("question", "q", "prompt", "instruction", "input")
_ANSWER_COLS = ("reference", "answer", "a", "output", "response")


@dataclass
class Contestant:
    """A model spec and its decoding settings; `name` labels it in verdicts (defaults to spec plus settings)."""

    spec: str
    temperature: float = 0.0
    system: str | None = None
    seed: int = 0
    name: str = ""
    answers: list[str] | None = field(default=None, repr=False)  # given answers (e.g. from a stored run)

    def __post_init__(self):
        if not self.name:
            extra = []
            if self.temperature:
                extra.append(f"t={self.temperature:g}")
            if self.system:
                extra.append("system=" + self.system[:24])
            self.name = self.spec + (f"@{','.join(extra)}" if extra else "")


def _question_text(prompt) -> str:
    if isinstance(prompt, str):
        return prompt
    users = [m.get("content", "") for m in prompt if m.get("role") == "user"]
    return users[-1] if users else str(prompt)


def _suite_reference(case) -> str | None:
    for key in ("reference", "answer", "expected", "A"):
        if isinstance(case.vars.get(key), str) and case.vars[key].strip():
            return case.vars[key]
    for check in getattr(case, "checks", []):
        params = check if isinstance(check, dict) else check.params  # a spec as written, or a parsed check
        for key in ("reference", "value"):
            v = (params or {}).get(key)
            if isinstance(v, str) and len(v) > 20:
                return v
    return None


def load_items(
    *, suite: str | Path | SuiteFile | None = None, data: str | None = None, limit: int | None = None, offset: int = 0
) -> list[dict]:
    """Pairwise items {item_id, question, reference} from a suite's cases (a suite file, or one already loaded) or a
    Q/A file (CSV/JSONL)."""
    if bool(suite) == bool(data):
        raise UserError("give exactly one of --suite or --data")
    _check_window(limit, offset)
    items = _suite_items(suite) if suite else _data_items(data)
    return _window(items, limit, offset, data or getattr(suite, "path", None) or suite)


def _check_window(limit: int | None, offset: int) -> None:
    """`limit` (None: all) and `offset` as counts: a negative one would act as a Python slice from the end."""
    if limit is not None and limit < 1:
        raise UserError(f"limit must be at least 1, got {limit}", hint="leave --limit out to take every item")
    if offset < 0:
        raise UserError(f"offset must be >= 0, got {offset}")


def _window(items: list[dict], limit: int | None, offset: int, source) -> list[dict]:
    """Items `offset` to `offset + limit`; none left is an error naming the source and the offset."""
    if offset and offset >= len(items):
        raise UserError(f"{source}: --offset {offset} skips all of its {len(items)} item(s)")
    items = items[offset:]
    return items[:limit] if limit else items


def _suite_items(suite: str | Path | SuiteFile) -> list[dict]:
    """A suite's cases as items: the question, its reference answer and the suite's system prompt."""
    s = suite if isinstance(suite, SuiteFile) else load_suite(suite)
    return [
        {
            "item_id": case.id,
            "question": _question_text(case.prompt),
            "reference": _suite_reference(case),
            "system": (case.gen or {}).get("system"),
        }
        for case in s.cases
    ]


def _data_items(data: str) -> list[dict]:
    """A Q/A file's rows as items, named file-stem:line; repeated questions once."""
    records = read_records(data)
    cols = {c.lower(): c for c in records[0][1]}
    q = next((cols[c] for c in _QUESTION_COLS if c in cols), None)
    a = next((cols[c] for c in _ANSWER_COLS if c in cols), None)
    if q is None:
        raise UserError(
            f"{data}:1: no question column (looked for {', '.join(_QUESTION_COLS)})",
            hint="name the question column 'question' and the human answer 'answer'",
        )
    items, seen = [], set()
    for line, rec in records:
        text = str(rec.get(q) or "").strip()
        if not text or text in seen:  # exact duplicate questions would make duplicate items
            continue
        seen.add(text)
        items.append(
            {
                "item_id": f"{Path(data).stem}:{line}",
                "question": text,
                "reference": (str(rec.get(a)).strip() or None) if a and rec.get(a) is not None else None,
            }
        )
    return items


def answers_from_run(store, run_id: str, model: str, item_ids: Sequence[str]) -> list[str]:
    """A model's stored outputs (case_results of a suite run) for the given case ids, in order."""
    import sqlalchemy as sa

    from workbench.store import schema

    t = schema.case_results
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.case_id, t.c.output).where(t.c.run_id.like(f"{run_id}%"), t.c.model == model)
        ).all()
    got = {r.case_id: r.output for r in rows}
    missing = [i for i in item_ids if got.get(i) is None]
    if missing:
        raise UserError(
            f"run {run_id} has no output of {model!r} for case(s) {', '.join(missing[:5])}",
            hint="check the run id and model name with `evalkit store runs`",
        )
    return [got[i] for i in item_ids]


def _check_references(contestants: Sequence[Contestant], items: list[dict]) -> None:
    """`human-reference` answers with the items' references: every item needs one."""
    if not any(c.spec == HUMAN_REFERENCE and c.answers is None for c in contestants):
        return
    missing = [it["item_id"] for it in items if not it.get("reference")]
    if missing:
        raise UserError(
            f"{HUMAN_REFERENCE} needs a reference answer, but item(s) {', '.join(missing[:5])} have none",
            hint="give the suite cases a `reference` var, or use a Q/A file with answers",
        )


def _load_models(judge_spec: str, contestants: Sequence[Contestant]) -> dict:
    """Every model the run needs, the judge's included, loaded before any is asked: a bad spec fails before work."""
    from workbench.models import load_model

    specs = [c.spec for c in contestants if c.answers is None and c.spec != HUMAN_REFERENCE] + [judge_spec]
    return {spec: load_model(spec) for spec in dict.fromkeys(specs)}


def _answers(c: Contestant, items: list[dict], models: dict, store, max_new_tokens: int) -> list[str]:
    if c.answers is not None:
        return c.answers
    if c.spec == HUMAN_REFERENCE:
        return [it["reference"] for it in items]
    from workbench.models.cache import cached_generate

    system = c.system
    if system is None:  # the suite's own system prompt, when every case shares one
        found = {it.get("system") for it in items}
        system = found.pop() if len(found) == 1 else None
    gens = cached_generate(
        models[c.spec],
        store,
        [it["question"] for it in items],
        max_new_tokens=max_new_tokens,
        temperature=c.temperature,
        seed=c.seed,
        system=system,
    )
    return [g.text.strip() for g in gens]


def judge_contestants(
    judge_spec: str,
    items: list[dict],
    contestants: Sequence[Contestant],
    *,
    store=None,
    lang: str = "en",
    max_new_tokens: int = 96,
    judge_params: dict | None = None,
    use_reference: bool = True,
    bootstrap: int = 1000,
    seed: int = 0,
    progress: bool = True,
    method: str = "generate",
    repeats: int = 1,
) -> dict:
    """Answer every item with both contestants, judge A vs B in both orders (`repeats` times, for repeat stability),
    record verdicts; returns a summary with the judge's reliability report."""
    if len(contestants) != 2:
        raise UserError(f"pairwise judging needs exactly two contestants, got {len(contestants)}")
    a, b = contestants
    if a.name == b.name:
        raise UserError(f"both contestants are named {a.name!r}", hint="give them different settings or --names")
    if not items:
        raise UserError("no items to judge")
    load_prompts(lang)  # a missing or broken prompts file fails before any model is called
    _check_references(contestants, items)
    models = _load_models(judge_spec, contestants)
    say = (lambda m: print(m, file=sys.stderr, flush=True)) if progress else (lambda m: None)
    say(f"answering {len(items)} question(s) with {a.name} and {b.name} …")
    ans_a = _answers(a, items, models, store, max_new_tokens)
    ans_b = _answers(b, items, models, store, max_new_tokens)
    judge = models[judge_spec]
    blind = HUMAN_REFERENCE in (a.spec, b.spec)  # the reference is a contestant: don't show it to the judge too
    pairs = [
        {
            "item_id": it["item_id"],
            "question": it["question"],
            "answer_a": x,
            "answer_b": y,
            "reference": it.get("reference") if use_reference and not blind else None,
        }
        for it, x, y in zip(items, ans_a, ans_b)
    ]
    params = {**JUDGE_PARAMS, **(judge_params or {})}
    say(f"judging {len(pairs)} pair(s) in both orders with {judge.name} …")
    runs = _judge_repeated(judge, pairs, lang=lang, store=store, params=params, method=method, repeats=repeats)
    judged = runs[0]
    me = next((c.name for c in contestants if c.spec == judge_spec), judge.name)
    summary = {
        "judge": judge.name,
        "model_a": a.name,
        "model_b": b.name,
        "items": len(pairs),
        "lang": lang,
        **_tally(judged),
        "judge_params": params,
        "method": method,
        "verdicts": _verdict_rows(judged),
        "reliability": reliability_report(
            judged, pairs, judge=me, sides=[(a.name, b.name)] * len(pairs), repeats=runs if repeats > 1 else None
        ),
    }
    if blind:
        rows = [{"model_a": a.name, "model_b": b.name, "verdict": v.winner} for v in judged]
        summary["winrate_vs_human_reference"] = reference_winrates(
            rows, bootstrap=bootstrap, seed=seed, reference=a.name if a.spec == HUMAN_REFERENCE else b.name
        )
    if store is not None:
        config = {"model_a": a.name, "model_b": b.name, "lang": lang, "judge_params": params, "method": method}
        config["contestants"] = [vars_of(c) for c in contestants]
        summary["run_id"] = _store_run(
            store, f"{a.name} vs {b.name}", judge, config, judged, pairs, summary, model_a=a.name, model_b=b.name
        )
    summary["pairs"] = [{**p, "winner": v.winner} for p, v in zip(pairs, judged)]
    return summary


def _judge_repeated(judge, pairs: list[dict], *, repeats: int, params: dict, **kw) -> list[list[PairVerdict]]:
    """The pairs judged `repeats` times, each repeat with its own sampling seed (seed, seed+1, …); repeats need a
    judge temperature > 0, or every repeat would be the same (and come from the cache)."""
    if repeats < 1:
        raise UserError(f"repeats must be ≥ 1, got {repeats}")
    if repeats > 1 and not params.get("temperature"):
        raise UserError(
            f"--repeats {repeats} at judge temperature 0 would give the same verdicts every time",
            hint="add --judge-temperature 0.7 (or any value > 0)",
        )
    seed = int(params.get("seed") or 0)
    return [pairwise_judge(judge, pairs, params={**params, "seed": seed + i}, **kw) for i in range(repeats)]


def _tally(judged: Sequence[PairVerdict]) -> dict:
    """How often each verdict came, and position consistency: the share of items readable in both orders whose two
    orders agree (Zheng et al. 2023, §3.3)."""
    counts = Counter(v.winner for v in judged)
    both = [(v.per_order[0]["mapped"], v.per_order[1]["mapped"]) for v in judged]
    readable = [(x, y) for x, y in both if verdicts.UNPARSED not in (x, y)]
    return {
        "counts": {k: counts.get(k, 0) for k in (*verdicts.PAIRWISE, verdicts.UNPARSED)},
        "position_consistency": round(sum(x == y for x, y in readable) / len(readable), 6) if readable else None,
    }


def _verdict_rows(judged: Sequence[PairVerdict]) -> list[dict]:
    return [
        {
            "item_id": v.item_id,
            "winner": v.winner,
            "order_AB": v.per_order[0]["verdict"],
            "order_BA": v.per_order[1]["verdict"],
        }
        for v in judged
    ]


def _store_run(store, name: str, judge, config: dict, judged, items, summary: dict, *, model_a: str, model_b: str):
    """A judge run in the store with its verdicts (ratings and battles); returns the run id."""
    run = store.start_run("judge", name, model=judge.name, fingerprint=judge.fingerprint, config=config)
    record_pair_verdicts(store, judged, items, rater=judge.name, model_a=model_a, model_b=model_b, run_id=run)
    store.finish_run(run, summary={k: v for k, v in summary.items() if k != "verdicts"})
    return run


def vars_of(c: Contestant) -> dict:
    return {"name": c.name, "spec": c.spec, "temperature": c.temperature, "system": c.system, "seed": c.seed}


def load_pairs(path: str, *, limit: int | None = None, offset: int = 0) -> list[dict]:
    """Ready-made pairs {item_id, question, answer_a, answer_b[, reference, model_a, model_b]} from CSV/JSONL."""
    _check_window(limit, offset)
    items = []
    for line, rec in read_records(path):
        for key in ("item_id", "question", "answer_a", "answer_b"):
            if not str(rec.get(key) or "").strip():
                raise UserError(
                    f"{path}:{line}: missing field {key!r}",
                    hint="pairs need item_id, question, answer_a, answer_b (reference optional)",
                )
        items.append(
            {k: rec.get(k) for k in ("item_id", "question", "answer_a", "answer_b", "reference", "model_a", "model_b")}
        )
    return _window(items, limit, offset, path)


def judge_pairs(
    judge_spec: str,
    pairs: list[dict],
    *,
    store=None,
    lang: str = "en",
    judge_params: dict | None = None,
    method: str = "generate",
    use_reference: bool = True,
    name: str | None = None,
    repeats: int = 1,
) -> dict:
    """Judge given answer pairs (e.g. the ones humans rated) in both orders (`repeats` times) and record the
    verdicts; the summary carries the judge's reliability report."""
    from workbench.models import load_model

    if not pairs:
        raise UserError("no pairs to judge")
    load_prompts(lang)
    judge = load_model(judge_spec)
    items = [{**p, "reference": p.get("reference") if use_reference else None} for p in pairs]
    params = {**JUDGE_PARAMS, **(judge_params or {})}
    runs = _judge_repeated(judge, items, lang=lang, store=store, params=params, method=method, repeats=repeats)
    judged = runs[0]
    sides = [(str(p.get("model_a") or "A"), str(p.get("model_b") or "B")) for p in items]
    summary = {
        "judge": judge.name,
        "items": len(items),
        "lang": lang,
        "method": method,
        "judge_params": params,
        **_tally(judged),
        "verdicts": _verdict_rows(judged),
        "reliability": reliability_report(
            judged, items, judge=judge.name, sides=sides, repeats=runs if repeats > 1 else None
        ),
    }
    if store is not None:
        config = {"lang": lang, "method": method, "judge_params": params}
        summary["run_id"] = _store_run(
            store,
            name or f"pairs judged by {judge.name}",
            judge,
            config,
            judged,
            items,
            summary,
            model_a="A",
            model_b="B",
        )
    return summary
