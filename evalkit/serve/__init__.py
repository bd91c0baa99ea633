"""`evalkit serve`: an OpenAI-compatible server over a local model (sharing a tuned model without vLLM).

FastAPI and uvicorn carry HTTP; `engine` batches the requests that arrive together into one `generate` call and
streams each row's tokens back; `prompts` checks a request against the model's context before tokenising it;
`schemas` validates bodies and shapes errors as OpenAI does; `metrics` is /metrics. Production serving at scale stays
vLLM's job (docs/serve.md)."""

from __future__ import annotations

import ipaddress
import signal
import socket

from evalkit.serve.app import make_app
from evalkit.serve.engine import Engine
from evalkit.serve.metrics import ServeMetrics

__all__ = ["Engine", "ServeMetrics", "bind", "is_loopback", "make_app", "run"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the model loads so a taken port fails fast (OSError)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run(app, sock: socket.socket) -> None:
    """Serve on `sock` until Ctrl-C, SIGTERM or SIGHUP, then finish open responses (5 s at most) and return."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5, lifespan="on")
    server = uvicorn.Server(config)
    previous = signal.signal(signal.SIGHUP, lambda *_: server.handle_exit(signal.SIGTERM, None))
    try:
        server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGHUP, previous)
        sock.close()
