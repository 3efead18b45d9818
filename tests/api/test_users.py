"""Users API: list and update a tenant's users; deactivation ends their sessions."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from tenants.models import User
from tests.conftest import _make_user, assert_error


def test_list_users_of_the_callers_tenant_only(api, acme, globex):
    r = api.get("/api/users/", acme.token("manager"))
    assert r.status_code == 200, r.content
    body = r.json()
    emails = {u["email"] for u in body["users"]}
    assert emails == {f"{role}@acme.test" for role in ("admin", "manager", "user", "viewer")}
    assert body["total"] == 4
    entry = next(u for u in body["users"] if u["email"] == "admin@acme.test")
    assert set(entry) == {"id", "email", "first_name", "last_name", "is_active", "is_staff",
                          "date_joined", "last_login"}
    assert entry["id"] == str(acme.users["admin"].pk)
    assert entry["is_staff"] is False


def test_list_users_search_limit_and_offset(api, acme):
    body = api.get("/api/users/?search=VIEW", acme.token()).json()
    assert [u["email"] for u in body["users"]] == ["viewer@acme.test"]
    assert body["total"] == 1
    page = api.get("/api/users/?limit=2&offset=1", acme.token()).json()
    assert len(page["users"]) == 2
    assert page["total"] == 4


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=abc"])
def test_list_users_bad_query_is_400(api, acme, query):
    assert_error(api.get(f"/api/users/?{query}", acme.token()), 400, "Invalid input")


@pytest.mark.parametrize("role", ["user", "viewer"])
def test_list_users_needs_view_users(api, acme, role):
    assert_error(api.get("/api/users/", acme.token(role)), 403, "Permission denied")


def test_list_users_needs_authentication_and_a_tenant(api, acme, staff):
    assert_error(api.get("/api/users/"), 401, "Authentication required")
    from tenants import tokens

    assert_error(api.get("/api/users/", tokens.issue_pair(staff)["access"]), 403)


def test_list_users_query_count_does_not_grow_with_rows(api, acme):
    token = acme.token()

    def count_queries():
        # Warm the per-process tenant cache so both measurements see the same lookups.
        api.get("/api/users/?limit=100", token)
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/users/?limit=100", token).status_code == 200
        return len(ctx.captured_queries)

    with schema_context(acme.schema):
        extra = [_make_user(acme.tenant, f"extra{i}@acme.test", ["viewer"]) for i in range(2)]
    few = count_queries()
    with schema_context(acme.schema):
        extra += [_make_user(acme.tenant, f"more{i}@acme.test", ["viewer"]) for i in range(8)]
    assert count_queries() == few
    assert len(extra) == 10


def test_update_user_names(api, acme):
    target = acme.users["user"]
    r = api.put(f"/api/users/{target.pk}/", acme.token(),
                {"first_name": "Una", "last_name": "Updated"})
    assert r.status_code == 200, r.content
    assert (r.json()["first_name"], r.json()["last_name"]) == ("Una", "Updated")
    target.refresh_from_db()
    assert target.full_name == "Una Updated"
    with schema_context(acme.schema):
        row = AuditLog.objects.get(entity_type="user", entity_id=str(target.pk), action="updated")
    assert row.changes["first_name"] == {"old": "User", "new": "Una"}
    assert row.performed_by_id == acme.users["admin"].pk


def test_deactivating_a_user_kills_their_tokens(api, acme):
    target = acme.users["manager"]
    token = acme.token("manager")
    assert api.get("/api/auth/me/", token).status_code == 200
    r = api.put(f"/api/users/{target.pk}/", acme.token(), {"is_active": False})
    assert r.status_code == 200, r.content
    assert r.json()["is_active"] is False
    assert_error(api.get("/api/auth/me/", token), 401)
    assert not User.objects.get(pk=target.pk).refresh_tokens.filter(revoked_at=None).exists()
    with schema_context(acme.schema):
        row = AuditLog.objects.get(entity_type="user", entity_id=str(target.pk), action="updated")
    assert row.changes == {"is_active": {"old": True, "new": False}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"is_active": "no"}, "is_active"),
        ({"is_active": 1}, "is_active"),
        ({"first_name": "x" * 151}, "first_name"),
    ],
)
def test_update_user_bad_input_is_400(api, acme, body, field):
    r = api.put(f"/api/users/{acme.users['user'].pk}/", acme.token(), body)
    assert field in assert_error(r, 400, "Invalid input")["details"]


@pytest.mark.parametrize("role", ["manager", "user", "viewer"])
def test_update_user_needs_manage_users(api, acme, role):
    r = api.put(f"/api/users/{acme.users['viewer'].pk}/", acme.token(role), {"first_name": "X"})
    assert_error(r, 403, "Permission denied")


def test_update_another_tenants_user_is_404(api, acme, globex):
    r = api.put(f"/api/users/{acme.users['user'].pk}/", globex.token(), {"is_active": False})
    assert_error(r, 404, "Resource not found")
    assert User.objects.get(pk=acme.users["user"].pk).is_active
    assert_error(api.put(f"/api/users/{uuid.uuid4()}/", acme.token(), {"first_name": "X"}), 404)


def test_update_user_needs_authentication(api, acme):
    assert_error(api.put(f"/api/users/{acme.users['user'].pk}/", None, {"first_name": "X"}), 401)


def test_the_last_admin_cannot_be_deactivated(api, acme):
    admin = acme.users["admin"]
    r = api.put(f"/api/users/{admin.pk}/", acme.token(), {"is_active": False})
    assert_error(r, 409, "Conflict")
    assert User.objects.get(pk=admin.pk).is_active
    with schema_context(acme.schema):
        second = _make_user(acme.tenant, "second-admin@acme.test", ["admin"])
    r = api.put(f"/api/users/{admin.pk}/", acme.token(), {"is_active": False})
    assert r.status_code == 200, r.content
    # Now `second` is the last active admin.
    from tenants import tokens

    r = api.put(f"/api/users/{second.pk}/", tokens.issue_pair(second)["access"],
                {"is_active": False})
    assert_error(r, 409)


def test_update_user_with_an_empty_body_changes_nothing(api, acme):
    target = acme.users["user"]
    r = api.put(f"/api/users/{target.pk}/", acme.token(), {})
    assert r.status_code == 200
    assert r.json()["first_name"] == "User"
    with schema_context(acme.schema):
        assert not AuditLog.objects.filter(entity_id=str(target.pk), action="updated").exists()
