"""Roles, permissions and invitations."""

import pytest
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from core.rbac import services as rbac_services
from core.rbac.models import Role
from core.rbac.permissions import Perm
from tests.conftest import assert_error


def test_permissions_list_has_every_permission_with_a_category(api, acme):
    r = api.get("/api/permissions/", acme.token("viewer"))
    assert r.status_code == 200
    perms = r.json()["permissions"]
    assert [p["id"] for p in perms] == [p.value for p in Perm]
    assert {"id": "view_contracts", "name": "View Contracts", "category": "Contracts"} in perms
    assert {"id": "view_audit_logs", "name": "View Audit Logs",
            "category": "Administration"} in perms


def test_roles_list_has_the_built_ins(api, acme):
    roles = {r["id"]: r for r in api.get("/api/roles/", acme.token("viewer")).json()["roles"]}
    assert set(roles) == {"admin", "manager", "user", "viewer"}
    assert roles["admin"]["name"] == "Administrator"
    assert roles["viewer"]["description"] == "Read-only access"
    assert set(roles["viewer"]["permissions"]) == {"view_contracts", "view_templates",
                                                   "view_workflows"}


def test_roles_and_permissions_need_authentication(api, db):
    assert_error(api.get("/api/roles/"), 401)
    assert_error(api.get("/api/permissions/"), 401)


def test_create_update_and_delete_a_custom_role(api, acme):
    token = acme.token()
    r = api.post("/api/roles/", token, {"name": "Legal", "description": "Legal review",
                                        "permissions": ["view_contracts", "approve_contracts"]})
    assert r.status_code == 201, r.content
    assert r.json() == {"id": "legal", "name": "Legal", "description": "Legal review",
                        "permissions": ["approve_contracts", "view_contracts"],
                        "is_builtin": False}
    r = api.put("/api/roles/legal/", token, {"permissions": ["view_contracts"]})
    assert r.status_code == 200 and r.json()["permissions"] == ["view_contracts"]
    assert api.delete("/api/roles/legal/", token).status_code == 204
    assert_error(api.put("/api/roles/legal/", token, {"name": "x"}), 404)
    with schema_context(acme.schema):
        actions = set(AuditLog.objects.filter(entity_type="role").values_list("action", flat=True))
    assert actions == {"created", "updated", "deleted"}


def test_a_custom_role_grants_its_permissions(api, acme):
    api.post("/api/roles/", acme.token(), {"name": "Auditor", "permissions": ["view_audit_logs"]})
    viewer = acme.users["viewer"]
    with schema_context(acme.schema):
        rbac_services.user_roles_set(actor=viewer, user=viewer, role_ids=["viewer", "auditor"])
    me = api.get("/api/auth/me/", acme.token("viewer")).json()
    assert me["roles"] == ["auditor", "viewer"]
    assert "view_audit_logs" in me["permissions"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "X", "permissions": ["fly"]}, "permissions"), ({"permissions": []}, "name"),
     ({"name": "!!!"}, "name"), ({"name": "Ok", "id": "Bad Id"}, "id")],
)
def test_create_role_bad_input(api, acme, body, field):
    details = assert_error(api.post("/api/roles/", acme.token(), body), 400)["details"]
    # Permission names are an enum of the schema, so the message names the item.
    assert any(key.split(".")[0] == field for key in details), details


def test_duplicate_role_is_409(api, acme):
    api.post("/api/roles/", acme.token(), {"name": "Legal"})
    assert_error(api.post("/api/roles/", acme.token(), {"name": "Legal"}), 409)


@pytest.mark.parametrize("role_id", ["admin", "viewer"])
def test_builtin_roles_cannot_be_changed_or_deleted(api, acme, role_id):
    assert_error(api.put(f"/api/roles/{role_id}/", acme.token(), {"name": "x"}), 409)
    assert_error(api.delete(f"/api/roles/{role_id}/", acme.token()), 409)
    with schema_context(acme.schema):
        assert Role.objects.filter(pk=role_id, is_builtin=True).exists()


def test_an_assigned_custom_role_cannot_be_deleted(api, acme):
    api.post("/api/roles/", acme.token(), {"name": "Legal"})
    user = acme.users["user"]
    with schema_context(acme.schema):
        rbac_services.user_roles_set(actor=user, user=user, role_ids=["user", "legal"])
    assert_error(api.delete("/api/roles/legal/", acme.token()), 409)


@pytest.mark.parametrize("role", ["manager", "user", "viewer"])
def test_only_role_managers_change_roles(api, acme, role):
    token = acme.token(role)
    assert_error(api.post("/api/roles/", token, {"name": "Legal"}), 403, "Permission denied")
    assert_error(api.put("/api/roles/admin/", token, {"name": "x"}), 403)
    assert_error(api.delete("/api/roles/admin/", token), 403)


def test_another_tenants_custom_role_is_404(api, acme, globex):
    api.post("/api/roles/", acme.token(), {"name": "Legal"})
    assert_error(api.put("/api/roles/legal/", globex.token(), {"name": "x"}), 404)
    assert_error(api.delete("/api/roles/legal/", globex.token()), 404)
    roles = [r["id"] for r in api.get("/api/roles/", globex.token()).json()["roles"]]
    assert "legal" not in roles


def test_invitation_is_created_by_user_managers_only(api, acme):
    r = api.post("/api/users/invitations/", acme.token(), {"email": "New@Acme.test",
                                                           "roles": ["user"]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["email"] == "new@acme.test" and body["roles"] == ["user"]
    assert len(body["invite_token"]) >= 32 and body["expires_at"]
    assert_error(api.post("/api/users/invitations/", acme.token("manager"),
                          {"email": "x@acme.test", "roles": ["user"]}), 403)
    with schema_context(acme.schema):
        assert AuditLog.objects.filter(entity_type="invitation", action="created").exists()


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [({"email": "bad", "roles": ["user"]}, "email", 400),
     ({"email": "x@acme.test", "roles": []}, "roles", 400),
     ({"email": "x@acme.test", "roles": ["Ghost!"]}, "roles.0", 400),
     # Well formed, but no role of the tenant: a conflict with stored data.
     ({"email": "x@acme.test", "roles": ["ghost"]}, "roles", 409)],
)
def test_invitation_bad_input(api, acme, body, field, status):
    r = api.post("/api/users/invitations/", acme.token(), body)
    assert field in assert_error(r, status)["details"]


def test_invitation_for_an_existing_user_is_409(api, acme):
    r = api.post("/api/users/invitations/", acme.token(), {"email": "user@acme.test",
                                                           "roles": ["user"]})
    assert_error(r, 409)


def test_invitation_roles_must_exist_in_the_callers_tenant(api, acme, globex):
    api.post("/api/roles/", acme.token(), {"name": "Legal"})
    r = api.post("/api/users/invitations/", globex.token(), {"email": "x@globex.test",
                                                             "roles": ["legal"]})
    assert "roles" in assert_error(r, 409)["details"]
