"""Tournaments: battles between contestants on a suite's prompts, judged by an LLM or queued for humans; battle files.

A contestant is a model spec with optional generation settings after `@` and an optional display name before `=`:
`default`, `default@temperature=1.0`, `path/to/model@temperature=0.7,top_p=0.9,max_new_tokens=64`,
`tuned=default+out/lora`, `hot=default@temperature=1.5`. Contestants that share a model spec
share one loaded model; their answers are cached per (model, prompt, settings), so a rerun generates nothing.

Schedules: round-robin (every pair meets on the same N prompts) or adaptive (a first round, then battles go to the
pairs whose rating intervals overlap most, until every interval is narrower than a target or the budget is spent).
Left/right is random per battle (seeded); the LLM judge also runs both orders (evalkit.judges.pairwise_judge).
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from workbench.errors import UserError
from workbench.store import Store, schema

__all__ = [
    "Contestant",
    "battles_frame",
    "import_battles",
    "load_prompts",
    "parse_contestant",
    "read_battles",
    "run_tournament",
]

GEN_OPTIONS = {"temperature": float, "top_p": float, "max_new_tokens": int, "seed": int, "system": str}
_OPT = re.compile(r"^[A-Za-z_]+=[^,@]*(,[A-Za-z_]+=[^,@]*)*$")
_ALIAS = re.compile(r"^([A-Za-z0-9_.-]+)=(.+)$")


# ---------------------------------------------------------------------------------------------------------------
# contestants and prompts
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Contestant:
    name: str  # as written, e.g. "default@temperature=1.0"; the name in battles
    spec: str  # the model spec, e.g. "default"
    params: dict = field(default_factory=dict)  # generation settings overriding the tournament's


def parse_contestant(text: str) -> Contestant:
    """`[NAME=]SPEC[@key=value,...]` → Contestant; keys: temperature, top_p, max_new_tokens, seed, system. The
    name (default: the whole text) is what battles and leaderboards show."""
    text = str(text).strip()
    alias = _ALIAS.match(text)
    if alias and not Path(text).exists():
        inner = parse_contestant(alias.group(2))
        return Contestant(alias.group(1), inner.spec, inner.params)
    spec, sep, opts = text.rpartition("@")
    if not sep or not _OPT.match(opts):
        return Contestant(text, text, {})
    params = {}
    for kv in opts.split(","):
        key, _, value = kv.partition("=")
        if key not in GEN_OPTIONS:
            raise UserError(
                f"contestant {text!r}: unknown setting {key!r}",
                hint="settings after @ are " + ", ".join(GEN_OPTIONS) + ", e.g. default@temperature=1.0",
            )
        try:
            params[key] = GEN_OPTIONS[key](value)
        except ValueError:
            raise UserError(f"contestant {text!r}: {key}={value!r} is not a {GEN_OPTIONS[key].__name__}") from None
    return Contestant(text, spec, params)


def load_prompts(path: str | Path, *, limit: int | None = None) -> tuple[str, list[dict]]:
    """(suite name, [{item_id, question, reference}]) from a suite YAML (evalkit.suites.load_suite) or a
    CSV/TSV/JSONL/JSON file with a `question` (or `prompt`) column and optional `id` and `reference` columns."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file", hint="--suite takes a suite YAML or a CSV/JSONL of prompts")
    if path.suffix.lower() in (".yaml", ".yml"):
        from evalkit.suites import load_suite

        suite = load_suite(path)
        items = []
        for c in suite.cases:
            v = c.vars or {}
            ref = v.get("reference") or v.get("answer") or v.get("A")
            system = (c.gen or {}).get("system")
            prompt = c.prompt
            if system and isinstance(prompt, str):  # the suite's system prompt travels with the prompt
                prompt = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
            items.append(dict(item_id=str(c.id), question=c.text, prompt=prompt, reference=str(ref) if ref else None))
        name = suite.name
    else:
        rows, where = _read_table(path)
        if not rows:
            raise UserError(f"{path}: no prompts")
        cols = {k.lower(): k for k in rows[0]}
        qcol = next((cols[k] for k in ("question", "prompt", "q", "instruction") if k in cols), None)
        if qcol is None:
            raise UserError(
                f"{path}: no question column (have {', '.join(rows[0])})",
                hint="name the prompt column `question` (or `prompt`)",
            )
        idcol = next((cols[k] for k in ("id", "item_id", "question_id") if k in cols), None)
        rcol = next((cols[k] for k in ("reference", "answer", "a") if k in cols), None)
        items = []
        for i, (r, w) in enumerate(zip(rows, where)):
            q = r.get(qcol)
            if not isinstance(q, str) or not q.strip():
                raise UserError(f"{w}: empty {qcol}", hint="every prompt row needs text")
            items.append(
                dict(
                    item_id=str(r[idcol]) if idcol and r.get(idcol) not in (None, "") else f"q{i + 1}",
                    question=q,
                    prompt=q,
                    reference=(r.get(rcol) or None) if rcol else None,
                )
            )
        name = path.stem
    dup = [k for k, n in pd.Series([it["item_id"] for it in items]).value_counts().items() if n > 1]
    if dup:
        raise UserError(f"{path}: prompt id {dup[0]!r} appears more than once", hint="prompt ids must be unique")
    return name, items[:limit] if limit else items


