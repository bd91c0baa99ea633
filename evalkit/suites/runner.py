"""Run suites on models: batched model calls through the cache, graded case by case, stored as they finish.

One suite on one model runs in four steps: plan (which cases the store already has, which need only
loglikelihoods, which need generation), score (a chunk of cases per batched model call, then `grade_case`), record
(each chunk into the store at once) and summarise (metrics, call counts, the run marked done).

A killed run resumes: every finished chunk of cases is in `case_results` (and its model outputs in the cache), and a
rerun with the same suite digest and model fingerprint picks the unfinished run up again. A rerun of a finished,
unchanged suite finds every model output in the cache and evaluates nothing.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalkit.suites import records
from evalkit.suites.assertions import Output
from evalkit.suites.format import Case, Suite, load_suite
from evalkit.suites.grading import error_result, grade_case, suite_metrics
from evalkit.suites.heldout import heldout_check
from workbench.errors import GATE_FAILED, ModelError, UserError
from workbench.models.cache import cached_generate, cached_loglikelihood
from workbench.store import Store

__all__ = ["Plan", "deterministic", "merge_repeats", "plan_cases", "run_suite", "run_suites"]


# -- plan ----------------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What is left to do for one suite on one model."""

    todo: list[Case]  # the cases the store doesn't have yet
    choice_only: list[Case]  # scored by loglikelihood alone
    generate: list[list[Case]]  # generated, one group per set of generation parameters, shortest prompt first


def plan_cases(cases: Sequence[Case], done: dict[str, dict]) -> Plan:
    """Split the cases not in `done`: choice-only ones, and the rest grouped by generation parameters and sorted by
    prompt length so each batch pads little."""
    todo = [c for c in cases if c.id not in done]
    groups: dict[str, list[Case]] = {}
    for c in todo:
        if c.needs_generation:
            groups.setdefault(json.dumps(c.gen, sort_keys=True, default=str), []).append(c)
    for group in groups.values():
        group.sort(key=lambda c: len(c.text))
    return Plan(todo, [c for c in todo if not c.needs_generation], list(groups.values()))


def _chunks(items: list, n: int) -> Iterator[list]:
    for i in range(0, len(items), max(1, n)):
        yield items[i : i + n]


def _cap_endpoint_timeout(model, todo: list[Case], timeout_s: float | None) -> None:
    """An endpoint need not wait longer than any remaining case may take (when every case has a limit)."""
    longest = timeout_s or max((c.timeout_s or 0.0 for c in todo), default=0.0)
    if longest and all(c.timeout_s or timeout_s for c in todo) and hasattr(model, "timeout"):
        model.timeout = min(float(model.timeout), float(longest))


# -- score ---------------------------------------------------------------------------------------------------------


class _Judges:
    """Judge models by spec, loaded once; the model under test is reused when it is its own judge."""

    def __init__(self, override, models: dict):
        self.override = override
        self.models = dict(models)

    def spec_for(self, case: Case, check) -> Any:
        return self.override or check.params.get("judge") or case.judge

    def get(self, spec):
        if spec is None:
            return None
        key = json.dumps(spec, sort_keys=True) if isinstance(spec, dict) else str(spec)
        if key not in self.models:
            from workbench.models import load_model

            self.models[key] = load_model(spec)
        return self.models[key]


@dataclass
class _Session:
    """One suite on one model: what every scoring step needs, and the model-call counts so far."""

    suite: Suite
    model: Any
    store: Store
    judges: _Judges
    allow_code: bool = False
    timeout_s: float | None = None
    batch_size: int = 8
    ll_batch_size: int = 32
    calls: dict = field(default_factory=lambda: {"cached": 0, "computed": 0})
    repeats: int = 1  # > 1: each repeat's judge call carries the repeat's seed, so a flaky grader is asked again

    def output(self, case: Case, text: str, latency: float, lls=None, verdicts=None) -> Output:
        """What the case's checks see: the answer, its loglikelihoods, its judge and verdicts computed ahead."""
        check = next((c for c in case.checks if c.needs == "judge"), None)
        spec = self.judges.spec_for(case, check) if check else None
        return Output(
            text=text,
            prompt=case.prompt,
            vars=case.vars,
            latency_s=latency,
            choice_lls=lls,
            judge=self.judges.get(spec) if spec is not None else None,
            judge_spec=str(spec) if spec else None,
            lang=case.lang,
            store=self.store,
            allow_code=self.allow_code,
            case_id=case.id,
            verdicts=verdicts,
        )


