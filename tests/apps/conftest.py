"""Fixtures for the app's tests: a seeded store, an AppTest signed in with a personal link, and a real Streamlit
server for the browser tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "apps" / "app.py")


@contextlib.contextmanager
def serve_app(store, out):
    """`streamlit run apps/app.py` headless on a free 127.0.0.1 port over `store`: yields (url, store, out); stops the
    server and disposes the store afterwards."""
    from tests.conftest import free_port, wait_http

    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", APP, "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           "--client.toolbarMode", "viewer"]  # fmt: skip
    env = {**os.environ, "WORKBENCH_STORE": store.url}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc, timeout=90)
        yield f"http://127.0.0.1:{port}", store, out
    finally:
        proc.terminate()
        proc.wait(10)
        store.dispose()


@pytest.fixture()
def seeded(store, tmp_path, monkeypatch):
    """A store with an audit, suite runs, an open expert session (no human votes yet), judge verdicts and a fine-tune
    run; $WORKBENCH_STORE points at it so the app opens it."""
    from fixtures.seed_store import seed_store

    out = seed_store(store, n_items=6, n_raters=3, k=2, votes_per_rater=0)
    monkeypatch.setenv("WORKBENCH_STORE", store.url)
    return store, out


@pytest.fixture(scope="module")
def voted(tmp_path_factory):
    """A store whose experts have rated their whole queue (for the statistics pages)."""
    import os

    from fixtures.seed_store import seed_store

    from workbench.store import open_store

    d = tmp_path_factory.mktemp("voted")
    st = open_store(d / "store.db")
    out = seed_store(st, n_items=10, n_raters=4, k=2, out_dir=d / "audit")
    old = os.environ.get("WORKBENCH_STORE")
    os.environ["WORKBENCH_STORE"] = st.url
    yield st, out
    if old is None:
        os.environ.pop("WORKBENCH_STORE", None)
    else:
        os.environ["WORKBENCH_STORE"] = old
    st.dispose()


@pytest.fixture(scope="module")
def admin_app(voted):
    """The app signed in as the seeded store's admin, first page rendered: (AppTest, store, seed_store's output)."""
    st, out = voted
    at = app_as(out["admin_token"])
    at.run()
    assert not at.exception, at.exception
    return at, st, out


def app_as(token: str | None, *, lang: str | None = None, **params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    if token:
        at.query_params["token"] = token
    at.query_params.update(params)
    if lang:
        at.context = {"locale": lang}  # AppTest can't set headers; the app falls back to the browser locale
    return at


def page_text(at) -> str:
    """Everything the page shows as text: markdown, titles, captions, alerts, buttons, table cells."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "success",
        "info",
        "warning",
        "error",
        "button",
        "metric",
    ):
        for el in getattr(at, kind):
            parts.append(str(getattr(el, "label", "") or ""))
            parts.append(str(getattr(el, "value", "") or ""))
    for df in at.dataframe:
        parts.append(df.value.to_string())
    return "\n".join(parts)