# ---------------------------------------------------------------------------------------------------------------
# battle files
# ---------------------------------------------------------------------------------------------------------------
def _read_table(path: Path) -> tuple[list[dict], list[str]]:
    """Rows of a CSV/TSV/JSONL/JSON/Parquet file and where each came from ("file:line")."""
    suffix = path.suffix.lower()
    rows: list[dict] = []
    where: list[str] = []
    try:
        if suffix in (".csv", ".tsv"):
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
                line = 1
                for row in reader:
                    if None in row:
                        raise UserError(
                            f"{path}:{line + 1}: more fields than the header has",
                            hint="quote fields that contain the delimiter",
                        )
                    rows.append(row)
                    where.append(f"{path}:{line + 1}")
                    line = reader.line_num
        elif suffix in (".jsonl", ".ndjson") or (
            suffix == ".json" and path.read_text(encoding="utf-8").lstrip()[:1] == "{"
        ):
            with path.open(encoding="utf-8") as fh:
                for no, text in enumerate(fh, 1):
                    if not text.strip():
                        continue
                    try:
                        obj = json.loads(text)
                    except json.JSONDecodeError as e:
                        raise UserError(
                            f"{path}:{no}: not valid JSON ({e.msg})", hint="one JSON object per line"
                        ) from None
                    if not isinstance(obj, dict):
                        raise UserError(f"{path}:{no}: expected a JSON object")
                    rows.append(obj)
                    where.append(f"{path}:{no}")
        elif suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, list):
                raise UserError(f"{path}: expected a JSON array of battles")
            rows = data
            where = [f"{path}: record {i + 1}" for i in range(len(rows))]
        elif suffix == ".parquet":
            df = pd.read_parquet(path)
            rows = df.to_dict("records")
            where = [f"{path}: row {i + 1}" for i in range(len(rows))]
        else:
            raise UserError(f"{path}: unknown file type {suffix!r}", hint="use .csv, .tsv, .jsonl, .json or .parquet")
    except UnicodeDecodeError as e:
        raise UserError(
            f"{path}: not UTF-8 text ({e.reason} at byte {e.start})", hint="save the file as UTF-8"
        ) from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    return rows, where