def _loglikelihoods(s: _Session, batch: list[Case]) -> dict[str, list]:
    """Per case id, [(loglikelihood, is_greedy)] of `delimiter + choice` after the prompt, for each choice."""
    reqs, owner = [], []
    for c in batch:
        check = c.choice_check
        delim = check.params.get("delimiter", " ")
        for choice in check.params["choices"]:
            reqs.append((c.prompt, f"{delim}{choice}"))
            owner.append(c.id)
    lls = cached_loglikelihood(
        s.model, s.store, reqs, chunk=max(1, len(reqs)), stats=s.calls, batch_size=s.ll_batch_size
    )
    out: dict[str, list] = {}
    for cid, ll in zip(owner, lls):
        out.setdefault(cid, []).append(ll)
    return out


def _score_choices(s: _Session, batch: list[Case]) -> list[dict]:
    """Choice-only cases: one loglikelihood call for the chunk; a case's output is the choice it picked."""
    try:
        lls = _loglikelihoods(s, batch)
        results = []
        for c in batch:
            r = grade_case(c, s.output(c, "", 0.0, lls[c.id]))
            picked = "pred" if c.choice_check.params.get("metric", "acc") == "acc" else "pred_norm"
            if picked in r:
                r["output"] = c.choice_check.params["choices"][r[picked]]
            results.append(r)
        return results
    except ModelError as e:  # an endpoint failed after its retries: record, go on
        return [error_result(c, e.message) for c in batch]
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001
        return [error_result(c, f"{type(e).__name__}: {e}") for c in batch]


def _judge_ahead(s: _Session, batch: list[Case], gens) -> dict[str, dict]:
    """llm-rubric verdicts for a chunk, one batched judge call per (judge, scale, language); a failure here leaves
    the verdict to the check itself, which records the error on its case."""
    from evalkit.judges import rubric_grade_many

    groups: dict[tuple, list] = {}
    for c, g in zip(batch, gens):
        for check in c.checks:
            if check.needs != "judge" or g.error:
                continue
            spec = s.judges.spec_for(c, check)
            # with --repeats each repeat asks the judge afresh (its seed in the call, so not the cached verdict of
            # repeat 0): a grader that is flaky on one answer (an endpoint sampling even at temperature 0) shows up
            seed = int(c.gen.get("seed") or 0) if s.repeats > 1 else None
            scale_ = tuple(check.params.get("scale", (1, 10)))
            key = (json.dumps(spec, sort_keys=True, default=str), scale_, c.lang, seed)
            groups.setdefault(key, []).append((c, g, check, spec))
    out: dict[str, dict] = {}
    for (_, scale, lang, seed), members in groups.items():
        items = [
            dict(question=c.text, answer=g.text, reference=ch.params.get("reference"), rubric=str(ch.params["value"]))
            for c, g, ch, _ in members
        ]
        try:
            judge, params = s.judges.get(members[0][3]), None if seed is None else {"seed": seed}
            verdicts = rubric_grade_many(judge, items, scale=scale, lang=lang, store=s.store, params=params)
        except Exception:  # noqa: BLE001 - graded one by one below, where the error lands on the case
            continue
        for (c, _, ch, _), v in zip(members, verdicts):
            out.setdefault(c.id, {})[str(ch.params["value"])] = v
    return out


