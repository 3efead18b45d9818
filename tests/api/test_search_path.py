"""`SET search_path` per request: at most one, also on a tenant's first request in a worker."""

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext

from tenants import tenant_cache, tokens


def _sets(ctx) -> int:
    return sum(1 for q in ctx.captured_queries if q["sql"].startswith("SET search_path"))


def test_a_tenants_first_request_in_a_worker_sets_the_search_path_once(api, acme, globex):
    # Tokens first: issuing one writes a row in public, which would count as a SET here.
    acme_token, globex_token = acme.token("manager"), globex.token("manager")
    assert api.get("/api/contracts/", globex_token).status_code == 200
    # As in a worker that has not seen acme yet (or not in the cache's TTL): its look-up runs
    # on globex's path, which includes public, so only the switch to acme's path is a SET.
    tenant_cache.forget()
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


def _health_checks(monkeypatch) -> list:
    """Turns health checks on and records each `SELECT 1` check the connection runs."""
    checks = []
    db = connections[DEFAULT_DB_ALIAS]
    wrapper = type(db)
    is_usable = wrapper.is_usable
    monkeypatch.setattr(db, "health_check_enabled", True)
    monkeypatch.setattr(wrapper, "is_usable", lambda self: checks.append(1) or is_usable(self))
    return checks


def test_a_tenant_switch_is_its_own_health_check(api, acme, globex, monkeypatch):
    acme_token, globex_token = acme.token("manager"), globex.token("manager")
    for token in (acme_token, globex_token):  # both tenants and principals cached
        assert api.get("/api/contracts/", token).status_code == 200
    checks = _health_checks(monkeypatch)

    connection.health_check_done = False  # what the start of a request does
    with CaptureQueriesContext(connection) as ctx:
        assert api.get("/api/contracts/", acme_token).status_code == 200
    assert (checks, _sets(ctx)) == ([], 1)  # the SET checked the connection: one round trip

    connection.health_check_done = False
    with CaptureQueriesContext(connection) as ctx:
        assert api.get("/api/contracts/", acme_token).status_code == 200
    assert (checks, _sets(ctx)) == ([1], 0)  # staying on acme: the ordinary check


def test_a_dead_connection_found_by_the_switching_set_is_replaced(scratch_world, monkeypatch):
    checks = _health_checks(monkeypatch)
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    killer = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        killer.close()

    connection.close_if_unusable_or_obsolete()  # the next request starts
    connection.set_tenant(scratch_world.tenant)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_schema()")
        new_pid, schema = cursor.fetchone()
    assert new_pid != pid and schema == scratch_world.schema
    assert checks == []
