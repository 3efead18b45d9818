"""API conventions: error bodies, request ids, docs, probes, one SET search_path per request."""


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import assert_error


def test_every_response_carries_a_request_id(api, acme):
    for response in (
        api.get("/api/contracts/", acme.token()),
        api.get("/api/contracts/"),
        api.get("/api/nothing-here/"),
        api.get("/healthz"),
    ):
        assert len(response["X-Request-ID"]) >= 16
    assert api.get("/healthz", X_REQUEST_ID="trace-123")["X-Request-ID"] == "trace-123"
    # A hostile id is replaced, not echoed.
    assert api.get("/healthz", X_REQUEST_ID="bad id\r\n")["X-Request-ID"] != "bad id\r\n"


def test_malformed_json_is_400_with_details(api, acme):
    r = api.post("/api/contracts/", acme.token(), raw=b'{"title": ')
    body = assert_error(r, 400, "Invalid input")
    assert "body" in body["details"]


def test_unknown_routes_are_json_404(api, acme):
    body = assert_error(api.get("/api/nothing-here/", acme.token()), 404, "Resource not found")
    assert body["detail"] == "The requested resource does not exist"


def test_unexpected_errors_are_500_without_a_traceback(api, acme, monkeypatch):
    from core.contracts import selectors

    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "contract_statistics", explode)
    r = api.get("/api/contracts/statistics/", acme.token())
    assert r.status_code == 500
    assert r.json() == {"error": "Internal server error", "detail": "An unexpected error occurred"}
    assert b"secret internals" not in r.content and b"Traceback" not in r.content


def test_openapi_and_offline_swagger_ui(api, db):
    spec = api.get("/api/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert "/api/contracts/" in paths and "/api/auth/login/" in paths
    docs = api.get("/api/docs")
    assert docs.status_code == 200
    # Assets are served by the app itself, so the page works without internet.
    assert b"/static/ninja/swagger-ui" in docs.content or b"swagger-ui-bundle" in docs.content
    assert b"cdn.jsdelivr" not in docs.content


def test_openapi_documents_the_error_responses(api, db):
    spec = api.get("/api/openapi.json").json()
    put = spec["paths"]["/api/contracts/{contract_id}/"]["put"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "429", "500"} <= set(put)
    assert put["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    login = spec["paths"]["/api/auth/login/"]["post"]["responses"]
    assert "404" not in login and "400" in login


def test_health_probes_need_no_auth(api, db):
    assert api.get("/healthz").json() == {"status": "ok"}
    r = api.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_liveness_needs_no_database_and_accepts_any_host(api, db, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    with CaptureQueriesContext(connection) as ctx:
        r = api.get("/healthz", HOST="10.0.0.5")
    assert r.status_code == 200
    assert ctx.captured_queries == []


def test_readyz_reports_an_unreachable_redis(api, db, settings):
    from tenants.redis_client import get_redis

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    get_redis.cache_clear()
    try:
        r = api.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["redis"] == "unavailable"
    finally:
        get_redis.cache_clear()


def _search_path_sets(api, path, token) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(path, token).status_code == 200
    return sum("SET search_path" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.parametrize("path", ["/api/contracts/", "/api/contracts/statistics/",
                                  "/api/auth/me/"])
def test_at_most_one_search_path_per_request(api, acme, globex, path):
    # Alternate tenants so every request really switches schema.
    for world in (acme, globex, acme):
        assert _search_path_sets(api, path, world.token()) <= 1


def test_savepoint_rollback_never_leaves_a_stale_search_path(acme, globex):
    """django-tenants issue 1262: a rolled-back SET must not be trusted afterwards."""
    from django.db import transaction
    from django_tenants.utils import schema_context

    from core.contracts.models import Contract

    with schema_context(acme.schema):
        Contract.objects.create(title="acme only", contract_type="NDA")
    connection.set_tenant(globex.tenant)
    try:
        with transaction.atomic():
            connection.set_tenant(acme.tenant)
            assert Contract.objects.filter(title="acme only").exists()
            raise RuntimeError("roll back the savepoint that set acme's path")
    except RuntimeError:
        pass
    connection.set_tenant(globex.tenant)
    assert not Contract.objects.filter(title="acme only").exists()
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        assert cursor.fetchone()[0].startswith("t_globex")
