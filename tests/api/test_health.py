"""Health endpoints with measured checks, shared request counters and Prometheus metrics."""

import os
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from botocore.config import Config
from prometheus_client import REGISTRY

from api import metrics
from tenants import tokens
from tenants.redis_client import get_redis
from tests.conftest import assert_error

HEALTH_PATHS = ["/api/health/", "/api/health/database/", "/api/health/cache/",
                "/api/health/metrics/"]
DEAD_S3 = {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {
        "bucket_name": "health", "endpoint_url": "http://127.0.0.1:1", "access_key": "k",
        "secret_key": "s", "region_name": "us-east-1",
        "client_config": Config(retries={"max_attempts": 1}, connect_timeout=0.5),
    },
}


def _storages(settings, **entries):
    return {"staticfiles": settings.STORAGES["staticfiles"], **entries}


def _in_another_process(code: str) -> None:
    """Runs code in a fresh Python process with the test settings (and the same Redis db)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clm_platform.test_settings"}
    script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60,
                   cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def test_system_health_checks_every_component(api, acme, settings, tmp_path):
    settings.STORAGES = _storages(settings, documents={
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    })
    r = api.get("/api/health/", acme.token())
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "healthy"
    assert body["components"] == {"database": "healthy", "cache": "healthy",
                                  "storage": "healthy"}
    assert all(body["latency_ms"][name] > 0 for name in ("database", "cache", "storage"))
    assert body["timestamp"]


def test_storage_without_configuration_is_reported_as_such(api, acme, settings):
    settings.STORAGES = _storages(settings)
    body = api.get("/api/health/", acme.token()).json()
    assert body["components"]["storage"] == "not_configured"
    assert body["latency_ms"]["storage"] is None
    assert body["status"] == "healthy"


def test_unreachable_storage_makes_the_system_unhealthy(api, acme, settings):
    settings.STORAGES = _storages(settings, documents=DEAD_S3)
    r = api.get("/api/health/", acme.token())
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unhealthy"
    assert body["components"]["storage"] == "unhealthy"
    assert body["components"]["database"] == "healthy"


def test_database_health_measures_a_round_trip(api, acme):
    r = api.get("/api/health/database/", acme.token())
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["connection"]) == ("healthy", "active")
    assert 0 < body["latency_ms"] < 5000


def test_cache_health_measures_a_round_trip(api, acme):
    body = api.get("/api/health/cache/", acme.token()).json()
    assert (body["status"], body["connection"]) == ("healthy", "active")
    assert 0 < body["latency_ms"] < 5000


def test_redis_down_is_reported_truthfully(api, acme, redis_down):
    r = api.get("/api/health/cache/", acme.token())
    assert r.status_code == 503
    assert r.json()["status"] == "unhealthy"
    assert r.json()["connection"] == "failed"
    assert r.json()["latency_ms"] is None
    r = api.get("/api/health/", acme.token())
    assert r.status_code == 503
    assert r.json()["components"]["cache"] == "unhealthy"
    metrics = api.get("/api/health/metrics/", acme.token())
    assert metrics.status_code == 200
    assert metrics.json()["requests_total"] is None
    assert metrics.json()["database_connections"] >= 1


def test_metrics_counters_are_shared_across_processes(api, acme):
    token = acme.token()
    for _ in range(3):
        assert api.get("/api/auth/me/", token).status_code == 200
    _in_another_process("""
        from api.metrics import count_shared
        for status in (200, 200, 404, 503):
            count_shared(status)
    """)
    r = api.get("/api/health/metrics/", token)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["requests_total"] == 7
    assert body["errors_total"] == 1
    assert body["error_rate"] == pytest.approx(14.29)
    assert body["requests_per_minute"] >= 7
    assert body["uptime_seconds"] >= 0
    assert body["database_connections"] >= 1
    assert body["cache_memory_usage_mb"] > 0
    assert body["counting_since"] is not None


@pytest.mark.parametrize("path", HEALTH_PATHS)
@pytest.mark.parametrize("role", ["manager", "user", "viewer"])
def test_health_needs_view_system_health(api, acme, path, role):
    assert_error(api.get(path, acme.token(role)), 403, "Permission denied")


@pytest.mark.parametrize("path", HEALTH_PATHS)
def test_health_needs_authentication_and_staff_may_look(api, acme, staff, path):
    assert_error(api.get(path), 401, "Authentication required")
    assert api.get(path, tokens.issue_pair(staff)["access"]).status_code == 200


def _sample(route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "clm_http_requests_total", {"method": "GET", "route": route, "status": status}
    )
    return value or 0.0


def test_prometheus_metrics_by_route_pattern_and_status(api, acme):
    detail_route = "api/contracts/<uuidstr:contract_id>/"
    before_list, before_404 = _sample("api/users/", "200"), _sample(detail_route, "404")
    assert api.get("/api/users/", acme.token()).status_code == 200
    missing = uuid.uuid4()
    assert api.get(f"/api/contracts/{missing}/", acme.token()).status_code == 404
    assert _sample("api/users/", "200") == before_list + 1
    assert _sample(detail_route, "404") == before_404 + 1
    r = api.get("/metrics")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/plain")
    text = r.content.decode()
    assert 'clm_http_requests_total{method="GET",route="api/users/",status="200"}' in text
    assert ('clm_http_request_duration_seconds_bucket{le="0.005",method="GET",'
            'route="api/users/",status="200"}') in text
    assert str(missing) not in text
    assert 'route="metrics"' not in text


def test_prometheus_metrics_merge_worker_processes(api, db, tmp_path, monkeypatch):
    code = """
        from api.metrics import observe
        for _ in range(3):
            observe("GET", "api/multiprocess/", 200, 0.02)
    """
    env_dir = str(tmp_path)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", env_dir)
    _in_another_process(code)
    _in_another_process(code)
    text = api.get("/metrics").content.decode()
    line = 'clm_http_requests_total{method="GET",route="api/multiprocess/",status="200"} 6.0'
    assert line in text
    assert 'clm_http_request_duration_seconds_count{method="GET",' \
           'route="api/multiprocess/",status="200"} 6.0' in text


def test_a_process_counts_reach_redis_within_a_second_without_a_read(api, acme):
    # The serving process batches its counts: its flusher thread adds them on its own.
    assert api.get("/api/auth/me/", acme.token()).status_code == 200
    deadline = time.monotonic() + 3 * metrics.FLUSH_SECONDS
    while get_redis().get("metrics:requests_total") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert int(get_redis().get("metrics:requests_total")) >= 1


def test_a_forked_process_sends_only_its_own_counts(acme):
    metrics.count_shared(200)  # pending in this process when it forks
    pid = os.fork()
    if pid == 0:  # the child (a gunicorn worker, say): one request of its own
        code = 1
        try:
            metrics.count_shared(503)
            metrics.flush_shared()
            code = 0
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    metrics.flush_shared()
    assert int(get_redis().get("metrics:requests_total")) == 2
    assert int(get_redis().get("metrics:errors_total")) == 1
