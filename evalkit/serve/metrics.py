"""What `/metrics` reports, in Prometheus' text format: requests by route and status, tokens in and out, rows waiting
and running, batch sizes, request latency and time to the first token. One registry per server, so several servers
in one process (tests) keep their counts apart."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class ServeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("workbench_serve_requests", "HTTP requests answered", ["route", "status"], registry=r)
        self.prompt_tokens = Counter("workbench_serve_prompt_tokens", "prompt tokens received", registry=r)
        self.generation_tokens = Counter("workbench_serve_generation_tokens", "tokens generated", registry=r)
        self.waiting = Gauge("workbench_serve_rows_waiting", "sequences queued for the next batch", registry=r)
        self.running = Gauge("workbench_serve_rows_running", "sequences in the batch being generated", registry=r)
        self.batch_rows = Histogram(
            "workbench_serve_batch_rows",
            "sequences per generate call",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=r,
        )
        self.latency = Histogram(
            "workbench_serve_request_seconds", "request latency", ["route"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.first_token = Histogram(
            "workbench_serve_first_token_seconds",
            "time to the first streamed token",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
