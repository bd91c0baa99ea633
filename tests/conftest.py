"""Shared fixtures: a tiny real model, the embedded default model, real SQLite and PostgreSQL stores, a real server."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A random small Llama with a locally trained tokenizer, saved like any user model."""
    from fixtures.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), seed=0)


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from workbench.models import load_model

    return load_model(str(tiny_model_dir))


@pytest.fixture(scope="session")
def default_model():
    from workbench.models import load_model

    return load_model("default")


@pytest.fixture()
def store(tmp_path):
    from workbench.store import open_store

    s = open_store(tmp_path / "store.db")
    yield s
    s.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: .ci/run installs Debian's postgresql package")
    return path


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory):
    """A real PostgreSQL server in a temp dir, run as an unprivileged user (the server refuses root)."""
    root = Path(tempfile.mkdtemp(prefix="wb-pg-"))
    data, port = root / "data", free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = "postgres" if subprocess.run(["id", "postgres"], capture_output=True).returncode == 0 else "nobody"
        shutil.chown(root, user=user)
        os.chmod(root, 0o700)
        prefix = ["runuser", "-u", user, "--"]
    subprocess.run(
        prefix + [_pg_bin("initdb"), "-D", str(data), "-U", "wb", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        prefix
        + [
            _pg_bin("pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-w",
            "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    yield f"postgresql+psycopg://wb@127.0.0.1:{port}/postgres"
    subprocess.run(prefix + [_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def pg_store(pg_url, request):
    """A fresh database on the session's PostgreSQL server, migrated to head."""
    import sqlalchemy as sa

    from workbench.store import open_store

    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:40] + f"_{os.getpid()}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    s = open_store(pg_url.rsplit("/", 1)[0] + f"/{name}")
    yield s
    s.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def wait_http(url: str, proc: subprocess.Popen | None = None, timeout: float = 120.0) -> None:
    import httpx

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if httpx.get(url, timeout=2, trust_env=False).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


@pytest.fixture(scope="session")
def served_tiny(tiny_model_dir):
    """`evalkit serve` over the tiny model in a subprocess; yields the base URL (…/v1)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalkit", "serve", str(tiny_model_dir), "--port", str(port), "--name", "tiny"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models", proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(10)