def read_battles(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """A battles file (CSV/TSV/JSONL/JSON/Parquet with model_a, model_b, winner; Chatbot Arena's layout with extra
    columns is fine) → (DataFrame, where each row came from). Validation happens in evalkit.ratings.prepare."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    rows, where = _read_table(path)
    if not rows:
        raise UserError(f"{path}: no battles", hint="the file needs rows with model_a, model_b, winner")
    return pd.DataFrame(rows), where


def battles_frame(
    store: Store, *, run_id: str | None = None, suite: str | None = None, judge_kind: str | None = None
) -> pd.DataFrame:
    """Battles from the store (all, or one run / suite / judge kind) as a DataFrame."""
    t = schema.battles
    q = sa.select(
        t.c.model_a, t.c.model_b, t.c.winner, t.c.len_a, t.c.len_b, t.c.item_id, t.c.judge, t.c.judge_kind, t.c.run_id
    ).order_by(t.c.id)
    if run_id:
        q = q.where(t.c.run_id.like(f"{run_id}%"))
    if suite:
        q = q.where(t.c.suite == suite)
    if judge_kind:
        q = q.where(t.c.judge_kind == judge_kind)
    with store.engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(q).mappings().all(),
            columns=["model_a", "model_b", "winner", "len_a", "len_b", "item_id", "judge", "judge_kind", "run_id"],
        )


def _canonical_winner(y: float, raw) -> str:
    if y == 1.0:
        return "model_a"
    if y == 0.0:
        return "model_b"
    return "tie (bothbad)" if "bad" in str(raw).lower() else "tie"


def import_battles(
    store: Store, path: str | Path, *, judge: str | None = None, suite: str | None = None, name: str | None = None
) -> tuple[str, int]:
    """Validate a battles file and store every row in `battles` (judge_kind "import") under a new run, all in one
    transaction: a bad row stores nothing. Returns (run id, battles stored)."""
    from evalkit.ratings import prepare

    path = Path(path)
    df, where = read_battles(path)
    style = "len_a" in df.columns and "len_b" in df.columns
    bt = prepare(df, where=where, style=False)
    if style:
        prepare(df, where=where, style=True)  # lengths must be numbers too
    item = next((c for c in ("item_id", "question_id", "id") if c in df.columns), None)
    rows = []
    for i in range(len(df)):
        r = df.iloc[i]
        rows.append(
            dict(
                suite=suite,
                item_id=str(r[item]) if item and pd.notna(r[item]) else None,
                model_a=str(r["model_a"]).strip(),
                model_b=str(r["model_b"]).strip(),
                winner=_canonical_winner(float(bt.y[i]), r["winner"]),
                judge=judge or (str(r["judge"]) if "judge" in df.columns and pd.notna(r["judge"]) else None),
                judge_kind="import",
                len_a=int(float(r["len_a"])) if style else None,
                len_b=int(float(r["len_b"])) if style else None,
            )
        )
    run_id = store.start_run("tournament", name or f"import {path.name}", config={"source": str(path), "judge": judge})
    with store.begin() as conn:
        from workbench.store import utcnow

        now = utcnow()
        for row in rows:
            row["run_id"] = run_id
            row["created_at"] = now
        conn.execute(schema.battles.insert(), rows)
    store.finish_run(run_id, summary={"battles": len(rows), "models": bt.models})
    return run_id, len(rows)


# ---------------------------------------------------------------------------------------------------------------
# tournament
# ---------------------------------------------------------------------------------------------------------------
class _LazyModel:
    """A contestant loaded on its first uncached prompt: the cache key needs only the fingerprint, so a rerun whose
    answers are all cached loads no weights."""

    def __init__(self, spec: str):
        from workbench.models import model_fingerprint

        self.name, self.fingerprint, self._model = spec, model_fingerprint(spec), None

    def __getattr__(self, attr):
        if self.__dict__.get("_model") is None:
            from workbench.models import load_model

            self.__dict__["_model"] = load_model(self.__dict__["name"])
        return getattr(self.__dict__["_model"], attr)


def _load_models(contestants: Sequence[Contestant], judge, preloaded: dict | None) -> dict:
    """Models by spec: the judge loaded now, contestants on first use; `preloaded` ones reused."""
    from workbench.models import load_model

    models = dict(preloaded or {})
    if isinstance(judge, str) and judge not in ("human", REFERENCE_JUDGE) and judge not in models:
        models[judge] = load_model(judge)
    for c in contestants:
        if c.spec not in models:
            models[c.spec] = _LazyModel(c.spec)
    return models


class _Arena:
    """Answers (cached in the store) and verdicts for the scheduled battles of one tournament run."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        contestants: list[Contestant],
        items: list[dict],
        models: dict,
        judge,
        *,
        suite: str,
        gen: dict,
        lang: str,
        progress: Callable[[str], None] | None,
        judge_method: str = "generate",
    ):
        self.store, self.run_id, self.items, self.models = store, run_id, items, models
        self.judge_method = judge_method
        self.by_name = {c.name: c for c in contestants}
        self.judge, self.suite, self.gen, self.lang, self.progress = judge, suite, gen, lang, progress
        self.answers: dict[tuple[str, int], str] = {}
        self.battles: list[dict] = []
        self.unparsed = 0

    def answer(self, pairs: Sequence[tuple[str, int]]) -> None:
        from workbench.models.cache import cached_generate

        need: dict[str, list[int]] = {}
        for name, p in pairs:
            if (name, p) not in self.answers:
                need.setdefault(name, [])
                if p not in need[name]:
                    need[name].append(p)
        for name, ps in need.items():
            c = self.by_name[name]
            params = {**self.gen, **c.params}
            if self.progress:
                self.progress(f"answers from {name}: {len(ps)} prompts (cached ones are not generated again)")
            gens = cached_generate(self.models[c.spec], self.store, [self.items[p]["prompt"] for p in ps], **params)
            for p, g in zip(ps, gens):
                self.answers[(name, p)] = g.text

    def fight(self, schedule: Sequence[tuple[str, str, int]]) -> None:
        """Judge (model_a, model_b, prompt index) battles; store ratings and battles rows per pair orientation."""
        from evalkit.judges import BATTLE_WINNER, pairwise_judge, record_pair_verdicts

        if not schedule:
            return
        self.answer([(a, p) for a, _, p in schedule] + [(b, p) for _, b, p in schedule])
        if self.progress:
            self.progress(f"judging {len(schedule)} battles")
        items = [
            dict(
                item_id=self.items[p]["item_id"],
                question=self.items[p]["question"],
                answer_a=self.answers[(a, p)],
                answer_b=self.answers[(b, p)],
                reference=self.items[p].get("reference"),
            )
            for a, b, p in schedule
        ]
        if self.judge == REFERENCE_JUDGE:
            verdicts, judge_name, kind = reference_verdicts(items), REFERENCE_JUDGE, "metric"
        else:
            judge_model = self.models[self.judge] if isinstance(self.judge, str) else self.judge
            verdicts = pairwise_judge(judge_model, items, lang=self.lang, store=self.store, method=self.judge_method)
            judge_name, kind = getattr(judge_model, "name", str(self.judge)), "llm"
        groups: dict[tuple[str, str], list[int]] = {}
        for i, (a, b, _) in enumerate(schedule):
            groups.setdefault((a, b), []).append(i)
        for (a, b), idx in groups.items():
            record_pair_verdicts(
                self.store,
                [verdicts[i] for i in idx],
                [items[i] for i in idx],
                rater=judge_name,
                model_a=a,
                model_b=b,
                run_id=self.run_id,
                suite=self.suite,
                rater_kind=kind,
            )
        for (a, b, p), v, it in zip(schedule, verdicts, items):
            if v.winner in BATTLE_WINNER:
                self.battles.append(
                    dict(
                        model_a=a,
                        model_b=b,
                        winner=BATTLE_WINNER[v.winner],
                        prompt=p,
                        len_a=len(it["answer_a"]),
                        len_b=len(it["answer_b"]),
                    )
                )
            else:
                self.unparsed += 1