def _grade_generations(s: _Session, batch: list[Case], gens, lls: dict, ahead: dict) -> list[dict]:
    """Each generated answer graded; a failed generation or one over the case's time limit is an error."""
    results = []
    for c, g in zip(batch, gens):
        limit_s = s.timeout_s or c.timeout_s
        if g.error:
            results.append(error_result(c, g.error))
        elif limit_s and g.latency_s > limit_s:
            r = error_result(c, f"timed out: {g.latency_s:.1f} s > timeout_s {limit_s:g}")
            r.update(output=g.text, latency_s=round(g.latency_s, 4))
            results.append(r)
        else:
            results.append(grade_case(c, s.output(c, g.text, g.latency_s, lls.get(c.id), ahead.get(c.id))))
    return results


def _score_generations(s: _Session, batch: list[Case]) -> list[dict]:
    """A chunk of cases with the same generation parameters: one generate call (plus loglikelihoods for cases that
    also ask a choice question, and judge verdicts ahead), then each case graded."""
    try:
        gens = cached_generate(
            s.model,
            s.store,
            [c.prompt for c in batch],
            chunk=len(batch),
            stats=s.calls,
            batch_size=s.batch_size,
            errors="return",
            **dict(batch[0].gen),
        )
        lls = _loglikelihoods(s, [c for c in batch if c.choice_check]) if any(c.choice_check for c in batch) else {}
    except UserError as e:
        if not isinstance(e, ModelError):
            raise
        return [error_result(c, e.message) for c in batch]
    except Exception as e:  # noqa: BLE001
        return [error_result(c, f"{type(e).__name__}: {e}") for c in batch]
    ahead = _judge_ahead(s, batch, gens) if any(ch.needs == "judge" for c in batch for ch in c.checks) else {}
    return _grade_generations(s, batch, gens, lls, ahead)


# -- repeats -------------------------------------------------------------------------------------------------------


def deterministic(model, gen: dict) -> bool:
    """Greedy decoding (temperature 0) on a local backend gives the same answer every time, so repeats would only
    repeat it; an OpenAI-compatible endpoint may not be deterministic even then, so it is repeated."""
    return float(gen.get("temperature") or 0.0) == 0.0 and getattr(
        model, "deterministic", not hasattr(model, "base_url")
    )


def merge_repeats(results: Sequence[dict], seeds: Sequence[int]) -> dict:
    """k graded repeats of one case → one result: pass only when every repeat passed (pass^k); its pass rate, pass_all
    (pass^k), pass_any (pass@k) and `flaky` (it both passed and failed); each repeat's seed, status, score, output."""
    k = len(results)
    passes = sum(r["status"] == "pass" for r in results)
    errors = sum(r["status"] == "error" for r in results)
    scores = [r["score"] for r in results if r.get("score") is not None]
    merged = dict(results[0])
    merged.update(
        status="pass" if passes == k else ("error" if errors == k else "fail"),
        score=sum(scores) / len(scores) if scores else None,
        pass_rate=passes / k,
        pass_all=passes == k,
        pass_any=passes > 0,
        flaky=0 < passes < k,
        repeats=[
            {"seed": seed, "status": r["status"], "score": r["score"], "output": r.get("output", "")}
            | ({"error": r["error"]} if r.get("error") else {})
            for seed, r in zip(seeds, results)
        ],
    )
    return merged


def _score_repeated(s: _Session, batch: list[Case], repeats: int) -> list[dict]:
    """A chunk of generated cases `repeats` times, repeat r with seed `seed + r` (the model and the judge called
    again: a flaky grader shows up too), merged per case."""
    if repeats == 1:
        return _score_generations(s, batch)
    if deterministic(s.model, batch[0].gen):  # one sample stands for all k: it carries the same keys
        return _once(batch, _score_generations(s, batch))
    seeds = [[int(c.gen.get("seed") or 0) + r for r in range(repeats)] for c in batch]
    runs = [
        _score_generations(s, [dataclasses.replace(c, gen={**c.gen, "seed": sd[r]}) for c, sd in zip(batch, seeds)])
        for r in range(repeats)
    ]
    return [merge_repeats([run[i] for run in runs], seeds[i]) for i in range(len(batch))]


