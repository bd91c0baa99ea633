"""LLM judges: single-answer grading (scale or pass/fail) and pairwise comparison with both orders.

Any model spec can judge (`default` offline, an OpenAI-compatible endpoint for a strong local judge). Calls go
through the results store's cache when a store is given, so a rerun asks the judge nothing new.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from evalkit.judges.parse import parse_pair_verdict, parse_pass_fail, parse_score
from workbench import verdicts
from workbench.errors import UserError
from workbench.verdicts import UNPARSED

__all__ = [
    "JUDGE_PARAMS",
    "PairVerdict",
    "SingleVerdict",
    "combine_orders",
    "load_prompts",
    "pairwise_judge",
    "pairwise_prompt",
    "rubric_grade",
    "single_prompt",
]

PROMPTS_DIR = Path(__file__).with_name("prompts")
# Greedy and short: a verdict needs a sentence or two and the marker. Part of every cache key.
JUDGE_PARAMS = {"max_new_tokens": 192, "temperature": 0.0, "seed": 0}


@dataclass
class SingleVerdict:
    score: float | None
    verdict: str  # score | pass | fail | unparsed (workbench.verdicts: GRADED, SINGLE, UNPARSED)
    raw: str
    parsed: bool
    prompt: list = field(default_factory=list, repr=False)


@dataclass
class PairVerdict:
    item_id: str
    winner: str  # A | B | tie | bothbad | unparsed (workbench.verdicts), in the item's own A/B frame
    per_order: list[dict]  # [{"order": "AB"|"BA", "verdict": as shown, "mapped": in the item's frame, "raw": text}]
    raw: str


_MODES = ("single", "pass_fail", "pairwise")
_TEMPLATES = ("system", "user", "user_with_reference")
# every placeholder a prompt may use, filled with sample text to check a prompts file when it is read
_PLACEHOLDERS = dict.fromkeys(
    ("question", "answer", "answer_a", "answer_b", "reference", "rubric", "low", "high", "example"), "x"
)


@functools.cache
def _load_yaml(path: str) -> dict:
    """A judge prompts file, checked whole when read (every mode's templates there, every placeholder known), so a
    broken file fails before any model is called."""
    fix = f"copy {PROMPTS_DIR / 'en.yaml'} and edit its text, keeping every key"
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (byte {e.start})", hint="save the prompts file as UTF-8") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read the judge prompts ({e.strerror or e})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else path
        raise UserError(f"{where}: not valid YAML: {getattr(e, 'problem', None) or e}", hint=fix) from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: judge prompts must be a mapping of {', '.join(_MODES)}", hint=fix)
    for mode in _MODES:
        for key in _TEMPLATES:
            template = data.get(mode).get(key) if isinstance(data.get(mode), dict) else None
            if not isinstance(template, str):
                raise UserError(f"{path}: judge prompts lack {mode}.{key}", hint=fix)
            try:
                _fill(template, **_PLACEHOLDERS)
            except UserError as e:
                raise UserError(f"{path}: {mode}.{key}: {e.message}", hint=e.hint) from None
    return data


def load_prompts(lang: str = "en") -> dict:
    """The judge prompts for `lang` ("en", "ko") or from a YAML file path with the same keys."""
    if str(lang).endswith((".yaml", ".yml")):
        path = Path(lang)
        if not path.is_file():
            raise UserError(f"{lang}: no such judge prompts file", hint=f"copy {PROMPTS_DIR / 'en.yaml'} and edit it")
        return _load_yaml(str(path.resolve()))
    path = PROMPTS_DIR / f"{lang}.yaml"
    if not path.is_file():
        have = ", ".join(sorted(p.stem for p in PROMPTS_DIR.glob("*.yaml")))
        raise UserError(f"no judge prompts for language {lang!r}", hint=f"use one of {have}, or a YAML file path")
    return _load_yaml(str(path.resolve()))


def _fill(template: str, **values) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as e:
        raise UserError(
            f"judge prompt template has an unknown or broken placeholder: {e}",
            hint="placeholders are {question}, {answer}, {answer_a}, {answer_b}, {reference}, {rubric}, "
            "{low}, {high}, {example}; write literal braces as {{ }}",
        ) from e


def single_prompt(
    *,
    question: str,
    answer: str,
    rubric: str | None = None,
    reference: str | None = None,
    scale=(1, 10),
    lang: str = "en",
) -> list[dict]:
    """Chat messages asking the judge to grade one answer on `scale` (a (low, high) pair, or "pass_fail")."""
    prompts = load_prompts(lang)
    mode = "pass_fail" if scale in (None, "pass_fail", "pass/fail") else "single"
    p = prompts[mode]
    values = {
        "question": question,
        "answer": answer,
        "reference": reference or "",
        "rubric": rubric or prompts.get("default_rubric", ""),
    }
    if mode == "single":
        low, high = scale
        values.update(low=f"{low:g}", high=f"{high:g}", example=f"{round((low + high) / 2 + 0.4):g}")
    user = _fill(p["user_with_reference" if reference else "user"], **values)
    return [{"role": "system", "content": p["system"].strip()}, {"role": "user", "content": user}]


def pairwise_prompt(
    *, question: str, answer_a: str, answer_b: str, reference: str | None = None, lang: str = "en"
) -> list[dict]:
    """Chat messages asking the judge which of two answers is better (A/B/tie/both bad)."""
    p = load_prompts(lang)["pairwise"]
    user = _fill(
        p["user_with_reference" if reference else "user"],
        question=question,
        answer_a=answer_a,
        answer_b=answer_b,
        reference=reference or "",
    )
    return [{"role": "system", "content": p["system"].strip()}, {"role": "user", "content": user}]


def _generate(judge, prompts: list, store, params: dict) -> list[str]:
    params = {**JUDGE_PARAMS, **(params or {})}
    if store is not None:
        from workbench.models.cache import cached_generate

        gens = cached_generate(judge, store, prompts, **params)
    else:
        gens = judge.generate(prompts, **params)
    return [g.text for g in gens]


def rubric_grade(judge, *, question: str, answer: str, reference: str | None = None, **settings) -> SingleVerdict:
    """Grade one answer with `judge` (MT-Bench single-answer grading): a score on `scale`, or pass/fail when
    `scale` is "pass_fail". Output without a readable verdict gives verdict "unparsed" and score None. `settings`
    go to `rubric_grade_many` as they are (rubric, scale, lang, store, params)."""
    return rubric_grade_many(judge, [dict(question=question, answer=answer, reference=reference)], **settings)[0]


def rubric_grade_many(
    judge,
    items: Sequence[dict],
    *,
    rubric: str | None = None,
    scale=(1, 10),
    lang: str = "en",
    store=None,
    params: dict | None = None,
) -> list[SingleVerdict]:
    """`rubric_grade` over many {question, answer[, reference, rubric]} items in one batched call."""
    prompts = [
        single_prompt(
            question=it["question"],
            answer=it["answer"],
            rubric=it.get("rubric") or rubric,
            reference=it.get("reference"),
            scale=scale,
            lang=lang,
        )
        for it in items
    ]
    out = []
    for prompt, text in zip(prompts, _generate(judge, prompts, store, params)):
        if scale in (None, "pass_fail", "pass/fail"):
            v = parse_pass_fail(text)
            out.append(
                SingleVerdict(None if v == UNPARSED else float(v == verdicts.PASS), v, text, v != UNPARSED, prompt)
            )
        else:
            score = parse_score(text, tuple(scale))
            out.append(
                SingleVerdict(
                    score, verdicts.GRADED if score is not None else UNPARSED, text, score is not None, prompt
                )
            )
    return out


def combine_orders(first: str, second_mapped: str) -> str:
    """MT-Bench's conservative rule (Zheng et al. 2023, §3.4): a verdict stands only when both orders give it;
    disagreeing orders make a tie. If either order is unreadable the pair is "unparsed"."""
    if UNPARSED in (first, second_mapped):
        return UNPARSED
    return first if first == second_mapped else verdicts.TIE


def _logprob_verdicts(judge, prompts: list, store) -> list[str]:
    """Score the four verdict markers after the judge's prompt and pick the likeliest (a loglikelihood judge, like
    lm-eval's multiple choice): no text to parse, so never "unparsed". Needs a local model with a chat template."""
    tok = getattr(judge, "tokenizer", None)
    if tok is None or not getattr(tok, "chat_template", None):
        raise UserError(
            f"judge {judge.name!r} can't score verdicts by loglikelihood (no local tokenizer with a chat template)",
            hint="use method 'generate' for endpoints",
        )
    contexts = [
        tok.apply_chat_template(p, tokenize=False, add_generation_prompt=True) + "Final verdict:" for p in prompts
    ]
    requests = [(c, f" [[{m}]]") for c in contexts for m in verdicts.MARKERS]
    if store is not None:
        from workbench.models.cache import cached_loglikelihood

        lls = cached_loglikelihood(judge, store, requests)
    else:
        lls = judge.loglikelihood(requests)
    out, k = [], len(verdicts.MARKERS)
    for i in range(len(prompts)):
        scores = [lls[i * k + j][0] for j in range(k)]
        best = verdicts.MARKERS[max(range(k), key=scores.__getitem__)]
        out.append(
            "logprob "
            + " ".join(f"{m}={s:.3f}" for m, s in zip(verdicts.MARKERS, scores))
            + f"\nFinal verdict: [[{best}]]"
        )
    return out


def pairwise_judge(
    judge, items: list[dict], *, lang: str = "en", store=None, params: dict | None = None, method: str = "generate"
) -> list[PairVerdict]:
    """Judge each item's answer_a against answer_b in both orders (one batched call of 2·n prompts).

    Items: {question, answer_a, answer_b, optional reference, item_id}. The verdict is in the item's own A/B frame.
    method "generate" reads the verdict from the judge's text (MT-Bench); "logprob" scores the four markers."""
    if method not in ("generate", "logprob"):
        raise UserError(f"unknown judge method {method!r}", hint="use generate or logprob")
    prompts = []
    for i, it in enumerate(items):
        for key in ("question", "answer_a", "answer_b"):
            if not isinstance(it.get(key), str):
                raise UserError(f"pairwise item {it.get('item_id', i)!r} lacks the text field {key!r}")
        ref = it.get("reference") or None
        prompts.append(
            pairwise_prompt(
                question=it["question"], answer_a=it["answer_a"], answer_b=it["answer_b"], reference=ref, lang=lang
            )
        )
        prompts.append(
            pairwise_prompt(
                question=it["question"], answer_a=it["answer_b"], answer_b=it["answer_a"], reference=ref, lang=lang
            )
        )
    texts = (
        _logprob_verdicts(judge, prompts, store) if method == "logprob" else _generate(judge, prompts, store, params)
    )
    out = []
    for i, it in enumerate(items):
        t_ab, t_ba = texts[2 * i], texts[2 * i + 1]
        v_ab, v_ba = parse_pair_verdict(t_ab), parse_pair_verdict(t_ba)
        m_ba = verdicts.swap(v_ba)
        per_order = [
            {"order": "AB", "verdict": v_ab, "mapped": v_ab, "raw": t_ab},
            {"order": "BA", "verdict": v_ba, "mapped": m_ba, "raw": t_ba},
        ]
        out.append(
            PairVerdict(
                str(it.get("item_id", i)),
                combine_orders(v_ab, m_ba),
                per_order,
                f"--- order AB (answer_a shown first) ---\n{t_ab}\n--- order BA (answer_b shown first) ---\n{t_ba}",
            )
        )
    return out
