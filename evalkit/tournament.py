"""Tournaments: battles between contestants on a suite's prompts, judged by an LLM or queued for humans; battle files.

A contestant is a model spec with optional generation settings after `@` and an optional display name before `=`:
`default`, `default@temperature=1.0`, `path/to/model@temperature=0.7,top_p=0.9,max_new_tokens=64`,
`tuned=default+out/lora`, `hot=default@temperature=1.5`. Contestants that share a model spec
share one loaded model; their answers are cached per (model, prompt, settings), so a rerun generates nothing.

Schedules: round-robin (every pair meets on the same N prompts) or adaptive (a first round, then battles go to the
pairs whose rating intervals overlap most, until every interval is narrower than a target or the budget is spent).
Left/right is random per battle (seeded); the LLM judge also runs both orders (evalkit.judges.pairwise_judge).
`--judge human` queues the battles as a rating session (evalkit.sessions), whose votes become battles.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from evalkit import sessions
from evalkit.queries import narrowed
from workbench import verdicts
from workbench.errors import UserError
from workbench.store import Store, schema, utcnow
from workbench.tabular import read_numbered

__all__ = [
    "Contestant",
    "HUMAN_JUDGE",
    "REFERENCE_JUDGE",
    "battles_frame",
    "import_battles",
    "load_prompts",
    "parse_contestant",
    "read_battles",
    "reference_verdicts",
    "run_tournament",
]

GEN_OPTIONS = {"temperature": float, "top_p": float, "max_new_tokens": int, "seed": int, "system": str}
_OPT = re.compile(r"^[A-Za-z_]+=[^,@]*(,[A-Za-z_]+=[^,@]*)*$")
_ALIAS = re.compile(r"^([A-Za-z0-9_.-]+)=(.+)$")
REFERENCE_JUDGE = "reference"  # the judge without a model: reference_verdicts
HUMAN_JUDGE = "human"  # the battles become a rating session


# ---------------------------------------------------------------------------------------------------------------
# contestants and prompts
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Contestant:
    name: str  # as written, e.g. "default@temperature=1.0"; the name in battles
    spec: str  # the model spec, e.g. "default"
    params: dict = field(default_factory=dict)  # generation settings overriding the tournament's


def _settings(text: str, opts: str) -> dict:
    """`key=value,...` after a contestant's `@`, each value cast to its GEN_OPTIONS type."""
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
    return params


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
    return Contestant(text, spec, _settings(text, opts))


def _suite_items(path: Path) -> tuple[str, list[dict]]:
    """A suite YAML's cases as prompts; the suite's system prompt travels with each prompt."""
    from evalkit.suites import load_suite

    suite = load_suite(path)
    items = []
    for c in suite.cases:
        v = c.vars or {}
        ref = v.get("reference") or v.get("answer") or v.get("A")
        system = (c.gen or {}).get("system")
        prompt = c.prompt
        if system and isinstance(prompt, str):
            prompt = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
        items.append(dict(item_id=str(c.id), question=c.text, prompt=prompt, reference=str(ref) if ref else None))
    return suite.name, items


def _table_items(path: Path) -> tuple[str, list[dict]]:
    """A table's rows as prompts: a `question` (or `prompt`) column, optional `id` and `reference` columns."""
    rows, where = _read_table(path, "prompts")
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
    return path.stem, items


def load_prompts(path: str | Path, *, limit: int | None = None) -> tuple[str, list[dict]]:
    """(suite name, [{item_id, question, prompt, reference}]) from a suite YAML (evalkit.suites.load_suite) or a
    CSV/TSV/JSONL/JSON/Parquet file with a `question` (or `prompt`) column and optional `id` and `reference` columns."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file", hint="--suite takes a suite YAML or a CSV/JSONL of prompts")
    name, items = _suite_items(path) if path.suffix.lower() in (".yaml", ".yml") else _table_items(path)
    dup = [k for k, n in pd.Series([it["item_id"] for it in items]).value_counts().items() if n > 1]
    if dup:
        raise UserError(f"{path}: prompt id {dup[0]!r} appears more than once", hint="prompt ids must be unique")
    return name, items[:limit] if limit else items


# ---------------------------------------------------------------------------------------------------------------
# battle files
# ---------------------------------------------------------------------------------------------------------------
def _by_line(path: Path, fmt: str) -> bool:
    """Whether tabular's numbers are file lines: text formats, and JSON Lines saved as .json."""
    if fmt == "json":
        with path.open("rb") as fh:
            return fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"
    return fmt in ("jsonl", "csv", "tsv", "text")


