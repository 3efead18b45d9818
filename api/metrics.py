"""Request metrics: Prometheus series per route and status, and counters shared in Redis.

Prometheus (`/metrics`): request counts and latency histograms labelled by method, URL pattern
(never the raw path, which would explode the series) and status. With PROMETHEUS_MULTIPROC_DIR
set (gunicorn with several workers) every process writes its own files and the view merges them;
the variable must be set before the process starts.

Redis counters feed `/api/health/metrics/`: totals that every process shares, unlike
per-process Prometheus values.
"""

import atexit
import logging
import os
import threading
import time

import redis
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from tenants.redis_client import get_redis

log = logging.getLogger("clm.metrics")

STARTED_AT = time.time()
# Probes and scrapes are not traffic: counting them would only measure the monitoring.
UNCOUNTED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED = "unmatched"

REQUESTS = Counter(
    "clm_http_requests_total", "HTTP requests served", ["method", "route", "status"]
)
LATENCY = Histogram(
    "clm_http_request_duration_seconds", "Time to serve an HTTP request",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

_TOTAL = "metrics:requests_total"
_ERRORS = "metrics:errors_total"
_PER_MINUTE = "metrics:requests:minute:"
_SINCE = "metrics:since"


def route_of(request) -> str:
    """The URL pattern that served the request, e.g. `api/contracts/<uuid:contract_id>/`."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        # Middleware answered before URL resolution (inactive tenant, rate limit).
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNMATCHED
    return match.route or UNMATCHED


def observe(method: str, route: str, status: int, seconds: float) -> None:
    labels = (method, route, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


class _PendingCounts:
    """This process's request counts not yet added to Redis, flushed once a second.

    Adding them per request cost a Redis round trip per request (bench/README.md); batched,
    it is one per second per process. A daemon thread flushes (started in the serving process,
    so again after a fork), as does process exit and every read of the totals, so a process
    always sees its own requests and another's within a second.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        self._reset()

    def _reset(self):
        self.total, self.errors, self.per_minute = 0, 0, {}

    def add(self, status: int) -> None:
        minute = int(time.time() // 60)
        with self._lock:
            if self._pid != os.getpid():
                self._start()
            self.total += 1
            self.errors += status >= 500
            self.per_minute[minute] = self.per_minute.get(minute, 0) + 1

    def _start(self) -> None:
        self._pid = os.getpid()
        self._reset()  # a forked child does not inherit its parent's unsent counts
        threading.Thread(target=self._flush_forever, name="metrics-flush", daemon=True).start()
        atexit.register(self.flush)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()

    def flush(self) -> None:
        with self._lock:
            total, errors, per_minute = self.total, self.errors, self.per_minute
            self._reset()
        if not total:
            return
        try:
            pipe = get_redis().pipeline(transaction=False)
            pipe.incrby(_TOTAL, total)
            if errors:
                pipe.incrby(_ERRORS, errors)
            for minute, count in per_minute.items():
                pipe.incrby(f"{_PER_MINUTE}{minute}", count)
                pipe.expire(f"{_PER_MINUTE}{minute}", 180)
            pipe.set(_SINCE, int(time.time()), nx=True)
            pipe.execute()
        except redis.RedisError as exc:
            log.debug("shared request counters unavailable: %s", exc)


FLUSH_SECONDS = 1.0
_pending = _PendingCounts()


def count_shared(status: int) -> None:
    """Counts one answered request in the totals every process shares (within a second)."""
    _pending.add(status)


def flush_shared() -> None:
    """Adds this process's pending counts to the shared totals now."""
    _pending.flush()


def shared_counters() -> dict:
    """Totals across all processes; raises redis.RedisError when Redis is unavailable."""
    flush_shared()
    now = time.time()
    minute = int(now // 60)
    total, errors, current, previous, since = get_redis().mget(
        _TOTAL, _ERRORS, f"{_PER_MINUTE}{minute}", f"{_PER_MINUTE}{minute - 1}", _SINCE
    )
    total, errors = int(total or 0), int(errors or 0)
    # Requests in the last 60 s, estimated from this minute's and the previous minute's buckets.
    elapsed = (now % 60) / 60
    per_minute = int(current or 0) + int(previous or 0) * (1 - elapsed)
    return {
        "requests_total": total,
        "errors_total": errors,
        "requests_per_minute": round(per_minute, 1),
        # A percentage, as in the reference (23 errors in 15,234 requests -> 0.15).
        "error_rate": round(errors * 100 / total, 2) if total else 0.0,
        "counting_since": int(since) if since else None,
    }


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in UNCOUNTED_PATHS:
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        observe(request.method, route_of(request), response.status_code,
                time.perf_counter() - started)
        count_shared(response.status_code)
        return response


def prometheus_view(request):
    """`/metrics` in the Prometheus text format, merged over worker processes when needed."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
