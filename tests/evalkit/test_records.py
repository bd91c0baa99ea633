"""A suite run's store rows: a rerun picks up the unfinished run of the same suite, model and config."""

from __future__ import annotations

import os
import subprocess
import sys

from evalkit.suites.records import open_run
from workbench.store import schema


def test_a_resumed_suite_run_is_running_again_under_this_process(store, tiny_model):
    config = {"digest": "d1", "model": tiny_model.name, "limit": None}
    run_id, resumed = open_run(store, "smoke", tiny_model, config)
    assert not resumed
    t = schema.runs
    with store.begin() as conn:  # the run's process is gone: the store marks it "interrupted"
        conn.execute(t.update().where(t.c.id == run_id).values(pid=_dead_pid()))
    assert store.mark_interrupted() == [run_id] and store.run(run_id)["finished_at"] is not None

    again, resumed = open_run(store, "smoke", tiny_model, config)
    row = store.run(run_id)
    assert (again, resumed) == (run_id, True)
    assert (row["status"], row["pid"], row["finished_at"]) == ("running", os.getpid(), None)
    assert row["heartbeat_at"] is not None
    other, resumed = open_run(store, "smoke", tiny_model, {**config, "limit": 3})  # another config: a new run
    assert other != run_id and not resumed


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
