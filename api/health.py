"""Health: unauthenticated Kubernetes probes, and measured component checks under /api/health/."""

import logging
import time

import redis
from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from ninja import Router, Status

from api import metrics
from api.schemas.health import ComponentHealthOut, HealthOut, MetricsOut
from api.security import require
from core.rbac.permissions import Perm
from tenants.redis_client import get_redis

log = logging.getLogger(__name__)
router = Router(tags=["Health"])
# Tenant admins (view_system_health) and the platform's own staff.
HEALTH_AUTH = require(Perm.VIEW_SYSTEM_HEALTH, staff_allowed=True)
HEALTHY, UNHEALTHY, NOT_CONFIGURED = "healthy", "unhealthy", "not_configured"
# Looked up, never written: answers "missing" from a reachable store, an error otherwise.
STORAGE_PROBE_KEY = "healthcheck/probe"


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.warning("readiness: database unavailable: %s", exc)
        checks["database"] = "unavailable"
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: redis unavailable: %s", exc)
        checks["redis"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status=200 if ready else 503)


def _timed(check) -> tuple[bool, float | None]:
    """Runs check(); (succeeded, round-trip milliseconds measured here)."""
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means the component is unhealthy
        log.warning("health check %s failed: %s", check.__name__, exc)
        return False, None
    return True, round((time.perf_counter() - started) * 1000, 2)


def _select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _redis_ping() -> None:
    get_redis().ping()


def _storage_backend():
    """The configured object store, or None when settings name none (dev default)."""
    configured = settings.STORAGES if settings.is_overridden("STORAGES") else {}
    if "documents" in configured:
        return storages["documents"]
    if "default" in configured:
        return default_storage
    return None


def _storage_check() -> tuple[str, float | None]:
    backend = _storage_backend()
    if backend is None:
        return NOT_CONFIGURED, None

    def storage_exists() -> None:
        backend.exists(STORAGE_PROBE_KEY)

    ok, latency = _timed(storage_exists)
    return (HEALTHY if ok else UNHEALTHY), latency


def _component(check) -> Status:
    ok, latency = _timed(check)
    body = {
        "status": HEALTHY if ok else UNHEALTHY,
        "timestamp": timezone.now(),
        "connection": "active" if ok else "failed",
        "latency_ms": latency,
    }
    return Status(200 if ok else 503, body)


@router.get("/", response={200: HealthOut, 503: HealthOut},
            auth=HEALTH_AUTH)
def system_health(request):
    db_ok, db_ms = _timed(_select_one)
    cache_ok, cache_ms = _timed(_redis_ping)
    storage, storage_ms = _storage_check()
    components = {
        "database": HEALTHY if db_ok else UNHEALTHY,
        "cache": HEALTHY if cache_ok else UNHEALTHY,
        "storage": storage,
    }
    healthy = UNHEALTHY not in components.values()
    return Status(200 if healthy else 503, {
        "status": HEALTHY if healthy else UNHEALTHY,
        "timestamp": timezone.now(),
        "components": components,
        "latency_ms": {"database": db_ms, "cache": cache_ms, "storage": storage_ms},
    })


@router.get("/database/", response={200: ComponentHealthOut, 503: ComponentHealthOut},
            auth=HEALTH_AUTH)
def database_health(request):
    return _component(_select_one)


@router.get("/cache/", response={200: ComponentHealthOut, 503: ComponentHealthOut},
            auth=HEALTH_AUTH)
def cache_health(request):
    return _component(_redis_ping)


def _database_connections() -> int | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]
    except Exception as exc:  # noqa: BLE001
        log.warning("metrics: database connections unavailable: %s", exc)
        return None


@router.get("/metrics/", response=MetricsOut, auth=HEALTH_AUTH)
def system_metrics(request):
    try:
        counters = metrics.shared_counters()
        memory_mb = round(get_redis().info("memory")["used_memory"] / (1024 * 1024), 2)
    except redis.RedisError as exc:
        log.warning("metrics: redis unavailable: %s", exc)
        counters = {"requests_total": None, "errors_total": None, "requests_per_minute": None,
                    "error_rate": None, "counting_since": None}
        memory_mb = None
    return {
        "timestamp": timezone.now(),
        "uptime_seconds": int(time.time() - metrics.STARTED_AT),
        **counters,
        "database_connections": _database_connections(),
        "cache_memory_usage_mb": memory_mb,
    }
