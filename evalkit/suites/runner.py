"""Run suites on models: batched model calls through the cache, graded case by case, stored as they finish.

A killed run resumes: every finished chunk of cases is in `case_results` (and its model outputs in the cache), and a
rerun with the same suite digest and model fingerprint picks the unfinished run up again. A rerun of a finished,
unchanged suite finds every model output in the cache and evaluates nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from evalkit.suites.assertions import Output
from evalkit.suites.format import Case, Suite, load_suite
from workbench.errors import GATE_FAILED, ModelError, UserError
from workbench.store import Store, schema

__all__ = ["run_suites", "run_suite", "grade_case", "suite_metrics", "heldout_check"]


# -- grading -------------------------------------------------------------------------------------------------------


def grade_case(case: Case, out: Output) -> dict:
    """Every assertion of a case on one output → the case result (status pass|fail|error, weighted score)."""
    rows, grades, error = [], [], None
    for check in case.checks:
        try:
            g = check.run(out)
        except ModelError as e:  # a judge endpoint failed after its retries: the case is an error, not a fail
            error = f"{check.type}: {e.message}"
            rows.append({"type": check.type, "passed": None, "score": None, "weight": check.weight, "reason": error})
            continue
        except UserError:
            raise
        except Exception as e:  # noqa: BLE001 - custom code failed: the case is an error
            error = f"{check.type}: {type(e).__name__}: {e}"
            rows.append({"type": check.type, "passed": None, "score": None, "weight": check.weight, "reason": error})
            continue
        grades.append((check, g))
        rows.append(
            {
                "type": check.type,
                "passed": g.passed,
                "score": round(g.score, 6),
                "weight": check.weight,
                "reason": g.reason,
                **({"reason_key": g.message} if g.message else {}),
                **({"data": g.data} if g.data and "acc" not in g.data else {}),
            }
        )
    result: dict[str, Any] = {
        "id": case.id,
        "tags": case.tags,
        "output": out.text,
        "latency_s": round(out.latency_s, 4),
        "assertions": rows,
    }
    for _, g in grades:  # choice data (acc, acc_norm, loglikelihoods) at the top of the case
        result.update(g.data if "acc" in g.data else {})
    if error:
        result.update(status="error", score=None, error=error)
        return result
    weight = sum(c.weight for c, _ in grades)
    score = sum(c.weight * g.score for c, g in grades) / weight if weight else float(all(g.passed for _, g in grades))
    if case.threshold is None:
        passed = all(g.passed for c, g in grades if c.weight > 0 or weight == 0)
    else:
        passed = score >= case.threshold
    if not out.text.strip() and case.needs_generation:
        result["warning"] = "the model returned an empty answer"
    result.update(status="pass" if passed else "fail", score=round(score, 6))
    return result


def _error_result(case: Case, message: str) -> dict:
    return {
        "id": case.id,
        "tags": case.tags,
        "output": "",
        "latency_s": 0.0,
        "assertions": [],
        "status": "error",
        "score": None,
        "error": message,
    }


def suite_metrics(cases: Sequence[dict]) -> dict:
    """pass_rate, passed, failed, errors for every suite; acc and acc_norm (means over the choice cases) when any."""
    n = len(cases)
    passed = sum(c["status"] == "pass" for c in cases)
    failed = sum(c["status"] == "fail" for c in cases)
    errors = sum(c["status"] == "error" for c in cases)
    m: dict[str, Any] = {
        "total": n,
        "passed": passed,
        "failed": failed,
        "errors": errors,
        "pass_rate": passed / n if n else 0.0,
    }
    scores = [c["score"] for c in cases if c.get("score") is not None]
    m["score"] = sum(scores) / len(scores) if scores else None
    mc = [c for c in cases if "acc" in c]
    if mc:
        m["acc"] = sum(c["acc"] for c in mc) / len(mc)
        m["acc_norm"] = sum(c["acc_norm"] for c in mc) / len(mc)
        m["choice_cases"] = len(mc)
    return m


# -- store ---------------------------------------------------------------------------------------------------------


def _resumable_run(store: Store, suite: Suite, model, config: dict) -> str | None:
    t = schema.runs
    q = (
        sa.select(t.c.id, t.c.config)
        .where(
            t.c.kind == "suite",
            t.c.name == suite.name,
            t.c.status == "running",
            t.c.fingerprint == model.fingerprint[:64],
        )
        .order_by(t.c.created_at.desc())
    )
    with store.engine.connect() as conn:
        for row in conn.execute(q):
            if all((row.config or {}).get(k) == config[k] for k in ("digest", "model", "limit")):
                return row.id
    return None


def _stored_cases(store: Store, run_id: str) -> dict[str, dict]:
    t = schema.case_results
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.run_id == run_id)).mappings().all()
    return {r["case_id"]: _from_row(r) for r in rows}


def _from_row(r) -> dict:
    details = dict(r["details"] or {})
    return {
        "id": r["case_id"],
        "tags": r["tags"] or [],
        "output": r["output"] or "",
        "latency_s": r["latency_s"] or 0.0,
        "status": r["status"],
        "score": r["score"],
        **details,
    }


def _to_row(run_id: str, suite: Suite, model, res: dict) -> dict:
    details = {k: v for k, v in res.items() if k not in ("id", "tags", "output", "latency_s", "status", "score")}
    return dict(
        run_id=run_id,
        suite=suite.name,
        case_id=res["id"],
        model=model.name,
        status=res["status"],
        score=res["score"],
        output=res["output"],
        details=details,
        tags=res["tags"],
        latency_s=res["latency_s"],
    )


# -- running -------------------------------------------------------------------------------------------------------


def _context_requests(case: Case) -> list[tuple[str, str]]:
    check = case.choice_check
    delim = check.params.get("delimiter", " ")
    return [(case.prompt, f"{delim}{c}") for c in check.params["choices"]]


def _chunks(items: list, n: int):
    for i in range(0, len(items), max(1, n)):
        yield items[i : i + n]


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
) -> dict:
    """One suite on one model → the results.json entry; cases are stored chunk by chunk as they finish."""
    from tqdm.auto import tqdm

    from workbench.models.cache import cached_generate, cached_loglikelihood

    cases = suite.cases[:limit] if limit else suite.cases
    judges = judges or _Judges(judge, {model.name: model})
    config = {
        "digest": suite.digest,
        "model": model.name,
        "suite_path": suite.path,
        "suite_version": suite.version,
        "limit": limit,
        "cases": len(cases),
    }
    run_id = _resumable_run(store, suite, model, config)
    resumed = run_id is not None
    if run_id is None:
        run_id = store.start_run(
            "suite", suite.name, model=model.name, fingerprint=model.fingerprint[:64], config=config
        )
    done = _stored_cases(store, run_id)
    todo = [c for c in cases if c.id not in done]
    local: dict = {"cached": 0, "computed": 0}
    longest = timeout_s or max((c.timeout_s or 0.0 for c in todo), default=0.0)
    if longest and all(c.timeout_s or timeout_s for c in todo) and hasattr(model, "timeout"):
        model.timeout = min(float(model.timeout), float(longest))  # endpoints: don't wait longer than any case may

    bar = tqdm(
        total=len(cases),
        initial=len(cases) - len(todo),
        disable=not progress,
        leave=False,
        desc=f"{suite.name} · {model.name}"[:60],
        unit="case",
    )

    def finish(batch: list[dict]) -> None:
        store.insert(schema.case_results, [_to_row(run_id, suite, model, r) for r in batch])
        for r in batch:
            done[r["id"]] = r
        bar.update(len(batch))

    def output_for(case: Case, text: str, latency: float, lls=None, verdicts=None) -> Output:
        check = next((c for c in case.checks if c.needs == "judge"), None)
        spec = judges.spec_for(case, check) if check else None
        return Output(
            text=text,
            prompt=case.prompt,
            vars=case.vars,
            latency_s=latency,
            choice_lls=lls,
            judge=judges.get(spec) if spec is not None else None,
            judge_spec=str(spec) if spec else None,
            lang=case.lang,
            store=store,
            allow_code=allow_code,
            case_id=case.id,
            verdicts=verdicts,
        )

    def judge_ahead(batch: list[Case], gens) -> dict[str, dict]:
        """llm-rubric verdicts for a chunk, one batched judge call per (judge, scale, language); a failure here
        leaves the verdict to the check itself, which records the error on its case."""
        groups: dict[tuple, list] = {}
        for c, g in zip(batch, gens):
            for check in c.checks:
                if check.needs != "judge" or g.error:
                    continue
                spec = judges.spec_for(c, check)
                key = (json.dumps(spec, sort_keys=True, default=str), tuple(check.params.get("scale", (1, 10))), c.lang)
                groups.setdefault(key, []).append((c, g, check, spec))
        out: dict[str, dict] = {}
        for (_, scale, lang), members in groups.items():
            from evalkit.judges import rubric_grade_many

            items = [
                dict(
                    question=c.text, answer=g.text, reference=ch.params.get("reference"), rubric=str(ch.params["value"])
                )
                for c, g, ch, _ in members
            ]
            try:
                verdicts = rubric_grade_many(judges.get(members[0][3]), items, scale=scale, lang=lang, store=store)
            except Exception:  # noqa: BLE001 - graded one by one below, where the error lands on the case
                continue
            for (c, _, ch, _), v in zip(members, verdicts):
                out.setdefault(c.id, {})[str(ch.params["value"])] = v
        return out

    def loglikelihoods(batch: list[Case]) -> dict[str, list]:
        reqs, owner = [], []
        for c in batch:
            for r in _context_requests(c):
                reqs.append(r)
                owner.append(c.id)
        lls = cached_loglikelihood(model, store, reqs, chunk=max(1, len(reqs)), stats=local, batch_size=ll_batch_size)
        out: dict[str, list] = {}
        for cid, ll in zip(owner, lls):
            out.setdefault(cid, []).append(ll)
        return out

    # Multiple choice only: loglikelihoods in chunks of cases, each chunk graded and stored at once.
    mc = [c for c in todo if not c.needs_generation]
    for batch in _chunks(mc, max(16, ll_batch_size)):
        try:
            lls = loglikelihoods(batch)
            results = []
            for c in batch:
                r = grade_case(c, output_for(c, "", 0.0, lls[c.id]))
                picked = "pred" if c.choice_check.params.get("metric", "acc") == "acc" else "pred_norm"
                if picked in r:  # the case's answer is the choice it picked
                    r["output"] = c.choice_check.params["choices"][r[picked]]
                results.append(r)
        except ModelError as e:  # an endpoint failed after its retries: record, go on
            results = [_error_result(c, e.message) for c in batch]
        except UserError:
            raise
        except Exception as e:  # noqa: BLE001
            results = [_error_result(c, f"{type(e).__name__}: {e}") for c in batch]
        finish(results)

    # Generation: grouped by parameters, length-sorted so each batch pads little, stored chunk by chunk.
    gen = [c for c in todo if c.needs_generation]
    groups: dict[str, list[Case]] = {}
    for c in gen:
        groups.setdefault(json.dumps(c.gen, sort_keys=True, default=str), []).append(c)
    for group in groups.values():
        group.sort(key=lambda c: len(c.text))
        params = dict(group[0].gen)
        for batch in _chunks(group, batch_size):
            try:
                gens = cached_generate(
                    model,
                    store,
                    [c.prompt for c in batch],
                    chunk=len(batch),
                    stats=local,
                    batch_size=batch_size,
                    errors="return",
                    **params,
                )
                lls = loglikelihoods([c for c in batch if c.choice_check]) if any(c.choice_check for c in batch) else {}
            except UserError as e:
                if not isinstance(e, ModelError):
                    raise
                finish([_error_result(c, e.message) for c in batch])
                continue
            except Exception as e:  # noqa: BLE001
                finish([_error_result(c, f"{type(e).__name__}: {e}") for c in batch])
                continue
            ahead = judge_ahead(batch, gens) if any(ch.needs == "judge" for c in batch for ch in c.checks) else {}
            results = []
            for c, g in zip(batch, gens):
                limit_s = timeout_s or c.timeout_s
                if g.error:
                    results.append(_error_result(c, g.error))
                elif limit_s and g.latency_s > limit_s:
                    r = _error_result(c, f"timed out: {g.latency_s:.1f} s > timeout_s {limit_s:g}")
                    r.update(output=g.text, latency_s=round(g.latency_s, 4))
                    results.append(r)
                else:
                    results.append(grade_case(c, output_for(c, g.text, g.latency_s, lls.get(c.id), ahead.get(c.id))))
            finish(results)
    bar.close()

    ordered = [done[c.id] for c in cases]
    metrics = suite_metrics(ordered)
    run_stats = {
        "cached": local["cached"],
        "computed": local["computed"],
        "resumed": resumed,
        "cases_from_store": len(cases) - len(todo),
        "cases_evaluated": len(todo),
    }
    if stats is not None:
        for k in ("cached", "computed"):
            stats[k] = stats.get(k, 0) + local[k]
    store.finish_run(run_id, status="done", summary={"metrics": metrics, "stats": run_stats})
    return {
        "suite": suite.name,
        "model": model.name,
        "run_id": run_id,
        "fingerprint": model.fingerprint,
        "suite_version": suite.version,
        "metrics": metrics,
        "stats": run_stats,
        "cases": ordered,
    }


# -- held-out check ------------------------------------------------------------------------------------------------


def _train_texts(path: str) -> list[str]:
    try:
        from workbench.tabular import read_rows
    except ImportError:  # curate not installed with this package: read the common formats ourselves
        from evalkit.suites.format import _read_rows

        rows = (r for _, r in _read_rows(Path(path), str(path)))
    else:
        rows = read_rows(path)
    texts = []
    for row in rows:
        texts.append("\n".join(str(v) for v in row.values() if isinstance(v, str) and v.strip()))
    return texts


def heldout_check(suites: Sequence[Suite], train: str) -> dict:
    """Which suite cases overlap the training data (curate's n-gram and near-duplicate check)."""
    from curate.contamination import find_contamination

    items = [(f"{s.name}/{c.id}", c.text) for s in suites for c in s.cases]
    res = find_contamination(_train_texts(train), items)
    return {
        "train": str(train),
        "contaminated": list(res.contaminated_ids),
        "items": list(res.items),
        "figures": dict(res.figures),
    }


# -- entry point ---------------------------------------------------------------------------------------------------


def _preflight(suites: Sequence[Suite], judge, allow_code: bool) -> None:
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


def run_suites(
    paths: Sequence,
    models: Sequence,
    *,
    store: Store,
    batch_size: int = 8,
    ll_batch_size: int = 32,
    progress: bool = False,
    allow_code: bool = False,
    judge=None,
    train: str | None = None,
    strict: bool = False,
    timeout_s: float | None = None,
    limit: int | None = None,
    stats: dict | None = None,
    on_model: Callable | None = None,
) -> dict:
    """Every suite on every model → the results.json object `{"runs": [{suite, model, metrics, cases}, ...]}`.

    `paths` are suite files (or loaded Suites); `models` are specs or loaded Models."""
    suites = [p if isinstance(p, Suite) else load_suite(p) for p in paths]
    names = [s.name for s in suites]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UserError(f"two suites are named {sorted(dup)[0]!r}", hint="suite names must be unique in one run")
    _preflight(suites, judge, allow_code)
    result: dict[str, Any] = {"runs": []}
    if train:
        held = heldout_check(suites, train)
        result["heldout"] = held
        if held["contaminated"] and strict:
            shown = ", ".join(held["contaminated"][:10])
            raise UserError(
                f"{len(held['contaminated'])} suite case(s) overlap the training data {train}: {shown}"
                + (" ..." if len(held["contaminated"]) > 10 else ""),
                hint="remove them from the suite or the training set (curate audit --test)",
                code=GATE_FAILED,
            )
    from workbench.models import load_model

    loaded: dict[str, Any] = {}
    for spec in models:
        model = spec if hasattr(spec, "generate") else load_model(spec)
        loaded[model.name] = model
        if on_model:
            on_model(model)
        judges = _Judges(judge, loaded)
        for s in suites:
            result["runs"].append(
                run_suite(
                    s,
                    model,
                    store,
                    batch_size=batch_size,
                    ll_batch_size=ll_batch_size,
                    progress=progress,
                    allow_code=allow_code,
                    judge=judge,
                    judges=judges,
                    timeout_s=timeout_s,
                    stats=stats,
                    limit=limit,
                )
            )
    return result
