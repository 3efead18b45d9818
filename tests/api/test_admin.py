"""Admin API: users' roles (tenant) and tenants (platform admins)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from core.rbac.models import UserRole
from tenants import tokens
from tenants.models import Invitation, Tenant, User
from tests.conftest import _make_user, assert_error

STRONG = "Quiet-Otter-Rivers-42"


@pytest.fixture
def staff_token(staff) -> str:
    return tokens.issue_pair(staff)["access"]


# --- users' roles ---------------------------------------------------------------------------

def test_list_user_roles(api, acme):
    r = api.get("/api/admin/users/roles/", acme.token("manager"))
    assert r.status_code == 200, r.content
    entries = {e["email"]: e for e in r.json()["user_roles"]}
    assert set(entries) == {f"{role}@acme.test" for role in ("admin", "manager", "user", "viewer")}
    admin = entries["admin@acme.test"]
    assert admin["roles"] == ["admin"]
    assert admin["name"] == "Admin Tester"
    assert admin["user_id"] == str(acme.users["admin"].pk)
    assert set(admin) >= {"user_id", "email", "name", "roles", "is_active", "last_login",
                          "date_joined"}


def test_list_user_roles_query_count_does_not_grow_with_rows(api, acme):
    token = acme.token()

    def count_queries():
        # Warm the per-process tenant cache so both measurements see the same lookups.
        api.get("/api/admin/users/roles/?limit=100", token)
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/admin/users/roles/?limit=100", token).status_code == 200
        return len(ctx.captured_queries)

    with schema_context(acme.schema):
        for i in range(2):
            _make_user(acme.tenant, f"few{i}@acme.test", ["viewer", "user"])
    few = count_queries()
    with schema_context(acme.schema):
        for i in range(8):
            _make_user(acme.tenant, f"many{i}@acme.test", ["viewer", "user"])
    assert count_queries() == few


@pytest.mark.parametrize("role", ["user", "viewer"])
def test_list_user_roles_needs_view_users(api, acme, role):
    assert_error(api.get("/api/admin/users/roles/", acme.token(role)), 403, "Permission denied")
    assert_error(api.get("/api/admin/users/roles/"), 401)


def test_list_user_roles_bad_query_is_400(api, acme):
    assert_error(api.get("/api/admin/users/roles/?limit=500", acme.token()), 400)


def test_set_user_roles(api, acme):
    target = acme.users["viewer"]
    r = api.put(f"/api/admin/users/{target.pk}/roles/", acme.token(),
                {"roles": ["manager", "user"]})
    assert r.status_code == 200, r.content
    assert r.json()["roles"] == ["manager", "user"]
    assert r.json()["email"] == "viewer@acme.test"
    me = api.get("/api/auth/me/", acme.token("viewer")).json()
    assert me["roles"] == ["manager", "user"]
    with schema_context(acme.schema):
        row = AuditLog.objects.get(entity_id=str(target.pk), action="role_changed",
                                   performed_by=acme.users["admin"])
    assert row.changes == {"roles": {"old": ["viewer"], "new": ["manager", "user"]}}


@pytest.mark.parametrize(
    ("body", "field"),
    [({"roles": []}, "roles"), ({"roles": ["Nope!"]}, "roles.0"), ({}, "roles"),
     ({"roles": "admin"}, "roles")],
)
def test_set_user_roles_bad_input_is_400(api, acme, body, field):
    r = api.put(f"/api/admin/users/{acme.users['user'].pk}/roles/", acme.token(), body)
    assert field in assert_error(r, 400, "Invalid input")["details"]


def test_set_user_roles_to_an_unknown_role_is_409(api, acme):
    # Well formed (the schema allows it) but no role of the tenant: a conflict with stored data.
    r = api.put(f"/api/admin/users/{acme.users['user'].pk}/roles/", acme.token(),
                {"roles": ["nope"]})
    assert assert_error(r, 409, "Conflict")["details"] == {"roles": ["Unknown role: nope"]}


@pytest.mark.parametrize("role", ["manager", "user", "viewer"])
def test_set_user_roles_needs_manage_roles(api, acme, role):
    r = api.put(f"/api/admin/users/{acme.users['user'].pk}/roles/", acme.token(role),
                {"roles": ["admin"]})
    assert_error(r, 403, "Permission denied")


def test_set_another_tenants_user_roles_is_404(api, acme, globex):
    r = api.put(f"/api/admin/users/{acme.users['user'].pk}/roles/", globex.token(),
                {"roles": ["admin"]})
    assert_error(r, 404, "Resource not found")
    r = api.put(f"/api/admin/users/{uuid.uuid4()}/roles/", acme.token(), {"roles": ["user"]})
    assert_error(r, 404)


def test_the_last_admin_cannot_be_demoted(api, acme):
    admin = acme.users["admin"]
    r = api.put(f"/api/admin/users/{admin.pk}/roles/", acme.token(), {"roles": ["manager"]})
    assert_error(r, 409, "Conflict")
    with schema_context(acme.schema):
        assert UserRole.objects.filter(user=admin, role_id="admin").exists()
        second = _make_user(acme.tenant, "second-admin@acme.test", ["admin"])
    # An inactive admin does not count as the tenant keeping one.
    User.objects.filter(pk=second.pk).update(is_active=False)
    assert_error(api.put(f"/api/admin/users/{admin.pk}/roles/", acme.token(),
                         {"roles": ["manager"]}), 409)
    User.objects.filter(pk=second.pk).update(is_active=True)
    r = api.put(f"/api/admin/users/{admin.pk}/roles/", acme.token(), {"roles": ["manager"]})
    assert r.status_code == 200, r.content


# --- tenants (platform admins) --------------------------------------------------------------

def test_staff_lists_tenants(api, acme, globex, staff_token):
    r = api.get("/api/admin/tenants/", staff_token)
    assert r.status_code == 200, r.content
    tenants = {t["slug"]: t for t in r.json()["tenants"]}
    assert {"acme", "globex"} <= set(tenants)
    assert tenants["acme"] == {
        "id": str(acme.tenant.pk), "name": "Acme", "slug": "acme", "plan": "standard",
        "is_active": True, "created_at": tenants["acme"]["created_at"],
    }
    assert "public" not in tenants


@pytest.mark.parametrize("role", ["admin", "manager", "user", "viewer"])
def test_tenant_users_may_not_manage_tenants(api, acme, role):
    token = acme.token(role)
    assert_error(api.get("/api/admin/tenants/", token), 403, "Permission denied")
    body = {"name": "X", "slug": "xx", "admin_email": "x@x.test", "admin_password": STRONG}
    assert_error(api.post("/api/admin/tenants/", token, body), 403)
    assert_error(api.patch(f"/api/admin/tenants/{acme.tenant.pk}/", token, {"plan": "premium"}),
                 403)
    assert_error(api.get("/api/admin/tenants/"), 401)


def test_staff_provisions_a_tenant_with_an_admin_password(api, staff, staff_token):
    body = {"name": "Initech", "slug": "initech", "plan": "premium",
            "admin_email": "Boss@Initech.test", "admin_password": STRONG}
    r = api.post("/api/admin/tenants/", staff_token, body)
    assert r.status_code == 201, r.content
    out = r.json()
    assert (out["name"], out["slug"], out["plan"], out["is_active"]) == (
        "Initech", "initech", "premium", True)
    assert out["domain"] == "initech.localhost"
    assert out["admin"]["status"] == "active" and out["invite_token"] is None
    tenant = Tenant.objects.get(pk=out["id"])
    login = api.post("/api/auth/login/", body={"email": "boss@initech.test", "password": STRONG})
    assert login.status_code == 200, login.content
    me = api.get("/api/auth/me/", login.json()["access"]).json()
    assert me["roles"] == ["admin"] and me["tenant_id"] == str(tenant.pk)
    with schema_context(tenant.schema_name):
        row = AuditLog.objects.get(entity_type="tenant", action="created")
        assert row.performed_by_id == staff.pk
        assert row.changes["slug"] == {"old": None, "new": "initech"}


def test_staff_provisions_a_tenant_with_an_invitation(api, staff_token):
    body = {"name": "Hooli", "slug": "hooli", "admin_email": "gavin@hooli.test"}
    r = api.post("/api/admin/tenants/", staff_token, body)
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["admin"] == {"user_id": None, "email": "gavin@hooli.test", "status": "invited"}
    assert out["invite_token"] and out["invite_expires_at"] and out["plan"] == "standard"
    invitation = Invitation.objects.get(email="gavin@hooli.test")
    assert invitation.roles == ["admin"] and invitation.token_hash != out["invite_token"]
    reg = api.post("/api/auth/register/", body={
        "email": "gavin@hooli.test", "password": STRONG, "full_name": "Gavin Belson",
        "invite_token": out["invite_token"]})
    assert reg.status_code == 201, reg.content
    assert reg.json()["user"]["tenant_id"] == out["id"]
    assert api.get("/api/auth/me/", reg.json()["access"]).json()["roles"] == ["admin"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "-x"}, "slug"),
        ({"slug": "api"}, "slug"),
        ({"plan": "gold"}, "plan"),
        ({"admin_email": "nope"}, "admin_email"),
        ({"admin_password": "password"}, "admin_password"),
        ({"name": ""}, "name"),
    ],
)
def test_create_tenant_bad_input_is_400(api, acme, staff_token, patch, field):
    body = {"name": "Umbrella", "slug": "umbrella", "admin_email": "a@umbrella.test",
            "admin_password": STRONG, **patch}
    r = api.post("/api/admin/tenants/", staff_token, body)
    assert field in assert_error(r, 400, "Invalid input")["details"]
    assert not Tenant.objects.filter(slug="umbrella").exists()


def test_create_tenant_with_a_taken_admin_email_is_409(api, acme, staff_token):
    body = {"name": "Umbrella", "slug": "umbrella", "admin_email": "admin@acme.test",
            "admin_password": STRONG}
    r = api.post("/api/admin/tenants/", staff_token, body)
    assert assert_error(r, 409, "Conflict")["detail"] == "A user with this email already exists"
    assert not Tenant.objects.filter(slug="umbrella").exists()


def test_create_tenant_with_a_taken_slug_is_409(api, acme, staff_token):
    body = {"name": "Acme 2", "slug": "acme", "admin_email": "a@acme2.test"}
    assert_error(api.post("/api/admin/tenants/", staff_token, body), 409)


def test_staff_changes_plan_and_deactivates_a_tenant(api, staff, acme, staff_token):
    user_token = acme.token("user")
    r = api.patch(f"/api/admin/tenants/{acme.tenant.pk}/", staff_token, {"plan": "premium"})
    assert r.status_code == 200, r.content
    assert r.json()["plan"] == "premium"
    assert api.get("/api/auth/me/", user_token).status_code == 200
    r = api.patch(f"/api/admin/tenants/{acme.tenant.pk}/", staff_token, {"is_active": False})
    assert r.json()["is_active"] is False
    # The process that served the PATCH (tenants.tenant_cache: no commit needed) refuses at once.
    assert_error(api.get("/api/auth/me/", user_token), 403)
    with schema_context(acme.schema):
        rows = AuditLog.objects.filter(entity_type="tenant", action="updated",
                                       performed_by=staff).order_by("created_at")
        assert [r.changes for r in rows] == [
            {"plan": {"old": "standard", "new": "premium"}},
            {"is_active": {"old": True, "new": False}},
        ]


@pytest.mark.parametrize("body", [{"plan": "gold"}, {"is_active": "no"}, {"plan": 1}])
def test_update_tenant_bad_input_is_400(api, acme, staff_token, body):
    assert_error(api.patch(f"/api/admin/tenants/{acme.tenant.pk}/", staff_token, body), 400,
                 "Invalid input")


def test_update_unknown_tenant_is_404(api, staff_token, db):
    assert_error(api.patch(f"/api/admin/tenants/{uuid.uuid4()}/", staff_token,
                           {"plan": "premium"}), 404, "Resource not found")



@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(scratch_world):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from django.test import Client

    first = scratch_world.users["admin"]
    with schema_context(scratch_world.schema):
        second = _make_user(scratch_world.tenant, f"second@{scratch_world.tenant.slug}.test",
                            ["admin"])
    connection.set_schema_to_public()
    barrier = threading.Barrier(2)

    def demote(actor, target):
        try:
            barrier.wait()
            return Client().put(
                f"/api/admin/users/{target.pk}/roles/", '{"roles": ["manager"]}',
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {tokens.issue_pair(actor)['access']}",
            ).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(demote, [first, second], [second, first]))
    assert statuses == [200, 409]
    with schema_context(scratch_world.schema):
        assert UserRole.objects.filter(role_id="admin").count() == 1