def _read_table(path: Path, what: str, hint: str | None = None) -> tuple[list[dict], list[str]]:
    """Rows of a CSV/TSV/JSONL/JSON/Parquet file (workbench.tabular) and where each came from: "file:line" in text
    files, "file: record N" in a JSON array, "file: row N" elsewhere."""
    if path.is_file() and path.stat().st_size == 0:
        raise UserError(f"{path}: no {what}", hint=hint)
    stats: dict = {}
    numbered = list(read_numbered(path, stats=stats, skip_option=None))
    if _by_line(path, stats["format"]):
        where = [f"{path}:{n}" for n, _ in numbered]
    else:
        unit = "record" if stats["format"] == "json" else "row"
        where = [f"{path}: {unit} {n}" for n, _ in numbered]
    return [row for _, row in numbered], where


def read_battles(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """A battles file (CSV/TSV/JSONL/JSON/Parquet with model_a, model_b, winner; Chatbot Arena's layout with extra
    columns is fine) → (DataFrame, where each row came from). Validation happens in evalkit.ratings.prepare."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    rows, where = _read_table(path, "battles", "the file needs rows with model_a, model_b, winner")
    return pd.DataFrame(rows), where


def battles_frame(
    store: Store, *, run_id: str | None = None, suite: str | None = None, judge_kind: str | None = None
) -> pd.DataFrame:
    """Battles from the store (all, or one run / suite / judge kind) as a DataFrame."""
    t = schema.battles
    columns = ["model_a", "model_b", "winner", "len_a", "len_b", "item_id", "judge", "judge_kind", "run_id"]
    q = sa.select(*(t.c[c] for c in columns)).order_by(t.c.id)
    q = narrowed(q, t, run_id=run_id, suite=suite, judge_kind=judge_kind)
    with store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all(), columns=columns)


def _canonical_winner(y: float, raw) -> str:
    """A validated row's outcome (model_a's score `y`) as the battles table spells it; the label tells the ties."""
    if y == 1.0:
        return verdicts.to_winner(verdicts.A)
    if y == 0.0:
        return verdicts.to_winner(verdicts.B)
    return verdicts.to_winner(
        verdicts.BOTHBAD if verdicts.parse(raw, letters=False) == verdicts.BOTHBAD else verdicts.TIE
    )


def _battle_rows(df: pd.DataFrame, y: np.ndarray, *, suite: str | None, judge: str | None, style: bool) -> list[dict]:
    """`battles` rows (judge_kind "import") from a validated battles file; `y` is model_a's score per row."""
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
                winner=_canonical_winner(float(y[i]), r["winner"]),
                judge=judge or (str(r["judge"]) if "judge" in df.columns and pd.notna(r["judge"]) else None),
                judge_kind="import",
                len_a=int(float(r["len_a"])) if style else None,
                len_b=int(float(r["len_b"])) if style else None,
            )
        )
    return rows


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
    rows = _battle_rows(df, bt.y, suite=suite, judge=judge, style=style)
    run_id = store.start_run("tournament", name or f"import {path.name}", config={"source": str(path), "judge": judge})
    with store.begin() as conn:
        now = utcnow()
        for row in rows:
            row["run_id"] = run_id
            row["created_at"] = now
        conn.execute(schema.battles.insert(), rows)
    store.finish_run(run_id, summary={"battles": len(rows), "models": bt.models})
    return run_id, len(rows)


# ---------------------------------------------------------------------------------------------------------------
# contestants' models, answers and verdicts
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
    if isinstance(judge, str) and judge not in (HUMAN_JUDGE, REFERENCE_JUDGE) and judge not in models:
        models[judge] = load_model(judge)
    for c in contestants:
        if c.spec not in models:
            models[c.spec] = _LazyModel(c.spec)
    return models


