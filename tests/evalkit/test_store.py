"""The results store on a real SQLite file and a real PostgreSQL server: migrations, runs, concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from workbench.store import open_store, schema

TABLES = {
    "runs",
    "outputs",
    "case_results",
    "ratings",
    "battles",
    "train_metrics",
    "rating_sessions",
    "raters",
    "assignments",
    "alembic_version",
}


def _check_fresh(store):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(schema.__file__).with_name("migrations")))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert store.revision() == head and head != "0001"  # every revision applied from an empty database
    assert TABLES <= set(sa.inspect(store.engine).get_table_names())
    run = store.start_run("suite", "smoke", model="default", config={"k": 1})
    store.finish_run(run, summary={"pass_rate": 0.5})
    got = store.run(run[:8])
    assert got["status"] == "done" and got["summary"] == {"pass_rate": 0.5} and got["config"] == {"k": 1}
    assert [r["id"] for r in store.runs(kind="suite")] == [run]


def _hammer(store, writers: int = 10, each: int = 40):
    def work(w):
        for i in range(each):
            store.insert(schema.battles, [dict(model_a=f"w{w}", model_b="x", winner="tie", item_id=str(i))])

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.battles.c.model_a, schema.battles.c.item_id)).all()
    assert len(rows) == writers * each and len(set(rows)) == writers * each


def test_sqlite_migrates_from_empty_and_holds_runs(store):
    _check_fresh(store)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_sqlite_concurrent_writers_lose_nothing(store):
    _hammer(store)


def test_sqlite_concurrent_processes_lose_nothing(tmp_path):
    path = tmp_path / "shared.db"
    open_store(path)
    code = (
        "import sys; from workbench.store import open_store, schema; s = open_store(sys.argv[1]);\n"
        "[s.insert(schema.battles, [dict(model_a=sys.argv[2], model_b='x', winner='tie', item_id=str(i))]) for i in range(50)]"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), f"p{i}"]) for i in range(4)]
    assert [p.wait(120) for p in procs] == [0] * 4
    with open_store(path).engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.battles)).scalar() == 200


def test_rating_once_is_a_database_constraint(store):
    row = dict(session_id="s1", item_id="q1", kind="pairwise", rater="ana", rater_kind="human", verdict="A")
    store.insert(schema.ratings, [row])
    with pytest.raises(sa.exc.IntegrityError):
        store.insert(schema.ratings, [row])


def test_postgres_migrates_and_takes_concurrent_writers(pg_store):
    _check_fresh(pg_store)
    _hammer(pg_store)


def test_store_url_accepts_paths_and_env(tmp_path, monkeypatch):
    from workbench.store import store_url

    assert store_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setenv("WORKBENCH_STORE", str(tmp_path / "env.db"))
    assert store_url() == f"sqlite:///{tmp_path / 'env.db'}"
    assert store_url("postgresql://u@h/db") == "postgresql://u@h/db"


OWNER = (
    "import sys, time; from workbench.store import open_store; s = open_store(sys.argv[1]);\n"
    "print(s.start_run(sys.argv[2], 'killed'), flush=True); time.sleep(120)"
)


def _killed_run(path, kind: str = "audit") -> str:
    """The id of a run opened by a real child process that was then killed with SIGKILL (and reaped)."""
    child = subprocess.Popen([sys.executable, "-c", OWNER, str(path), kind], stdout=subprocess.PIPE, text=True)
    try:
        run_id = child.stdout.readline().strip()
    finally:
        child.kill()
        child.wait(30)
    assert len(run_id) == 36, run_id
    return run_id


def test_a_killed_run_is_marked_interrupted_when_the_store_is_next_opened(tmp_path):
    import datetime as dt

    from workbench.store import INTERRUPTED, utcnow

    path = tmp_path / "s.db"
    mine = open_store(path)
    alive = mine.start_run("suite", "still working")
    session = mine.start_run("session", "open for raters")
    dead_session = _killed_run(path, "session")  # a lasting kind: it has no owning process
    dead = _killed_run(path)
    far_stale, far_fresh = mine.start_run("suite", "far away"), mine.start_run("suite", "far away, alive")
    old = utcnow() - dt.timedelta(hours=1)
    with mine.begin() as conn:
        conn.execute(
            schema.runs.update().where(schema.runs.c.id == far_stale).values(host="elsewhere", heartbeat_at=old)
        )
        conn.execute(schema.runs.update().where(schema.runs.c.id == far_fresh).values(host="elsewhere", pid=1))
    assert mine.run(dead)["status"] == "running" and mine.run(dead)["pid"] > 0 and mine.run(dead)["host"]

    again = open_store(path)
    assert sorted(again.interrupted) == sorted([dead, far_stale])
    status = {r["id"]: r["status"] for r in again.runs(limit=None)}
    assert status == {
        alive: "running",
        session: "running",
        dead: INTERRUPTED,
        dead_session: "running",
        far_stale: INTERRUPTED,
        far_fresh: "running",
    }
    assert again.run(dead)["finished_at"] is not None
    assert open_store(path).interrupted == []  # marked once

    again.resume_run(dead)  # a resumed run is this process's, running again
    got = again.run(dead)
    assert got["status"] == "running" and got["finished_at"] is None and got["pid"] == __import__("os").getpid()
    mine.dispose()
    again.dispose()


def test_store_runs_shows_interrupted_runs_and_prune_deletes_them(tmp_path, capsys):
    from evalkit.cli import main

    path = tmp_path / "s.db"
    st = open_store(path)
    kept = st.start_run("suite", "kept")
    dead = _killed_run(path, "suite")
    st.insert(schema.case_results, [dict(run_id=dead, suite="s", case_id="c1", model="m", status="pass")])
    st.insert(schema.battles, [dict(run_id=dead, model_a="a", model_b="b", winner="tie")])

    assert main(["store", "runs", "--store", str(path)]) == 0
    out = capsys.readouterr()
    assert "marked 1 runs interrupted" in out.err
    assert f"{dead[:8]}  audit" not in out.out and any(
        line.startswith(dead[:8]) and " interrupted " in line for line in out.out.splitlines()
    )
    assert main(["store", "runs", "--status", "interrupted", "--store", str(path)]) == 0
    assert [line[:8] for line in capsys.readouterr().out.splitlines()] == [dead[:8]]

    assert main(["store", "prune", "--store", str(path)]) == 2
    assert "--interrupted" in capsys.readouterr().err
    assert main(["store", "prune", "--interrupted", "--store", str(path)]) == 0
    assert "deleted 1 interrupted runs" in capsys.readouterr().out
    assert [r["id"] for r in st.runs(limit=None)] == [kept]
    with st.engine.connect() as conn:
        for table in (schema.case_results, schema.battles):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
    st.dispose()


def test_the_heartbeat_renews_running_runs_only(tmp_path):
    import time

    from workbench.store import owner

    st = open_store(tmp_path / "s.db")
    st._heartbeat = owner.Heartbeat(st._beat, interval=0.05)
    run, done = st.start_run("suite", "beating"), st.start_run("suite", "finished")
    first = st.run(run)["heartbeat_at"]
    st.finish_run(done)
    finished_beat = st.run(done)["heartbeat_at"]
    time.sleep(0.5)
    assert st.run(run)["heartbeat_at"] > first
    assert st.run(done)["heartbeat_at"] == finished_beat
    st.dispose()


def test_printed_store_urls_mask_the_password():
    from workbench.store import shown_url

    shown = shown_url("postgresql+psycopg://rater:s3cret@db.internal:5432/workbench")
    assert "s3cret" not in shown and shown == "postgresql+psycopg://rater:***@db.internal:5432/workbench"
    assert shown_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
