"""The one results store: runs, cached model outputs, suite results, ratings, battles and training metrics."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workbench.store import owner, schema
from workbench.store.owner import INTERRUPTED

__all__ = ["INTERRUPTED", "Store", "open_store", "schema", "store_url", "utcnow"]

_MIGRATIONS = Path(__file__).with_name("migrations")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def store_url(url: str | os.PathLike | None = None) -> str:
    """Turn a URL, a file path or nothing ($WORKBENCH_STORE, else the XDG data dir) into a SQLAlchemy URL."""
    url = str(url) if url else os.environ.get("WORKBENCH_STORE")
    if not url:
        from workbench.paths import data_dir

        url = str(data_dir() / "store.db")
    if "://" not in url:
        path = Path(url).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    return url


def _sqlite_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock up front: concurrent writers queue on busy_timeout instead of
        # failing with "database is locked" when a read transaction tries to upgrade to a write.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Store:
    """A SQLAlchemy engine over the workbench schema, migrated to head on open."""

    def __init__(self, url: str | os.PathLike | None = None, *, migrate: bool = True):
        self.url = store_url(url)
        self._heartbeat = owner.Heartbeat(self._beat)
        self.interrupted: list[str] = []  # runs this open found dead and marked "interrupted"
        try:
            if self.url.startswith("sqlite"):
                self.engine = _sqlite_engine(self.url)
            else:
                if self.url.startswith("postgresql://"):
                    self.url = "postgresql+psycopg://" + self.url[len("postgresql://") :]
                self.engine = sa.create_engine(self.url, pool_pre_ping=True, pool_size=10, max_overflow=20)
            if migrate:
                self.migrate()
                self.interrupted = self.mark_interrupted()
        except (sa.exc.ArgumentError, sa.exc.DBAPIError) as e:  # a bad URL, no such driver, not a database, no server
            raise _open_error(self.url, e) from None

    # -- schema -------------------------------------------------------------------------------------------
    @property
    def shown_url(self) -> str:
        """The URL to print: a password in it is masked (the real one stays in `url`)."""
        return shown_url(self.url)

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision` with Alembic (creates every table on an empty database)."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        heads = set(ScriptDirectory.from_config(cfg).get_heads())
        with self.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
        if revision == "head" and current == heads:
            return
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # -- writes ---------------------------------------------------------------------------------------------
    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            yield conn

    def insert(self, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
        rows = [dict(r) for r in rows]
        if not rows:
            return 0
        if "created_at" in table.c:
            now = utcnow()
            for r in rows:
                r.setdefault("created_at", now)
        with self.engine.begin() as conn:
            conn.execute(table.insert(), rows)
        return len(rows)

    def start_run(
        self,
        kind: str,
        name: str,
        *,
        model: str | None = None,
        fingerprint: str | None = None,
        config: dict | None = None,
        run_id: str | None = None,
    ) -> str:
        """A new "running" run, owned by this process (pid, host, heartbeat) unless it is of a kind that outlives
        its process (owner.LASTING_KINDS: a rating session)."""
        run_id = run_id or str(uuid.uuid4())
        row: dict[str, Any] = dict(
            id=run_id, kind=kind, name=name, model=model, fingerprint=fingerprint, config=config or {}, status="running"
        )
        lasting = kind in owner.LASTING_KINDS
        if not lasting:
            row.update(pid=os.getpid(), host=owner.this_host(), heartbeat_at=utcnow())
        self.insert(schema.runs, [row])
        if not lasting:
            self._heartbeat.add(run_id)
        return run_id

    def resume_run(self, run_id: str) -> None:
        """Take over an unfinished run (one "interrupted", or "running" in a process that is gone): this process
        owns it now and it is "running" again."""
        with self.engine.begin() as conn:
            conn.execute(
                schema.runs.update()
                .where(schema.runs.c.id == run_id)
                .values(
                    status="running", finished_at=None, pid=os.getpid(), host=owner.this_host(), heartbeat_at=utcnow()
                )
            )
        self._heartbeat.add(run_id)

    def finish_run(self, run_id: str, status: str = "done", summary: dict | None = None) -> None:
        self._heartbeat.discard(run_id)
        with self.engine.begin() as conn:
            conn.execute(
                schema.runs.update()
                .where(schema.runs.c.id == run_id)
                .values(status=status, summary=summary, finished_at=utcnow())
            )

    def _beat(self, run_ids: list[str]) -> None:
        t = schema.runs
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id.in_(run_ids), t.c.status == "running").values(heartbeat_at=utcnow()))

    def mark_interrupted(self) -> list[str]:
        """Mark "interrupted" every run left "running" by a process that is gone (owner.gone: on this host its pid
        is dead, from another host its heartbeat is stale); returns their ids. Runs without an owner are left."""
        t, now = schema.runs, utcnow()
        q = sa.select(t.c.id, t.c.pid, t.c.host, t.c.heartbeat_at).where(t.c.status == "running", t.c.pid.is_not(None))
        with self.engine.connect() as conn:
            dead = [r.id for r in conn.execute(q) if owner.gone(r.pid, r.host, r.heartbeat_at, now=now)]
        if dead:
            with self.engine.begin() as conn:
                conn.execute(
                    t.update()
                    .where(t.c.id.in_(dead), t.c.status == "running")
                    .values(status=INTERRUPTED, finished_at=now)
                )
        return dead

    def delete_runs(self, run_ids: Iterable[str]) -> int:
        """Delete runs and every row filed under them (case results, training metrics, battles, verdicts), in one
        transaction; returns how many runs went."""
        ids = list(run_ids)
        if not ids:
            return 0
        with self.engine.begin() as conn:
            for table in (schema.case_results, schema.train_metrics, schema.battles, schema.ratings):
                conn.execute(table.delete().where(table.c.run_id.in_(ids)))
            return conn.execute(schema.runs.delete().where(schema.runs.c.id.in_(ids))).rowcount

    # -- reads ----------------------------------------------------------------------------------------------
    def run(self, run_id: str) -> dict | None:
        """One run by id, or by a unique id prefix."""
        t = schema.runs
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t).where(t.c.id.like(f"{run_id}%"))).mappings().all()
        return dict(rows[0]) if len(rows) == 1 else None

    def runs(self, kind: str | None = None, limit: int | None = 50, status: str | None = None) -> list[dict]:
        """Runs, newest first (optionally of one kind or status), at most `limit` (None: all)."""
        t = schema.runs
        q = sa.select(t).order_by(t.c.created_at.desc()).limit(limit)
        if kind:
            q = q.where(t.c.kind == kind)
        if status:
            q = q.where(t.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def dispose(self) -> None:
        self._heartbeat.stop()
        self.engine.dispose()


def shown_url(url: str) -> str:
    """`url` with any password masked, for messages and logs."""
    return sa.engine.make_url(url).render_as_string(hide_password=True) if "://" in url else url


def _open_error(url: str, e: Exception):
    from workbench.errors import UserError

    shown = shown_url(url)
    reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
    return UserError(
        f"cannot open the results store {shown}: {reason}",
        hint="--store takes a SQLite file (made if missing) or a SQLAlchemy URL such as "
        "postgresql://user@host/db; $WORKBENCH_STORE sets the default",
    )


def open_store(url: str | os.PathLike | None = None) -> Store:
    """Open (and migrate) the results store at `url`, a path, or the default location."""
    return Store(url)