def reference_verdicts(items: Sequence[dict], *, margin: float = 5.0, floor: float = 20.0) -> list:
    """A judge without a model: the answer closer to the reference answer wins (rapidfuzz token-set similarity,
    0-100, as the suites' `similar` assertion). Within `margin` points it is a tie; a tie where both answers are
    below `floor` is "bothbad". Deterministic and position-free; needs a reference answer per prompt."""
    from rapidfuzz import fuzz

    from evalkit.judges import PairVerdict

    out = []
    for it in items:
        ref = it.get("reference")
        sim_a, sim_b = fuzz.token_set_ratio(it["answer_a"], ref), fuzz.token_set_ratio(it["answer_b"], ref)
        if abs(sim_a - sim_b) < margin:
            winner = verdicts.BOTHBAD if max(sim_a, sim_b) < floor else verdicts.TIE
        else:
            winner = verdicts.A if sim_a > sim_b else verdicts.B
        raw = f"similarity to the reference: answer_a {sim_a:.1f}, answer_b {sim_b:.1f}"
        out.append(
            PairVerdict(
                str(it["item_id"]), winner, [{"order": "AB", "verdict": winner, "mapped": winner, "raw": raw}], raw
            )
        )
    return out


class _Arena:
    """Answers (cached in the store) and verdicts for the scheduled battles of one tournament run."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        contestants,
        items,
        models,
        judge,
        *,
        suite,
        gen,
        lang,
        progress,
        judge_method: str = "generate",
    ):
        self.store, self.run_id, self.items, self.models = store, run_id, items, models
        self.judge_method = judge_method
        self.by_name = {c.name: c for c in contestants}
        self.judge, self.suite, self.gen, self.lang, self.progress = judge, suite, gen, lang, progress
        self.answers: dict[tuple[str, int], str] = {}
        self.battles: list[dict] = []
        self.unparsed = 0
        self.judged: list[tuple] = []  # (PairVerdict, item, (model_a, model_b)) of a model judge, for its reliability
        self.judge_name = str(judge)

    @property
    def spent(self) -> int:
        """Battles judged so far, parsed or not (what a budget counts)."""
        return len(self.battles) + self.unparsed

    def answer(self, pairs: Sequence[tuple[str, int]]) -> None:
        """Generate (or fetch from the cache) each (contestant, prompt index) answer not held yet."""
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

    def _judge(self, items: list[dict]) -> tuple[list, str, str]:
        """(verdicts, judge name, rater kind) for judge items, from the reference or the judge model."""
        from evalkit.judges import pairwise_judge

        if self.judge == REFERENCE_JUDGE:
            return reference_verdicts(items), REFERENCE_JUDGE, "metric"
        judge_model = self.models[self.judge] if isinstance(self.judge, str) else self.judge
        found = pairwise_judge(judge_model, items, lang=self.lang, store=self.store, method=self.judge_method)
        return found, getattr(judge_model, "name", str(self.judge)), "llm"

    def _record(self, schedule, found: list, items: list[dict], judge_name: str, kind: str) -> None:
        """Store ratings and battles rows per pair orientation; keep the parsed battles for the ratings fit."""
        from evalkit.judges import record_pair_verdicts

        groups: dict[tuple[str, str], list[int]] = {}
        for i, (a, b, _) in enumerate(schedule):
            groups.setdefault((a, b), []).append(i)
        for (a, b), idx in groups.items():
            record_pair_verdicts(
                self.store,
                [found[i] for i in idx],
                [items[i] for i in idx],
                rater=judge_name,
                model_a=a,
                model_b=b,
                run_id=self.run_id,
                suite=self.suite,
                rater_kind=kind,
            )
        for (a, b, p), v, it in zip(schedule, found, items):
            if v.winner not in verdicts.WINNER:
                self.unparsed += 1
                continue
            winner = verdicts.to_winner(v.winner)
            self.battles.append(
                dict(
                    model_a=a, model_b=b, winner=winner, prompt=p, len_a=len(it["answer_a"]), len_b=len(it["answer_b"])
                )
            )

    def fight(self, schedule: Sequence[tuple[str, str, int]]) -> None:
        """Judge (model_a, model_b, prompt index) battles; store ratings and battles rows per pair orientation."""
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
        found, judge_name, kind = self._judge(items)
        self._record(schedule, found, items, judge_name, kind)
        if kind == "llm":
            self.judge_name = judge_name
            self.judged += [(v, it, (a, b)) for v, it, (a, b, _) in zip(found, items, schedule)]

    def reliability(self) -> dict | None:
        """The model judge's reliability report over every battle it judged (None for the reference judge)."""
        from evalkit.judges.reliability import reliability_report

        if not self.judged:
            return None
        found, items, sides = (list(x) for x in zip(*self.judged))
        me = next((c.name for c in self.by_name.values() if c.spec == self.judge), str(self.judge))
        return reliability_report(found, items, judge=me, sides=sides, others=self._scores_elsewhere(me))

    def _scores_elsewhere(self, me: str) -> list[float]:
        """`me`'s scores (1, ½, 0) in stored battles of other runs judged by someone else (other judges, humans)."""
        b = schema.battles
        q = sa.select(b.c.model_a, b.c.winner).where(
            sa.or_(b.c.model_a == me, b.c.model_b == me), b.c.run_id != self.run_id, b.c.judge != self.judge_name
        )
        with self.store.engine.connect() as conn:
            rows = conn.execute(q).all()
        score = {"model_a": 1.0, "model_b": 0.0}
        return [score.get(w, 0.5) if a == me else 1 - score.get(w, 0.5) for a, w in rows]