def _once(batch: list[Case], results: list[dict]) -> list[dict]:
    """Results of cases that are not repeated (deterministic), with the keys a repeated case carries."""
    return [merge_repeats([r], [int(c.gen.get("seed") or 0)]) for c, r in zip(batch, results)]


def _repeat_note(s: _Session, cases: Sequence[Case], repeats: int) -> dict:
    """What --repeats did: how many cases were repeated, and why the others weren't."""
    gen = [c for c in cases if c.needs_generation]
    repeated = sum(not deterministic(s.model, c.gen) for c in gen)
    skipped = []
    if len(gen) > repeated:
        skipped.append(f"{len(gen) - repeated} at temperature 0 on a deterministic backend (same answer every time)")
    if len(cases) > len(gen):
        skipped.append(f"{len(cases) - len(gen)} multiple-choice (scored by loglikelihood, deterministic)")
    return {"k": repeats, "repeated_cases": repeated, "skipped": skipped}


# -- run -----------------------------------------------------------------------------------------------------------


def _progress(total: int, initial: int, label: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, disable=not enabled, leave=False, desc=label[:60], unit="case")


def run_suite(
    suite: Suite,
    model,
    store: Store,
    *,
    batch_size: int = 8,
    ll_batch_size: int = 32,
    progress: bool = False,
    allow_code: bool = False,
    judge=None,
    judges: _Judges | None = None,
    timeout_s: float | None = None,
    stats: dict | None = None,
    limit: int | None = None,
    repeats: int = 1,
) -> dict:
    """One suite on one model → the results.json entry; cases are stored chunk by chunk as they finish. With
    `repeats` > 1 each sampled case runs that many times (seeds recorded) and carries its pass rate."""
    if limit is not None and limit < 1:
        raise UserError(f"limit must be at least 1 case (got {limit})", hint="leave it unset to run every case")
    if repeats < 1:
        raise UserError(f"repeats must be at least 1 (got {repeats})", hint="--repeats 5 runs each case 5 times")
    cases = suite.cases[:limit] if limit else suite.cases
    config = {
        "digest": suite.digest,
        "model": model.name,
        "suite_path": suite.path,
        "suite_version": suite.version,
        "limit": limit,
        "cases": len(cases),
    }
    if repeats > 1:
        config["repeats"] = repeats
    if suite.gate is not None:
        config["gate"] = suite.gate
    run_id, resumed = records.open_run(store, suite.name, model, config)
    done = records.stored_cases(store, run_id)
    plan = plan_cases(cases, done)
    _cap_endpoint_timeout(model, plan.todo, timeout_s)
    judges = judges or _Judges(judge, {model.name: model})
    s = _Session(suite, model, store, judges, allow_code, timeout_s, batch_size, ll_batch_size, repeats=repeats)
    bar = _progress(len(cases), len(cases) - len(plan.todo), f"{suite.name} · {model.name}", progress)
    groups = {c.id: c.group for c in cases if c.group is not None}

    def record(results: list[dict]) -> None:
        for r in results:
            group = groups.get(r["id"])
            if group is not None:
                r["group"] = group
        records.record_cases(store, run_id, suite.name, model.name, results)
        done.update((r["id"], r) for r in results)
        bar.update(len(results))

    for batch in _chunks(plan.choice_only, max(16, ll_batch_size)):
        record(_score_choices(s, batch) if repeats == 1 else _once(batch, _score_choices(s, batch)))
    for group in plan.generate:
        for batch in _chunks(group, batch_size):
            record(_score_repeated(s, batch, repeats))
    bar.close()
    entry = _summarise(s, run_id, [done[c.id] for c in cases], resumed=resumed, evaluated=len(plan.todo), stats=stats)
    if repeats > 1:
        entry["repeats"] = _repeat_note(s, cases, repeats)
    return entry