REFERENCE_JUDGE = "reference"


def reference_verdicts(items: Sequence[dict], *, margin: float = 5.0, floor: float = 20.0) -> list:
    """A judge without a model: the answer closer to the reference answer wins (rapidfuzz token-set similarity,
    0-100, as the suites' `similar` assertion). Within `margin` points it is a tie; a tie where both answers are
    below `floor` is "bothbad". Deterministic and position-free; needs a reference answer per prompt."""
    from rapidfuzz import fuzz

    from evalkit.judges import PairVerdict

    out = []
    for it in items:
        ref = it.get("reference")
        sa, sb = fuzz.token_set_ratio(it["answer_a"], ref), fuzz.token_set_ratio(it["answer_b"], ref)
        if abs(sa - sb) < margin:
            winner = "bothbad" if max(sa, sb) < floor else "tie"
        else:
            winner = "A" if sa > sb else "B"
        raw = f"similarity to the reference: answer_a {sa:.1f}, answer_b {sb:.1f}"
        out.append(
            PairVerdict(
                str(it["item_id"]), winner, [{"order": "AB", "verdict": winner, "mapped": winner, "raw": raw}], raw
            )
        )
    return out


def _orient(rng: np.random.Generator, x: str, y: str, p: int) -> tuple[str, str, int]:
    """Random left/right: which contestant is model_a."""
    return (x, y, p) if rng.random() < 0.5 else (y, x, p)


def _fit(battles: list[dict], *, bootstrap: int, seed: int) -> dict | None:
    from evalkit.ratings import DisconnectedError, leaderboard

    if not battles:
        return None
    try:
        return leaderboard(pd.DataFrame(battles), bootstrap=bootstrap, seed=seed)
    except DisconnectedError:
        return None


def _adaptive_next(
    lb: dict | None, names: list[str], used: dict, n_prompts: int, step: int, rng: np.random.Generator
) -> list[tuple[str, str]]:
    """Pairs for the next step: those with prompts left, most overlapping intervals first (ties: fewer battles)."""
    scores = []
    for x, y in itertools.combinations(names, 2):
        key = (x, y)
        if len(used[key]) >= n_prompts:
            continue
        if lb is None or x not in lb.get("ci", {}) or y not in lb.get("ci", {}):
            overlap = math.inf
        else:
            (lx, hx), (ly, hy) = lb["ci"][x], lb["ci"][y]
            overlap = min(hx, hy) - max(lx, ly)  # > 0: the intervals overlap by this many Elo points
        scores.append((-overlap, len(used[key]), rng.random(), key))
    scores.sort()
    chosen = [s[3] for s in scores if s[0] <= 0][:step]  # overlapping (or touching) pairs only
    return chosen


