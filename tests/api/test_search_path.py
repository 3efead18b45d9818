"""`SET search_path` per request: at most one, also on a tenant's first request in a worker."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import tokens
from tenants.selectors import forget_tenant_cache


def _sets(ctx) -> int:
    return sum(1 for q in ctx.captured_queries if q["sql"].startswith("SET search_path"))


def test_a_tenants_first_request_in_a_worker_sets_the_search_path_once(api, acme, globex):
    # Tokens first: issuing one writes a row in public, which would count as a SET here.
    acme_token, globex_token = acme.token("manager"), globex.token("manager")
    assert api.get("/api/contracts/", globex_token).status_code == 200
    # As in a worker that has not seen acme yet (or not in the cache's TTL): its look-up runs
    # on globex's path, which includes public, so only the switch to acme's path is a SET.
    forget_tenant_cache()
    with CaptureQueriesContext(connection) as ctx:
        r = api.get("/api/contracts/", acme_token)
    assert r.status_code == 200
    assert _sets(ctx) == 1


def test_the_same_tenant_again_sets_nothing(api, acme):
    token = acme.token("manager")
    assert api.get("/api/contracts/", token).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert api.get("/api/contracts/", token).status_code == 200
    assert _sets(ctx) == 0


def test_a_public_request_after_a_tenants_sets_the_public_path(api, acme, staff):
    staff_token = tokens.issue_pair(staff)["access"]
    assert api.get("/api/contracts/", acme.token("manager")).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        r = api.get("/api/auth/me/", staff_token)
    assert r.status_code == 200
    assert _sets(ctx) <= 1
