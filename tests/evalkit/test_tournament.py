"""Tournaments with real (tiny) models as contestants and judge, battles in a real SQLite store; battle files."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from evalkit.cli import main
from evalkit.tournament import (
    battles_frame,
    import_battles,
    load_prompts,
    parse_contestant,
    read_battles,
    run_tournament,
)
from workbench.errors import UserError
from workbench.store import schema

QUESTIONS = ["What is the capital of France?", "Name a primary colour.", "What is 2 + 2?", "Say hello politely."]


@pytest.fixture()
def prompts_csv(tmp_path):
    p = tmp_path / "prompts.csv"
    pd.DataFrame({"id": [f"q{i}" for i in range(4)], "question": QUESTIONS}).to_csv(p, index=False)
    return p


def _contestants(tiny_model_dir):
    t = str(tiny_model_dir)
    return [t, f"{t}@temperature=1.0", f"{t}@max_new_tokens=4"]


def _stored(store, run_id):
    with store.engine.connect() as conn:
        return conn.execute(sa.select(schema.battles).where(schema.battles.c.run_id == run_id)).mappings().all()


def test_parse_contestant():
    c = parse_contestant("default@temperature=1.0,top_p=0.9")
    assert (c.name, c.spec, c.params) == (
        "default@temperature=1.0,top_p=0.9",
        "default",
        {"temperature": 1.0, "top_p": 0.9},
    )
    assert parse_contestant("default").params == {}
    hot = parse_contestant("hot=default@temperature=1.5")
    assert (hot.name, hot.spec, hot.params) == ("hot", "default", {"temperature": 1.5})
    assert parse_contestant("tuned=default+out/lora").spec == "default+out/lora"
    assert parse_contestant("me@example/model").spec == "me@example/model"  # not settings: left alone
    with pytest.raises(UserError, match="unknown setting 'temp'"):
        parse_contestant("default@temp=1")
    with pytest.raises(UserError, match="not a float"):
        parse_contestant("default@temperature=hot")


def test_round_robin_tournament_stores_every_battle(tiny_model, tiny_model_dir, prompts_csv, store):
    suite, prompts = load_prompts(prompts_csv)
    assert suite == "prompts" and [p["item_id"] for p in prompts] == ["q0", "q1", "q2", "q3"]
    names = _contestants(tiny_model_dir)
    res = run_tournament(
        names,
        prompts,
        str(tiny_model_dir),
        store=store,
        suite=suite,
        bootstrap=200,
        judge_method="logprob",
        models={str(tiny_model_dir): tiny_model},
    )
    rows = _stored(store, res["run_id"])
    assert res["battles"] == len(rows) == 3 * 4 and res["unparsed"] == 0  # logprob verdicts always parse
    assert {r["judge_kind"] for r in rows} == {"llm"} and {r["suite"] for r in rows} == {"prompts"}
    assert {r["item_id"] for r in rows} == {"q0", "q1", "q2", "q3"}
    pairs = {frozenset((r["model_a"], r["model_b"])) for r in rows}
    assert len(pairs) == 3 and all(len(p) == 2 for p in pairs)
    assert {r["winner"] for r in rows} <= {"model_a", "model_b", "tie", "tie (bothbad)"}
    assert all(r["len_a"] is not None for r in rows)
    # Left/right is random: each contestant appears on both sides across the 12 battles.
    assert {r["model_a"] for r in rows} == set(names)
    lb = res["leaderboard"]
    assert set(lb["ratings"]) == set(names) and set(lb["ci"]) == set(names)
    run = store.run(res["run_id"])
    assert run["status"] == "done" and run["summary"]["battles"] == 12
    # The verdicts are in `ratings` too, and the same battles feed `evalkit ratings --run`.
    with store.engine.connect() as conn:
        n = conn.execute(
            sa.select(sa.func.count()).select_from(schema.ratings).where(schema.ratings.c.run_id == res["run_id"])
        ).scalar()
    assert n == 12
    assert len(battles_frame(store, run_id=res["run_id"][:8])) == 12

    # Rerun: answers come from the cache; rounds=2 plays the same first prompts for every pair.
    res2 = run_tournament(
        names,
        prompts,
        str(tiny_model_dir),
        store=store,
        suite=suite,
        rounds=2,
        bootstrap=0,
        judge_method="logprob",
        models={str(tiny_model_dir): tiny_model},
    )
    rows2 = _stored(store, res2["run_id"])
    assert len(rows2) == 6 and len({r["item_id"] for r in rows2}) == 2


def test_reference_judge_prefers_the_answer_closer_to_the_reference(tiny_model, tiny_model_dir, store, tmp_path):
    from evalkit.tournament import reference_verdicts

    v = reference_verdicts(
        [
            dict(item_id="1", answer_a="Paris is the capital of France.", answer_b="zzz qqq", reference="Paris"),
            dict(item_id="2", answer_a="zzz", answer_b="Paris, the capital", reference="The capital is Paris"),
            dict(item_id="3", answer_a="Paris", answer_b="Paris", reference="Paris"),
            dict(item_id="4", answer_a="xq", answer_b="wv", reference="Paris"),
        ]
    )
    assert [x.winner for x in v] == ["A", "B", "tie", "bothbad"]
    p = tmp_path / "qa.jsonl"
    p.write_text(
        "\n".join(json.dumps({"id": f"r{i}", "question": q, "reference": "Paris"}) for i, q in enumerate(QUESTIONS[:2]))
        + "\n"
    )
    _, prompts = load_prompts(p)
    names = _contestants(tiny_model_dir)[:2]
    res = run_tournament(
        names, prompts, "reference", store=store, bootstrap=0, models={str(tiny_model_dir): tiny_model}
    )
    rows = _stored(store, res["run_id"])
    assert len(rows) == 2 and {r["judge"] for r in rows} == {"reference"}
    assert {r["judge_kind"] for r in rows} == {"metric"}
    _, no_ref = load_prompts(p)
    with pytest.raises(UserError, match="needs a reference answer"):
        run_tournament(
            names, [dict(no_ref[0], reference=None)], "reference", store=store, models={str(tiny_model_dir): tiny_model}
        )


def test_adaptive_stops_at_target_width_or_budget(tiny_model, tiny_model_dir, prompts_csv, store):
    _, prompts = load_prompts(prompts_csv)
    names = _contestants(tiny_model_dir)
    kw = dict(store=store, judge_method="logprob", models={str(tiny_model_dir): tiny_model}, bootstrap=100)
    wide = run_tournament(names, prompts, str(tiny_model_dir), adaptive=True, target_ci=1e9, min_battles=4, **kw)
    assert wide["battles"] == 3 * 2  # the first round (two prompts per pair) already meets the target
    assert wide["stop_reason"].startswith("every 95% interval is narrower")
    tight = run_tournament(names, prompts, str(tiny_model_dir), adaptive=True, target_ci=1.0, budget=8, **kw)
    assert tight["battles"] + tight["unparsed"] == 8 and "budget" in tight["stop_reason"]
    assert len(_stored(store, tight["run_id"])) == tight["battles"]
    # With every prompt available to spend and no budget, it stops once nothing useful is left.
    free = run_tournament(names, prompts, str(tiny_model_dir), adaptive=True, target_ci=1.0, **kw)
    assert free["battles"] <= 3 * 4
    assert free["stop_reason"] in ("ranking settled: no two intervals overlap", "every pair has met on every prompt")


def test_human_judge_queues_a_rating_session(tiny_model, tiny_model_dir, prompts_csv, store):
    _, prompts = load_prompts(prompts_csv)
    names = _contestants(tiny_model_dir)[:2]
    res = run_tournament(names, prompts, "human", store=store, rounds=3, models={str(tiny_model_dir): tiny_model})
    with store.engine.connect() as conn:
        sess = conn.execute(sa.select(schema.rating_sessions)).mappings().one()
        nb = conn.execute(sa.select(sa.func.count()).select_from(schema.battles)).scalar()
    assert sess["id"] == res["session_id"] and sess["mode"] == "pairwise" and sess["models"] == names
    units = sess["config"]["units"]
    assert len(units) == res["units"] == 3 and nb == 0
    assert all(u["models"][0] in names and len(u["outputs"]) == 2 for u in units)
    assert not any(n in u["unit_id"] for u in units for n in names)  # ids reach the page; names must not
    assert store.run(res["session_id"])["kind"] == "session"
    with pytest.raises(UserError, match="--adaptive needs an LLM judge"):
        run_tournament(names, prompts, "human", store=store, adaptive=True)


def test_prompts_from_a_suite_yaml_and_bad_prompt_files(tmp_path):
    suite, items = load_prompts("suites/enlighten-mc.yaml", limit=3)
    assert suite == "enlighten-mc" and len(items) == 3 and items[0]["question"].startswith("Question:")
    _, qa = load_prompts("suites/enlighten-qa.yaml", limit=2)
    assert qa[0]["prompt"][0]["role"] == "system" and qa[0]["prompt"][1]["content"] == qa[0]["question"]
    assert qa[0]["reference"]  # the training answer, shown to the judge
    bad = tmp_path / "p.jsonl"
    bad.write_text('{"text": "hi"}\n')
    with pytest.raises(UserError, match="no question column"):
        load_prompts(bad)
    bad.write_text('{"question": "hi", "id": 1}\n{"question": "ho", "id": 1}\n')
    with pytest.raises(UserError, match="appears more than once"):
        load_prompts(bad)


ARENA = [  # Chatbot Arena's clean_battle layout (a subset of its fields)
    {
        "question_id": "a1",
        "model_a": "vicuna-13b",
        "model_b": "alpaca-13b",
        "winner": "model_a",
        "judge": "arena_user_1",
        "turn": 1,
        "anony": True,
        "language": "English",
    },
    {
        "question_id": "a2",
        "model_a": "alpaca-13b",
        "model_b": "koala-13b",
        "winner": "tie (bothbad)",
        "judge": "arena_user_2",
        "turn": 1,
        "anony": True,
        "language": "English",
    },
    {
        "question_id": "a3",
        "model_a": "koala-13b",
        "model_b": "vicuna-13b",
        "winner": "model_b",
        "judge": "arena_user_3",
        "turn": 1,
        "anony": True,
        "language": "English",
    },
    {
        "question_id": "a4",
        "model_a": "vicuna-13b",
        "model_b": "koala-13b",
        "winner": "tie",
        "judge": "arena_user_1",
        "turn": 1,
        "anony": True,
        "language": "English",
    },
]


def test_import_arena_battles_then_rate_them_from_the_store(tmp_path, store, capsys):
    src = tmp_path / "clean_battle.json"
    src.write_text(json.dumps(ARENA))
    run_id, n = import_battles(store, src)
    assert n == 4
    df = battles_frame(store, run_id=run_id)
    assert df.winner.tolist() == ["model_a", "tie (bothbad)", "model_b", "tie"]
    assert df.item_id.tolist() == ["a1", "a2", "a3", "a4"] and set(df.judge_kind) == {"import"}
    assert df.judge.tolist()[0] == "arena_user_1"
    out = tmp_path / "r.json"
    assert main(["ratings", "--run", run_id[:8], "--store", store.url, "--bootstrap", "100", "--json", str(out)]) == 0
    got = json.loads(out.read_text())
    assert got["models"][0] == "vicuna-13b" and set(got["rank"]) == {"vicuna-13b", "alpaca-13b", "koala-13b"}


def test_a_bad_row_imports_nothing_and_names_the_line(tmp_path, store, capsys):
    src = tmp_path / "b.jsonl"
    rows = [dict(r) for r in ARENA]
    rows[2]["winner"] = "model_c"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert main(["battles", "import", str(src), "--store", store.url]) == 2
    err = capsys.readouterr().err
    assert f"{src}:3: 'model_c'" in err and "hint:" in err
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.battles)).scalar() == 0
    csv_path = tmp_path / "b.csv"
    csv_path.write_text('model_a,model_b,winner\nx,y,model_a\n"multi\nline",y,tie\ny,y,tie\n')
    with pytest.raises(ValueError, match=r"b\.csv:5 \('y' vs itself\)"):
        from evalkit.ratings import prepare

        df, where = read_battles(csv_path)
        prepare(df, where=where)


def test_ratings_cli_stable_interface(tmp_path, capsys):
    src = tmp_path / "battles.csv"
    pd.DataFrame(
        {
            "model_a": ["a", "b", "c", "a", "b", "c", "a"],
            "model_b": ["b", "c", "a", "c", "a", "b", "b"],
            "winner": ["model_a", "model_a", "model_b", "model_a", "tie", "tie (bothbad)", "model_a"],
        }
    ).to_csv(src, index=False)
    out = tmp_path / "out.json"
    assert main(["ratings", str(src), "--method", "bt", "--bootstrap", "300", "--seed", "1", "--json", str(out)]) == 0
    got = json.loads(out.read_text())
    assert set(got) >= {"ratings", "ci", "rank", "winrate", "predicted", "counts", "components"}
    assert sum(got["ratings"].values()) / 3 == pytest.approx(1000, abs=0.02)
    assert all(lo <= got["ratings"][m] <= hi for m, (lo, hi) in got["ci"].items())
    printed = capsys.readouterr().out
    assert "95% CI" in printed and "a" in printed
    assert main(["ratings", str(src), "--method", "elo", "--anchor", "a=1500", "--json", str(out)]) == 0
    got = json.loads(out.read_text())
    assert got["ratings"]["a"] == 1500.0 and "ci" not in got and "rank" not in got
    assert main(["ratings", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_tournament_cli(tiny_model_dir, prompts_csv, tmp_path, capsys):
    db = tmp_path / "s.db"
    t = str(tiny_model_dir)
    out = tmp_path / "lb.json"
    assert (
        main(
            [
                "tournament",
                "--models",
                t,
                f"{t}@temperature=1.0",
                "--suite",
                str(prompts_csv),
                "--judge",
                t,
                "--judge-method",
                "logprob",
                "--rounds",
                "2",
                "--bootstrap",
                "100",
                "--store",
                str(db),
                "--json",
                str(out),
                "--max-new-tokens",
                "8",
            ]
        )
        == 0
    )
    got = json.loads(out.read_text())
    assert got["battles"] == 2 and got["stop_reason"] == "round-robin done"
    assert "tournament on prompts" in capsys.readouterr().out
    csv_out = tmp_path / "export.csv"
    assert main(["battles", "export", str(csv_out), "--store", str(db)]) == 0
    assert len(pd.read_csv(csv_out)) == 2


def test_import_and_read_battles_on_postgresql(tmp_path, pg_store):
    src = tmp_path / "arena.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in ARENA) + "\n")
    run_id, n = import_battles(pg_store, src, judge="arena", suite="arena")
    df = battles_frame(pg_store, run_id=run_id, judge_kind="import")
    assert n == len(df) == 4 and set(df.judge) == {"arena"}
    from evalkit.ratings import leaderboard

    assert leaderboard(df, bootstrap=50)["models"][0] == "vicuna-13b"


@pytest.mark.parametrize(
    "extra,option",
    [
        (["--rounds", "-1"], "--rounds"),
        (["--rounds", "0"], "--rounds"),
        (["--adaptive", "--target-ci", "-5"], "--target-ci"),
        (["--budget", "0"], "--budget"),
        (["--limit", "-1"], "--limit"),
        (["--max-new-tokens", "0"], "--max-new-tokens"),
        (["--bootstrap", "-1"], "--bootstrap"),
        (["--min-battles", "-2"], "--min-battles"),
    ],
)
def test_tournament_options_out_of_range_exit_2_before_any_work(prompts_csv, tmp_path, capsys, extra, option):
    db = tmp_path / "s.db"
    with pytest.raises(SystemExit) as e:
        main(
            [
                "tournament",
                "--models",
                "a",
                "b",
                "--suite",
                str(prompts_csv),
                "--judge",
                "reference",
                "--store",
                str(db),
            ]
            + extra
        )
    assert e.value.code == 2 and f"argument {option}: must be" in capsys.readouterr().err
    assert not db.exists()


def test_tournament_contestant_errors_name_the_option(tmp_path, capsys):
    src = tmp_path / "p.csv"
    src.write_text("id,question,reference\np1,What is 2 + 2?,4\n")
    base = ["tournament", "--suite", str(src), "--judge", "reference", "--store", str(tmp_path / "s.db")]
    assert main(base + ["--models", "default"]) == 2
    assert "--models: a tournament needs at least two contestants, got 1" in capsys.readouterr().err
    assert main(base + ["--models", "a=default", "a=default@temperature=1"]) == 2
    assert "--models: contestant 'a' is listed twice" in capsys.readouterr().err
