"""Request metrics: Prometheus series per route and status, and counters shared in Redis.

Prometheus (`/metrics`): request counts and latency histograms labelled by method, URL pattern
(never the raw path, which would explode the series) and status. With PROMETHEUS_MULTIPROC_DIR
set (gunicorn with several workers) every process writes its own files and the view merges them;
the variable must be set before the process starts.

Redis counters feed `/api/health/metrics/`: totals that every process shares, unlike
per-process Prometheus values.
"""

import logging
import os
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


def count_shared(status: int) -> None:
    """One round trip: the totals and this minute's bucket, shared by every process."""
    minute = int(time.time() // 60)
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.incr(_TOTAL)
        if status >= 500:
            pipe.incr(_ERRORS)
        pipe.incr(f"{_PER_MINUTE}{minute}")
        pipe.expire(f"{_PER_MINUTE}{minute}", 180)
        pipe.set(_SINCE, int(time.time()), nx=True)
        pipe.execute()
    except redis.RedisError as exc:
        log.debug("shared request counters unavailable: %s", exc)


def shared_counters() -> dict:
    """Totals across all processes; raises redis.RedisError when Redis is unavailable."""
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
