"""Every operation x every built-in role and a custom role answers as the permission table says."""

import pytest
from django_tenants.utils import schema_context

from core.rbac import services as rbac_services
from core.rbac.permissions import BUILTIN_ROLES
from tenants import tokens
from tenants.models import User
from tests.security.permission_table import AUTHENTICATED, MEMBER, OPERATIONS, PUBLIC, STAFF
from tests.security.routes import declared_operations, fill

CUSTOM_ROLE = {"id": "auditor", "permissions": ["view_contracts", "view_audit_logs"]}
ROLES = {role: {str(p) for p in spec["permissions"]} for role, spec in BUILTIN_ROLES.items()}
ROLES[CUSTOM_ROLE["id"]] = set(CUSTOM_ROLE["permissions"])


def test_the_table_covers_exactly_the_declared_operations():
    declared = declared_operations()
    assert set(declared) == set(OPERATIONS), (
        f"missing from table: {sorted(set(declared) - set(OPERATIONS))}; "
        f"stale in table: {sorted(set(OPERATIONS) - set(declared))}")


def test_each_operation_declares_the_access_in_the_table():
    declared = declared_operations()
    wrong = {op: (declared[op], want) for op, want in OPERATIONS.items() if declared[op] != want}
    assert wrong == {}


def _expected_forbidden(access: str, role: str) -> bool:
    if access in (PUBLIC, AUTHENTICATED, MEMBER):
        return False
    if access == STAFF:
        return True
    return access not in ROLES[role]


@pytest.fixture
def tokens_by_role(acme):
    with schema_context(acme.schema):
        rbac_services.role_create(actor=acme.users["admin"], role_id=CUSTOM_ROLE["id"],
                                  name="Auditor", description="",
                                  permissions=CUSTOM_ROLE["permissions"])
    auditor = User.objects.create_user("auditor@acme.test", "x", tenant=acme.tenant)
    with schema_context(acme.schema):
        rbac_services.user_roles_set(actor=auditor, user=auditor, role_ids=["auditor"])
    users = {role: acme.users[role] for role in BUILTIN_ROLES}
    users["auditor"] = auditor
    # A fresh token per call: logout in the matrix must not spoil the next request.
    return {role: (lambda user=user: tokens.issue_pair(user)["access"])
            for role, user in users.items()}


@pytest.mark.parametrize("operation", sorted(op for op, a in OPERATIONS.items() if a != PUBLIC),
                         ids=lambda op: f"{op[0]} {op[1]}")
def test_roles_get_exactly_the_access_the_table_gives(api, acme, tokens_by_role, operation):
    method, path = operation
    access = OPERATIONS[operation]
    for role, token in tokens_by_role.items():
        body = {} if method in ("POST", "PUT", "PATCH") else None
        response = api.request(method, fill(path), token(), body)
        assert response.status_code < 500, (role, response.status_code, response.content[:300])
        if _expected_forbidden(access, role):
            assert response.status_code == 403, (role, response.status_code, response.content)
            assert response.json()["error"] == "Permission denied"
        else:
            assert response.status_code != 403, (role, response.content[:300])
