"""Judges: verdict parsing on real-looking outputs, MT-Bench's both-order rule, real judge runs (tiny model, default),
verdicts in the store, win rates against human answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from evalkit.judges import (
    HUMAN_REFERENCE,
    combine_orders,
    load_prompts,
    pairwise_judge,
    pairwise_prompt,
    parse_pair_verdict,
    parse_pass_fail,
    parse_score,
    read_ratings,
    reference_winrates,
    rubric_grade,
)
from workbench.errors import UserError
from workbench.store import schema

PAIR_OUTPUTS = [
    ("Assistant A gives the correct definition while B is vague.\n\n[[A]]", "A"),
    ("Both answers are accurate, but B explains the trigger.\nFinal verdict: [[B]]", "B"),
    ("The two responses are essentially the same. [[C]]", "tie"),
    ("Neither answer addresses the question; both invent APIs. [[D]]", "bothbad"),
    ("My final verdict is [[ B ]].", "B"),
    ("[[A>B]]", "A"),
    ("Verdict: [[B>>A]]", "B"),
    ("[[A=B]]", "tie"),
    ("Both are wrong: [[both bad]]", "bothbad"),
    ('{"verdict": "A", "reason": "A cites the method"}', "A"),
    ('```json\n{"winner": "tie"}\n```', "tie"),
    ('{"answer": "[[B]]", "reason": ""}', "B"),
    # the judge repeats the instructions, then decides on a verdict line
    (
        'I must output "[[A]]" if A is better, "[[B]]" if B is better, "[[C]]" for a tie.\n'
        "A is shorter but wrong.\nFinal verdict: [[B]]",
        "B",
    ),
    ("답변 A가 더 정확합니다.\n최종 판정: [[A]]", "A"),
    # never guessed
    ("Assistant A is clearly better.", "unparsed"),
    ("[[A]] or [[B]], hard to say.", "unparsed"),
    ("The answer is A", "unparsed"),
    ("[A]", "unparsed"),
    ("", "unparsed"),
    ("[[E]]", "unparsed"),
    ('{"verdict": "maybe"}', "unparsed"),
    ("The BeastAttack class controls the beast attack behavior.\n" * 3, "unparsed"),
]

SCORE_OUTPUTS = [
    ("The answer is correct and concise.\nRating: [[8]]", 8.0),
    ("Rating: [[7.5]]", 7.5),
    ("Mostly right. [[6]]", 6.0),
    ("Rating: [[9/10]]", 9.0),
    ("Rating: 4", 4.0),
    ("Score: 3/10", 3.0),
    ('{"score": 5, "explanation": "partial"}', 5.0),
    ("점수: 7", 7.0),
    ("Rating: [[ 10 ]]", 10.0),
    # out of scale, ambiguous, absent: None
    ("Rating: [[11]]", None),
    ("Rating: [[0]]", None),
    ("Rating: [[3]] ... on reflection Rating: [[5]]", None),
    ("A good answer overall.", None),
    ("It has 3 mistakes.", None),
    ("", None),
]


@pytest.mark.parametrize("text,expected", PAIR_OUTPUTS)
def test_parse_pair_verdict(text, expected):
    assert parse_pair_verdict(text) == expected


@pytest.mark.parametrize("text,expected", SCORE_OUTPUTS)
def test_parse_score(text, expected):
    assert parse_score(text, (1, 10)) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Meets the criteria. [[PASS]]", "pass"),
        ("[[FAIL]]", "fail"),
        ("통과입니다 [[통과]]", "pass"),
        ('{"verdict": "fail"}', "fail"),
        ('{"pass": true}', "pass"),
        ("It passes.", "unparsed"),
        ("[[PASS]] [[FAIL]]", "unparsed"),
    ],
)
def test_parse_pass_fail(text, expected):
    assert parse_pass_fail(text) == expected


def test_both_order_rule():
    assert combine_orders("A", "A") == "A"
    assert combine_orders("B", "B") == "B"
    assert combine_orders("A", "B") == "tie"  # position bias: the first-shown answer won both times
    assert combine_orders("A", "tie") == "tie"
    assert combine_orders("bothbad", "bothbad") == "bothbad"
    assert combine_orders("A", "unparsed") == "unparsed"


def test_prompts_en_ko_and_custom(tmp_path):
    for lang in ("en", "ko"):
        p = load_prompts(lang)
        msgs = pairwise_prompt(question="Q?", answer_a="first", answer_b="second", reference="ref", lang=lang)
        assert msgs[0]["role"] == "system" and "[[A]]" in msgs[1]["content"] and "[[D]]" in msgs[1]["content"]
        assert msgs[1]["content"].index("first") < msgs[1]["content"].index("second")
        assert "ref" in msgs[1]["content"] and "{" not in p["pairwise"]["system"]
    bad = tmp_path / "mine.yaml"
    bad.write_text("pairwise:\n  system: hi\n")
    with pytest.raises(UserError, match="lack"):
        load_prompts(str(bad))
    with pytest.raises(UserError, match="no judge prompts"):
        load_prompts("fr")


def test_a_prompts_file_is_checked_whole_when_read(tmp_path):
    """A broken prompts file fails when read (before any model is asked), naming the file and the template."""
    en = (Path(__file__).resolve().parents[2] / "evalkit" / "judges" / "prompts" / "en.yaml").read_text()
    cases = {
        "typo.yaml": (en.replace("{answer_b}", "{answr_b}"), r"typo.yaml: pairwise.user: .*'answr_b'"),
        "list.yaml": ("- en\n", r"list.yaml: judge prompts must be a mapping"),
        "yaml.yaml": ("pairwise:\n  system: a: b\n", r"yaml.yaml:2: not valid YAML"),
        "cp949.yaml": ("# 판정\n".encode("cp949") + en.encode(), r"cp949.yaml: not UTF-8 text"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        with pytest.raises(UserError, match=message):
            load_prompts(str(path))
    with pytest.raises(UserError, match="nope.yaml: no such judge prompts file"):
        load_prompts(str(tmp_path / "nope.yaml"))
    (tmp_path / "mine.yaml").write_text(en.replace("[The Start of Answer A]", "[Answer A begins]"))
    assert "[Answer A begins]" in load_prompts(str(tmp_path / "mine.yaml"))["pairwise"]["user"]


ITEMS = [
    {
        "item_id": "enl-0000",
        "question": "What is the purpose of the BeastAttack class?",
        "answer_a": "The BeastAttack class controls the beast's attack behavior.",
        "answer_b": "It is a class.",
        "reference": "The BeastAttack class controls the beast's attack behavior.",
    },
    {
        "item_id": "enl-0180",
        "question": "What is the purpose of the GlobalEventHub class?",
        "answer_a": "It saves the score.",
        "answer_b": "It lets components communicate without referencing each other.",
        "reference": None,
    },
]


def test_tiny_judge_outputs_recorded_as_unparsed_and_cached(tiny_model, store):
    from evalkit.judges import record_pair_verdicts

    verdicts = pairwise_judge(tiny_model, ITEMS, store=store, params={"max_new_tokens": 12})
    assert [v.item_id for v in verdicts] == ["enl-0000", "enl-0180"]
    for v in verdicts:
        assert [o["order"] for o in v.per_order] == ["AB", "BA"]
        for o in v.per_order:  # the random tiny model writes no verdict marker: recorded as such, not guessed
            assert o["verdict"] == parse_pair_verdict(o["raw"])
        assert v.winner == combine_orders(v.per_order[0]["mapped"], v.per_order[1]["mapped"])
    assert all(v.winner == "unparsed" for v in verdicts)
    with store.engine.connect() as conn:
        n_cached = conn.execute(sa.select(sa.func.count()).select_from(schema.outputs)).scalar()
    assert n_cached == 4  # two items × two orders
    again = pairwise_judge(tiny_model, ITEMS, store=store, params={"max_new_tokens": 12})
    assert [v.raw for v in again] == [v.raw for v in verdicts]
    record_pair_verdicts(store, verdicts, ITEMS, rater=tiny_model.name, model_a="m1", model_b="m2", run_id="r1")
    rows = read_ratings(store, run_id="r1")
    assert [r["verdict"] for r in rows] == ["unparsed", "unparsed"]
    assert rows[0]["rater_kind"] == "llm" and rows[0]["order_shown"] == "both"
    assert [o["order"] for o in rows[0]["raw"]["per_order"]] == ["AB", "BA"]
    with store.engine.connect() as conn:  # unparsed verdicts don't become battles
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.battles)).scalar() == 0


def test_tiny_logprob_judge_maps_the_swapped_order_back(tiny_model):
    verdicts = pairwise_judge(tiny_model, ITEMS, method="logprob")
    for v in verdicts:
        first, second = v.per_order
        assert first["verdict"] in ("A", "B", "tie", "bothbad") and second["verdict"] in ("A", "B", "tie", "bothbad")
        assert second["mapped"] == {"A": "B", "B": "A"}.get(second["verdict"], second["verdict"])
        assert "logprob A=" in first["raw"]
        scores = dict(kv.split("=") for kv in first["raw"].splitlines()[0].split()[1:])
        best = max(scores, key=lambda k: float(scores[k]))
        assert first["verdict"] == {"A": "A", "B": "B", "C": "tie", "D": "bothbad"}[best]


def test_tiny_rubric_grade_unparsed(tiny_model):
    v = rubric_grade(tiny_model, question="What is 2+2?", answer="4", reference="4", params={"max_new_tokens": 8})
    assert v.verdict == "unparsed" and v.score is None and not v.parsed and isinstance(v.raw, str)
    v = rubric_grade(tiny_model, question="What is 2+2?", answer="4", scale="pass_fail", params={"max_new_tokens": 8})
    assert v.verdict == "unparsed"


def test_reference_winrates_by_hand():
    rows = [{"model_a": "m", "model_b": HUMAN_REFERENCE, "verdict": v} for v in ("A", "A", "B", "tie")] + [
        {"model_a": HUMAN_REFERENCE, "model_b": "m", "verdict": "A"},
        {"model_a": HUMAN_REFERENCE, "model_b": "m", "verdict": "unparsed"},
    ]
    w = reference_winrates(rows, bootstrap=500, seed=1)["m"]
    assert (w["n"], w["wins"], w["ties"], w["losses"]) == (5, 2, 1, 2)
    assert w["win_rate"] == pytest.approx((2 + 0.5) / 5)
    assert 0 <= w["ci_low"] <= w["win_rate"] <= w["ci_high"] <= 1
    scores = np.array([1, 1, 0, 0.5, 0])
    rng = np.random.default_rng(1)
    lo, hi = np.quantile(scores[rng.integers(0, 5, (500, 5))].mean(1), [0.025, 0.975])
    assert (w["ci_low"], w["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))


def test_judge_cli_with_human_reference(tiny_model_dir, tmp_path):
    from evalkit.cli import main

    data = tmp_path / "qa.csv"
    data.write_text(
        "Q,A\nWhat does BeastAttack do?,It controls the beast's attacks.\n"
        "What is GlobalEventHub?,An event hub for decoupled components.\n"
    )
    db, out = tmp_path / "s.db", tmp_path / "j.json"
    assert (
        main(
            [
                "judge",
                "--data",
                str(data),
                "--models",
                str(tiny_model_dir),
                HUMAN_REFERENCE,
                "--judge",
                str(tiny_model_dir),
                "--method",
                "logprob",
                "--max-new-tokens",
                "8",
                "--store",
                str(db),
                "--json",
                str(out),
            ]
        )
        == 0
    )
    summary = json.loads(out.read_text())
    assert summary["items"] == 2 and summary["model_b"] == HUMAN_REFERENCE
    decided = sum(summary["counts"][k] for k in ("A", "B", "tie", "bothbad"))
    assert decided == 2  # logprob verdicts are always readable
    w = summary["winrate_vs_human_reference"][summary["model_a"]]
    assert w["n"] == 2
    from workbench.store import open_store

    st = open_store(db)
    rows = read_ratings(st, run_id=summary["run_id"])
    assert [r["item_id"] for r in rows] == ["qa:2", "qa:3"] and rows[0]["model_b"] == HUMAN_REFERENCE
    assert rows[0]["output_b"] == "It controls the beast's attacks."
    assert rows[0]["raw"]["reference"] is None  # the reference is a contestant, so the judge doesn't see it twice
    st.dispose()
    assert main(["judge", "--data", str(data), "--judge", str(tiny_model_dir), "--store", str(db)]) == 2


@pytest.mark.slow
def test_default_judge_on_one_item_both_orders(default_model, store):
    """The embedded model as judge, generate method: whatever it writes is parsed or recorded as unparsed."""
    from evalkit.judges import record_pair_verdicts

    verdicts = pairwise_judge(default_model, ITEMS[:1], store=store, params={"max_new_tokens": 8})
    v = verdicts[0]
    assert v.winner in ("A", "B", "tie", "bothbad", "unparsed")
    for o in v.per_order:
        assert o["verdict"] == parse_pair_verdict(o["raw"]) and o["raw"].strip()
    assert v.winner == combine_orders(v.per_order[0]["mapped"], v.per_order[1]["mapped"])
    record_pair_verdicts(store, verdicts, ITEMS[:1], rater="default", model_a="m1", model_b="m2", run_id="d1")
    assert read_ratings(store, run_id="d1")[0]["verdict"] == v.winner


def test_items_from_shipped_suite_and_pairs_file():
    from pathlib import Path

    from evalkit.judges.run import load_items, load_pairs

    root = Path(__file__).resolve().parents[2]
    items = load_items(suite=str(root / "suites" / "enlighten-qa.yaml"), limit=2)
    assert [it["item_id"] for it in items] == ["qa-0", "qa-1"]
    assert items[0]["question"] == "What is the purpose of the BeastAttack class?"
    assert items[0]["reference"].startswith("The BeastAttack class controls")
    assert items[0]["system"].startswith("You answer questions about the Enlighten")
    pairs = load_pairs(str(root / "data" / "human-ratings" / "pairs.jsonl"))
    assert len(pairs) == 30 and {p["model_a"] for p in pairs} | {p["model_b"] for p in pairs} == {
        HUMAN_REFERENCE,
        "authored-alt",
    }
    with pytest.raises(UserError, match="exactly one of"):
        load_items()
    suite = str(root / "suites" / "enlighten-qa.yaml")
    assert [it["item_id"] for it in load_items(suite=suite, limit=1, offset=1)] == ["qa-1"]
    for kw, message in [
        ({"limit": -1}, "limit must be at least 1, got -1"),  # not a slice from the end
        ({"limit": 0}, "limit must be at least 1"),
        ({"offset": -2}, "offset must be >= 0"),
        ({"offset": 10_000}, "--offset 10000 skips all of its"),
    ]:
        with pytest.raises(UserError, match=message):
            load_items(suite=suite, **kw)
    with pytest.raises(UserError, match="limit must be at least 1"):
        load_pairs(str(root / "data" / "human-ratings" / "pairs.jsonl"), limit=-1)