# ---------------------------------------------------------------------------------------------------------------
# schedules
# ---------------------------------------------------------------------------------------------------------------
def _orient(rng: np.random.Generator, x: str, y: str, p: int) -> tuple[str, str, int]:
    """Random left/right: which contestant is model_a."""
    return (x, y, p) if rng.random() < 0.5 else (y, x, p)


class _Schedule:
    """Which prompts each pair has used, in one seeded prompt order; hands out battles within the budget."""

    def __init__(self, pairs: Sequence[tuple[str, str]], order: np.ndarray, rng: np.random.Generator, budget: float):
        self.used: dict[tuple[str, str], list[int]] = {p: [] for p in pairs}
        self.order, self.rng, self.budget, self.n_prompts = order, rng, budget, len(order)

    def take(self, pairs: Sequence[tuple[str, str]], per_pair: int, spent: int) -> list[tuple[str, str, int]]:
        """Up to `per_pair` next prompts for each pair, randomly oriented, stopping at the budget (`spent` so far)."""
        sched: list[tuple[str, str, int]] = []
        for x, y in pairs:
            for _ in range(per_pair):
                if len(self.used[(x, y)]) >= self.n_prompts or spent + len(sched) >= self.budget:
                    break
                p = int(self.order[len(self.used[(x, y)])])
                self.used[(x, y)].append(p)
                sched.append(_orient(self.rng, x, y, p))
        return sched

    def prompts_left(self) -> bool:
        return any(len(v) < self.n_prompts for v in self.used.values())


def _fit(battles: list[dict], *, bootstrap: int, seed: int) -> dict | None:
    """The leaderboard of the battles so far; None when there are none or they don't connect every contestant."""
    from evalkit.ratings import DisconnectedError, leaderboard

    if not battles:
        return None
    try:
        return leaderboard(pd.DataFrame(battles), bootstrap=bootstrap, seed=seed)
    except DisconnectedError:
        return None


def _adaptive_next(lb: dict | None, names: list[str], sched: _Schedule, step: int) -> list[tuple[str, str]]:
    """Pairs for the next step: those with prompts left whose intervals overlap, most first (ties: fewer battles)."""
    from evalkit.ratings.adaptive import drifting, unsettled_pairs

    left = [p for p in itertools.combinations(names, 2) if len(sched.used[p]) < sched.n_prompts]
    counts = {p: len(sched.used[p]) for p in left}
    ci, drift = (lb.get("ci"), drifting(lb.get("unbounded", []))) if lb is not None else (None, set())
    return unsettled_pairs(names, ci, counts=counts, rng=sched.rng, candidates=left, drifting=drift)[:step]