def run_tournament(
    contestants: Sequence[str | Contestant],
    prompts: Sequence[dict],
    judge,
    *,
    store: Store,
    suite: str = "prompts",
    rounds: int | None = None,
    adaptive: bool = False,
    target_ci: float = 100.0,
    budget: int | None = None,
    step: int | None = None,
    min_battles: int = 10,
    seed: int = 0,
    bootstrap: int = 1000,
    gen: dict | None = None,
    lang: str = "en",
    judge_method: str = "generate",
    models: dict | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run a tournament and store every battle; returns {run_id, battles, unparsed, stop_reason, leaderboard}.

    contestants: names (`SPEC[@settings]`) or Contestant objects. prompts: [{item_id, question, prompt,
    reference?}] (load_prompts). judge: a model spec or Model (the LLM judge), "reference" (closer to the reference
    answer wins: reference_verdicts), or "human" to queue the battles as a rating session instead (returns
    {session_id, units}). rounds: prompts per pair in round-robin (default: all).
    adaptive: a first round on `min(2, prompts)` prompts per pair, then `step` battles at a time (default: one per
    contestant) to the pairs whose 95 % intervals overlap most, until every interval is narrower than `target_ci`
    Elo points, `budget` battles are spent, or the overlapping pairs have used every prompt. The width rule waits
    until every contestant has `min_battles` battles: bootstrap intervals from a handful of battles can be degenerate
    (all ties give zero-width intervals). judge_method: "generate"
    (read the judge's written verdict, MT-Bench) or "logprob" (score the verdict markers; small local judges whose
    text rarely parses). Verdicts that don't parse are skipped and counted. models: already loaded
    models by spec (reused; tests and the CLI pass the judge's model here when a contestant shares it)."""
    cs = [c if isinstance(c, Contestant) else parse_contestant(c) for c in contestants]
    names = [c.name for c in cs]
    if len(set(names)) != len(names):
        raise UserError("a contestant is listed twice", hint="give each contestant once")
    if len(cs) < 2:
        raise UserError("a tournament needs at least two contestants")
    if not prompts:
        raise UserError("no prompts to battle on")
    if judge == REFERENCE_JUDGE and not all(p.get("reference") for p in prompts):
        missing = next(p["item_id"] for p in prompts if not p.get("reference"))
        raise UserError(
            f"--judge reference needs a reference answer for every prompt; {missing!r} has none",
            hint="use a suite whose cases carry a reference, or a CSV/JSONL with a reference column",
        )
    if adaptive and judge == "human":
        raise UserError("--adaptive needs an LLM judge", hint="human ratings arrive later; use round-robin for humans")
    gen = {"max_new_tokens": 128, "temperature": 0.0, "seed": seed, **(gen or {})}
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(prompts))  # the order in which prompts are used
    n_prompts = len(prompts)
    models = _load_models(cs, judge, models)
    config = {
        "contestants": names,
        "judge": judge if isinstance(judge, str) else getattr(judge, "name", None),
        "suite": suite,
        "rounds": rounds,
        "adaptive": adaptive,
        "target_ci": target_ci,
        "budget": budget,
        "seed": seed,
        "gen": gen,
        "judge_method": judge_method,
    }
    pairs = list(itertools.combinations(names, 2))

    if judge == "human":
        return _queue_for_humans(
            store, cs, list(prompts), models, pairs, order, rounds, rng, suite, gen, config, progress
        )

    run_id = store.start_run("tournament", f"tournament on {suite}", model=", ".join(names), config=config)
    arena = _Arena(
        store,
        run_id,
        cs,
        list(prompts),
        models,
        judge,
        suite=suite,
        gen=gen,
        lang=lang,
        progress=progress,
        judge_method=judge_method,
    )
    used: dict[tuple[str, str], list[int]] = {p: [] for p in pairs}
    budget = budget if budget is not None else math.inf
    stop = None

    def schedule_for(pair_list, per_pair):
        sched = []
        for x, y in pair_list:
            for _ in range(per_pair):
                if len(used[(x, y)]) >= n_prompts or len(arena.battles) + arena.unparsed + len(sched) >= budget:
                    break
                p = int(order[len(used[(x, y)])])
                used[(x, y)].append(p)
                sched.append(_orient(rng, x, y, p))
        return sched

    try:
        if not adaptive:
            per_pair = n_prompts if rounds is None else min(int(rounds), n_prompts)
            arena.fight(schedule_for(pairs, per_pair))
            stop = "round-robin done" if not math.isfinite(budget) else "round-robin done (within budget)"
        else:
            arena.fight(schedule_for(pairs, min(2, n_prompts)))
            step = step or len(cs)
            rounds_bs = max(100, min(bootstrap, 300))
            width = math.inf
            while True:
                lb = _fit(arena.battles, bootstrap=rounds_bs, seed=seed)
                if lb is not None and "ci" in lb:
                    width = max(hi - lo for lo, hi in lb["ci"].values())
                    if width <= target_ci and min(lb["battles_per_model"].values()) >= min_battles:
                        stop = f"every 95% interval is narrower than {target_ci:g} Elo (widest {width:.0f})"
                        break
                if len(arena.battles) + arena.unparsed >= budget:
                    stop = f"budget of {budget} battles spent"
                    break
                nxt = _adaptive_next(lb, names, used, n_prompts, step, rng)
                if not nxt:
                    left = any(len(v) < n_prompts for v in used.values())
                    stop = "ranking settled: no two intervals overlap" if left else "every pair has met on every prompt"
                    break
                sched = schedule_for(nxt, 1)
                if not sched:
                    stop = f"budget of {budget} battles spent"
                    break
                arena.fight(sched)
                if progress:
                    progress(f"{len(arena.battles)} battles; widest interval {width:.0f} Elo")
    except BaseException:
        store.finish_run(run_id, status="interrupted", summary={"battles": len(arena.battles)})
        raise
    lb = _fit(arena.battles, bootstrap=bootstrap, seed=seed)
    tally = pd.Series([b["winner"] for b in arena.battles], dtype="object").value_counts()
    summary = {
        "battles": len(arena.battles),
        "unparsed": arena.unparsed,
        "stop_reason": stop,
        "verdicts": {k: int(v) for k, v in tally.items()},
        "leaderboard": None if lb is None else {k: lb[k] for k in ("ratings", "ci", "rank") if k in lb},
    }
    store.finish_run(run_id, summary=summary)
    return {"run_id": run_id, **summary, "leaderboard": lb}


def _queue_for_humans(store, cs, items, models, pairs, order, rounds, rng, suite, gen, config, progress) -> dict:
    """`--judge human`: generate the answers and record a pairwise rating session (the same `rating_sessions` row
    and `units` the rating app's create_session writes); raters are assigned in the app, votes become battles."""
    import uuid

    arena = _Arena(store, "", cs, items, models, None, suite=suite, gen=gen, lang="en", progress=progress)
    per_pair = len(items) if rounds is None else min(int(rounds), len(items))
    sched = [_orient(rng, x, y, int(order[k])) for x, y in pairs for k in range(per_pair)]
    arena.answer([(a, p) for a, _, p in sched] + [(b, p) for _, b, p in sched])
    units, seen = [], {}
    for a, b, p in sched:
        it = items[p]
        k = seen[it["item_id"]] = seen.get(it["item_id"], -1) + 1
        # Unit ids carry no model names: they reach the rater's page, the model names must not.
        units.append(
            dict(
                unit_id=f"{it['item_id']}/p{k}",
                prompt=it["question"],
                models=[a, b],
                outputs=[arena.answers[(a, p)], arena.answers[(b, p)]],
                reference=it.get("reference"),
            )
        )
    sid = str(uuid.uuid4())
    names = [c.name for c in cs]
    store.start_run(
        "session",
        f"tournament on {suite} (human)",
        model=", ".join(names),
        config={"mode": "pairwise", "k": 1, "suite": suite, "tournament": config},
        run_id=sid,
    )
    store.insert(
        schema.rating_sessions,
        [
            dict(
                id=sid,
                name=f"tournament on {suite}",
                suite=suite,
                models=names,
                mode="pairwise",
                k=1,
                config=dict(rubric=None, scale=[1, 10], units=units),
            )
        ],
    )
    return {
        "session_id": sid,
        "units": len(units),
        "battles": 0,
        "stop_reason": "queued for human raters",
        "leaderboard": None,
    }
