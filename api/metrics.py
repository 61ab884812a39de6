"""Prometheus metrics of the API process (multi-process aware when Sanic runs several workers)."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

REQUESTS = Counter("vaimanasoft_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "vaimanasoft_http_request_duration_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def observe(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def render() -> bytes:
    """The exposition text; merges every worker's files in multi-process mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY)


def request_totals() -> dict[str, float]:
    """Requests counted so far by this API server, every process of it in multi-process mode:
    all, client errors (4xx) and server errors (5xx)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        families = registry.collect()
    else:
        families = REQUESTS.collect()
    totals = {"requests": 0.0, "client_errors": 0.0, "errors": 0.0}
    for family in families:
        if family.name != "vaimanasoft_http_requests":
            continue
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            status = sample.labels.get("status", "")
            totals["requests"] += sample.value
            if status.startswith("4"):
                totals["client_errors"] += sample.value
            elif status.startswith("5"):
                totals["errors"] += sample.value
    return totals


def source_id() -> str:
    """Names the counters `request_totals` reads: the shared folder of a multi-process server, else this
    process (on this host)."""
    import socket

    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return f"{socket.gethostname()}:{shared or os.getpid()}"
