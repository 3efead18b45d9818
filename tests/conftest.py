"""Shared fixtures: two real tenants (schemas) with a user per built-in role, and a staff user."""

import json
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from api.metrics import flush_shared
from core.rbac import services as rbac_services
from tenants import services as tenant_services
from tenants import tenant_cache, tokens
from tenants.models import User
from tenants.redis_client import get_redis

PASSWORD = "Corr3ct-Horse-Battery!"


@dataclass
class TenantWorld:
    tenant: object
    users: dict = field(default_factory=dict)

    @property
    def schema(self) -> str:
        return self.tenant.schema_name

    def token(self, role: str = "admin") -> str:
        return tokens.issue_pair(self.users[role])["access"]


def _make_user(tenant, email: str, roles: list[str]) -> User:
    user = User.objects.create_user(email, PASSWORD, tenant=tenant, first_name=roles[0].title(),
                                    last_name="Tester")
    with schema_context(tenant.schema_name):
        rbac_services.user_roles_set(actor=user, user=user, role_ids=roles)
    return user


@pytest.fixture(scope="session")
def worlds(django_db_setup, django_db_blocker):
    """Provisioned once per run and committed; each test's own writes roll back."""
    with django_db_blocker.unblock():
        result = {}
        for slug in ("acme", "globex"):
            tenant = tenant_services.tenant_provision(name=slug.title(), slug=slug)
            world = TenantWorld(tenant)
            for role in ("admin", "manager", "user", "viewer"):
                world.users[role] = _make_user(tenant, f"{role}@{slug}.test", [role])
            result[slug] = world
        result["staff"] = User.objects.create_superuser("staff@platform.test", PASSWORD)
        connection.set_schema_to_public()
    return result


@pytest.fixture
def acme(worlds, db) -> TenantWorld:
    return worlds["acme"]


@pytest.fixture
def globex(worlds, db) -> TenantWorld:
    return worlds["globex"]


@pytest.fixture
def staff(worlds, db) -> User:
    return worlds["staff"]


@pytest.fixture(autouse=True)
def _clean_state():
    """Redis is the test database's own (REDIS_URL); start every test with it empty."""
    flush_shared()  # request counts of earlier tests go before the flush, not into this test
    get_redis().flushdb()
    # Cached tenant rows may hold a rolled-back change, trusted for TENANT_CACHE_SECONDS.
    tenant_cache.forget()
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


class ApiClient:
    """Calls the API the way a client does: JSON bodies, Bearer tokens, real middleware."""

    def __init__(self):
        self.client = Client()

    def request(self, method: str, path: str, token: str | None = None, body=None,
                raw: bytes | None = None, content_type: str = "application/json", **headers):
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if token:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        response = self.client.generic(method, path, data, content_type=content_type, **extra)
        connection.set_schema_to_public()
        return response

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token, **kw)

    def post(self, path, token=None, body=None, **kw):
        return self.request("POST", path, token, body, **kw)

    def put(self, path, token=None, body=None, **kw):
        return self.request("PUT", path, token, body, **kw)

    def patch(self, path, token=None, body=None, **kw):
        return self.request("PATCH", path, token, body, **kw)

    def delete(self, path, token=None, **kw):
        return self.request("DELETE", path, token, **kw)


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


def assert_error(response, status: int, error: str | None = None):
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    if error:
        assert body["error"] == error
    return body


@pytest.fixture(scope="session", autouse=True)
def _transactional_tests_skip_flush():
    """Tests marked django_db(transaction=True) commit for real (parallel connections, worker
    threads). Django would flush the database after each: that empties the public schema
    (tenants and users of the session fixtures) and fails on the tenant schemas' foreign keys.
    Such tests clean up after themselves instead, usually by using `scratch_world`."""
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown
    TransactionTestCase._fixture_teardown = lambda self: None
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture
def scratch_world(transactional_db) -> TenantWorld:
    """A committed tenant of its own (users per built-in role) for transaction=True tests;
    dropped afterwards with its schema, users and everything in it."""
    import uuid

    slug = f"scratch-{uuid.uuid4().hex[:8]}"
    tenant = tenant_services.tenant_provision(name=slug, slug=slug)
    world = TenantWorld(tenant)
    for role in ("admin", "manager", "user", "viewer"):
        world.users[role] = _make_user(tenant, f"{role}@{slug}.test", [role])
    connection.set_schema_to_public()
    yield world
    # Users first, from inside the schema: their tenant-side rows (roles) go with them.
    with schema_context(tenant.schema_name):
        User.objects.filter(tenant=tenant).delete()
    connection.set_schema_to_public()
    tenant.delete(force_drop=True)


@pytest.fixture
def checked_every_time(settings):
    """Cached tenants are checked against their version on every look-up (tenants.tenant_cache),
    as in a process that has not seen the tenant within TENANT_CACHE_SECONDS."""
    settings.TENANT_CACHE_SECONDS = 0


@pytest.fixture
def redis_down(settings):
    """Every Redis client points at a closed port; the machine's Redis keeps running."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    get_redis.cache_clear()
    yield
    get_redis.cache_clear()


# Contract documents: local storage per test, a clause library, a published template.
from tests.documents_support import library, local_documents, published  # noqa: E402,F401
