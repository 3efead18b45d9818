"""Helpers shared by the workflow, approval and SLA tests."""

from django_tenants.utils import schema_context

from core.rbac import services as rbac_services
from tenants import tokens
from tenants.models import User
from tests.conftest import PASSWORD

CONTRACT = {
    "title": "Service Agreement",
    "contract_type": "MSA",
    "value": 50000.00,
    "counterparty": "Acme Corp",
    "start_date": "2026-01-15",
    "end_date": "2027-01-14",
}
TWO_STEPS = [
    {"step_number": 1, "name": "Initial Review", "assigned_to": ["role:manager"],
     "required_approval": True},
    {"step_number": 2, "name": "Legal Review", "assigned_to": ["role:legal"],
     "required_approval": True},
]


def create_contract(api, world, role="admin", **overrides) -> dict:
    r = api.post("/api/contracts/", world.token(role), {**CONTRACT, **overrides})
    assert r.status_code == 201, r.content
    return r.json()


def create_workflow(api, world, role="admin", **overrides) -> dict:
    body = {"name": "Contract Approval Workflow", "description": "Two steps",
            "steps": TWO_STEPS, **overrides}
    r = api.post("/api/workflows/", world.token(role), body)
    assert r.status_code == 201, r.content
    return r.json()


def add_legal(api, world) -> User:
    """A custom `legal` role made through the API, held by a new user of the tenant."""
    r = api.post("/api/roles/", world.token(), {
        "id": "legal", "name": "Legal", "permissions": ["view_contracts"]})
    assert r.status_code == 201, r.content
    user = User.objects.create_user(f"legal@{world.tenant.slug}.test", PASSWORD,
                                    tenant=world.tenant, first_name="Lee", last_name="Gal")
    with schema_context(world.schema):
        rbac_services.user_roles_set(actor=world.users["admin"], user=user, role_ids=["legal"])
    return user


def token_for(user) -> str:
    return tokens.issue_pair(user)["access"]


def submit(api, world, contract_id, role="admin", **body):
    return api.post(f"/api/contracts/{contract_id}/submit/", world.token(role), body)
