"""Unauthenticated liveness and readiness probes for Kubernetes."""

import logging

from django.db import connection
from django.http import JsonResponse

from tenants.redis_client import get_redis

log = logging.getLogger(__name__)


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