def _round_robin(arena: _Arena, sched: _Schedule, rounds: int | None) -> str:
    """Every pair on the same first `rounds` prompts (all by default); returns the stop reason."""
    per_pair = sched.n_prompts if rounds is None else min(int(rounds), sched.n_prompts)
    arena.fight(sched.take(list(sched.used), per_pair, arena.spent))
    return "round-robin done" if not math.isfinite(sched.budget) else "round-robin done (within budget)"


def _adaptive(
    arena: _Arena,
    sched: _Schedule,
    names: list[str],
    *,
    step: int,
    bootstrap: int,
    seed: int,
    target_ci: float,
    min_battles: int,
    progress,
) -> str:
    """A first round on two prompts per pair, then `step` battles at a time to the pairs whose intervals overlap
    most, until the target width, the budget, or no useful pair is left; returns the stop reason."""
    arena.fight(sched.take(list(sched.used), min(2, sched.n_prompts), arena.spent))
    rounds_bs = max(100, min(bootstrap, 300))
    width = math.inf
    while True:
        lb = _fit(arena.battles, bootstrap=rounds_bs, seed=seed)
        if lb is None and arena.battles and progress:
            from evalkit.ratings.adaptive import disconnected_warning

            warning = disconnected_warning(names, [(b["model_a"], b["model_b"]) for b in arena.battles])
            if warning:
                progress(f"warning: {warning}")
        if lb is not None and "ci" in lb:
            width = max(hi - lo for lo, hi in lb["ci"].values())
            if width <= target_ci and min(lb["battles_per_model"].values()) >= min_battles:
                return f"every 95% interval is narrower than {target_ci:g} Elo (widest {width:.0f})"
        if arena.spent >= sched.budget:
            return f"budget of {sched.budget} battles spent"
        nxt = _adaptive_next(lb, names, sched, step)
        if not nxt:
            if sched.prompts_left():
                return "ranking settled: no two intervals overlap"
            return "every pair has met on every prompt"
        battles = sched.take(nxt, 1, arena.spent)
        if not battles:
            return f"budget of {sched.budget} battles spent"
        arena.fight(battles)
        if progress:
            progress(f"{len(arena.battles)} battles; widest interval {width:.0f} Elo")


