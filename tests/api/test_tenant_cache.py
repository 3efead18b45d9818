"""Tenant resolution from the per-process cache: no query while nothing changed, and a change
made by another process is enforced at this process's next check (tenants.tenant_cache)."""

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import redis_client, selectors, tenant_cache
from tenants import services as tenant_services
from tenants.models import Tenant
from tests.conftest import assert_error

LIST = "/api/contracts/"


pytestmark = pytest.mark.usefixtures("checked_every_time")


def _tenant_queries(api, token) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(LIST, token).status_code == 200
    return [q["sql"] for q in queries.captured_queries if '"tenants_tenant"' in q["sql"]]


def _changed_in_another_process(acme, **fields) -> None:
    """What tenant_update does, seen from a process that did not run it: row and version."""
    Tenant.objects.filter(pk=acme.tenant.pk).update(**fields)
    redis_client.replace_version(tenant_cache.VERSION_KEY)


def test_an_unchanged_tenant_is_not_loaded_again(api, acme):
    # Called at the base URL: the Host names no tenant, the token's `tid` does.
    token = acme.token("manager")
    assert len(_tenant_queries(api, token)) == 2
    assert not _tenant_queries(api, token)


def test_a_tenant_deactivated_by_another_process_is_refused(api, acme):
    token = acme.token("manager")
    assert api.get(LIST, token).status_code == 200
    _changed_in_another_process(acme, is_active=False)
    assert_error(api.get(LIST, token), 403, "Permission denied")


def test_a_plan_changed_by_another_process_sets_the_rate_limit(api, acme, settings):
    settings.RATE_LIMIT_PREMIUM = 7
    token = acme.token("manager")
    assert api.get(LIST, token)["X-RateLimit-Limit"] == str(settings.RATE_LIMIT_STANDARD)
    _changed_in_another_process(acme, plan="premium")
    assert api.get(LIST, token)["X-RateLimit-Limit"] == "7"


def test_a_host_is_known_once_its_tenant_is_provisioned(db, settings):
    settings.TENANT_CACHE_SECONDS = 60  # this process forgets at once; no check needed
    host = f"fresh-co.{django_settings.TENANT_BASE_DOMAIN}"
    assert selectors.tenant_for_host(host) is None
    tenant = tenant_services.tenant_provision(name="Fresh Co", slug="fresh-co")
    assert selectors.tenant_for_host(host) == tenant


def test_provisioning_makes_other_processes_look_up_unknown_names_again(db):
    # ...and only those: the tenants they already hold stay cached.
    keys = (tenant_cache.VERSION_KEY, tenant_cache.NEW_TENANTS_VERSION_KEY)
    tenants_before, new_before = redis_client.read_versions(*keys)
    tenant_services.tenant_provision(name="Fresh Co", slug="fresh-co")
    tenants_after, new_after = redis_client.read_versions(*keys)
    assert tenants_after == tenants_before
    assert new_after != new_before
