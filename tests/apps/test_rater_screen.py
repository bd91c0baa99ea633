"""The rater's screen (AppTest on a real SQLite store) and the votes behind it: guidelines beside a pairwise task,
answers as escaped text with the differences marked, no default score, unsure / skip with a reason, reveal policies,
and changing a vote with its history kept."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from apps import ui
from evalkit import people, sessions, votes
from tests.apps.conftest import app_as, page_text
from workbench import verdicts
from workbench.store import schema

FENCE = "Run this:\n```python\nprint(1)\nThen it prints 1 <b>and stops</b>."


def _session(store, monkeypatch, *, mode="pairwise", n=3, **config):
    monkeypatch.setenv("WORKBENCH_STORE", store.url)
    _, token = people.create_user(store, "Han Seojun", user_id="han")
    outs = {"left-model": "Paris is the capital.", "right-model": "The capital is Paris, on the Seine."}
    items = [dict(item_id=f"q{i}", prompt=f"Capital of France? ({i})", outputs=dict(outs)) for i in range(n)]
    models = list(outs) if mode == "pairwise" else ["left-model"]
    sid = sessions.create_session(store, "s", items, models=models, mode=mode, k=1)
    sessions.assign(store, sid, ["han"], seed=0)
    s = schema.rating_sessions
    with store.begin() as conn:
        cfg = conn.execute(sa.select(s.c.config).where(s.c.id == sid)).scalar()
        conn.execute(s.update().where(s.c.id == sid).values(config={**cfg, **config}))
    return sid, token


def _rows(store, table) -> pd.DataFrame:
    with store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.select(table)).mappings().all())


def test_answer_text_is_escaped_wrapped_and_marks_differences():
    got = ui.text_html(FENCE, "Run this:\n```python\nprint(2)\nThen it prints 2.")
    assert "```python" in got and "&lt;b&gt;and stops&lt;/b&gt;" in got and "<b>" not in got
    assert "white-space:pre-wrap" in got and "overflow-wrap:anywhere" in got
    marked = [p for p, differs in ui.differing_spans("the cat sat", "the dog sat") if differs]
    assert marked == ["cat"]
    assert "<mark" not in ui.text_html("same", "same")


def test_pairwise_screen_shows_the_guidelines_and_one_step_votes(store, monkeypatch):
    sid, token = _session(store, monkeypatch, rubric="Prefer the answer that names the river.", reveal="never")
    at = app_as(token)
    at.run()
    assert not at.exception
    text = page_text(at)
    assert "Prefer the answer that names the river." in text and "left-model" not in text
    at.button(key="vote_left").click().run()
    assert at.success[0].value == "Saved."  # "never": no names, and the next comparison is already here
    assert [p.proto.text for p in at.get("progress")] == ["2 of 3"]
    assert "left-model" not in page_text(at)


def test_skip_needs_a_reason_and_stays_out_of_agreement(store, monkeypatch):
    sid, token = _session(store, monkeypatch, reveal="end")
    at = app_as(token)
    at.run()
    at.button(key="vote_skip").click().run()
    assert "why you are unsure" in page_text(at) and _rows(store, schema.ratings).empty
    at.text_area[0].input("I cannot check the river").run()
    at.button(key="vote_skip").click().run()
    r = _rows(store, schema.ratings)
    assert list(r["verdict"]) == ["skip"] and list(r["rationale"]) == ["I cannot check the river"]
    assert _rows(store, schema.battles).empty  # a skip says nothing about the models
    assert verdicts.SKIP in verdicts.NO_VERDICT


def test_single_mode_has_no_default_score(store, monkeypatch):
    sid, token = _session(store, monkeypatch, mode="single", scale=[1, 5], reveal="each")
    at = app_as(token)
    at.run()
    assert at.button(key="vote_score").disabled  # S does nothing until a score is chosen
    assert [b.label for b in at.button if b.key.startswith("score_btn_")] == ["1", "2", "3", "4", "5"]
    at.button(key="score_btn_4").click().run()
    at.button(key="vote_score").click().run()
    assert list(_rows(store, schema.ratings)["score"]) == [4.0]
    assert "left-model" in at.success[0].value  # "each": the answer's model named once it is scored


def test_reveal_at_the_end_then_votes_are_final(store, monkeypatch):
    sid, token = _session(store, monkeypatch, n=2, reveal="end")
    at = app_as(token)
    at.run()
    for _ in range(2):
        assert "left-model" not in page_text(at)
        at.button(key="vote_tie").click().run()
    assert "You have rated all 2 comparisons" in page_text(at) and "left-model" not in page_text(at)
    at.button(key="show_names").click().run()
    text = page_text(at) + "".join(h.proto.body for h in at.get("html"))
    assert "left-model" in text and "Capital of France? (0)" in text
    assert votes.is_final(store, sid, "han")


def test_change_keeps_the_history_and_the_battle_follows(store, monkeypatch):
    sid, _ = _session(store, monkeypatch, n=2, reveal="never")
    item = sessions.next_item(store, sid, "han")
    sessions.cast_vote(store, sid, "han", item["item_id"], "left", rationale="shorter")
    assert votes.change(store, sid, "han", item["item_id"], "left", rationale="shorter") == dict(
        item_id=item["item_id"], changed=False
    )
    votes.change(store, sid, "han", item["item_id"], "right", rationale="names the river")
    mine = votes.my_votes(store, sid, "han")
    assert [(v["choice"], v["rationale"], v["changes"]) for v in mine] == [("right", "names the river", 1)]
    r = _rows(store, schema.ratings).iloc[0]
    assert r["raw"]["history"][0]["rationale"] == "shorter"
    b = _rows(store, schema.battles)
    assert len(b) == 1 and b.iloc[0]["winner"] == verdicts.to_winner(r["verdict"])
    votes.change(store, sid, "han", item["item_id"], votes.SKIP, rationale="unsure after all")
    assert _rows(store, schema.battles).empty and _rows(store, schema.ratings).iloc[0]["verdict"] == "skip"
    with pytest.raises(votes.NotVoted):
        votes.change(store, sid, "han", "nope", "left")
    votes.finalise(store, sid, "han")
    with pytest.raises(votes.Closed):
        votes.change(store, sid, "han", item["item_id"], "left")