# ---------------------------------------------------------------------------------------------------------------
# tournament
# ---------------------------------------------------------------------------------------------------------------
def _check(cs: list[Contestant], prompts: Sequence[dict], judge, adaptive: bool) -> None:
    """Refuse what can't make a tournament, before any model loads."""
    names = [c.name for c in cs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UserError(
            f"--models: contestant {twice[0]!r} is listed twice",
            hint="give each contestant once, or name them apart: a=default b=default@temperature=1.0",
        )
    if len(cs) < 2:
        raise UserError(
            f"--models: a tournament needs at least two contestants, got {len(cs)}",
            hint="e.g. --models default tuned=default+out/lora",
        )
    if not prompts:
        raise UserError("no prompts to battle on")
    if judge == REFERENCE_JUDGE and not all(p.get("reference") for p in prompts):
        missing = next(p["item_id"] for p in prompts if not p.get("reference"))
        raise UserError(
            f"--judge reference needs a reference answer for every prompt; {missing!r} has none",
            hint="use a suite whose cases carry a reference, or a CSV/JSONL with a reference column",
        )
    if adaptive and judge == HUMAN_JUDGE:
        raise UserError(
            "--adaptive needs an LLM judge: human votes arrive later, in a rating session",
            hint="make the session adaptive instead (the app's Admin page: 'Adaptive', or "
            "sessions.open_session(..., adaptive=True)): raters then get the unsettled pairs first",
        )


def _finish(store: Store, run_id: str, arena: _Arena, stop: str, *, bootstrap: int, seed: int) -> dict:
    """Fit the final leaderboard, record the run's summary and return the result."""
    lb = _fit(arena.battles, bootstrap=bootstrap, seed=seed)
    tally = pd.Series([b["winner"] for b in arena.battles], dtype="object").value_counts()
    summary = {
        "battles": len(arena.battles),
        "unparsed": arena.unparsed,
        "stop_reason": stop,
        "verdicts": {k: int(v) for k, v in tally.items()},
        "leaderboard": None if lb is None else {k: lb[k] for k in ("ratings", "ci", "rank") if k in lb},
    }
    reliability = arena.reliability()
    if reliability is not None:
        summary["reliability"] = reliability
    store.finish_run(run_id, summary=summary)
    return {"run_id": run_id, **summary, "leaderboard": lb}


def _queue_for_humans(
    store: Store, arena: _Arena, cs: list[Contestant], sched: _Schedule, rounds: int | None, suite: str, config: dict
) -> dict:
    """`--judge human`: generate the answers and record a pairwise rating session (evalkit.sessions); raters are
    assigned in the app, their votes become battles."""
    items = arena.items
    per_pair = len(items) if rounds is None else min(int(rounds), len(items))
    battles = [_orient(sched.rng, x, y, int(sched.order[k])) for x, y in sched.used for k in range(per_pair)]
    arena.answer([(a, p) for a, _, p in battles] + [(b, p) for _, b, p in battles])
    units, seen = [], {}
    for a, b, p in battles:
        it = items[p]
        k = seen[it["item_id"]] = seen.get(it["item_id"], -1) + 1
        outputs = [arena.answers[(a, p)], arena.answers[(b, p)]]
        units.append(sessions.session_unit(it["item_id"], k, it["question"], [a, b], outputs, it.get("reference")))
    names = [c.name for c in cs]
    sid = sessions.record_session(
        store,
        f"tournament on {suite}",
        units,
        models=names,
        mode="pairwise",
        k=1,
        suite=suite,
        run_name=f"tournament on {suite} (human)",
        run_config={"tournament": config},
    )
    return {
        "session_id": sid,
        "units": len(units),
        "battles": 0,
        "stop_reason": "queued for human raters",
        "leaderboard": None,
    }


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
    (all ties give zero-width intervals). judge_method: "generate" (read the judge's written verdict, MT-Bench) or
    "logprob" (score the verdict markers; small local judges whose text rarely parses). Verdicts that don't parse are
    skipped and counted. models: already loaded models by spec (reused; tests and the CLI pass the judge's model
    here when a contestant shares it)."""
    cs = [c if isinstance(c, Contestant) else parse_contestant(c) for c in contestants]
    _check(cs, prompts, judge, adaptive)
    names = [c.name for c in cs]
    gen = {"max_new_tokens": 128, "temperature": 0.0, "seed": seed, **(gen or {})}
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(prompts))  # the order in which prompts are used
    models = _load_models(cs, judge, models)
    judge_name = judge if isinstance(judge, str) else getattr(judge, "name", None)
    config = dict(
        contestants=names,
        judge=judge_name,
        suite=suite,
        rounds=rounds,
        adaptive=adaptive,
        prompts=len(prompts),
        target_ci=target_ci,
        budget=budget,
        seed=seed,
        gen=gen,
        judge_method=judge_method,
    )
    sched = _Schedule(list(itertools.combinations(names, 2)), order, rng, budget if budget is not None else math.inf)
    arena_kw = dict(suite=suite, gen=gen, progress=progress)
    if judge == HUMAN_JUDGE:
        arena = _Arena(store, "", cs, list(prompts), models, None, lang="en", **arena_kw)
        return _queue_for_humans(store, arena, cs, sched, rounds, suite, config)

    run_id = store.start_run("tournament", f"tournament on {suite}", model=", ".join(names), config=config)
    arena = _Arena(store, run_id, cs, list(prompts), models, judge, lang=lang, judge_method=judge_method, **arena_kw)
    try:
        if adaptive:
            fit = dict(bootstrap=bootstrap, seed=seed, target_ci=target_ci, min_battles=min_battles)
            stop = _adaptive(arena, sched, names, step=step or len(cs), progress=progress, **fit)
        else:
            stop = _round_robin(arena, sched, rounds)
    except BaseException:
        store.finish_run(run_id, status="interrupted", summary={"battles": len(arena.battles)})
        raise
    return _finish(store, run_id, arena, stop, bootstrap=bootstrap, seed=seed)
