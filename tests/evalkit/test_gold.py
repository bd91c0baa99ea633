"""Gold items in a rating session: marked with a known verdict, mixed unannounced into every rater's queue at the
chosen rate, and each rater's accuracy on them, counted directly from the stored votes (real SQLite store)."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from evalkit import gold, sessions
from evalkit.agreement import agreement_report
from evalkit.verdicts_io import read_ratings
from workbench.errors import UserError
from workbench.store import schema


def _items(n):
    return [dict(item_id=f"q{i}", prompt=f"p{i}", outputs={"a": f"x{i}", "b": f"y{i}"}) for i in range(n)]


@pytest.fixture
def session(store):
    made = sessions.open_session(store, "gold test", _items(60), models=["a", "b"], k=1, new_people=["P", "Q", "R"])
    sid = made["session_id"]
    units = [u["unit_id"] for u in gold.session_units(store, sid)]
    return sid, units, [p["id"] for p in made["people"]]


def _queues(store, sid):
    a = schema.assignments
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(a).where(a.c.session_id == sid)).mappings().all()
    return pd.DataFrame(rows)


def test_gold_is_mixed_into_every_queue_at_the_rate(store, session):
    sid, units, raters = session
    key = {u: ("A" if i % 2 else "B") for i, u in enumerate(units[:8])}
    gold.set_gold(store, sid, key)
    before = _queues(store, sid)
    added = gold.mix_gold(store, sid, rate=0.2, seed=1)
    after = _queues(store, sid)
    assert sum(added.values()) > 0 and len(after) == len(before) + sum(added.values())
    for r in raters:
        mine = after[after.rater_id == r]
        n_gold = int(mine.item_id.isin(key).sum())
        assert n_gold >= 1 and n_gold / len(mine) == pytest.approx(0.2, abs=0.1)
        assert sorted(mine.position) == list(range(len(mine)))  # one place per item, no gaps
        assert not mine.item_id.duplicated().any()
    # gold payloads look like any other: nothing on the rater's side says "gold"
    assert {frozenset(p) for p in after.payload} == {frozenset({"prompt", "models", "outputs", "reference", "order"})}
    assert gold.session_gold(store, sid) == key


def test_gold_accuracy_from_stored_votes(store, session):
    sid, units, raters = session
    key = dict.fromkeys(units[:6], "A")
    gold.set_gold(store, sid, key)
    gold.mix_gold(store, sid, rate=0.3, seed=2)
    for r in raters:  # everyone clicks the left answer: right on gold exactly when A was shown on the left
        while (item := sessions.next_item(store, sid, r)) is not None:
            sessions.cast_vote(store, sid, r, item["item_id"], "left")
    rows = [x for x in read_ratings(store, kind="pairwise") if x["session_id"] == sid]
    df = pd.DataFrame({"item_id": [x["item_id"] for x in rows], "rater": [x["rater"] for x in rows]})
    df["rating"] = [x["verdict"] for x in rows]
    rows_gold = [(f"gold:{u}", {"item_id": u, "verdict": v}) for u, v in key.items()]
    rep = agreement_report(df, gold=rows_gold, consensus="majority", bootstrap=0)
    for r in raters:
        mine = [x for x in rows if x["rater"] == r and x["item_id"] in key]
        want = sum(x["order_shown"] == "AB" for x in mine) / len(mine)
        assert rep["raters"][r]["gold_accuracy"]["value"] == pytest.approx(want)


def test_bad_gold_is_named_and_counted(store, session):
    sid, units, _ = session
    rows = [("g.csv:2", {"unit_id": units[0], "verdict": "A"}), ("g.csv:3", {"unit_id": units[1], "verdict": ""})]
    rows.append(("g.csv:4", {"unit_id": units[2], "verdict": ""}))
    with pytest.raises(UserError, match=r"g.csv:3 \(.*\): gold item has no verdict \(2 of 3 gold rows\)"):
        gold.check_gold(rows, units)
    with pytest.raises(UserError, match="not in the session"):
        gold.check_gold([("g.csv:2", {"unit_id": "nope", "verdict": "B"})], units)
    with pytest.raises(UserError, match="has no gold items"):
        gold.mix_gold(store, sid, rate=0.1)
    gold.set_gold(store, sid, {units[0]: "A"})
    with pytest.raises(UserError, match="gold rate"):
        gold.mix_gold(store, sid, rate=0.9)
