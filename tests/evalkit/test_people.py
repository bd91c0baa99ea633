"""People and sessions in the store: ids independent of names, one-transaction session creation, reveal policy,
identical pairs, archiving, progress with names and pace, and browser sign-ins (real SQLite store)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from evalkit import people, sessions
from workbench.store import schema


def _items(n=4, same=()):
    """n items answered by models a, b, c; for the item numbers in `same`, a and b answer alike (up to spacing)."""
    return [
        dict(
            item_id=f"q{i}",
            prompt=f"질문 {i}",
            outputs={"a": f"answer {i}", "b": f"answer  {i}\n" if i in same else f"other {i}", "c": f"third {i}"},
        )
        for i in range(n)
    ]


def _count(store, table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar())


def _rows(store, table) -> pd.DataFrame:
    with store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.select(table)).mappings().all())


def test_ids_do_not_come_from_names(store):
    names = ["김민지", "이준호", "Kim Minji", "Kim Minji", "محمد", ""]
    ids = [people.new_person_id(n) for n in names]
    assert len(set(ids)) == len(ids)
    assert ids[0].startswith("person-") and ids[2].startswith("kim-minji-")
    made = sessions.open_session(
        store, "Korean experts", _items(), models=["a", "b"], k=2, new_people=["김민지", "이준호", "Kim Minji"]
    )
    assert [p["name"] for p in made["people"]] == ["김민지", "이준호", "Kim Minji"]
    assert len({p["id"] for p in made["people"]}) == 3
    for p in made["people"]:  # each new person's link signs in as them
        assert people.login_token(store, p["token"]).name == p["name"]
    assert {p["name"] for p in people.directory(store)} == {"김민지", "이준호", "Kim Minji"}


def test_a_person_joins_a_second_session_by_id(store):
    first = sessions.open_session(store, "one", _items(), models=["a", "b"], k=1, new_people=["Kim Minji"])
    minji = first["people"][0]["id"]
    second = sessions.open_session(
        store, "two", _items(), models=["a", "c"], k=2, invite=[minji], new_people=["이준호"]
    )  # fmt: skip
    assert second["people"][0] == dict(id=minji, name="Kim Minji", token=None, items=4)
    assert _count(store, schema.raters) == 2
    assert [s["name"] for s in sessions.rater_sessions(store, minji)] == ["two", "one"]


@pytest.mark.parametrize(
    "ask, key",
    [
        (dict(k=3, new_people=["김민지", "이준호"]), "ad.too_few"),
        (dict(new_people=["김민지", " 김민지 "]), "ad.name_twice"),
        (dict(new_people=["kim minji"]), "ad.name_exists"),  # already in the directory (any case)
        (dict(invite=["nobody-1234"], new_people=["이준호"]), "ad.unknown_person"),
        (dict(new_people=["이준호", "박지우"], reveal="later"), "ad.bad_reveal"),
        (dict(new_people=["이준호", "박지우"], name="  "), "ad.no_name"),
    ],
)
def test_a_refused_session_writes_nothing(store, ask, key):
    people.create_user(store, "Kim Minji", with_token=False)
    before = {t.name: _count(store, t) for t in (schema.raters, schema.rating_sessions, schema.runs)}
    args = dict(name="refused", models=["a", "b"], k=2) | ask
    with pytest.raises(sessions.SetupError) as e:
        sessions.open_session(store, args.pop("name"), _items(), **args)
    assert e.value.key == key
    assert {t.name: _count(store, t) for t in (schema.raters, schema.rating_sessions, schema.runs)} == before
    assert _count(store, schema.assignments) == 0


def test_a_failure_while_writing_leaves_no_session_and_no_person(store):
    sid = sessions.create_session(store, "taken", _items(), models=["a", "b"])
    with pytest.raises(sa.exc.IntegrityError):  # the same session id again: the database refuses the run row
        sessions.open_session(store, "again", _items(), models=["a", "b"], new_people=["김민지"], session_id=sid)
    assert _count(store, schema.raters) == 0 and _count(store, schema.assignments) == 0
    assert [s["name"] for s in sessions.sessions(store)] == ["taken"]


def test_reveal_policy_is_stored_and_old_sessions_reveal_after_each_vote(store):
    made = sessions.open_session(store, "s", _items(), models=["a", "b"], new_people=["x"], reveal="never")
    assert sessions.session_config(store, made["session_id"])["reveal"] == "never"
    default = sessions.create_session(store, "d", _items(), models=["a", "b"])
    assert sessions.session_config(store, default)["reveal"] == "end"
    old = sessions.record_session(store, "old", [], models=["a", "b"])  # as stored before the policy existed
    with store.engine.connect() as conn:
        cfg = conn.execute(
            sa.select(schema.rating_sessions.c.config).where(schema.rating_sessions.c.id == old)
        ).scalar()
    assert "reveal" not in cfg and sessions.session_config(store, old)["reveal"] == "each"


def test_identical_pairs_are_skipped_and_counted(store):
    items = _items(5, same={1, 3})
    assert sessions.identical_pairs(items, ["a", "b", "c"]) == 2
    sid = sessions.create_session(store, "s", items, models=["a", "b", "c"])
    units = _rows(store, schema.rating_sessions).iloc[0]["config"]["units"]
    assert len(units) == 5 * 3 - 2
    assert not any(sessions.same_text(*u["outputs"]) for u in units)
    assert sessions.session_config(store, sid)["identical_skipped"] == 2
    with pytest.raises(sessions.SetupError, match="same answer"):
        sessions.create_session(store, "all same", _items(2, same={0, 1}), models=["a", "b"])


def test_archived_sessions_leave_the_lists_and_stay_in_the_store(store):
    made = sessions.open_session(store, "s", _items(), models=["a", "b"], new_people=["김민지"])
    sid, pid = made["session_id"], made["people"][0]["id"]
    sessions.archive_session(store, sid)
    assert sessions.sessions(store) == [] and sessions.rater_sessions(store, pid) == []
    assert [s["id"] for s in sessions.sessions(store, archived=True)] == [sid]
    assert _count(store, schema.assignments) == 4
    sessions.archive_session(store, sid, archived=False)
    assert [s["id"] for s in sessions.sessions(store)] == [sid]


def test_progress_shows_names_pace_and_expected_finish(store):
    made = sessions.open_session(store, "s", _items(6), models=["a", "b"], new_people=["김민지"])
    sid, pid = made["session_id"], made["people"][0]["id"]
    for _ in range(3):
        item = sessions.next_item(store, sid, pid)
        sessions.cast_vote(store, sid, pid, item["item_id"], "left")
    t0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
    r = schema.ratings
    with store.begin() as conn:  # votes at 9:00, 9:01 and 9:03: gaps of 60 s and 120 s, median 90 s
        ids = [i for (i,) in conn.execute(sa.select(r.c.id).order_by(r.c.id))]
        for rid, minutes in zip(ids, [0, 1, 3]):
            conn.execute(r.update().where(r.c.id == rid).values(created_at=t0 + dt.timedelta(minutes=minutes)))
    (row,) = sessions.rater_progress(store, sid)
    assert (row["name"], row["done"], row["total"], row["s_per_item"]) == ("김민지", 3, 6, 90.0)
    assert row["expected_finish"] == t0 + dt.timedelta(minutes=3, seconds=3 * 90)
    assert sessions.session_summary([row])["expected_finish"] == row["expected_finish"]
    assert sessions.sessions(store)[0]["n_ratings"] == 3


def test_sign_ins_survive_until_ended_expired_or_revoked(store):
    user, _ = people.create_user(store, "김민지")
    token = people.start_sign_in(store, user.id)
    assert people.sign_in_user(store, token) == user
    people.end_sign_in(store, token)
    with pytest.raises(people.AuthError, match="forged"):
        people.sign_in_user(store, token)
    old = people.start_sign_in(store, user.id, ttl=dt.timedelta(seconds=-1))
    with pytest.raises(people.AuthError, match="expired"):
        people.sign_in_user(store, old)
    two = [people.start_sign_in(store, user.id) for _ in range(2)]
    assert people.revoke_sign_ins(store, user.id) == 3
    for tok in two:
        with pytest.raises(people.AuthError):
            people.sign_in_user(store, tok)
    assert token not in set(_rows(store, schema.sign_ins).get("token_hash", []))  # only hashes are stored


def test_language_is_remembered_on_the_person(store):
    user, token = people.create_user(store, "이준호")
    assert people.login_token(store, token).lang is None
    people.set_language(store, user.id, "ko")
    assert people.login_token(store, token).lang == "ko"
    with pytest.raises(ValueError):
        people.set_language(store, user.id, "klingon")
    assert store.revision() == "0004"
