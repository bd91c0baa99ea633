"""`evalkit app --print-url`: a fresh admin link that signs in, and the old one stops working."""

from __future__ import annotations

import re

import pytest

from evalkit import people
from evalkit.cli import main


def test_print_url_issues_a_working_admin_link(store, capsys):
    assert main(["app", "--store", store.url, "--print-url", "--port", "8600"]) == 0
    first = re.search(r"http://127\.0\.0\.1:8600/\?token=(\S+)", capsys.readouterr().out).group(1)
    assert people.login_token(store, first).is_admin
    assert main(["app", "--store", store.url, "--print-url"]) == 0
    second = re.search(r"\?token=(\S+)", capsys.readouterr().out).group(1)
    assert people.login_token(store, second).id == "admin"
    with pytest.raises(people.AuthError, match="forged"):
        people.login_token(store, first)  # rotated: the previous admin link no longer opens the app


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


def _gone(pid: int, within: float) -> bool:
    import time

    from workbench.store.owner import alive

    deadline = time.time() + within
    while time.time() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_stopping_evalkit_app_stops_the_streamlit_child(tmp_path, sig):
    """SIGTERM to `evalkit app` left the Streamlit child running, reparented and still answering (issue 16, defect
    9): the signal is passed on and awaited; even kill -9 of `evalkit app` takes the child down (Linux)."""
    import signal
    import subprocess
    import sys

    from tests.conftest import free_port, wait_http

    port = free_port()
    app = subprocess.Popen(
        [sys.executable, "-m", "evalkit", "app", "--store", str(tmp_path / "s.db"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", app, timeout=120)
        (child,) = _children(app.pid)
        app.send_signal(getattr(signal, sig))
        assert app.wait(20) == (0 if sig == "SIGTERM" else -signal.SIGKILL)
        assert _gone(child, within=10), "the Streamlit child outlived `evalkit app`"
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
