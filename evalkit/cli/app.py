"""The Streamlit app, started as its own process: evalkit issues the admin link, the app only draws pages."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import time
from pathlib import Path

from workbench.cli import store_arg
from workbench.errors import UserError


def add_app(sub) -> None:
    p = sub.add_parser("app", help="start the Streamlit app (audits, suites, expert rating, leaderboard, agreement)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--print-url", action="store_true", help="print the admin link and the command, don't start")
    store_arg(p)
    p.set_defaults(func=_app)


def app_script() -> Path:
    """apps/app.py, found without importing the apps package (evalkit sits below it): where Python would import
    `apps` from, else beside the evalkit package in a source checkout."""
    spec = importlib.util.find_spec("apps")
    places = list(spec.submodule_search_locations or []) if spec else []
    places.append(str(Path(__file__).resolve().parents[2] / "apps"))
    for place in places:
        if (Path(place) / "app.py").is_file():
            return Path(place) / "app.py"
    raise UserError("the app (apps/app.py) is not installed", hint="install workbench with its apps package")


def streamlit_command(app: Path, host: str, port: int) -> list[str]:
    """`python -m streamlit run app.py` headless, bound to host:port, no usage statistics, a viewer toolbar."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
GRACE_S = 10.0  # a child still running this long after the stop signal is killed


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, ask for SIGTERM when the parent dies (even by kill -9), so no server is
    left behind answering on its port. Elsewhere a no-op."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_child(cmd: list[str], env: dict) -> int:
    """Run `cmd` in its own process group and wait for it; SIGTERM, SIGINT (Ctrl-C) and SIGHUP to this process are
    passed on to it once and its exit awaited (killed after GRACE_S), so stopping `evalkit app` stops Streamlit too.
    Returns the child's exit code, 0 when it stopped because it was asked to."""
    child = subprocess.Popen(cmd, env=env, process_group=0, preexec_fn=_die_with_parent)
    stop: dict = {}

    def forward(signum, _frame) -> None:
        if child.poll() is None and not stop:
            stop["deadline"] = time.monotonic() + GRACE_S
            child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in STOP_SIGNALS}
    try:
        while True:
            try:
                code = child.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if stop and time.monotonic() > stop["deadline"]:
                    child.kill()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if child.poll() is None:  # an error in this process: never leave the child behind
            child.kill()
            child.wait()
    return 0 if stop else code


def _app(args) -> int:
    import os

    from evalkit.people import admin_token
    from workbench.store import open_store

    store = open_store(args.store)
    token = admin_token(store)  # a fresh admin link each start; the previous one stops working
    print(f"store: {store.shown_url}")
    print(f"admin link (valid 14 days, keep it private): http://{args.host}:{args.port}/?token={token}")
    if args.print_url:
        print(
            "start it with: evalkit app"
            + (f" --store {args.store}" if args.store else "")
            + (f" --port {args.port}" if args.port != 8501 else "")
        )
        return 0
    cmd = streamlit_command(app_script(), args.host, args.port)
    store.dispose()
    return run_child(cmd, env={**os.environ, "WORKBENCH_STORE": store.url})