def _summarise(s: _Session, run_id: str, ordered: list[dict], *, resumed: bool, evaluated: int, stats) -> dict:
    """The suite's metrics and call counts, stored on the run (now done) and returned as its results.json entry."""
    metrics = suite_metrics(ordered)
    run_stats = {
        "cached": s.calls["cached"],
        "computed": s.calls["computed"],
        "resumed": resumed,
        "cases_from_store": len(ordered) - evaluated,
        "cases_evaluated": evaluated,
    }
    if stats is not None:
        for k in ("cached", "computed"):
            stats[k] = stats.get(k, 0) + s.calls[k]
    records.finish_run(s.store, run_id, metrics, run_stats)
    return {
        "suite": s.suite.name,
        "model": s.model.name,
        "run_id": run_id,
        "fingerprint": s.model.fingerprint,
        "suite_version": s.suite.version,
        "metrics": metrics,
        "stats": run_stats,
        "cases": ordered,
    }


# -- entry point ---------------------------------------------------------------------------------------------------


def _preflight(suites: Sequence[Suite], judge, allow_code: bool) -> None:
    """Refuse before any model call: code checks without --allow-code, judge checks without a judge."""
    for s in suites:
        for c in s.cases:
            for check in c.checks:
                if check.needs == "code" and not allow_code:
                    raise UserError(
                        f"{c.where}: case {c.id}: `{check.type}` runs Python code from the suite",
                        hint="rerun with --allow-code if you trust this suite",
                    )
                if check.needs == "judge" and not (judge or check.params.get("judge") or c.judge):
                    raise UserError(
                        f"{c.where}: case {c.id}: llm-rubric needs a judge model",
                        hint="pass --judge SPEC, or set `judge:` in the suite's defaults or the assertion",
                    )


def _gate_heldout(suites: Sequence[Suite], train: str, strict: bool) -> dict:
    """The held-out check; with `strict`, any overlap refuses the run (exit 3)."""
    held = heldout_check(suites, train)
    if held["contaminated"] and strict:
        shown = ", ".join(held["contaminated"][:10])
        raise UserError(
            f"{len(held['contaminated'])} suite case(s) overlap the training data {train}: {shown}"
            + (" ..." if len(held["contaminated"]) > 10 else ""),
            hint="remove them from the suite or the training set (curate audit --test)",
            code=GATE_FAILED,
        )
    return held


def _at_temperature(suite: Suite, temperature: float) -> Suite:
    """The suite with every case sampled at `temperature`."""
    cases = [dataclasses.replace(c, gen={**c.gen, "temperature": float(temperature)}) for c in suite.cases]
    return dataclasses.replace(suite, cases=cases)


def run_suites(
    paths: Sequence,
    models: Sequence,
    *,
    store: Store,
    judge=None,
    allow_code: bool = False,
    train: str | None = None,
    strict: bool = False,
    on_model: Callable | None = None,
    temperature: float | None = None,
    **options,
) -> dict:
    """Every suite on every model → the results.json object `{"runs": [{suite, model, metrics, cases}, ...]}`.

    `paths` are suite files (or loaded Suites); `models` are specs or loaded Models; `options` go to `run_suite` as
    they are (batch_size, ll_batch_size, progress, timeout_s, limit, stats, repeats); `temperature` overrides every
    case's sampling temperature (a different digest, so a run of its own)."""
    from workbench.models import load_model

    suites = [p if isinstance(p, Suite) else load_suite(p) for p in paths]
    if temperature is not None:
        suites = [_at_temperature(s, temperature) for s in suites]
    names = [s.name for s in suites]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UserError(f"two suites are named {sorted(dup)[0]!r}", hint="suite names must be unique in one run")
    _preflight(suites, judge, allow_code)
    result: dict[str, Any] = {"runs": []}
    if train:
        result["heldout"] = _gate_heldout(suites, train, strict)
    loaded: dict[str, Any] = {}
    for spec in models:
        model = spec if hasattr(spec, "generate") else load_model(spec)
        loaded[model.name] = model
        if on_model:
            on_model(model)
        judges = _Judges(judge, loaded)
        for s in suites:
            result["runs"].append(
                run_suite(s, model, store, allow_code=allow_code, judge=judge, judges=judges, **options)
            )
    return result
