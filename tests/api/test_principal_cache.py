"""The principal cache: used while nothing changed, never after a change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.rbac import principal_cache
from core.rbac.models import Role
from tenants import tokens
from tenants.models import User
from tenants.redis_client import get_redis
from tests.conftest import assert_error

LIST = "/api/contracts/"


def _queries(api, token, path=LIST) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path, token).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def _warm(api, token) -> None:
    # Loaded from the database and stored under the version read before the load.
    assert api.get(LIST, token).status_code == 200


@pytest.fixture
def reader(api, acme):
    """A custom role granting only view_contracts, held by the acme viewer."""
    admin = acme.token()
    r = api.post("/api/roles/", admin, {"id": "reader", "name": "Reader",
                                         "permissions": ["view_contracts"]})
    assert r.status_code == 201, r.content
    user = acme.users["viewer"]
    r = api.put(f"/api/admin/users/{user.pk}/roles/", admin, {"roles": ["reader"]})
    assert r.status_code == 200, r.content
    return user


def _loads_principal(sql: list[str]) -> bool:
    return any("jsonb_object_agg" in statement for statement in sql)


def test_an_unchanged_principal_is_not_loaded_again(api, acme):
    token = acme.token("manager")
    _warm(api, token)
    warm = _queries(api, token)
    principal_cache.cache.clear()
    cold = _queries(api, token)
    assert _loads_principal(cold) and not _loads_principal(warm)
    assert len(cold) == len(warm) + 1


def test_an_entry_is_used_from_the_request_after_the_one_that_made_it(api, acme):
    principal_cache.cache.clear()
    token = acme.token("manager")
    assert _loads_principal(_queries(api, token))
    assert not _loads_principal(_queries(api, token))


def test_an_entry_made_while_redis_was_down_is_not_used_after(api, acme, reader, settings):
    principal_cache.cache.clear()
    token = acme.token("viewer")
    url, settings.REDIS_URL = settings.REDIS_URL, "redis://127.0.0.1:1/0"
    get_redis.cache_clear()
    assert api.get(LIST, token).status_code == 200  # stored with no version
    settings.REDIS_URL = url
    get_redis.cache_clear()
    _revoke_directly(acme)
    assert_error(api.get(LIST, token), 403, "Permission denied")


def test_a_role_losing_a_permission_is_enforced_on_the_next_request(api, acme, reader):
    token = acme.token("viewer")
    _warm(api, token)
    r = api.put("/api/roles/reader/", acme.token(), {"name": "Reader", "permissions": []})
    assert r.status_code == 200, r.content
    assert_error(api.get(LIST, token), 403, "Permission denied")


def test_changed_user_roles_are_enforced_on_the_next_request(api, acme, reader):
    token = acme.token("viewer")
    _warm(api, token)
    r = api.put(f"/api/admin/users/{reader.pk}/roles/", acme.token(), {"roles": ["viewer"]})
    assert r.status_code == 200, r.content
    assert api.get("/api/auth/me/", token).json()["roles"] == ["viewer"]


def test_a_deactivated_user_is_refused_on_the_next_request(api, acme):
    token = acme.token("manager")
    _warm(api, token)
    user = acme.users["manager"]
    r = api.put(f"/api/users/{user.pk}/", acme.token(), {"is_active": False})
    assert r.status_code == 200, r.content
    assert_error(api.get(LIST, token), 401)


def test_a_renamed_user_is_seen_on_the_next_request(api, acme):
    token = acme.token("manager")
    _warm(api, token)
    user = acme.users["manager"]
    r = api.put(f"/api/users/{user.pk}/", acme.token(), {"first_name": "Renamed"})
    assert r.status_code == 200, r.content
    assert api.get("/api/auth/me/", token).json()["first_name"] == "Renamed"


def test_other_tenants_keep_their_entries(api, acme, globex, reader):
    token = globex.token("manager")
    _warm(api, token)
    api.put("/api/roles/reader/", acme.token(), {"name": "Reader", "permissions": []})
    assert not _loads_principal(_queries(api, token))
    assert _loads_principal(_queries(api, acme.token("manager")))


def _revoke_directly(acme) -> None:
    """Takes view_contracts from the reader role without a service: no version change."""
    with schema_context(acme.schema):
        Role.objects.filter(pk="reader").update(permissions=[])


def test_a_lost_version_key_never_matches_an_old_entry(api, acme, reader):
    token = acme.token("viewer")
    _warm(api, token)
    _revoke_directly(acme)
    assert api.get(LIST, token).status_code == 200  # the entry was used: nothing said otherwise
    get_redis().delete(principal_cache.version_key(acme.schema))
    assert_error(api.get(LIST, token), 403, "Permission denied")


def test_entries_expire(api, acme, reader, monkeypatch):
    token = acme.token("viewer")
    _warm(api, token)
    _revoke_directly(acme)
    monkeypatch.setattr(principal_cache, "MAX_AGE_SECONDS", 0.0)
    assert_error(api.get(LIST, token), 403, "Permission denied")


def test_with_redis_down_the_database_decides(api, acme, reader, redis_down):
    token = acme.token("viewer")
    assert api.get(LIST, token).status_code == 200
    _revoke_directly(acme)
    assert_error(api.get(LIST, token), 403, "Permission denied")


def test_a_new_token_version_is_read_from_the_database(api, acme):
    # Entry made with the old token_version; a token issued after the bump must still work.
    _warm(api, acme.token("manager"))
    user = User.objects.get(pk=acme.users["manager"].pk)  # the session's instance stays as is
    tokens.revoke_all_for_user(user)
    assert api.get(LIST, tokens.issue_pair(user)["access"]).status_code == 200
