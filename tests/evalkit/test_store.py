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
