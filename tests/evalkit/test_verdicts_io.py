"""Verdicts in and out of the store: native round trip, agree layout, MT-Bench layout, file:line errors; the one
verdict vocabulary they are spelled in."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from evalkit import verdicts_io as vio
from evalkit.agreement import agreement_report
from workbench import verdicts
from workbench.errors import UserError
from workbench.store import open_store, schema

MTBENCH = [
    {
        "question_id": 81,
        "model_a": "gpt-4",
        "model_b": "alpaca-13b",
        "winner": "model_a",
        "judge": "expert_0",
        "turn": 1,
    },
    {
        "question_id": 81,
        "model_a": "alpaca-13b",
        "model_b": "gpt-4",
        "winner": "model_b",
        "judge": "author_2",
        "turn": 1,
    },
    {"question_id": 81, "model_a": "gpt-4", "model_b": "alpaca-13b", "winner": "tie", "judge": "gpt4_pair", "turn": 1},
    {
        "question_id": 82,
        "model_a": "vicuna-13b",
        "model_b": "llama-13b",
        "winner": "tie (bothbad)",
        "judge": "expert_0",
        "turn": 2,
    },
    {
        "question_id": 82,
        "model_a": "llama-13b",
        "model_b": "vicuna-13b",
        "winner": "model_a",
        "judge": "gpt4_pair",
        "turn": 2,
    },
]


def _rows(store):
    t = schema.ratings
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t).order_by(t.c.id)).mappings()]


def test_mtbench_layout_import_canonicalises_pairs_and_round_trips(tmp_path, store):
    src = tmp_path / "human.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in MTBENCH))
    got = vio.import_verdicts(store, src)
    assert got["layout"] == "mtbench" and got["ratings"] == 5 and got["items"] == 2
    rows = _rows(store)
    by = {(r["rater"], r["item_id"]): r for r in rows}
    # author_2 saw the pair as (alpaca-13b, gpt-4) and picked model_b = gpt-4: the same vote as expert_0's
    assert by["expert_0", "81/t1/alpaca-13b vs gpt-4"]["verdict"] == "B"
    assert by["author_2", "81/t1/alpaca-13b vs gpt-4"]["verdict"] == "B"
    assert by["gpt4_pair", "81/t1/alpaca-13b vs gpt-4"]["rater_kind"] == "llm"
    assert by["expert_0", "82/t2/llama-13b vs vicuna-13b"]["verdict"] == "bothbad"
    assert by["gpt4_pair", "82/t2/llama-13b vs vicuna-13b"]["verdict"] == "A"
    out = tmp_path / "back.csv"
    assert vio.export_verdicts(store, out, layout="mtbench") == 5
    back = [r for _, r in vio.read_records(out)]
    assert {(r["judge"], r["winner"], r["turn"]) for r in back} == {
        ("expert_0", "model_b", "1"),
        ("author_2", "model_b", "1"),
        ("gpt4_pair", "tie", "1"),
        ("expert_0", "tie (bothbad)", "2"),
        ("gpt4_pair", "model_a", "2"),
    }
    # and the exported file imports again to the same votes
    other = open_store(tmp_path / "other.db")
    vio.import_verdicts(other, out)
    assert sorted((r["rater"], r["item_id"], r["verdict"]) for r in _rows(other)) == sorted(
        (r["rater"], r["item_id"], r["verdict"]) for r in rows
    )
    other.dispose()


def test_native_round_trip_jsonl_and_csv(tmp_path, store):
    rows = [
        dict(
            item_id="c1",
            kind="pairwise",
            prompt="Q, with comma",
            model_a="m1",
            model_b="m2",
            output_a="x\ny",
            output_b="z",
            rater="alice",
            rater_kind="human",
            verdict="A",
            order_shown="BA",
            raw={"note": "한국어"},
        ),
        dict(
            item_id="c2",
            kind="single",
            prompt="Q2",
            model_a="m1",
            rater="judge",
            rater_kind="llm",
            verdict="score",
            score=7.5,
            rationale="Rating: [[7.5]]",
        ),
    ]
    for r in rows:
        store.insert(schema.ratings, [r])
    for ext in ("jsonl", "csv", "json"):
        path = tmp_path / f"r.{ext}"
        assert vio.export_verdicts(store, path) == 2
        fresh = open_store(tmp_path / f"{ext}.db")
        assert vio.import_verdicts(fresh, path)["layout"] == "native"
        a, b = _rows(store), _rows(fresh)
        # every field but those a fresh import sets anew (its run, session and time)
        keys = [k for k in vio.NATIVE_FIELDS if k not in ("run_id", "session_id", "created_at")]
        assert [{k: r[k] for k in keys} for r in a] == [{k: r[k] for k in keys} for r in b]
        fresh.dispose()


def test_a_one_verdict_json_export_reads_back(tmp_path, store):
    store.insert(
        schema.ratings,
        [
            dict(
                item_id="only",
                kind="pairwise",
                model_a="m1",
                model_b="m2",
                rater="김민준",
                rater_kind="human",
                verdict="bothbad",
            )
        ],
    )
    path = tmp_path / "one.json"
    assert vio.export_verdicts(store, path) == 1
    fresh = open_store(tmp_path / "fresh.db")
    vio.import_verdicts(fresh, path)
    assert [(r["item_id"], r["rater"], r["verdict"]) for r in _rows(fresh)] == [("only", "김민준", "bothbad")]
    fresh.dispose()


def test_agree_layout_feeds_agreement(tmp_path, store):
    store.insert(
        schema.ratings,
        [
            dict(
                item_id=f"i{i}",
                kind="pairwise",
                rater=r,
                rater_kind=k,
                verdict=v,
                output_a="aa" * (i + 1),
                output_b="b",
                raw={"per_order": [{"mapped": v}, {"mapped": "A"}]} if k == "llm" else None,
            )
            for i, vs in enumerate([("A", "A", "A"), ("B", "B", "A"), ("tie", "A", "A"), ("B", "B", "B")])
            for r, k, v in zip(("h1", "h2", "llm"), ("human", "human", "llm"), vs)
        ],
    )
    path = tmp_path / "agree.csv"
    vio.export_verdicts(store, path, layout="agree")
    import pandas as pd

    df = pd.read_csv(path)
    assert {"item_id", "rater", "rating", "rater_kind", "rating_swapped", "len_a", "len_b"} <= set(df.columns)
    rep = agreement_report(df, judge="llm", bootstrap=0)
    assert rep["position_consistency"] == pytest.approx(0.75)  # llm first/swapped: A/A, A/A, A/A, B/A
    assert rep["judge"]["per_human"][0]["percent_agreement"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "content,ext,match",
    [
        (
            '{"item_id": "a", "rater": "r", "rating": "A"}\n{"item_id": "b", "rater": \n',
            "jsonl",
            r"bad\.jsonl:2: not valid JSON",
        ),
        (
            "question_id,model_a,model_b,winner,judge,turn\n1,x,y,model_a,e,1\n2,x,y,left,e,1\n",
            "csv",
            r"bad\.csv:3: field 'winner' is 'left'",
        ),
        ("item_id,rater,rating\nq1,r1,A\nq2,,B\n", "csv", r"bad\.csv:3: missing field 'rater'"),
        ("item_id,rater,rating\nq1,r1,maybe\n", "csv", r"bad\.csv:2: field 'rating' is 'maybe'"),
        ("foo,bar\n1,2\n", "csv", "unrecognised ratings columns"),
        ("item_id,rater,verdict,score\nq1,r1,A,high\n", "csv", r"bad\.csv:2: field 'score' is 'high', not a number"),
    ],
)
def test_bad_files_name_file_and_line_and_write_nothing(tmp_path, store, content, ext, match):
    path = tmp_path / f"bad.{ext}"
    path.write_text(content)
    with pytest.raises(UserError, match=match):
        vio.import_verdicts(store, path)
    assert _rows(store) == []


def test_cli_import_export(tmp_path):
    from evalkit.cli import main

    src = tmp_path / "h.csv"
    vio.write_records(src, MTBENCH)
    db = tmp_path / "s.db"
    assert main(["ratings-import", str(src), "--store", str(db)]) == 0
    assert main(["ratings-export", str(tmp_path / "a.csv"), "--layout", "agree", "--store", str(db)]) == 0
    assert main(["agree", str(tmp_path / "a.csv"), "--judge", "gpt4_pair", "--bootstrap", "50"]) == 0
    assert main(["ratings-import", str(tmp_path / "missing.csv"), "--store", str(db)]) == 2
    # the verdicts-* aliases run the same commands
    assert main(["verdicts-export", str(tmp_path / "b.csv"), "--layout", "agree", "--store", str(db)]) == 0
    assert (tmp_path / "b.csv").read_text() == (tmp_path / "a.csv").read_text()
    assert main(["verdicts-import", str(tmp_path / "b.csv"), "--store", str(db)]) == 0


def test_import_on_postgres(tmp_path, pg_store):
    src = tmp_path / "human.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in MTBENCH))
    assert vio.import_verdicts(pg_store, src)["ratings"] == 5
    out = tmp_path / "pg.jsonl"
    assert vio.export_verdicts(pg_store, out, layout="agree") == 5


def test_agree_files_read_by_tabular_name_file_and_line(tmp_path):
    """A verdicts file is read by workbench.tabular: a JSON array works, a ragged CSV row is named by its line."""
    arr = tmp_path / "r.json"
    arr.write_text(
        json.dumps([{"item_id": "q1", "rater": "a", "rating": "A"}, {"item_id": "q1", "rater": "b", "rating": "B"}])
    )
    assert [r["rater"] for _, r in vio.read_records(arr)] == ["a", "b"]
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("item_id,rater,rating\nq1,a,A\nq1,b,B,extra\n")
    with pytest.raises(UserError, match=r"ragged\.csv:3: 4 fields where the header has 3") as e:
        vio.read_records(ragged)
    assert "--skip-bad" not in str(e.value)  # an import takes every line or none
    text = tmp_path / "x.txt"
    text.write_text("item_id,rater,rating\n")
    with pytest.raises(UserError, match="unknown ratings file type"):
        vio.read_records(text)


def test_one_vocabulary():
    """Every spelling resolves through workbench.verdicts; battles and judges agree on what a verdict scores."""
    assert [verdicts.parse(s) for s in ("A", "model_a", " B ", "tie", "Draw", "tie (bothbad)", "both bad", "d")] == [
        "A",
        "A",
        "B",
        "tie",
        "tie",
        "bothbad",
        "bothbad",
        "bothbad",
    ]
    assert verdicts.parse("c") == "tie" and verdicts.parse("c", letters=False) is None
    assert verdicts.parse_stored("PASS") == "pass" and verdicts.parse_stored("maybe") is None
    assert {verdicts.to_winner(v) for v in verdicts.PAIRWISE} == {"model_a", "model_b", "tie", "tie (bothbad)"}
    assert all(verdicts.from_winner(verdicts.to_winner(v)) == v for v in verdicts.PAIRWISE)
    assert [verdicts.swap(v) for v in verdicts.PAIRWISE] == ["B", "A", "tie", "bothbad"]
    assert {"tie", "bothbad", "c", "tie (bothbad)"} <= verdicts.TIE_LIKE and "a" not in verdicts.TIE_LIKE
    assert verdicts.MARKERS == ("A", "B", "C", "D")


def test_a_model_playing_itself_is_refused_as_ratings_and_battles_import_refuse_it(tmp_path, store, capsys):
    """ratings-import stored an MT-Bench row where a model plays itself (issue 16, defect 6): every import path now
    gives the same message, naming file:line."""
    from evalkit.cli import main

    rows = [MTBENCH[0], {**MTBENCH[1], "model_a": "gpt-4", "model_b": " gpt-4"}]
    mt = tmp_path / "mt.jsonl"
    mt.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["ratings-import", str(mt), "--store", store.url]) == 2
    imported = capsys.readouterr().err
    assert f"self-battle at {mt}:2 ('gpt-4' vs itself)" in imported
    assert _rows(store) == [] and store.runs() == []
    native = tmp_path / "n.csv"
    native.write_text("item_id,rater,verdict,model_a,model_b\nq1,ann,A,x,y\nq2,ann,B,x,x\n")
    with pytest.raises(UserError, match=r"self-battle at .*n\.csv:3 \('x' vs itself\)"):
        vio.import_verdicts(store, native)

    battles = tmp_path / "b.jsonl"
    battles.write_text("".join(json.dumps({k: r[k] for k in ("model_a", "model_b", "winner")}) + "\n" for r in rows))
    assert main(["battles", "import", str(battles), "--store", store.url]) == 2
    assert main(["ratings", str(battles)]) == 2
    for err in capsys.readouterr().err.split("error: ")[1:]:
        assert err.split("\n")[0] == imported.split("error: ")[1].split("\n")[0].replace(str(mt), str(battles))


@pytest.mark.parametrize(
    "name,content,expect",
    [
        # the line ends before its JSON does: the error is at the end of that line, not "column 1" of the next
        ("array.json", '[{"item_id": "q1", "rater": "a", "rating": "A"},\n', "array.json:1: not valid JSON (Expecting"),
        ("cut.jsonl", '{"item_id": "q1", "rater": "a", "rating": "A"}\n{"item_id": "q2", "rater": \n', "cut.jsonl:2"),
        ("tail.jsonl", '{"item_id": "q1", "rater": "ann", "rating": "A"} x\n', "tail.jsonl:1: not valid JSON (Extra "),
    ],
)
def test_json_errors_name_the_right_line_and_column(tmp_path, store, name, content, expect):
    """ratings-import said "column 1" for an error at the end of a line (issue 16, defect 10)."""
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(UserError) as e:
        vio.import_verdicts(store, path)
    assert expect in e.value.message and "at at" not in e.value.message
    if name == "tail.jsonl":
        assert e.value.message.endswith("at column 50)")  # the x: 1-based column 50
    else:
        assert e.value.message.endswith("at the end of the line)") and "column" not in e.value.message


def test_an_unrecognised_header_names_the_file(tmp_path, store):
    path = tmp_path / "r.csv"
    path.write_text("item_id,rater\nq1,ann\n")
    with pytest.raises(UserError, match=r"r\.csv: no rating column \(columns: item_id, rater\)"):
        vio.import_verdicts(store, path)
    path.write_text("who,what\nann,A\n")
    with pytest.raises(UserError, match=r"r\.csv: unrecognised ratings columns: what, who"):
        vio.import_verdicts(store, path)
