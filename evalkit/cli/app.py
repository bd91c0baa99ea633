"""The Streamlit app, started as its own process."""

from __future__ import annotations

import sys

from workbench.cli import store_arg


def add_app(sub) -> None:
    p = sub.add_parser("app", help="start the Streamlit app (audits, suites, expert rating, leaderboard, agreement)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--print-url", action="store_true", help="print the admin link and the command, don't start")
    store_arg(p)
    p.set_defaults(func=_app)


def _app(args) -> int:
    import os
    import subprocess
    from pathlib import Path

    from apps.auth import create_user, issue_token
    from workbench.store import open_store

    store = open_store(args.store)
    try:
        token = issue_token(store, "admin")  # a fresh admin link each start; the previous one stops working
    except KeyError:
        token = create_user(store, "Admin", role="admin", user_id="admin")[1]
    app = Path(__file__).resolve().parents[2] / "apps" / "app.py"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(args.port),
        "--server.address",
        args.host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]
    print(f"store: {store.url}")
    print(f"admin link (valid 14 days, keep it private): http://{args.host}:{args.port}/?token={token}")
    if args.print_url:
        print(
            "start it with: evalkit app"
            + (f" --store {args.store}" if args.store else "")
            + (f" --port {args.port}" if args.port != 8501 else "")
        )
        return 0
    store.dispose()
    return subprocess.call(cmd, env={**os.environ, "WORKBENCH_STORE": store.url})
