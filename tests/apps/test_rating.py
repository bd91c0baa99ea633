"""The expert's rating flow in the app (AppTest), assignment balance, access control, and the concurrent load test."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pandas as pd
import pytest
import sqlalchemy as sa

from evalkit import people, sessions
from tests.apps.conftest import app_as, page_text
from workbench.store import schema


def _rows(store, table) -> pd.DataFrame:
    with store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.select(table)).mappings().all())


def test_blind_pairwise_flow_writes_the_right_rows_and_resumes(seeded):
    store, out = seeded
    rater, token = "expert1", out["tokens"]["expert1"]
    at = app_as(token)
    at.run()
    assert not at.exception
    done, total = sessions.progress(store, out["session_id"], rater)
    units = 6 * 3 - sessions.session_config(store, out["session_id"])["identical_skipped"]
    every = sum(p["total"] for p in sessions.rater_progress(store, out["session_id"]))
    assert done == 0 and total >= 3 and every == 2 * units  # 6 items x 3 pairs (less identical ones) x k=2
    clicks = ["vote_left", "vote_right", "vote_tie"]
    for n, key in enumerate(clicks):
        text = page_text(at)
        for flash in at.success:  # the previous comparison's names (this seeded session reveals after each vote)
            text = text.replace(flash.value, "")
        assert [p.proto.text for p in at.get("progress")] == [f"{n + 1} of {total}"]
        for m in out["models"]:
            assert m not in text, f"model name {m} visible before the vote"
        if n == 0:
            at.text_area(key=at.text_area[0].key).input("shorter and correct").run()
        at.button(key=key).click().run()  # the vote is stored and the next item shows, in one step
        assert at.success[0].value.startswith("Saved.")
        assert any(m in at.success[0].value for m in out["models"])  # names appear only after the vote is stored
        assert len(_rows(store, schema.ratings).query("rater == @rater")) == n + 1
    r = _rows(store, schema.ratings).query("rater == @rater").sort_values("id")
    a = _rows(store, schema.assignments).query("rater_id == @rater")
    assert r["rationale"].tolist()[0] == "shorter and correct" and r["rationale"].iloc[1:].isna().all()
    for (_, row), choice in zip(r.iterrows(), ["left", "right", "tie"]):
        left_model = row["model_a"] if row["order_shown"] == "AB" else row["model_b"]
        if choice == "tie":
            assert row["verdict"] == "tie"
        else:
            winner = left_model if choice == "left" else ({row["model_a"], row["model_b"]} - {left_model}).pop()
            assert row["verdict"] == ("A" if winner == row["model_a"] else "B")
        assert a.set_index("item_id").loc[row["item_id"], "done"]
    b = _rows(store, schema.battles).query("judge == @rater").sort_values("id")
    assert list(b["winner"]) == [{"A": "model_a", "B": "model_b", "tie": "tie"}[v] for v in r["verdict"]]
    assert set(b["judge_kind"]) == {"human"}

    # leave and come back: a fresh session resumes at item 4
    again = app_as(token)
    again.run()
    assert any(f"4 of {total}" in (p.proto.text or "") for p in again.get("progress"))


def test_single_answer_rubric_flow(store, monkeypatch):
    monkeypatch.setenv("WORKBENCH_STORE", store.url)
    user, token = people.create_user(store, "Park Jiwoo", user_id="park")
    items = [dict(item_id=f"q{i}", prompt=f"질문 {i}", outputs={"m1": f"답변 {i}"}) for i in range(3)]
    sid = sessions.create_session(
        store, "rubric", items, models=["m1"], mode="single", k=1, rubric="1 = wrong, 10 = perfect", scale=(1, 10)
    )
    sessions.assign(store, sid, ["park"])
    at = app_as(token, lang="ko")
    at.run()
    assert "1 = wrong, 10 = perfect" in page_text(at)
    at.button(key="score_btn_8").click().run()
    at.button(key="vote_score").click().run()
    r = _rows(store, schema.ratings)
    assert list(r["score"]) == [8.0] and list(r["verdict"]) == ["score"] and list(r["model_a"]) == ["m1"]
    assert _rows(store, schema.battles).empty


def test_assignment_is_balanced_and_never_repeats_a_pair(store):
    raters = [people.create_user(store, f"r{i}", with_token=False)[0].id for i in range(7)]
    items = [dict(item_id=f"i{i}", prompt="p", outputs={m: f"{m}{i}" for m in "abcd"}) for i in range(25)]
    sid = sessions.create_session(store, "s", items, models=list("abcd"), k=3)
    load = sessions.assign(store, sid, raters, seed=3)
    a = _rows(store, schema.assignments)
    assert len(a) == 25 * 6 * 3
    per_unit = a.groupby("item_id")["rater_id"].agg(["size", "nunique"])
    assert (per_unit["size"] == 3).all() and (per_unit["nunique"] == 3).all()
    assert max(load.values()) - min(load.values()) <= 1
    assert not a.duplicated(["rater_id", "item_id"]).any()
    orders = Counter(p["order"] for p in a["payload"])
    assert 0.4 < orders["AB"] / len(a) < 0.6  # left/right randomised
    for _rid, g in a.groupby("rater_id"):
        assert sorted(g["position"]) == list(range(len(g)))


def test_access_rules(seeded):
    store, out = seeded
    rater_token = out["tokens"]["expert1"]
    at = app_as(rater_token)
    at.run()
    for page in ("views/admin.py", "views/leaderboard.py", "views/agreement.py", "views/audit.py"):
        at.switch_page(page).run()
        assert [e.value for e in at.error] == ["This page needs the admin role; your account is a rater account."], page
        assert not at.dataframe
    other = app_as(rater_token, rater="expert2")
    other.run()
    assert [e.value for e in other.error] == ["You can only open your own rating queue."]

    forged = app_as(rater_token[:-4] + "AAAA")
    forged.run()
    assert forged.error[0].value.startswith("This link is not valid")
    user, token = people.create_user(store, "Late", ttl=dt.timedelta(seconds=-1))
    expired = app_as(token)
    expired.run()
    assert expired.error[0].value.startswith("This link has expired")
    with pytest.raises(people.AuthError, match="expired"):
        people.login_token(store, token)

    # only hashes are stored; passwords use scrypt and a wrong one is refused
    stored = _rows(store, schema.raters).set_index("id")
    assert rater_token not in set(stored["token_hash"].dropna())
    assert stored.loc["expert1", "password_hash"].startswith("scrypt$")
    assert people.login_password(store, "expert1", "pass1").id == "expert1"
    with pytest.raises(people.AuthError, match="bad_password"):
        people.login_password(store, "expert1", "pass2")

    # the write path itself refuses another rater's item and a second vote
    a = _rows(store, schema.assignments)
    theirs = set(a.query("rater_id == 'expert2'")["item_id"]) - set(a.query("rater_id == 'expert1'")["item_id"])
    with pytest.raises(sessions.NotAssigned):
        sessions.cast_vote(store, out["session_id"], "expert1", sorted(theirs)[0], "left")
    mine = sessions.next_item(store, out["session_id"], "expert1")
    sessions.cast_vote(store, out["session_id"], "expert1", mine["item_id"], "left")
    with pytest.raises(sessions.AlreadyRated):
        sessions.cast_vote(store, out["session_id"], "expert1", mine["item_id"], "right")


def test_database_refuses_a_second_rating_row(store):
    row = dict(session_id="s", item_id="i", kind="pairwise", rater="x", rater_kind="human", verdict="A")
    store.insert(schema.ratings, [row])
    with pytest.raises(sa.exc.IntegrityError):
        store.insert(schema.ratings, [dict(row, verdict="B")])


def _load(store, n_raters=20, votes=50):
    """20 raters x 50 votes from 20 threads through cast_vote; each also retries one vote (must be refused). The
    raters come through the people directory: half already in it (invited by id), half added by name with the
    session (Korean and Latin names), in one `open_session`."""
    known = [people.create_user(store, f"평가자 {i}", with_token=False)[0].id for i in range(n_raters // 2)]
    new = [("김민지", "Kim Minji", "이준호")[i % 3] + f" {i}" for i in range(n_raters - len(known))]
    items = [dict(item_id=f"i{i}", prompt="p", outputs={"a": f"a{i}", "b": f"b{i}"}) for i in range(250)]
    made = sessions.open_session(store, "load", items, models=["a", "b"], k=4, invite=known, new_people=new)
    sid, raters = made["session_id"], [p["id"] for p in made["people"]]
    assert len(set(raters)) == n_raters and {p["items"] for p in made["people"]} == {votes}
    assert [p["name"] for p in made["people"]][len(known) :] == new
    refused, errors = Counter(), []
    start = threading.Barrier(n_raters)

    def rate(rid):
        try:
            start.wait()
            first = None
            while (item := sessions.next_item(store, sid, rid)) is not None:
                sessions.cast_vote(store, sid, rid, item["item_id"], ("left", "right", "tie")[len(rid) % 3])
                first = first or item["item_id"]
            try:
                sessions.cast_vote(store, sid, rid, first, "bothbad")
            except sessions.AlreadyRated:
                refused[rid] += 1
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(e))

    threads = [threading.Thread(target=rate, args=(r,)) for r in raters]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    r = _rows(store, schema.ratings)
    assert len(r) == n_raters * votes
    assert not r.duplicated(["session_id", "item_id", "rater"]).any()
    assert r.groupby("rater").size().eq(votes).all()
    assert sum(refused.values()) == n_raters
    assert len(_rows(store, schema.battles)) == n_raters * votes
    assert _rows(store, schema.assignments)["done"].all()


def _race(store, n=8):
    """The same rater double-clicks: n threads cast the same vote at once; exactly one row survives."""
    racer = people.create_user(store, "racer", with_token=False)[0].id
    sid = sessions.create_session(
        store, "race", [dict(item_id="q", prompt="p", outputs={"a": "x", "b": "y"})], models=["a", "b"], k=1
    )
    sessions.assign(store, sid, [racer])
    item = sessions.next_item(store, sid, racer)["item_id"]
    outcome, start = Counter(), threading.Barrier(n)

    def vote():
        start.wait()
        try:
            sessions.cast_vote(store, sid, racer, item, "left")
            outcome["stored"] += 1
        except sessions.AlreadyRated:
            outcome["refused"] += 1

    threads = [threading.Thread(target=vote) for _ in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert outcome == {"stored": 1, "refused": n - 1}
    assert len(_rows(store, schema.ratings).query("session_id == @sid")) == 1
    assert len(_rows(store, schema.battles).query("run_id == @sid")) == 1


def test_load_sqlite(store):
    _load(store)
    _race(store)


def test_load_postgresql(pg_store):
    _load(pg_store)
    _race(pg_store)


def test_oidc_login_maps_the_email_to_an_invited_rater(seeded):
    """With [auth] in secrets, st.login's identity (st.user.email) must match a rater id; strangers are refused."""
    store, out = seeded
    people.create_user(store, "Kim Minji", user_id="minji@example.com", with_token=False)
    at = app_as(None)
    at.secrets = {"auth": {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x"}}
    at.user = {"is_logged_in": True, "email": "minji@example.com"}
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Rating session"
    stranger = app_as(None)
    stranger.secrets = dict(at.secrets)
    stranger.user = {"is_logged_in": True, "email": "someone@else.com"}
    stranger.run()
    assert stranger.error[0].value.startswith("Your account is not invited")
    anon = app_as(None)
    anon.secrets = dict(at.secrets)
    anon.user = {"is_logged_in": False}
    anon.run()
    assert anon.button(key="oidc_login").label == "Sign in with your organisation account"
